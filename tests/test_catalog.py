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
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import massgen_discovery
from massgen_discovery import Catalog, ConfigError, ModelRecord, SourceAuthError, SourceError
from massgen_discovery._orchestration.refresh import backoff_seconds
from massgen_discovery.errors import SourceHTTPError
from massgen_discovery.sources.litellm_map import bundled_map_path
from massgen_discovery.testing import FailingSource, StaticSource

from .support import FakeClock, internals, lab, load_fixture
from .support.helpers import ListingSource


def bundled(key: str) -> dict[str, Any]:
    path = bundled_map_path()
    assert path is not None
    entry = json.loads(path.read_text())[key]
    assert isinstance(entry, dict)
    return entry


def wait_until(predicate: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


# -- lookups on LiteLLM's bundled map ------------------------------------------------------------


def test_get_model_is_whatever_the_installed_litellm_says() -> None:
    """gpt-4o's context window is the installed LiteLLM map's value."""
    record = Catalog().get_model("gpt-4o")
    assert record is not None
    assert record.model == "openai/gpt-4o"
    assert record.max_input_tokens == bundled("gpt-4o")["max_input_tokens"]
    assert record.provenance["max_input_tokens"] == "litellm"
    assert record.fetched_at is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("openai/gpt-4o", "openai/gpt-4o"),
        ("gpt-4o", "openai/gpt-4o"),
        ("GPT-4O", "openai/gpt-4o"),
        ("groq/openai/gpt-oss-120b", "groq/openai/gpt-oss-120b"),
        ("claude/claude-sonnet-4-5", "anthropic/claude-sonnet-4-5"),
        ("anthropic/claude-sonnet-4-5", "anthropic/claude-sonnet-4-5"),
    ],
)
def test_lookup_accepts_the_strings_users_type(typed: str, expected: str) -> None:
    """Canonical keys, LiteLLM's bare keys, MassGen prefixes and other letter cases all resolve."""
    record = Catalog().get_model(typed)
    assert record is not None and record.model == expected


@pytest.mark.parametrize("typed", ["no-such/model-xyz", "", "   ", "gpt-4o-but-not-really"])
def test_unknown_strings_return_none(typed: str) -> None:
    """Unknown model strings return None and never raise."""
    assert Catalog().get_model(typed) is None


def test_ollama_names_resolve_with_or_without_latest_and_chat_prefix() -> None:
    """ollama_chat/ means ollama/, and :latest may be left out or added."""
    catalog = Catalog(
        sources=[
            "litellm",
            StaticSource(
                "ollama",
                [
                    ModelRecord(
                        model="ollama/qwen3:latest", provider="ollama", model_id="qwen3:latest", max_input_tokens=40960
                    )
                ],
            ),
        ]
    )
    for typed in ("ollama/qwen3", "ollama_chat/qwen3", "ollama/qwen3:latest", "OLLAMA/Qwen3:latest"):
        record = catalog.get_model(typed)
        assert record is not None and record.max_input_tokens == 40960, typed


def test_list_and_find_models() -> None:
    """list_models filters by provider; find_models applies every criterion and excludes unknowns."""
    catalog = Catalog()
    anthropic = catalog.list_models(provider="anthropic")
    assert anthropic and all(r.provider == "anthropic" for r in anthropic)
    found = catalog.find_models(supports_function_calling=True, min_context=128_000, providers=["groq"])
    assert found
    for r in found:
        assert r.provider == "groq" and r.supports_function_calling is True
        assert r.max_input_tokens is not None and r.max_input_tokens >= 128_000
    expected = {
        r.model
        for r in catalog.list_models("groq")
        if r.supports_function_calling is True and (r.max_input_tokens or 0) >= 128_000
    }
    assert {r.model for r in found} == expected


def test_find_models_rejects_unknown_criteria() -> None:
    """A misspelt criterion is a ConfigError, not an empty result."""
    with pytest.raises(ConfigError, match="unknown criterion 'supports_tool'"):
        Catalog().find_models(supports_tool=True)


async def test_async_twins_answer_the_same() -> None:
    """alist_models / aget_model / afind_models / astatus agree with the sync API."""
    catalog = Catalog()
    record = await catalog.aget_model("gpt-4o")
    assert record == Catalog().get_model("gpt-4o")
    assert len(await catalog.alist_models("groq")) == len(catalog.list_models("groq"))
    assert await catalog.afind_models(provider="groq", tools=True) == catalog.find_models(provider="groq", tools=True)
    assert (await catalog.astatus())[0].source == "litellm"


def test_module_shortcuts_use_a_default_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    """massgen_discovery.get_model / list_models / find_models / refresh work without a Catalog."""
    monkeypatch.setattr(massgen_discovery, "_default", None)
    record = massgen_discovery.get_model("gpt-4o")
    assert record is not None and record.model == "openai/gpt-4o"
    assert massgen_discovery.list_models("groq")
    assert massgen_discovery.find_models(provider="groq", limit=1)
    assert massgen_discovery.default_catalog() is massgen_discovery.default_catalog()


def test_overrides_win_and_show_the_conflict() -> None:
    """An override beats LiteLLM, names itself in provenance, and keeps LiteLLM's value as a conflict."""
    catalog = Catalog(overrides={"gpt-4o": {"max_input_tokens": 4096}})
    record = catalog.get_model("openai/gpt-4o")
    assert record is not None and record.max_input_tokens == 4096
    assert record.provenance["max_input_tokens"] == "override"
    assert any(c.field == "max_input_tokens" and c.other_source == "litellm" for c in record.conflicts)
    catalog.override("mylab/private-1", max_input_tokens=32000, input_cost_per_token=0.0)
    private = catalog.get_model("mylab/private-1")
    assert private is not None and private.provider == "mylab" and private.input_cost_per_token == 0.0
    assert any(r.model == "mylab/private-1" for r in catalog.list_models("mylab"))


# -- live sources: first use, cache, revalidation, failures ---------------------------------------


def test_no_network_at_import_or_construction() -> None:
    """Constructing a catalog with live sources fetches nothing; importing the package loads no heavy modules."""
    source = StaticSource("mylab", [lab("m1")])
    Catalog(sources=["litellm", source])
    assert source.fetches == 0
    heavy = ("litellm", "httpx", "rich", "click", "pydantic", "diskcache")
    code = f"import sys, massgen_discovery; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_warm_cold_lookup_imports_only_what_it_reads(cache_dir: Path) -> None:
    """A fresh process answering from a warm cache loads neither the merge, the network nor logging.

    Each of these cost a cold ``get_model`` milliseconds it never used (``importlib.metadata``
    alone was 15 ms), with every source configured from the environment as usual.
    """
    env = {k: v for k, v in os.environ.items() if not k.endswith("_BASE_URL")}  # each source's default
    env.update(MASSGEN_DISCOVERY_CACHE_DIR=str(cache_dir), MASSGEN_DISCOVERY_OFFLINE="1")
    warm = "from massgen_discovery import get_model; assert get_model('gpt-4o') is not None"
    subprocess.run([sys.executable, "-c", warm], env=env, check=True)
    unwanted = (
        "litellm", "httpx", "pydantic", "diskcache", "asyncio", "logging", "threading", "concurrent.futures",
        "importlib.metadata", "pathlib", "urllib.parse", "email", "gzip", "dataclasses", "inspect", "copy",
        "massgen_discovery._domain.reconcile", "massgen_discovery._domain.pricing",
        "massgen_discovery._orchestration.refresh", "massgen_discovery.sources._http",
    )  # fmt: skip
    code = f"{warm}\nimport sys\nprint(sorted(m for m in {unwanted!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_warm_cold_lookup_compiles_no_forward_reference(cache_dir: Path) -> None:
    """Typed classes on a lookup's path cost nothing to declare: no ``typing.ForwardRef`` is made.

    A ``NamedTuple`` whose annotations are strings compiles one per field when its module is
    imported (the first such compile alone was 2.5 ms of every fresh ``get_model``).
    """
    env = {k: v for k, v in os.environ.items() if not k.endswith("_BASE_URL")}
    env.update(MASSGEN_DISCOVERY_CACHE_DIR=str(cache_dir), MASSGEN_DISCOVERY_OFFLINE="1")
    warm = "from massgen_discovery import get_model; assert get_model('gpt-4o') is not None"
    subprocess.run([sys.executable, "-c", warm], env=env, check=True)
    code = (
        "import typing\nmade = []\nreal = typing.ForwardRef.__init__\n"
        "def counted(self, arg, *a, **k):\n    made.append(arg)\n    real(self, arg, *a, **k)\n"
        f"typing.ForwardRef.__init__ = counted\n{warm}\nprint(made)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.usefixtures("any_store")
def test_first_use_fetches_once_then_serves_from_the_cache(cache_dir: Path) -> None:
    """A live source with nothing cached is fetched on first use; a new catalog on the same cache reads it."""
    source = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    record = Catalog(sources=["litellm", source]).get_model("mylab/m1")
    assert record is not None and record.max_input_tokens == 1000 and record.fetched_at is not None
    assert source.fetches == 1
    again = Catalog(sources=["litellm", source]).get_model("mylab/m1")
    assert again == record
    assert source.fetches == 1


@pytest.mark.usefixtures("any_store")
def test_expired_data_is_answered_at_once_and_revalidated_in_background(clock: FakeClock) -> None:
    """stale-while-revalidate: the old value comes back immediately, the new one after the background refresh."""
    source = StaticSource("mylab", [lab("m1", max_input_tokens=1000)], ttl=0.2)
    catalog = Catalog(sources=[source])
    assert catalog.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]
    source.records = [lab("m1", max_input_tokens=2000)]
    clock.advance(1.3)  # past the TTL and the pointer re-check interval
    started = time.monotonic()
    first = catalog.get_model("mylab/m1")
    assert time.monotonic() - started < 1.0
    assert first is not None and first.max_input_tokens == 1000
    assert wait_until(lambda: source.fetches == 2)

    def updated() -> bool:
        rec = Catalog(sources=[source]).get_model("mylab/m1")
        return rec is not None and rec.max_input_tokens == 2000

    assert wait_until(updated)


@pytest.mark.usefixtures("any_store")
def test_wait_background_lets_a_short_lived_process_finish_revalidating(clock: FakeClock) -> None:
    """wait_background() returns once the background refresh a lookup started has landed."""
    source = StaticSource("mylab", [lab("m1", max_input_tokens=1000)], ttl=0.2)
    catalog = Catalog(sources=[source])
    catalog.get_model("mylab/m1")
    source.records = [lab("m1", max_input_tokens=4000)]
    clock.advance(1.2)
    assert catalog.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]
    assert catalog.wait_background(10) is True
    assert source.fetches == 2
    assert Catalog(sources=[source]).get_model("mylab/m1").max_input_tokens == 4000  # type: ignore[union-attr]
    assert Catalog(sources=[source]).wait_background() is True  # nothing pending: returns at once


@pytest.mark.usefixtures("any_store")
async def test_async_revalidation_runs_as_a_task(clock: FakeClock) -> None:
    """The async API revalidates expired data in a task on the running loop."""
    source = StaticSource("mylab", [lab("m1", max_input_tokens=1000)], ttl=0.1)
    catalog = Catalog(sources=[source])
    assert (await catalog.aget_model("mylab/m1")).max_input_tokens == 1000  # type: ignore[union-attr]
    source.records = [lab("m1", max_input_tokens=3000)]
    clock.advance(1.2)
    await catalog.aget_model("mylab/m1")
    for _ in range(200):
        if source.fetches == 2 and not internals.background(catalog).tasks:
            break
        await asyncio.sleep(0.02)
    assert source.fetches == 2
    assert (await Catalog(sources=[source]).aget_model("mylab/m1")).max_input_tokens == 3000  # type: ignore[union-attr]


@pytest.mark.usefixtures("any_store")
def test_failed_refresh_keeps_serving_last_good_data() -> None:
    """stale-if-error: a failing source keeps its last good records, flagged stale, error in status."""
    Catalog(sources=[StaticSource("mylab", [lab("m1", max_input_tokens=1000)])]).refresh()
    failing = FailingSource("mylab")
    catalog = Catalog(sources=[failing])
    (report,) = catalog.refresh()
    assert report.outcome == "stale" and report.count == 1
    assert report.error == "mylab: cannot reach static://local"
    record = catalog.get_model("mylab/m1")
    assert record is not None and record.max_input_tokens == 1000
    (status,) = catalog.status()
    assert status.stale and status.error == "mylab: cannot reach static://local" and status.retry_at is not None


@pytest.mark.usefixtures("any_store")
def test_negative_cache_stops_automatic_retries_but_not_explicit_refresh() -> None:
    """After a failure automatic refreshes leave the source alone; refresh() still tries."""
    failing = FailingSource("mylab")
    first = Catalog(sources=["litellm", failing])
    assert first.get_model("gpt-4o") is not None
    assert first.wait_background(10)  # the first fetch runs in the background
    assert failing.fetches == 1
    assert Catalog(sources=["litellm", failing]).get_model("mylab/m1") is None
    assert failing.fetches == 1
    (report,) = Catalog(sources=["litellm", failing]).refresh(["mylab"])
    assert report.outcome == "failed" and failing.fetches == 2


def test_backoff_doubles_to_fifteen_minutes_and_honours_retry_after() -> None:
    """60 s, 120 s, ... capped at 900 s; a longer Retry-After wins."""
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 5, 6)] == [60, 120, 240, 480, 900, 900]
    assert backoff_seconds(1, retry_after=3600) == 3600


@pytest.mark.usefixtures("any_store")
def test_suspect_listing_is_kept_out() -> None:
    """A listing under half the last good count is not applied: old data stays, source marked degraded."""
    source = StaticSource("mylab", [lab(f"m{i}") for i in range(10)])
    catalog = Catalog(sources=[source])
    catalog.refresh()
    source.records = [lab("m0")]
    (report,) = catalog.refresh()
    assert report.outcome == "stale"
    assert report.error is not None and "listing shrank from 10 to 1 models" in report.error
    assert len(catalog.list_models("mylab")) == 10
    assert catalog.status()[0].degraded
    (report,) = catalog.refresh(force=True)  # the user says the change is real
    assert report.outcome == "ok" and report.count == 1
    assert len(catalog.list_models("mylab")) == 1 and not catalog.status()[0].degraded


@pytest.mark.usefixtures("any_store")
def test_offline_never_fetches(monkeypatch: pytest.MonkeyPatch) -> None:
    """offline=True and MASSGEN_DISCOVERY_OFFLINE=1 answer from bundled data and the cache only."""
    source = StaticSource("mylab", [lab("m1")])
    assert Catalog(offline=True, sources=["litellm", source]).get_model("mylab/m1") is None
    monkeypatch.setenv("MASSGEN_DISCOVERY_OFFLINE", "1")
    catalog = Catalog(sources=["litellm", source])
    assert catalog.get_model("gpt-4o") is not None
    assert catalog.refresh(["mylab"])[-1].outcome == "skipped"
    assert source.fetches == 0


@pytest.mark.usefixtures("any_store")
def test_slow_source_is_bounded_by_the_timeout() -> None:
    """A source that never answers costs at most the timeout and reports a timeout."""

    class Hanging(StaticSource):
        async def fetch(self, client: httpx.AsyncClient, previous: Any = None) -> Any:
            await asyncio.sleep(60)

    catalog = Catalog(sources=["litellm", Hanging("mylab", [])], timeout=0.5)
    started = time.monotonic()
    assert catalog.get_model("gpt-4o") is not None
    assert catalog.wait_background(10)  # the first fetch runs in the background, bounded too
    assert time.monotonic() - started < 5
    (status,) = [s for s in catalog.status() if s.source == "mylab"]
    assert status.error == "mylab: no answer within 0.5 s"


def test_raise_on_error_and_unknown_source_names() -> None:
    """refresh(raise_on_error=True) raises the source error; an unknown source name is a ConfigError."""
    catalog = Catalog(sources=[FailingSource("mylab")])
    with pytest.raises(SourceError, match="cannot reach"):
        catalog.refresh(raise_on_error=True)
    with pytest.raises(ConfigError, match="unknown source nope"):
        catalog.refresh(["nope"])
    with pytest.raises(ConfigError, match="unknown source 'nope'"):
        Catalog(sources=["nope"]).get_model("x")


@pytest.mark.usefixtures("any_store")
def test_other_schema_version_in_cache_is_rebuilt(cache_dir: Path) -> None:
    """A persisted catalog written by another schema version is a miss: rebuilt, answers unchanged."""
    Catalog().get_model("gpt-4o")
    from massgen_discovery._persistence.store import Store

    store = Store(cache_dir)
    keys = [k for k in store._writer().iterkeys() if k.endswith(":meta")]
    for key in keys:
        store.put_raw(key, json.dumps({"schema_version": 0, "prefix": "bogus"}))
    record = Catalog().get_model("gpt-4o")
    assert record is not None and record.model == "openai/gpt-4o"


@pytest.mark.usefixtures("any_store")
def test_damaged_cache_still_answers(cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A zeroed cache database costs one warning, never a failed lookup."""
    first = Catalog()
    first.get_model("gpt-4o")
    first.close()  # the last handle folds the write-ahead log back into cache.db
    assert not (cache_dir / "cache.db-wal").exists()
    (cache_dir / "cache.db").write_bytes(b"\0" * 8192)
    caplog.set_level(logging.WARNING)
    record = Catalog().get_model("gpt-4o")
    assert record is not None
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


# -- over HTTP: MockTransport and a real loopback server ------------------------------------------


def test_mock_transport_listing_merges_onto_litellm() -> None:
    """A live listing of groq models over HTTP sets availability and wins for the fields it reports."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=load_fixture("groq/openai_v1_models.json"))

    source = ListingSource("groq", "https://api.groq.test/openai/v1", credential="gsk-test-SECRET")
    catalog = Catalog(sources=["litellm", source], transport=httpx.MockTransport(handler))
    assert catalog.get_model("groq/openai/gpt-oss-120b") is not None  # LiteLLM's map answers at once
    assert catalog.wait_background(10)  # the listing's first fetch, in the background
    record = catalog.get_model("groq/openai/gpt-oss-120b")
    assert record is not None
    assert seen[0].url == "https://api.groq.test/openai/v1/models"
    assert seen[0].headers["authorization"] == "Bearer gsk-test-SECRET"
    assert record.available is True
    assert set(record.sources) - {"genai-prices"} == {"groq", "litellm"}  # genai-prices: an opinion on prices
    assert record.provenance["max_input_tokens"] == "groq"
    assert record.provenance["input_cost_per_token"] == "litellm"
    whisper = catalog.get_model("groq/whisper-large-v3")
    assert whisper is not None and whisper.available is True


def test_http_401_names_the_env_var_and_never_the_key(cache_dir: Path) -> None:
    """A 401 becomes SourceAuthError whose message says which variable to check and hides the key."""
    transport = httpx.MockTransport(lambda r: httpx.Response(401, json={"detail": "Unauthorized"}))
    source = ListingSource("groq", "https://api.groq.test/openai/v1", credential="gsk-test-SECRET")
    catalog = Catalog(sources=[source], transport=transport)
    with pytest.raises(SourceAuthError, match="check TEST_API_KEY") as info:
        catalog.refresh(raise_on_error=True)
    assert info.value.status_code == 401
    assert "SECRET" not in str(info.value)
    assert not any(b"SECRET" in p.read_bytes() for p in cache_dir.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(200, text="<!DOCTYPE html><html>login</html>"), "HTML from"),
        (httpx.Response(200, text='{"data": [{"id": "a"'), "invalid JSON from"),
        (httpx.Response(200, json=[1, 2, 3]), "unusable listing"),
        (httpx.Response(503, text="upstream down"), "HTTP 503"),
        (httpx.Response(429, headers={"Retry-After": "7200"}, text="slow down"), "HTTP 429"),
    ],
)
@pytest.mark.usefixtures("any_store")
def test_bad_answers_keep_last_good_data(response: httpx.Response, message: str) -> None:
    """HTML, truncated JSON, a wrong top-level type and 5xx/429 keep the last good listing, error in status."""
    good = httpx.MockTransport(lambda r: httpx.Response(200, json=load_fixture("groq/openai_v1_models.json")))
    Catalog(sources=[ListingSource("groq", "https://api.groq.test/v1")], transport=good).refresh()
    bad = httpx.MockTransport(lambda r: response)
    catalog = Catalog(sources=[ListingSource("groq", "https://api.groq.test/v1")], transport=bad)
    (report,) = catalog.refresh()
    assert report.outcome == "stale" and report.error is not None and message in report.error
    assert len(catalog.list_models("groq")) == 20
    if response.status_code == 429:
        (status,) = catalog.status()
        assert status.retry_at is not None
        assert status.retry_at.timestamp() > time.time() + 3000


@pytest.mark.usefixtures("any_store")
def test_loopback_server_end_to_end(httpserver: HTTPServer) -> None:
    """A real HTTP server on 127.0.0.1 serves a captured listing; the catalog fetches, caches and merges it."""
    httpserver.expect_request("/openai/v1/models").respond_with_json(load_fixture("groq/openai_v1_models.json"))
    source = ListingSource("groq", httpserver.url_for("/openai/v1"))
    catalog = Catalog(sources=["litellm", source])
    (litellm_report, groq_report) = catalog.refresh()
    assert (litellm_report.source, groq_report.source, groq_report.outcome, groq_report.count) == (
        "litellm",
        "groq",
        "ok",
        20,
    )
    record = catalog.get_model("groq/llama-3.3-70b-versatile")
    assert record is not None and record.available is True and record.fetched_at is not None
    assert len(httpserver.log) == 1
    httpserver.clear()
    httpserver.expect_request("/openai/v1/models").respond_with_data("", status=500)
    assert Catalog(sources=["litellm", source]).get_model("groq/llama-3.3-70b-versatile") == record
    assert len(httpserver.log) == 0  # fresh data: no request at all


def test_loopback_connection_refused_is_quiet_and_fast() -> None:
    """Nothing listening on the port: no exception, no records from the source, error in status."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    catalog = Catalog(sources=["litellm", ListingSource("mylab", f"http://127.0.0.1:{port}/v1")], timeout=2)
    assert catalog.get_model("mylab/x") is None
    assert catalog.get_model("gpt-4o") is not None
    (status,) = [s for s in catalog.status() if s.source == "mylab"]
    assert status.error is not None and "cannot reach" in status.error


@pytest.mark.usefixtures("any_store")
def test_processes_share_one_fetch(httpserver: HTTPServer, cache_dir: Path) -> None:
    """Four processes starting cold at once make one request between them (the cross-process lock)."""
    hits: list[float] = []
    lock = threading.Lock()

    def slow(request: Request) -> Response:
        with lock:
            hits.append(time.time())
        time.sleep(0.5)
        return Response(json.dumps(load_fixture("groq/openai_v1_models.json")), content_type="application/json")

    httpserver.expect_request("/v1/models").respond_with_handler(slow)
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parents[1])!r})
        from tests.support.helpers import ListingSource
        from massgen_discovery import Catalog
        c = Catalog(sources=[ListingSource("groq", {httpserver.url_for("/v1")!r})], timeout=10)
        r = c.get_model("groq/llama-3.3-70b-versatile")
        print(r.available if r else None)
        """
    )
    env = {"MASSGEN_DISCOVERY_CACHE_DIR": str(cache_dir), "PATH": "/usr/bin:/bin"}
    if os.environ.get("MASSGEN_DISCOVERY_REDIS_URL"):
        env["MASSGEN_DISCOVERY_REDIS_URL"] = os.environ["MASSGEN_DISCOVERY_REDIS_URL"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [o[0].strip() for o in outputs] == ["True"] * 4, [o[1] for o in outputs]
    assert len(hits) == 1


def test_source_error_carries_status_and_body() -> None:
    """SourceHTTPError keeps the status code and the start of the body for callers."""
    transport = httpx.MockTransport(lambda r: httpx.Response(502, text="bad gateway " * 100))
    catalog = Catalog(sources=[ListingSource("mylab", "https://x.test")], transport=transport)
    with pytest.raises(SourceHTTPError) as info:
        catalog.refresh(raise_on_error=True)
    assert info.value.status_code == 502 and info.value.body is not None and len(info.value.body) <= 200
