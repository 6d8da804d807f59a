"""The cache directory on disk: its place, its files, the diskcache ``Disk`` that reads only ours.

Also the small helpers the store's SQL and documents use.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .._domain.digest import sha256_hex
from .._domain.log import get_logger
from .rows import PART, part_names

if TYPE_CHECKING:
    import weakref
    from pathlib import Path

    import diskcache

    from .locks import LockHolder

__all__ = [
    "DELETED",
    "Deleted",
    "MemoryRows",
    "DEFAULT_CACHE_MAX_MB",
    "SCHEMA_VERSION",
    "cache_cap_bytes",
    "credential_fingerprint",
    "default_cache_dir",
    "default_cache_path",
    "encode_doc",
    "encode_with",
    "host",
    "new_lock_value",
    "own_files",
    "own_value_file",
    "owner_gone",
    "remove_own_files",
]

SCHEMA_VERSION = 2

"""Bumped whenever the shape of a stored document changes; other versions read as a miss (2: records
carry ``prices``, so a generation merged before them is rebuilt rather than served without tiers)."""

READ_WAIT = 1.0

"""Seconds a read waits for another process's lock before it answers without the cache."""

WRITE_WAIT = 1.0

"""Seconds a write waits for another writer; then it is dropped and writes pause as long."""

_log = get_logger(__name__)

_T = TypeVar("_T")

"""A key this package cannot have written (pickled); skipped wherever keys are listed."""

MODE_RAW, MODE_TEXT = 1, 3  # diskcache's storage modes for a str value: inline, or in a file


@functools.cache
def store_errors() -> tuple[type[BaseException], ...]:
    """What storage can raise; diskcache is imported only once something goes wrong or is written."""
    import diskcache

    return (sqlite3.Error, OSError, diskcache.Timeout)


@functools.cache
def safe_disk() -> type:
    """The diskcache ``Disk``, made to treat what the database says as input.

    Every removal and read of a value file goes through :func:`own_value_file` (a planted row
    naming ``/etc/passwd`` or ``../x`` makes diskcache touch nothing), and nothing stored is ever
    unpickled: this package stores only strings, so a pickled key or value is foreign and reads
    as a miss.
    """
    from pathlib import Path

    import diskcache

    class SafeDisk(diskcache.Disk):  # type: ignore[misc]
        def get(self, key: Any, raw: bool) -> Any:
            return super().get(key, raw) if raw else _FOREIGN

        def fetch(self, mode: int, filename: Any, value: Any, read: bool) -> Any:
            if mode == MODE_RAW:
                return super().fetch(mode, filename, value, read)
            if mode == MODE_TEXT and not read:
                path = own_value_file(Path(self._directory), filename)
                return path.read_text(encoding="utf-8") if path is not None else None
            return None  # pickled values and foreign file names are not read

        def remove(self, file_path: Any) -> None:
            directory = Path(self._directory)
            path = own_value_file(directory, file_path)
            if path is None:
                warn_once(f"cache at {directory}: a row names {str(file_path)[:80]!r}, not a file of its own; kept")
                return
            with suppress(OSError):
                path.unlink()
            for folder in (path.parent, path.parent.parent):
                with suppress(OSError):
                    folder.rmdir()  # only if empty, and never above the cache directory

    return SafeDisk


_FOREIGN = object()


DB_FILE = "cache.db"


_DB_FILES = (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", f"{DB_FILE}-journal")


_HEX2 = r"^[0-9a-f]{2}$"


_VALUE_FILE = r"^[0-9a-f]{28}\.val$"


@functools.cache
def host() -> str:
    """The machine's name, as locks record their owner."""
    import socket

    return socket.gethostname()


class Deleted:
    """A row deleted while writes are kept in memory: it hides the row on disk."""

    __slots__ = ()


DELETED = Deleted()
MemoryRows = dict[str, "str | Deleted"]
"""The store's rows while writes are kept in memory: each key's text, or :data:`DELETED`."""


_WARNED: set[str] = set()


UNSURE = object()


# A value over its cap is not even handed to Python (its length is, so the warning can say so).
ROW_QUERY = (
    "SELECT mode, CASE WHEN length(value) > ? THEN NULL ELSE value END, filename, expire_time, length(value) "
    "FROM Cache WHERE key = ? AND raw = 1"
)


def default_cache_path() -> str:
    """``MASSGEN_DISCOVERY_CACHE_DIR``, else the platform's user cache dir + ``massgen_discovery``.

    Plain strings: this runs on every cold lookup, which never needs :mod:`pathlib` (about 4 ms).
    """
    # Written out rather than importing platformdirs: the three platform rules are all we need.
    env = os.environ.get("MASSGEN_DISCOVERY_CACHE_DIR")
    if env:
        return os.path.expanduser(env)
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "massgen_discovery", "Cache")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "massgen_discovery")
    xdg = os.environ.get("XDG_CACHE_HOME")
    return os.path.join(xdg or os.path.join(home, ".cache"), "massgen_discovery")


def default_cache_dir() -> Path:
    """:func:`default_cache_path` as a :class:`~pathlib.Path`."""
    from pathlib import Path

    return Path(default_cache_path())


def sqlite_uri(path: str, flags: str) -> str:
    """A ``file:`` URI SQLite opens ``path`` by, with query ``flags`` (``mode=ro`` ...)."""
    absolute = os.path.realpath(path)
    if os.name == "nt":  # drive letters and backslashes: pathlib knows the form
        from pathlib import Path

        return f"{Path(absolute).as_uri()}?{flags}"
    # SQLite decodes %HH in a URI's path; only these three would be read as URI syntax.
    escaped = absolute.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file://{escaped}?{flags}"


DEFAULT_CACHE_MAX_MB = 256
"""The cache's cap when ``MASSGEN_DISCOVERY_CACHE_MAX_MB`` does not set one."""


def cache_cap_bytes() -> int:
    """``MASSGEN_DISCOVERY_CACHE_MAX_MB`` (default 256) in bytes; an unusable value warns and uses the default."""
    raw = os.environ.get("MASSGEN_DISCOVERY_CACHE_MAX_MB", "").strip()
    if not raw:
        return DEFAULT_CACHE_MAX_MB << 20
    try:
        megabytes = float(raw)
    except ValueError:
        megabytes = -1.0
    if not (megabytes > 0 and megabytes < 10**7):
        _log.warning("MASSGEN_DISCOVERY_CACHE_MAX_MB=%r is not a size in MB; using %d", raw[:20], DEFAULT_CACHE_MAX_MB)
        return DEFAULT_CACHE_MAX_MB << 20
    return int(megabytes * (1 << 20))


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


def warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        _log.warning("%s", message)


def too_big(key: str, size: int, cap: int, directory: Path) -> None:
    warn_once(f"cache at {directory}: {key[:80]!r} holds {size:,} bytes, over its {cap:,}-byte cap; ignored")


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


def owner_gone(holder: LockHolder) -> bool:
    """Whether a lock's owner was a process on this host that is gone (its lock may be taken over)."""
    if holder.pid is None or holder.host != host():
        return False
    return holder.pid != os.getpid() and not _pid_alive(holder.pid)


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


class OpenStores:
    """Stores that opened the database, closed at normal exit.

    Their locks are released and their handles closed, so SQLite folds its write-ahead log back
    into the database file.
    """

    stores: ClassVar[weakref.WeakSet[Any] | None] = None
    """Made by the first writer (a lookup that only reads never imports :mod:`weakref`)."""

    @classmethod
    def add(cls, store: Any) -> None:
        if cls.stores is None:
            import weakref

            cls.stores = weakref.WeakSet()
            atexit.register(cls.release_all)
        cls.stores.add(store)

    @classmethod
    def release_all(cls) -> None:
        for store in list(cls.stores or ()):
            with suppress(Exception):
                store.release_all()
            with suppress(Exception):
                store.close()


def new_lock_value() -> tuple[str, str]:
    """A fresh lock token, and the row that names its owner (token, pid, host, time)."""
    token = os.urandom(16).hex()
    return token, json.dumps({"token": token, "pid": os.getpid(), "host": host(), "at": time.time()})


def encode_doc(doc: dict[str, Any]) -> str:
    """A document's stored text: JSON stamped with the schema version."""
    return json.dumps({**doc, "schema_version": SCHEMA_VERSION}, default=str)


def encode_with(field: str, json_text: str, **more: str) -> str:
    """:func:`encode_doc` of ``{field: value, **more}`` for values already written as JSON (a listing of MBs)."""
    inner = ", ".join(f"{json.dumps(name)}: {text}" for name, text in {field: json_text, **more}.items())
    return f'{{{inner}, "schema_version": {SCHEMA_VERSION}}}'


def file_identity(path: str | Path) -> tuple[int, int, int, int]:
    """What changes when a file is replaced or written: inode, size, modification and change time."""
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def probe_writable(db: Path) -> None:
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


def can_write(path: str | Path) -> bool:
    """Whether ``path`` may be written (read-only or immutable files say no, for root too).

    ``access()`` rather than opening the file: closing any descriptor of a file drops every POSIX
    lock this process holds on it, and SQLite's locks on the WAL index must not be dropped.
    """
    return os.access(path, os.W_OK)


def keys_under(cache: diskcache.Cache, prefix: str) -> list[str]:
    """Every key that starts with ``prefix``, through the database's key index (not a scan of all keys)."""
    rows = cache._sql("SELECT key FROM Cache WHERE raw = 1 AND key >= ? AND key < ?", (prefix, prefix + "\U0010ffff"))
    return [k for (k,) in rows if isinstance(k, str) and k.startswith(prefix)]


_DIR = re.compile(r"^catalog:[^:]+:[^:]+:dir$")


def parts_stored(cache: diskcache.Cache, keys: list[str]) -> set[str]:
    """Which of the part ``keys`` the database holds already (one query per 500 keys)."""
    found: set[str] = set()
    for at in range(0, len(keys), 500):
        chunk = keys[at : at + 500]
        marks = ",".join("?" * len(chunk))
        rows = cache._sql(f"SELECT key FROM Cache WHERE raw = 1 AND key IN ({marks})", chunk)
        found.update(k for (k,) in rows if isinstance(k, str))
    return found


def _live_parts(dirs: Iterator[Any]) -> set[str]:
    live: set[str] = set()
    for raw in dirs:
        live.update(part_names(raw if isinstance(raw, str) else None))
    return live


def sweep_parts(cache: diskcache.Cache) -> int:
    """Remove every part no stored generation names; how many went (inside the caller's transaction).

    A generation whose ``dir`` cannot be read keeps nothing alive: it cannot be served anyway.
    """
    dirs = (cache.get(k) for k in keys_under(cache, "catalog:") if _DIR.match(k))
    live = _live_parts(dirs)
    doomed = [k for k in keys_under(cache, PART) if k not in live]
    for key in doomed:
        cache.delete(key)
    return len(doomed)


def sweep_retired(cache: diskcache.Cache, candidates: set[str]) -> int:
    """Remove those of ``candidates`` (the parts retired generations named) no stored ``dir`` names.

    Inside the caller's transaction, after the retired generations went. Each remaining ``dir`` is
    searched as text for the parts' hashes, not parsed: a build retires one generation, and
    parsing every configuration's directories on each build cost more than the build's own rows.
    A hash that happens to appear in a ``dir`` keeps its part until a full sweep; never the other
    way round.
    """
    hashes = {key[len(PART) :] for key in candidates}
    for key in keys_under(cache, "catalog:"):
        if not hashes:
            break
        if _DIR.match(key):
            raw = cache.get(key)
            if isinstance(raw, str):
                hashes = {h for h in hashes if h not in raw}
    for digest in hashes:
        cache.delete(PART + digest)
    return len(hashes)


def sweep_memory_parts(memory: MemoryRows) -> int:
    live = _live_parts(v for k, v in memory.items() if _DIR.match(k))
    doomed = [k for k, v in memory.items() if k.startswith(PART) and k not in live and v is not DELETED]
    for key in doomed:
        memory[key] = DELETED
    return len(doomed)


def json_list(raw: Any) -> list[str]:
    try:
        value = json.loads(raw) if isinstance(raw, str) else []
    except ValueError:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def transient(exc: BaseException) -> bool:
    """Whether a storage error is a busy database (retry later) rather than damage or a full disk."""
    if type(exc).__name__ == "Timeout" and type(exc).__module__.startswith("diskcache"):
        return True
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
