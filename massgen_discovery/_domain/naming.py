"""The strings users type for a model, and the canonical keys they may mean.

A lookup tries, in order, the string as given and then each rewrite below; the catalog checks
every candidate against record keys, LiteLLM's own keys (aliases) and, last, case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

__all__ = ["PREFIX_ALIASES", "lookup_candidates", "provider_id"]

PREFIX_ALIASES: dict[str, str] = {
    # LiteLLM's own second names for a provider.
    "ollama_chat": "ollama",
    "together": "together_ai",
    "fireworks": "fireworks_ai",
    "hf": "huggingface",
    "vllm": "hosted_vllm",
    "lmstudio": "lm_studio",
    "azure_openai": "azure",
    "google": "gemini",
    # MassGen's backend names.
    "claude": "anthropic",
    "grok": "xai",
    "qwen": "dashscope",
    "kimi": "moonshot",
    "nvidia": "nvidia_nim",
}
"""Prefix typed -> LiteLLM provider id."""


def lookup_candidates(name: str) -> Iterator[str]:
    """Yield the keys ``name`` may stand for, most literal first, without repeats."""
    seen: set[str] = set()

    def fresh(candidate: str) -> bool:
        if candidate and candidate not in seen:
            seen.add(candidate)
            return True
        return False

    name = name.strip()
    forms = [name]
    prefix, sep, rest = name.partition("/")
    if sep and prefix.lower() in PREFIX_ALIASES and rest:
        forms.append(f"{PREFIX_ALIASES[prefix.lower()]}/{rest}")
    for form in forms:
        if fresh(form):
            yield form
        provider, sep, model_id = form.partition("/")
        if sep and provider == "ollama":
            # Ollama names a model's default tag ":latest" and lets users leave it out.
            if model_id.endswith(":latest"):
                alt = f"ollama/{model_id[: -len(':latest')]}"
            elif ":" not in model_id:
                alt = f"ollama/{model_id}:latest"
            else:
                alt = ""
            if fresh(alt):
                yield alt


def provider_id(provider: str, names: Callable[[], Iterable[str]]) -> str:
    """``provider`` as the records spell it.

    LiteLLM's and MassGen's second names (``together``, ``google``, ``claude``) mean
    ``together_ai``, ``gemini``, ``anthropic``, unless some record (an endpoint named so) is under
    that very name; ``names`` gives the catalog's model strings, asked only for a second name.
    """
    alias = PREFIX_ALIASES.get(provider.lower())
    if alias is None or alias == provider:
        return provider
    prefix = f"{provider}/"
    return provider if any(name.startswith(prefix) for name in names()) else alias
