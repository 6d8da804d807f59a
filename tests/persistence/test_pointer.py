"""A generation's pointer as a typed document: decoded once from the store, written back whole."""

from __future__ import annotations

from pathlib import Path

from massgen_discovery._persistence.pointer import Pointer, SourceMeta, never_tried
from massgen_discovery._persistence.store import Store

KEY = "catalog:abc:meta"


def test_a_pointer_reads_back_as_written_with_its_sources(cache_dir: Path) -> None:
    """Every field and each source's note survive the store; the inputs say what it was merged from."""
    store = Store(cache_dir)
    pointer = Pointer(
        "catalog:abc:g1",
        litellm_stamp="1.82.6:abcd",
        built_at=1.7e9,
        synced_at=1.7e9,
        count=10,
        bundled_count=7,
        sources={"lab": SourceMeta("v1", 1.7e9, 1.7e9 + 600, None, None, 3), "down": SourceMeta(error="refused")},
    )
    store.put(KEY, pointer.encode())
    read = Pointer.decode(store.get(KEY))
    assert read == pointer and read is not None and read.last_used == 1.7e9
    assert read.inputs() == '["1.82.6:abcd", [["down", null], ["lab", "v1"]]]'
    assert read._replace(sources={**read.sources, "lab": SourceMeta("v2")}).inputs() != read.inputs()
    assert read._replace(used_at=1.8e9).last_used == 1.8e9


def test_a_pointer_without_its_prefix_or_with_forged_fields_is_no_pointer(cache_dir: Path) -> None:
    """The gate refuses the row (a prefix outside the layout, a count that is text): no generation is read."""
    store = Store(cache_dir)
    for forged in ({"count": 3}, {"prefix": "../../etc"}, {"prefix": "catalog:abc:g1", "count": "3"}):
        store.put(KEY, forged)
        assert Pointer.decode(store.get(KEY)) is None
    assert Pointer.decode(None) is None


def test_a_source_never_tried_is_one_with_no_fetch_no_error_and_no_backoff() -> None:
    """What the background and the first tries wait on: a source no process has asked yet."""
    assert never_tried(None) and never_tried(SourceMeta()) and never_tried(SourceMeta(count=5))
    assert not never_tried(SourceMeta(fetched_at=1.7e9))
    assert not never_tried(SourceMeta(error="refused")) and not never_tried(SourceMeta(retry_at=1.7e9))
