"""MassGen-shaped helpers: the functions MassGen's model listing, pricing and setup wizard call.

MassGen names providers by backend type (``claude``, ``grok``, ``together``, ``chatcompletion``)
or by the display name its backends report (``"Together AI"``, ``"Cerebras AI"``, ``"Kimi"``);
:func:`resolve_provider` maps both to LiteLLM provider ids. Every function here is safe to call
from a UI: none raises for an unknown provider or a failing source, and unknown values stay None
(never a made-up 128k context window).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

from .sources import BUNDLED

if TYPE_CHECKING:
    from .catalog import Catalog
    from .records import ModelRecord

__all__ = [
    "BACKEND_PROVIDERS",
    "DISPLAY_NAME_PROVIDERS",
    "get_context_window",
    "get_model_metadata_for_provider",
    "get_model_pricing",
    "get_models_for_provider",
    "get_models_for_provider_sync",
    "resolve_provider",
    "wizard_choices",
]

_log = logging.getLogger(__name__)

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


def _catalog(catalog: Catalog | None) -> Catalog:
    if catalog is not None:
        return catalog
    from . import default_catalog

    return default_catalog()


def _chat_records(provider: str, catalog: Catalog | None) -> list[ModelRecord]:
    litellm_provider = resolve_provider(provider)
    if litellm_provider is None:
        return []
    records = _catalog(catalog).list_models(litellm_provider)
    return [r for r in records if r.mode in ("chat", None) and r.available is not False]


async def get_models_for_provider(provider: str, use_cache: bool = True, catalog: Catalog | None = None) -> list[str]:
    """Chat model ids a provider offers (its live listing when there is one); ``[]`` on any failure.

    ``use_cache=False`` refreshes the provider's live source first.
    """
    try:
        cat = _catalog(catalog)
        if not use_cache:
            await _refresh_provider(provider, cat)
        await cat.alist_models()  # warms the catalog without blocking the loop on a first fetch
        return sorted({r.model_id for r in _chat_records(provider, cat)})
    except Exception as exc:  # a UI helper: never raise
        _log.debug("listing %s failed: %s", provider, exc)
        return []


async def _refresh_provider(provider: str, catalog: Catalog) -> None:
    from .providers import provider_info

    litellm_provider = resolve_provider(provider)
    source = provider_info(litellm_provider).live_source if litellm_provider else None
    if source is not None and source in {s.source for s in await catalog.astatus() if s.live}:
        await catalog.arefresh([source])


def get_models_for_provider_sync(provider: str, use_cache: bool = True, catalog: Catalog | None = None) -> list[str]:
    """Sync :func:`get_models_for_provider`; works inside a running event loop too."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(get_models_for_provider(provider, use_cache, catalog))
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, get_models_for_provider(provider, use_cache, catalog)).result()


def _per_million(value: float | None) -> float | None:
    return None if value is None else round(value * 1_000_000, 6)


def _metadata(record: ModelRecord) -> dict[str, Any]:
    live = [s for s in record.sources if s != BUNDLED and not s.startswith("huggingface:")]
    return {
        "id": record.model_id,
        "name": record.model,
        "context_length": record.max_input_tokens,
        "max_output_tokens": record.max_output_tokens,
        "input_price_per_1m": _per_million(record.input_cost_per_token),
        "output_price_per_1m": _per_million(record.output_cost_per_token),
        "supports_tools": record.supports_function_calling,
        "supports_vision": record.supports_vision,
        "supports_structured_output": record.supports_response_schema,
        "supports_reasoning": record.supports_reasoning,
        "source": live[0] if live else BUNDLED,
    }


def get_model_metadata_for_provider(provider: str, catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """One dict per chat model: id, name, context, max output, prices per 1M, flags, source."""
    try:
        return [_metadata(r) for r in sorted(_chat_records(provider, catalog), key=lambda r: r.model_id)]
    except Exception as exc:
        _log.debug("metadata for %s failed: %s", provider, exc)
        return []


def _record(provider: str, model: str, catalog: Catalog | None) -> ModelRecord | None:
    try:
        cat = _catalog(catalog)
        litellm_provider = resolve_provider(provider)
        if litellm_provider and not model.startswith(f"{litellm_provider}/"):
            record = cat.get_model(f"{litellm_provider}/{model}")
            if record is not None:
                return record
        return cat.get_model(model)
    except Exception as exc:
        _log.debug("lookup of %s/%s failed: %s", provider, model, exc)
        return None


def get_model_pricing(provider: str, model: str, catalog: Catalog | None = None) -> dict[str, Any] | None:
    """Prices per 1K and per token, context window and max output; None when the model is unknown.

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


def _describe(record: ModelRecord) -> str:
    from .cli import format_price, format_tokens

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
    try:
        return [(r.model_id, _describe(r)) for r in sorted(_chat_records(provider, catalog), key=lambda r: r.model_id)]
    except Exception as exc:
        _log.debug("wizard choices for %s failed: %s", provider, exc)
        return []
