"""Prices that move with time, prompt size and place, and the providers' published rules.

Each rule is checked on a record built by hand, named after the provider's documented rule, so the
expected figure is the rule applied to stated rates; then through every surface that prices a call
(``cost``, ``price_call``, ``completion_cost``, the MassGen adapter).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery._domain.reconcile import merge_records
from massgen_discovery.cli import run
from massgen_discovery.pricing import CallTokens, UnknownPrice, call_tokens, price_call
from massgen_discovery.sources._pricing_block import pricing_values

M = 1e-6


def record(provider: str, model_id: str, source: str = "litellm", **values: Any) -> ModelRecord:
    prices = values.pop("prices", None)
    known = [k for k, v in values.items() if v is not None] + list(prices or ())
    return ModelRecord(
        model=f"{provider}/{model_id}",
        provider=provider,
        model_id=model_id,
        sources=[source],
        provenance=dict.fromkeys(known, source),
        prices=prices,
        **values,
    )


# -- the 1-hour cache writes of a real LiteLLM response ----------------------------------------------


def _anthropic_usage() -> Any:
    """What LiteLLM itself builds from Anthropic's usage block (2k in, 50k 1-hour writes, 500 out)."""
    from litellm.llms.anthropic.chat.transformation import AnthropicConfig

    raw = {
        "input_tokens": 2000,
        "output_tokens": 500,
        "cache_creation_input_tokens": 50000,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 50000},
    }
    return AnthropicConfig().calculate_usage(raw, None)


def test_one_hour_cache_writes_in_litellm_usage_are_billed_at_the_1h_rate() -> None:
    """LiteLLM keeps the 5m/1h split in prompt_tokens_details; Anthropic bills 1h writes at 2x input."""
    tokens = call_tokens(_anthropic_usage())
    assert (tokens.input, tokens.cache_write_1h, tokens.cache_write_5m, tokens.output) == (2000, 50000, 0, 500)


def test_every_surface_prices_the_1h_writes_alike() -> None:
    """completion_cost, the MassGen adapter and the CLI agree on Sonnet 4.5's 1-hour writes."""
    import litellm

    from massgen_discovery.litellm_bridge import completion_cost
    from massgen_discovery.massgen_adapter import calculate_cost_with_usage_object

    catalog = Catalog(offline=True)
    rec = next(  # Sonnet 4.5 where the map states its 1-hour rate, else an Anthropic model that does
        r
        for r in [catalog.get_model("claude-sonnet-4-5"), *catalog.list_models("anthropic")]
        if r is not None
        and r.input_cost_per_token
        and r.output_cost_per_token
        and (r.prices or {}).get("cache_creation_input_token_cost_above_1hr")
        and not any("_above_" in k and "tokens" in k for k in r.prices or {})
    )
    assert rec.input_cost_per_token and rec.output_cost_per_token
    one_hour = (rec.prices or {})["cache_creation_input_token_cost_above_1hr"]
    expected = 2000 * rec.input_cost_per_token + 50000 * one_hour + 500 * rec.output_cost_per_token
    usage = _anthropic_usage()
    response = litellm.ModelResponse(model=rec.model_id, usage=usage)
    assert completion_cost(response, model=rec.model, catalog=catalog) == pytest.approx(expected)
    assert calculate_cost_with_usage_object(rec.model_id, usage, "Claude", catalog=catalog) == pytest.approx(expected)


# -- context tiers: per kind, and where they start -------------------------------------------------------


def test_a_tier_stated_only_for_audio_leaves_long_text_at_its_rate() -> None:
    """Vertex's Gemini 2.5 Flash states a >128k rate for audio only: a 300k text prompt is text-priced."""
    rec = record(
        "vertex_ai",
        "gemini-2.5-flash",
        input_cost_per_token=0.3 * M,
        output_cost_per_token=2.5 * M,
        prices={"input_cost_per_audio_token": 1 * M, "input_cost_per_audio_token_above_128k_tokens": 2 * M},
    )
    bill = price_call(rec, CallTokens(input=300_000, output=1000))
    assert bill.total == pytest.approx(300_000 * 0.3 * M + 1000 * 2.5 * M)
    audio = price_call(rec, CallTokens(input=100_000, audio_input=100_000))
    assert audio.part("audio_input").rate_name == "input_cost_per_audio_token_above_128k_tokens"  # type: ignore[union-attr]


def test_xai_long_context_starts_at_the_threshold_itself() -> None:
    """xAI: a prompt of exactly 200k tokens is billed at the higher rate (">= 200k", docs.x.ai)."""
    tiers = {"input_cost_per_token_above_200k_tokens": 4 * M, "output_cost_per_token_above_200k_tokens": 30 * M}
    xai = record("xai", "grok-4", input_cost_per_token=2 * M, output_cost_per_token=15 * M, prices=tiers)
    other = record("lab", "m", input_cost_per_token=2 * M, output_cost_per_token=15 * M, prices=tiers)
    at_threshold = CallTokens(input=200_000, output=100)
    assert price_call(xai, at_threshold).total == pytest.approx(200_000 * 4 * M + 100 * 30 * M)
    assert price_call(other, at_threshold).total == pytest.approx(200_000 * 2 * M + 100 * 15 * M)


# -- service tiers the providers publish a rule for ------------------------------------------------------


def test_anthropic_batch_stacks_with_one_hour_cache_writes() -> None:
    """Anthropic: "all usage is charged at 50% of the standard API prices", prompt caching included."""
    rec = record(
        "anthropic",
        "claude-sonnet-4-5",
        input_cost_per_token=3 * M,
        output_cost_per_token=15 * M,
        prices={
            "cache_creation_input_token_cost_above_1hr": 6 * M,
            "input_cost_per_token_batches": 1.5 * M,
            "output_cost_per_token_batches": 7.5 * M,
        },
    )
    bill = price_call(rec, CallTokens(input=1000, cache_write_1h=10_000, output=100), service_tier="batch")
    assert bill.total == pytest.approx(1000 * 1.5 * M + 10_000 * 3 * M + 100 * 7.5 * M)
    assert any("Batch API: 50%" in n for n in bill.notes)


def test_gemini_batch_applies_to_the_long_context_tier() -> None:
    """Gemini's Batch API is 50% of the interactive price at every context length (>200k included)."""
    rec = record(
        "gemini",
        "gemini-2.5-pro",
        input_cost_per_token=1.25 * M,
        output_cost_per_token=10 * M,
        prices={"input_cost_per_token_above_200k_tokens": 2.5 * M, "output_cost_per_token_above_200k_tokens": 15 * M},
    )
    bill = price_call(rec, CallTokens(input=300_000, output=1000), service_tier="batch")
    assert bill.total == pytest.approx(0.5 * (300_000 * 2.5 * M + 1000 * 15 * M))


def test_openai_batch_bills_cached_input_at_the_standard_cached_rate() -> None:
    """OpenAI's Batch API: the batch discount does not stack on the cached-input discount."""
    rec = record(
        "openai",
        "gpt-5",
        input_cost_per_token=1.25 * M,
        output_cost_per_token=10 * M,
        cache_read_input_token_cost=0.125 * M,
        prices={"input_cost_per_token_batches": 0.625 * M, "output_cost_per_token_batches": 5 * M},
    )
    bill = price_call(rec, CallTokens(input=1000, cached=10_000, output=100), service_tier="batch")
    assert bill.part("cached").rate == pytest.approx(0.125 * M)  # type: ignore[union-attr]


def test_gemini_pro_bills_audio_at_its_input_rate_and_flash_does_not() -> None:
    """Gemini Pro's one input price covers text, image, video and audio; Flash prices audio apart."""
    pro = record("gemini", "gemini-2.5-pro", input_cost_per_token=1.25 * M, output_cost_per_token=10 * M)
    assert price_call(pro, CallTokens(audio_input=1000)).total == pytest.approx(1000 * 1.25 * M)
    flash = record("gemini", "gemini-2.5-flash", input_cost_per_token=0.3 * M, output_cost_per_token=2.5 * M)
    with pytest.raises(UnknownPrice, match="input_cost_per_audio_token"):
        price_call(flash, CallTokens(audio_input=1000))


def test_ultrafast_tier_12h_cache_writes_and_a_regional_uplift() -> None:
    """LiteLLM 1.110's ultrafast tier and 12-hour writes price by their own names; an uplift multiplies every part."""
    rec = record(
        "openai",
        "gpt-5.4",
        input_cost_per_token=2.5 * M,
        output_cost_per_token=15 * M,
        prices={
            "input_cost_per_token_ultrafast": 5 * M,
            "output_cost_per_token_ultrafast": 30 * M,
            "cache_creation_input_token_cost_above_12hr": 5 * M,
        },
    )
    fast = price_call(rec, CallTokens(input=1000, output=100), service_tier="ultrafast")
    assert fast.total == pytest.approx(1000 * 5 * M + 100 * 30 * M)
    kept = price_call(rec, CallTokens(input=1000, cache_write_5m=2000), cache_ttl="12h")
    assert kept.part("cache_write_12h").cost == pytest.approx(2000 * 5 * M)  # type: ignore[union-attr]
    eu = price_call(rec, CallTokens(input=1000), uplift=1.1)
    assert eu.total == pytest.approx(1000 * 2.5 * M * 1.1) and eu.uplift == 1.1


# -- OpenRouter's pricing.overrides --------------------------------------------------------------------


def test_openrouter_prompt_size_overrides_price_the_whole_call() -> None:
    """``min_prompt_tokens``: over it (strictly) every part is at the override; left-out rates inherit."""
    block = {
        "prompt": "0.000002",
        "completion": "0.000012",
        "input_cache_read": "0.0000002",
        "overrides": [{"min_prompt_tokens": 200000, "prompt": "0.000004", "completion": "0.000018"}],
    }
    values = pricing_values(block)
    rec = record("openrouter", "google/gemini-x", source="openrouter", **values)
    long_call = price_call(rec, CallTokens(input=250_000, cached=10_000, output=1000))
    assert long_call.total == pytest.approx(250_000 * 4 * M + 10_000 * 0.2 * M + 1000 * 18 * M)
    assert price_call(rec, CallTokens(input=200_000)).total == pytest.approx(200_000 * 2 * M)  # not over it


def test_openrouter_time_of_day_overrides_apply_at_the_calls_time() -> None:
    """``utc_start``/``utc_end`` (HHMM, UTC, wrapping midnight): the band's rates between those times."""
    block = {
        "prompt": "0.00000022",
        "completion": "0.00000066",
        "overrides": [
            {"utc_start": 1000, "utc_end": 100, "prompt": "0.00000022", "completion": "0.00000066"},
            {"utc_start": 100, "utc_end": 400, "prompt": "0.00000044", "completion": "0.00000132"},
        ],
    }
    rec = record("openrouter", "deepseek/x", source="openrouter", **pricing_values(block))
    calls = CallTokens(input=1_000_000)
    at = lambda hh, mm: datetime(2026, 11, 15, hh, mm, tzinfo=timezone.utc)  # noqa: E731
    assert price_call(rec, calls, at=at(3, 0)).total == pytest.approx(0.44)
    assert price_call(rec, calls, at=at(0, 30)).total == pytest.approx(0.22)  # the wrapping band
    assert price_call(rec, calls, at=at(5, 0)).total == pytest.approx(0.22)  # no band: the base rate


def test_a_dated_price_applies_before_its_change() -> None:
    """A price change on 2026-12-01 (Gemini 4 Argon $2/$10 -> $4/$20): a call before it pays the old rates."""
    rec = record(
        "gemini",
        "gemini-4-argon",
        input_cost_per_token=4 * M,
        output_cost_per_token=20 * M,
        prices={"input_cost_per_token_before_2026-12-01": 2 * M, "output_cost_per_token_before_2026-12-01": 10 * M},
    )
    calls = CallTokens(input=1000, output=1000)
    assert price_call(rec, calls, at=datetime(2026, 11, 15, tzinfo=timezone.utc)).total == pytest.approx(0.012)
    assert price_call(rec, calls, at=datetime(2026, 12, 2, tzinfo=timezone.utc)).total == pytest.approx(0.024)
    assert price_call(rec, calls).total == pytest.approx(0.024)  # default: now


def test_cost_at_and_region_in_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """`cost --at` takes an ISO instant (a bad one is usage, exit 2); `--region` says when no uplift is stated."""
    assert run(["cost", "gpt-4o", "--input", "1000", "--at", "2026-11-15T03:00:00Z", "--offline", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["at"] == "2026-11-15T03:00:00Z"
    assert run(["cost", "gpt-4o", "--input", "1000", "--at", "yesterday", "--offline"]) == 2
    assert "ISO 8601" in capsys.readouterr().err
    assert run(["cost", "gpt-4o", "--input", "1000", "--region", "mars-1", "--offline", "--json"]) == 0
    assert any("no source states a regional uplift" in n for n in json.loads(capsys.readouterr().out)["notes"])


# -- three opinions: one family, real prices over a plan's 0 -------------------------------------------


def test_a_price_family_is_not_mixed_from_two_sources() -> None:
    """A cache read from another source's family (2.5x the kept input rate) is a conflict, not an answer."""
    litellm = record("openai", "gpt-3.5-turbo", input_cost_per_token=0.5 * M, output_cost_per_token=1.5 * M)
    modelsdev = record(
        "openai",
        "gpt-3.5-turbo",
        source="modelsdev",
        input_cost_per_token=0.5 * M * 3,
        output_cost_per_token=1.5 * M,
        cache_read_input_token_cost=1.25 * M,
    )
    merged = merge_records([litellm, modelsdev])
    assert merged.cache_read_input_token_cost is None
    assert any(c.field == "cache_read_input_token_cost" and c.kept_value is None for c in merged.conflicts)
    same_family = record(
        "openai",
        "gpt-3.5-turbo",
        source="modelsdev",
        input_cost_per_token=0.5 * M,
        cache_read_input_token_cost=0.25 * M,
    )
    assert merge_records([litellm, same_family]).cache_read_input_token_cost == pytest.approx(0.25 * M)


def test_a_plans_zero_loses_to_a_real_price() -> None:
    """A metered or gateway 0 next to a real price: the real price wins and the 0 is a conflict."""
    real = record("groq", "compound", source="genai-prices", input_cost_per_token=0.15 * M)
    zero = record("groq", "compound", source="groq", input_cost_per_token=0.0)
    merged = merge_records([real, zero])
    assert merged.input_cost_per_token == pytest.approx(0.15 * M)
    assert any(c.other_value == 0.0 for c in merged.conflicts)
    override = record("groq", "compound", source="override", input_cost_per_token=0.0)
    assert merge_records([real, override]).input_cost_per_token == 0.0  # the user's own 0 stands


def test_completion_cost_prices_at_the_responses_own_time() -> None:
    """A response's `created` picks the band in effect when the call was made."""
    import litellm

    from massgen_discovery.litellm_bridge import completion_cost

    block = {
        "prompt": "0.00000022",
        "completion": "0.00000066",
        "overrides": [{"utc_start": 100, "utc_end": 400, "prompt": "0.00000044", "completion": "0.00000132"}],
    }
    rec = record("openrouter", "deepseek/x", source="openrouter", **pricing_values(block))
    from massgen_discovery.testing import StaticSource

    catalog = Catalog(sources=[StaticSource("openrouter", [rec])])
    usage = litellm.Usage(prompt_tokens=1_000_000, completion_tokens=0, total_tokens=1_000_000)
    for hour, expected in ((3, 0.44), (12, 0.22)):
        created = int(datetime(2026, 11, 15, hour, 0, tzinfo=timezone.utc).timestamp())
        response = litellm.ModelResponse(model="openrouter/deepseek/x", usage=usage, created=created)
        assert completion_cost(response, model="openrouter/deepseek/x", catalog=catalog) == pytest.approx(expected)
