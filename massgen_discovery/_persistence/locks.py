"""One named cross-process lock of a store, as an object: take it, release it, see who holds it, hold it.

A store's lock table (:class:`LockTable`: ``try_lock``, ``unlock``, ``lock_holder``) is the
primitive; :meth:`Storage.lock <massgen_discovery._persistence.storage.Storage.lock>` hands out a
:class:`Lock` bound to one name, so the orchestration sees one member where there were four. A
lock's row names its holder (:class:`LockHolder`).

The annotations here are evaluated, not strings: a ``NamedTuple`` of string annotations compiles a
forward reference per field on import.
"""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple, Protocol

__all__ = ["Lock", "LockHolder", "LockTable"]


class LockHolder(NamedTuple):
    """Who holds a lock, as its row says: the token, and the process (pid, host) and time that took it."""

    token: str | None = None
    pid: int | None = None
    host: str | None = None
    at: float | None = None

    @classmethod
    def decode(cls, text: object) -> "LockHolder | None":
        """The holder a lock row names (a bare token, as older rows held); None when there is no row."""
        if not isinstance(text, (str, bytes)):
            return None
        try:
            row = json.loads(text)
        except (ValueError, RecursionError):
            row = None
        if not isinstance(row, dict):
            return cls(token=text if isinstance(text, str) else text.decode("utf-8", "replace"))
        pid, at = row.get("pid"), row.get("at")
        return cls(
            token=row.get("token") if isinstance(row.get("token"), str) else None,
            pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
            host=row.get("host") if isinstance(row.get("host"), str) else None,
            at=float(at) if isinstance(at, (int, float)) and not isinstance(at, bool) else None,
        )

    def describe(self) -> str:
        """``pid <pid> on <host>`` (``?`` for what the row does not say)."""
        return f"pid {self.pid if self.pid is not None else '?'} on {self.host or '?'}"


class LockTable(Protocol):
    """What a store offers to lock with (see :class:`~massgen_discovery._persistence.store.Store`)."""

    def try_lock(self, name: str, seconds: float, *, shared: bool = False) -> str | None:
        """Take lock ``name`` without waiting; its token, or None if held."""
        ...

    def unlock(self, name: str, token: str) -> None:
        """Release lock ``name`` if ``token`` still holds it."""
        ...

    def lock_holder(self, name: str, *, shared: bool = False) -> LockHolder | None:
        """Who holds lock ``name``, or None if it is free."""
        ...


class Lock:
    """Lock ``name`` of a store; ``shared`` makes it fleet-wide on a Redis-shared store (local otherwise).

    The lock expires after the ``seconds`` it is taken for, and a holder on this host whose process
    is gone is taken over at once, so a crash never leaves it held.
    """

    __slots__ = ("_table", "name", "shared")

    def __init__(self, table: LockTable, name: str, *, shared: bool = False) -> None:
        self._table = table
        self.name = name
        """The lock's name (its row is ``lock:<name>``)."""
        self.shared = shared
        """Whether every machine on the store sees the same lock."""

    def take(self, seconds: float) -> str | None:
        """Take the lock without waiting, for ``seconds`` at most; its token, or None when it is held."""
        return self._table.try_lock(self.name, seconds, shared=self.shared)

    def release(self, token: str) -> None:
        """Release the lock if ``token`` still holds it (a lock that expired and was retaken is left)."""
        self._table.unlock(self.name, token)

    def holder(self) -> LockHolder | None:
        """Who holds the lock, or None if it is free."""
        return self._table.lock_holder(self.name, shared=self.shared)

    @contextmanager
    def held(self, seconds: float, wait: float) -> Iterator[bool]:
        """Hold the lock for a block, waiting up to ``wait`` seconds for it; yields whether it was taken."""
        deadline = time.monotonic() + wait
        token = self.take(seconds)
        while token is None and time.monotonic() < deadline:
            time.sleep(0.01)
            token = self.take(seconds)
        try:
            yield token is not None
        finally:
            if token is not None:
                self.release(token)
