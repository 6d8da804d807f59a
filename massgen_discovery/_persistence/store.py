"""The local store: documents, generations, locks and housekeeping over a diskcache directory.

With :mod:`.backend` and :mod:`.disk`, the only code that imports diskcache (and reads its database).

Each value is a JSON text (so a damaged or foreign row is a miss, never a crash in unpickling). The
key layout belongs to the callers (the orchestration modules and :mod:`.rows`); the store
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

import json
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any, NamedTuple

from .._domain.gate import check_doc
from .._domain.log import get_logger

if TYPE_CHECKING:
    import diskcache

    from .._domain.change_rows import HistoryEntry
    from .locks import Lock, LockHolder
from . import history_rows
from .backend import Backend
from .disk import (
    DB_FILE,
    DELETED,
    SCHEMA_VERSION,
    MemoryRows,
    encode_doc,
    json_list,
    keys_under,
    new_lock_value,
    own_files,
    owner_gone,
    parts_stored,
    sweep_memory_parts,
    sweep_parts,
    sweep_retired,
)
from .pointer import Pointer
from .rows import PART, part_names

__all__ = ["Configuration", "Store"]

_log = get_logger(__name__)

AGE_CHECK_SECONDS = 3600.0
"""How often a process looks for configurations unused too long, while the cache is under its cap."""


# The functional form (kept from ruff's UP014): its field types are evaluated expressions, where the
# class form would compile a forward reference per field whenever the store is imported.
Configuration = NamedTuple(  # noqa: UP014
    "Configuration", [("config", str), ("used", float), ("generations", list[str]), ("sources", list[str])]
)
Configuration.__doc__ = """One catalog configuration with generations in the store: its id (``catalog:<config>:``
keys), when a process last built, adopted or refreshed it (lookups write nothing; 0 if unknown), the
prefixes of its generations, and what it is made of (``litellm`` for the bundled map, then its live
sources)."""


class Store(Backend):
    """JSON documents, generations, locks and housekeeping over the backend (see :class:`Backend`)."""

    _aged_at: float | None = None
    """When :meth:`collect` last looked at every configuration's age (this process's clock)."""

    def get(self, key: str, *, shared: bool = False) -> dict[str, Any] | None:
        """Read a document; a missing, damaged or other-schema-version row is None.

        ``shared`` asks for the document as the whole fleet sees it: on one machine, this one.
        """
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

    def put(self, key: str, doc: dict[str, Any]) -> bool:
        """Write a document, stamped with the schema version; False if it could not be kept."""
        return self.put_encoded(key, encode_doc(doc))

    def put_encoded(self, key: str, text: str) -> bool:
        """Write a document already encoded by :func:`encode_doc` (or :func:`encode_with`)."""
        return self.put_raw(key, text)

    def put_many(self, texts: Mapping[str, str], deleted: Sequence[str] = ()) -> bool:
        """:meth:`put_encoded` each text in order, then delete ``deleted``, in one transaction."""

        def work(cache: diskcache.Cache) -> bool:
            with cache.transact():
                for key, text in texts.items():
                    cache.set(key, text)
                for key in deleted:
                    cache.delete(key)
            return True

        def in_memory(memory: MemoryRows) -> bool:
            memory.update(texts)
            memory.update(dict.fromkeys(deleted, DELETED))
            return True

        return self._write(work, in_memory, False)

    def put_raw(self, key: str, text: str) -> bool:
        """Write a JSON text as is; False if it could not be kept."""

        def in_memory(memory: MemoryRows) -> bool:
            memory[key] = text
            return True

        return self._write(lambda cache: bool(cache.set(key, text)), in_memory, False)

    def write_generation(
        self, registry: str, prefix: str, rows: dict[str, str], pointer_key: str, pointer: Pointer, keep: int = 2
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
        pointer_text = encode_doc(pointer.encode())

        def work(cache: diskcache.Cache) -> bool:
            with cache.transact():
                known = cache.get(registry)
                if known is None:
                    # The first build under this registry: rows an older layout left under the same
                    # namespace (registry key minus its last part) are swept once, here.
                    namespace = registry.rsplit(":", 1)[0] + ":"
                    for key in keys_under(cache, namespace):
                        if key != pointer_key:
                            cache.delete(key)
                listed = json_list(known)
                stored = parts_stored(cache, [k for k in rows if k.startswith(PART)])
                for key, text in rows.items():
                    if not key.startswith(PART):
                        cache.set(key, text, tag=prefix)
                    elif key not in stored:
                        cache.set(key, text)
                cache.set(pointer_key, pointer_text)
                listed = [p for p in listed if p != prefix] + [prefix]
                retired: set[str] = set()
                for old in listed[:-keep]:
                    retired.update(part_names(cache.get(f"{old}:dir")))
                    cache.evict(old)
                cache.set(registry, json.dumps(listed[-keep:]))
                if known is None:
                    sweep_parts(cache)
                elif retired:
                    sweep_retired(cache, retired - rows.keys())
            return True

        def in_memory(memory: MemoryRows) -> bool:
            listed = json_list(memory.get(registry))
            listed = [p for p in listed if p != prefix] + [prefix]
            for old in listed[:-keep]:
                for key in [k for k in memory if k.startswith(old + ":")]:
                    del memory[key]
            memory.update(rows)
            memory[pointer_key] = pointer_text
            memory[registry] = json.dumps(listed[-keep:])
            sweep_memory_parts(memory)
            return True

        return self._write(work, in_memory, False)

    def append_history(self, key: str, entry: HistoryEntry, keep: int) -> None:
        """Add ``entry`` to the capped list under ``key`` (newest last, at most ``keep``): see :mod:`.history_rows`.

        The list is read and rewritten under a cross-process lock: two processes appending at once
        would each rewrite the list it read, and the row of one would outlive the cap.
        """
        with self.lock(f"append:{key}").held(10.0, 5.0):  # not taken in 5 s: append all the same
            history_rows.append(self, key, entry, keep)

    def history(self, key: str) -> list[dict[str, Any]]:
        """The entries under ``key``, oldest first."""
        return history_rows.read(self, key)

    def delete(self, key: str) -> None:
        """Remove a row if present."""

        def in_memory(memory: MemoryRows) -> bool:
            memory[key] = DELETED
            return True

        self._write(lambda cache: bool(cache.delete(key)), in_memory, False)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every row whose key starts with ``prefix``, in one transaction; return how many."""

        def work(cache: diskcache.Cache) -> int:
            with cache.transact():
                doomed = keys_under(cache, prefix)
                for k in doomed:
                    cache.delete(k)
            return len(doomed)

        def in_memory(memory: MemoryRows) -> int:
            doomed = [k for k in memory if k.startswith(prefix) and memory[k] is not DELETED]
            for k in doomed:
                memory[k] = DELETED
            return len(doomed)

        return self._write(work, in_memory, 0)

    def lock_holder(self, name: str, *, shared: bool = False) -> LockHolder | None:
        """Who holds lock ``name``, or None if it is free.

        ``shared`` asks for the fleet-wide lock of that name (the same one on a machine-local store).
        """
        from .locks import LockHolder  # not on a lookup's path

        raw = self._read(f"lock:{name}")
        return LockHolder.decode(raw) if isinstance(raw, str) else None

    def try_lock(self, name: str, seconds: float, *, shared: bool = False) -> str | None:
        """Take a cross-process lock without waiting; return its token, or None if held.

        The row names its owner and expires after ``seconds``. A lock whose owner process has
        died on this host is taken over at once. ``shared`` asks for a fleet-wide lock (on a
        machine-local store, this one).
        """
        key = f"lock:{name}"
        token, value = new_lock_value()

        def in_memory(memory: MemoryRows) -> bool:
            if isinstance(memory.get(key), str):
                return False
            memory[key] = value
            return True

        taken = self._write(lambda cache: bool(cache.add(key, value, expire=seconds)), in_memory, False)
        if not taken:
            holder = self.lock_holder(name)
            if holder is not None and owner_gone(holder):
                taken = self._steal(key, holder, value, seconds)
        if not taken:
            return None
        with self._mutex:
            self._held[name] = token
        return token

    def _steal(self, key: str, holder: LockHolder, value: str, seconds: float) -> bool:
        from .locks import LockHolder

        def work(cache: diskcache.Cache) -> bool:
            with cache.transact():
                current = LockHolder.decode(cache.get(key))
                if current is None or current.token != holder.token:
                    return False
                cache.set(key, value, expire=seconds)
                return True

        stolen = self._write(work, lambda memory: False, False)
        if stolen:
            _log.info("took over %s from pid %s, which is gone", key, holder.pid)
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

        def in_memory(memory: MemoryRows) -> bool:
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

    def lock(self, name: str, *, shared: bool = False) -> Lock:
        """Cross-process lock ``name`` (see :class:`~massgen_discovery._persistence.locks.Lock`).

        ``shared`` asks for the fleet-wide lock of that name: on a machine-local store, this one.
        """
        from .locks import Lock  # not on a lookup's path

        return Lock(self, name, shared=shared)

    def configurations(self) -> list[Configuration]:
        """Every configuration with a generation here (see :class:`Configuration`)."""
        out: list[Configuration] = []
        for key in self._keys_like("catalog:", ":meta"):
            config = key[len("catalog:") : -len(":meta")]
            if ":" in config:
                continue
            meta = Pointer.decode(self.get(key))
            stamps = (meta.used_at, meta.synced_at, meta.built_at) if meta is not None else ()
            used = max((float(s) for s in stamps if s is not None), default=0.0)
            generations = json_list(self._read(f"catalog:{config}:generations"))
            out.append(Configuration(config, used, generations, _described(meta)))
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
                        if k.startswith(prefix) and k.endswith(suffix) and v is not DELETED
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

        return self._write(work, lambda memory: 0, 0) if (self.directory / DB_FILE).exists() else 0

    def drop_configuration(self, config: str) -> int:
        """Remove one configuration's generations, pointer, registry and summary; how many rows went."""
        registry = f"catalog:{config}:generations"

        def work(cache: diskcache.Cache) -> int:
            removed = 0
            with cache.transact():
                for prefix in json_list(cache.get(registry)):
                    removed += int(cache.evict(prefix))
                for key in (
                    registry,
                    f"catalog:{config}:meta",
                    f"history:{config}:summary",
                    f"history:{config}:summary:head",
                ):
                    removed += int(bool(cache.delete(key)))
                removed += sweep_parts(cache)
            return removed

        def in_memory(memory: MemoryRows) -> int:
            doomed = [k for k in memory if k.startswith(f"catalog:{config}:") or k.startswith(f"history:{config}:")]
            for k in doomed:
                memory[k] = DELETED
            return len(doomed) + sweep_memory_parts(memory)

        return self._write(work, in_memory, 0)

    def collect(self, keep: str, *, cap_bytes: int, unused_seconds: float, now: float) -> list[str]:
        """Drop what the cap and age say; return the configurations dropped.

        Configurations unused for ``unused_seconds`` go, then the least recently used ones while the
        data takes more than ``cap_bytes``; never ``keep`` (the one in use). Each configuration
        goes in one transaction: a reader in the middle of a read still sees a
        whole generation, and one whose generation went rebuilds or adopts the current one.
        """
        recently = self._aged_at is not None and 0 <= now - self._aged_at < AGE_CHECK_SECONDS
        if recently and self.live_bytes() <= cap_bytes:
            return []  # under the cap, and ages were looked at lately: nothing to read every configuration for
        self._aged_at = now
        configs = sorted((c for c in self.configurations() if c.config != keep), key=lambda c: c.used)
        dropped: list[str] = []
        for config in configs:
            if now - config.used > unused_seconds:
                self.drop_configuration(config.config)
                dropped.append(config.config)
        for config in configs:
            if config.config in dropped:
                continue
            if self.live_bytes() <= cap_bytes:
                break
            self.drop_configuration(config.config)
            dropped.append(config.config)
        return dropped

    def info(self) -> dict[str, Any]:
        """What the cache holds: sizes, generations, configurations and the least recently used one."""
        configs = self.configurations()
        on_disk = 0
        for path in own_files(self.directory):
            with suppress(OSError):
                on_disk += path.stat().st_size
        oldest = min(configs, key=lambda c: c.used) if configs else None
        return {
            "path": str(self.directory),
            "bytes_on_disk": on_disk,
            "bytes_used": self.live_bytes() if configs or on_disk else 0,
            "configurations": len(configs),
            "generations": sum(len(c.generations) for c in configs),
            "oldest": None
            if oldest is None
            else {"config": oldest.config, "used": oldest.used, "sources": oldest.sources},
        }


def _described(meta: Pointer | None) -> list[str]:
    """A configuration by what it is made of: ``litellm`` (the bundled map) and its live sources' names."""
    if meta is None:
        return []
    return (["litellm"] if meta.litellm_stamp not in (None, "off") else []) + sorted(meta.sources)
