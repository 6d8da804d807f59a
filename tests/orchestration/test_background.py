"""Background revalidation on its own: fake fetch and build callables, the fake clock."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from massgen_discovery._domain import clock as _clock
from massgen_discovery._orchestration.background import Background
from massgen_discovery._orchestration.state import State, View
from massgen_discovery._persistence.pointer import Pointer
from massgen_discovery.sources import Source
from massgen_discovery.testing import StaticSource

from ..support import FakeClock
from ..support.fake_store import FakeStore

# -- background ---------------------------------------------------------------------------------------


def _view(sources: dict[str, dict[str, Any]]) -> View:
    meta = Pointer.decode({"prefix": "catalog:x:y", "sources": sources})
    assert meta is not None
    return View(prefix=meta.prefix, pointer=meta, checked=0.0)


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
