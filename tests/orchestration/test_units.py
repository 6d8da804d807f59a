"""Generations, refresh and background work, each on its own: a fake in-memory store, no catalog.

The store is ``tests.support.fake_store.FakeStore`` (a dict and a call log); sources are the
package's test sources; the clock is the fake one. What each step reads and writes is asserted.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from massgen_discovery._domain import clock as _clock
from massgen_discovery._orchestration.background import Background
from massgen_discovery._orchestration.generations import Generations
from massgen_discovery._orchestration.refresh import Refresher
from massgen_discovery._orchestration.state import State, View
from massgen_discovery._persistence.envelope import payload_key
from massgen_discovery.errors import ConfigError, SourceUnreachable
from massgen_discovery.records import ModelRecord
from massgen_discovery.sources import Source
from massgen_discovery.testing import StaticSource

from ..support import FakeClock, lab
from ..support.fake_store import FakeStore


def _parts(store: FakeStore) -> list[str]:
    return store.keys("part:")


def stored_listing(store: FakeStore, source: Source, records: list[ModelRecord], version: str = "v1") -> None:
    """An envelope and its payload as a refresh would have written them."""
    key = State.envelope_key(source)
    named = payload_key(key, version.ljust(32, "0"))
    store.put(named, {"payload": [r.model_dump(mode="json", exclude_defaults=True) for r in records]})
    at = _clock.now()
    store.put(
        key,
        {"source": source.name, "version": version, "payload_key": named, "fetched_at": at,
         "expires_at": at + 3600, "count": len(records), "failures": 0},
    )  # fmt: skip


def wired(store: FakeStore, *sources: Source, offline: bool = True) -> tuple[State, Generations, Refresher]:
    """A state with its generations and refresher joined as the catalog joins them."""
    state = State(store, list(sources), offline=offline, timeout=5.0)
    refresher: Refresher

    async def fetch(missing: list[Source]) -> object:
        return await refresher.refresh_sources(missing, explicit=False)

    generations = Generations(state, fetch)
    refresher = Refresher(state, generations.build)
    return state, generations, refresher


# -- generations ------------------------------------------------------------------------------------


def test_a_build_writes_a_dir_naming_its_parts_and_points_to_it() -> None:
    store, source = FakeStore(), StaticSource("mylab", [])
    stored_listing(store, source, [lab("m1", max_input_tokens=1000), lab("m2")])
    state, generations, _ = wired(store, source)
    view = generations.build()
    assert view.records is not None and set(view.records) == {"mylab/m1", "mylab/m2"}
    (directory,) = store.keys(f"{view.prefix}:dir")
    named = json.loads(store.rows[directory])
    assert {f"part:{p[1]}" for p in named["parts"]} | {f"part:{named['aliases']}", f"part:{named['lower']}"} == set(
        _parts(store)
    )
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
    for key in _parts(store):
        store.rows[key] = store.rows[key].replace("1000", "1001")  # no longer hashes to its name
    _state, reader, _ = wired(store, source)
    store.calls.clear()
    view, _missing = reader.current()
    assert view is not None
    record = reader.resolve(view, "mylab/m1")
    assert record is not None and record.max_input_tokens == 1000
    assert [c for c in store.calls if c[0] == "write_generation"]


# -- refresh ----------------------------------------------------------------------------------------


def test_a_refresh_stores_the_listing_apart_from_its_envelope_and_parses_it_once() -> None:
    store, source = FakeStore(), StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    state, _generations, refresher = wired(store, source, offline=False)
    (report,) = asyncio.run(refresher.refresh(["mylab"]))
    assert report.outcome == "ok" and report.count == 1
    envelope = store.get(State.envelope_key(source))
    assert envelope is not None and "payload" not in envelope and envelope["payload_key"] in store.rows
    store.calls.clear()
    records, _aliases = state.listing(source, envelope)
    assert [r.model for r in records] == ["mylab/m1"]
    assert ("get", envelope["payload_key"]) not in store.calls  # the refresh's parse is remembered


def test_the_same_listing_again_writes_only_its_envelope() -> None:
    store, source = FakeStore(), StaticSource("mylab", [lab("m1")])
    _state, _generations, refresher = wired(store, source, offline=False)
    asyncio.run(refresher.refresh(["mylab"]))
    store.calls.clear()
    (report,) = asyncio.run(refresher.refresh(["mylab"]))
    assert report.outcome == "ok" and report.changes == 0
    written = {key for op, key in store.calls if op in ("put", "write_generation")}
    # The envelope's freshness, and the generation pointer's copy of it: no listing, no generation.
    assert written == {State.envelope_key(source), _state.meta_key()}


class Flaky(StaticSource):
    """A listing that fails once told to."""

    failing = False

    async def fetch(self, client: Any, previous: Any = None) -> Any:
        if self.failing:
            raise SourceUnreachable("mylab: down", source=self.name)
        return await super().fetch(client, previous)


def test_a_failure_keeps_the_last_good_listing_and_backs_off() -> None:
    store, source = FakeStore(), Flaky("mylab", [lab("m1")])
    _state, _generations, refresher = wired(store, source, offline=False)
    asyncio.run(refresher.refresh(["mylab"]))
    source.failing = True
    (report,) = asyncio.run(refresher.refresh(["mylab"]))
    assert report.outcome == "stale" and report.count == 1 and "down" in (report.error or "")
    envelope = store.get(State.envelope_key(source))
    assert envelope is not None and envelope["failures"] == 1 and envelope["retry_at"] > _clock.now()
    assert envelope["payload_key"] in store.rows


def test_a_listing_that_shrank_to_a_tenth_is_held() -> None:
    store, source = FakeStore(), StaticSource("mylab", [lab(f"m{n}") for n in range(40)])
    state, _generations, refresher = wired(store, source, offline=False)
    asyncio.run(refresher.refresh(["mylab"]))
    source.records = source.records[:4]
    (report,) = asyncio.run(refresher.refresh(["mylab"]))
    assert report.outcome == "stale" and "shrank" in (report.error or "")
    envelope = store.get(State.envelope_key(source))
    assert envelope is not None and envelope["count"] == 40 and envelope["degraded"]
    held = state.history().changes()
    assert held and all(c.held for c in held)


def test_an_unknown_source_is_a_configuration_error() -> None:
    _state, _generations, refresher = wired(FakeStore(), StaticSource("mylab", []), offline=False)
    with pytest.raises(ConfigError, match="unknown source nosuch"):
        asyncio.run(refresher.refresh(["nosuch"]))


# -- background ---------------------------------------------------------------------------------------


def _view(sources: dict[str, dict[str, Any]]) -> View:
    return View(prefix="catalog:x:y", meta={"sources": sources}, checked=0.0)


def test_only_expired_automatic_sources_past_their_backoff_are_due(clock: FakeClock, monkeypatch: Any) -> None:
    sources = [StaticSource(n, []) for n in ("fresh", "expired", "backing", "manual")]
    state = State(FakeStore(), sources, offline=False, timeout=5.0, refresh_modes={"manual": "manual"})
    now = _clock.now()
    view = _view(
        {
            "fresh": {"expires_at": now + 60},
            "expired": {"expires_at": now - 1},
            "backing": {"expires_at": now - 1, "retry_at": now + 60},
            "manual": {"expires_at": now - 1},
        }
    )

    async def fetch(due: list[Source]) -> object:
        return None

    background = Background(state, lambda: view, fetch)
    assert [s.name for s in background.due(view)] == ["expired"]
    clock.advance(120)
    assert sorted(s.name for s in background.due(view)) == ["backing", "expired", "fresh"]
    offline = Background(State(FakeStore(), sources, offline=True, timeout=5.0), lambda: view, fetch)
    assert offline.due(view) == []


def test_a_revalidation_fetches_what_is_due_then_builds_once() -> None:
    source = StaticSource("lab", [])
    state = State(FakeStore(), [source], offline=False, timeout=5.0)
    view = _view({"lab": {"expires_at": _clock.now() - 1}})
    fetched: list[list[str]] = []
    built: list[int] = []

    gate = threading.Event()

    async def fetch(due: list[Source]) -> object:
        fetched.append([s.name for s in due])
        await asyncio.to_thread(gate.wait, 10)  # still in flight until the test lets it go
        return None

    def build() -> View:
        built.append(1)
        return view

    background = Background(state, build, fetch)
    background.maybe_revalidate(view)
    background.maybe_revalidate(view)  # already in flight: not started twice
    gate.set()
    assert background.wait(10)
    assert fetched == [["lab"]] and built == [1]
    assert background.inflight == set()
    background.stop()
