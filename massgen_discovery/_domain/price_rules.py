"""Published pricing rules, and the rates in effect at an instant (dated prices, time-of-day bands).

A provider's rule is applied where no source states the rate itself (a batch discount, an input
rate that covers audio).

Rate names follow LiteLLM's, with two additions of this package for prices that move with time:

- ``<rate>_before_<YYYY-MM-DD>``: the rate for calls before that day (UTC), where a source states a
  price change (``input_cost_per_token_before_2026-12-01``). Several may be stated; a call on day
  ``d`` is billed at the one with the earliest date after ``d``, else at ``<rate>`` itself.
- ``<rate>_utc_<HHMM>_<HHMM>``: the rate between those UTC times of day, the end excluded; a band
  may wrap midnight (``input_cost_per_token_utc_1630_0030``: DeepSeek's off-peak hours).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import cache
from typing import NamedTuple

__all__ = [
    "RuleRate",
    "at_instant",
    "dated_name",
    "derived_rate",
    "inclusive_threshold",
    "time_band_name",
    "time_variant",
]

_DATED = re.compile(r"^(?P<base>.+)_before_(?P<day>\d{4}-\d{2}-\d{2})$")
_BAND = re.compile(r"^(?P<base>.+)_utc_(?P<start>\d{4})_(?P<end>\d{4})$")


def dated_name(rate: str, day: str) -> str:
    """The name of ``rate`` for calls before ``day`` (``YYYY-MM-DD``)."""
    return f"{rate}_before_{day}"


def time_band_name(rate: str, start: int, end: int) -> str:
    """The name of ``rate`` between two UTC times of day written ``HHMM`` (``1630``, ``30``)."""
    return f"{rate}_utc_{start:04d}_{end:04d}"


@cache
def time_variant(name: str) -> tuple[str, str, str] | None:
    """(the rate it varies, ``dated`` or ``band``, the day or ``HHMM_HHMM``) for a time variant's name, else None."""
    if (match := _DATED.match(name)) is not None:
        return match["base"], "dated", match["day"]
    if (match := _BAND.match(name)) is not None:
        return match["base"], "band", f"{match['start']}_{match['end']}"
    return None


def _in_band(minute: int, start: int, end: int) -> bool:
    start_m, end_m = (start // 100) * 60 + start % 100, (end // 100) * 60 + end % 100
    if start_m == end_m:
        return True
    if start_m < end_m:
        return start_m <= minute < end_m
    return minute >= start_m or minute < end_m  # wraps midnight


def at_instant(prices: Mapping[str, float], name: str, at: datetime | None) -> tuple[str, float] | None:
    """The variant of rate ``name`` in effect at ``at`` (default now): ``(name used, rate)``, or None.

    A time-of-day band that covers ``at`` wins over the plain rate; for an instant before a stated
    change, the dated rate applies (and bands are today's, so they apply only to calls after the
    last change). Only variants ``prices`` states are considered.
    """
    when = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    day = when.date().isoformat()
    dated: list[tuple[str, str]] = []
    bands: list[tuple[int, int, str]] = []
    for key in prices:
        if not key.startswith(name) or key == name:
            continue
        variant = time_variant(key)
        if variant is None or variant[0] != name:
            continue
        if variant[1] == "dated":
            dated.append((variant[2], key))
        else:
            start, end = variant[2].split("_")
            bands.append((int(start), int(end), key))
    later = sorted(d for d in dated if day < d[0])
    if later:
        key = later[0][1]
        return key, prices[key]
    minute = when.hour * 60 + when.minute
    for first, last, key in sorted(bands):
        if _in_band(minute, first, last):
            return key, prices[key]
    return None


_INCLUSIVE_PROVIDERS = frozenset({"xai"})
"""Providers whose long-context price starts at the threshold itself: xAI bills a prompt of exactly
200k tokens at the higher rate ("greater than or equal to 200k", docs.x.ai/docs/models)."""


def inclusive_threshold(provider: str) -> bool:
    """Whether ``provider``'s context tiers apply from the threshold itself (else from one token past it)."""
    return provider in _INCLUSIVE_PROVIDERS


class RuleRate(NamedTuple):
    """A rate the engine derived from a provider's published rule."""

    rate: float
    name: str
    """The stated rate it was derived from, in LiteLLM's names."""
    note: str
    """The rule, as the bill explains it."""


def _gemini(provider: str, model_id: str) -> bool:
    return provider in ("gemini", "vertex_ai") and "gemini" in model_id.lower()


def derived_rate(
    provider: str,
    model_id: str,
    part: str,
    name: str,
    standard: str,
    suffix: str,
    stated: Mapping[str, float],
) -> RuleRate | None:
    """A rate no source states, from the rule the provider publishes; None when no rule applies.

    ``name`` is the rate the call needs (``cache_creation_input_token_cost_above_1hr_batches``),
    ``standard`` the same rate without the service tier, ``suffix`` the tier's suffix, and
    ``stated`` every rate the record states (``{name: rate}``).

    - Anthropic's Batch API bills every token kind at 50% of its standard rate, and the discount
      stacks with prompt caching (1-hour cache writes included) (docs.anthropic.com, "Batch
      processing": "all usage is charged at 50% of the standard API prices").
    - Gemini's Batch API is 50% of the interactive price at every context length (the >200k tier
      included) (ai.google.dev/gemini-api/docs/batch-mode).
    - OpenAI's Batch API bills cached input at the standard cached-input rate: the batch discount
      does not apply on top of the cache discount (platform.openai.com/docs/pricing, Batch).
    - Gemini Pro bills audio input at its one input price ("text / image / video / audio"), where
      Flash models price audio apart (ai.google.dev/gemini-api/docs/pricing).
    """
    if suffix == "_batches" and standard in stated:
        if provider == "anthropic" or _gemini(provider, model_id):
            who = "Anthropic's" if provider == "anthropic" else "Gemini's"
            return RuleRate(0.5 * stated[standard], standard, f"{who} Batch API: 50% of {standard}")
        if provider in ("openai", "azure") and part == "cached":
            return RuleRate(stated[standard], standard, "OpenAI's Batch API bills cached input at the standard rate")
    if part == "audio_input" and _gemini(provider, model_id) and "-pro" in model_id.lower():
        text = name.replace("input_cost_per_audio_token", "input_cost_per_token")
        if text in stated:
            return RuleRate(stated[text], text, "Gemini Pro bills audio input at its input rate")
    return None
