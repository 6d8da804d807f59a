"""Polite to upstreams: conditional GETs, sources that refresh only when asked, remembered probes,
a first online lookup that fetches what offline commands never did, and refresh's exit codes.

Real loopback HTTP servers that count what they are asked; the real CLI in its own process where
the exit code or stderr is the point.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from massgen_discovery import Catalog
from massgen_discovery.errors import ConfigError

from ..support import internals, load_fixture
from ..support.servers import FakeOllama, running

HF_LISTING = load_fixture("huggingface/router_v1_models.json")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "massgen_discovery", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


class Upstream:
    """A loopback server answering each path with a handler, recording every request."""

    def __init__(self, routes: dict[str, Callable[[Request], Response]]) -> None:
        self.routes = routes
        self.seen: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self.server = HTTPServer(host="127.0.0.1", threaded=True)

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.seen.append((request.path, dict(request.headers)))
        handler = self.routes.get(request.path)
        if handler is None:
            return Response(json.dumps({"detail": "Not Found"}), status=404, content_type="application/json")
        return handler(request)

    def paths(self) -> list[str]:
        with self._lock:
            return [p for p, _ in self.seen]

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@contextmanager
def upstream(routes: dict[str, Callable[[Request], Response]]) -> Iterator[Upstream]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = Upstream(routes)
    server.server.expect_request(re.compile(".*")).respond_with_handler(server._handle)
    server.server.start()
    try:
        yield server
    finally:
        server.server.stop()


def as_json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json", headers=headers)


def vllm_listing(*ids: str) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": i, "object": "model", "max_model_len": 32768} for i in ids]}


# -- a first online lookup after offline commands --------------------------------------------------


@pytest.mark.slow
def test_an_online_lookup_after_offline_commands_fetches_what_was_never_fetched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with upstream({"/v1/models": lambda r: as_json(HF_LISTING)}) as hf:
        monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", hf.url + "/v1")
        assert cli("list", "--offline", "--tools", "--min-context", "128000").returncode == 0
        assert cli("show", "gpt-4o", "--offline").returncode == 0
        assert hf.paths() == []
        out = cli("list", "--provider", "huggingface", "--json", "--mode", "all")
        assert out.returncode == 0, out.stderr
        listed = {r["model"] for r in json.loads(out.stdout)}
        ids = {m["id"] for m in HF_LISTING["data"]}
        assert {m.split("/", 1)[1] for m in listed if m.count("/") == 2} == ids  # every router model
        assert hf.paths() == ["/v1/models"]


@pytest.mark.slow
def test_a_source_that_still_has_nothing_says_why_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with upstream({"/v1/models": lambda r: Response("<html>down for maintenance</html>", status=503)}) as hf:
        monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", hf.url + "/v1")
        assert cli("list", "--offline").returncode == 0
        out = cli("list", "--provider", "huggingface")
        assert out.returncode == 1
        lines = [line for line in out.stderr.splitlines() if line.startswith("huggingface:")]
        assert len(lines) == 1 and "503" in lines[0], out.stderr
        assert "no models match" in out.stderr


def test_offline_says_which_source_was_never_fetched_and_how(capsys: pytest.CaptureFixture[str]) -> None:
    from massgen_discovery.cli import run

    assert run(["list", "--provider", "huggingface", "--offline"]) == 1
    assert (
        "huggingface: not fetched yet (offline); run: massgen-discovery refresh huggingface" in capsys.readouterr().err
    )


# -- refresh exit codes: one test per row of the README's table --------------------------------------


@pytest.mark.slow
def test_refresh_exit_codes_are_the_readmes_table(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: dict[str, Callable[[Request], Response]] = {"/v1/models": lambda r: as_json(HF_LISTING)}
    with upstream(answers) as hf, upstream({"/v1/models": lambda r: as_json(vllm_listing("m"))}) as vllm:
        monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", hf.url + "/v1")
        # Ollama not running: a closed loopback port (the test environment's default).
        # 0: every source tried is ok
        assert cli("refresh", "huggingface").returncode == 0
        # 0: ... or is a local server that is not running, named or not
        out = cli("refresh", "huggingface", "ollama")
        assert out.returncode == 0, out.stdout + out.stderr
        assert "not running" in out.stdout
        # 1: a source you named failed (its old data is still served: stale)
        answers["/v1/models"] = lambda r: Response("oops", status=500)
        out = cli("refresh", "huggingface")
        assert out.returncode == 1 and "stale" in out.stdout
        # 1: a configured source failed (an --endpoint), though not named
        answers["/v1/models"] = lambda r: as_json(HF_LISTING)
        endpoint = f"vllm={vllm.url}/v1"
        assert cli("refresh", "--endpoint", endpoint).returncode in (0, 1)  # hosted listings without keys skip
        vllm.routes["/v1/models"] = lambda r: Response("down", status=502)
        out = cli("refresh", "--endpoint", endpoint)
        assert out.returncode == 1 and re.search(r"vllm\s+stale", out.stdout), out.stdout
        # 2: bad usage
        assert cli("refresh", "no-such-source").returncode == 2
        assert cli("refresh", "--no-such-option").returncode == 2


# -- conditional GETs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "conditional_header"),
    [("ETag", "If-None-Match"), ("Last-Modified", "If-Modified-Since")],
)
def test_an_unchanged_listing_is_a_304_and_nothing_is_rebuilt(
    tmp_path: Path, clock: Any, validator: str, conditional_header: str
) -> None:
    value = '"v1-abc"' if validator == "ETag" else "Wed, 21 Oct 2026 07:28:00 GMT"

    def listing(request: Request) -> Response:
        if request.headers.get(conditional_header) == value:
            return Response(status=304, headers={validator: value})
        return as_json(HF_LISTING, headers={validator: value})

    with upstream({"/v1/models": listing}) as hf:
        catalog = Catalog(cache_dir=tmp_path / "c", sources=["litellm", "huggingface"])
        os.environ["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = hf.url + "/v1"
        try:
            (first,) = [r for r in catalog.refresh(["huggingface"])]
            assert first.outcome == "ok" and first.count > 0
            envelope_key = next(k for k in _keys(catalog) if k.startswith("envelope:huggingface"))
            before = internals.store(catalog).get(envelope_key)
            pointer = internals.store(catalog).get(internals.meta_key(catalog))
            assert before is not None and pointer is not None
            assert conditional_header not in hf.seen[0][1]
            clock.advance(7 * 3600)
            (second,) = catalog.refresh(["huggingface"])
            assert second.outcome == "ok" and second.count == first.count and second.changes == 0
            assert hf.seen[-1][1].get(conditional_header) == value
            after = internals.store(catalog).get(envelope_key)
            assert after is not None and after["version"] == before["version"]  # nothing parsed
            assert after["expires_at"] > before["expires_at"]  # fresh again
            repointed = internals.store(catalog).get(internals.meta_key(catalog))
            assert repointed is not None and repointed["prefix"] == pointer["prefix"]  # nothing rebuilt
            assert repointed["sources"]["huggingface"]["expires_at"] == after["expires_at"]
            assert catalog.get_model("huggingface/" + HF_LISTING["data"][0]["id"]) is not None
            status = {s.source: s for s in catalog.status()}["huggingface"]
            assert not status.stale and status.error is None
        finally:
            del os.environ["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"]
            catalog.close()


def _keys(catalog: Catalog) -> list[str]:
    return [k for k in internals.store(catalog)._writer().iterkeys() if isinstance(k, str)]


@pytest.mark.slow
def test_a_304_through_the_cli_is_a_successful_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    def listing(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"same"':
            return Response(status=304)
        return as_json(HF_LISTING, headers={"ETag": '"same"'})

    with upstream({"/v1/models": listing}) as hf:
        monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", hf.url + "/v1")
        assert cli("refresh", "huggingface").returncode == 0
        out = cli("refresh", "huggingface", "--json")
        assert out.returncode == 0
        (report,) = [r for r in json.loads(out.stdout) if r["source"] == "huggingface"]
        assert report["outcome"] == "ok" and report["count"] > 0
        assert [h.get("If-None-Match") for _, h in hf.seen] == [None, '"same"']


# -- manual refresh --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_manual_endpoint_is_never_contacted_by_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    with upstream({"/v1/models": lambda r: as_json(vllm_listing("qwen3-32b"))}) as gpu:
        monkeypatch.setenv("MASSGEN_DISCOVERY_GPU_REFRESH", "manual")
        endpoint = ["--endpoint", f"gpu={gpu.url}/v1"]
        out = cli("list", "--provider", "gpu", *endpoint)
        assert out.returncode == 1
        assert "gpu: refreshes only when asked; run: massgen-discovery refresh gpu" in out.stderr
        out = cli("show", "gpu/qwen3-32b", *endpoint)
        assert out.returncode == 1 and "run: massgen-discovery refresh gpu" in out.stderr
        out = cli("refresh", *endpoint)  # everything but the manual source
        assert re.search(r"gpu\s+skipped.*refresh gpu", out.stdout), out.stdout
        assert gpu.paths() == []
        out = cli("providers", "--json", *endpoint)
        (row,) = [r for r in json.loads(out.stdout) if r["provider"] == "gpu"]
        assert row["refresh"] == "manual"
        assert "manual" in cli("providers", *endpoint).stdout
        assert cli("refresh", "gpu", *endpoint).returncode == 0
        assert "/v1/models" in gpu.paths()
        gpu.clear()
        assert cli("show", "gpu/qwen3-32b", *endpoint).returncode == 0
        assert gpu.paths() == []


def test_manual_sources_are_left_alone_in_the_foreground_and_the_background(tmp_path: Path, clock: Any) -> None:
    with upstream({"/v1/models": lambda r: as_json(vllm_listing("a", "b"))}) as gpu:
        catalog = Catalog(
            cache_dir=tmp_path / "c",
            sources=["litellm"],
            endpoints={"gpu": gpu.url + "/v1"},
            refresh_modes={"gpu": "manual"},
        )
        assert catalog.get_model("gpu/a") is None
        assert gpu.paths() == []
        (report,) = catalog.refresh(["gpu"])
        assert report.outcome == "ok" and report.count == 2
        gpu.clear()
        clock.advance(10 * 24 * 3600)  # long past every TTL
        assert catalog.get_model("gpu/a") is not None
        assert catalog.wait_background(5)
        assert gpu.paths() == []
        assert {s.source: s.refresh for s in catalog.status()}["gpu"] == "manual"
        catalog.close()
    with pytest.raises(ConfigError, match="auto, manual"):
        Catalog(refresh_modes={"gpu": "sometimes"}).manual("gpu")


# -- remembered probes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "later"),
    [
        ({}, ["/v1/models"]),
        (
            {"/v1/model/info": lambda r: as_json(load_fixture("litellm_proxy/model_group_info.json"))},
            ["/model_group/info", "/v1/model/info", "/v1/models"],
        ),
        (
            {"/api/v0/models": lambda r: as_json({"object": "list", "data": [{"id": "m", "type": "llm"}]})},
            ["/api/v0/models", "/v1/models"],
        ),
    ],
    ids=["openai-compatible", "litellm-proxy", "lm-studio"],
)
def test_an_endpoints_kind_is_remembered_and_only_its_listings_asked_again(
    tmp_path: Path, extra: dict[str, Callable[[Request], Response]], later: list[str]
) -> None:
    routes = {"/v1/models": lambda r: as_json(vllm_listing("m")), **extra}
    with upstream(routes) as box:
        catalog = Catalog(cache_dir=tmp_path / "c", sources=["litellm"], endpoints={"box": box.url + "/v1"})
        catalog.refresh(["box"])
        assert sorted(box.paths()) == ["/api/v0/models", "/model_group/info", "/v1/model/info", "/v1/models"]
        box.clear()
        (report,) = catalog.refresh(["box"])
        assert report.outcome == "ok"
        assert sorted(box.paths()) == later
        catalog.close()


def test_an_endpoint_that_did_not_answer_a_probe_clearly_is_probed_again(tmp_path: Path) -> None:
    routes: dict[str, Callable[[Request], Response]] = {
        "/v1/models": lambda r: as_json(vllm_listing("m")),
        "/model_group/info": lambda r: Response("busy", status=503),
    }
    with upstream(routes) as box:
        catalog = Catalog(cache_dir=tmp_path / "c", sources=["litellm"], endpoints={"box": box.url + "/v1"})
        catalog.refresh(["box"])
        box.clear()
        catalog.refresh(["box"])
        assert len(box.paths()) == 4  # still unsure which kind it is: everything asked again
        catalog.close()


def test_ollama_not_running_when_named_is_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    from massgen_discovery.cli import run

    tags = load_fixture("ollama/api_tags.json")
    with running(FakeOllama(tags, {})) as ollama:
        monkeypatch.setenv("MASSGEN_DISCOVERY_OLLAMA_BASE_URL", ollama.url)
        assert run(["refresh", "ollama"]) == 0
    assert run(["refresh", "ollama"]) == 0  # stopped now: not running, old data kept
