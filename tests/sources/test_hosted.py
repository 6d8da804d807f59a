"""The hosted providers' key-gated listings, on their real captured (or documented) payloads."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from massgen_discovery import Catalog, SourceAuthError
from massgen_discovery.sources import create_source
from massgen_discovery.sources._listing import mode_from_id
from massgen_discovery.sources.anthropic import AnthropicSource
from massgen_discovery.sources.gemini import GeminiSource
from massgen_discovery.sources.hosted import FireworksSource, GroqSource, MoonshotSource, NebiusSource, OpenAISource
from massgen_discovery.sources.mistral import MistralSource
from massgen_discovery.sources.together import TogetherSource
from massgen_discovery.sources.xai import XAISource

from ..support import load_fixture

NOW = datetime(2026, 11, 21, tzinfo=timezone.utc)


def by_model(source: Any, payload: Any) -> dict[str, Any]:
    return {r.model: r for r in source.to_records(payload, NOW)}


def test_groq_context_window_and_non_chat_modes() -> None:
    """Groq: context_window and max_completion_tokens; whisper, TTS and guard models are not chat."""
    records = by_model(GroqSource(credential="k"), load_fixture("groq/openai_v1_models.json"))
    assert len(records) == 20
    llama = records["groq/llama-3.3-70b-versatile"]
    assert llama.max_input_tokens == 131072 and llama.max_output_tokens == 32768 and llama.mode == "chat"
    assert llama.provenance["mode"] == "heuristic:model-id" and llama.provenance["max_input_tokens"] == "groq"
    assert records["groq/whisper-large-v3"].mode == "audio_transcription"
    assert records["groq/meta-llama/llama-prompt-guard-2-22m"].mode == "moderation"
    assert {r.mode for r in records.values() if "tts" in r.model or "orpheus" in r.model} == {"audio_speech"}
    chat = {m for m, r in records.items() if r.mode == "chat"}
    assert not any(word in m for m in chat for word in ("whisper", "guard", "tts", "orpheus"))


def test_openai_ids_only_get_modes_from_their_ids() -> None:
    """OpenAI lists ids only: embeddings, whisper, tts, dall-e, moderation get their modes from the id."""
    records = by_model(OpenAISource(credential="k"), load_fixture("openai/v1_models.json"))
    modes = {r.model_id: r.mode for r in records.values()}
    for model_id, mode in modes.items():
        assert mode == mode_from_id(model_id)
    assert modes.get("gpt-4-0613") == "chat"
    assert all(r.max_input_tokens is None for r in records.values())  # the listing says nothing: LiteLLM fills it


def test_moonshot_fireworks_and_nebius_fields() -> None:
    """Moonshot's supports_*, Fireworks' supports_tools/context_length, Nebius' verbose prices."""
    kimi = by_model(MoonshotSource(credential="k"), load_fixture("moonshot/v1_models.docs-example.json"))[
        "moonshot/kimi-k3"
    ]
    assert kimi.supports_vision is True and kimi.supports_reasoning is True
    assert kimi.input_modalities == ["text", "image", "video"]
    fw = by_model(FireworksSource(credential="k"), [load_fixture("fireworks/inference_v1_models.entry.json")])
    (record,) = fw.values()
    assert record.model == "fireworks_ai/accounts/fireworks/models/kimi-k2-instruct-0905"
    assert record.mode == "chat" and record.supports_function_calling is True and record.supports_vision is False
    assert record.max_input_tokens == 262144
    nebius = by_model(
        NebiusSource(credential="k"),
        {"data": [{"id": "meta-llama/Llama-3.3-70B-Instruct", "pricing": {"prompt": "0.00000013", "completion": 0.4}}]},
    )["nebius/meta-llama/Llama-3.3-70B-Instruct"]
    assert nebius.input_cost_per_token == pytest.approx(1.3e-7)
    assert nebius.output_cost_per_token == pytest.approx(4e-7)


def test_together_bare_list_with_type_and_per_million_prices() -> None:
    """Together answers a bare array; type gives the mode and prices are per 1M tokens."""
    (r,) = by_model(TogetherSource(credential="k"), load_fixture("together/v1_models.docs-example.json")).values()
    assert r.model == "together_ai/Austism/chronos-hermes-13b"
    assert r.mode == "chat" and r.max_input_tokens == 2048
    assert r.input_cost_per_token == pytest.approx(3e-7) and r.cache_read_input_token_cost == pytest.approx(2e-7)
    typed = by_model(
        TogetherSource(credential="k"), [{"id": "BAAI/bge-large", "type": "embedding", "pricing": {"input": 0}}]
    )
    (embedding,) = typed.values()
    assert embedding.mode == "embedding" and embedding.input_cost_per_token is None


def test_mistral_capabilities_aliases_and_deprecation() -> None:
    """Mistral: capabilities give flags and mode; aliases are records of their own; deprecation is kept."""
    data = load_fixture("mistral/v1_models.json")
    records = by_model(MistralSource(credential="k"), data)
    medium = records["mistral/mistral-medium-latest"]
    assert (
        medium.max_input_tokens == 131072
        and medium.supports_function_calling is True
        and medium.supports_vision is True
    )
    assert records["mistral/mistral-medium"].max_input_tokens == 131072
    assert records["mistral/mistral-medium-2508"].available is True
    for entry in data["data"]:
        if entry.get("deprecation"):
            assert records[f"mistral/{entry['id']}"].deprecation_date == entry["deprecation"][:10]


def test_anthropic_pages_and_capabilities() -> None:
    """Anthropic: x-api-key auth, every page followed via after_id, nested capabilities read."""
    full = load_fixture("anthropic/v1_models.json")
    first = {
        "data": full["data"][:4],
        "has_more": True,
        "first_id": full["data"][0]["id"],
        "last_id": full["data"][3]["id"],
    }
    second = {"data": full["data"][4:], "has_more": False, "last_id": full["data"][-1]["id"]}
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=second if request.url.params.get("after_id") else first)

    catalog = Catalog(sources=[AnthropicSource(credential="sk-ant-SECRET")], transport=httpx.MockTransport(handler))
    (report,) = catalog.refresh()
    dated = [e["id"] for e in full["data"] if re.search(r"-\d{8}$", e["id"])]
    assert dated and report.count == len(full["data"]) + len(dated)  # each dated id also under its undated name
    assert [r.url.params.get("after_id") for r in seen] == [None, full["data"][3]["id"]]
    for model_id in dated:
        with_date = catalog.get_model(f"anthropic/{model_id}")
        undated = catalog.get_model(f"anthropic/{re.sub(r'-[0-9]{8}$', '', model_id)}")
        assert with_date is not None and undated is not None
        assert undated.max_input_tokens == with_date.max_input_tokens and undated.available is True
    assert seen[0].headers["x-api-key"] == "sk-ant-SECRET" and "authorization" not in seen[0].headers
    assert seen[0].headers["anthropic-version"] == "2023-06-01"
    fable = catalog.get_model("anthropic/claude-fable-5")
    assert fable is not None
    assert fable.max_input_tokens == 1_000_000 and fable.max_output_tokens == 128_000
    assert fable.supports_vision is True and fable.supports_pdf_input is True and fable.supports_reasoning is True


def test_gemini_page_token_and_generation_methods() -> None:
    """Gemini: x-goog-api-key header (not in the URL), nextPageToken followed, methods give the mode."""
    pages = {
        None: {
            "models": [
                {"name": "models/gemini-2.5-pro", "inputTokenLimit": 1048576, "outputTokenLimit": 65536, "supportedGenerationMethods": ["generateContent", "countTokens"]},
            ],
            "nextPageToken": "p2",
        },
        "p2": {"models": [{"name": "models/gemini-embedding-001", "inputTokenLimit": 2048, "supportedGenerationMethods": ["embedContent"]}]},
    }  # fmt: skip
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=pages[request.url.params.get("pageToken")])

    catalog = Catalog(sources=[GeminiSource(credential="AIza-SECRET")], transport=httpx.MockTransport(handler))
    catalog.refresh()
    assert len(seen) == 2 and all("SECRET" not in str(r.url) for r in seen)
    assert seen[0].headers["x-goog-api-key"] == "AIza-SECRET"
    pro = catalog.get_model("gemini/gemini-2.5-pro")
    assert pro is not None and pro.mode == "chat" and pro.max_input_tokens == 1048576 and pro.max_output_tokens == 65536
    embed = catalog.get_model("gemini/gemini-embedding-001")
    assert embed is not None and embed.mode == "embedding"


def test_xai_prices_in_cents_per_100m_and_aliases() -> None:
    """xAI: 30000 cents per 100M tokens is $3 per 1M; aliases are records too."""
    records = by_model(XAISource(credential="k"), load_fixture("xai/v1_language-models.docs-example.json"))
    grok = records["xai/grok-3"]
    assert grok.input_cost_per_token == pytest.approx(3e-6) and grok.output_cost_per_token == pytest.approx(15e-6)
    assert grok.cache_read_input_token_cost == pytest.approx(7.5e-7)
    assert records["xai/grok-3-latest"].input_cost_per_token == pytest.approx(3e-6)
    assert records["xai/grok-3-mini"].output_cost_per_token == pytest.approx(5e-7)


# -- key gating, availability, errors -------------------------------------------------------------


def test_without_a_key_the_provider_is_bundled_only(capsys: pytest.CaptureFixture[str]) -> None:
    """No GROQ_API_KEY: no groq request at all, and providers says how to get a live listing."""
    assert not create_source("groq").enabled  # type: ignore[attr-defined]
    from massgen_discovery.cli import run

    assert run(["providers", "--json", "--offline"]) == 0
    rows = {r["provider"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["groq"]["listing"] == "bundled only (set GROQ_API_KEY for live listing)"
    assert rows["openai"]["listing"] == "bundled only (set OPENAI_API_KEY for live listing)"
    assert rows["openrouter"]["listing"] == "live public"
    assert run(["refresh", "groq"]) == 2
    assert (
        capsys.readouterr().err.strip() == "massgen-discovery: no live listing without a key: groq needs GROQ_API_KEY"
    )


def test_live_listing_decides_availability_for_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a key: listed models are available, bundled ones it omits are not, unknown new ones are kept."""
    monkeypatch.setenv("GROQ_API_KEY", "gsk-SECRET")
    data = load_fixture("groq/openai_v1_models.json")
    data["data"].append({"id": "brand-new-model-2027", "object": "model", "active": True, "context_window": 65536})
    catalog = Catalog(
        sources=["litellm", "groq"], transport=httpx.MockTransport(lambda r: httpx.Response(200, json=data))
    )
    catalog.refresh()
    ids = {e["id"] for e in data["data"]}
    both = [r for r in catalog.list_models("groq") if r.model_id in ids and "litellm" in r.sources]
    assert both, "the captured listing and LiteLLM's map share groq models"
    assert all(r.available is True and set(r.sources) - {"genai-prices"} == {"groq", "litellm"} for r in both)
    new = catalog.get_model("groq/brand-new-model-2027")
    assert (
        new is not None and new.available is True and new.input_cost_per_token is None and new.max_input_tokens == 65536
    )
    unlisted = [r for r in catalog.list_models("groq") if r.model_id not in ids]
    assert unlisted, "LiteLLM knows groq models the captured listing omits"
    assert all(r.available is False and r.provenance["available"] == "groq" for r in unlisted)
    assert catalog.find_models(provider="groq", available=True, mode="chat")


def test_401_names_the_variable_and_hides_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused key: the error names MISTRAL_API_KEY and never shows the key."""
    monkeypatch.setenv("MISTRAL_API_KEY", "mistral-SECRET-key")
    body = load_fixture("mistral/v1_models.401.json")
    catalog = Catalog(sources=["mistral"], transport=httpx.MockTransport(lambda r: httpx.Response(401, json=body)))
    with pytest.raises(SourceAuthError, match=re.escape("check MISTRAL_API_KEY")) as info:
        catalog.refresh(raise_on_error=True)
    assert "SECRET" not in str(info.value)
    (status,) = catalog.status()
    assert status.error is not None and "check MISTRAL_API_KEY" in status.error and "SECRET" not in status.error


def test_base_url_override_per_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """MASSGEN_DISCOVERY_<NAME>_BASE_URL moves any source."""
    monkeypatch.setenv("MASSGEN_DISCOVERY_TOGETHER_AI_BASE_URL", "https://together.example/v1/")
    monkeypatch.setenv("TOGETHER_API_KEY", "t")
    assert create_source("together_ai").base_url == "https://together.example/v1"
    assert create_source("together_ai").credential == "t"
