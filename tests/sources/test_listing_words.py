"""Reading every listing's own words: OpenRouter-style prices anywhere, modes, parameter sizes, aliases."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery._domain import reconcile as rc
from massgen_discovery.sources._listing import _TYPE_MODES, generic_values, mode_from_id, parameter_size
from massgen_discovery.sources._pricing_block import pricing_values
from massgen_discovery.sources.endpoint import EndpointSource
from massgen_discovery.sources.gemini import GeminiSource
from massgen_discovery.sources.openrouter import OpenRouterSource

from ..support import load_fixture

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _endpoint_records(name: str, listing: Any) -> dict[str, ModelRecord]:
    source = EndpointSource(name, "http://127.0.0.1:8000/v1")
    payload = {"base_url": "http://127.0.0.1:8000/v1", "models": listing, "lmstudio": None, "model_info": None}
    return {r.model_id: r for r in source.to_records(payload, NOW)}


def test_any_openai_compatible_listing_reads_openrouter_style_pricing() -> None:
    """OpenRouter's real listing served by any OpenAI-compatible server: same prices, context and output limit."""
    listing = load_fixture("openrouter/api_v1_models.genai-prices.json")
    generic = _endpoint_records("hosted", listing)
    native = {r.model_id: r for r in OpenRouterSource().to_records(listing, NOW)}
    fields = ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
              "cache_creation_input_token_cost", "max_input_tokens", "max_output_tokens")  # fmt: skip
    for model_id, record in native.items():
        for field in fields:
            assert getattr(generic[model_id], field) == getattr(record, field), (model_id, field)
    opus = generic["anthropic/claude-opus-5"]
    assert opus.input_cost_per_token == pytest.approx(5e-6) and opus.cache_read_input_token_cost == pytest.approx(5e-7)
    assert opus.provenance["input_cost_per_token"] == "hosted"
    assert generic["openrouter/auto-beta"].input_cost_per_token is None  # "-1": variable, so unknown


def test_pricing_block_numbers_strings_and_free() -> None:
    """Decimal strings or numbers, per token; "0" is free as the shape documents; junk is unknown."""
    assert pricing_values({"prompt": "0.00000009", "completion": 4.7e-7}) == {
        "input_cost_per_token": pytest.approx(9e-8), "output_cost_per_token": pytest.approx(4.7e-7)}  # fmt: skip
    assert pricing_values({"prompt": "0", "completion": "0"}) == {
        "input_cost_per_token": 0.0,
        "output_cost_per_token": 0.0,
    }
    assert pricing_values({"prompt": "n/a", "completion": None}) == {}
    values, _ = generic_values({"id": "x", "pricing": {"prompt": "0.0000001"}, "max_completion_tokens": 4096,
                                "context_length": 32768})  # fmt: skip
    assert values["input_cost_per_token"] == pytest.approx(1e-7)
    assert values["max_output_tokens"] == 4096 and values["max_input_tokens"] == 32768


def test_llamacpp_meta_params_and_context() -> None:
    """llama.cpp's meta block: n_ctx_train is the context, n_ctx the runtime one, n_params the size."""
    records = _endpoint_records("llamacpp", load_fixture("llamacpp/v1_models.json"))
    (record,) = records.values()
    assert record.max_input_tokens == 262144 and record.runtime_context_tokens == 8192
    assert record.parameter_size == "27.3B"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("116829156672", "117B"), (116829156672, "117B"), ("8.2B", "8.2B"), ("8b", "8.0B"), ("494.03M", "494M"),
     (27320697856, "27.3B"), ("500M", "500M"), ("1.5T", "1.5T"), ("unknown", "unknown"), ("", None), (0, None),
     (True, None), (None, None)],
)  # fmt: skip
def test_parameter_sizes_in_ollamas_form(raw: Any, expected: str | None) -> None:
    """Raw counts and suffixed sizes read as Ollama writes them; unreadable text kept as sent."""
    assert parameter_size(raw) == expected


def test_ollama_cloud_raw_parameter_count_is_normalised() -> None:
    """ollama.com's /api/show sends the parameter count as a raw integer string."""
    from massgen_discovery.sources.ollama import to_records

    tags = {"models": [{"name": "gpt-oss:120b", "model": "gpt-oss:120b", "details": {}}]}
    show = {"gpt-oss:120b": {"details": {"parameter_size": "116829156672"}, "capabilities": ["completion", "tools"]}}
    payload = {"base_url": "https://ollama.com", "tags": tags, "show": show, "ps": None, "cloud": True}
    records = to_records(payload, NOW)
    (record,) = [r for r in records if r.model_id.startswith("gpt-oss")]
    assert record.parameter_size == "117B"


@pytest.mark.parametrize(
    ("model_id", "mode"),
    [("bge-m3", "embedding"), ("BAAI/bge-large-en-v1.5", "embedding"), ("intfloat/multilingual-e5-large", "embedding"),
     ("thenlper/gte-large", "embedding"), ("nomic-embed-text", "embedding"), ("mxbai-embed-large", "embedding"),
     ("jina-embeddings-v3", "embedding"), ("bge-reranker-v2-m3", "rerank"), ("gemini-2.5-flash-preview-tts", "audio_speech"),
     ("whisper-large-v3", "audio_transcription"), ("gpt-4o-transcribe", "audio_transcription"), ("imagen-4.0-generate-001", "image_generation"),
     ("veo-3.0-generate-001", "video_generation"), ("sora-2", "video_generation"), ("dall-e-3", "image_generation"),
     ("FLUX.1-schnell", "image_generation"), ("stable-diffusion-xl-base-1.0", "image_generation"),
     ("llama-guard-4-12b", "moderation"), ("omni-moderation-latest", "moderation"),
     ("Meta-Llama-3_3-70B-Instruct", "chat"), ("gpt-oss-120b", "chat"), ("Qwen3-32B", "chat"), ("deepseek-r1", "chat"),
     ("gemma-3-27b-it", "chat"), ("mistral-large-latest", "chat")],
)  # fmt: skip
def test_name_heuristic_knows_the_common_families(model_id: str, mode: str) -> None:
    """The name heuristic's vocabulary, when a listing says nothing."""
    assert mode_from_id(model_id) == mode


def test_an_endpoint_serving_an_embedding_model_lists_it_as_embedding() -> None:
    """bge-m3 on an OpenAI-compatible server that sends no type: embedding, marked as a guess."""
    listing = {"object": "list", "data": [{"id": "bge-m3", "object": "model"}, {"id": "Qwen3-32B", "object": "model"}]}
    records = _endpoint_records("ovh", listing)
    assert records["bge-m3"].mode == "embedding" and records["bge-m3"].provenance["mode"] == "heuristic:model-id"
    assert records["Qwen3-32B"].mode == "chat"


def test_gemini_tts_model_is_not_chat() -> None:
    """Gemini calls TTS models through generateContent too; the name tells them apart."""
    page = {"models": [
        {"name": "models/gemini-2.5-flash-preview-tts", "inputTokenLimit": 8192, "outputTokenLimit": 16384,
         "supportedGenerationMethods": ["countTokens", "generateContent"]},
        {"name": "models/gemini-2.5-pro", "inputTokenLimit": 1048576, "outputTokenLimit": 65536,
         "supportedGenerationMethods": ["generateContent", "countTokens"]},
        {"name": "models/gemini-embedding-001", "supportedGenerationMethods": ["embedContent"]},
    ]}  # fmt: skip
    records = {r.model_id: r for r in GeminiSource(credential="k").to_records(page, NOW)}
    assert records["gemini-2.5-flash-preview-tts"].mode == "audio_speech"
    assert records["gemini-2.5-pro"].mode == "chat" and records["gemini-embedding-001"].mode == "embedding"


def test_openrouter_canonical_slug_resolves_to_the_same_record() -> None:
    """OpenRouter's dated canonical_slug names the same model as its id."""
    listing = load_fixture("openrouter/api_v1_models.genai-prices.json")
    cat = Catalog(sources=[OpenRouterSource(base_url="http://127.0.0.1:9001/v1")],
                  transport=httpx.MockTransport(lambda r: httpx.Response(200, json=listing)))  # fmt: skip
    cat.refresh()
    by_id = cat.get_model("openrouter/anthropic/claude-opus-5")
    by_slug = cat.get_model("openrouter/anthropic/claude-opus-5-20260723")
    assert by_id is not None and by_slug == by_id


_STATED = sorted(_TYPE_MODES)
_NAMES = st.sampled_from(["bge-m3", "whisper-1", "gpt-4o", "tts-1", "llama-guard-3", "flux-dev", "veo-3", "x"])


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(_STATED), name=_NAMES, suffix=st.text("abc-123", max_size=6),
       prompt=st.decimals(min_value=0, max_value=1, places=9, allow_nan=False))  # fmt: skip
def test_no_heuristic_overrides_a_stated_mode_or_price(kind: str, name: str, suffix: str, prompt: Any) -> None:
    """Whatever the name suggests, a listing's stated type and stated price come through unchanged."""
    entry = {"id": f"{name}{suffix}", "type": kind, "pricing": {"prompt": str(prompt), "completion": str(prompt)}}
    values, guessed = generic_values(entry)
    assert values["mode"] == _TYPE_MODES[kind] and "mode" not in guessed
    expected = float(prompt)
    assert values["input_cost_per_token"] == pytest.approx(expected) and "input_cost_per_token" not in guessed


@settings(max_examples=100, deadline=None)
@given(stated=st.sampled_from(["chat", "completion", "embedding", "audio_speech", "rerank"]), name=_NAMES)
def test_reconcile_keeps_litellms_stated_mode_over_a_guess(stated: str, name: str) -> None:
    """A guessed mode from a live listing never replaces the mode LiteLLM's map states, by key or by bare id."""
    guessed_mode = mode_from_id(name)
    live = ModelRecord(model=f"openai/{name}", provider="openai", model_id=name, mode=guessed_mode, sources=["openai"],
                       provenance={"mode": "heuristic:model-id"})  # fmt: skip
    bundled = ModelRecord(model=f"openai/{name}", provider="openai", model_id=name, mode=stated, sources=["litellm"],
                          provenance={"mode": "litellm"})  # fmt: skip
    assert rc.reconcile([live], [bundled])[f"openai/{name}"].mode == stated
    alone = rc.reconcile([live])
    assert rc.adopt_stated_modes(alone, {name: stated})[f"openai/{name}"].mode == stated
