"""Snapshot history: what each accepted generation changed, and what the guard rails held back.

A generation is compared with the one it replaces on the fields people compare (limits, prices,
modes, flags, availability, deprecation), each with the source of its value. Only the records of
the parts that changed are compared (see ``_persistence.rows``), and the store keeps a capped list of
entries (``HISTORY_KEEP``), each the diff against the generation before it, so twenty generations
of a 3,000-model catalog cost a few hundred kilobytes, not twenty copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from .._domain.changes import (
    HISTORY_KEEP,
    Moved,
    diff,
    diff_moved,
    entry_changes,
    new_entry,
    parse_since,
    summarize,
)
from .._domain.gate import check_history_entry
from ..errors import ConfigError
from ..records import Change, ModelRecord

if TYPE_CHECKING:
    from .._domain.change_rows import ChangeRow
    from .._persistence.pointer import Pointer
    from .._persistence.storage import Storage

__all__ = ["History"]


class History:
    """One catalog configuration's change history in a store.

    The store keeps one capped list of entries, shared by every configuration, so ``changes``
    answers for the store.
    """

    ENTRIES_KEY = "history"
    PRICES_KEY = "price-history"
    PRICES_KEEP = 10_000
    """Generations whose price moves are kept apart from the capped change list: a model's price
    history lasts as long as the cache does (the cache's size cap bounds it, not a count of 20)."""

    def __init__(self, store: Storage, config_id: str) -> None:
        self.config_id = config_id
        self._store = store

    @staticmethod
    def generation_changes(old: Moved | None, new: Moved, meta: Pointer, previous: Pointer | None) -> list[ChangeRow]:
        """What a new generation changed against the one it replaces (see :meth:`record_generation`).

        ``old`` and ``new`` are what may differ (the records or stored documents of the parts that
        changed, see ``_persistence.rows``); ``old`` is None when there is nothing to compare with (the
        configuration's first generation, or one that cannot be read): that generation is the
        baseline. A generation merged from the same listings as the one it replaces changes nothing,
        and a source's first listing is its own baseline.
        """
        if old is None or previous is None or previous.inputs() == meta.inputs():
            return []
        changes = diff_moved(old, new)
        # A source's first listing is its baseline (the generation before was built without it,
        # offline or before its first fetch): what it brings is not news.
        from .._persistence.pointer import never_tried

        before, now = previous.sources, meta.sources
        firsts = {name for name, info in now.items() if never_tried(before.get(name)) and not never_tried(info)}
        return [c for c in changes if c.get("source") not in firsts] if firsts else changes

    def record_generation(self, changes: list[ChangeRow], meta: Pointer) -> list[ChangeRow]:
        """Keep a new generation's changes (from :meth:`generation_changes`), if any; the changes."""
        if changes:
            at, inputs = meta.built_at or 0.0, meta.inputs()
            entry = new_entry(changes, at=at, inputs=inputs, generation=meta.prefix)
            self._store.append_history(self.ENTRIES_KEY, entry, HISTORY_KEEP)
            moved = [c for c in changes if c.get("kind") == "changed" and "cost" in str(c.get("field"))]
            if moved:
                priced = new_entry(moved, at=at, inputs=inputs, generation=meta.prefix)
                self._store.append_history(self.PRICES_KEY, priced, self.PRICES_KEEP)
        return changes

    def price_changes(self, model: str) -> list[Change]:
        """Every accepted price move of ``model`` the store kept, oldest first."""
        fields = frozenset(ModelRecord._fields)
        checked = (check_history_entry(e, fields) for e in self._store.history(self.PRICES_KEY))
        entries = sorted((e for e in checked if e is not None), key=lambda e: float(e["at"]))
        return [c for entry in entries for c in entry_changes(entry) if c.model == model]

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
