"""How prices from several sources combine: one price family per source, real prices over a plan's 0.

A record's rates are merged field by field like its other values, with three rules on top: a 0 next
to another source's real price loses to it; the rates of one price family (input, output, cache
read and writes) come from the source of its input rate; a context tier stays with the source of
the rate it raises.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..records import MERGEABLE_FIELDS, Conflict
from .identifiers import OVERRIDE_SOURCE

__all__ = ["RANK_OVERRIDE", "one_price_family", "real_price_first", "same_source_tiers"]

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
    stated_inputs: Mapping[str, Any],
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
        theirs = stated_inputs.get(src)
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
    values: Mapping[str, Any], prices: dict[str, float], provenance: dict[str, str], conflicts: list[Conflict]
) -> dict[str, float]:
    """Context-tier rates that come from the source of the rate they raise; the others set aside.

    A flat price from a live listing next to LiteLLM's tiers for the same model is one source's
    flat rate and another's tiered ones: combining them would bill a long prompt at a rate nobody
    quoted with that base. The tier is kept in ``conflicts`` (kept: the base rate, which applies at
    every context length; other: the tier), so the record says which applies and why.
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
