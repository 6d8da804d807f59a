"""Persistence: the only module that imports diskcache.

What is stored, each value a JSON document (so a damaged or foreign row is a miss, never a crash
in unpickling):

- ``envelope:<source>:<base_url>:<credential fingerprint>`` — one per source configuration: the
  last good payload with its ``fetched_at``, plus the last error, the failure count and
  ``retry_at`` (negative cache). The credential itself is never stored, only a SHA-256 prefix.
- ``catalog:<config>:meta`` — the merged catalog's generation, what it was built from, and
  per-source freshness, so a new process decides everything with one read.
- ``catalog:<config>:<generation>:all`` / ``:index`` / ``:m:<model>`` — the merged records as one
  array, the lookup index (aliases and lower-cased keys) and one row per model for single lookups.

Freshness is decided here from ``fetched_at`` and a TTL, not with diskcache's ``expire=``: an
expired diskcache row is deleted on read and could not serve as stale fallback. ``expire=`` is used
only for lock rows, where vanishing is the point.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import diskcache

__all__ = ["SCHEMA_VERSION", "Store", "credential_fingerprint", "default_cache_dir"]

SCHEMA_VERSION = 1
"""Bumped whenever the shape of a stored document changes; other versions read as a miss."""

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
_STORE_ERRORS = (sqlite3.Error, OSError, diskcache.Timeout)


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
    return hashlib.sha256(credential.encode()).hexdigest()[:16]


class Store:
    """JSON documents in a diskcache directory, with a run-uncached fallback.

    Every method swallows storage errors: a damaged database is deleted and rebuilt once with one
    warning; a directory that cannot be used at all (unwritable, disk full) makes the store keep
    documents in memory for the life of the process, again with one warning.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_cache_dir()
        """Where the cache lives."""
        self._cache: diskcache.Cache | None = None
        self._memory: dict[str, str] | None = None
        self._rebuilt = False
        self._mutex = threading.Lock()

    # -- backend -------------------------------------------------------------------------------

    @property
    def persistent(self) -> bool:
        """False once the store has fallen back to memory."""
        return self._memory is None

    def _new_cache(self) -> diskcache.Cache:
        # timeout: seconds SQLite waits for another writer before diskcache raises Timeout.
        return diskcache.Cache(str(self.directory), timeout=2, size_limit=2**30)

    def _open(self) -> diskcache.Cache | None:
        if self._memory is not None:
            return None
        if self._cache is None:
            with self._mutex:
                if self._cache is None and self._memory is None:
                    try:
                        self._cache = self._new_cache()
                    except _STORE_ERRORS as exc:
                        self._recover(exc)
        return self._cache

    def _recover(self, exc: BaseException) -> None:
        """Rebuild a damaged cache once, else fall back to memory. Called with the error in hand."""
        damaged = isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)
        damaged = damaged or "malformed" in str(exc) or "not a database" in str(exc)
        self.close()
        if damaged and not self._rebuilt:
            self._rebuilt = True
            _log.warning("cache at %s is damaged (%s); rebuilding it", self.directory, _one_line(exc))
            try:
                shutil.rmtree(self.directory, ignore_errors=True)
                self._cache = self._new_cache()
                return
            except _STORE_ERRORS as again:
                exc = again
        _log.warning("cache at %s cannot be used (%s); running uncached", self.directory, _one_line(exc))
        self._memory = {}

    def _guard(self, work: Callable[[diskcache.Cache], _T], fallback: Callable[[], _T], failed: _T) -> _T:
        """Run ``work`` on the cache; on a damaged or unusable cache recover, then use ``fallback``.

        A busy database (another process writing for longer than the timeout) is transient: that
        one operation returns ``failed`` and the cache stays in use.
        """
        for _attempt in range(2):
            cache = self._open()
            if cache is None:
                return fallback()
            try:
                return work(cache)
            except _STORE_ERRORS as exc:
                if _transient(exc):
                    _log.debug("cache busy at %s: %s", self.directory, _one_line(exc))
                    return failed
                self._recover(exc)
        return fallback()

    def _call(self, op: str, key: str, value: str | None = None, expire: float | None = None) -> Any:
        def work(cache: diskcache.Cache) -> Any:
            if op == "get":
                return cache.get(key)
            if op == "set":
                return cache.set(key, value, expire=expire)
            if op == "add":
                return cache.add(key, value, expire=expire)
            return cache.delete(key)

        return self._guard(work, lambda: self._memory_call(op, key, value), None if op == "get" else False)

    def _memory_call(self, op: str, key: str, value: str | None) -> Any:
        memory = self._memory if self._memory is not None else {}
        if op == "get":
            return memory.get(key)
        if op == "set":
            memory[key] = value or ""
            return True
        if op == "add":
            if key in memory:
                return False
            memory[key] = value or ""
            return True
        return memory.pop(key, None) is not None

    # -- documents -----------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """Read a document; a missing, damaged or other-schema-version row is None."""
        raw = self._call("get", key)
        if not isinstance(raw, str):
            return None
        try:
            doc = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
            return None
        return doc

    def get_raw(self, key: str) -> str | None:
        """Read a stored JSON text as is (for documents parsed straight into records)."""
        raw = self._call("get", key)
        return raw if isinstance(raw, str) else None

    def put(self, key: str, doc: dict[str, Any]) -> None:
        """Write a document, stamped with the schema version."""
        self._call("set", key, json.dumps({**doc, "schema_version": SCHEMA_VERSION}, default=str))

    def put_raw(self, key: str, text: str) -> None:
        """Write a JSON text as is."""
        self._call("set", key, text)

    def put_many_raw(self, items: dict[str, str]) -> None:
        """Write many JSON texts in one transaction."""

        def work(cache: diskcache.Cache) -> None:
            with cache.transact():
                for key, text in items.items():
                    cache.set(key, text)

        def fallback() -> None:
            for key, text in items.items():
                self._memory_call("set", key, text)

        self._guard(work, fallback, None)

    def delete(self, key: str) -> None:
        """Remove a row if present."""
        self._call("delete", key)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every row whose key starts with ``prefix``; return how many."""

        def work(cache: diskcache.Cache) -> int:
            doomed = [k for k in cache.iterkeys() if isinstance(k, str) and k.startswith(prefix)]
            for k in doomed:
                cache.delete(k)
            return len(doomed)

        def fallback() -> int:
            memory = self._memory if self._memory is not None else {}
            doomed = [k for k in memory if k.startswith(prefix)]
            for k in doomed:
                memory.pop(k, None)
            return len(doomed)

        return self._guard(work, fallback, 0)

    # -- locks ---------------------------------------------------------------------------------

    def try_lock(self, name: str, seconds: float) -> str | None:
        """Take a cross-process lock without waiting; return its token, or None if held.

        The row expires after ``seconds`` so a crashed holder cannot wedge the others.
        """
        token = uuid.uuid4().hex
        return token if self._call("add", f"lock:{name}", token, expire=seconds) else None

    def unlock(self, name: str, token: str) -> None:
        """Release a lock taken with :meth:`try_lock` if this token still holds it."""
        if self._call("get", f"lock:{name}") == token:
            self._call("delete", f"lock:{name}")

    @contextmanager
    def locked(self, name: str, seconds: float, wait: float) -> Iterator[bool]:
        """Hold a lock for a block, waiting up to ``wait`` seconds; yields whether it was taken."""
        import time

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

    def clear(self) -> int:
        """Delete everything this store holds; return how many rows went."""

        def fallback() -> int:
            count = len(self._memory or {})
            if self._memory is not None:
                self._memory.clear()
            return count

        return self._guard(lambda cache: int(cache.clear()), fallback, 0)

    def close(self) -> None:
        """Close the database handle (it reopens on next use)."""
        if self._cache is not None:
            with suppress(*_STORE_ERRORS):
                self._cache.close()
            self._cache = None


def _transient(exc: BaseException) -> bool:
    """Whether a storage error is a busy database (retry later) rather than damage or a full disk."""
    if isinstance(exc, diskcache.Timeout):
        return True
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
