"""MassGen-shaped helpers: the functions MassGen's model listing, pricing and setup wizard call.

The public import path; the implementation lives in :mod:`massgen_discovery._adapters.massgen`.
"""

from ._adapters.massgen import (
    BACKEND_PROVIDERS,
    DEFAULT_MODELS,
    DISPLAY_NAME_PROVIDERS,
    ModelPricing,
    UsageTokens,
    calculate_cost,
    calculate_cost_with_usage_object,
    get_context_window,
    get_model_metadata_for_provider,
    get_model_metadata_for_provider_sync,
    get_model_pricing,
    get_models_for_provider,
    get_models_for_provider_sync,
    model_pricing_dict,
    patch_massgen,
    resolve_provider,
    unpatch_massgen,
    usage_tokens,
    wizard_choices,
)

__all__ = [
    "BACKEND_PROVIDERS",
    "DEFAULT_MODELS",
    "DISPLAY_NAME_PROVIDERS",
    "ModelPricing",
    "UsageTokens",
    "calculate_cost",
    "calculate_cost_with_usage_object",
    "get_context_window",
    "get_model_metadata_for_provider",
    "get_model_metadata_for_provider_sync",
    "get_model_pricing",
    "get_models_for_provider",
    "get_models_for_provider_sync",
    "model_pricing_dict",
    "patch_massgen",
    "resolve_provider",
    "unpatch_massgen",
    "usage_tokens",
    "wizard_choices",
]
