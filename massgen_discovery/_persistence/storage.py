"""What the orchestration needs of a store (:class:`Storage`) and, on a shared store, of the fleet (:class:`Fleet`).

:class:`~massgen_discovery._persistence.store.Store` (this machine's diskcache) is a ``Storage``;
:class:`~massgen_discovery._persistence.fleet.SharedStore` (which composes a ``Store`` and writes
through to Redis) is both. What only the fleet does (its pointer, adopting its generation, writing
on this machine only, its URL) is on ``Fleet``, which a machine-local catalog does not have.
Housekeeping (``info``, ``clear``, ``close``, ``directory``) is the concrete stores' own: the CLI
and the catalog hold those, not the orchestration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .._domain.change_rows import HistoryEntry
    from .locks import Lock
    from .pointer import Pointer

__all__ = ["Fleet", "Storage"]


class Storage(Protocol):
    """A store of JSON documents, generations, history and locks (see ``Store`` for each method)."""

    def get(self, key: str, *, shared: bool = False) -> dict[str, Any] | None:
        """Read a document (None when missing, damaged or of another schema version).

        ``shared`` reads it as the whole fleet sees it (on one machine, the same document).
        """
        ...

    def get_raw(self, key: str) -> str | None:
        """Read a stored JSON text as is (for documents parsed straight into records)."""
        ...

    def get_many_raw(self, keys: list[str]) -> list[str | None]:
        """:meth:`get_raw` of each key, in order."""
        ...

    def put(self, key: str, doc: dict[str, Any]) -> bool:
        """Write a document, stamped with the schema version; False if it could not be kept."""
        ...

    def put_many(self, texts: Mapping[str, str], deleted: Sequence[str] = ()) -> bool:
        """Write encoded documents in order, then delete ``deleted``: all or none (one transaction)."""
        ...

    def write_generation(
        self, registry: str, prefix: str, rows: dict[str, str], pointer_key: str, pointer: Pointer, keep: int = 2
    ) -> bool:
        """Write a generation and retire old ones, all in one transaction."""
        ...

    def collect(self, keep: str, *, cap_bytes: int, unused_seconds: float, now: float) -> list[str]:
        """Drop what the cap and age say; return the configurations dropped."""
        ...

    def history(self, key: str) -> list[dict[str, Any]]:
        """The entries under ``key``, oldest first."""
        ...

    def append_history(self, key: str, entry: HistoryEntry, keep: int) -> None:
        """Add ``entry`` to the capped list under ``key`` (newest last, at most ``keep``)."""
        ...

    def lock(self, name: str, *, shared: bool = False) -> Lock:
        """Cross-process lock ``name`` (``shared``: the same one on every machine of a shared store)."""
        ...

    def release_writer(self) -> None:
        """Let go of the write handles once a burst of writes is over (they reopen on next use)."""
        ...

    def close_thread(self) -> None:
        """Close the handles the calling thread opened (SQLite's are per thread), before it ends."""
        ...


class Fleet(Protocol):
    """What only a store shared by many machines does (a Redis-shared :class:`Storage`)."""

    @property
    def shared_url(self) -> str:
        """Where the store is shared (a redacted Redis URL)."""
        ...

    def check_shared(self) -> str | None:
        """Ask the shared store whether it answers (bounded); why not, or None."""
        ...

    def get_pointer(self, pointer_key: str, registry: str) -> Pointer | None:
        """The local generation pointer; on a local miss, the fleet's generation copied here."""
        ...

    def shared_pointer(self, pointer_key: str) -> Pointer | None:
        """The fleet's current generation pointer (None when the fleet has none or does not answer)."""
        ...

    def adopt_shared(
        self, pointer_key: str, registry: str, local: Pointer | None, shared: Pointer | None = None
    ) -> Pointer | None:
        """Copy the fleet's current generation here unless it is the local one; its pointer, or None."""
        ...

    def put_local(self, key: str, doc: dict[str, Any]) -> bool:
        """Write a document on this machine only (the fleet does not see it)."""
        ...
