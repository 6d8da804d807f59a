"""Hosted providers whose listing is a plain OpenAI-compatible ``GET /models`` with a Bearer key.

Each class only names the provider, its API root and its key variables; the fields each one sends
beyond ``id`` (Groq's ``context_window`` and ``active``, Moonshot's ``context_length`` and
``supports_*``, Fireworks' ``supports_tools``) are the spellings :func:`generic_values` reads.
Nebius adds prices in its verbose listing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._listing import HostedListing, as_dict, generic_values, price

if TYPE_CHECKING:
    import httpx

    from ._http import ConditionalGet

__all__ = [
    "CerebrasSource",
    "DashScopeSource",
    "DeepSeekSource",
    "FireworksSource",
    "GroqSource",
    "MoonshotSource",
    "NebiusSource",
    "OpenAISource",
]


class OpenAISource(HostedListing):
    """``GET https://api.openai.com/v1/models``: ids only; modes come from the ids."""

    name = "openai"
    default_base_url = "https://api.openai.com/v1"


class GroqSource(HostedListing):
    """``GET https://api.groq.com/openai/v1/models``: ``context_window``, ``max_completion_tokens``, ``active``."""

    name = "groq"
    default_base_url = "https://api.groq.com/openai/v1"


class CerebrasSource(HostedListing):
    """``GET https://api.cerebras.ai/v1/models``: ids only."""

    name = "cerebras"
    default_base_url = "https://api.cerebras.ai/v1"


class DashScopeSource(HostedListing):
    """Qwen on Alibaba Cloud Model Studio, OpenAI-compatible mode (international endpoint)."""

    name = "dashscope"
    default_base_url = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"


class MoonshotSource(HostedListing):
    """``GET https://api.moonshot.ai/v1/models``: ``context_length``, ``supports_image_in``, ``supports_reasoning``."""

    name = "moonshot"
    default_base_url = "https://api.moonshot.ai/v1"

    def entry_values(self, entry: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Generic fields plus the image/video input flags as modalities."""
        values, guessed = generic_values(entry)
        inputs = ["text"]
        if entry.get("supports_image_in") is True:
            inputs.append("image")
        if entry.get("supports_video_in") is True:
            inputs.append("video")
        if any(isinstance(entry.get(k), bool) for k in ("supports_image_in", "supports_video_in")):
            values["input_modalities"] = inputs
        return values, guessed


class NebiusSource(HostedListing):
    """``GET https://api.studio.nebius.com/v1/models?verbose=true``: the verbose listing carries prices."""

    name = "nebius"
    default_base_url = "https://api.studio.nebius.com/v1"

    async def fetch(
        self, client: httpx.AsyncClient, previous: Any = None, *, validators: ConditionalGet | None = None
    ) -> Any:
        """The verbose listing."""
        return await self.get(client, self._url(self.path), params={"verbose": "true"}, validators=validators)

    def entry_values(self, entry: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Generic fields plus ``pricing.prompt`` / ``pricing.completion``."""
        values, guessed = generic_values(entry)
        pricing = as_dict(entry.get("pricing"))
        for ours, theirs in (("input_cost_per_token", "prompt"), ("output_cost_per_token", "completion")):
            value = price(pricing.get(theirs))
            if value is not None:
                # The verbose listing gives USD per token; a figure above $0.001 per token can only
                # be a per-1M price (no model costs $1,000 per 1M tokens), so it is scaled.
                values[ours] = value / 1_000_000 if value > 1e-3 else value
        return values, guessed


class FireworksSource(HostedListing):
    """``GET https://api.fireworks.ai/inference/v1/models``: ``supports_chat``, ``supports_tools`` and more."""

    name = "fireworks_ai"
    default_base_url = "https://api.fireworks.ai/inference/v1"


class DeepSeekSource(HostedListing):
    """``GET https://api.deepseek.com/models``: ids only."""

    name = "deepseek"
    default_base_url = "https://api.deepseek.com"
