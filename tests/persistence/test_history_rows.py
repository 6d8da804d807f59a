"""Change history in the local store: a capped list whose entries are rows of their own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from massgen_discovery._persistence.store import Store


def test_history_entries_are_rows_of_their_own_and_the_oldest_go(cache_dir: Path) -> None:
    """Adding an entry writes it and a short list; past the cap the oldest rows are deleted."""
    store = Store(cache_dir)
    # A list kept whole, as once written, reads and becomes rows on the next append.
    store.put("h", {"entries": [{"at": 1.0, "more": 0}]})
    assert store.history("h") == [{"at": 1.0, "more": 0}]
    seen: set[str] = set()
    for n in range(1, 6):
        store.append_history("h", {"at": float(n), "more": n}, keep=3)
        seen.update((store.get("h") or {})["rows"])
    assert [e["more"] for e in store.history("h")] == [3, 4, 5]
    listed = (store.get("h") or {})["rows"]
    assert len(listed) == 3 and "entries" not in (store.get("h") or {})
    assert len(seen) == 6 and all(store.get_raw(k) is None for k in seen - set(listed))  # dropped rows are gone
    # A listed row that is gone or damaged is skipped, not fatal.
    store.delete(listed[0])
    assert [e["more"] for e in store.history("h")] == [4, 5]


def test_an_entry_its_list_and_the_oldests_removal_are_one_transaction(cache_dir: Path) -> None:
    """One write transaction per entry added, however many rows it touches."""
    store = Store(cache_dir)
    for n in range(4):
        store.append_history("h", {"at": float(n)}, keep=2)
    writes: list[int] = []
    real = store.put_many

    def counted(texts: Mapping[str, str], deleted: Sequence[str] = ()) -> bool:
        writes.append(1)
        return real(texts, deleted)

    store.put_many = counted  # type: ignore[method-assign]
    store.append_history("h", {"at": 9.0}, keep=2)
    assert writes == [1] and [e["at"] for e in store.history("h")] == [3.0, 9.0]
