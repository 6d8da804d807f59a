"""xAI: ``GET https://api.x.ai/v1/language-models``, richer than ``/v1/models``.

Entries carry modalities, ``aliases`` and prices in US cents per 100M tokens
(``prompt_text_token_price: 30000`` is $3 per 1M tokens).
"""

from __future__ import annotations

from typing import Any

from ._listing import HostedListing, as_list, generic_values, price

__all__ = ["XAISource"]

_CENTS_PER_100M = 1e-10
"""US cents per 100M tokens -> USD per token."""


class XAISource(HostedListing):
    """xAI's language-model listing, with the user's key."""

    name = "xai"
    default_base_url = "https://api.x.ai/v1"
    path = "/language-models"

    def entry_values(self, entry: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Generic fields plus prices; every language model is a chat model."""
        values, _ = generic_values(entry)
        values["mode"] = "chat"
        for ours, theirs in (
            ("input_cost_per_token", "prompt_text_token_price"),
            ("output_cost_per_token", "completion_text_token_price"),
            ("cache_read_input_token_cost", "cached_prompt_text_token_price"),
        ):
            value = price(entry.get(theirs), _CENTS_PER_100M)
            if value is not None:
                values[ours] = value
        if isinstance(values.get("input_modalities"), list):
            values["supports_vision"] = "image" in values["input_modalities"]
        return values, set()

    def entry_ids(self, entry: dict[str, Any]) -> list[str]:
        """The entry's id and each of its aliases (``grok-3-latest``)."""
        ids = super().entry_ids(entry)
        ids += [a for a in as_list(entry.get("aliases")) if isinstance(a, str) and a and a not in ids]
        return ids
