"""Bulk work without the cycle collector: parsing a listing, merging and encoding a generation.

A refresh of a big listing makes a hundred thousand short-lived objects (records, their dicts and
conflicts) with no reference cycles among them. With the collector running, CPython walks the
whole heap (LiteLLM's map and every record already built included) again and again while they are
made: about a third of a 27,000-record refresh. Reference counting frees them all the same, so the
collector is paused for the duration of such work and resumed after it, and only if it was on.
"""

from __future__ import annotations

import _thread
import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

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
