"""Change history kept in the local store: a capped list of entries, each a row of its own.

``key`` holds ``{"rows": [names]}``, newest last; each entry is under ``key:<time>:<pid>:<seq>``. So
adding one writes it and a short list, not every entry kept (twenty of a big listing's are
megabytes). A list written whole, as it once was (``{"entries": [...]}``), still reads and becomes
rows on the next append. A shared store keeps the fleet's list on Redis and this one as its copy.
"""

from __future__ import annotations

import itertools
import os
import time
from typing import TYPE_CHECKING, Any

from .disk import encode_doc

if TYPE_CHECKING:
    from .._domain.change_rows import HistoryEntry
    from .storage import Storage

__all__ = ["append", "read"]

_ENTRY_SEQ = itertools.count()
"""Tells apart history rows one process adds within one clock tick."""


def append(store: Storage, key: str, entry: HistoryEntry, keep: int) -> None:
    """Add ``entry`` to the list under ``key``: its row, the list, the oldest gone, in one transaction."""
    names, legacy = _rows(store, key)
    texts: dict[str, str] = {}
    for old in [*legacy, entry]:  # a list kept whole, as once written: each entry becomes its row
        name = f"{key}:{time.time_ns()}:{os.getpid()}:{next(_ENTRY_SEQ)}"
        texts[name] = encode_doc({"entry": old})
        names.append(name)
    texts[key] = encode_doc({"rows": names[-keep:]})
    store.put_many(texts, names[:-keep])


def read(store: Storage, key: str) -> list[dict[str, Any]]:
    """The entries under ``key``, oldest first."""
    names, legacy = _rows(store, key)
    out = list(legacy)
    for name in names:
        doc = store.get(name)
        if doc is not None and isinstance(doc.get("entry"), dict):
            out.append(doc["entry"])
    return out


def _rows(store: Storage, key: str) -> tuple[list[str], list[dict[str, Any]]]:
    """(the entry rows ``key`` names, entries kept in the list itself as once written)."""
    doc = store.get(key) or {}
    rows, entries = doc.get("rows"), doc.get("entries")
    names = [n for n in rows if isinstance(n, str) and n.startswith(f"{key}:")] if isinstance(rows, list) else []
    legacy = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    return names, legacy
