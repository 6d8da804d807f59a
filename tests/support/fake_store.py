"""An in-memory store with the ``Storage`` protocol, for unit tests of the orchestration modules.

Every call is recorded in ``calls``, so a test can say what a step read and wrote. Documents are
kept as the JSON text a real store would hold, so what a test reads back went through encoding.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from massgen_discovery._domain.change_rows import HistoryEntry
from massgen_discovery._persistence.disk import SCHEMA_VERSION, encode_doc
from massgen_discovery._persistence.locks import Lock, LockHolder
from massgen_discovery._persistence.pointer import Pointer

__all__ = ["FakeStore"]


class FakeStore:
    """A dict, a call log, and nothing else: no SQLite, no files, no Redis."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.locks: dict[str, str] = {}
        self.broken = False
        """When True, every read misses and every write is dropped (a store that cannot be used)."""

    # -- the protocol (Storage: twelve members) ---------------------------------------------------

    def get(self, key: str, *, shared: bool = False) -> dict[str, Any] | None:
        raw = self.get_raw(key)
        doc = json.loads(raw) if raw else None
        return doc if isinstance(doc, dict) and doc.get("schema_version") == SCHEMA_VERSION else None

    def get_raw(self, key: str) -> str | None:
        self.calls.append(("get", key))
        return None if self.broken else self.rows.get(key)

    def get_many_raw(self, keys: list[str]) -> list[str | None]:
        return [self.get_raw(k) for k in keys]

    def put(self, key: str, doc: dict[str, Any]) -> bool:
        return self.put_raw(key, encode_doc(doc))

    def put_many(self, texts: Mapping[str, str], deleted: Sequence[str] = ()) -> bool:
        ok = all([self.put_raw(key, text) for key, text in texts.items()])
        for key in deleted:
            self.delete(key)
        return ok

    def write_generation(
        self, registry: str, prefix: str, rows: dict[str, str], pointer_key: str, pointer: Pointer, keep: int = 2
    ) -> bool:
        self.calls.append(("write_generation", prefix))
        if self.broken:
            return False
        listed = [p for p in json.loads(self.rows.get(registry, "[]")) if p != prefix] + [prefix]
        for old in listed[:-keep]:
            for key in [k for k in self.rows if k.startswith(old + ":")]:
                del self.rows[key]
        self.rows.update(rows)
        self.rows[pointer_key] = encode_doc(pointer.encode())
        self.rows[registry] = json.dumps(listed[-keep:])
        return True

    def collect(self, keep: str, *, cap_bytes: int, unused_seconds: float, now: float) -> list[str]:
        return []

    def history(self, key: str) -> list[dict[str, Any]]:
        doc = self.get(key)
        return list(doc["entries"]) if doc is not None else []

    def append_history(self, key: str, entry: HistoryEntry, keep: int) -> None:
        entries = [*self.history(key), entry][-keep:]
        self.put(key, {"entries": entries})

    def lock(self, name: str, *, shared: bool = False) -> Lock:
        return Lock(self, name, shared=shared)

    def release_writer(self) -> None:
        self.calls.append(("release_writer", ""))

    def close_thread(self) -> None:
        self.calls.append(("close_thread", ""))

    # -- the lock table a Lock works on ------------------------------------------------------------

    def lock_holder(self, name: str, *, shared: bool = False) -> LockHolder | None:
        return LockHolder(self.locks[name], os.getpid(), "here") if name in self.locks else None

    def try_lock(self, name: str, seconds: float, *, shared: bool = False) -> str | None:
        if name in self.locks:
            return None
        self.locks[name] = token = f"t{len(self.calls)}"
        return token

    def unlock(self, name: str, token: str) -> None:
        if self.locks.get(name) == token:
            del self.locks[name]

    # -- for tests ---------------------------------------------------------------------------------

    def put_raw(self, key: str, text: str) -> bool:
        """Keep ``text`` under ``key`` as stored (False while broken)."""
        self.calls.append(("put", key))
        if self.broken:
            return False
        self.rows[key] = text
        return True

    def delete(self, key: str) -> None:
        """Remove a row if present."""
        self.calls.append(("delete", key))
        self.rows.pop(key, None)

    def keys(self, prefix: str) -> list[str]:
        """Stored keys under ``prefix``, sorted."""
        return sorted(k for k in self.rows if k.startswith(prefix))
