"""The one price engine: every dimension a price has, every usage shape, one rule for each part.

Rules are checked on records built by hand (so the expected figure is the provider's rule applied
to stated rates, not a copy of the code); then on LiteLLM's real map, through the CLI, the LiteLLM
bridge and the MassGen adapter, which all price through :func:`price_call`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery._domain.reconcile import merge_records
from massgen_discovery.cli import run
from massgen_discovery.pricing import CallTokens, UnknownPrice, call_tokens, context_tiers, price_call
from massgen_discovery.sources.litellm_map import to_records
from massgen_discovery.testing import StaticSource

M = 1e-6  # $ per token of a "$1 per 1M" rate


def priced(**values: Any) -> ModelRecord:
    prices = values.pop("prices", None)
    known = [k for k, v in values.items() if v is not None] + list(prices or ())
    return ModelRecord(
        model="lab/m",
        provider="lab",
        model_id="m",
        sources=["lab"],
        provenance=dict.fromkeys(known, "lab"),
        prices=prices,
        **values,
    )


TIERED = priced(
    input_cost_per_token=1 * M,
    output_cost_per_token=4 * M,
    cache_read_input_token_cost=0.1 * M,
    cache_creation_input_token_cost=1.25 * M,
    prices={
        "input_cost_per_token_above_200k_tokens": 2 * M,
        "output_cost_per_token_above_200k_tokens": 6 * M,
        "cache_read_input_token_cost_above_200k_tokens": 0.2 * M,
        "cache_creation_input_token_cost_above_200k_tokens": 2.5 * M,
        "input_cost_per_token_flex": 0.5 * M,
        "output_cost_per_token_flex": 2 * M,
        "input_cost_per_token_priority": 1.8 * M,
        "output_cost_per_token_priority": 7 * M,
        "input_cost_per_token_batches": 0.5 * M,
        "output_cost_per_token_batches": 2 * M,
        "input_cost_per_token_above_200k_tokens_priority": 3.6 * M,
        "output_cost_per_token_above_200k_tokens_priority": 10 * M,
        "cache_creation_input_token_cost_above_1hr": 2 * M,
        "output_cost_per_reasoning_token": 5 * M,
        "input_cost_per_audio_token": 8 * M,
        "output_cost_per_audio_token": 16 * M,
        "input_cost_per_request": 0.01,
    },
)


# -- the rules --------------------------------------------------------------------------------------


def test_below_the_threshold_every_part_is_at_its_standard_rate() -> None:
    bill = price_call(TIERED, CallTokens(input=1000, cached=500, cache_write_5m=100, output=200))
    assert bill.context_tier is None
    assert bill.total == pytest.approx(1000 * 1 * M + 500 * 0.1 * M + 100 * 1.25 * M + 200 * 4 * M + 0.01)


def test_a_context_tier_applies_to_the_whole_call_once_the_prompt_passes_it() -> None:
    """150k input + 60k cached passes 200k: input, cached and output all move to the tier's rates."""
    bill = price_call(TIERED, CallTokens(input=150_000, cached=60_000, output=1000))
    assert bill.context_tier == 200_000
    assert bill.total == pytest.approx(150_000 * 2 * M + 60_000 * 0.2 * M + 1000 * 6 * M + 0.01)
    assert {p.rate_name for p in bill.parts if p.part != "request"} == {
        "input_cost_per_token_above_200k_tokens",
        "cache_read_input_token_cost_above_200k_tokens",
        "output_cost_per_token_above_200k_tokens",
    }


def test_cache_writes_count_towards_the_threshold() -> None:
    bill = price_call(TIERED, CallTokens(input=150_000, cache_write_5m=50_001, output=10))
    assert bill.context_tier == 200_000
    assert bill.part("cache_write_5m").rate == pytest.approx(2.5 * M)  # type: ignore[union-attr]


def test_exactly_at_the_threshold_is_not_above_it() -> None:
    assert price_call(TIERED, CallTokens(input=200_000, output=1)).context_tier is None
    assert price_call(TIERED, CallTokens(input=200_001, output=1)).context_tier == 200_000


@pytest.mark.parametrize(
    ("tier", "inp", "out"), [("flex", 0.5, 2), ("priority", 1.8, 7), ("batch", 0.5, 2), ("standard", 1, 4)]
)
def test_service_tiers(tier: str, inp: float, out: float) -> None:
    bill = price_call(TIERED, CallTokens(input=1000, output=100), service_tier=tier)
    assert bill.total == pytest.approx(1000 * inp * M + 100 * out * M + 0.01)


def test_a_service_tier_and_a_context_tier_together() -> None:
    bill = price_call(TIERED, CallTokens(input=300_000, output=1000), service_tier="priority")
    assert bill.total == pytest.approx(300_000 * 3.6 * M + 1000 * 10 * M + 0.01)


def test_a_rate_no_source_states_is_named_never_guessed() -> None:
    with pytest.raises(UnknownPrice) as caught:
        price_call(TIERED, CallTokens(input=300_000, output=10), service_tier="flex")
    assert caught.value.rates == [
        "input_cost_per_token_above_200k_tokens_flex",
        "output_cost_per_token_above_200k_tokens_flex",
    ]
    with pytest.raises(UnknownPrice, match="cache-read price"):
        price_call(priced(input_cost_per_token=M, output_cost_per_token=M), CallTokens(input=10, cached=10))
    with pytest.raises(UnknownPrice, match="cache_creation_input_token_cost_above_1hr"):
        price_call(priced(input_cost_per_token=M, cache_creation_input_token_cost=M), CallTokens(cache_write_1h=10))


def test_one_hour_cache_writes_have_their_own_rate() -> None:
    five = price_call(TIERED, CallTokens(cache_write_5m=1000))
    hour = price_call(TIERED, CallTokens(cache_write_5m=1000), cache_ttl="1h")
    assert five.total == pytest.approx(1000 * 1.25 * M + 0.01)
    assert hour.total == pytest.approx(1000 * 2 * M + 0.01)
    assert hour.cache_ttl == "1h" and hour.part("cache_write_1h") is not None


def test_reasoning_at_its_own_rate_or_as_output() -> None:
    own = price_call(TIERED, CallTokens(output=100, reasoning=1000))
    assert own.total == pytest.approx(100 * 4 * M + 1000 * 5 * M + 0.01)
    plain = priced(input_cost_per_token=M, output_cost_per_token=4 * M)
    as_output = price_call(plain, CallTokens(output=100, reasoning=1000))
    assert as_output.total == pytest.approx(1100 * 4 * M)
    assert any("output rate" in n for n in as_output.notes)


def test_audio_tokens_in_and_out() -> None:
    bill = price_call(TIERED, CallTokens(input=10, audio_input=1000, output=10, audio_output=500))
    assert bill.total == pytest.approx(10 * M + 1000 * 8 * M + 10 * 4 * M + 500 * 16 * M + 0.01)
    with pytest.raises(UnknownPrice, match="input_cost_per_audio_token"):
        price_call(priced(input_cost_per_token=M, output_cost_per_token=M), CallTokens(audio_input=5))


def test_free_is_free_and_unknown_is_not() -> None:
    free = priced(input_cost_per_token=0.0, output_cost_per_token=0.0)
    assert price_call(free, CallTokens(input=10**6, output=10**6)).total == 0.0
    with pytest.raises(UnknownPrice):
        price_call(priced(), CallTokens(input=1))
    assert price_call(priced(), CallTokens()).total == 0.0  # nothing used, nothing needed


def test_context_tiers_read_any_threshold() -> None:
    record = priced(prices={"input_cost_per_token_above_128k_tokens": M, "output_cost_per_token_above_1m_tokens": M,
                         "input_cost_per_token_above_272k_tokens_flex": M})  # fmt: skip
    assert context_tiers(record) == {128_000: "128k", 1_000_000: "1m", 272_000: "272k"}


# -- usage shapes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        # OpenAI chat: cached, audio inside prompt_tokens; reasoning, audio inside completion_tokens
        ({"prompt_tokens": 1000, "completion_tokens": 500,
          "prompt_tokens_details": {"cached_tokens": 400, "audio_tokens": 100},
          "completion_tokens_details": {"reasoning_tokens": 300, "audio_tokens": 50}},
         CallTokens(input=500, cached=400, audio_input=100, output=150, reasoning=300, audio_output=50)),
        # OpenAI responses
        ({"input_tokens": 1000, "output_tokens": 50, "input_tokens_details": {"cached_tokens": 100},
          "output_tokens_details": {"reasoning_tokens": 20}}, CallTokens(input=900, cached=100, output=30, reasoning=20)),
        # Anthropic: input_tokens leaves the cache out; cache_creation splits 5m and 1h writes
        ({"input_tokens": 20, "output_tokens": 30, "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 300,
          "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 200}},
         CallTokens(input=20, cached=1000, cache_write_5m=100, cache_write_1h=200, output=30)),
        # Gemini, snake case (SDK) and camel case (REST): thoughts apart from candidates
        ({"prompt_token_count": 800, "candidates_token_count": 100, "thoughts_token_count": 50,
          "cached_content_token_count": 300}, CallTokens(input=500, cached=300, output=100, reasoning=50)),
        ({"promptTokenCount": 800, "candidatesTokenCount": 100, "thoughtsTokenCount": 50,
          "cachedContentTokenCount": 300}, CallTokens(input=500, cached=300, output=100, reasoning=50)),
        # LiteLLM's Usage for Anthropic: prompt_tokens holds the cache read and the cache write
        ({"prompt_tokens": 1320, "completion_tokens": 30, "cache_read_input_tokens": 1000,
          "cache_creation_input_tokens": 300, "prompt_tokens_details": {"cached_tokens": 1000}},
         CallTokens(input=20, cached=1000, cache_write_5m=300, output=30)),
        # MassGen/Codex: a top-level cached_input_tokens
        ({"prompt_tokens": 100, "completion_tokens": 10, "cached_input_tokens": 40}, CallTokens(input=60, cached=40, output=10)),
        (None, CallTokens()),
        ({"prompt_tokens": "1000", "completion_tokens": 500.0}, CallTokens(input=1000, output=500)),
    ],
)  # fmt: skip
def test_usage_shapes(usage: Any, expected: CallTokens) -> None:
    assert call_tokens(usage) == expected


def test_litellm_usage_objects_read_like_their_dicts() -> None:
    litellm = pytest.importorskip("litellm")
    usage = litellm.Usage(
        prompt_tokens=1000,
        completion_tokens=500,
        prompt_tokens_details={"cached_tokens": 400},
        completion_tokens_details={"reasoning_tokens": 300},
    )
    assert call_tokens(usage) == CallTokens(input=600, cached=400, output=200, reasoning=300)
    nested = SimpleNamespace(
        prompt_tokens=10, completion_tokens=5, prompt_tokens_details=SimpleNamespace(cached_tokens=4)
    )
    assert call_tokens(nested) == CallTokens(input=6, cached=4, output=5)


# -- the record: every dimension, each with its source -----------------------------------------------


def test_the_map_gives_every_dimension_it_states_with_provenance() -> None:
    entry = {
        "litellm_provider": "gemini",
        "mode": "chat",
        "input_cost_per_token": 1.25e-6,
        "output_cost_per_token": 1e-5,
        "input_cost_per_token_above_200k_tokens": 2.5e-6,
        "output_cost_per_token_priority": 1.8e-5,
        "cache_creation_input_token_cost_above_1hr": 4e-6,
        "search_context_cost_per_query": {"search_context_size_low": 0.035},  # a table, not a rate: left out
    }
    (record,) = to_records({"gemini/g": entry}).records
    assert record.prices == {
        "input_cost_per_token_above_200k_tokens": 2.5e-6,
        "output_cost_per_token_priority": 1.8e-5,
        "cache_creation_input_token_cost_above_1hr": 4e-6,
    }
    assert all(record.provenance[k] == "litellm" for k in record.prices)


def test_tiered_pricing_lists_are_spelled_in_the_same_names() -> None:
    entry = {
        "litellm_provider": "dashscope",
        "tiered_pricing": [
            {"input_cost_per_token": 5e-8, "output_cost_per_token": 4e-7, "range": [0, 256000.0]},
            {"input_cost_per_token": 2.5e-7, "output_cost_per_token": 2e-6, "range": [256000.0, 1000000.0]},
        ],
    }
    (record,) = to_records({"dashscope/q": entry}).records
    assert record.input_cost_per_token == 5e-8 and record.output_cost_per_token == 4e-7
    assert record.prices == {
        "input_cost_per_token_above_256k_tokens": 2.5e-7,
        "output_cost_per_token_above_256k_tokens": 2e-6,
    }
    assert price_call(record, CallTokens(input=300_000, output=1000)).total == pytest.approx(
        300_000 * 2.5e-7 + 1000 * 2e-6
    )


def test_a_tier_is_never_combined_with_another_sources_base_price_without_saying_so() -> None:
    """A live listing's flat price next to LiteLLM's tiers: the flat price applies, the tier is a conflict."""
    bundled = ModelRecord(model="openrouter/g/x", provider="openrouter", model_id="g/x", sources=["litellm"],
                          input_cost_per_token=1.25e-6, prices={"input_cost_per_token_above_200k_tokens": 2.5e-6,
                                                                  "output_cost_per_token_flex": 5e-6},
                          provenance={"input_cost_per_token": "litellm", "input_cost_per_token_above_200k_tokens": "litellm",
                                      "output_cost_per_token_flex": "litellm"})  # fmt: skip
    live = ModelRecord(model="openrouter/g/x", provider="openrouter", model_id="g/x", sources=["openrouter"],
                       input_cost_per_token=1.5e-6, provenance={"input_cost_per_token": "openrouter"})  # fmt: skip
    merged = merge_records([bundled, live])
    assert merged.input_cost_per_token == 1.5e-6 and merged.provenance["input_cost_per_token"] == "openrouter"
    assert "input_cost_per_token_above_200k_tokens" not in (merged.prices or {})
    assert merged.prices == {"output_cost_per_token_flex": 5e-6}  # its base (output_cost_per_token_flex) is its own
    (conflict,) = [c for c in merged.conflicts if c.field == "input_cost_per_token_above_200k_tokens"]
    assert (conflict.kept_value, conflict.kept_source) == (1.5e-6, "openrouter")
    assert (conflict.other_value, conflict.other_source) == (2.5e-6, "litellm")
    # The same source's tiers stay together.
    same = merge_records([bundled, live.model_copy(update={"sources": ["other"], "input_cost_per_token": None,
                                                           "provenance": {}})])  # fmt: skip
    assert same.prices and "input_cost_per_token_above_200k_tokens" in same.prices


def test_openrouter_pricing_extras_are_kept() -> None:
    from massgen_discovery.sources._pricing_block import pricing_values

    values = pricing_values({"prompt": "0.000001", "completion": "0.000002", "request": "0.005",
                             "internal_reasoning": "0.000003", "image": "0", "web_search": "0"})  # fmt: skip
    assert values["input_cost_per_token"] == 1e-6
    assert values["prices"] == {"input_cost_per_request": 0.005, "output_cost_per_reasoning_token": 3e-6}


# -- every surface prices through the engine ---------------------------------------------------------


def test_cli_cost_with_every_dimension(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from massgen_discovery import cli as cli_module

    source = StaticSource("lab", [TIERED])
    monkeypatch.setattr(
        cli_module.Invocation, "catalog", lambda self, offline: Catalog(sources=[source], offline=offline)
    )
    args = ["cost", "lab/m", "--input", "150k", "--cached", "30k", "--cache-write", "30k", "--cache-ttl", "1h",
            "--output", "1k", "--reasoning", "2k", "--audio-input", "0", "--service-tier", "standard", "--json"]  # fmt: skip
    assert run(args) == 1  # 210k passes 200k, and no 1-hour write rate above it is stated
    assert "cache_creation_input_token_cost_above_1hr_above_200k_tokens" in capsys.readouterr().err
    assert run(["cost", "lab/m", "--input", "100k", "--cache-write", "50k", "--cache-ttl", "1h", "--output", "1k",
                "--reasoning", "2k", "--json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == pytest.approx(100_000 * M + 50_000 * 2 * M + 1000 * 4 * M + 2000 * 5 * M + 0.01)
    assert {p["part"]: p["rate_name"] for p in data["parts"]}[
        "cache_write_1h"
    ] == "cache_creation_input_token_cost_above_1hr"
    assert data["cache_ttl"] == "1h" and data["service_tier"] == "standard" and data["context_tier"] is None
    assert run(["cost", "lab/m", "--input", "300k", "--output", "1k", "--service-tier", "priority"]) == 0
    out = capsys.readouterr().out
    assert "input_cost_per_token_above_200k_tokens_priority" in out and "passed 200k" in out
    assert run(["cost", "lab/m", "--input", "1", "--service-tier", "turbo"]) == 2


def test_the_bridge_and_the_massgen_adapter_price_through_the_engine(tmp_path: Path) -> None:
    from massgen_discovery.litellm_bridge import completion_cost
    from massgen_discovery.massgen_adapter import calculate_cost_with_usage_object

    catalog = Catalog(sources=[StaticSource("lab", [TIERED])])
    anthropic_usage = {"input_tokens": 150_000, "output_tokens": 1000, "cache_read_input_tokens": 60_000,
                       "cache_creation_input_tokens": 0}  # fmt: skip
    expected = price_call(TIERED, call_tokens(anthropic_usage)).total
    assert expected == pytest.approx(150_000 * 2 * M + 60_000 * 0.2 * M + 1000 * 6 * M + 0.01)
    assert calculate_cost_with_usage_object("m", anthropic_usage, "lab", catalog=catalog) == pytest.approx(expected)
    response = {"model": "lab/m", "usage": {"prompt_tokens": 1000, "completion_tokens": 100}, "service_tier": "flex"}
    assert completion_cost(response, catalog=catalog) == pytest.approx(1000 * 0.5 * M + 100 * 2 * M + 0.01)
    assert completion_cost(response, catalog=catalog, service_tier="priority") == pytest.approx(
        1000 * 1.8 * M + 100 * 7 * M + 0.01
    )
    unknown = {"model": "lab/m", "usage": {"prompt_tokens": 300_000, "completion_tokens": 1}, "service_tier": "flex"}
    assert completion_cost(unknown, catalog=catalog) is None  # never a guess
    text_only = Catalog(cache_dir=tmp_path, sources=[StaticSource("lab", [priced(input_cost_per_token=M)])])
    audio = {"prompt_tokens": 10, "prompt_tokens_details": {"audio_tokens": 5}}
    assert math.isnan(calculate_cost_with_usage_object("m", audio, "lab", catalog=text_only))  # no audio rate stated


def test_long_context_calls_cost_what_the_map_says_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    """On LiteLLM's real map: a model with a context tier, priced past it, by the CLI and the bridge."""
    catalog = Catalog(offline=True)
    tiered = [r for r in catalog.list_models() if "input_cost_per_token_above_200k_tokens" in (r.prices or {})
              and "output_cost_per_token_above_200k_tokens" in (r.prices or {}) and r.provenance.get("input_cost_per_token") == "litellm"]  # fmt: skip
    assert tiered, "LiteLLM's map states 200k context tiers"
    record = tiered[0]
    prices = record.prices or {}
    expected = (
        300_000 * prices["input_cost_per_token_above_200k_tokens"]
        + 2000 * prices["output_cost_per_token_above_200k_tokens"]
    )
    assert run(["cost", record.model, "--input", "300k", "--output", "2k", "--json", "--offline"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == pytest.approx(expected)
    from massgen_discovery.litellm_bridge import completion_cost

    usage = {"prompt_tokens": 300_000, "completion_tokens": 2000}
    assert completion_cost({"usage": usage}, model=record.model, catalog=catalog) == pytest.approx(expected)
