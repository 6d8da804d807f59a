from __future__ import annotations

import asyncio
import math

import httpx
import pytest

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery.massgen_adapter import (
    BACKEND_PROVIDERS,
    ModelPricing,
    UsageTokens,
    calculate_cost,
    calculate_cost_with_usage_object,
    get_context_window,
    get_model_metadata_for_provider,
    get_model_metadata_for_provider_sync,
    get_model_pricing,
    get_models_for_provider,
    get_models_for_provider_sync,
    model_pricing_dict,
    patch_massgen,
    resolve_provider,
    unpatch_massgen,
    usage_tokens,
    wizard_choices,
)
from massgen_discovery.testing import FailingSource, StaticSource

from ..support import load_fixture


@pytest.fixture
def catalog(monkeypatch: pytest.MonkeyPatch) -> Catalog:
    monkeypatch.setenv("GROQ_API_KEY", "gsk-test")
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=load_fixture("groq/openai_v1_models.json")))
    cat = Catalog(sources=["litellm", "groq"], transport=transport)
    cat.refresh()
    return cat


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("claude", "anthropic"), ("grok", "xai"), ("together", "together_ai"), ("qwen", "dashscope"),
        ("Together AI", "together_ai"), ("Cerebras AI", "cerebras"), ("Nebius AI Studio", "nebius"),
        ("Kimi", "moonshot"), ("Qwen", "dashscope"), ("OpenRouter", "openrouter"), ("azure_openai", "azure"),
        ("lmstudio", "lm_studio"), ("vllm", "hosted_vllm"), ("nvidia_nim", "nvidia_nim"), ("zai", "zai"),
        ("chatcompletion", None), ("groq", "groq"), ("GROQ", "groq"), ("", None),
    ],
)  # fmt: skip
def test_backend_and_display_names_resolve(name: str, expected: str | None) -> None:
    """Every MassGen backend type and display name maps to a LiteLLM provider id."""
    assert resolve_provider(name) == expected


def test_every_massgen_backend_is_mapped() -> None:
    """The backend table covers MassGen's backend types."""
    for backend in ("openai", "claude", "gemini", "grok", "groq", "together", "fireworks", "cerebras", "nebius", "moonshot",
                    "qwen", "openrouter", "nvidia_nim", "zai", "lmstudio", "vllm", "sglang", "azure_openai", "chatcompletion"):  # fmt: skip
        assert backend in BACKEND_PROVIDERS


def test_models_for_provider_are_available_chat_ids(catalog: Catalog) -> None:
    """Chat models only (no whisper, tts, guard), ids without the provider prefix, available ones."""
    ids = asyncio.run(get_models_for_provider("groq", catalog=catalog))
    assert ids and not any(i.startswith("groq/groq/") for i in ids)
    assert not any(word in i for i in ids for word in ("whisper", "guard", "tts", "orpheus"))
    listed = {e["id"] for e in load_fixture("groq/openai_v1_models.json")["data"]}
    assert set(ids) <= listed
    assert get_models_for_provider_sync("groq", catalog=catalog) == ids
    assert get_models_for_provider_sync("Groq", use_cache=False, catalog=catalog) == ids


async def test_sync_variant_works_inside_a_running_loop(catalog: Catalog) -> None:
    """get_models_for_provider_sync can be called from async code without 'loop already running'."""
    assert get_models_for_provider_sync("groq", catalog=catalog)


def test_failures_give_empty_lists() -> None:
    """A failing source or an unknown provider gives [] and never raises."""
    cat = Catalog(sources=[FailingSource("mylab")])
    assert get_models_for_provider_sync("mylab", catalog=cat) == []
    assert get_models_for_provider_sync("chatcompletion", catalog=cat) == []
    assert get_model_metadata_for_provider_sync("nope", catalog=cat) == []
    assert asyncio.run(get_model_metadata_for_provider("nope", catalog=cat)) == []
    assert wizard_choices("nope", catalog=cat) == []


def test_metadata_pricing_and_context(catalog: Catalog) -> None:
    """MassGen's metadata keys plus the catalog's; ModelPricing per 1K; None when unknown, never 128k."""
    meta = {m["id"]: m for m in get_model_metadata_for_provider_sync("groq", catalog=catalog)}
    assert meta == {
        m["id"]: m for m in asyncio.run(get_model_metadata_for_provider("groq", use_cache=True, catalog=catalog))
    }
    some = meta["openai/gpt-oss-120b"]
    assert {"id", "name", "supported_reasoning_efforts", "default_reasoning_effort"} <= set(some)
    assert {"model", "context_length", "max_output_tokens", "input_price_per_1m", "output_price_per_1m", "supports_tools",
            "supports_vision", "supports_structured_output", "supports_reasoning", "available", "source"} <= set(some)  # fmt: skip
    assert some["source"] == "groq" and some["model"] == "groq/openai/gpt-oss-120b"
    record = catalog.get_model("groq/openai/gpt-oss-120b")
    assert record is not None and record.max_input_tokens
    pricing = get_model_pricing("groq", "openai/gpt-oss-120b", catalog=catalog)
    assert isinstance(pricing, ModelPricing)
    assert pricing.context_window == record.max_input_tokens and pricing.max_output_tokens == record.max_output_tokens
    assert record.input_cost_per_token is not None and record.output_cost_per_token is not None
    assert pricing.input_cost_per_1k == pytest.approx(record.input_cost_per_token * 1000)
    assert pricing.output_cost_per_1k == pytest.approx(record.output_cost_per_token * 1000)
    assert pricing.source == record.provenance["input_cost_per_token"]
    old = model_pricing_dict("groq", "openai/gpt-oss-120b", catalog=catalog)
    assert old is not None and old["input_per_1k"] == pytest.approx(pricing.input_cost_per_1k)
    assert get_context_window("groq", "openai/gpt-oss-120b", catalog=catalog) == record.max_input_tokens
    assert get_model_pricing("groq", "no-such-model", catalog=catalog) is None
    assert get_context_window("groq", "no-such-model", catalog=catalog) is None


def test_unknown_price_is_nan_never_zero() -> None:
    """A known model without a price: ModelPricing and costs say NaN (MassGen's budget guard reads it as unknown)."""
    record = ModelRecord(model="mylab/m", provider="mylab", model_id="m", mode="chat", max_input_tokens=32768)
    cat = Catalog(sources=[StaticSource("mylab", [record])])
    pricing = get_model_pricing("mylab", "m", catalog=cat)
    assert pricing is not None and pricing.context_window == 32768
    assert math.isnan(pricing.input_cost_per_1k) and math.isnan(pricing.output_cost_per_1k)
    assert math.isnan(calculate_cost(1000, 100, "mylab", "m", catalog=cat))
    assert math.isnan(
        calculate_cost_with_usage_object("m", {"prompt_tokens": 10, "completion_tokens": 2}, "mylab", catalog=cat)
    )
    assert calculate_cost_with_usage_object("m", {}, "mylab", catalog=cat) == 0.0  # no usage costs nothing
    assert math.isnan(calculate_cost(10, 10, "mylab", "no-such-model", catalog=cat))


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        # OpenAI chat: cached inside prompt_tokens, reasoning inside completion_tokens
        ({"prompt_tokens": 1000, "completion_tokens": 500, "prompt_tokens_details": {"cached_tokens": 400},
          "completion_tokens_details": {"reasoning_tokens": 300}}, UsageTokens(input=600, cache_read=400, output=500, reasoning=300)),
        # OpenAI responses
        ({"input_tokens": 1000, "output_tokens": 50, "input_tokens_details": {"cached_tokens": 100},
          "output_tokens_details": {"reasoning_tokens": 20}}, UsageTokens(input=900, cache_read=100, output=50, reasoning=20)),
        # Anthropic: input_tokens leaves the cache out
        ({"input_tokens": 20, "output_tokens": 30, "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 200},
         UsageTokens(input=20, cache_read=1000, cache_write=200, output=30)),
        # Gemini: thoughts apart from candidates
        ({"prompt_token_count": 800, "candidates_token_count": 100, "thoughts_token_count": 50, "cached_content_token_count": 300},
         UsageTokens(input=500, cache_read=300, output=150, reasoning=50)),
        # MassGen/Codex top-level cached_input_tokens
        ({"prompt_tokens": 100, "completion_tokens": 10, "cached_input_tokens": 40}, UsageTokens(input=60, cache_read=40, output=10)),
        (None, UsageTokens()),
    ],
)  # fmt: skip
def test_usage_shapes_split_by_billing_rate(usage: object, expected: UsageTokens) -> None:
    """Every usage shape MassGen's backends hand over is split into input, cache read/write and output."""
    assert usage_tokens(usage) == expected


def test_usage_objects_with_attributes() -> None:
    """A usage object (attributes, nested details) reads like its dict."""
    from types import SimpleNamespace

    usage = SimpleNamespace(
        prompt_tokens=1000, completion_tokens=500, prompt_tokens_details=SimpleNamespace(cached_tokens=400)
    )
    assert usage_tokens(usage) == UsageTokens(input=600, cache_read=400, output=500)


def test_cached_and_reasoning_tokens_are_priced_at_their_rates() -> None:
    """Cache reads at the cache-read rate, writes at the write rate, reasoning at the output rate."""
    record = ModelRecord(model="mylab/r", provider="mylab", model_id="r", mode="chat", input_cost_per_token=2e-6,
                         output_cost_per_token=8e-6, cache_read_input_token_cost=5e-7, cache_creation_input_token_cost=2.5e-6)  # fmt: skip
    cat = Catalog(sources=[StaticSource("mylab", [record])])
    openai_usage = {"prompt_tokens": 1000, "completion_tokens": 500, "prompt_tokens_details": {"cached_tokens": 400},
                    "completion_tokens_details": {"reasoning_tokens": 300}}  # fmt: skip
    assert calculate_cost_with_usage_object("r", openai_usage, "mylab", catalog=cat) == pytest.approx(
        600 * 2e-6 + 400 * 5e-7 + 500 * 8e-6
    )
    anthropic_usage = {
        "input_tokens": 20,
        "output_tokens": 30,
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 200,
    }
    assert calculate_cost_with_usage_object("r", anthropic_usage, "mylab", catalog=cat) == pytest.approx(
        20 * 2e-6 + 1000 * 5e-7 + 200 * 2.5e-6 + 30 * 8e-6
    )
    assert calculate_cost(1000, 100, "mylab", "r", catalog=cat) == pytest.approx(1000 * 2e-6 + 100 * 8e-6)


def test_openai_listing_follows_massgen_semantics(monkeypatch: pytest.MonkeyPatch) -> None:
    """Responses models kept, completion/embedding/speech/image and ft: ids out, default first, newest first."""
    listing = load_fixture("openai/v1_models.json")
    listing["data"].append({"id": "ft:gpt-4o-mini-2024-07-18:acme::abc123", "object": "model", "created": 1799999999})
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=listing))
    cat = Catalog(sources=["litellm", "openai"], transport=transport)
    cat.refresh()
    ids = get_models_for_provider_sync("openai", catalog=cat)
    assert "o1-pro" in ids  # a responses-only model
    for gone in ("davinci-002", "gpt-3.5-turbo-instruct", "dall-e-3", "tts-1", "whisper-1", "text-embedding-3-small",
                 "omni-moderation-latest", "gpt-4o-mini-tts", "ft:gpt-4o-mini-2024-07-18:acme::abc123", "container"):  # fmt: skip
        assert gone not in ids, gone
    created = {e["id"]: e["created"] for e in listing["data"]}
    listed = [i for i in ids if i in created]
    assert listed == sorted(listed, key=lambda i: -created[i])  # newest first
    assert listed.index("o3") < listed.index("gpt-4o") < listed.index("gpt-3.5-turbo")
    davinci = cat.get_model("openai/davinci-002")
    assert davinci is not None and davinci.mode == "completion" and davinci.provenance["mode"] == "litellm"


def test_default_model_goes_first() -> None:
    """MassGen's default model for the backend heads the list."""
    records = [ModelRecord(model=f"groq/{m}", provider="groq", model_id=m, mode="chat")
               for m in ("a-model", "llama-3.3-70b-versatile", "z-model")]  # fmt: skip
    cat = Catalog(sources=[StaticSource("groq", records)])
    assert get_models_for_provider_sync("groq", catalog=cat)[0] == "llama-3.3-70b-versatile"


def test_openrouter_lists_tool_capable_models_only() -> None:
    """As MassGen does, OpenRouter's listing keeps the models that take tools."""
    records = [
        ModelRecord(
            model="openrouter/a/tools",
            provider="openrouter",
            model_id="a/tools",
            mode="chat",
            supports_function_calling=True,
        ),
        ModelRecord(
            model="openrouter/a/plain",
            provider="openrouter",
            model_id="a/plain",
            mode="chat",
            supports_function_calling=False,
        ),
        ModelRecord(model="openrouter/a/unknown", provider="openrouter", model_id="a/unknown", mode="chat"),
    ]
    cat = Catalog(sources=[StaticSource("openrouter", records)])
    assert get_models_for_provider_sync("OpenRouter", catalog=cat) == ["a/tools"]


def test_chatcompletion_with_a_base_url_lists_that_server(httpserver: object) -> None:
    """MassGen's chatcompletion backend with a base URL lists the server behind it (real loopback HTTP)."""
    from pytest_httpserver import HTTPServer

    assert isinstance(httpserver, HTTPServer)
    httpserver.expect_request("/v1/models").respond_with_json(
        {"object": "list", "data": [{"id": "qwen3-8b", "object": "model", "created": 1, "max_model_len": 32768}]}
    )
    base = httpserver.url_for("/v1")
    assert get_models_for_provider_sync("chatcompletion", base_url=base) == ["qwen3-8b"]
    meta = get_model_metadata_for_provider_sync("ChatCompletion", base_url=base)
    assert meta[0]["id"] == "qwen3-8b" and meta[0]["context_length"] == 32768
    assert meta[0]["model"] == "chatcompletion/qwen3-8b"
    assert get_models_for_provider_sync("chatcompletion") == []  # no server to ask


def test_patch_without_massgen_is_a_no_op() -> None:
    """Without MassGen installed, patching and unpatching do nothing and say so."""
    import importlib.util

    if importlib.util.find_spec("massgen") is not None:
        pytest.fail(
            "this test runs where MassGen is not installed; MassGen itself is tested in tests/adapters/massgen/"
        )
    assert patch_massgen() == []
    assert unpatch_massgen() == []


def test_wizard_lines() -> None:
    """One short line per model: context, prices per 1M, capabilities."""
    record = ModelRecord(model="mylab/m", provider="mylab", model_id="m", mode="chat", max_input_tokens=128000,
                         input_cost_per_token=5e-7, output_cost_per_token=1.5e-6, supports_function_calling=True,
                         supports_vision=True)  # fmt: skip
    free = ModelRecord(
        model="mylab/f",
        provider="mylab",
        model_id="f",
        mode="chat",
        input_cost_per_token=0.0,
        output_cost_per_token=0.0,
    )
    cat = Catalog(sources=[StaticSource("mylab", [record, free])])
    assert wizard_choices("mylab", catalog=cat) == [
        ("f", "free"),
        ("m", "128k ctx · $0.50/$1.50 per 1M · tools, vision"),
    ]
