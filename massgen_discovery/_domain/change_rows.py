"""The shapes of a change between two generations and of a history entry, as the store keeps them.

A :class:`ChangeRow` is a :class:`~massgen_discovery.records.Change` without its time (the entry
holding it has one); a :class:`HistoryEntry` is one accepted generation's changes, or one held
listing's. Both are JSON documents in the store: typed here, checked by
:func:`~massgen_discovery._domain.gate.check_history_entry` when read back.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = ["ChangeRow", "HistoryEntry"]


class ChangeRow(TypedDict, total=False):
    """One model added, removed or one of its fields changed (``field``, ``old``, ``new``)."""

    model: str
    provider: str
    kind: Literal["added", "removed", "changed"]
    field: str
    old: Any
    """The field's value before (a JSON scalar or list; None when unknown)."""
    new: Any
    source: str | None
    """The source the new value (or the model) came from."""


class HistoryEntry(TypedDict, total=False):
    """One generation's accepted changes (``generation``), or what a held listing would have changed (``held``)."""

    id: str
    at: float
    generation: str | None
    held: str | None
    """The source whose listing was held out as suspect."""
    reason: str | None
    changes: list[ChangeRow]
    more: int
    """Changes left out of the entry (it keeps the first ``MAX_CHANGES_PER_ENTRY``)."""
