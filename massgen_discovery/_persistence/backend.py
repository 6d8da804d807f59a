"""The store's backend: diskcache for writes, read-only SQLite for reads, an in-memory fallback."""

from __future__ import annotations

import _thread
import os
import sqlite3
import time
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, TypeVar

from .._domain.gate import size_cap
from .._domain.log import get_logger
from ..errors import CacheError
from .disk import (
    DB_FILE,
    DELETED,
    MODE_RAW,
    MODE_TEXT,
    READ_WAIT,
    ROW_QUERY,
    UNSURE,
    WRITE_WAIT,
    MemoryRows,
    OpenStores,
    can_write,
    default_cache_path,
    file_identity,
    one_line,
    own_files,
    own_value_file,
    probe_writable,
    remove_own_files,
    safe_disk,
    sqlite_uri,
    store_errors,
    too_big,
    transient,
    warn_once,
)

if TYPE_CHECKING:
    from pathlib import Path

    import diskcache

__all__ = ["Backend"]

_log = get_logger(__name__)
_T = TypeVar("_T")


class Backend:
    """JSON documents in a diskcache directory, read read-only, with an in-memory fallback.

    Every method swallows storage errors: a damaged database is rebuilt once with one warning
    (removing only its own files); a directory that cannot be written (read-only, not a folder,
    disk full) makes the store keep new documents in memory for the life of the process, again
    with one warning, while what is already on disk is still read.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._dir = os.fspath(directory) if directory is not None else default_cache_path()
        self._db = os.path.join(self._dir, DB_FILE)
        self._path: Path | None = None
        self._cache: diskcache.Cache | None = None
        self._reader: sqlite3.Connection | None = None
        # The quiet reader: the database opened as immutable while no writer has it open, with the
        # file's identity it was opened on (a changed file means a new connection).
        self._quiet: tuple[tuple[int, int, int, int], sqlite3.Connection] | None = None
        self._memory: MemoryRows | None = None
        self._rebuilt = False
        self._busy_until = 0.0
        self._busy_logged = False
        self._mutex = _thread.RLock()
        self._held: dict[str, str] = {}
        self._active = 0  # writes in progress (any thread)

    @property
    def directory(self) -> Path:
        """Where the cache lives."""
        if self._path is None:
            from pathlib import Path

            self._path = Path(self._dir)
        return self._path

    @property
    def persistent(self) -> bool:
        """False once writes have fallen back to memory."""
        return self._memory is None

    def _writer(self) -> diskcache.Cache:
        import diskcache

        if self._cache is None:
            with self._mutex:
                if self._cache is None:
                    # diskcache's constructor retries a locked database for 60 s, whatever its
                    # timeout says: ask SQLite first, within our own limit.
                    probe_writable(self.directory / DB_FILE)
                    # timeout: seconds SQLite waits for another writer before diskcache raises Timeout.
                    self._cache = diskcache.Cache(
                        str(self.directory),
                        timeout=WRITE_WAIT,
                        size_limit=2**40,
                        eviction_policy="none",  # the cap is the package's (collect): by configuration, LRU
                        tag_index=True,
                        # A generation's parts (tens of KB) stay in the database rather than in
                        # hundreds of value files; listings' envelopes (MBs) still go to files.
                        disk_min_file_size=1 << 20,
                        disk=safe_disk(),
                    )
                    OpenStores.add(self)
        return self._cache

    def _connect_reader(self) -> sqlite3.Connection | None:
        db = self._db
        if not os.path.isfile(db):
            return None
        last: sqlite3.Error | None = None
        # A read-only directory cannot hold the WAL index a plain read-only open needs: then read
        # the file as immutable (nobody can be writing to it either). An index file left behind
        # that cannot be written would be mapped read-only and could fault: go immutable at once.
        shm = f"{db}-shm"
        modes = ["mode=ro", "mode=ro&immutable=1"]
        if os.path.exists(shm) and not can_write(shm):
            modes = modes[1:]
        for flags in modes:
            try:
                con = sqlite3.connect(
                    sqlite_uri(db, flags),
                    uri=True,
                    timeout=READ_WAIT,
                    check_same_thread=False,
                    isolation_level=None,
                )
                con.execute("SELECT key FROM Cache LIMIT 0")
                return con
            except sqlite3.OperationalError as exc:
                last = exc
                if "no such table" in str(exc):
                    return None
                if transient(exc):
                    raise
        assert last is not None
        raise last

    def _quiet_read(self, key: str) -> Any:
        """``key``'s value read without writing anything, or ``UNSURE`` to read the normal way.

        SQLite's write-ahead-log read path creates ``-wal``/``-shm`` and writes to the shared
        index, even on a read-only connection. While no writer has the database open (no
        ``-wal``, or an empty one), every change is in the database file itself: it is read as
        immutable (no locks, no index, no writes), and the read counts only if the file was the
        same before and after it (a writer that started meanwhile sends the read the normal way).
        Any error does too: a quiet read never decides that the cache is damaged.
        """
        db = self._db
        try:
            wal = os.stat(f"{db}-wal")
        except FileNotFoundError:
            wal = None
        except OSError:
            return UNSURE
        if wal is not None and wal.st_size:
            return UNSURE
        if os.path.exists(f"{db}-journal"):  # a rollback-journal writer changes the file in place
            return UNSURE
        try:
            before = file_identity(db)
            with self._mutex:
                if self._quiet is None or self._quiet[0] != before:
                    self._close_quiet()
                    con = sqlite3.connect(sqlite_uri(db, "mode=ro&immutable=1"), uri=True, check_same_thread=False)
                    self._quiet = (before, con)
                row = self._quiet[1].execute(ROW_QUERY, (size_cap(key), key)).fetchone()
                value = self._row_value(key, row)
            # A writer adds to the log, never to the file, until it checkpoints: a file that did not
            # change while it was read gave a consistent answer.
            if file_identity(db) != before:
                return UNSURE
        except (OSError, sqlite3.Error):
            with self._mutex:
                self._close_quiet()
            return UNSURE
        return value

    def _close_quiet(self) -> None:
        if self._quiet is not None:
            with suppress(sqlite3.Error):
                self._quiet[1].close()
            self._quiet = None

    def _row_value(self, key: str, row: Any) -> Any:
        if row is None:
            return None
        mode, value, filename, expire_time, length = row
        if expire_time is not None and expire_time <= time.time():
            return None
        cap = size_cap(key)
        if mode == MODE_RAW and isinstance(value, str):
            return value
        if mode == MODE_RAW and isinstance(length, int) and length > cap:
            too_big(key, length, cap, self.directory)
            return None
        if mode == MODE_TEXT and isinstance(filename, str):
            path = own_value_file(self.directory, filename)
            if path is None:
                warn_once(f"cache at {self.directory}: row {key[:80]!r} names a file outside the cache; ignored")
                return None
            size = path.stat().st_size
            if size > cap:
                too_big(key, size, cap, self.directory)
                return None
            return path.read_text(encoding="utf-8")
        return None

    def _read(self, key: str) -> Any:
        """The stored value of ``key`` (str), or None; a busy database answers None for now."""
        if self._memory is not None and key in self._memory:
            value = self._memory[key]
            return None if value is DELETED else value
        if self._reader is None and self._cache is None:
            # A process that has not opened the database for writing reads it quietly when it can.
            quiet = self._quiet_read(key)
            if quiet is not UNSURE:
                return quiet
        for _attempt in range(2):
            try:
                with self._mutex:
                    if self._reader is None:
                        self._reader = self._connect_reader()
                    if self._reader is None:
                        return None
                    row = self._reader.execute(ROW_QUERY, (size_cap(key), key)).fetchone()
                return self._row_value(key, row)
            except FileNotFoundError:
                return None  # a value file removed by a concurrent prune: a miss
            except store_errors() as exc:
                if transient(exc):
                    self._note_busy(exc)
                    return None
                if not self._recover(exc):
                    return None
        return None

    def _note_busy(self, exc: BaseException) -> None:
        self._busy_until = time.monotonic() + WRITE_WAIT
        if not self._busy_logged:
            self._busy_logged = True
            _log.warning(
                "cache at %s is busy (another process holds it: %s); answering without it for now",
                self.directory,
                one_line(exc),
            )

    def _recover(self, exc: BaseException) -> bool:
        """Rebuild a damaged cache once (True), else keep writes in memory (False)."""
        damaged = isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)
        damaged = damaged or "malformed" in str(exc) or "not a database" in str(exc)
        self.close()
        if damaged and not self._rebuilt:
            self._rebuilt = True
            _log.warning("cache at %s is damaged (%s); rebuilding it", self.directory, one_line(exc))
            try:
                remove_own_files(self.directory)
                self._writer()
                return True
            except store_errors() as again:
                exc = again
        if self._memory is None:
            _log.warning("cache at %s cannot be used (%s); running uncached", self.directory, one_line(exc))
            self._memory = {}
        return False

    def _write(self, work: Callable[[diskcache.Cache], _T], in_memory: Callable[[MemoryRows], _T], failed: _T) -> _T:
        """Run ``work`` on the cache; a busy database drops it, an unusable one moves it to memory."""
        with self._mutex:
            self._active += 1
        try:
            for _attempt in range(2):
                if self._memory is not None:
                    return in_memory(self._memory)
                if time.monotonic() < self._busy_until:
                    return failed
                try:
                    return work(self._writer())
                except store_errors() as exc:
                    if transient(exc):
                        self._note_busy(exc)
                        return failed
                    self._recover(exc)
            return in_memory(self._memory) if self._memory is not None else failed
        finally:
            with self._mutex:
                self._active -= 1

    def release_writer(self) -> None:
        """Empty the write-ahead log once a burst of writes is over, or close the handles if it cannot.

        While the log holds pages, every other process's lookups read through it; folded into the
        file and emptied (or closed), lookups everywhere read it quietly (see :meth:`_quiet_read`).
        Nothing is done while a write is in progress or this store holds a lock.
        """
        with self._mutex:
            if self._active or self._held or (self._cache is None and self._reader is None):
                return
            if self._cache is not None:
                # Folding the log into the file and emptying it is what closing did for lookups
                # elsewhere; the handle stays open for this process's next write.
                try:
                    busy = self._cache._sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                except store_errors():
                    busy = 1
                if not busy:
                    return
            self.close()

    def clear(self) -> int:
        """Delete everything this store holds; return how many rows went.

        When the database cannot delete (a full disk), the store's own files are removed instead,
        which frees the space. Raises :class:`~massgen_discovery.errors.CacheError` saying why
        when neither works (a read-only directory).
        """
        if self._memory is not None:
            count = sum(1 for v in self._memory.values() if v is not DELETED)
            self._memory.clear()
        else:
            count = 0
        if not (self.directory / DB_FILE).exists():
            return count
        try:
            return count + int(self._writer().clear())
        except store_errors() as exc:
            first = exc
        self.close()
        try:
            before = len(own_files(self.directory))
            removed = remove_own_files(self.directory)
        except OSError as exc:
            raise CacheError(f"cannot clear {self.directory}: {one_line(first)}; {one_line(exc)}") from exc
        if removed < before or own_files(self.directory):
            raise CacheError(f"cannot clear {self.directory}: {one_line(first)}")
        return count + removed

    def close_thread(self) -> None:
        """Close the writer handle the calling thread opened (diskcache keeps one per thread).

        A background thread calls this before it ends, so the owner's :meth:`close` is the last
        close and folds the write-ahead log back into the database.
        """
        with self._mutex:
            if self._cache is not None:
                with suppress(*store_errors()):
                    self._cache.close()  # diskcache closes the calling thread's connection only

    def close(self) -> None:
        """Close the database handles (they reopen on next use)."""
        with self._mutex:
            self._close_quiet()
            # The reader first: the last handle to close checkpoints the write-ahead log, and a
            # read-only handle cannot.
            if self._reader is not None:
                with suppress(*store_errors()):
                    self._reader.close()
                self._reader = None
            if self._cache is not None:
                with suppress(*store_errors()):
                    self._cache.close()
                self._cache = None
