"""MassGen's model lists and metadata from the catalog: providers, listings, context windows."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ..sources import BUNDLED

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..records import ModelRecord


__all__ = [
    "BACKEND_PROVIDERS",
    "DEFAULT_MODELS",
    "DISPLAY_NAME_PROVIDERS",
    "get_model_metadata_for_provider",
    "get_model_metadata_for_provider_sync",
    "get_models_for_provider",
    "get_models_for_provider_sync",
    "resolve_provider",
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


async def provider_listing(
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


def run_listing(coro: Coroutine[Any, Any, list[_T]], what: str) -> list[_T]:
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
        return [r.model_id for r in await provider_listing(provider, use_cache, catalog, base_url, api_key)]
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
    return run_listing(coro, f"listing {provider}")


def _per_million(value: float | None) -> float | None:
    return None if value is None else round(value * 1_000_000, 6)


def _metadata(record: ModelRecord) -> dict[str, Any]:
    from .._domain.identifiers import SECOND_OPINION, THIRD_OPINION

    # A live listing first; the curated catalogs after it; genai-prices' prices are bundled data.
    live = sorted(
        (s for s in record.sources if s not in (BUNDLED, THIRD_OPINION) and not s.startswith("huggingface:")),
        key=lambda s: s == SECOND_OPINION,
    )
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
        return [_metadata(r) for r in await provider_listing(provider, use_cache, catalog, base_url, api_key)]
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
    return run_listing(coro, f"metadata for {provider}")


def catalog_record(provider: str | None, model: str, catalog: Catalog | None) -> ModelRecord | None:
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
