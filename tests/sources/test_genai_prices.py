"""genai-prices as a third opinion: read offline from the installed package, ranked below the map."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery._domain.reconcile import merge_records
from massgen_discovery.cli import run
from massgen_discovery.pricing import CallTokens, price_call
from massgen_discovery.sources import genai_prices

pytest.importorskip("genai_prices")
M = 1e-6


def test_the_installed_package_is_read_with_dates_bands_and_tiers() -> None:
    """Its records carry today's rates, dated ones, DeepSeek's time bands and service tiers, under LiteLLM's names."""
    records = genai_prices.records()
    assert len(records) > 500
    names = {k for r in records for k in (r.prices or {})}
    assert any("_before_20" in k for k in names)
    assert any("_utc_" in k for k in names)
    assert any(k.endswith("_batches") for k in names) and any(k.endswith("_flex") for k in names)
    assert all(r.sources == ["genai-prices"] and set(r.provenance.values()) == {"genai-prices"} for r in records)
    deepseek = next(r for r in records if r.model == "deepseek/deepseek-chat")
    assert any("_utc_" in k for k in deepseek.prices or {})


def test_it_ranks_below_the_map_and_its_disagreements_are_conflicts() -> None:
    """Every difference between genai-prices and the others is a conflict that `audit` lists."""
    catalog = Catalog(offline=True)
    disagreements = [d for d in catalog.audit() if "genai-prices" in d.values]
    assert disagreements
    for d in disagreements[:50]:
        record = catalog.get_model(d.model)
        assert record is not None
        assert any(c.field == d.field and "genai-prices" in (c.other_source, c.kept_source) for c in record.conflicts)


def _rec(source: str, **values: Any) -> ModelRecord:
    prices = values.pop("prices", None)
    known = [k for k, v in values.items() if v is not None] + list(prices or ())
    return ModelRecord(
        model="deepseek/deepseek-chat",
        provider="deepseek",
        model_id="deepseek-chat",
        sources=[source],
        provenance=dict.fromkeys(known, source),
        prices=prices,
        **values,
    )


def test_a_peak_band_matching_the_maps_rate_makes_the_default_the_off_peak_rate() -> None:
    """genai-prices' DeepSeek shape (a cheap default, a peak band at the standard rate) beside the map's
    standard rate: peak hours at the map's rate, the other hours at the default (DeepSeek's off-peak)."""
    litellm = _rec("litellm", input_cost_per_token=0.28 * M, output_cost_per_token=1.1 * M)
    third = _rec(
        "genai-prices",
        input_cost_per_token=0.135 * M,
        output_cost_per_token=0.55 * M,
        prices={"input_cost_per_token_utc_0030_1630": 0.27 * M, "output_cost_per_token_utc_0030_1630": 1.1 * M},
    )
    merged = merge_records([litellm, third])
    again = merge_records([merged, _rec("modelsdev", input_cost_per_token=0.28 * M)])  # a later merge keeps it
    calls = CallTokens(input=1_000_000, output=1_000_000)
    for record in (merged, again):
        peak = price_call(record, calls, at=datetime(2026, 11, 15, 3, 0, tzinfo=timezone.utc))
        off_peak = price_call(record, calls, at=datetime(2026, 11, 15, 20, 0, tzinfo=timezone.utc))
        assert peak.total == pytest.approx(0.28 + 1.1)
        assert off_peak.total == pytest.approx(0.135 + 0.55)


def test_a_schedule_from_another_price_family_is_set_aside() -> None:
    """When the bands fit none of the map's rates, they are conflicts and the map's flat rate applies at every hour."""
    litellm = _rec("litellm", input_cost_per_token=0.28 * M, output_cost_per_token=0.42 * M)
    third = _rec(
        "genai-prices",
        input_cost_per_token=0.135 * M,
        output_cost_per_token=0.55 * M,
        prices={"input_cost_per_token_utc_0030_1630": 0.27 * M, "output_cost_per_token_utc_0030_1630": 1.1 * M},
    )
    merged = merge_records([litellm, third])
    assert not any("_utc_" in k for k in merged.prices or {})
    assert {c.field for c in merged.conflicts if c.kept_value is None} >= {"output_cost_per_token_utc_0030_1630"}


def test_dated_prices_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """`cost --at` before a price change a source dates prices the call at the rate then in effect."""
    catalog = Catalog(offline=True)
    dated = next(
        (
            (r, keys[-1])  # the latest change: from its day on, today's rate
            for r in catalog.list_models()
            if (keys := sorted(k for k in r.prices or {} if k.startswith("input_cost_per_token_before_")))
            and r.input_cost_per_token
        ),
        None,
    )
    assert dated is not None, "genai-prices dates some price the map agrees with today"
    record, name = dated
    day = name.rsplit("_before_", 1)[1]
    before = (record.prices or {})[name]
    assert run(["cost", record.model, "--input", "1000", "--at", f"{day}T00:00:00Z", "--offline", "--json"]) == 0
    today = record.input_cost_per_token
    assert today is not None
    assert json.loads(capsys.readouterr().out)["total"] == pytest.approx(today * 1000)
    earlier = datetime.fromisoformat(day).replace(tzinfo=timezone.utc) - timedelta(days=1)
    assert run(["cost", record.model, "--input", "1000", "--at", earlier.isoformat(), "--offline", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == pytest.approx(before * 1000)
