"""Snapshot history: what each accepted generation changed, and what the guard rails held back.

A generation is compared with the one it replaces on the fields people compare (limits, prices,
modes, flags, availability, deprecation), each with the source of its value. Only the records of
the parts that changed are compared (see :mod:`._rows`), and the store keeps a capped list of
entries (``HISTORY_KEEP``), each the diff against the generation before it, so twenty generations
of a 3,000-model catalog cost a few hundred kilobytes, not twenty copies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .._domain.digest import sha256_hex
from .._domain.gate import check_history_entry, check_record
from .._domain.names import BUNDLED
from ..errors import ConfigError
from ..records import LITELLM_FIELDS, Change, ModelRecord

if TYPE_CHECKING:
    from .._persistence.storage import Storage

__all__ = [
    "HISTORY_KEEP",
    "SUMMARY_FIELDS",
    "History",
    "diff",
    "diff_docs",
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

Summary = dict[str, dict[str, Any]]
"""model -> {"@": (provider, main source), field: [value, source]} for every known field."""


def _main_source(record: ModelRecord) -> str | None:
    sources = record.sources
    return next((s for s in sources if s != BUNDLED), sources[0] if sources else None)


def summarize(records: Iterable[ModelRecord]) -> Summary:
    """The compared fields of every record, with the source of each value."""
    out: Summary = {}
    for record in records:
        row: dict[str, Any] = {"@": [record.provider, _main_source(record)]}
        for name in SUMMARY_FIELDS:
            value = getattr(record, name)
            if value is not None:
                row[name] = [value, record.provenance.get(name)]
        out[record.model] = row
    return out


def _doc_summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`summarize`'s row for one stored document (provenance as :mod:`._rows` keeps it)."""
    provenance = doc.get("provenance") or {}
    main = provenance.get("*")
    unsourced = set(str(provenance.get("-", "")).split(","))
    sources = doc.get("sources") or []
    row: dict[str, Any] = {
        "@": [doc.get("provider"), next((s for s in sources if s != BUNDLED), sources[0] if sources else None)]
    }
    for name in SUMMARY_FIELDS:
        value = doc.get(name)
        if value is not None:
            row[name] = [value, provenance.get(name, None if name in unsourced else main)]
    return row


def diff_docs(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """:func:`diff` of two generations' stored documents (the parts that changed).

    Only documents whose compared fields differ are summarised; an old document that fails the
    gate is left out (what the store hands back is input, and a change would report its values).
    """
    before = {d.get("model"): d for d in old}
    after = {d.get("model"): d for d in new}
    fields = SUMMARY_FIELDS
    o: dict[str, Any] = {}
    n: dict[str, Any] = {}
    for model in before.keys() | after.keys():
        if type(model) is not str:
            continue
        a, b = before.get(model), after.get(model)
        if a is not None and b is not None and [a.get(k) for k in fields] == [b.get(k) for k in fields]:
            continue
        if a is not None:
            checked = check_record(dict(a))
            if checked is None:
                continue
            o[model] = _doc_summary(checked)
        if b is not None:
            n[model] = _doc_summary(b)
    return diff(o, n)


def diff(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Added models, removed models and changed fields from ``old`` to ``new``, sorted by model."""
    changes: list[dict[str, Any]] = []
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
    changes: Sequence[dict[str, Any]],
    *,
    at: float,
    inputs: str,
    generation: str | None = None,
    held: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
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


def entry_changes(entry: Mapping[str, Any]) -> list[Change]:
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


def _inputs(meta: Mapping[str, Any]) -> str:
    """What a generation was merged from: the map's stamp and each source's listing version."""
    sources = meta.get("sources")
    versions = (
        sorted((n, i.get("version")) for n, i in sources.items() if isinstance(i, dict))
        if isinstance(sources, dict)
        else []
    )
    return json.dumps([meta.get("litellm_stamp"), versions], default=str)


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


class History:
    """One catalog configuration's change history in a store.

    The store keeps one capped list of entries, shared by every configuration, so ``changes``
    answers for the store.
    """

    ENTRIES_KEY = "history"

    def __init__(self, store: Storage, config_id: str) -> None:
        self.config_id = config_id
        self._store = store

    def record_generation(
        self,
        old: Sequence[Mapping[str, Any]] | None,
        new: Sequence[Mapping[str, Any]],
        meta: Mapping[str, Any],
        previous: Mapping[str, Any] | None,
    ) -> list[dict[str, Any]]:
        """Keep the diff of a new generation against the one it replaces; its changes.

        ``old`` and ``new`` are the stored documents that may differ (those of the parts that
        changed, see :mod:`._rows`); ``old`` is None when there is nothing to compare with (the
        configuration's first generation, or one that cannot be read): that generation is the
        baseline. A generation merged from the same listings as the one it replaces records nothing.
        """
        if old is None or previous is None or _inputs(previous) == _inputs(meta):
            return []
        changes = diff_docs(old, new)
        if changes:
            entry = new_entry(changes, at=meta["built_at"], inputs=_inputs(meta), generation=meta["prefix"])
            self._store.append_history(self.ENTRIES_KEY, entry, HISTORY_KEEP)
        return changes

    def record_held(
        self, source: str, old: Sequence[ModelRecord], new: Sequence[ModelRecord], reason: str, *, at: float
    ) -> int:
        """Keep what a suspect listing of ``source`` would have changed, as held changes; how many."""
        changes = diff(summarize(old), summarize(new))
        entry = new_entry(changes, at=at, inputs=f"{source}:{at}", held=source, reason=reason)
        self._store.append_history(self.ENTRIES_KEY, entry, HISTORY_KEEP)
        return len(changes)

    def changes(
        self, *, since: datetime | str | None = None, last: int | None = None, provider: str | None = None
    ) -> list[Change]:
        """The store's changes, newest first (see :meth:`massgen_discovery.Catalog.changes`)."""
        cutoff = parse_since(since)
        if last is not None and last < 1:
            raise ConfigError("last must be 1 or more")
        fields = frozenset(ModelRecord._fields)
        checked = (check_history_entry(e, fields) for e in self._store.history(self.ENTRIES_KEY))
        entries = [e for e in checked if e is not None]
        entries.sort(key=lambda e: float(e["at"]))
        if cutoff is not None:
            entries = [e for e in entries if float(e["at"]) >= cutoff]
        if last is not None:
            entries = entries[-last:]
        out: list[Change] = []
        for entry in reversed(entries):
            out.extend(c for c in entry_changes(entry) if provider is None or c.provider == provider)
        return out
