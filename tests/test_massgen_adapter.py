from __future__ import annotations

import asyncio

import httpx
import pytest

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery.massgen_adapter import (
    BACKEND_PROVIDERS,
    get_context_window,
    get_model_metadata_for_provider,
    get_model_pricing,
    get_models_for_provider,
    get_models_for_provider_sync,
    resolve_provider,
    wizard_choices,
)
from massgen_discovery.testing import FailingSource, StaticSource

from .conftest import load_fixture


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
    assert get_model_metadata_for_provider("nope", catalog=cat) == []
    assert wizard_choices("nope", catalog=cat) == []


def test_metadata_pricing_and_context(catalog: Catalog) -> None:
    """Metadata dicts, pricing per 1K and per token, context windows; None when unknown, never 128k."""
    meta = {m["id"]: m for m in get_model_metadata_for_provider("groq", catalog=catalog)}
    some = next(iter(meta.values()))
    assert set(some) == {"id", "name", "context_length", "max_output_tokens", "input_price_per_1m", "output_price_per_1m",
                         "supports_tools", "supports_vision", "supports_structured_output", "supports_reasoning", "source"}  # fmt: skip
    assert some["source"] == "groq"
    record = catalog.get_model("groq/openai/gpt-oss-120b")
    assert record is not None
    pricing = get_model_pricing("groq", "openai/gpt-oss-120b", catalog=catalog)
    assert pricing is not None and pricing["context_window"] == record.max_input_tokens
    if record.input_cost_per_token is not None:
        assert pricing["input_per_1k"] == pytest.approx(record.input_cost_per_token * 1000)
    assert get_context_window("groq", "openai/gpt-oss-120b", catalog=catalog) == record.max_input_tokens
    assert get_model_pricing("groq", "no-such-model", catalog=catalog) is None
    assert get_context_window("groq", "no-such-model", catalog=catalog) is None


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
