"""What generations changed: summaries of the compared fields, diffs, history entries, dates.

Pure functions over records and stored documents; :class:`~massgen_discovery._orchestration.history.History`
keeps the entries in a store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from itertools import compress
from operator import attrgetter, itemgetter, ne
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ConfigError
from ..records import LITELLM_FIELDS, Change, ModelRecord
from .digest import sha256_hex
from .gate import check_record
from .identifiers import BUNDLED

if TYPE_CHECKING:
    from .change_rows import ChangeRow, HistoryEntry

__all__ = [
    "HISTORY_KEEP",
    "SUMMARY_FIELDS",
    "Moved",
    "diff",
    "diff_docs",
    "diff_moved",
    "diff_records",
    "entry_changes",
    "new_entry",
    "parse_since",
    "summarize",
]

HISTORY_KEEP = 20
"""Entries (accepted generations and held listings) kept per store."""
MAX_CHANGES_PER_ENTRY = 5000
"""An entry lists at most this many changes and counts the rest."""

SUMMARY_FIELDS: tuple[str, ...] = (*LITELLM_FIELDS, "available", "status")
"""The fields a change is reported on: LiteLLM's own (limits, prices, mode, flags, deprecation)
and whether a live source lists the model, with its upstream status."""

SummaryRow = dict[str, list[Any]]
"""One model's compared fields: ``{"@": [provider, main source], field: [value, source]}``."""
Summary = dict[str, SummaryRow]
"""model -> its :data:`SummaryRow` (every known field)."""


def _main_source(record: ModelRecord) -> str | None:
    sources = record.sources
    return next((s for s in sources if s != BUNDLED), sources[0] if sources else None)


def summarize(records: Iterable[ModelRecord]) -> Summary:
    """The compared fields of every record, with the source of each value."""
    out: Summary = {}
    for record in records:
        row: SummaryRow = {"@": [record.provider, _main_source(record)]}
        for name in SUMMARY_FIELDS:
            value = getattr(record, name)
            if value is not None:
                row[name] = [value, record.provenance.get(name)]
        out[record.model] = row
    return out


def _doc_summary(doc: Mapping[str, Any]) -> SummaryRow:
    """:func:`summarize`'s row for one stored document (provenance as ``_persistence.rows`` keeps it)."""
    provenance = doc.get("provenance") or {}
    main = provenance.get("*")
    unsourced = set(str(provenance.get("-", "")).split(","))
    sources = doc.get("sources") or []
    row: SummaryRow = {
        "@": [doc.get("provider"), next((s for s in sources if s != BUNDLED), sources[0] if sources else None)]
    }
    for name in SUMMARY_FIELDS:
        value = doc.get(name)
        if value is not None:
            row[name] = [value, provenance.get(name, None if name in unsourced else main)]
    return row


class Moved(NamedTuple):
    """One side of what may differ between two generations: records, or stored documents."""

    records: list[ModelRecord] | None = None
    """The records of the parts the other generation does not share (held in memory)."""
    docs: list[dict[str, Any]] | None = None
    """Else their stored documents."""
    read_back: bool = False
    """Whether the documents were read back from the store (then each passes the gate)."""


_summary_values = itemgetter(*SUMMARY_FIELDS)
_model_of = attrgetter("model")


def diff_records(old: Iterable[ModelRecord], new: Iterable[ModelRecord]) -> list[ChangeRow]:
    """:func:`diff` of two sets of records: only those whose compared fields differ are summarised."""
    old, new = list(old), list(new)
    if len(old) == len(new) and list(map(_model_of, old)) == list(map(_model_of, new)):
        # The same models in the same order (a listing whose values moved, the usual case): the
        # compared values of all of them side by side, at C speed; only those that differ summarised.
        before_values = map(_summary_values, map(vars, old))
        moved = list(compress(range(len(old)), map(ne, before_values, map(_summary_values, map(vars, new)))))
        return diff(summarize([old[i] for i in moved]), summarize([new[i] for i in moved]))
    before = {r.model: r for r in old}
    after = {r.model: r for r in new}
    o: list[ModelRecord] = [a for model, a in before.items() if model not in after]
    n: list[ModelRecord] = []
    for model, b in after.items():
        a = before.get(model)
        if a is None:
            n.append(b)
        elif a is not b and _summary_values(vars(a)) != _summary_values(vars(b)):
            o.append(a)
            n.append(b)
    return diff(summarize(o), summarize(n))


def diff_moved(old: Moved, new: Moved) -> list[ChangeRow]:
    """:func:`diff` of what may differ between two generations (see :class:`Moved`)."""
    if old.records is not None and new.records is not None:
        return diff_records(old.records, new.records)
    return diff_docs(old.docs or [], new.docs or [], gate_old=old.read_back)


def _nothing(_doc: Mapping[str, Any]) -> tuple[()]:
    return ()


def diff_docs(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]], *, gate_old: bool = True
) -> list[ChangeRow]:
    """:func:`diff` of two generations' stored documents (the parts that changed).

    Only documents whose compared fields differ are summarised; with ``gate_old`` (documents read
    back from the store), an old document that fails the gate is left out (what the store hands
    back is input, and a change would report its values).
    """
    before = {d.get("model"): d for d in old}
    after = {d.get("model"): d for d in new}
    fields = SUMMARY_FIELDS
    compared = frozenset(fields)
    # Documents of one source share a shape (the same keys, in order): per shape, one getter of the
    # compared fields it has, which reads them all in one call (tens of thousands of documents).
    getters: dict[tuple[str, ...], Callable[[Mapping[str, Any]], Any]] = {}
    o: Summary = {}
    n: Summary = {}
    for model in before.keys() | after.keys():
        if type(model) is not str:
            continue
        a, b = before.get(model), after.get(model)
        if a is not None and b is not None:
            shape = tuple(a)
            if shape == tuple(b):
                get = getters.get(shape)
                if get is None:
                    present = [k for k in shape if k in compared]
                    get = getters[shape] = itemgetter(*present) if present else _nothing
                if get(a) == get(b):
                    continue
            elif [a.get(k) for k in fields] == [b.get(k) for k in fields]:
                continue
        if a is not None:
            checked = check_record(dict(a)) if gate_old else a
            if checked is None:
                continue
            o[model] = _doc_summary(checked)
        if b is not None:
            n[model] = _doc_summary(b)
    return diff(o, n)


def diff(old: Summary, new: Summary) -> list[ChangeRow]:
    """Added models, removed models and changed fields from ``old`` to ``new``, sorted by model."""
    changes: list[ChangeRow] = []
    for model in sorted(set(old) | set(new)):
        before, after = old.get(model), new.get(model)
        if before is None and after is not None:
            provider, source = after["@"]
            changes.append({"model": model, "provider": provider, "kind": "added", "source": source})
        elif after is None and before is not None:
            provider, source = before["@"]
            changes.append({"model": model, "provider": provider, "kind": "removed", "source": source})
        elif before is not None and after is not None:
            provider = after["@"][0]
            for name in SUMMARY_FIELDS:
                was, now = before.get(name), after.get(name)
                old_value = was[0] if was else None
                new_value = now[0] if now else None
                if old_value == new_value:
                    continue
                source = now[1] if now else was[1] if was else None
                changes.append(
                    {
                        "model": model,
                        "provider": provider,
                        "kind": "changed",
                        "field": name,
                        "old": old_value,
                        "new": new_value,
                        "source": source,
                    }
                )
    return changes


def new_entry(
    changes: Sequence[ChangeRow],
    *,
    at: float,
    inputs: str,
    generation: str | None = None,
    held: str | None = None,
    reason: str | None = None,
) -> HistoryEntry:
    """One history entry: an accepted generation (``generation``) or a held listing (``held``: the source)."""
    return {
        "id": sha256_hex(f"{held or ''}|{inputs}")[:16],
        "at": at,
        "generation": generation,
        "held": held,
        "reason": reason,
        "changes": list(changes[:MAX_CHANGES_PER_ENTRY]),
        "more": max(0, len(changes) - MAX_CHANGES_PER_ENTRY),
    }


def entry_changes(entry: HistoryEntry) -> list[Change]:
    """The :class:`~massgen_discovery.records.Change` rows of one stored entry (bad rows skipped)."""
    at = entry.get("at")
    when = datetime.fromtimestamp(float(at), tz=timezone.utc) if isinstance(at, (int, float)) else None
    if when is None:
        return []
    held = entry.get("held")
    out: list[Change] = []
    for row in entry.get("changes") or []:
        if not isinstance(row, dict):
            continue
        try:
            out.append(
                Change(
                    at=when,
                    generation=entry.get("generation"),
                    held=bool(held),
                    reason=entry.get("reason") if held else None,
                    **row,
                )
            )
        except ValueError:
            continue
    return out


def parse_since(since: datetime | str | None) -> float | None:
    """A ``since`` bound as Unix time: a datetime, or an ISO date or datetime (naive means UTC)."""
    if since is None:
        return None
    if isinstance(since, str):
        try:
            since = datetime.fromisoformat(since.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"not a date: {since!r} (expected YYYY-MM-DD or an ISO datetime)") from None
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return since.timestamp()
