"""Persistence: the only module that imports diskcache (and reads its database).

Each value is a JSON text (so a damaged or foreign row is a miss, never a crash in unpickling). The
key layout belongs to the callers (the catalog, ``_refresh``, ``_history``, ``_rows``); the store
offers documents, bulk writes of tagged generations, and cross-process locks.

Safety rules this module keeps:

- **Reads never write and never wait long.** While no writer holds the database, lookups read it
  as immutable (no locks, no ``-wal``/``-shm``, no writes) and keep an answer only if the file did
  not change under them; otherwise they read through a read-only SQLite connection with a
  one-second busy timeout, so another process's write transaction cannot stall them and a
  read-only cache directory still serves its data. Writes go through diskcache.
- **Only our own files are ever removed.** Recovering from a damaged database removes
  ``cache.db`` (with its ``-wal``/``-shm``/``-journal``) and diskcache's value files
  (``xx/yy/<28 hex>.val``), never anything else in the directory.
- **A busy database is transient.** A write that cannot get the lock within a second is dropped
  (the data is refetched or rebuilt later) and writes pause for a second instead of queueing.
- **Locks name their owner.** A lock row holds the owner's pid and host and expires; a lock whose
  owner process is gone is taken over at once, and a process releases its locks when it exits.
"""

from __future__ import annotations

import _thread
import atexit
import functools
import json
import os
import re
import sqlite3
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .._domain.digest import sha256_hex
from .._domain.gate import check_doc, size_cap
from .._domain.log import get_logger
from ..errors import CacheError

if TYPE_CHECKING:
    import diskcache

__all__ = ["SCHEMA_VERSION", "Store", "credential_fingerprint", "default_cache_dir"]

SCHEMA_VERSION = 2
"""Bumped whenever the shape of a stored document changes; other versions read as a miss (2: records
carry ``prices``, so a generation merged before them is rebuilt rather than served without tiers)."""
READ_WAIT = 1.0
"""Seconds a read waits for another process's lock before it answers without the cache."""
WRITE_WAIT = 1.0
"""Seconds a write waits for another writer; then it is dropped and writes pause as long."""

_log = get_logger(__name__)
_T = TypeVar("_T")


@functools.cache
def _store_errors() -> tuple[type[BaseException], ...]:
    """What storage can raise; diskcache is imported only once something goes wrong or is written."""
    import diskcache

    return (sqlite3.Error, OSError, diskcache.Timeout)


@functools.cache
def _safe_disk() -> type:
    """The diskcache ``Disk``, made to treat what the database says as input.

    Every removal and read of a value file goes through :func:`own_value_file` (a planted row
    naming ``/etc/passwd`` or ``../x`` makes diskcache touch nothing), and nothing stored is ever
    unpickled: this package stores only strings, so a pickled key or value is foreign and reads
    as a miss.
    """
    import diskcache

    class SafeDisk(diskcache.Disk):  # type: ignore[misc]
        def get(self, key: Any, raw: bool) -> Any:
            return super().get(key, raw) if raw else _FOREIGN

        def fetch(self, mode: int, filename: Any, value: Any, read: bool) -> Any:
            if mode == _MODE_RAW:
                return super().fetch(mode, filename, value, read)
            if mode == _MODE_TEXT and not read:
                path = own_value_file(Path(self._directory), filename)
                return path.read_text(encoding="utf-8") if path is not None else None
            return None  # pickled values and foreign file names are not read

        def remove(self, file_path: Any) -> None:
            directory = Path(self._directory)
            path = own_value_file(directory, file_path)
            if path is None:
                _warn_once(f"cache at {directory}: a row names {str(file_path)[:80]!r}, not a file of its own; kept")
                return
            with suppress(OSError):
                path.unlink()
            for folder in (path.parent, path.parent.parent):
                with suppress(OSError):
                    folder.rmdir()  # only if empty, and never above the cache directory

    return SafeDisk


_FOREIGN = object()
"""A key this package cannot have written (pickled); skipped wherever keys are listed."""

_DB = "cache.db"
_DB_FILES = (_DB, f"{_DB}-wal", f"{_DB}-shm", f"{_DB}-journal")
_HEX2 = r"^[0-9a-f]{2}$"
_VALUE_FILE = r"^[0-9a-f]{28}\.val$"
_MODE_RAW, _MODE_TEXT = 1, 3  # diskcache's storage modes for a str value: inline, or in a file


@functools.cache
def host() -> str:
    """The machine's name, as locks record their owner."""
    import socket

    return socket.gethostname()


_DELETED = object()
_WARNED: set[str] = set()
_UNSURE = object()
# A value over its cap is not even handed to Python (its length is, so the warning can say so).
_ROW_QUERY = (
    "SELECT mode, CASE WHEN length(value) > ? THEN NULL ELSE value END, filename, expire_time, length(value) "
    "FROM Cache WHERE key = ? AND raw = 1"
)


def default_cache_dir() -> Path:
    """``MASSGEN_DISCOVERY_CACHE_DIR``, else the platform's user cache dir + ``massgen_discovery``."""
    # Written out rather than importing platformdirs: this runs on every cold lookup, and the three
    # platform rules below are all the package needs.
    env = os.environ.get("MASSGEN_DISCOVERY_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "massgen_discovery" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "massgen_discovery"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "massgen_discovery"


def credential_fingerprint(credential: str | None) -> str:
    """A short SHA-256 fingerprint of a credential, safe to store and show; ``anon`` for none."""
    if not credential:
        return "anon"
    return sha256_hex(credential)[:16]


def own_files(directory: Path) -> list[Path]:
    """The files this package's cache created in ``directory``: the database and its value files."""
    found = [directory / name for name in _DB_FILES if (directory / name).is_file()]
    with suppress(OSError):
        for first in directory.iterdir():
            if not (re.match(_HEX2, first.name) and first.is_dir() and not first.is_symlink()):
                continue
            for second in first.iterdir():
                if not (re.match(_HEX2, second.name) and second.is_dir() and not second.is_symlink()):
                    continue
                found.extend(f for f in second.iterdir() if re.match(_VALUE_FILE, f.name) and f.is_file())
    return found


_VALUE_PATH = re.compile(r"([0-9a-f]{2})[/\\]([0-9a-f]{2})[/\\]([0-9a-f]{28}\.val)")


def own_value_file(directory: Path, filename: object) -> Path | None:
    """The value file a row names, if it is one diskcache writes inside ``directory``; else None.

    A stored name is input: an absolute path, ``..``, another shape, or a path through a symbolic
    link is never followed (for reading or for removal).
    """
    match = _VALUE_PATH.fullmatch(filename) if isinstance(filename, str) else None
    if match is None:
        return None
    first = directory / match[1]
    second = first / match[2]
    path = second / match[3]
    if first.is_symlink() or second.is_symlink() or path.is_symlink():
        return None
    return path


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        _log.warning("%s", message)


def _too_big(key: str, size: int, cap: int, directory: Path) -> None:
    _warn_once(f"cache at {directory}: {key[:80]!r} holds {size:,} bytes, over its {cap:,}-byte cap; ignored")


def remove_own_files(directory: Path) -> int:
    """Remove only what :func:`own_files` lists (and value folders left empty); return how many."""
    removed = 0
    for path in own_files(directory):
        with suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    with suppress(OSError):
        for first in directory.iterdir():
            if re.match(_HEX2, first.name) and first.is_dir() and not first.is_symlink():
                for second in first.iterdir():
                    if re.match(_HEX2, second.name) and second.is_dir():
                        with suppress(OSError):
                            second.rmdir()  # only if empty
                with suppress(OSError):
                    first.rmdir()
    return removed


def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # no cheap, safe probe there: trust the expiry
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class _Open:
    """Stores that opened the database, closed at normal exit.

    Their locks are released and their handles closed, so SQLite folds its write-ahead log back
    into the database file.
    """

    stores: ClassVar[weakref.WeakSet[Store]] = weakref.WeakSet()
    registered: ClassVar[bool] = False

    @classmethod
    def add(cls, store: Store) -> None:
        cls.stores.add(store)
        if not cls.registered:
            cls.registered = True
            atexit.register(cls.release_all)

    @classmethod
    def release_all(cls) -> None:
        for store in list(cls.stores):
            with suppress(Exception):
                store.release_all()
            with suppress(Exception):
                store.close()


class Store:
    """JSON documents in a diskcache directory, read read-only, with an in-memory fallback.

    Every method swallows storage errors: a damaged database is rebuilt once with one warning
    (removing only its own files); a directory that cannot be written (read-only, not a folder,
    disk full) makes the store keep new documents in memory for the life of the process, again
    with one warning, while what is already on disk is still read.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        """Where the cache lives."""
        self._cache: diskcache.Cache | None = None
        self._reader: sqlite3.Connection | None = None
        # The quiet reader: the database opened as immutable while no writer has it open, with the
        # file's identity it was opened on (a changed file means a new connection).
        self._quiet: tuple[tuple[int, int, int, int], sqlite3.Connection] | None = None
        self._memory: dict[str, Any] | None = None
        self._rebuilt = False
        self._busy_until = 0.0
        self._busy_logged = False
        self._mutex = _thread.RLock()
        self._held: dict[str, str] = {}
        self._active = 0  # writes in progress (any thread)

    # -- backend -------------------------------------------------------------------------------

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
                    _probe_writable(self.directory / _DB)
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
                        disk=_safe_disk(),
                    )
                    _Open.add(self)
        return self._cache

    def _connect_reader(self) -> sqlite3.Connection | None:
        db = self.directory / _DB
        if not db.is_file():
            return None
        last: sqlite3.Error | None = None
        # A read-only directory cannot hold the WAL index a plain read-only open needs: then read
        # the file as immutable (nobody can be writing to it either). An index file left behind
        # that cannot be written would be mapped read-only and could fault: go immutable at once.
        shm = self.directory / f"{_DB}-shm"
        modes = ["mode=ro", "mode=ro&immutable=1"]
        if shm.exists() and not _can_write(shm):
            modes = modes[1:]
        for flags in modes:
            try:
                con = sqlite3.connect(
                    f"{db.resolve().as_uri()}?{flags}",
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
                if _transient(exc):
                    raise
        assert last is not None
        raise last

    def _quiet_read(self, key: str) -> Any:
        """``key``'s value read without writing anything, or ``_UNSURE`` to read the normal way.

        SQLite's write-ahead-log read path creates ``-wal``/``-shm`` and writes to the shared
        index, even on a read-only connection. While no writer has the database open (no
        ``-wal``, or an empty one), every change is in the database file itself: it is read as
        immutable (no locks, no index, no writes), and the read counts only if the file was the
        same before and after it (a writer that started meanwhile sends the read the normal way).
        Any error does too: a quiet read never decides that the cache is damaged.
        """
        db = self.directory / _DB
        try:
            wal = os.stat(f"{db}-wal")
        except FileNotFoundError:
            wal = None
        except OSError:
            return _UNSURE
        if wal is not None and wal.st_size:
            return _UNSURE
        if os.path.exists(f"{db}-journal"):  # a rollback-journal writer changes the file in place
            return _UNSURE
        try:
            before = _identity(db)
            with self._mutex:
                if self._quiet is None or self._quiet[0] != before:
                    self._close_quiet()
                    con = sqlite3.connect(
                        f"{db.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
                    )
                    self._quiet = (before, con)
                row = self._quiet[1].execute(_ROW_QUERY, (size_cap(key), key)).fetchone()
                value = self._row_value(key, row)
            # A writer adds to the log, never to the file, until it checkpoints: a file that did not
            # change while it was read gave a consistent answer.
            if _identity(db) != before:
                return _UNSURE
        except (OSError, sqlite3.Error):
            with self._mutex:
                self._close_quiet()
            return _UNSURE
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
        if mode == _MODE_RAW and isinstance(value, str):
            return value
        if mode == _MODE_RAW and isinstance(length, int) and length > cap:
            _too_big(key, length, cap, self.directory)
            return None
        if mode == _MODE_TEXT and isinstance(filename, str):
            path = own_value_file(self.directory, filename)
            if path is None:
                _warn_once(f"cache at {self.directory}: row {key[:80]!r} names a file outside the cache; ignored")
                return None
            size = path.stat().st_size
            if size > cap:
                _too_big(key, size, cap, self.directory)
                return None
            return path.read_text(encoding="utf-8")
        return None

    def _read(self, key: str) -> Any:
        """The stored value of ``key`` (str), or None; a busy database answers None for now."""
        if self._memory is not None and key in self._memory:
            value = self._memory[key]
            return None if value is _DELETED else value
        if self._reader is None and self._cache is None:
            # A process that has not opened the database for writing reads it quietly when it can.
            quiet = self._quiet_read(key)
            if quiet is not _UNSURE:
                return quiet
        for _attempt in range(2):
            try:
                with self._mutex:
                    if self._reader is None:
                        self._reader = self._connect_reader()
                    if self._reader is None:
                        return None
                    row = self._reader.execute(_ROW_QUERY, (size_cap(key), key)).fetchone()
                return self._row_value(key, row)
            except FileNotFoundError:
                return None  # a value file removed by a concurrent prune: a miss
            except _store_errors() as exc:
                if _transient(exc):
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
                _one_line(exc),
            )

    def _recover(self, exc: BaseException) -> bool:
        """Rebuild a damaged cache once (True), else keep writes in memory (False)."""
        damaged = isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)
        damaged = damaged or "malformed" in str(exc) or "not a database" in str(exc)
        self.close()
        if damaged and not self._rebuilt:
            self._rebuilt = True
            _log.warning("cache at %s is damaged (%s); rebuilding it", self.directory, _one_line(exc))
            try:
                remove_own_files(self.directory)
                self._writer()
                return True
            except _store_errors() as again:
                exc = again
        if self._memory is None:
            _log.warning("cache at %s cannot be used (%s); running uncached", self.directory, _one_line(exc))
            self._memory = {}
        return False

    def _write(
        self, work: Callable[[diskcache.Cache], _T], in_memory: Callable[[dict[str, Any]], _T], failed: _T
    ) -> _T:
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
                except _store_errors() as exc:
                    if _transient(exc):
                        self._note_busy(exc)
                        return failed
                    self._recover(exc)
            return in_memory(self._memory) if self._memory is not None else failed
        finally:
            with self._mutex:
                self._active -= 1

    def release_writer(self) -> None:
        """Close the database handles once a burst of writes is over (they reopen on next use).

        A process that keeps its write handle open keeps the write-ahead log in place, and every
        other process's lookups then read through it; closed, the log is folded into the file and
        lookups everywhere read it quietly (see :meth:`_quiet_read`). Nothing is closed while a
        write is in progress or this store holds a lock.
        """
        with self._mutex:
            if self._active or self._held or (self._cache is None and self._reader is None):
                return
            Store.close(self)  # the database handles only (a shared store keeps its Redis client)

    # -- documents -----------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """Read a document; a missing, damaged or other-schema-version row is None."""
        raw = self._read(key)
        if not isinstance(raw, str):
            return None
        try:
            doc = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
            return None
        return check_doc(key, doc)

    def get_raw(self, key: str) -> str | None:
        """Read a stored JSON text as is (for documents parsed straight into records)."""
        raw = self._read(key)
        return raw if isinstance(raw, str) else None

    def get_many_raw(self, keys: list[str]) -> list[str | None]:
        """:meth:`get_raw` of each key, in order."""
        return [self.get_raw(key) for key in keys]

    def get_shared(self, key: str) -> dict[str, Any] | None:
        """The document as the whole fleet sees it; on one machine, :meth:`get`."""
        return self.get(key)

    @property
    def shared_url(self) -> str | None:
        """Where the store is shared (a redacted Redis URL), or None for a machine-local store."""
        return None

    def check_shared(self) -> str | None:
        """Ask the shared store whether it answers (bounded); why not, or None (always, when local)."""
        return None

    def put(self, key: str, doc: dict[str, Any]) -> bool:
        """Write a document, stamped with the schema version; False if it could not be kept."""
        return self.put_encoded(key, encode_doc(doc))

    def put_encoded(self, key: str, text: str) -> bool:
        """Write a document already encoded by :func:`encode_doc` (or :func:`encode_with`)."""
        return self.put_raw(key, text)

    def put_local(self, key: str, doc: dict[str, Any]) -> bool:
        """Write a document on this machine only (a shared store does not publish it)."""
        return Store.put(self, key, doc)

    def put_raw(self, key: str, text: str) -> bool:
        """Write a JSON text as is; False if it could not be kept."""

        def in_memory(memory: dict[str, Any]) -> bool:
            memory[key] = text
            return True

        return self._write(lambda cache: bool(cache.set(key, text)), in_memory, False)

    def put_many_raw(self, items: dict[str, str]) -> bool:
        """Write many JSON texts in one transaction."""

        def work(cache: diskcache.Cache) -> bool:
            with cache.transact():
                for key, text in items.items():
                    cache.set(key, text)
            return True

        def in_memory(memory: dict[str, Any]) -> bool:
            memory.update(items)
            return True

        return self._write(work, in_memory, False)

    def write_generation(
        self, registry: str, prefix: str, rows: dict[str, str], pointer_key: str, pointer: dict[str, Any], keep: int = 2
    ) -> bool:
        """Write a generation and retire old ones, all in one transaction.

        ``rows`` holds the generation's own rows (keys under ``prefix + ":"``, tagged with
        ``prefix``) and the parts it names (``part:<hash>``, content-addressed: a part already
        stored is not written again). ``pointer_key`` is set to ``pointer``; ``registry`` lists the
        generations written under it, and every generation but the newest ``keep`` (the one readers
        may still hold, and this one) is removed in bulk in the same transaction, with every part no
        generation names any more. Another writer's generation is never orphaned: all writers go
        through the same registry under SQLite's write lock.
        """
        pointer_text = encode_doc(pointer)

        def work(cache: diskcache.Cache) -> bool:
            with cache.transact():
                known = cache.get(registry)
                if known is None:
                    # The first build under this registry: rows an older layout left under the same
                    # namespace (registry key minus its last part) are swept once, here.
                    namespace = registry.rsplit(":", 1)[0] + ":"
                    for key in _keys_under(cache, namespace):
                        if key != pointer_key:
                            cache.delete(key)
                listed = _json_list(known)
                stored = _parts_stored(cache, [k for k in rows if k.startswith(_PART)])
                for key, text in rows.items():
                    if not key.startswith(_PART):
                        cache.set(key, text, tag=prefix)
                    elif key not in stored:
                        cache.set(key, text)
                cache.set(pointer_key, pointer_text)
                listed = [p for p in listed if p != prefix] + [prefix]
                for old in listed[:-keep]:
                    cache.evict(old)
                cache.set(registry, json.dumps(listed[-keep:]))
                if listed[:-keep] or known is None:
                    _sweep_parts(cache)
            return True

        def in_memory(memory: dict[str, Any]) -> bool:
            listed = _json_list(memory.get(registry))
            listed = [p for p in listed if p != prefix] + [prefix]
            for old in listed[:-keep]:
                for key in [k for k in memory if k.startswith(old + ":")]:
                    del memory[key]
            memory.update(rows)
            memory[pointer_key] = pointer_text
            memory[registry] = json.dumps(listed[-keep:])
            _sweep_memory_parts(memory)
            return True

        return self._write(work, in_memory, False)

    def get_pointer(self, pointer_key: str, registry: str) -> dict[str, Any] | None:
        """The current generation's pointer (a shared store copies the fleet's on a local miss)."""
        return self.get(pointer_key)

    def shared_pointer(self, pointer_key: str) -> dict[str, Any] | None:
        """The fleet's current generation pointer; None for a machine-local store."""
        return None

    def adopt_shared(
        self, pointer_key: str, registry: str, local: dict[str, Any] | None, shared: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Copy the fleet's current generation here; a machine-local store has none (None)."""
        return None

    def append_history(self, key: str, entry: dict[str, Any], keep: int) -> None:
        """Add ``entry`` to the capped list under ``key`` (newest last, at most ``keep``)."""
        # This machine's list: a shared store keeps the fleet's on Redis and calls this for its copy.
        entries = [*Store.history(self, key), entry][-keep:]
        Store.put(self, key, {"entries": entries})

    def history(self, key: str) -> list[dict[str, Any]]:
        """The entries under ``key``, oldest first."""
        doc = Store.get(self, key)
        entries = doc.get("entries") if doc is not None else None
        return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []

    def delete(self, key: str) -> None:
        """Remove a row if present."""

        def in_memory(memory: dict[str, Any]) -> bool:
            memory[key] = _DELETED
            return True

        self._write(lambda cache: bool(cache.delete(key)), in_memory, False)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every row whose key starts with ``prefix``, in one transaction; return how many."""

        def work(cache: diskcache.Cache) -> int:
            with cache.transact():
                doomed = _keys_under(cache, prefix)
                for k in doomed:
                    cache.delete(k)
            return len(doomed)

        def in_memory(memory: dict[str, Any]) -> int:
            doomed = [k for k in memory if k.startswith(prefix) and memory[k] is not _DELETED]
            for k in doomed:
                memory[k] = _DELETED
            return len(doomed)

        return self._write(work, in_memory, 0)

    # -- locks ---------------------------------------------------------------------------------

    def lock_holder(self, name: str, *, shared: bool = False) -> dict[str, Any] | None:
        """Who holds lock ``name`` (``token``, ``pid``, ``host``, ``at``), or None if it is free.

        ``shared`` asks for the fleet-wide lock of that name (the same one on a machine-local store).
        """
        raw = self._read(f"lock:{name}")
        if not isinstance(raw, str):
            return None
        try:
            holder = json.loads(raw)
        except ValueError:
            holder = None
        return holder if isinstance(holder, dict) else {"token": raw}

    def try_lock(self, name: str, seconds: float, *, shared: bool = False) -> str | None:
        """Take a cross-process lock without waiting; return its token, or None if held.

        The row names its owner and expires after ``seconds``. A lock whose owner process has
        died on this host is taken over at once. ``shared`` asks for a fleet-wide lock (on a
        machine-local store, this one).
        """
        key = f"lock:{name}"
        token, value = new_lock_value()

        def in_memory(memory: dict[str, Any]) -> bool:
            if isinstance(memory.get(key), str):
                return False
            memory[key] = value
            return True

        taken = self._write(lambda cache: bool(cache.add(key, value, expire=seconds)), in_memory, False)
        if not taken:
            holder = self.lock_holder(name)
            if holder is not None and self._owner_dead(holder):
                taken = self._steal(key, holder, value, seconds)
        if not taken:
            return None
        with self._mutex:
            self._held[name] = token
        return token

    def _owner_dead(self, holder: dict[str, Any]) -> bool:
        pid, holder_host = holder.get("pid"), holder.get("host")
        if not isinstance(pid, int) or holder_host != host():
            return False
        return pid != os.getpid() and not _pid_alive(pid)

    def _steal(self, key: str, holder: dict[str, Any], value: str, seconds: float) -> bool:
        def work(cache: diskcache.Cache) -> bool:
            with cache.transact():
                current = cache.get(key)
                try:
                    same = isinstance(current, str) and json.loads(current).get("token") == holder.get("token")
                except (ValueError, AttributeError):
                    same = False
                if not same:
                    return False
                cache.set(key, value, expire=seconds)
                return True

        stolen = self._write(work, lambda memory: False, False)
        if stolen:
            _log.info("took over %s from pid %s, which is gone", key, holder.get("pid"))
        return stolen

    def unlock(self, name: str, token: str) -> None:
        """Release a lock taken with :meth:`try_lock` if this token still holds it."""
        key = f"lock:{name}"
        with self._mutex:
            if self._held.get(name) == token:
                del self._held[name]

        def work(cache: diskcache.Cache) -> bool:
            with cache.transact():
                current = cache.get(key)
                if isinstance(current, str) and (current == token or f'"token": "{token}"' in current):
                    cache.delete(key)
            return True

        def in_memory(memory: dict[str, Any]) -> bool:
            current = memory.get(key)
            if isinstance(current, str) and f'"token": "{token}"' in current:
                del memory[key]
            return True

        self._write(work, in_memory, False)

    def release_all(self) -> None:
        """Release every lock this store holds (called at exit)."""
        with self._mutex:
            held = dict(self._held)
        for name, token in held.items():
            self.unlock(name, token)

    @contextmanager
    def locked(self, name: str, seconds: float, wait: float) -> Iterator[bool]:
        """Hold a lock for a block, waiting up to ``wait`` seconds; yields whether it was taken."""
        deadline = time.monotonic() + wait
        token = self.try_lock(name, seconds)
        while token is None and time.monotonic() < deadline:
            time.sleep(0.01)
            token = self.try_lock(name, seconds)
        try:
            yield token is not None
        finally:
            if token is not None:
                self.unlock(name, token)

    # -- housekeeping --------------------------------------------------------------------------

    def configurations(self) -> list[dict[str, Any]]:
        """Every configuration with a generation here: ``config``, ``used`` (Unix time), ``generations``.

        ``used`` is the last time a process built, adopted or refreshed it (lookups write nothing).
        """
        out: list[dict[str, Any]] = []
        for key in self._keys_like("catalog:", ":meta"):
            config = key[len("catalog:") : -len(":meta")]
            if ":" in config:
                continue
            meta = self.get(key) or {}
            stamps = [meta.get(k) for k in ("used_at", "synced_at", "built_at")]
            used = max((float(s) for s in stamps if isinstance(s, (int, float))), default=0.0)
            generations = _json_list(self._read(f"catalog:{config}:generations"))
            out.append({"config": config, "used": used, "generations": generations})
        return out

    def _keys_like(self, prefix: str, suffix: str) -> list[str]:
        """Keys between ``prefix`` and ``suffix``, read without writing (an empty list when unreadable)."""
        query = "SELECT key FROM Cache WHERE raw = 1 AND key >= ? AND key < ? AND key LIKE ?"
        args = (prefix, prefix + "\U0010ffff", "%" + suffix.replace("%", "\\%"))
        try:
            with self._mutex:
                if self._memory is not None:
                    return sorted(
                        k
                        for k, v in self._memory.items()
                        if k.startswith(prefix) and k.endswith(suffix) and v is not _DELETED
                    )
                if self._reader is None:
                    self._reader = self._connect_reader()
                if self._reader is None:
                    return []
                rows = self._reader.execute(query, args).fetchall()
        except (sqlite3.Error, OSError):
            return []
        return [k for (k,) in rows if isinstance(k, str) and k.endswith(suffix)]

    def live_bytes(self) -> int:
        """Bytes the cache's data takes: the database's pages in use and the value files (not free pages)."""
        if self._memory is not None:
            return sum(len(v) for v in self._memory.values() if isinstance(v, str))

        def work(cache: diskcache.Cache) -> int:
            pages = cache._sql("PRAGMA page_count").fetchone()[0]
            free = cache._sql("PRAGMA freelist_count").fetchone()[0]
            size = cache._sql("PRAGMA page_size").fetchone()[0]
            files = cache._sql("SELECT value FROM Settings WHERE key = 'size'").fetchone()
            return int((pages - free) * size + (files[0] if files else 0))

        return self._write(work, lambda memory: 0, 0) if (self.directory / _DB).exists() else 0

    def drop_configuration(self, config: str) -> int:
        """Remove one configuration's generations, pointer, registry and summary; how many rows went."""
        registry = f"catalog:{config}:generations"

        def work(cache: diskcache.Cache) -> int:
            removed = 0
            with cache.transact():
                for prefix in _json_list(cache.get(registry)):
                    removed += int(cache.evict(prefix))
                for key in (
                    registry,
                    f"catalog:{config}:meta",
                    f"history:{config}:summary",
                    f"history:{config}:summary:head",
                ):
                    removed += int(bool(cache.delete(key)))
                removed += _sweep_parts(cache)
            return removed

        def in_memory(memory: dict[str, Any]) -> int:
            doomed = [k for k in memory if k.startswith(f"catalog:{config}:") or k.startswith(f"history:{config}:")]
            for k in doomed:
                memory[k] = _DELETED
            return len(doomed) + _sweep_memory_parts(memory)

        return self._write(work, in_memory, 0)

    def collect(self, keep: str, *, cap_bytes: int, unused_seconds: float, now: float) -> list[str]:
        """Drop what the cap and age say; return the configurations dropped.

        Configurations unused for ``unused_seconds`` go, then the least recently used ones while the
        data takes more than ``cap_bytes``; never ``keep`` (the one in use). Each configuration
        goes in one transaction: a reader in the middle of a read still sees a
        whole generation, and one whose generation went rebuilds or adopts the current one.
        """
        configs = sorted((c for c in self.configurations() if c["config"] != keep), key=lambda c: c["used"])
        dropped: list[str] = []
        for config in configs:
            if now - config["used"] > unused_seconds:
                self.drop_configuration(config["config"])
                dropped.append(config["config"])
        for config in configs:
            if config["config"] in dropped:
                continue
            if self.live_bytes() <= cap_bytes:
                break
            self.drop_configuration(config["config"])
            dropped.append(config["config"])
        return dropped

    def info(self) -> dict[str, Any]:
        """What the cache holds: sizes, generations, configurations and the least recently used one."""
        configs = self.configurations()
        on_disk = 0
        for path in own_files(self.directory):
            with suppress(OSError):
                on_disk += path.stat().st_size
        oldest = min(configs, key=lambda c: c["used"]) if configs else None
        return {
            "path": str(self.directory),
            "bytes_on_disk": on_disk,
            "bytes_used": self.live_bytes() if configs or on_disk else 0,
            "configurations": len(configs),
            "generations": sum(len(c["generations"]) for c in configs),
            "oldest": None if oldest is None else {"config": oldest["config"], "used": oldest["used"]},
        }

    def clear(self) -> int:
        """Delete everything this store holds; return how many rows went.

        When the database cannot delete (a full disk), the store's own files are removed instead,
        which frees the space. Raises :class:`~massgen_discovery.errors.CacheError` saying why
        when neither works (a read-only directory).
        """
        if self._memory is not None:
            count = sum(1 for v in self._memory.values() if v is not _DELETED)
            self._memory.clear()
        else:
            count = 0
        if not (self.directory / _DB).exists():
            return count
        try:
            return count + int(self._writer().clear())
        except _store_errors() as exc:
            first = exc
        self.close()
        try:
            before = len(own_files(self.directory))
            removed = remove_own_files(self.directory)
        except OSError as exc:
            raise CacheError(f"cannot clear {self.directory}: {_one_line(first)}; {_one_line(exc)}") from exc
        if removed < before or own_files(self.directory):
            raise CacheError(f"cannot clear {self.directory}: {_one_line(first)}")
        return count + removed

    def close(self) -> None:
        """Close the database handles (they reopen on next use)."""
        with self._mutex:
            self._close_quiet()
            # The reader first: the last handle to close checkpoints the write-ahead log, and a
            # read-only handle cannot.
            if self._reader is not None:
                with suppress(*_store_errors()):
                    self._reader.close()
                self._reader = None
            if self._cache is not None:
                with suppress(*_store_errors()):
                    self._cache.close()
                self._cache = None


def new_lock_value() -> tuple[str, str]:
    """A fresh lock token, and the row that names its owner (token, pid, host, time)."""
    token = os.urandom(16).hex()
    return token, json.dumps({"token": token, "pid": os.getpid(), "host": host(), "at": time.time()})


def encode_doc(doc: dict[str, Any]) -> str:
    """A document's stored text: JSON stamped with the schema version."""
    return json.dumps({**doc, "schema_version": SCHEMA_VERSION}, default=str)


def encode_with(field: str, json_text: str) -> str:
    """:func:`encode_doc` of ``{field: value}`` for a value already written as JSON (a listing of MBs)."""
    return f'{{{json.dumps(field)}: {json_text}, "schema_version": {SCHEMA_VERSION}}}'


def _identity(path: Path) -> tuple[int, int, int, int]:
    """What changes when a file is replaced or written: inode, size, modification and change time."""
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _probe_writable(db: Path) -> None:
    """Check that a writer could start on ``db`` now.

    Raises ``sqlite3.OperationalError`` ("database is locked") when another process holds the
    write lock for longer than :data:`WRITE_WAIT`.
    """
    if not db.is_file():
        return
    con = sqlite3.connect(str(db), timeout=WRITE_WAIT, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("ROLLBACK")
    finally:
        con.close()


def _can_write(path: Path) -> bool:
    """Whether ``path`` may be written (read-only or immutable files say no, for root too).

    ``access()`` rather than opening the file: closing any descriptor of a file drops every POSIX
    lock this process holds on it, and SQLite's locks on the WAL index must not be dropped.
    """
    return os.access(path, os.W_OK)


def _keys_under(cache: diskcache.Cache, prefix: str) -> list[str]:
    """Every key that starts with ``prefix``, through the database's key index (not a scan of all keys)."""
    rows = cache._sql("SELECT key FROM Cache WHERE raw = 1 AND key >= ? AND key < ?", (prefix, prefix + "\U0010ffff"))
    return [k for (k,) in rows if isinstance(k, str) and k.startswith(prefix)]


_PART = "part:"
_DIR = re.compile(r"^catalog:[^:]+:[^:]+:dir$")


def _parts_stored(cache: diskcache.Cache, keys: list[str]) -> set[str]:
    """Which of the part ``keys`` the database holds already (one query per 500 keys)."""
    found: set[str] = set()
    for at in range(0, len(keys), 500):
        chunk = keys[at : at + 500]
        marks = ",".join("?" * len(chunk))
        rows = cache._sql(f"SELECT key FROM Cache WHERE raw = 1 AND key IN ({marks})", chunk)
        found.update(k for (k,) in rows if isinstance(k, str))
    return found


def _live_parts(dirs: Iterator[Any]) -> set[str]:
    from .rows import part_names

    live: set[str] = set()
    for raw in dirs:
        live.update(part_names(raw if isinstance(raw, str) else None))
    return live


def _sweep_parts(cache: diskcache.Cache) -> int:
    """Remove every part no stored generation names; how many went (inside the caller's transaction).

    A generation whose ``dir`` cannot be read keeps nothing alive: it cannot be served anyway.
    """
    dirs = (cache.get(k) for k in _keys_under(cache, "catalog:") if _DIR.match(k))
    live = _live_parts(dirs)
    doomed = [k for k in _keys_under(cache, _PART) if k not in live]
    for key in doomed:
        cache.delete(key)
    return len(doomed)


def _sweep_memory_parts(memory: dict[str, Any]) -> int:
    live = _live_parts(v for k, v in memory.items() if _DIR.match(k))
    doomed = [k for k, v in memory.items() if k.startswith(_PART) and k not in live and v is not _DELETED]
    for key in doomed:
        memory[key] = _DELETED
    return len(doomed)


def _json_list(raw: Any) -> list[str]:
    try:
        value = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _transient(exc: BaseException) -> bool:
    """Whether a storage error is a busy database (retry later) rather than damage or a full disk."""
    if type(exc).__name__ == "Timeout" and type(exc).__module__.startswith("diskcache"):
        return True
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
