"""OpenRouter-style ``pricing`` blocks (OpenRouter, and every listing that copies its shape) in LiteLLM's names."""

from __future__ import annotations

from typing import Any

from ._values import as_dict, as_list, price

__all__ = ["pricing_values"]


def pricing_values(pricing: Any, *, zero_is_free: bool = True) -> dict[str, Any]:
    """Prices from an OpenRouter-style ``pricing`` block (decimal strings or numbers), in LiteLLM's names.

    ``prompt`` / ``completion`` / ``input_cache_read`` / ``input_cache_write`` are USD per token and
    fill the record's base fields; ``internal_reasoning`` and ``audio`` (per token), ``request``
    (per call) and ``image`` (per input image) go to ``prices``. OpenRouter documents ``"0"`` as
    free and ``"-1"`` as variable (unknown).
    """
    block = as_dict(pricing)
    out: dict[str, Any] = {}
    for ours, theirs in _PRICING_BASE:
        value = price(block.get(theirs), zero_is_free=zero_is_free)
        if value is not None:
            out[ours] = value
    extras: dict[str, float] = {}
    for ours, theirs in _PRICING_EXTRAS:
        # "0" here means no fee of its own (reasoning is then billed as output): nothing to keep.
        value = price(block.get(theirs))
        if value:
            extras[ours] = value
    extras.update(_overrides(block, {**out, **extras}, zero_is_free=zero_is_free))
    if extras:
        out["prices"] = extras
    return out


def _overrides(block: dict[str, Any], base: dict[str, Any], *, zero_is_free: bool) -> dict[str, float]:
    """OpenRouter's ``pricing.overrides``, in rate names the price engine reads.

    An entry with ``min_prompt_tokens: N`` prices the whole call once the prompt is over N tokens
    (``input_cost_per_token_above_200k_tokens``); one with ``utc_start`` / ``utc_end`` (``HHMM``,
    UTC, the end excluded, wrapping midnight) applies between those times of day
    (``input_cost_per_token_utc_1000_0100``). A rate an entry leaves out is the one below it: the
    next lower prompt-size entry's, else the base rate.
    """
    from .._domain.price_rules import time_band_name

    entries = [e for e in as_list(block.get("overrides")) if isinstance(e, dict)]
    out: dict[str, float] = {}
    floors: list[tuple[int, dict[str, Any]]] = []
    for entry in entries:
        floor = entry.get("min_prompt_tokens")
        if isinstance(floor, int) and not isinstance(floor, bool) and 0 < floor <= 100_000_000:
            floors.append((floor, entry))
            continue
        start, end = entry.get("utc_start"), entry.get("utc_end")
        if not all(_hhmm(t) for t in (start, end)):
            continue  # a condition this reader does not know: its prices are not applied
        for ours, theirs in (*_PRICING_BASE, *_PRICING_EXTRAS):
            value = price(entry.get(theirs), zero_is_free=zero_is_free)
            if value is not None:
                out[time_band_name(ours, int(start) % 2400, int(end) % 2400)] = value  # type: ignore[arg-type]
    below = dict(base)
    for floor, entry in sorted(floors, key=lambda f: f[0]):
        label = f"{floor / 1000:g}k"
        tier = dict(below)
        for ours, theirs in (*_PRICING_BASE, *_PRICING_EXTRAS):
            value = price(entry.get(theirs), zero_is_free=zero_is_free)
            if value is not None:
                tier[ours] = value
        for ours, value in tier.items():
            if isinstance(value, (int, float)) and ours != "input_cost_per_request":
                out[f"{ours}_above_{label}_tokens"] = float(value)
        below = tier
    return out


def _hhmm(value: Any) -> bool:
    """A UTC time of day written ``HHMM`` as a number (``1630``, ``100``, ``0``)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2400 and value % 100 < 60


_PRICING_BASE = (
    ("input_cost_per_token", "prompt"),
    ("output_cost_per_token", "completion"),
    ("cache_read_input_token_cost", "input_cache_read"),
    ("cache_creation_input_token_cost", "input_cache_write"),
)


_PRICING_EXTRAS = (
    ("output_cost_per_reasoning_token", "internal_reasoning"),
    ("cache_creation_input_token_cost_above_1hr", "input_cache_write_1h"),
    ("input_cost_per_audio_token", "audio"),
    ("cache_read_input_audio_token_cost", "input_audio_cache"),
    ("output_cost_per_audio_token", "audio_output"),
    ("output_cost_per_image_token", "image_output"),
    ("input_cost_per_request", "request"),
    ("input_cost_per_image", "image"),
)
