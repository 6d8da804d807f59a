"""MassGen-shaped helpers: the functions MassGen's model listing, pricing and setup wizard call.

MassGen names providers by backend type (``claude``, ``grok``, ``together``, ``chatcompletion``)
or by the display name its backends report (``"Together AI"``, ``"Cerebras AI"``, ``"Kimi"``);
:func:`resolve_provider` maps both to LiteLLM provider ids. Every function here is safe to call
from a UI: none raises for an unknown provider or a failing source, and unknown values stay None
(never a made-up 128k context window).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..sources import BUNDLED

if TYPE_CHECKING:
    from .._domain.pricing import CallTokens
    from ..catalog import Catalog
    from ..records import ModelRecord

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
_T = TypeVar("_T")

BACKEND_PROVIDERS: dict[str, str | None] = {
    "openai": "openai",
    "claude": "anthropic",
    "claude_code": "anthropic",
    "anthropic": "anthropic",
    "gemini": "gemini",
    "grok": "xai",
    "xai": "xai",
    "groq": "groq",
    "together": "together_ai",
    "fireworks": "fireworks_ai",
    "cerebras": "cerebras",
    "nebius": "nebius",
    "moonshot": "moonshot",
    "kimi": "moonshot",
    "qwen": "dashscope",
    "openrouter": "openrouter",
    "nvidia_nim": "nvidia_nim",
    "zai": "zai",
    "lmstudio": "lm_studio",
    "vllm": "hosted_vllm",
    "sglang": "hosted_vllm",  # SGLang speaks the OpenAI protocol LiteLLM's hosted_vllm provider uses
    "azure_openai": "azure",
    "huggingface": "huggingface",
    "ollama": "ollama",
    "deepseek": "deepseek",
    "chatcompletion": None,  # a generic OpenAI-compatible base URL: configure it as an endpoint
}
"""MassGen backend type -> LiteLLM provider id (None: no fixed provider)."""

DISPLAY_NAME_PROVIDERS: dict[str, str] = {
    "OpenAI": "openai",
    "Anthropic": "anthropic",
    "Claude": "anthropic",
    "Claude Code": "anthropic",
    "Gemini": "gemini",
    "Google Gemini": "gemini",
    "Grok": "xai",
    "xAI": "xai",
    "Groq": "groq",
    "Together AI": "together_ai",
    "Fireworks AI": "fireworks_ai",
    "Cerebras AI": "cerebras",
    "Nebius AI Studio": "nebius",
    "Moonshot": "moonshot",
    "Kimi": "moonshot",
    "Qwen": "dashscope",
    "OpenRouter": "openrouter",
    "Nvidia NIM": "nvidia_nim",
    "NVIDIA NIM": "nvidia_nim",
    "ZhipuAI": "zai",
    "Z.AI": "zai",
    "LM Studio": "lm_studio",
    "vLLM": "hosted_vllm",
    "SGLang": "hosted_vllm",
    "Azure OpenAI": "azure",
    "ZAI": "zai",
    "Gemini CLI": "gemini",
    "HuggingFace": "huggingface",
    "Ollama": "ollama",
    "DeepSeek": "deepseek",
}
"""Display names MassGen's backends report -> LiteLLM provider id."""


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_BY_NORM: dict[str, str | None] = {
    **{_norm(k): v for k, v in DISPLAY_NAME_PROVIDERS.items()},
    **{_norm(k): v for k, v in BACKEND_PROVIDERS.items()},
}


def resolve_provider(provider: str) -> str | None:
    """A MassGen backend type, display name or LiteLLM id -> LiteLLM provider id, or None."""
    if not isinstance(provider, str) or not provider.strip():
        return None
    if provider in BACKEND_PROVIDERS:
        return BACKEND_PROVIDERS[provider]
    if provider in DISPLAY_NAME_PROVIDERS:
        return DISPLAY_NAME_PROVIDERS[provider]
    key = _norm(provider)
    if key in _BY_NORM:
        return _BY_NORM[key]
    return provider.strip().lower()  # already a LiteLLM provider id (or an endpoint name)


DEFAULT_MODELS: dict[str, str] = {
    "openai": "gpt-5.4",
    "claude": "claude-opus-4-6",
    "claude_code": "claude-opus-4-6",
    "gemini": "gemini-3-flash-preview",
    "grok": "grok-4.20-0309-reasoning",
    "azure_openai": "gpt-4o",
    "zai": "glm-4.5",
    "cerebras": "llama-3.3-70b",
    "together": "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8",
    "fireworks": "accounts/fireworks/models/llama-v3p3-70b-instruct",
    "groq": "llama-3.3-70b-versatile",
    "moonshot": "moonshot-v1-128k",
    "nvidia_nim": "moonshotai/kimi-k2.5",
    "nebius": "Qwen/Qwen3-4B-fast",
    "qwen": "qwen-max",
}
"""MassGen 0.1.97's default model per backend type, listed first; MassGen's own table
(``BACKEND_CAPABILITIES``) is used instead when MassGen is loaded."""

_CHAT_MODES = frozenset({"chat", "responses"})
# What MassGen's own listing leaves out whatever a map says: fine-tunes, containers, and its
# universal non-chat families (speech, embeddings, image and video, safety classifiers).
_NOT_LISTED = re.compile(
    r"^(ft:|whisper|tts-|text-embedding|dall-e|sora)|(^|/)container$"
    r"|-guard|-safeguard|-moderation|-audio-|-transcribe|-tts|-embed|orpheus",
    re.I,
)


def _catalog(catalog: Catalog | None) -> Catalog:
    if catalog is not None:
        return catalog
    from .. import default_catalog

    return default_catalog()


_endpoint_catalogs: dict[tuple[str, str | None], Catalog] = {}


def _endpoint_catalog(base_url: str, api_key: str | None) -> Catalog:
    """A catalog that also lists MassGen's ``chatcompletion`` server at ``base_url``."""
    key = (base_url, api_key)
    if key not in _endpoint_catalogs:
        from ..catalog import Catalog

        _endpoint_catalogs[key] = Catalog(sources=[BUNDLED], endpoints={"chatcompletion": (base_url, api_key)})
    return _endpoint_catalogs[key]


def _default_model(provider: str) -> str | None:
    import sys

    if "massgen.backend.capabilities" in sys.modules:  # MassGen's own table when it is loaded
        caps = getattr(sys.modules["massgen.backend.capabilities"], "BACKEND_CAPABILITIES", {})
        entry = caps.get(provider) if isinstance(caps, Mapping) else None
        default = getattr(entry, "default_model", None)
        if isinstance(default, str) and default != "custom":
            return default
    return DEFAULT_MODELS.get(provider) or DEFAULT_MODELS.get(_norm(provider))


def _listable(record: ModelRecord, litellm_provider: str) -> bool:
    """MassGen's listing rules: chat or responses models it can use, tool-capable on OpenRouter."""
    if record.available is False or _NOT_LISTED.search(record.model_id):
        return False
    if record.mode is not None and record.mode not in _CHAT_MODES:
        return False
    return not (litellm_provider == "openrouter" and record.supports_function_calling is not True)


async def _listing(
    provider: str, use_cache: bool, catalog: Catalog | None, base_url: str | None, api_key: str | None
) -> list[ModelRecord]:
    """The records MassGen would list for ``provider``: default model first, then newest first."""
    litellm_provider = resolve_provider(provider)
    if litellm_provider is None:
        if base_url is None:
            return []  # chatcompletion without a server to ask
        cat, litellm_provider = _endpoint_catalog(base_url, api_key), "chatcompletion"
    else:
        cat = _catalog(catalog)
    if not use_cache:
        await _refresh_provider(litellm_provider, cat)
    records = [r for r in await cat.alist_models(litellm_provider) if _listable(r, litellm_provider)]
    created = cat.listed_created(litellm_provider)
    default = _default_model(provider)
    # sorted() is stable: models without a date keep the catalog's order.
    return sorted(records, key=lambda r: (r.model_id != default, -created.get(r.model_id, -math.inf)))


async def _refresh_provider(litellm_provider: str, catalog: Catalog) -> None:
    from ..providers import provider_info

    source = provider_info(litellm_provider).live_source or litellm_provider
    if source in {s.source for s in await catalog.astatus() if s.live}:
        await catalog.arefresh([source])


def _sync(coro: Coroutine[Any, Any, list[_T]], what: str) -> list[_T]:
    """A sync twin's answer: the coroutine run to completion (inside a running loop too), ``[]`` on failure."""
    from .._orchestration.sync import run_sync

    try:
        return run_sync(coro)
    except Exception as exc:  # a UI helper: never raise
        _log.debug("%s failed: %s", what, exc)
        return []


async def get_models_for_provider(
    provider: str,
    use_cache: bool = True,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    catalog: Catalog | None = None,
) -> list[str]:
    """MassGen's ``get_models_for_provider``: model ids, the default first, then newest first.

    ``use_cache=False`` refreshes the provider's live source first. ``base_url`` (and ``api_key``)
    name the server of MassGen's ``chatcompletion`` backend. ``[]`` on any failure, never raises.
    """
    try:
        return [r.model_id for r in await _listing(provider, use_cache, catalog, base_url, api_key)]
    except Exception as exc:  # a UI helper: never raise
        _log.debug("listing %s failed: %s", provider, exc)
        return []


def get_models_for_provider_sync(
    provider: str,
    use_cache: bool = True,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    catalog: Catalog | None = None,
) -> list[str]:
    """Sync :func:`get_models_for_provider`; works inside a running event loop too."""
    coro = get_models_for_provider(provider, use_cache, base_url=base_url, api_key=api_key, catalog=catalog)
    return _sync(coro, f"listing {provider}")


def _per_million(value: float | None) -> float | None:
    return None if value is None else round(value * 1_000_000, 6)


def _metadata(record: ModelRecord) -> dict[str, Any]:
    live = [s for s in record.sources if s != BUNDLED and not s.startswith("huggingface:")]
    return {
        # MassGen's own keys
        "id": record.model_id,
        "name": record.model_id,
        "supported_reasoning_efforts": [],
        "default_reasoning_effort": None,
        # what the catalog adds; None where nobody knows
        "model": record.model,
        "mode": record.mode,
        "context_length": record.max_input_tokens,
        "max_output_tokens": record.max_output_tokens,
        "input_price_per_1m": _per_million(record.input_cost_per_token),
        "output_price_per_1m": _per_million(record.output_cost_per_token),
        "supports_tools": record.supports_function_calling,
        "supports_vision": record.supports_vision,
        "supports_structured_output": record.supports_response_schema,
        "supports_reasoning": record.supports_reasoning,
        "available": record.available,
        "source": live[0] if live else BUNDLED,
    }


async def get_model_metadata_for_provider(
    provider: str,
    use_cache: bool = True,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    catalog: Catalog | None = None,
) -> list[dict[str, Any]]:
    """MassGen's ``get_model_metadata_for_provider``: one dict per listed model, in listing order.

    MassGen's keys (``id``, ``name``, ``supported_reasoning_efforts``, ``default_reasoning_effort``)
    plus ``model``, ``mode``, ``context_length``, ``max_output_tokens``, prices per 1M, capability
    flags, ``available`` and ``source``; unknown values are None. ``[]`` on any failure.
    """
    try:
        return [_metadata(r) for r in await _listing(provider, use_cache, catalog, base_url, api_key)]
    except Exception as exc:
        _log.debug("metadata for %s failed: %s", provider, exc)
        return []


def get_model_metadata_for_provider_sync(
    provider: str,
    use_cache: bool = True,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    catalog: Catalog | None = None,
) -> list[dict[str, Any]]:
    """Sync :func:`get_model_metadata_for_provider`; works inside a running event loop too."""
    coro = get_model_metadata_for_provider(provider, use_cache, base_url=base_url, api_key=api_key, catalog=catalog)
    return _sync(coro, f"metadata for {provider}")


def _record(provider: str | None, model: str, catalog: Catalog | None) -> ModelRecord | None:
    try:
        cat = _catalog(catalog)
        litellm_provider = resolve_provider(provider) if provider else None
        if litellm_provider and not model.startswith(f"{litellm_provider}/"):
            record = cat.get_model(f"{litellm_provider}/{model}")
            if record is not None:
                return record
        return cat.get_model(model)
    except Exception as exc:
        _log.debug("lookup of %s/%s failed: %s", provider, model, exc)
        return None


# -- pricing ------------------------------------------------------------------------------------


@dataclass
class ModelPricing:
    """MassGen's ``ModelPricing``, field for field (used when MassGen is not installed)."""

    input_cost_per_1k: float
    """USD per 1,000 input tokens (NaN: unknown)."""
    output_cost_per_1k: float
    """USD per 1,000 output tokens (NaN: unknown)."""
    context_window: int | None = None
    """Input limit in tokens, None when unknown."""
    max_output_tokens: int | None = None
    """Output limit in tokens, None when unknown."""
    source: str = "unknown"
    """Where the prices came from."""


_pricing_class: Any = None


def _massgen_pricing_class() -> Any:
    """MassGen's own ``ModelPricing`` when MassGen is importable, else this module's twin."""
    global _pricing_class
    if _pricing_class is None:
        import importlib.util

        _pricing_class = ModelPricing
        try:
            if importlib.util.find_spec("massgen") is not None:
                from massgen.token_manager.token_manager import (  # type: ignore[import-not-found,unused-ignore]
                    ModelPricing as massgen_pricing,
                )

                _pricing_class = massgen_pricing
        except Exception as exc:  # an installed MassGen that cannot import: ours is the same shape
            _log.debug("MassGen's ModelPricing is not importable: %s", exc)
    return _pricing_class


def _per_1k(value: float | None) -> float:
    return math.nan if value is None else value * 1000


def get_model_pricing(provider: str | None, model: str, catalog: Catalog | None = None) -> Any:
    """MassGen's ``get_model_pricing``: a ``ModelPricing`` for the model, or None when it is unknown.

    Prices are per 1K tokens; a price the catalog does not know is NaN (MassGen's budget guard
    reads a non-finite cost as unknown), never 0. ``source`` names the source of the input price
    (``litellm``, ``groq``, ``huggingface:together``...).
    """
    record = _record(provider, model, catalog)
    if record is None:
        return None
    return _massgen_pricing_class()(
        input_cost_per_1k=_per_1k(record.input_cost_per_token),
        output_cost_per_1k=_per_1k(record.output_cost_per_token),
        context_window=record.max_input_tokens,
        max_output_tokens=record.max_output_tokens,
        source=record.provenance.get("input_cost_per_token", "unknown"),
    )


def model_pricing_dict(provider: str, model: str, catalog: Catalog | None = None) -> dict[str, Any] | None:
    """Prices per 1K and per token, context window and max output as a dict; None when unknown.

    A field nobody knows is None inside the dict; nothing is made up.
    """
    record = _record(provider, model, catalog)
    if record is None:
        return None
    inp, out = record.input_cost_per_token, record.output_cost_per_token
    return {
        "input_cost_per_token": inp,
        "output_cost_per_token": out,
        "input_per_1k": None if inp is None else inp * 1000,
        "output_per_1k": None if out is None else out * 1000,
        "context_window": record.max_input_tokens,
        "max_output_tokens": record.max_output_tokens,
    }


def get_context_window(provider: str, model: str, catalog: Catalog | None = None) -> int | None:
    """The model's context window in tokens, or None when unknown (never a default)."""
    record = _record(provider, model, catalog)
    return None if record is None else record.max_input_tokens


@dataclass(frozen=True)
class UsageTokens:
    """A usage object's tokens split the way they are billed."""

    input: int = 0
    """Prompt tokens billed at the input rate (cache reads and writes excluded)."""
    cache_read: int = 0
    """Prompt tokens read from the cache."""
    cache_write: int = 0
    """Prompt tokens written to the cache."""
    output: int = 0
    """Output tokens, reasoning included."""
    reasoning: int = 0
    """Of ``output``, the reasoning tokens (for display; already in ``output``)."""


def usage_tokens(usage: Any) -> UsageTokens:
    """Split a usage object or dict (OpenAI chat or responses, Anthropic, Gemini, LiteLLM) by billing rate.

    The reading is :func:`massgen_discovery.pricing.call_tokens`'s; this is its summary in MassGen's
    terms (audio and image prompt tokens in ``input``, every output kind in ``output``).
    """
    from .._domain.pricing import call_tokens

    t = call_tokens(usage)
    return UsageTokens(
        input=t.input + t.audio_input + t.image_input,
        cache_read=t.cached,
        cache_write=t.cache_write_5m + t.cache_write_1h,
        output=t.output + t.reasoning + t.audio_output + t.image_output,
        reasoning=t.reasoning,
    )


def _usage_cost(record: ModelRecord | None, tokens: CallTokens) -> float | None:
    """USD for ``tokens`` from the one price engine; None when a rate the usage needs is unknown."""
    from .._domain.pricing import UnknownPrice, price_call

    if record is None:
        return None
    try:
        return price_call(record, tokens).total
    except UnknownPrice:
        return None


_warned_unknown: set[str] = set()


def _unknown_cost(provider: str | None, model: str) -> float:
    key = f"{provider}/{model}"
    if key not in _warned_unknown:
        _warned_unknown.add(key)
        _log.warning("price of %s is unknown to the catalog: its cost is reported as NaN (unknown)", key)
    return math.nan


def calculate_cost_with_usage_object(
    model: str, usage: Any, provider: str | None = None, catalog: Catalog | None = None
) -> float:
    """MassGen's ``calculate_cost_with_usage_object``: USD for one call's usage, from the catalog.

    Priced by the one price engine (:func:`massgen_discovery.pricing.price_call`): cache reads,
    5-minute and 1-hour cache writes, reasoning, audio and context tiers each at their stated rate.
    No usage costs 0.0; a rate the usage needs that no source states gives NaN (unknown), never 0.
    """
    from .._domain.pricing import call_tokens

    if not usage:
        return 0.0
    tokens = call_tokens(usage)
    if not tokens:
        return 0.0
    cost = _usage_cost(_record(provider, model, catalog), tokens)
    return _unknown_cost(provider, model) if cost is None else cost


def calculate_cost(
    input_tokens: int, output_tokens: int, provider: str | None, model: str, catalog: Catalog | None = None
) -> float:
    """MassGen's ``calculate_cost``: USD for a call's token counts; NaN when a needed price is unknown."""
    from .._domain.pricing import CallTokens

    tokens = CallTokens(input=max(0, int(input_tokens or 0)), output=max(0, int(output_tokens or 0)))
    if not tokens:
        return 0.0
    cost = _usage_cost(_record(provider, model, catalog), tokens)
    return _unknown_cost(provider, model) if cost is None else cost


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
    return [(r.model_id, _describe(r)) for r in _sync(_listing(provider, True, catalog, None, None), "wizard choices")]


# -- patching an installed MassGen ----------------------------------------------------------------

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
