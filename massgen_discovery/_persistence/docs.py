"""A record's stored document: provenance and conflicts in short forms, and the record read back.

The encoder in :mod:`massgen_discovery._persistence.rows` states each record's known fields; this
module shortens what repeats (the source most fields share, a spread's own value) and undoes it
when a row is read, after the gate (:mod:`massgen_discovery._domain.gate`) has judged the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import Any

from .._domain.gate import check_record, parse_stamp
from ..records import Conflict, ModelRecord

__all__ = ["RecordDocs", "compact", "from_doc", "stored_conflicts"]

_NOT_FIELDS = frozenset(
    {"model", "provider", "model_id", "served_by", "sources", "provenance", "conflicts", "fetched_at", "prices"}
)
"""Row keys that are not values with a source (``served_by`` names the route; a source that states
where it came from keeps it in ``provenance`` by name)."""
_MAIN, _NONE = "*", "-"


def _known(row: Mapping[str, Any]) -> list[str]:
    """The fields a stored row states (rows keep only what is known), and each of its prices."""
    return [k for k in row if k not in _NOT_FIELDS] + list(row.get("prices") or ())


def compact(row: dict[str, Any]) -> dict[str, Any]:
    """``provenance`` as stored: the source most fields share under ``*``, the others by name.

    ``-`` (comma-joined) names any known field without a source. Half of a catalog's ``all`` row
    was provenance, the same source repeated field after field. ``row`` gets a new provenance
    dict; the one it had is not changed.
    """
    provenance = row.get("provenance")
    if not provenance:
        return row
    distinct = set(provenance.values())
    if len(distinct) == 1:
        main = next(iter(distinct))
        stated = row.keys() - _NOT_FIELDS
        prices = row.get("prices")
        if provenance.keys() == (stated | prices.keys() if prices else stated):
            row["provenance"] = {_MAIN: main}  # the usual case: one source states every known field
            return row
    else:
        counts: dict[str, int] = {}
        for source in provenance.values():
            counts[source] = counts.get(source, 0) + 1
        main = max(counts, key=lambda s: (counts[s], s))
    known = _known(row)
    stated = set(known)
    stored = {k: v for k, v in provenance.items() if v != main or k not in stated}
    stored[_MAIN] = main
    unsourced = [k for k in known if k not in provenance]
    if unsourced:
        stored[_NONE] = ",".join(unsourced)
    row["provenance"] = stored
    return row


def _stated_value(row: Mapping[str, Any], field: str) -> Any:
    """A record's value of ``field`` as its stored row holds it (a rate in ``prices`` included)."""
    if field in row:
        return row[field]
    prices = row.get("prices")
    return prices.get(field) if prices else None


def stored_conflicts(
    row: Mapping[str, Any], conflicts: Iterable[Conflict], provenance: Mapping[str, str]
) -> list[tuple[Any, ...]]:
    """Conflicts as a part stores them: ``[field, other value, other source]``.

    The kept value and source follow only when they are not the record's own value and source of
    that field (``[..., kept value, kept source]``); an aggregate's spread across providers is
    mostly the former, and was most of a big listing's bytes. Tuples, written as JSON arrays: the
    cycle collector stops tracking them.
    """
    out: list[tuple[Any, ...]] = []
    own: dict[str, tuple[Any, Any]] = {}
    for conflict in conflicts:
        field, kept, source, other, other_source = _conflict_values(vars(conflict))
        mine = own.get(field)
        if mine is None:
            mine = own[field] = (_stated_value(row, field), provenance.get(field))
        if mine[0] is not None and type(mine[0]) is type(kept) and mine[0] == kept and mine[1] == source:
            out.append((field, other, other_source))
        else:
            out.append((field, other, other_source, kept, source))
    return out


_conflict_values = itemgetter("field", "kept_value", "kept_source", "other_value", "other_source")


def _read_conflict(c: Any, fields: Mapping[str, Any]) -> Conflict | None:
    """A stored conflict (either form, checked by the gate already); None if it names a value the row lacks."""
    if type(c) is list or type(c) is tuple:
        field = c[0]
        if len(c) == 3:
            kept, source = _stated_value(fields, field), (fields.get("provenance") or {}).get(field)
            if kept is None or source is None:
                return None
        else:
            kept, source = c[3], c[4]
        values = {"field": field, "kept_value": kept, "kept_source": source, "other_value": c[1], "other_source": c[2]}
    else:
        values = {k: c.get(k) for k in ("field", "kept_value", "kept_source", "other_value", "other_source")}
    return Conflict.trusted(values)


def _expand(doc: dict[str, Any]) -> None:
    provenance = doc.get("provenance")
    if not provenance or _MAIN not in provenance:
        return
    main = provenance.pop(_MAIN)
    unsourced = set(provenance.pop(_NONE, "").split(","))
    # A field the gate turned unknown (None) has no source; every other known value has one.
    for key in [k for k in doc if k not in _NOT_FIELDS and doc[k] is not None] + list(doc.get("prices") or ()):
        if key not in provenance and key not in unsourced:
            provenance[key] = main


def from_doc(doc: Any) -> ModelRecord | None:
    # What the store hands back is input: a row whose fields are not of their declared types is
    # refused whole (the caller rebuilds); numbers no real model has are unknown (see _domain.gate).
    fields = check_record(doc)
    if fields is None:
        return None
    _expand(fields)
    # Rows are written with exclude_defaults: only what is known is in them.
    if "conflicts" in fields:
        conflicts = [_read_conflict(c, fields) for c in fields["conflicts"]]
        if any(c is None for c in conflicts):
            return None
        fields["conflicts"] = conflicts
    stamp = fields.get("fetched_at")
    if stamp is not None:
        fields["fetched_at"] = parse_stamp(stamp)
    return ModelRecord.model_construct(**fields)


class RecordDocs:
    """Records as the documents a part stores: each one's known fields, in the short forms."""

    def __init__(self) -> None:
        from pydantic_core import to_json

        self._to_json = to_json
        self._stamps: dict[Any, str] = {}  # a listing's records share one fetch time: written as text once
        self._keep_none, self._defaults = ModelRecord.stating()

    def __call__(self, record: ModelRecord) -> dict[str, Any]:
        """The record's plain(exclude_defaults=True), in the short forms, its time as text.

        Written inline (a big listing is tens of thousands of records): as the document reads back
        from its JSON.
        """
        fields = record.__dict__
        doc = dict(compress(fields.items(), map(is_not, fields.values(), repeat(None))))  # the known, at C speed
        for k in self._keep_none:  # a few fields stated even when None
            if k not in doc and k in fields:
                doc[k] = None
        for k, default in self._defaults.items():  # a few fields whose default is not None
            if k in doc and doc[k] == default:
                del doc[k]
        if "conflicts" in doc:
            doc["conflicts"] = stored_conflicts(doc, record.conflicts, record.provenance)
        doc = compact(doc)
        stamp = doc.get("fetched_at")
        if stamp is not None and type(stamp) is not str:
            text = self._stamps.get(stamp)
            if text is None:
                text = self._stamps[stamp] = self._to_json(stamp).decode()[1:-1]
            doc["fetched_at"] = text
        return doc
