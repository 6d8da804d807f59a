"""Named OpenAI-compatible servers: vLLM, llama.cpp, LM Studio, a LiteLLM proxy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from massgen_discovery import Catalog, ConfigError
from massgen_discovery.sources.endpoint import EndpointSource

from ..support import load_fixture

NOW = datetime(2026, 11, 21, tzinfo=timezone.utc)


def serve(routes: dict[str, Any]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        body = routes.get(request.url.path)
        if body is None:
            return httpx.Response(404, text="404 page not found")
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler)


def records_for(name: str, base: str, routes: dict[str, Any]) -> dict[str, Any]:
    catalog = Catalog(sources=[EndpointSource(name, base)], transport=serve(routes))
    (report,) = catalog.refresh()
    assert report.outcome == "ok", report.error
    return {r.model: r for r in catalog.list_models()}


def test_vllm_max_model_len() -> None:
    """vLLM's max_model_len is the context window; records are NAME/<id> with api_base."""
    records = records_for("vllm", "http://gpu.test:8000/v1", {"/v1/models": load_fixture("vllm/v1_models.json")})
    r = records["vllm/swiss-ai/Apertus-8B-Instruct-2509"]
    assert (r.provider, r.model_id, r.api_base) == (
        "vllm",
        "swiss-ai/Apertus-8B-Instruct-2509",
        "http://gpu.test:8000/v1",
    )
    assert r.max_input_tokens == 65536 and r.available is True


def test_llamacpp_both_envelopes_merged() -> None:
    """llama.cpp sends data and models at once: one record, n_ctx_train as context, n_ctx as runtime."""
    records = records_for(
        "llamacpp", "http://localhost:8080/v1", {"/v1/models": load_fixture("llamacpp/v1_models.json")}
    )
    (r,) = records.values()
    assert r.model == "llamacpp/Qwen3.8-27B-Q4_K_M"
    assert r.max_input_tokens == 262144 and r.runtime_context_tokens == 8192
    assert r.supports_vision is True  # "multimodal" in the Ollama-style capabilities


def test_lmstudio_v0_enriches_the_openai_listing() -> None:
    """LM Studio: /api/v0/models adds type (mode), context window, quantization, architecture."""
    routes = {
        "/v1/models": {"data": [{"id": e["id"], "object": "model"} for e in load_fixture("lmstudio/api_v0_models.docs-example.json")["data"]]},
        "/api/v0/models": load_fixture("lmstudio/api_v0_models.docs-example.json"),
    }  # fmt: skip
    records = records_for("lmstudio", "http://127.0.0.1:1234/v1", routes)
    vl = records["lmstudio/qwen2-vl-7b-instruct"]
    assert (
        vl.mode == "chat" and vl.supports_vision is True and vl.max_input_tokens == 32768 and vl.quantization == "4bit"
    )
    embed = records["lmstudio/text-embedding-nomic-embed-text-v1.5"]
    assert embed.mode == "embedding" and embed.provenance["mode"] == "lmstudio"
    plain = records_for("lms2", "http://127.0.0.1:1234/v1", {"/v1/models": load_fixture("lmstudio/v1_models.json")})
    assert plain["lms2/text-embedding-nomic-embed-text-v1.5"].mode == "embedding"


def test_lmstudio_native_v1_listing_shape() -> None:
    """LM Studio's native {"models": [{"key": ...}]} listing is read too."""
    routes = {"/v1/models": load_fixture("lmstudio/api_v1_models.docs-example.json")}
    records = records_for("lms", "http://127.0.0.1:1234/v1", routes)
    assert set(records) == {
        "lms/google/gemma-4-26b-a4b",
        "lms/deepseek-r1",
        "lms/text-embedding-nomic-embed-text-v1.5-embedding",
    }
    assert records["lms/google/gemma-4-26b-a4b"].max_input_tokens == 262144


def test_litellm_proxy_listing_and_model_info() -> None:
    """A LiteLLM proxy: /v1/models gives ids and limits; /model/info adds prices and flags, never keys."""
    model_info = {
        "data": [
            {
                "model_name": "gpt-4o",
                "litellm_params": {"model": "openai/gpt-4o", "api_key": "sk-upstream-SECRET"},
                "model_info": {"max_input_tokens": 128000.0, "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "supports_function_calling": True, "mode": "chat"},
            }
        ]
    }  # fmt: skip
    routes = {"/v1/models": load_fixture("litellm_proxy/v1_models.json"), "/v1/model/info": model_info}
    catalog = Catalog(
        sources=[EndpointSource("proxy", "http://127.0.0.1:4000/v1", api_key="sk-master-SECRET")],
        transport=serve(routes),
    )
    catalog.refresh()
    gpt = catalog.get_model("proxy/gpt-4o")
    assert gpt is not None and gpt.max_input_tokens == 128000 and gpt.input_cost_per_token == pytest.approx(2.5e-6)
    assert gpt.supports_function_calling is True and gpt.provenance["input_cost_per_token"] == "proxy"
    local = catalog.get_model("proxy/local-qwen")
    assert local is not None and local.max_input_tokens is None  # the proxy said nothing: unknown
    for path in Path(os.environ["MASSGEN_DISCOVERY_CACHE_DIR"]).rglob("*"):
        if path.is_file():
            assert b"SECRET" not in path.read_bytes()


def test_proxy_without_db_rejects_a_bad_key() -> None:
    """The captured 400 "No connected db" for a wrong key is a clear one-line error (no data yet: failed)."""
    body = load_fixture("litellm_proxy/v1_models.400-bad-key-no-db.json")
    transport = httpx.MockTransport(lambda r: httpx.Response(400, json=body))
    catalog = Catalog(
        sources=[EndpointSource("proxy", "http://127.0.0.1:4000/v1", api_key="wrong")], transport=transport
    )
    (report,) = catalog.refresh()
    assert (
        report.outcome == "failed"
        and report.error is not None
        and "HTTP 400" in report.error
        and "\n" not in report.error
    )


@pytest.mark.parametrize(
    ("name", "url", "message"),
    [
        ("litellm", "http://x/v1", "taken by a built-in source"),
        ("groq", "http://x/v1", "taken by a built-in source"),
        ("bad name", "http://x/v1", "use letters, digits"),
        ("vllm", "localhost:8000", "must start with http://"),
    ],
)
def test_bad_endpoint_configuration_is_a_config_error(name: str, url: str, message: str) -> None:
    """Endpoint names may not shadow sources and URLs need a scheme."""
    with pytest.raises(ConfigError, match=message):
        Catalog(endpoints={name: url})


def test_cli_endpoint_option_on_every_command(httpserver: HTTPServer, cache_dir: Path) -> None:
    """--endpoint NAME=URL works before and after each command, over a real loopback server."""
    httpserver.expect_request("/v1/models").respond_with_json(load_fixture("vllm/v1_models.json"))
    url = httpserver.url_for("/v1")
    script = str(Path(sys.executable).parent / "massgen-discovery")
    env = dict(os.environ)

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([script, *argv], capture_output=True, text=True, env=env, timeout=60)

    out = cli("refresh", "vllm", "--endpoint", f"vllm={url}")
    assert out.returncode == 0, out.stderr
    out = cli("--endpoint", f"vllm={url}", "list", "--provider", "vllm", "--json")
    assert out.returncode == 0, out.stderr
    (record,) = json.loads(out.stdout)
    assert record["model"] == "vllm/swiss-ai/Apertus-8B-Instruct-2509" and record["api_base"] == url
    out = cli("show", "vllm/swiss-ai/Apertus-8B-Instruct-2509", "--json", "--endpoint", f"vllm={url}")
    assert out.returncode == 0 and json.loads(out.stdout)["max_input_tokens"] == 65536
    out = cli("providers", "--json", "--endpoint", f"vllm={url}")
    assert any(r["provider"] == "vllm" and r["models"] == 1 for r in json.loads(out.stdout))
    out = cli("list", "--endpoint", "novalue")
    assert out.returncode == 2 and "is not NAME=URL" in out.stderr
