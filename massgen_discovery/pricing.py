"""One price engine: what one call costs, on every dimension a price has.

The public import path; the implementation lives in :mod:`massgen_discovery._domain.pricing`.
"""

from ._domain.pricing import (
    BASE_PRICE_FIELDS,
    CACHE_TTLS,
    SERVICE_TIERS,
    Bill,
    CallTokens,
    PricePart,
    UnknownPrice,
    call_tokens,
    context_base,
    context_tiers,
    price_call,
)

__all__ = [
    "BASE_PRICE_FIELDS",
    "CACHE_TTLS",
    "SERVICE_TIERS",
    "Bill",
    "CallTokens",
    "PricePart",
    "UnknownPrice",
    "call_tokens",
    "context_base",
    "context_tiers",
    "price_call",
]
