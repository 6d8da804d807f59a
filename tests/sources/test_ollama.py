from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from massgen_discovery import Catalog
from massgen_discovery.sources.ollama import OllamaSource, resolve_base_url, to_records

from ..support import load_fixture
from ..support.servers import FakeOllama, running

NOW = datetime(2026, 11, 21, tzinfo=timezone.utc)


def tags() -> dict[str, Any]:
    data = load_fixture("ollama/api_tags.json")
    assert isinstance(data, dict)
    return data


def show(name: str) -> dict[str, Any]:
    data = load_fixture(f"ollama/api_show.{name}.json")
    assert isinstance(data, dict)
    return data


def shows() -> dict[str, Any]:
    """The captured /api/show answers, for the tag names the captured /api/tags lists."""
    return {"qwen3:8b": show("qwen3-8b"), "mistral:7b": show("mistral-7b")}


def fake(**kwargs: Any) -> FakeOllama:
    return FakeOllama(tags(), shows(), load_fixture("ollama/api_ps.json"), **kwargs)


def refresh_records(server: FakeOllama, **catalog_kwargs: Any) -> dict[str, Any]:
    source = OllamaSource(base_url=server.url)
    catalog = Catalog(sources=["litellm", source], **catalog_kwargs)
    catalog.refresh(["ollama"])
    return {r.model: r for r in catalog.list_models("ollama") if "ollama" in r.sources}


# -- configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://localhost:11434"),
        ({"OLLAMA_HOST": "0.0.0.0"}, "http://127.0.0.1:11434"),
        ({"OLLAMA_HOST": "gpu-box:8080"}, "http://gpu-box:8080"),
        ({"OLLAMA_HOST": "https://ollama.com"}, "https://ollama.com"),
        ({"OLLAMA_API_BASE": "http://10.1.2.3:11434/", "OLLAMA_HOST": "x"}, "http://10.1.2.3:11434"),
        ({"MASSGEN_DISCOVERY_OLLAMA_BASE_URL": "http://h:1/v1", "OLLAMA_API_BASE": "http://x"}, "http://h:1"),
    ],
)
def test_base_url_resolution(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str) -> None:
    """Our variable, then LiteLLM's OLLAMA_API_BASE, then Ollama's OLLAMA_HOST (no scheme or port needed)."""
    for var in ("MASSGEN_DISCOVERY_OLLAMA_BASE_URL", "OLLAMA_API_BASE", "OLLAMA_HOST"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert resolve_base_url() == expected


# -- parsing the captured answers -----------------------------------------------------------------


def payload(**extra: Any) -> dict[str, Any]:
    by_digest = {}
    for entry in tags()["models"]:
        if entry["name"] in shows():
            from massgen_discovery.sources.ollama import _trim_show

            by_digest[entry["digest"]] = _trim_show(shows()[entry["name"]], keep_template=False)
    return {"base_url": "http://localhost:11434", "tags": tags(), "show": by_digest, "ps": {}, **extra}


def test_show_answers_give_context_and_capabilities() -> None:
    """qwen3:8b: 40960 from qwen3.context_length, tools and thinking yes, vision no, local so free."""
    records = {r.model: r for r in to_records(payload(), NOW)}
    qwen = records["ollama/qwen3:8b"]
    assert (qwen.provider, qwen.model_id, qwen.mode) == ("ollama", "qwen3:8b", "chat")
    assert qwen.max_input_tokens == 40960
    assert qwen.supports_function_calling is True and qwen.supports_reasoning is True and qwen.supports_vision is False
    assert (qwen.family, qwen.parameter_size, qwen.quantization) == ("qwen3", "8.2B", "Q4_K_M")
    assert qwen.input_cost_per_token == 0.0 and qwen.output_cost_per_token == 0.0
    assert qwen.api_base == "http://localhost:11434" and qwen.available is True
    assert qwen.provenance["max_input_tokens"] == "ollama"
    mistral = records["ollama/mistral:7b"]
    assert mistral.max_input_tokens == 32768  # llama.context_length: the key follows the architecture
    assert mistral.supports_function_calling is True and mistral.supports_reasoning is False


def test_vision_model_from_its_show_answer() -> None:
    """qwen2.5vl: the vision capability sets supports_vision and the image input modality."""
    entry = {
        "name": "qwen2.5vl:7b",
        "model": "qwen2.5vl:7b",
        "digest": "abc",
        "details": show("qwen2.5vl-7b")["details"],
    }
    from massgen_discovery.sources.ollama import _trim_show

    data = {
        "base_url": "http://localhost:11434",
        "tags": {"models": [entry]},
        "show": {"abc": _trim_show(show("qwen2.5vl-7b"), keep_template=False)},
    }
    (record,) = to_records(data, NOW)
    assert record.supports_vision is True and record.input_modalities == ["text", "image"]
    assert record.max_input_tokens == 128000 and record.supports_function_calling is False


def test_models_without_show_keep_what_tags_said() -> None:
    """A model /api/show was not asked about yet has family, size, quantization and no invented context."""
    records = {r.model: r for r in to_records(payload(), NOW)}
    granite = records["ollama/granite3.3:2b"]
    assert granite.max_input_tokens is None and granite.supports_function_calling is None
    assert (granite.family, granite.parameter_size, granite.quantization) == ("granite", "2.5B", "Q4_K_M")
    assert granite.provenance["mode"] == "heuristic:ollama-name"
    hf = records["ollama/hf.co/bartowski/Ministral-8B-Instruct-2410-GGUF:IQ4_XS"]
    assert hf.quantization is None  # "unknown" is not a quantization


def test_v030_tags_need_no_show() -> None:
    """Ollama >= 0.30 tags entries carry capabilities and context_length: records come from tags alone."""
    data = {
        "base_url": "http://localhost:11434",
        "tags": load_fixture("ollama/api_tags.v0.30-with-capabilities.json"),
        "show": {},
    }
    (record,) = to_records(data, NOW)
    assert record.max_input_tokens == 32768 and record.mode == "chat"
    assert record.supports_function_calling is False and record.supports_vision is False
    assert record.model.endswith("_gguf") and record.model_id.endswith(":latest")  # :latest is left out of the key


def test_cloud_models_have_unknown_prices() -> None:
    """ollama.com tags (empty details, short digests): no prices, no invented details."""
    data = {"base_url": "https://ollama.com", "tags": load_fixture("ollama/cloud_api_tags.json"), "show": {}}
    records = to_records(data, NOW)
    assert records and all(
        r.input_cost_per_token is None and r.family is None and r.parameter_size is None for r in records
    )
    local_cloud_name = {"name": "gpt-oss:120b-cloud", "digest": "x", "details": {}}
    (record,) = to_records({"base_url": "http://localhost:11434", "tags": {"models": [local_cloud_name]}}, NOW)
    assert record.input_cost_per_token is None


def test_old_servers_fall_back_to_heuristics() -> None:
    """Without capabilities: a tools-handling template means tools, a projector means vision, both marked heuristic."""
    from massgen_discovery.sources.ollama import _trim_show

    old = copy.deepcopy(show("mistral-7b"))
    del old["capabilities"]
    old["projector_info"] = {"clip.has_vision_encoder": True}
    entry = {"name": "llava-like:7b", "digest": "d1", "details": old["details"]}
    data = {
        "base_url": "http://localhost:11434",
        "tags": {"models": [entry]},
        "show": {"d1": _trim_show(old, keep_template=True)},
    }
    (record,) = to_records(data, NOW)
    assert record.supports_function_calling is True
    assert record.provenance["supports_function_calling"] == "heuristic:ollama-template"
    assert record.supports_vision is True and record.provenance["supports_vision"] == "heuristic:ollama-projector"
    assert record.max_input_tokens == 32768


# -- over a loopback Ollama -----------------------------------------------------------------------


def test_refresh_over_loopback_uses_show_tags_and_ps() -> None:
    """A full refresh: every tag listed, /api/show for each, runtime context from /api/ps."""
    with running(fake()) as server:
        records = refresh_records(server)
    assert len(records) == 7
    assert records["ollama/qwen3:8b"].max_input_tokens == 40960
    assert records["ollama/granite3.3:2b"].runtime_context_tokens == 4096  # loaded, per /api/ps
    assert sorted(server.show_calls) == sorted(e["name"] for e in tags()["models"])


def test_deleted_model_404_drops_only_that_model() -> None:
    """A model gone between /api/tags and /api/show (404) is dropped; the others stay."""
    server = fake(deleted={"ghost:1b"})
    server.tags["models"].append({"name": "ghost:1b", "model": "ghost:1b", "digest": "f" * 64, "details": {}})
    with running(server):
        records = refresh_records(server)
    assert "ollama/ghost:1b" not in records
    assert "ollama/qwen3:8b" in records and len(records) == 7


def test_slow_show_is_bounded_and_does_not_stall_the_others() -> None:
    """One /api/show that hangs costs at most the show budget; that model keeps its tags data."""
    with running(fake(slow={"mistral:7b": 5.0})) as server:
        started = time.monotonic()
        records = refresh_records(server, timeout=1.0)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0
    assert records["ollama/qwen3:8b"].max_input_tokens == 40960
    assert records["ollama/mistral:7b"].max_input_tokens is None and records["ollama/mistral:7b"].family == "llama"
    assert records["ollama/mistral:7b"].supports_function_calling is None


def test_unchanged_digests_are_never_shown_again() -> None:
    """A second refresh with the same digests makes zero /api/show calls, in a new catalog too."""
    with running(fake()) as server:
        source = OllamaSource(base_url=server.url)
        Catalog(sources=[source]).refresh()
        first = len(server.show_calls)
        Catalog(sources=[OllamaSource(base_url=server.url)]).refresh()
        assert len(server.show_calls) == first
        server.tags["models"][0]["digest"] = "0" * 64  # smollm2 changed
        Catalog(sources=[OllamaSource(base_url=server.url)]).refresh()
        assert server.show_calls[first:] == ["smollm2:1.7b"]


def test_lookup_names_with_and_without_latest_and_chat_prefix() -> None:
    """ollama/<name>, ollama_chat/<name>, with or without :latest, all find the live record."""
    server = FakeOllama(load_fixture("ollama/api_tags.v0.30-with-capabilities.json"), {})
    name = server.tags["models"][0]["name"]
    bare = name.removesuffix(":latest")
    with running(server):
        catalog = Catalog(sources=["litellm", OllamaSource(base_url=server.url)])
        for typed in (f"ollama/{name}", f"ollama/{bare}", f"ollama_chat/{bare}", f"ollama_chat/{name}"):
            record = catalog.get_model(typed)
            assert record is not None and record.max_input_tokens == 32768, typed
    assert server.show_calls == []  # 0.30 tags already had everything


def test_live_records_sit_above_litellm_entries() -> None:
    """LiteLLM's static ollama/mistral entry merges under the live one: live values win, LiteLLM fills gaps."""
    server = fake()
    server.tags["models"].append(dict(tags()["models"][1], name="mistral:latest", model="mistral:latest"))
    server.shows["mistral:latest"] = show("mistral-7b")
    with running(server):
        records = refresh_records(server)
    mistral = records["ollama/mistral"]
    assert set(mistral.sources) - {"genai-prices"} == {"litellm", "ollama"}  # genai-prices: an opinion on prices
    assert mistral.max_input_tokens == 32768 and mistral.provenance["max_input_tokens"] == "ollama"
    assert mistral.input_cost_per_token == 0.0 and mistral.provenance["input_cost_per_token"] == "ollama"


def test_no_ollama_running_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """Connection refused: no records, 'not running at <url>' in status, no warning, no retry storm."""
    catalog = Catalog(sources=["litellm", OllamaSource(base_url="http://127.0.0.1:9")])
    assert catalog.get_model("ollama/qwen3:8b") is None
    assert catalog.get_model("gpt-4o") is not None
    status = next(s for s in catalog.status() if s.source == "ollama")
    assert status.error == "ollama: not running at http://127.0.0.1:9"
    assert status.retry_at is not None
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


def test_api_key_is_sent_for_ollama_com(monkeypatch: pytest.MonkeyPatch) -> None:
    """OLLAMA_API_KEY goes out as a Bearer token; /api/ps is not asked of ollama.com (it answers 401)."""
    monkeypatch.setenv("OLLAMA_API_KEY", "ollama-SECRET")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/tags":
            return httpx.Response(200, json=load_fixture("ollama/cloud_api_tags.json"))
        if request.url.path == "/api/ps":
            return httpx.Response(401, json=load_fixture("ollama/cloud_api_ps.401.json"))
        return httpx.Response(404, text="404 page not found")  # no /api/show here: models are kept

    catalog = Catalog(sources=[OllamaSource(base_url="https://ollama.com")], transport=httpx.MockTransport(handler))
    (report,) = catalog.refresh()
    assert report.outcome == "ok" and report.count > 0
    assert all(r.headers["authorization"] == "Bearer ollama-SECRET" for r in seen)
    assert "/api/ps" not in [r.url.path for r in seen]


def test_cli_refresh_ollama_over_loopback(cache_dir: Path) -> None:
    """`massgen-discovery refresh ollama` then `list --provider ollama --json` in real processes."""
    with running(fake()) as server:
        env = {**os.environ, "MASSGEN_DISCOVERY_OLLAMA_BASE_URL": server.url}
        script = str(Path(sys.executable).parent / "massgen-discovery")
        out = subprocess.run([script, "refresh", "ollama"], capture_output=True, text=True, env=env, timeout=60)
        assert out.returncode == 0, out.stderr
        out = subprocess.run(
            [script, "list", "--provider", "ollama", "--tools", "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert out.returncode == 0, out.stderr
    models = {r["model"]: r for r in json.loads(out.stdout)}
    assert set(models) >= {"ollama/qwen3:8b", "ollama/mistral:7b"}
    assert models["ollama/qwen3:8b"]["api_base"] == server.url
