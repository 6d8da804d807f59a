"""A catalog's orchestration wired as the catalog wires it, on a fake store (for unit tests)."""

from __future__ import annotations

from massgen_discovery._domain import clock as _clock
from massgen_discovery._orchestration.generations import Generations
from massgen_discovery._orchestration.refresh import Refresher
from massgen_discovery._orchestration.state import State
from massgen_discovery._persistence.envelope import payload_key
from massgen_discovery.records import ModelRecord
from massgen_discovery.sources import Source

from .fake_store import FakeStore


def parts_of(store: FakeStore) -> list[str]:
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
