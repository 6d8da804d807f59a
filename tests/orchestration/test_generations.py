"""Generations on their own: a fake in-memory store, no catalog; what each step reads and writes."""

from __future__ import annotations

import json

from massgen_discovery.testing import StaticSource

from ..support import lab
from ..support.fake_store import FakeStore
from ..support.wiring import parts_of, stored_listing, wired

# -- generations ------------------------------------------------------------------------------------


def test_a_build_writes_a_dir_naming_its_parts_and_points_to_it() -> None:
    store, source = FakeStore(), StaticSource("mylab", [])
    stored_listing(store, source, [lab("m1", max_input_tokens=1000), lab("m2")])
    state, generations, _ = wired(store, source)
    view = generations.build()
    assert view.records is not None and set(view.records) == {"mylab/m1", "mylab/m2"}
    (directory,) = store.keys(f"{view.prefix}:dir")
    named = json.loads(store.rows[directory])
    lookups = {f"part:{key}" for name in ("aliases", "lower") for _first, key in named[name]}
    facets = {f"part:{named['facets']}"}  # what a search reads
    assert {f"part:{p[1]}" for p in named["parts"]} | lookups | facets == set(parts_of(store))
    pointer = store.get(state.meta_key())
    assert pointer is not None and pointer["prefix"] == view.prefix and pointer["count"] == 2
    assert state.view is view


def test_another_reader_answers_from_the_parts_without_writing() -> None:
    store, source = FakeStore(), StaticSource("mylab", [])
    stored_listing(store, source, [lab("m1", max_input_tokens=1000), lab("m2")])
    wired(store, source)[1].build()
    _state, reader, _ = wired(store, source)
    store.calls.clear()
    view, missing = reader.current()
    assert view is not None and missing == []
    record = reader.resolve(view, "MYLAB/M1")
    assert record is not None and record.max_input_tokens == 1000
    assert reader.resolve(view, "mylab/nothing") is None
    assert not [c for c in store.calls if c[0] != "get"]


def test_a_build_from_the_same_listings_adopts_instead_of_merging_again() -> None:
    store, source = FakeStore(), StaticSource("mylab", [])
    stored_listing(store, source, [lab("m1")])
    _state, generations, _ = wired(store, source)
    first = generations.build()
    store.calls.clear()
    again = generations.build()
    assert again.prefix == first.prefix
    assert not [c for c in store.calls if c[0] == "write_generation"]


def test_a_damaged_part_is_rebuilt_from_the_listings() -> None:
    store, source = FakeStore(), StaticSource("mylab", [])
    stored_listing(store, source, [lab("m1", max_input_tokens=1000)])
    wired(store, source)[1].build()
    for key in parts_of(store):
        store.rows[key] = store.rows[key].replace("1000", "1001")  # no longer hashes to its name
    _state, reader, _ = wired(store, source)
    store.calls.clear()
    view, _missing = reader.current()
    assert view is not None
    record = reader.resolve(view, "mylab/m1")
    assert record is not None and record.max_input_tokens == 1000
    assert [c for c in store.calls if c[0] == "write_generation"]
