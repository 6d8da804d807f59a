"""The refresher on its own: a fake in-memory store, no catalog; what each refresh writes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from massgen_discovery._domain import clock as _clock
from massgen_discovery._orchestration.state import State
from massgen_discovery._persistence.envelope import Envelope
from massgen_discovery.errors import ConfigError, SourceUnreachable
from massgen_discovery.testing import StaticSource

from ..support import lab
from ..support.fake_store import FakeStore
from ..support.wiring import wired

# -- refresh ----------------------------------------------------------------------------------------


def test_a_refresh_stores_the_listing_apart_from_its_envelope_and_parses_it_once() -> None:
    store, source = FakeStore(), StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    state, _generations, refresher = wired(store, source, offline=False)
    (report,) = asyncio.run(refresher.refresh(["mylab"]))
    assert report.outcome == "ok" and report.count == 1
    envelope = store.get(State.envelope_key(source))
    assert envelope is not None and "payload" not in envelope and envelope["payload_key"] in store.rows
    store.calls.clear()
    records, _aliases = state.listing(source, Envelope.decode(envelope))
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


class Counted(StaticSource):
    """A listing that counts its parses."""

    parses = 0

    def to_records(self, payload: Any, fetched_at: Any) -> Any:
        type(self).parses += 1
        return super().to_records(payload, fetched_at)


def test_another_process_judges_a_new_listing_without_parsing_the_last_one() -> None:
    """The guard rails' view of a listing is stored beside it: the next refresh anywhere parses only its own."""
    store = FakeStore()
    source = Counted("mylab", [lab(f"m{i}", max_input_tokens=1000 + i) for i in range(20)])
    asyncio.run(wired(store, source, offline=False)[2].refresh(["mylab"]))
    source.records = [lab(f"m{i}", max_input_tokens=1000 + i) for i in range(3)]  # shrank: suspect
    Counted.parses = 0
    (held,) = asyncio.run(wired(store, source, offline=False)[2].refresh(["mylab"]))  # a fresh state
    assert held.outcome == "stale" and "shrank from 20 to 3" in (held.error or "")
    assert Counted.parses == 2  # the new listing, and the last one only to list what it would have changed
    source.records = [lab(f"m{i}", max_input_tokens=1100 + i) for i in range(20)]
    Counted.parses = 0
    (report,) = asyncio.run(wired(store, source, offline=False)[2].refresh(["mylab"]))
    assert report.outcome == "ok" and Counted.parses == 1


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
