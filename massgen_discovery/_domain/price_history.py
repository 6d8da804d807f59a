"""A model's price points over time: its sources' dated prices and the moves the catalog saw.

Each point is ``{"field", "value", "from", "to", "source"}`` (``from`` / ``to``: ISO dates or
instants, None where open), oldest first. A source's dated prices (``<rate>_before_<date>``) give
the rates before each change; the catalog's own history gives each move it accepted (old -> new,
with the source of the new value, at the generation's time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from .price_rules import time_variant

if TYPE_CHECKING:
    from ..records import ModelRecord
    from .reports import Change

__all__ = ["PricePoint", "price_points"]

PricePoint = TypedDict(
    "PricePoint", {"field": str, "value": Any, "from": "str | None", "to": "str | None", "source": "str | None"}
)
"""One rate over one span: its value (a JSON number), from and to (ISO; None where open), and its source."""

_BASE = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
)


def _rates(record: ModelRecord) -> dict[str, float]:
    out = {n: float(v) for n in _BASE if isinstance(v := getattr(record, n), (int, float))}
    out.update((k, float(v)) for k, v in (record.prices or {}).items() if isinstance(v, (int, float)))
    return out


def price_points(record: ModelRecord, changes: Iterable[Change], field: str | None = None) -> list[PricePoint]:
    """The price points of ``record``, oldest first (see the module); ``field`` keeps one rate."""
    rates = _rates(record)
    dated: dict[str, list[tuple[str, float, str]]] = {}
    for name, value in rates.items():
        variant = time_variant(name)
        if variant is not None and variant[1] == "dated":
            dated.setdefault(variant[0], []).append((variant[2], value, record.provenance.get(name, "")))
    moves: dict[str, list[Change]] = {}
    for change in changes:
        if change.kind == "changed" and change.field and "cost" in change.field:
            moves.setdefault(change.field, []).append(change)
    names = sorted({n for n in rates if time_variant(n) is None} | set(moves) | set(dated))
    out: list[PricePoint] = []
    for name in names:
        if field is not None and name != field:
            continue
        out.extend(
            _points(name, rates.get(name), record.provenance.get(name), dated.get(name, []), moves.get(name, []))
        )
    out.sort(key=lambda p: (p["from"] or "", p["field"]))
    return out


def _points(
    name: str, current: float | None, source: str | None, dated: Sequence[tuple[str, float, str]], moves: list[Change]
) -> list[PricePoint]:
    points: list[PricePoint] = []
    start: str | None = None
    for day, value, by in sorted(dated):
        points.append({"field": name, "value": value, "from": start, "to": day, "source": by})
        start = day
    moves = sorted(moves, key=lambda c: c.at)
    if moves and moves[0].old is not None and not dated:
        first = moves[0]
        points.append({"field": name, "value": first.old, "from": None, "to": first.at.isoformat(), "source": None})
    for i, change in enumerate(moves):
        until = moves[i + 1].at.isoformat() if i + 1 < len(moves) else None
        at = change.at.isoformat()
        if change.new is not None:
            points.append({"field": name, "value": change.new, "from": at, "to": until, "source": change.source})
        start = at
    if current is not None and not moves:
        points.append({"field": name, "value": current, "from": start, "to": None, "source": source})
    return points
