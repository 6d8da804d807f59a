"""Together AI: ``GET https://api.together.xyz/v1/models`` answers a bare JSON array.

Each entry has ``type`` (chat, language, embedding, image, moderation, rerank, audio ...),
``context_length`` and ``pricing`` in USD per 1M tokens.
"""

from __future__ import annotations

from typing import Any

from ._listing import HostedListing, as_dict, generic_values, price

__all__ = ["TogetherSource"]


class TogetherSource(HostedListing):
    """Together AI's listing, with the user's key."""

    name = "together_ai"
    default_base_url = "https://api.together.xyz/v1"

    def entry_values(self, entry: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Generic fields plus per-1M prices (0 means no serverless price: unknown, not free)."""
        values, guessed = generic_values(entry)
        pricing = as_dict(entry.get("pricing"))
        for ours, theirs in (
            ("input_cost_per_token", "input"),
            ("output_cost_per_token", "output"),
            ("cache_read_input_token_cost", "cached_input"),
        ):
            value = price(pricing.get(theirs), 1e-6)
            if value is not None:
                values[ours] = value
        return values, guessed
