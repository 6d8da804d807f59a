"""What the package knows about each provider: names, credential env vars, how it is listed.

The README's providers table is generated from :data:`PROVIDERS` (``python -m
massgen_discovery.providers``) and a test keeps the two in sync.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["PROVIDERS", "ProviderInfo", "credential_for", "provider_info", "readme_table"]


@dataclass(frozen=True)
class ProviderInfo:
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
        ProviderInfo("openai", "OpenAI", ("OPENAI_API_KEY",), live_source="openai"),
        ProviderInfo("anthropic", "Anthropic", ("ANTHROPIC_API_KEY",), live_source="anthropic"),
        ProviderInfo("gemini", "Google Gemini", ("GEMINI_API_KEY",), live_source="gemini"),
        ProviderInfo("xai", "xAI", ("XAI_API_KEY",), live_source="xai"),
        ProviderInfo("groq", "Groq", ("GROQ_API_KEY",), live_source="groq"),
        ProviderInfo(
            "together_ai", "Together AI", ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY"), live_source="together_ai"
        ),
        ProviderInfo("cerebras", "Cerebras", ("CEREBRAS_API_KEY",), live_source="cerebras"),
        ProviderInfo("nebius", "Nebius AI Studio", ("NEBIUS_API_KEY",), live_source="nebius"),
        ProviderInfo("dashscope", "Qwen (DashScope)", ("DASHSCOPE_API_KEY", "QWEN_API_KEY"), live_source="dashscope"),
        ProviderInfo("moonshot", "Moonshot (Kimi)", ("MOONSHOT_API_KEY",), live_source="moonshot"),
        ProviderInfo("mistral", "Mistral", ("MISTRAL_API_KEY",), live_source="mistral"),
        ProviderInfo(
            "openrouter", "OpenRouter", ("OPENROUTER_API_KEY",), live_source="openrouter", public_listing=True
        ),
        ProviderInfo(
            "fireworks_ai", "Fireworks AI", ("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"), live_source="fireworks_ai"
        ),
        ProviderInfo("deepseek", "DeepSeek", ("DEEPSEEK_API_KEY",), live_source="deepseek"),
        ProviderInfo(
            "huggingface",
            "HuggingFace Inference Providers",
            ("HF_TOKEN", "HUGGINGFACE_API_KEY"),
            live_source="huggingface",
            public_listing=True,
        ),
        ProviderInfo("ollama", "Ollama", ("OLLAMA_API_KEY",), live_source="ollama", public_listing=True),
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
