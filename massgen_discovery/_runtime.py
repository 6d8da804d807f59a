"""What the package keeps per process and does to the host process, apart from the pure domain.

- The cycle collector is paused during bulk work: parsing a listing, merging and encoding a
  generation. A refresh of a big listing makes a hundred thousand short-lived objects (records,
  their dicts and conflicts) with no reference cycles among them. With the collector running,
  CPython walks the whole heap (LiteLLM's map and every record already built included) again and
  again while they are made: about a third of a 27,000-record refresh. Reference counting frees
  them all the same, so the collector is paused for the duration of such work and resumed after
  it, and only if it was on. The pause is process-wide, so it covers work that never waits (the
  network is never waited on inside it).
- What the gate (``_domain.gate``) kept out of stored data in this process, for ``status``.
"""

from __future__ import annotations

import _thread
import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["MAX_NOTES", "collector_paused", "gate_note", "gate_notes"]

_lock = _thread.allocate_lock()
_holders = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector while the block runs (nested and concurrent blocks share one pause)."""
    global _holders, _resume
    with _lock:
        if _holders == 0:
            _resume = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _resume:
                gc.enable()


MAX_NOTES = 50
"""Reasons the gate's notes keep (the newest)."""

_notes: list[tuple[str | None, str]] = []


def gate_notes() -> list[tuple[str | None, str]]:
    """What the gate kept out of stored data in this process, newest last (at most :data:`MAX_NOTES`).

    Each is (the source the value was said to come from, or None; the reason).
    """
    return list(_notes)


def gate_note(text: str, source: str | None = None) -> None:
    """Keep a reason (once)."""
    if (source, text) not in _notes:
        _notes.append((source, text))
        del _notes[:-MAX_NOTES]
