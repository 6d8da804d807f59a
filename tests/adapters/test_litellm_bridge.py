"""The LiteLLM bridge, against the installed litellm (real calls, offline through mock_response)."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import httpx
import pytest

from massgen_discovery import Catalog
from massgen_discovery.litellm_bridge import (
    completion_cost,
    completion_kwargs,
    litellm_cost_kwargs,
    register_with_litellm,
    router_model_list,
    to_litellm_model_info,
)
from massgen_discovery.sources.huggingface import HuggingFaceSource
from massgen_discovery.sources.openrouter import OpenRouterSource
from massgen_discovery.testing import StaticSource

from ..support import load_fixture

MESSAGES = [{"role": "user", "content": "hi"}]
LITELLM_VERSION = tuple(int(part) for part in version("litellm").split(".")[:2])


@pytest.fixture
def litellm() -> Iterator[Any]:
    """The real litellm module; its model_cost is restored after each test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import litellm as module
    import litellm.litellm_core_utils.get_model_cost_map as loader_module

    from massgen_discovery._adapters import litellm as litellm_bridge

    saved = copy.deepcopy(module.model_cost)
    loader = loader_module.get_model_cost_map
    yield module
    module.model_cost = saved
    loader_module.get_model_cost_map = loader
    litellm_bridge._kept.clear()


def routes(request: httpx.Request) -> httpx.Response:
    if "openrouter" in request.url.host or request.url.port == 9001:
        return httpx.Response(200, json=load_fixture("openrouter/api_v1_models.genai-prices.json"))
    return httpx.Response(200, json=load_fixture("huggingface/router_v1_models.json"))


@pytest.fixture
def catalog() -> Catalog:
    """LiteLLM's map + the captured HF router and OpenRouter listings + a local Ollama model."""
    from massgen_discovery import ModelRecord

    ollama = StaticSource(
        "ollama",
        [ModelRecord(model="ollama/qwen3:8b", provider="ollama", model_id="qwen3:8b", mode="chat", max_input_tokens=40960,
                     input_cost_per_token=0.0, output_cost_per_token=0.0, supports_function_calling=True,
                     api_base="http://localhost:11434")],
    )  # fmt: skip
    cat = Catalog(
        sources=[
            "litellm",
            HuggingFaceSource(base_url="http://127.0.0.1:9000/v1"),
            OpenRouterSource(base_url="http://127.0.0.1:9001/v1"),
            ollama,
        ],
        transport=httpx.MockTransport(routes),
    )
    cat.refresh()
    return cat


def test_registered_ollama_model_answers_get_model_info(litellm: Any, catalog: Catalog) -> None:
    """After register_with_litellm, litellm.get_model_info gives our context window and capabilities."""
    count = register_with_litellm(catalog, providers=["ollama"])
    assert count == 2  # ollama/ and ollama_chat/
    for key in ("ollama/qwen3:8b", "ollama_chat/qwen3:8b"):
        info = litellm.get_model_info(key)
        assert info["max_input_tokens"] == 40960 and info["supports_function_calling"] is True


def test_registration_survives_a_cost_map_reload(litellm: Any, catalog: Catalog) -> None:
    """A proxy-style reload (litellm.model_cost = get_model_cost_map(url)) keeps what was registered."""
    from litellm.litellm_core_utils.get_model_cost_map import get_model_cost_map as before

    register_with_litellm(catalog, providers=["ollama"])
    register_with_litellm(catalog, providers=["ollama"])  # twice: wrapped once
    # What the proxy's /reload/model_cost_map runs, imported afresh as it does.
    from litellm.litellm_core_utils.get_model_cost_map import get_model_cost_map

    assert get_model_cost_map is not before
    litellm.model_cost = get_model_cost_map(url=litellm.model_cost_map_url)
    for key in ("ollama/qwen3:8b", "ollama_chat/qwen3:8b"):
        assert litellm.get_model_info(key)["max_input_tokens"] == 40960
    assert "gpt-4o" in litellm.model_cost  # the reloaded map itself is intact


def test_registered_openrouter_model_is_priced_by_litellm(litellm: Any, catalog: Catalog) -> None:
    """A live-only OpenRouter model gets LiteLLM cost_per_token from our prices; responses are priced too."""
    register_with_litellm(catalog, providers=["openrouter"])
    prompt_cost, completion_cost_ = litellm.cost_per_token(
        model="openrouter/anthropic/claude-opus-5", prompt_tokens=1000, completion_tokens=100
    )
    assert prompt_cost == pytest.approx(1000 * 5e-6) and completion_cost_ == pytest.approx(100 * 25e-6)
    response = litellm.completion(
        model="openrouter/anthropic/claude-opus-5", messages=MESSAGES, mock_response="hello", api_key="sk-or-fake"
    )
    expected = response.usage.prompt_tokens * 5e-6 + response.usage.completion_tokens * 25e-6
    if LITELLM_VERSION >= (1, 83):
        assert litellm.completion_cost(completion_response=response) == pytest.approx(expected)
    else:
        # 1.82.6 reads the stripped response.model ("anthropic/claude-opus-5") as an Anthropic model.
        with pytest.raises(Exception, match="isn't mapped yet"):
            litellm.completion_cost(completion_response=response)
    assert completion_cost(response, model="openrouter/anthropic/claude-opus-5", catalog=catalog) == pytest.approx(
        expected
    )


def test_unknown_values_never_overwrite_litellm(litellm: Any, catalog: Catalog) -> None:
    """Registering a record without a price keeps LiteLLM's own price for that key."""
    litellm.model_cost["openrouter/openrouter/auto-beta"] = {
        "litellm_provider": "openrouter",
        "input_cost_per_token": 1e-6,
        "mode": "chat",
    }
    register_with_litellm(catalog, providers=["openrouter"])
    entry = litellm.model_cost["openrouter/openrouter/auto-beta"]
    assert entry["input_cost_per_token"] == 1e-6  # our record's price is unknown ("-1")
    assert entry["max_input_tokens"] == 2_000_000  # what we know was added


def test_bundled_only_records_are_not_pushed(litellm: Any, catalog: Catalog) -> None:
    """Records built from LiteLLM's own map alone are not registered back."""
    before = len(litellm.model_cost)
    register_with_litellm(catalog, providers=["openai"])
    assert len(litellm.model_cost) == before


def test_huggingface_cost_through_custom_cost_per_token(litellm: Any, catalog: Catalog) -> None:
    """LiteLLM prices an HF response at 0 (or raises); litellm_cost_kwargs and completion_cost give the real cost."""
    model = "huggingface/together/moonshotai/Kimi-K3"
    response = litellm.completion(model=model, messages=MESSAGES, mock_response="hello there", api_key="hf_fake")
    usage = response.usage
    expected = usage.prompt_tokens * 3e-6 + usage.completion_tokens * 15e-6
    kwargs = litellm_cost_kwargs(model, catalog)
    assert kwargs == {"input_cost_per_token": pytest.approx(3e-6), "output_cost_per_token": pytest.approx(15e-6)}
    assert litellm.completion_cost(
        completion_response=response, model=model, custom_cost_per_token=kwargs
    ) == pytest.approx(expected)
    assert completion_cost(response, model=model, catalog=catalog) == pytest.approx(expected)
    # LiteLLM's own figure for the same response: 0.0 on newer releases, an exception on 1.82.6.
    if LITELLM_VERSION >= (1, 83):
        assert litellm.completion_cost(completion_response=response) == 0.0
    else:
        with pytest.raises(Exception, match="LLM Provider NOT provided"):
            litellm.completion_cost(completion_response=response)
    assert litellm_cost_kwargs("huggingface/together/prism-ml/Ternary-Bonsai-27B-gguf", catalog) is None


def test_completion_cost_reads_usage_dicts_and_defers_to_litellm(litellm: Any, catalog: Catalog) -> None:
    """A usage dict is priced with our data; a model we cannot price gets LiteLLM's figure; else None."""
    usage = {"prompt_tokens": 1000, "completion_tokens": 10, "prompt_tokens_details": {"cached_tokens": 400}}
    assert completion_cost(
        {"usage": usage}, model="openrouter/anthropic/claude-opus-5", catalog=catalog
    ) == pytest.approx(600 * 5e-6 + 400 * 5e-7 + 10 * 25e-6)
    response = litellm.completion(model="openai/gpt-4o", messages=MESSAGES, mock_response="ok", api_key="sk-fake")
    assert completion_cost(response, catalog=catalog) == pytest.approx(
        litellm.completion_cost(completion_response=response)
    )
    assert completion_cost({"usage": usage}, model="nobody/knows-this", catalog=catalog) is None


def test_to_litellm_model_info_is_close_to_identity(catalog: Catalog) -> None:
    """Field names are LiteLLM's; unknown values are left out; endpoints speak the openai protocol."""
    record = catalog.get_model("huggingface/together/moonshotai/Kimi-K3")
    assert record is not None
    info = to_litellm_model_info(record)
    assert info["litellm_provider"] == "huggingface" and info["max_input_tokens"] == 1_000_000
    assert info["supported_modalities"] == ["text", "image"] and "max_output_tokens" not in info
    from massgen_discovery import ModelRecord

    endpoint = ModelRecord(model="vllm/x", provider="vllm", model_id="x", api_base="http://gpu:8000/v1")
    assert to_litellm_model_info(endpoint)["litellm_provider"] == "openai"


def test_router_deployments_for_every_live_hf_route(litellm: Any, catalog: Catalog) -> None:
    """A query becomes Router deployments with model_info and prices, cheapest first, and routes for real."""
    deployments = router_model_list(
        catalog, model_name="kimi", provider="huggingface", pinned=True, query="/moonshotai/Kimi-K3",
        tools=True, min_context=128_000, available=True, sort="price",
    )  # fmt: skip
    assert [d["litellm_params"]["model"] for d in deployments] == [
        "openai/moonshotai/Kimi-K3:fireworks-ai",
        "openai/moonshotai/Kimi-K3:together",
    ]  # same price: by name; the router's OpenAI-compatible API, which LiteLLM prices per deployment
    assert {d["litellm_params"]["api_base"] for d in deployments} == {
        "http://127.0.0.1:9/v1"
    }  # the configured router URL
    assert {d["litellm_params"]["api_key"] for d in deployments} == {"os.environ/HF_TOKEN"}  # never the key itself
    assert all(
        d["model_name"] == "kimi" and d["litellm_params"]["input_cost_per_token"] == pytest.approx(3e-6)
        for d in deployments
    )
    assert deployments[0]["model_info"]["max_input_tokens"] == 1048576
    for d in deployments:
        d["litellm_params"]["api_key"] = "hf_fake"
        d["litellm_params"]["mock_response"] = "routed"
    router = litellm.Router(model_list=deployments)
    response = router.completion(model="kimi", messages=MESSAGES)
    assert response.choices[0].message.content == "routed"
    usage = response.usage
    expected = (
        usage.prompt_tokens * 3e-6 + usage.completion_tokens * deployments[0]["litellm_params"]["output_cost_per_token"]
    )
    assert expected > 0
    assert response._hidden_params["response_cost"] == pytest.approx(expected)


def test_completion_kwargs_reach_every_kind_of_record(
    litellm: Any, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hosted, HF route and aggregate, Ollama and endpoint records all complete through litellm.completion."""
    from massgen_discovery import ModelRecord

    monkeypatch.setenv("OPENAI_API_KEY", "sk-users-openai-key")
    monkeypatch.setenv("MASSGEN_DISCOVERY_VLLM_API_KEY", "vllm-key")
    endpoint = StaticSource("vllm", [ModelRecord(model="vllm/qwen3-8b", provider="vllm", model_id="qwen3-8b", mode="chat",
                                                 api_base="http://127.0.0.1:8000/v1")])  # fmt: skip
    open_endpoint = StaticSource("lab", [ModelRecord(model="lab/m", provider="lab", model_id="m", mode="chat",
                                                     api_base="http://127.0.0.1:8001/v1")])  # fmt: skip
    cat = Catalog(sources=["litellm", endpoint, open_endpoint])
    assert completion_kwargs("gpt-4o", catalog=cat) == {"model": "openai/gpt-4o"}
    assert completion_kwargs("vllm/qwen3-8b", catalog=cat) == {
        "model": "openai/qwen3-8b", "api_base": "http://127.0.0.1:8000/v1", "api_key": "vllm-key"}  # fmt: skip
    # an endpoint without a key never gets the user's OpenAI key
    assert completion_kwargs("lab/m", catalog=cat) == {
        "model": "openai/m",
        "api_base": "http://127.0.0.1:8001/v1",
        "api_key": "EMPTY",
    }
    # unknown: LiteLLM's own routing, never a None to crash `**` on
    assert completion_kwargs("no-such-model", catalog=cat) == {"model": "no-such-model"}
    ollama = completion_kwargs("ollama/qwen3:8b", catalog=catalog)
    assert ollama == {"model": "ollama_chat/qwen3:8b", "api_base": "http://localhost:11434"}
    assert completion_kwargs("huggingface/together/moonshotai/Kimi-K3", catalog=catalog) == {
        "model": "huggingface/together/moonshotai/Kimi-K3"}  # fmt: skip
    assert completion_kwargs("huggingface/moonshotai/Kimi-K3", catalog=catalog) == {
        "model": "huggingface/moonshotai/Kimi-K3"
    }
    for model, cat_ in (("gpt-4o", cat), ("vllm/qwen3-8b", cat), ("lab/m", cat), ("ollama/qwen3:8b", catalog),
                        ("huggingface/together/moonshotai/Kimi-K3", catalog), ("huggingface/moonshotai/Kimi-K3", catalog)):  # fmt: skip
        kwargs = completion_kwargs(model, catalog=cat_)
        assert kwargs is not None
        response = litellm.completion(**kwargs, messages=MESSAGES, mock_response=f"reached {model}")
        assert response.choices[0].message.content == f"reached {model}"


def test_router_prices_an_endpoint_model_at_the_records_rates(litellm: Any, httpserver: Any) -> None:
    """A plain OpenAI-compatible server (real loopback HTTP): the Router's response_cost is tokens x the record's prices."""
    from massgen_discovery import ModelRecord

    httpserver.expect_request("/v1/chat/completions", method="POST").respond_with_json(
        {"id": "c1", "object": "chat.completion", "created": 1, "model": "m",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "served"}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}}
    )  # fmt: skip
    base = httpserver.url_for("/v1")
    record = ModelRecord(model="lab/m", provider="lab", model_id="m", mode="chat", api_base=base,
                         input_cost_per_token=2e-7, output_cost_per_token=6e-7)  # fmt: skip
    cat = Catalog(sources=[StaticSource("lab", [record])])
    deployments = router_model_list(cat, model_name="m", provider="lab")
    assert deployments[0]["litellm_params"]["api_key"] == "EMPTY"
    response = litellm.Router(model_list=deployments).completion(model="m", messages=MESSAGES)
    assert response.choices[0].message.content == "served"
    assert response._hidden_params["response_cost"] == pytest.approx(120 * 2e-7 + 30 * 6e-7)
    (request, _response) = httpserver.log[0]
    assert request.headers["Authorization"] == "Bearer EMPTY"  # never the user's OPENAI_API_KEY


def test_register_with_litellm_is_quiet(litellm: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Registering hundreds of models prints no per-model LiteLLM warning (1.110 warns once per model)."""
    import logging

    with caplog.at_level(logging.WARNING):
        assert register_with_litellm(Catalog(offline=True)) > 0
    assert not [r for r in caplog.records if "register_model" in r.getMessage()]
