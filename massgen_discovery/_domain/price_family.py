"""How prices from several sources combine: one price family per source, real prices over a plan's 0.

A record's rates are merged field by field like its other values, with three rules on top: a 0 next
to another source's real price loses to it; the rates of one price family (input, output, cache
read and writes) come from the source of its input rate; a context tier stays with the source of
the rate it raises.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from ..records import MERGEABLE_FIELDS, Conflict
from .identifiers import OVERRIDE_SOURCE
from .price_rules import time_band_name, time_variant
from .pricing import SERVICE_TIERS

__all__ = [
    "RANK_OVERRIDE",
    "base_rate",
    "one_price_family",
    "real_price_first",
    "same_source_tiers",
    "variants_follow_their_base",
]

RANK_OVERRIDE = 1
"""The precedence rank of the user's overrides (as :mod:`.reconcile` ranks them)."""

_FIELD_SET = frozenset(MERGEABLE_FIELDS)

_FAMILY = ("output_cost_per_token", "cache_read_input_token_cost", "cache_creation_input_token_cost")
"""The rates of one price family besides the input rate (the 1-hour cache write is in ``prices``)."""
_FAMILY_PRICES = ("cache_creation_input_token_cost_above_1hr",)


def real_price_first(candidates: list[tuple[int, str, Any]]) -> list[tuple[int, str, Any]]:
    """A price of 0 next to another source's real price loses to it; a user's override of 0 stands.

    A gateway's or a plan's 0 is not the provider's price.
    """
    head_rank, _, head = candidates[0]
    if head != 0 or head_rank == RANK_OVERRIDE:
        return candidates
    real = [c for c in candidates if isinstance(c[2], (int, float)) and c[2] > 0]
    if not real:
        return candidates
    return [real[0], *(c for c in candidates if c is not real[0])]


def one_price_family(
    values: dict[str, Any],
    prices: dict[str, float],
    provenance: dict[str, str],
    conflicts: list[Conflict],
    stated_by: Mapping[str, Mapping[str, Any]],
) -> None:
    """Keep a price family to the source of its input rate.

    No rate is mixed in from a source that quotes another input rate, and no cache read is dearer
    than the input it discounts. A rate from another source stays when that source states the
    same input rate (within 1%: the same family) or when either is the user's override; otherwise
    it is set aside as a conflict (kept: unknown, from the input rate's source) and is unknown.
    """
    head = provenance.get("input_cost_per_token")
    base = values.get("input_cost_per_token")
    if head is None or not isinstance(base, (int, float)):
        return
    for name in (*_FAMILY, *_FAMILY_PRICES):
        holder: dict[str, Any] = values if name in _FIELD_SET else prices
        src = provenance.get(name)
        value = holder.get(name)
        if src is None or value is None:
            continue
        theirs = stated_by.get(src, {}).get("input_cost_per_token")
        same_family = (
            src == head
            or OVERRIDE_SOURCE in (src, head)
            or (isinstance(theirs, (int, float)) and math.isclose(theirs, base, rel_tol=0.01))
        )
        dearer_read = name == "cache_read_input_token_cost" and src != head and value > base > 0
        if same_family and not dearer_read:
            continue
        del holder[name]
        provenance.pop(name)
        conflicts.append(Conflict(field=name, kept_value=None, kept_source=head, other_value=value, other_source=src))


def same_source_tiers(
    values: Mapping[str, Any],
    prices: dict[str, float],
    provenance: dict[str, str],
    conflicts: list[Conflict],
    stated_by: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, float]:
    """Context-tier rates that belong with the rate they raise; the others set aside.

    A flat price from a live listing next to LiteLLM's tiers for the same model is one source's
    flat rate and another's tiered ones: combining them would bill a long prompt at a rate nobody
    quoted with that base. A tier stays when it comes from the base rate's source, or from a
    source that states the same base rate (within 1%: the same price family). Otherwise it is kept
    in ``conflicts`` (kept: the base rate, which applies at every context length; other: the
    tier), so the record says which applies and why.
    """
    from .pricing import context_base

    out: dict[str, float] = {}
    for name, value in prices.items():
        base = context_base(name)
        if base is None:
            out[name] = value
            continue
        base_value = values.get(base) if base in _FIELD_SET else prices.get(base)
        base_source = provenance.get(base)
        if base_value is None or base_source is None or base_source == provenance.get(name):
            out[name] = value
            continue
        theirs = (stated_by or {}).get(provenance.get(name, ""), {}).get(base)
        if isinstance(theirs, (int, float)) and math.isclose(theirs, base_value, rel_tol=0.01, abs_tol=1e-15):
            out[name] = value
            continue
        conflicts.append(
            Conflict(
                field=name,
                kept_value=base_value,
                kept_source=base_source,
                other_value=value,
                other_source=provenance.pop(name),
            )
        )
    return out


_SERVICE_SUFFIX = re.compile("(" + "|".join(re.escape(s) for s in SERVICE_TIERS.values() if s) + ")$")


@cache
def base_rate(name: str) -> str:
    """The rate a variant varies, without its time, service-tier and context-tier parts.

    ``input_cost_per_token_above_200k_tokens_flex_utc_0030_1630`` -> ``input_cost_per_token``.
    """
    from .pricing import context_base

    variant = time_variant(name)
    name = _SERVICE_SUFFIX.sub("", variant[0] if variant is not None else name)
    tiered = context_base(name)
    return _SERVICE_SUFFIX.sub("", tiered) if tiered is not None else name


def variants_follow_their_base(
    values: dict[str, Any],
    prices: dict[str, float],
    provenance: dict[str, str],
    conflicts: list[Conflict],
    stated_by: Mapping[str, Mapping[str, Any]],
) -> None:
    """Keep a dated, time-of-day or service-tier rate only beside the base rate it varies.

    A schedule belongs to its source: DeepSeek's peak band from one source next to another
    source's standard rate would bill off-peak hours at the peak price. A variant from a source
    other than the base rate's stays when that source's own base agrees with the kept one (a
    service tier: within 1%; a price history: within 10%, today's price being the same price).
    A time-of-day schedule whose bands, not its default, carry the kept standard rate (DeepSeek:
    a peak band and a cheaper default) is turned around: the kept rate stays the base and the
    default applies in the hours outside those bands. Anything else is a conflict (kept: unknown).
    """
    schedules: dict[tuple[str, str], list[str]] = {}
    for name in sorted(prices):
        src = provenance.get(name)
        base = base_rate(name)
        if src is None or base == name or src == OVERRIDE_SOURCE:
            continue
        variant = time_variant(name)
        if variant is None and not _SERVICE_SUFFIX.search(name):
            continue  # a context tier alone: same_source_tiers keeps it with its base
        head = provenance.get(base)
        kept = values.get(base) if base in _FIELD_SET else prices.get(base)
        if head is None or head in (src, OVERRIDE_SOURCE) or not isinstance(kept, (int, float)):
            continue
        theirs = stated_by.get(src, {}).get(base)
        if variant is not None and variant[1] == "band" and variant[0] == base:
            schedules.setdefault((base, src), []).append(name)
            continue
        tolerance = 0.10 if variant is not None and variant[1] == "dated" else 0.01
        if isinstance(theirs, (int, float)) and math.isclose(theirs, kept, rel_tol=tolerance, abs_tol=1e-15):
            continue
        _set_aside(name, head, prices, provenance, conflicts)
    by_source: dict[str, list[tuple[str, list[str]]]] = {}
    for (base, src), names in schedules.items():
        by_source.setdefault(src, []).append((base, names))
    for src, family in by_source.items():
        plans = [_turned(base, names, src, values, prices, stated_by) for base, names in family]
        if all(plan is not None for plan in plans):
            for plan in plans:
                assert plan is not None
                for name in plan[0]:
                    prices.pop(name)
                    provenance.pop(name)
                for name, rate in plan[1].items():
                    prices[name] = rate
                    provenance[name] = src
            continue
        for base, names in family:  # one rate's schedule does not fit: none of this source's does
            for name in names:
                _set_aside(name, provenance[base], prices, provenance, conflicts)


def _turned(
    base: str,
    names: list[str],
    src: str,
    values: Mapping[str, Any],
    prices: Mapping[str, float],
    stated_by: Mapping[str, Mapping[str, Any]],
) -> tuple[list[str], dict[str, float]] | None:
    """How ``src``'s time bands on ``base`` sit beside the kept base rate: (bands to drop, bands to add).

    None when they do not fit it. Bands fit as they are when ``src``'s default is the kept rate (or
    were turned around already: every band at the default); they are turned around when some bands
    carry the kept rate (the default then applies outside them).
    """
    kept = values.get(base) if base in _FIELD_SET else prices.get(base)
    default = stated_by.get(src, {}).get(base)
    if not isinstance(kept, (int, float)) or not isinstance(default, (int, float)):
        return None
    if math.isclose(default, kept, rel_tol=0.10) or all(math.isclose(prices[n], default) for n in names):
        return [], {}
    standard = [n for n in names if math.isclose(prices[n], kept, rel_tol=0.10)]
    if not standard:
        return None
    bands = [
        (int(start), int(end))
        for n in standard
        if (variant := time_variant(n)) is not None
        for start, end in [variant[2].split("_")]
    ]
    added = {time_band_name(base, start, end): float(default) for start, end in _complement(bands)}
    return standard, added


def _set_aside(
    name: str, head: str, prices: dict[str, float], provenance: dict[str, str], conflicts: list[Conflict]
) -> None:
    value = prices.pop(name)
    src = provenance.pop(name)
    conflicts.append(Conflict(field=name, kept_value=None, kept_source=head, other_value=value, other_source=src))


def _complement(bands: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The times of day (``HHMM`` pairs, end excluded) no band covers."""
    covered = [False] * 1440
    for start, end in bands:
        first, last = (start // 100) * 60 + start % 100, (end // 100) * 60 + end % 100
        minute = first
        while True:
            covered[minute % 1440] = True
            minute += 1
            if minute % 1440 == last % 1440:
                break
    out: list[tuple[int, int]] = []
    first_covered = next((m for m in range(1440) if covered[m]), None)
    if first_covered is None:
        return [(0, 0)]
    for step in range(1440):
        here = (first_covered + step) % 1440
        if not covered[here] and covered[(here - 1) % 1440]:
            end = here
            while not covered[end % 1440]:
                end += 1
            out.append((here // 60 * 100 + here % 60, (end % 1440) // 60 * 100 + (end % 1440) % 60))
    return sorted(out)
