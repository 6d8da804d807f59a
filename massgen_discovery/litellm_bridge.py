"""Use the catalog from LiteLLM: register models, price responses, build Router deployments.

The public import path; the implementation lives in :mod:`massgen_discovery._adapters.litellm`.
"""

from ._adapters.litellm import (
    completion_cost,
    completion_kwargs,
    litellm_cost_kwargs,
    register_with_litellm,
    router_model_list,
    to_litellm_model_info,
)

__all__ = [
    "completion_cost",
    "completion_kwargs",
    "litellm_cost_kwargs",
    "register_with_litellm",
    "router_model_list",
    "to_litellm_model_info",
]
