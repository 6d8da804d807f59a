"""What the package knows about each provider: names, credential env vars, how it is listed.

Each provider is declared here once: the live-source registry (:mod:`massgen_discovery.sources`)
and each hosted source's credential variables are derived from :data:`PROVIDERS`, and so is the
README's providers table (``python -m massgen_discovery.providers``; a test keeps the two in sync).

The annotations here are evaluated, not strings: a ``NamedTuple`` of string annotations compiles a
forward reference per field on import, which every cold lookup would pay.
"""

import os
from typing import NamedTuple

__all__ = ["PROVIDERS", "ProviderInfo", "credential_for", "provider_info", "readme_table"]


class ProviderInfo(NamedTuple):
    """How one provider is named, authenticated and listed."""

    provider: str
    """LiteLLM provider id."""
    display_name: str
    """Human name."""
    env_vars: tuple[str, ...] = ()
    """Credential variables, LiteLLM's name first; the first one set is used."""
    live_source: str | None = None
    """Name of the live source that lists it, or None when only LiteLLM's map describes it."""
    public_listing: bool = False
    """True when the live listing works without a credential."""
    source: str | None = None
    """Where the live source's class lives (``"module:Class"``), imported on first use."""

    def listing(self, live_sources: frozenset[str] | set[str]) -> str:
        """How it is listed with the current environment: live public / live with key / bundled only."""
        if self.live_source is None:
            return "bundled only"
        if not self.public_listing and credential_for(self) is None:
            return f"bundled only (set {self.env_vars[0]} for live listing)"
        if self.live_source not in live_sources:
            return "bundled only"
        return "live public" if self.public_listing else "live with key"


PROVIDERS: dict[str, ProviderInfo] = {
    p.provider: p
    for p in (
        ProviderInfo(
            "openai",
            "OpenAI",
            ("OPENAI_API_KEY",),
            live_source="openai",
            source="massgen_discovery.sources.hosted:OpenAISource",
        ),
        ProviderInfo(
            "anthropic",
            "Anthropic",
            ("ANTHROPIC_API_KEY",),
            live_source="anthropic",
            source="massgen_discovery.sources.anthropic:AnthropicSource",
        ),
        ProviderInfo(
            "gemini",
            "Google Gemini",
            ("GEMINI_API_KEY",),
            live_source="gemini",
            source="massgen_discovery.sources.gemini:GeminiSource",
        ),
        ProviderInfo(
            "xai", "xAI", ("XAI_API_KEY",), live_source="xai", source="massgen_discovery.sources.xai:XAISource"
        ),
        ProviderInfo(
            "groq", "Groq", ("GROQ_API_KEY",), live_source="groq", source="massgen_discovery.sources.hosted:GroqSource"
        ),
        ProviderInfo(
            "together_ai",
            "Together AI",
            ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"),
            live_source="together_ai",
            source="massgen_discovery.sources.together:TogetherSource",
        ),
        ProviderInfo(
            "cerebras",
            "Cerebras",
            ("CEREBRAS_API_KEY",),
            live_source="cerebras",
            source="massgen_discovery.sources.hosted:CerebrasSource",
        ),
        ProviderInfo(
            "nebius",
            "Nebius AI Studio",
            ("NEBIUS_API_KEY",),
            live_source="nebius",
            source="massgen_discovery.sources.hosted:NebiusSource",
        ),
        ProviderInfo(
            "dashscope",
            "Qwen (DashScope)",
            ("DASHSCOPE_API_KEY", "QWEN_API_KEY"),
            live_source="dashscope",
            source="massgen_discovery.sources.hosted:DashScopeSource",
        ),
        ProviderInfo(
            "moonshot",
            "Moonshot (Kimi)",
            ("MOONSHOT_API_KEY",),
            live_source="moonshot",
            source="massgen_discovery.sources.hosted:MoonshotSource",
        ),
        ProviderInfo(
            "mistral",
            "Mistral",
            ("MISTRAL_API_KEY",),
            live_source="mistral",
            source="massgen_discovery.sources.mistral:MistralSource",
        ),
        ProviderInfo(
            "openrouter",
            "OpenRouter",
            ("OPENROUTER_API_KEY",),
            live_source="openrouter",
            public_listing=True,
            source="massgen_discovery.sources.openrouter:OpenRouterSource",
        ),
        ProviderInfo(
            "fireworks_ai",
            "Fireworks AI",
            ("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"),
            live_source="fireworks_ai",
            source="massgen_discovery.sources.hosted:FireworksSource",
        ),
        ProviderInfo(
            "deepseek",
            "DeepSeek",
            ("DEEPSEEK_API_KEY",),
            live_source="deepseek",
            source="massgen_discovery.sources.hosted:DeepSeekSource",
        ),
        ProviderInfo(
            "huggingface",
            "HuggingFace Inference Providers",
            ("HF_TOKEN", "HUGGINGFACE_API_KEY"),
            live_source="huggingface",
            public_listing=True,
            source="massgen_discovery.sources.huggingface:HuggingFaceSource",
        ),
        ProviderInfo(
            "ollama",
            "Ollama",
            ("OLLAMA_API_KEY",),
            live_source="ollama",
            public_listing=True,
            source="massgen_discovery.sources.ollama:OllamaSource",
        ),
    )
}
"""The providers MassGen users pick from, in display order."""


def provider_info(provider: str) -> ProviderInfo:
    """The entry for ``provider``, or a bundled-only entry for any other LiteLLM provider."""
    return PROVIDERS.get(provider) or ProviderInfo(provider, provider)


def credential_for(info: ProviderInfo) -> str | None:
    """The first credential env var of the provider that is set, or None."""
    for var in info.env_vars:
        value = os.environ.get(var)
        if value:
            return value
    return None


def readme_table() -> str:
    """The README's providers table, as Markdown."""
    lines = [
        "| provider | LiteLLM id | credential env vars | live listing |",
        "|---|---|---|---|",
    ]
    for info in PROVIDERS.values():
        env = ", ".join(f"`{v}`" for v in info.env_vars) or "none"
        if info.live_source is None:
            live = "not yet: LiteLLM's bundled map only"
        elif info.public_listing:
            live = f"`{info.live_source}` source, no key needed"
        else:
            live = f"`{info.live_source}` source, with a key"
        lines.append(f"| {info.display_name} | `{info.provider}` | {env} | {live} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(readme_table())
