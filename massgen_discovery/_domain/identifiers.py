"""Source names every layer shares (sources, reconcile, the store): defined here, below all of them."""

from __future__ import annotations

__all__ = [
    "BUNDLED",
    "HEURISTIC_PREFIX",
    "OVERRIDE_SOURCE",
    "REFRESH_MODES",
    "SECOND_OPINION",
    "endpoint_key_var",
    "refresh_mode_var",
]

REFRESH_MODES = ("auto", "manual")
"""``auto``: lookups fetch a source when its data is missing or expired; ``manual``: only ``refresh`` does."""

BUNDLED = "litellm"
"""The bundled LiteLLM map's source name (in ``sources`` and ``provenance``)."""
SECOND_OPINION = "modelsdev"
"""models.dev's source name: a curated catalog that ranks below LiteLLM's map, above heuristics."""
THIRD_OPINION = "genai-prices"
"""genai-prices' source name: prices (dated, time-of-day, service tiers) ranked beside models.dev."""
OVERRIDE_SOURCE = "override"
"""Provenance of a value set by the user (``Catalog(overrides=...)``)."""
HEURISTIC_PREFIX = "heuristic:"
"""Provenance prefix of a value guessed rather than read (``heuristic:model-id``)."""


def endpoint_key_var(name: str) -> str:
    """The variable that holds a named endpoint's key: ``MASSGEN_DISCOVERY_<NAME>_API_KEY``."""
    return f"MASSGEN_DISCOVERY_{name.upper()}_API_KEY"


def refresh_mode_var(name: str) -> str:
    """The variable that sets a source's or endpoint's refresh mode: ``MASSGEN_DISCOVERY_<NAME>_REFRESH``."""
    return f"MASSGEN_DISCOVERY_{name.upper()}_REFRESH"
