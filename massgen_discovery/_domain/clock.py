"""Time as freshness reads it: the one seam tests move forward instead of sleeping."""

from __future__ import annotations

import time
from datetime import datetime, timezone

__all__ = ["CLOCK", "Clock", "as_datetime", "mono", "now"]


class Clock:
    """Wall and monotonic time; a test swaps in one that it moves forward."""

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """A clock that never goes back, for intervals."""
        return time.monotonic()


CLOCK = Clock()
"""The clock freshness reads (replaced by tests: ``monkeypatch.setattr(_clock, "CLOCK", fake)``)."""


def now() -> float:
    """Wall time on :data:`CLOCK`."""
    return CLOCK.time()


def mono() -> float:
    """Monotonic time on :data:`CLOCK`."""
    return CLOCK.monotonic()


def as_datetime(ts: float | None) -> datetime | None:
    """A Unix time as an aware UTC datetime (None stays None)."""
    return None if ts is None else datetime.fromtimestamp(ts, tz=timezone.utc)
