"""The fleet store: machines sharing one catalog on a real redis-server, and that server failing.

A "machine" is a catalog with its own cache directory; the cross-process tests start real
processes. Each fault test starts its own server so it can kill, pause or fill it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery._persistence.disk import SCHEMA_VERSION
from massgen_discovery._persistence.fleet import REDIS_WAIT, redact_url
from massgen_discovery.cli import run
from massgen_discovery.testing import FailingSource, StaticSource

from ..support import internals, lab, load_fixture
from ..support.redis_server import RedisServer

ROOT = Path(__file__).parents[2]


def machine(tmp_path: Path, name: str, url: str, *sources: Any, **kwargs: Any) -> Catalog:
    """A catalog with a cache directory of its own, sharing ``url``."""
    return Catalog(cache_dir=tmp_path / name, sources=list(sources), redis_url=url, **kwargs)


class SlowSource(StaticSource):
    """A listing that takes ``delay`` seconds to answer."""

    def __init__(self, name: str, records: list[ModelRecord], delay: float) -> None:
        super().__init__(name, records)
        self.delay = delay

    async def fetch(self, client: httpx.AsyncClient, previous: Any = None) -> Any:
        await asyncio.sleep(self.delay)
        return await super().fetch(client, previous)


@pytest.fixture
def shared(redis_server: RedisServer) -> str:
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    if server.process is not None:
        server.resume()
    server.kill()


# -- sharing ------------------------------------------------------------------------------------


def test_machine_b_answers_from_what_machine_a_fetched_with_the_upstream_down(tmp_path: Path, shared: str) -> None:
    """B has an empty cache and its upstream is down: it answers with A's data and keeps a local copy."""
    a = machine(tmp_path, "a", shared, "litellm", StaticSource("mylab", [lab("m1", max_input_tokens=1000)]))
    assert a.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]
    down = FailingSource("mylab")
    b = machine(tmp_path, "b", shared, "litellm", down)
    record = b.get_model("mylab/m1")
    assert record is not None and record.max_input_tokens == 1000
    assert b.get_model("gpt-4o") is not None
    assert down.fetches == 0
    b.close()
    # The copy is B's own: without Redis, B's cache alone still answers.
    alone = Catalog(cache_dir=tmp_path / "b", sources=["litellm", down], redis_url="", offline=True)
    assert alone.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]


def test_a_refresh_on_one_machine_reaches_the_others_within_the_sync_interval(
    tmp_path: Path, shared: str, clock: Any
) -> None:
    """A's explicit refresh is picked up by B's background sync, without B fetching."""
    source = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    a = machine(tmp_path, "a", shared, source)
    b = machine(tmp_path, "b", shared, source)
    assert b.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]
    assert source.fetches == 1
    source.records = [lab("m1", max_input_tokens=2000)]
    (report,) = a.refresh()
    assert report.outcome == "ok" and source.fetches == 2
    clock.advance(61)  # past the fleet sync interval, well inside the 1 h TTL
    assert b.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]  # answered at once
    assert b.wait_background(10)
    clock.advance(2)  # past the pointer re-check
    assert b.get_model("mylab/m1").max_input_tokens == 2000  # type: ignore[union-attr]
    assert source.fetches == 2


def test_guard_rail_state_is_the_fleets(tmp_path: Path, shared: str) -> None:
    """A accepted 10 models; a 1-model listing on B, whose cache is empty, is still held as suspect."""
    machine(tmp_path, "a", shared, StaticSource("mylab", [lab(f"m{i}") for i in range(10)])).refresh()
    b = machine(tmp_path, "b", shared, StaticSource("mylab", [lab("m0")]))
    (report,) = b.refresh()
    assert report.outcome == "stale" and "shrank from 10 to 1" in (report.error or "")
    assert len(b.list_models("mylab")) == 10
    assert b.changes()[0].held


@pytest.mark.slow
def test_n_machines_on_an_empty_store_make_one_fetch_of_each_source(
    httpserver: HTTPServer, tmp_path: Path, shared: str
) -> None:
    """Six processes, each with its own empty cache, start at once: one request per source in all."""
    hits: dict[str, int] = {}
    lock = threading.Lock()

    def slow(request: Request) -> Response:
        with lock:
            hits[request.path] = hits.get(request.path, 0) + 1
        time.sleep(0.5)
        return Response(json.dumps(load_fixture("groq/openai_v1_models.json")), content_type="application/json")

    httpserver.expect_request("/a/v1/models").respond_with_handler(slow)
    httpserver.expect_request("/b/v1/models").respond_with_handler(slow)
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.support.helpers import ListingSource
        from massgen_discovery import Catalog
        c = Catalog(
            sources=[ListingSource("groq", {httpserver.url_for("/a/v1")!r}),
                     ListingSource("lab2", {httpserver.url_for("/b/v1")!r})],
            timeout=10,
        )
        a, b = c.get_model("groq/llama-3.3-70b-versatile"), c.get_model("lab2/llama-3.3-70b-versatile")
        print(bool(a and a.available and b and b.available))
        """
    )
    procs = []
    for i in range(6):
        env = {
            "MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path / f"machine{i}"),
            "MASSGEN_DISCOVERY_REDIS_URL": shared,
            "PATH": "/usr/bin:/bin",
        }
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
        )
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [o[0].strip() for o in outputs] == ["True"] * 6, [o[1] for o in outputs]
    assert hits == {"/a/v1/models": 1, "/b/v1/models": 1}


def test_a_fetch_lock_whose_holder_died_on_this_host_is_taken_over(tmp_path: Path, shared: str) -> None:
    """The shared lock names its owner: a dead process's lock does not make a refresh wait."""
    source = StaticSource("mylab", [lab("m1")])
    catalog = machine(tmp_path, "a", shared, source, timeout=3)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    import redis

    holder = {"token": "x", "pid": int(gone.stdout), "host": socket.gethostname(), "at": time.time()}
    key = f"massgen_discovery:{SCHEMA_VERSION}:lock:fetch:{internals.envelope_key(source)}"
    redis.Redis.from_url(shared).set(key, json.dumps(holder), px=60_000)
    started = time.monotonic()
    (report,) = catalog.refresh()
    assert report.outcome == "ok" and source.fetches == 1
    assert time.monotonic() - started < 2


def test_a_live_holder_elsewhere_is_named_when_a_refresh_gives_up(tmp_path: Path, shared: str) -> None:
    """A lock held by a process on another machine: the refresh waits the timeout, then says who holds it."""
    import redis

    source = StaticSource("mylab", [lab("m1")])
    catalog = machine(tmp_path, "a", shared, source, timeout=0.5)
    holder = {"token": "x", "pid": 4242, "host": "replica-7", "at": time.time()}
    key = f"massgen_discovery:{SCHEMA_VERSION}:lock:fetch:{internals.envelope_key(source)}"
    redis.Redis.from_url(shared).set(key, json.dumps(holder), px=60_000)
    (report,) = catalog.refresh()
    assert report.outcome == "skipped" and "pid 4242 on replica-7" in (report.error or "")
    assert source.fetches == 0


# -- Redis failing --------------------------------------------------------------------------------


def test_lookups_answer_when_redis_is_down_with_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Nothing listens: lookups answer from the local cache and the bundled map, warn once, never raise."""
    url = "redis://:hunter2-secret@127.0.0.1:9/0"
    source = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        catalog = machine(tmp_path, "a", url, "litellm", source)
        assert catalog.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]
        assert catalog.get_model("gpt-4o") is not None
        assert catalog.refresh()[1].outcome == "ok"
        assert catalog.changes() == []  # the same listing again: history reads the local copy, nothing changed
    assert time.monotonic() - started < 10
    warnings = [r for r in caplog.records if "unusable" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    assert "hunter2-secret" not in caplog.text and "redis://:***@127.0.0.1:9/0" in caplog.text
    statuses = catalog.status()
    assert statuses[-1].shared_store == "redis://:***@127.0.0.1:9/0"
    assert "hunter2" not in json.dumps([s.model_dump(mode="json") for s in statuses])


def test_redis_killed_mid_refresh(tmp_path: Path, own_server: RedisServer) -> None:
    """SIGKILL while a slow listing is being fetched: the refresh lands locally, lookups keep answering."""
    catalog = machine(tmp_path, "a", own_server.url, SlowSource("mylab", [lab("m1", max_input_tokens=1000)], 1.0))
    killer = threading.Timer(0.3, own_server.kill)
    killer.start()
    started = time.monotonic()
    (report,) = catalog.refresh()
    killer.join()
    assert report.outcome == "ok" and report.count == 1
    assert time.monotonic() - started < 1.0 + 4 * REDIS_WAIT + 2
    assert catalog.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]
    again = machine(tmp_path, "a", own_server.url, FailingSource("mylab"))
    assert again.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]


def test_redis_restarted_empty_loses_no_last_good_data(tmp_path: Path, own_server: RedisServer) -> None:
    """Redis comes back empty: the machines keep their copies, and the fleet's data is written back."""
    url = own_server.url
    machine(tmp_path, "a", url, StaticSource("mylab", [lab("m1", max_input_tokens=1000)])).refresh()
    own_server.restart_empty()
    a = machine(tmp_path, "a", url, FailingSource("mylab"))
    (report,) = a.refresh()
    assert report.outcome == "stale" and report.count == 1
    assert a.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]
    # A's read of the lost envelope gave it back to Redis: a new machine with its upstream down answers.
    b = machine(tmp_path, "b", url, FailingSource("mylab"))
    assert b.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]


def test_a_hung_redis_costs_bounded_time(tmp_path: Path, own_server: RedisServer) -> None:
    """SIGSTOP: Redis accepts connections and never answers. Lookups and refreshes still finish quickly."""
    url = own_server.url
    warm = machine(tmp_path, "a", url, "litellm", StaticSource("mylab", [lab("m1", max_input_tokens=1000)]))
    assert warm.get_model("mylab/m1") is not None
    own_server.pause()
    try:
        started = time.monotonic()
        assert warm.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]
        assert machine(tmp_path, "a", url, "litellm", FailingSource("mylab")).get_model("mylab/m1") is not None
        cold = machine(tmp_path, "b", url, "litellm", StaticSource("mylab", [lab("m1", max_input_tokens=7)]))
        assert cold.get_model("mylab/m1").max_input_tokens == 7  # type: ignore[union-attr]
        assert cold.refresh()[1].outcome == "ok"
        assert time.monotonic() - started < 10
    finally:
        own_server.resume()


def test_wrong_password_is_one_warning_and_never_printed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A server that wants a password gets the wrong one: local answers, one warning, no password shown."""
    server = RedisServer(tmp_path / "redis", password="right-horse-battery").start()
    try:
        url = f"redis://:wrong-staple-42@127.0.0.1:{server.port}/0"
        with caplog.at_level(logging.WARNING):
            catalog = machine(tmp_path, "a", url, StaticSource("mylab", [lab("m1", max_input_tokens=5)]))
            assert catalog.get_model("mylab/m1").max_input_tokens == 5  # type: ignore[union-attr]
            assert catalog.refresh()[0].outcome == "ok"
        assert "wrong-staple-42" not in caplog.text and "right-horse" not in caplog.text
        assert len([r for r in caplog.records if "unusable" in r.getMessage()]) == 1
        assert server.client().dbsize() == 0
    finally:
        server.kill()


def test_a_full_redis_keeps_lookups_answering(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """maxmemory with noeviction refuses the writes: one warning, the local copy has everything."""
    server = RedisServer(tmp_path / "redis", maxmemory="1mb").start()
    try:
        with caplog.at_level(logging.WARNING):
            a = machine(
                tmp_path,
                "a",
                server.url,
                "litellm",
                StaticSource("mylab", [lab("m1", max_input_tokens=9)]),
                prefetch=False,
            )
            # The listing first (its envelope is small), then the generation that fills Redis: with a
            # background first fetch, the order of the two writes would be a race.
            a.refresh()
            assert a.get_model("gpt-4o") is not None
            assert a.get_model("mylab/m1").max_input_tokens == 9  # type: ignore[union-attr]
            a.refresh()
        assert any("OOM" in r.getMessage() or "maxmemory" in r.getMessage() for r in caplog.records)
        b = machine(tmp_path, "b", server.url, "litellm", FailingSource("mylab"))
        assert b.get_model("gpt-4o") is not None  # B builds its own from the bundled map
        assert b.get_model("mylab/m1").max_input_tokens == 9  # type: ignore[union-attr]  # the small envelope fit
    finally:
        server.kill()


# -- secrets ------------------------------------------------------------------------------------


def test_only_credential_fingerprints_reach_redis(tmp_path: Path, shared: str, redis_server: RedisServer) -> None:
    secret = "sk-live-do-not-store-9f8e7d"
    catalog = machine(tmp_path, "a", shared, StaticSource("mylab", [lab("m1")], credential=secret))
    catalog.refresh()
    everything = redis_server.keys_and_values()
    assert "envelope:mylab:" in everything
    assert secret not in everything


def test_providers_shows_the_redis_url_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MASSGEN_DISCOVERY_REDIS_URL", "redis://admin:pa55word@127.0.0.1:9/2")
    assert run(["providers"]) == 0
    out = capsys.readouterr()
    assert "pa55word" not in out.out + out.err
    assert "shared with other machines on redis://admin:***@127.0.0.1:9/2 (unusable now: " in out.out
    assert run(["providers", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["shared_store"] for r in rows} == {"redis://admin:***@127.0.0.1:9/2"}
    assert all(r["shared_store_error"] and "pa55word" not in r["shared_store_error"] for r in rows)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:p@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("rediss://user:p%40ss@cache.internal:6380/1", "rediss://user:***@cache.internal:6380/1"),
        ("redis://onlyuser@127.0.0.1/0", "redis://:***@127.0.0.1/0"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_offline_never_talks_to_redis(tmp_path: Path, shared: str, redis_server: RedisServer) -> None:
    catalog = machine(tmp_path, "a", shared, "litellm", offline=True)
    assert catalog.get_model("gpt-4o") is not None
    assert catalog.shared_store is None
    assert redis_server.client().dbsize() == 0


def test_the_redis_client_is_not_imported_by_a_warm_lookup(tmp_path: Path, shared: str) -> None:
    """The local copy answers: a new process's lookup never loads the redis client."""
    env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path / "a"), "MASSGEN_DISCOVERY_REDIS_URL": shared}
    code = "import sys; from massgen_discovery import get_model; get_model('gpt-4o'); print('redis' in sys.modules)"
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert first.stdout.strip() == "True", first.stderr  # the first build publishes the generation
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert second.stdout.strip() == "False", second.stderr


def test_cache_clear_keeps_the_fleets_copy_unless_told_and_never_touches_other_keys(
    tmp_path: Path,
    shared: str,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = redis_server.client()
    client.set("someone-elses:key", "keep me")
    monkeypatch.setenv("MASSGEN_DISCOVERY_REDIS_URL", shared)
    machine(tmp_path, "a", shared, "litellm", StaticSource("mylab", [lab("m1")])).refresh()
    ours = client.dbsize() - 1
    assert ours > 0
    assert run(["cache", "clear"]) == 0
    assert "is kept (cache clear --shared deletes it too)" in capsys.readouterr().out
    assert client.dbsize() == ours + 1
    assert run(["cache", "clear", "--shared", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["removed_shared"] == ours and out["shared_store"] == shared
    assert client.keys() == [b"someone-elses:key"]


def test_cache_clear_shared_needs_a_redis_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["cache", "clear", "--shared"]) == 2
    assert "MASSGEN_DISCOVERY_REDIS_URL" in capsys.readouterr().err


def test_providers_says_the_shared_store_answers(
    shared: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MASSGEN_DISCOVERY_REDIS_URL", shared)
    assert run(["providers", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["shared_store"], r["shared_store_error"]) for r in rows} == {(shared, None)}


def test_without_the_redis_client_the_catalog_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """MASSGEN_DISCOVERY_REDIS_URL set, the [redis] extra not installed: one warning naming it, lookups answer."""
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis -> ImportError
    with caplog.at_level(logging.WARNING):
        catalog = machine(tmp_path, "a", "redis://127.0.0.1:9/0", "litellm", StaticSource("mylab", [lab("m1")]))
        assert catalog.get_model("gpt-4o") is not None and catalog.get_model("mylab/m1") is not None
        assert catalog.refresh()[1].outcome == "ok"
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(messages) == 1 and "pip install 'massgen_discovery[redis]'" in messages[0]
