"""Where the sources disagree: the conflicts worth a person's look, grouped per model and field.

Pure functions over records. A disagreement is two sources stating different values for one field
of one model, of a kind that changes an answer: limits that differ, prices that differ by more than
1%, capability flags that contradict, and a rate set aside because it belongs to another source's
price family (kept: unknown). (A route's spread inside an HF aggregate record is not a
disagreement between sources, and is left out.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..records import CAPABILITY_FIELDS

if TYPE_CHECKING:
    from ..records import ModelRecord
    from .reports import Disagreement

__all__ = ["PRICE_TOLERANCE", "disagreements"]

PRICE_TOLERANCE = 0.01
"""Prices closer than this (relative) are the same price, written differently."""
_LIMITS = frozenset({"max_input_tokens", "max_output_tokens", "runtime_context_tokens"})
_FLAGS = frozenset(CAPABILITY_FIELDS)


def _kind(field: str) -> str | None:
    if field in _LIMITS:
        return "limit"
    if field in _FLAGS:
        return "flag"
    if "cost" in field:
        return "price"
    return None


def _differ(kind: str, a: Any, b: Any) -> bool:
    if kind == "flag":
        return isinstance(a, bool) and isinstance(b, bool) and a is not b
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)):
        return False
    if kind == "limit":
        return bool(a != b)
    high = float(max(abs(a), abs(b)))
    return high > 0 and float(abs(a - b)) / high > PRICE_TOLERANCE


def disagreements(
    records: Iterable[ModelRecord], *, provider: str | None = None, field: str | None = None
) -> list[Disagreement]:
    """Every disagreement between sources in ``records`` (one per model and field), sorted."""
    from .reports import Disagreement

    out: list[Disagreement] = []
    for record in records:
        if provider is not None and record.provider != provider:
            continue
        grouped: dict[str, dict[str, Any]] = {}
        kept: dict[str, tuple[str, Any]] = {}
        for conflict in record.conflicts:
            name = conflict.field
            kind = _kind(name)
            if kind is None or (field is not None and name != field):
                continue
            if ":" in conflict.kept_source or ":" in conflict.other_source:
                continue  # an aggregate's route spread, or a guess: not one source against another
            set_aside = kind == "price" and conflict.kept_value is None  # a rate another price family quoted
            if not set_aside and not _differ(kind, conflict.kept_value, conflict.other_value):
                continue
            values = grouped.setdefault(name, {})
            values[conflict.kept_source] = conflict.kept_value
            values[conflict.other_source] = conflict.other_value
            kept[name] = (conflict.kept_source, conflict.kept_value)
        for name, values in sorted(grouped.items()):
            source, value = kept[name]
            out.append(
                Disagreement(
                    model=record.model,
                    provider=record.provider,
                    field=name,
                    kind=_kind(name),  # type: ignore[arg-type]
                    values=values,
                    kept_source=source,
                    kept_value=value,
                )
            )
    out.sort(key=lambda d: (d.model, d.field))
    return out
