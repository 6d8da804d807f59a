"""What the orchestration needs of a store: the local one, or the fleet's in front of it.

:class:`~massgen_discovery._persistence.store.Store` and
:class:`~massgen_discovery._persistence.fleet.SharedStore` (which composes a ``Store``) both are one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Storage"]


class Storage(Protocol):
    """A store of JSON documents, generations, locks and history (see ``Store`` for each method)."""

    @property
    def directory(self) -> Path:
        """Where the local cache lives."""
        ...

    @property
    def persistent(self) -> bool:
        """False once writes have fallen back to memory."""
        ...

    def release_writer(self) -> None:
        """Close the database handles once a burst of writes is over (they reopen on next use)."""
        ...

    def clear(self) -> int:
        """Delete everything this store holds; return how many rows went."""
        ...

    def close(self) -> None:
        """Close the database handles (they reopen on next use)."""
        ...

    def close_thread(self) -> None:
        """Close the handles the calling thread opened (SQLite's are per thread), before it ends."""
        ...

    def get(self, key: str) -> dict[str, Any] | None:
        """Read a document; a missing, damaged or other-schema-version row is None."""
        ...

    def get_raw(self, key: str) -> str | None:
        """Read a stored JSON text as is (for documents parsed straight into records)."""
        ...

    def get_many_raw(self, keys: list[str]) -> list[str | None]:
        """:meth:`get_raw` of each key, in order."""
        ...

    def get_shared(self, key: str) -> dict[str, Any] | None:
        """The document as the whole fleet sees it; on one machine, :meth:`get`."""
        ...

    @property
    def shared_url(self) -> str | None:
        """Where the store is shared (a redacted Redis URL), or None for a machine-local store."""
        ...

    def check_shared(self) -> str | None:
        """Ask the shared store whether it answers (bounded); why not, or None (always, when local)."""
        ...

    def put(self, key: str, doc: dict[str, Any]) -> bool:
        """Write a document, stamped with the schema version; False if it could not be kept."""
        ...

    def put_encoded(self, key: str, text: str) -> bool:
        """Write a document already encoded by :func:`encode_doc` (or :func:`encode_with`)."""
        ...

    def put_many(self, texts: Mapping[str, str], deleted: Sequence[str] = ()) -> bool:
        """:meth:`put_encoded` each text in order, then delete ``deleted``: all or none (one transaction)."""
        ...

    def put_local(self, key: str, doc: dict[str, Any]) -> bool:
        """Write a document on this machine only (a shared store does not publish it)."""
        ...

    def write_generation(
        self, registry: str, prefix: str, rows: dict[str, str], pointer_key: str, pointer: dict[str, Any], keep: int = 2
    ) -> bool:
        """Write a generation and retire old ones, all in one transaction."""
        ...

    def get_pointer(self, pointer_key: str, registry: str) -> dict[str, Any] | None:
        """The current generation's pointer (a shared store copies the fleet's on a local miss)."""
        ...

    def shared_pointer(self, pointer_key: str) -> dict[str, Any] | None:
        """The fleet's current generation pointer; None for a machine-local store."""
        ...

    def adopt_shared(
        self, pointer_key: str, registry: str, local: dict[str, Any] | None, shared: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Copy the fleet's current generation here; a machine-local store has none (None)."""
        ...

    def append_history(self, key: str, entry: dict[str, Any], keep: int) -> None:
        """Add ``entry`` to the capped list under ``key`` (newest last, at most ``keep``)."""
        ...

    def history(self, key: str) -> list[dict[str, Any]]:
        """The entries under ``key``, oldest first."""
        ...

    def delete(self, key: str) -> None:
        """Remove a row if present."""
        ...

    def lock_holder(self, name: str, *, shared: bool = False) -> dict[str, Any] | None:
        """Who holds lock ``name`` (``token``, ``pid``, ``host``, ``at``), or None if it is free."""
        ...

    def try_lock(self, name: str, seconds: float, *, shared: bool = False) -> str | None:
        """Take a cross-process lock without waiting; return its token, or None if held."""
        ...

    def unlock(self, name: str, token: str) -> None:
        """Release a lock taken with :meth:`try_lock` if this token still holds it."""
        ...

    def release_all(self) -> None:
        """Release every lock this store holds (called at exit)."""
        ...

    def locked(self, name: str, seconds: float, wait: float) -> AbstractContextManager[bool]:
        """Hold a lock for a block, waiting up to ``wait`` seconds; yields whether it was taken."""
        ...

    def collect(self, keep: str, *, cap_bytes: int, unused_seconds: float, now: float) -> list[str]:
        """Drop what the cap and age say; return the configurations dropped."""
        ...

    def info(self) -> dict[str, Any]:
        """What the cache holds: sizes, generations, configurations and the least recently used one."""
        ...
