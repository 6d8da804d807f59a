"""MassGen-shaped helpers: the functions MassGen's model listing, pricing and setup wizard call.

MassGen names providers by backend type (``claude``, ``grok``, ``together``, ``chatcompletion``)
or by the display name its backends report (``"Together AI"``, ``"Cerebras AI"``, ``"Kimi"``);
:func:`resolve_provider` maps both to LiteLLM provider ids. Every function here is safe to call
from a UI: none raises for an unknown provider or a failing source, and unknown values stay None
(never a made-up 128k context window).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..records import ModelRecord
from .massgen_models import (
    BACKEND_PROVIDERS,
    DEFAULT_MODELS,
    DISPLAY_NAME_PROVIDERS,
    get_model_metadata_for_provider,
    get_model_metadata_for_provider_sync,
    get_models_for_provider,
    get_models_for_provider_sync,
    provider_listing,
    resolve_provider,
    run_listing,
)
from .massgen_pricing import (
    ModelPricing,
    UsageTokens,
    calculate_cost,
    calculate_cost_with_usage_object,
    get_context_window,
    get_model_pricing,
    model_pricing_dict,
    usage_tokens,
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

_log = logging.getLogger(__name__)


def _describe(record: ModelRecord) -> str:
    from .._domain.display import format_price, format_tokens

    parts = []
    if record.max_input_tokens is not None:
        parts.append(f"{format_tokens(record.max_input_tokens)} ctx")
    if record.input_cost_per_token is not None and record.output_cost_per_token is not None:
        if record.input_cost_per_token == 0 and record.output_cost_per_token == 0:
            parts.append("free")
        else:
            inp = format_price(record.input_cost_per_token)
            out = format_price(record.output_cost_per_token)
            parts.append(f"{inp}/{out} per 1M")
    flags = [
        label
        for label, value in (
            ("tools", record.supports_function_calling),
            ("vision", record.supports_vision),
            ("reasoning", record.supports_reasoning),
        )
        if value
    ]
    if flags:
        parts.append(", ".join(flags))
    return " · ".join(parts)


def wizard_choices(provider: str, catalog: Catalog | None = None) -> list[tuple[str, str]]:
    """``(model id, one-line description)`` per chat model, for an autocomplete prompt.

    Example line: ``128k ctx · $0.50/$1.50 per 1M · tools, vision``.
    """
    return [
        (r.model_id, _describe(r))
        for r in run_listing(provider_listing(provider, True, catalog, None, None), "wizard choices")
    ]


_patches: list[tuple[Any, str, Any]] = []


def _massgen_replacements(catalog: Catalog | None) -> tuple[dict[int, tuple[Any, Any]], list[tuple[Any, str, Any]]]:
    """``id(original) -> (original, replacement)`` for MassGen's functions, and its class methods."""
    import massgen.token_manager.token_manager as tm  # type: ignore[import-not-found,unused-ignore]
    import massgen.utils.model_catalog as mc  # type: ignore[import-not-found,unused-ignore]

    originals = {
        name: getattr(mc, name)
        for name in (
            "get_models_for_provider",
            "get_models_for_provider_sync",
            "get_model_metadata_for_provider",
            "get_model_metadata_for_provider_sync",
        )
    }

    async def models(provider: str, use_cache: bool = True) -> list[str]:
        found = await get_models_for_provider(provider, use_cache, catalog=catalog)
        return found or list(await originals["get_models_for_provider"](provider, use_cache))

    def models_sync(provider: str, use_cache: bool = True) -> list[str]:
        found = get_models_for_provider_sync(provider, use_cache, catalog=catalog)
        return found or list(originals["get_models_for_provider_sync"](provider, use_cache))

    async def metadata(provider: str, use_cache: bool = True) -> list[dict[str, Any]]:
        found = await get_model_metadata_for_provider(provider, use_cache, catalog=catalog)
        return found or list(await originals["get_model_metadata_for_provider"](provider, use_cache))

    def metadata_sync(provider: str, use_cache: bool = True) -> list[dict[str, Any]]:
        found = get_model_metadata_for_provider_sync(provider, use_cache, catalog=catalog)
        return found or list(originals["get_model_metadata_for_provider_sync"](provider, use_cache))

    new = {
        "get_models_for_provider": models,
        "get_models_for_provider_sync": models_sync,
        "get_model_metadata_for_provider": metadata,
        "get_model_metadata_for_provider_sync": metadata_sync,
    }
    functions = {id(fn): (fn, new[name]) for name, fn in originals.items()}
    for name, fn in new.items():
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = f"massgen_discovery's {name} (patched in by patch_massgen)."

    def get_pricing(self: Any, provider: str, model: str) -> Any:
        return get_model_pricing(provider, model, catalog)

    def cost(self: Any, input_tokens: int, output_tokens: int, provider: str, model: str) -> float:
        return calculate_cost(input_tokens, output_tokens, provider, model, catalog)

    def cost_with_usage(self: Any, model: str, usage: Any, provider: str | None = None) -> float:
        return calculate_cost_with_usage_object(model, usage, provider, catalog)

    cls = tm.TokenCostCalculator
    methods = [
        (cls, "get_model_pricing", get_pricing),
        (cls, "calculate_cost", cost),
        (cls, "calculate_cost_with_usage_object", cost_with_usage),
    ]
    return functions, methods


def patch_massgen(catalog: Catalog | None = None) -> list[str]:
    """Swap this module's functions into an installed MassGen; return what was patched.

    MassGen's listing and metadata functions are replaced in ``massgen.utils.model_catalog`` and in
    every loaded MassGen module that imported them by name (``config_builder``...); modules that
    import them later get the patched ones. ``TokenCostCalculator.get_model_pricing``,
    ``calculate_cost`` and ``calculate_cost_with_usage_object`` answer from the catalog. A
    provider the catalog cannot list (``copilot``, ``poe``) still gets MassGen's own answer.
    Calling it twice patches once; without MassGen installed it patches nothing and returns ``[]``.
    """
    import importlib.util
    import sys

    if _patches:
        return [f"{getattr(owner, '__name__', owner)}.{name}" for owner, name, _ in _patches]
    try:
        if importlib.util.find_spec("massgen") is None:
            _log.info("MassGen is not installed: nothing to patch")
            return []
        functions, methods = _massgen_replacements(catalog)
    except Exception as exc:
        _log.warning("MassGen could not be patched: %s", exc)
        return []
    for owner, name, replacement in methods:
        _patches.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, replacement)
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name == "massgen" or module_name.startswith("massgen.")):
            continue
        for name, value in list(vars(module).items()):
            pair = functions.get(id(value))
            if pair is not None and pair[0] is value:
                _patches.append((module, name, value))
                setattr(module, name, pair[1])
    return [f"{getattr(owner, '__name__', owner)}.{name}" for owner, name, _ in _patches]


def unpatch_massgen() -> list[str]:
    """Undo :func:`patch_massgen`; return what was restored (``[]`` when nothing was patched)."""
    restored = []
    while _patches:
        owner, name, original = _patches.pop()
        setattr(owner, name, original)
        restored.append(f"{getattr(owner, '__name__', owner)}.{name}")
    return restored
