from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from massgen_discovery import Catalog
from massgen_discovery.sources.openrouter import OpenRouterSource

from ..support import load_fixture

NOW = datetime(2026, 11, 21, tzinfo=timezone.utc)


def records() -> dict[str, Any]:
    return {
        r.model: r
        for r in OpenRouterSource().to_records(load_fixture("openrouter/api_v1_models.genai-prices.json"), NOW)
    }


def test_limits_prices_modalities_and_flags() -> None:
    """context_length, top_provider.max_completion_tokens, string prices per token, supported_parameters."""
    r = records()["openrouter/anthropic/claude-opus-5"]
    assert (r.provider, r.model_id) == ("openrouter", "anthropic/claude-opus-5")
    assert r.max_input_tokens == 1_000_000 and r.max_output_tokens == 128_000
    assert r.input_cost_per_token == pytest.approx(5e-6) and r.output_cost_per_token == pytest.approx(25e-6)
    assert r.cache_read_input_token_cost == pytest.approx(5e-7)
    assert r.cache_creation_input_token_cost == pytest.approx(6.25e-6)
    assert r.input_modalities == ["text", "image", "pdf"] and r.supports_vision is True and r.supports_pdf_input is True
    assert r.supports_function_calling is True and r.supports_response_schema is True and r.supports_reasoning is True
    assert r.mode == "chat" and r.available is True


def test_variable_price_is_unknown_and_missing_limits_stay_unknown() -> None:
    """ "-1" prices (openrouter/auto) are unknown; a null top_provider limit is unknown, not zero."""
    auto = records()["openrouter/openrouter/auto-beta"]
    assert auto.input_cost_per_token is None and auto.output_cost_per_token is None
    assert auto.max_input_tokens == 2_000_000  # the model's own context_length; top_provider's is null
    assert auto.max_output_tokens is None
    assert records()["openrouter/perplexity/sonar-deep-research"].max_output_tokens is None
    assert records()["openrouter/perplexity/sonar-deep-research"].supports_function_calling is False


def test_free_variants_cost_zero() -> None:
    """A "0" price on OpenRouter is free (the :free variants), not unknown."""
    data = load_fixture("openrouter/api_v1_models.genai-prices.json")
    entry = dict(data["data"][0], id="some/model:free", pricing={"prompt": "0", "completion": "0"})
    (r,) = OpenRouterSource().to_records({"data": [entry]}, NOW)
    assert r.input_cost_per_token == 0.0 and r.output_cost_per_token == 0.0


def test_public_listing_needs_no_key_and_sends_one_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """The listing is fetched without a key; OPENROUTER_API_KEY goes out as Bearer when set."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=load_fixture("openrouter/api_v1_models.genai-prices.json"))

    monkeypatch.delenv("MASSGEN_DISCOVERY_OPENROUTER_BASE_URL")
    assert OpenRouterSource().enabled
    Catalog(sources=[OpenRouterSource()], transport=httpx.MockTransport(handler)).refresh()
    assert str(seen[0].url) == "https://openrouter.ai/api/v1/models" and "authorization" not in seen[0].headers
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-SECRET")
    Catalog(sources=[OpenRouterSource()], transport=httpx.MockTransport(handler)).refresh()
    assert seen[-1].headers["authorization"] == "Bearer sk-or-SECRET"


def test_merges_onto_litellm_openrouter_entries() -> None:
    """Live OpenRouter values win over LiteLLM's openrouter/* entries; the listing decides availability."""
    from massgen_discovery._domain.reconcile import mark_unlisted, reconcile
    from massgen_discovery.sources.litellm_map import to_records

    bundled = to_records(
        {
            "openrouter/anthropic/claude-opus-5": {
                "litellm_provider": "openrouter",
                "max_input_tokens": 200000,
                "supports_function_calling": True,
            },
            "openrouter/retired/model": {"litellm_provider": "openrouter", "max_input_tokens": 8192},
        }
    ).records
    live = OpenRouterSource().to_records(load_fixture("openrouter/api_v1_models.genai-prices.json"), NOW)
    merged = mark_unlisted(reconcile(bundled, live), "openrouter", "openrouter")
    opus = merged["openrouter/anthropic/claude-opus-5"]
    assert opus.max_input_tokens == 1_000_000 and any(c.other_value == 200000 for c in opus.conflicts)
    assert merged["openrouter/retired/model"].available is False
    assert merged["openrouter/retired/model"].provenance["available"] == "openrouter"
