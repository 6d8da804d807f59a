"""MassGen's pricing and cost calls, answered by the price engine (:mod:`massgen_discovery.pricing`)."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._domain.pricing import CallTokens
    from ..catalog import Catalog
    from ..records import ModelRecord
from .massgen_models import catalog_record

__all__ = [
    "ModelPricing",
    "UsageTokens",
    "calculate_cost",
    "calculate_cost_with_usage_object",
    "get_context_window",
    "get_model_pricing",
    "model_pricing_dict",
    "usage_tokens",
]

_log = logging.getLogger(__name__)


@dataclass
class ModelPricing:
    """MassGen's ``ModelPricing``, field for field (used when MassGen is not installed)."""

    input_cost_per_1k: float
    """USD per 1,000 input tokens (NaN: unknown)."""
    output_cost_per_1k: float
    """USD per 1,000 output tokens (NaN: unknown)."""
    context_window: int | None = None
    """Input limit in tokens, None when unknown."""
    max_output_tokens: int | None = None
    """Output limit in tokens, None when unknown."""
    source: str = "unknown"
    """Where the prices came from."""


_pricing_class: Any = None


def _massgen_pricing_class() -> Any:
    """MassGen's own ``ModelPricing`` when MassGen is importable, else this module's twin."""
    global _pricing_class
    if _pricing_class is None:
        import importlib.util

        _pricing_class = ModelPricing
        try:
            if importlib.util.find_spec("massgen") is not None:
                from massgen.token_manager.token_manager import (  # type: ignore[import-not-found,unused-ignore]
                    ModelPricing as massgen_pricing,
                )

                _pricing_class = massgen_pricing
        except Exception as exc:  # an installed MassGen that cannot import: ours is the same shape
            _log.debug("MassGen's ModelPricing is not importable: %s", exc)
    return _pricing_class


def _per_1k(value: float | None) -> float:
    return math.nan if value is None else value * 1000


def get_model_pricing(provider: str | None, model: str, catalog: Catalog | None = None) -> Any:
    """MassGen's ``get_model_pricing``: a ``ModelPricing`` for the model, or None when it is unknown.

    Prices are per 1K tokens; a price the catalog does not know is NaN (MassGen's budget guard
    reads a non-finite cost as unknown), never 0. ``source`` names the source of the input price
    (``litellm``, ``groq``, ``huggingface:together``...).
    """
    record = catalog_record(provider, model, catalog)
    if record is None:
        return None
    return _massgen_pricing_class()(
        input_cost_per_1k=_per_1k(record.input_cost_per_token),
        output_cost_per_1k=_per_1k(record.output_cost_per_token),
        context_window=record.max_input_tokens,
        max_output_tokens=record.max_output_tokens,
        source=record.provenance.get("input_cost_per_token", "unknown"),
    )


def model_pricing_dict(provider: str, model: str, catalog: Catalog | None = None) -> dict[str, Any] | None:
    """Prices per 1K and per token, context window and max output as a dict; None when unknown.

    A field nobody knows is None inside the dict; nothing is made up.
    """
    record = catalog_record(provider, model, catalog)
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
    record = catalog_record(provider, model, catalog)
    return None if record is None else record.max_input_tokens


@dataclass(frozen=True)
class UsageTokens:
    """A usage object's tokens split the way they are billed."""

    input: int = 0
    """Prompt tokens billed at the input rate (cache reads and writes excluded)."""
    cache_read: int = 0
    """Prompt tokens read from the cache."""
    cache_write: int = 0
    """Prompt tokens written to the cache."""
    output: int = 0
    """Output tokens, reasoning included."""
    reasoning: int = 0
    """Of ``output``, the reasoning tokens (for display; already in ``output``)."""


def usage_tokens(usage: Any) -> UsageTokens:
    """Split a usage object or dict (OpenAI chat or responses, Anthropic, Gemini, LiteLLM) by billing rate.

    The reading is :func:`massgen_discovery.pricing.call_tokens`'s; this is its summary in MassGen's
    terms (audio and image prompt tokens in ``input``, every output kind in ``output``).
    """
    from .._domain.usage import call_tokens

    t = call_tokens(usage)
    return UsageTokens(
        input=t.input + t.audio_input + t.image_input,
        cache_read=t.cached,
        cache_write=t.cache_write_5m + t.cache_write_1h,
        output=t.output + t.reasoning + t.audio_output + t.image_output,
        reasoning=t.reasoning,
    )


def _usage_cost(record: ModelRecord | None, tokens: CallTokens) -> float | None:
    """USD for ``tokens`` from the one price engine; None when a rate the usage needs is unknown."""
    from .._domain.pricing import UnknownPrice, price_call

    if record is None:
        return None
    try:
        return price_call(record, tokens).total
    except UnknownPrice:
        return None


_warned_unknown: set[str] = set()


def _unknown_cost(provider: str | None, model: str) -> float:
    key = f"{provider}/{model}"
    if key not in _warned_unknown:
        _warned_unknown.add(key)
        _log.warning("price of %s is unknown to the catalog: its cost is reported as NaN (unknown)", key)
    return math.nan


def calculate_cost_with_usage_object(
    model: str, usage: Any, provider: str | None = None, catalog: Catalog | None = None
) -> float:
    """MassGen's ``calculate_cost_with_usage_object``: USD for one call's usage, from the catalog.

    Priced by the one price engine (:func:`massgen_discovery.pricing.price_call`): cache reads,
    5-minute and 1-hour cache writes, reasoning, audio and context tiers each at their stated rate.
    No usage costs 0.0; a rate the usage needs that no source states gives NaN (unknown), never 0.
    """
    from .._domain.pricing import InvalidTokens
    from .._domain.usage import call_tokens

    if not usage:
        return 0.0
    try:
        tokens = call_tokens(usage)
    except InvalidTokens as exc:  # garbage counts are not free: unknown, with one line in the log
        _log.warning("usage of %s/%s not priced: %s", provider, model, exc)
        return math.nan
    if not tokens:
        return 0.0
    cost = _usage_cost(catalog_record(provider, model, catalog), tokens)
    return _unknown_cost(provider, model) if cost is None else cost


def calculate_cost(
    input_tokens: int, output_tokens: int, provider: str | None, model: str, catalog: Catalog | None = None
) -> float:
    """MassGen's ``calculate_cost``: USD for a call's token counts; NaN when a needed price is unknown."""
    from .._domain.pricing import CallTokens, InvalidTokens

    try:
        tokens = CallTokens(input=input_tokens or 0, output=output_tokens or 0)
    except InvalidTokens as exc:  # garbage counts are not free: unknown, with one line in the log
        _log.warning("call to %s/%s not priced: %s", provider, model, exc)
        return math.nan
    if not tokens:
        return 0.0
    cost = _usage_cost(catalog_record(provider, model, catalog), tokens)
    return _unknown_cost(provider, model) if cost is None else cost
