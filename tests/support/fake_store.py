"""An in-memory store with the ``Storage`` protocol, for unit tests of the orchestration modules.

Every call is recorded in ``calls``, so a test can say what a step read and wrote. Documents are
kept as the JSON text a real store would hold, so what a test reads back went through encoding.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from massgen_discovery._persistence.disk import SCHEMA_VERSION, encode_doc

__all__ = ["FakeStore"]


class FakeStore:
    """A dict, a call log, and nothing else: no SQLite, no files, no Redis."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.locks: dict[str, str] = {}
        self.broken = False
        """When True, every read misses and every write is dropped (a store that cannot be used)."""

    # -- the protocol ----------------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        return Path(os.devnull)

    @property
    def persistent(self) -> bool:
        return not self.broken

    @property
    def shared_url(self) -> str | None:
        return None

    def check_shared(self) -> str | None:
        return None

    def release_writer(self) -> None:
        self.calls.append(("release_writer", ""))

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self.get_raw(key)
        doc = json.loads(raw) if raw else None
        return doc if isinstance(doc, dict) and doc.get("schema_version") == SCHEMA_VERSION else None

    def get_raw(self, key: str) -> str | None:
        self.calls.append(("get", key))
        return None if self.broken else self.rows.get(key)

    def get_many_raw(self, keys: list[str]) -> list[str | None]:
        return [self.get_raw(k) for k in keys]

    def get_shared(self, key: str) -> dict[str, Any] | None:
        return self.get(key)

    def put(self, key: str, doc: dict[str, Any]) -> bool:
        return self.put_encoded(key, encode_doc(doc))

    def put_encoded(self, key: str, text: str) -> bool:
        return self.put_raw(key, text)

    def put_many(self, texts: Mapping[str, str], deleted: Sequence[str] = ()) -> bool:
        ok = all([self.put_raw(key, text) for key, text in texts.items()])
        for key in deleted:
            self.delete(key)
        return ok

    def put_local(self, key: str, doc: dict[str, Any]) -> bool:
        return self.put(key, doc)

    def put_raw(self, key: str, text: str) -> bool:
        self.calls.append(("put", key))
        if self.broken:
            return False
        self.rows[key] = text
        return True

    def write_generation(
        self, registry: str, prefix: str, rows: dict[str, str], pointer_key: str, pointer: dict[str, Any], keep: int = 2
    ) -> bool:
        self.calls.append(("write_generation", prefix))
        if self.broken:
            return False
        listed = [p for p in json.loads(self.rows.get(registry, "[]")) if p != prefix] + [prefix]
        for old in listed[:-keep]:
            for key in [k for k in self.rows if k.startswith(old + ":")]:
                del self.rows[key]
        self.rows.update(rows)
        self.rows[pointer_key] = encode_doc(pointer)
        self.rows[registry] = json.dumps(listed[-keep:])
        return True

    def get_pointer(self, pointer_key: str, registry: str) -> dict[str, Any] | None:
        return self.get(pointer_key)

    def shared_pointer(self, pointer_key: str) -> dict[str, Any] | None:
        return None

    def adopt_shared(
        self, pointer_key: str, registry: str, local: dict[str, Any] | None, shared: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        return None

    def append_history(self, key: str, entry: dict[str, Any], keep: int) -> None:
        entries = [*self.history(key), entry][-keep:]
        self.put(key, {"entries": entries})

    def history(self, key: str) -> list[dict[str, Any]]:
        doc = self.get(key)
        return list(doc["entries"]) if doc is not None else []

    def delete(self, key: str) -> None:
        self.calls.append(("delete", key))
        self.rows.pop(key, None)

    def lock_holder(self, name: str, *, shared: bool = False) -> dict[str, Any] | None:
        return {"token": self.locks[name], "pid": os.getpid(), "host": "here"} if name in self.locks else None

    def try_lock(self, name: str, seconds: float, *, shared: bool = False) -> str | None:
        if name in self.locks:
            return None
        self.locks[name] = token = f"t{len(self.calls)}"
        return token

    def unlock(self, name: str, token: str) -> None:
        if self.locks.get(name) == token:
            del self.locks[name]

    def release_all(self) -> None:
        self.locks.clear()

    def locked(self, name: str, seconds: float, wait: float) -> AbstractContextManager[bool]:
        @contextmanager
        def hold() -> Iterator[bool]:
            token = self.try_lock(name, seconds)
            try:
                yield token is not None
            finally:
                if token is not None:
                    self.unlock(name, token)

        return hold()

    def collect(self, keep: str, *, cap_bytes: int, unused_seconds: float, now: float) -> list[str]:
        return []

    def info(self) -> dict[str, Any]:
        return {"rows": len(self.rows)}

    def clear(self) -> int:
        count = len(self.rows)
        self.rows.clear()
        return count

    def close(self) -> None:
        self.calls.append(("close", ""))

    def close_thread(self) -> None:
        self.calls.append(("close_thread", ""))

    # -- for tests ---------------------------------------------------------------------------------

    def keys(self, prefix: str) -> list[str]:
        """Stored keys under ``prefix``, sorted."""
        return sorted(k for k in self.rows if k.startswith(prefix))
