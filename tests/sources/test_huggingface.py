from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from massgen_discovery import Catalog, SourceAuthError, SourceFormatError
from massgen_discovery.sources.huggingface import DEFAULT_BASE_URL, HuggingFaceSource, aliases, to_records

from ..support import internals, load_fixture

NOW = datetime(2026, 11, 21, tzinfo=timezone.utc)


def payload() -> dict[str, Any]:
    data = load_fixture("huggingface/router_v1_models.json")
    assert isinstance(data, dict)
    return data


def by_model(data: Any) -> dict[str, Any]:
    return {r.model: r for r in to_records(data, NOW)}


def test_one_record_per_serving_provider_plus_an_aggregate() -> None:
    """Each (model, provider) pair is a pinned record, and each model has one router-choice record."""
    data = payload()
    records = by_model(data)
    expected = set()
    for model in data["data"]:
        expected.add(f"huggingface/{model['id']}")
        expected.update(f"huggingface/{p['provider']}/{model['id']}" for p in model["providers"])
    assert set(records) == expected


def test_pinned_record_carries_the_providers_own_values() -> None:
    """Context, USD/token prices, tools, structured output, modalities, status and measurements per provider."""
    r = by_model(payload())["huggingface/together/moonshotai/Kimi-K3"]
    assert (r.provider, r.model_id, r.served_by, r.mode) == ("huggingface", "moonshotai/Kimi-K3", "together", "chat")
    assert r.max_input_tokens == 1_000_000
    assert r.input_cost_per_token == pytest.approx(3e-6)
    assert r.output_cost_per_token == pytest.approx(15e-6)
    assert r.supports_function_calling is True and r.supports_response_schema is True
    assert r.supports_vision is True and r.input_modalities == ["text", "image"] and r.output_modalities == ["text"]
    assert r.available is True and r.status == "live"
    assert r.first_token_latency_ms == pytest.approx(1836.2) and r.throughput_tokens_per_s == pytest.approx(
        18.374, 1e-3
    )
    assert r.max_output_tokens is None and r.provenance["max_input_tokens"] == "huggingface"
    assert r.fetched_at == NOW


def test_aggregate_is_conservative_and_shows_the_spread() -> None:
    """The router-choice record takes the smallest context, highest price, and True only if all live say True."""
    r = by_model(payload())["huggingface/moonshotai/Kimi-K3"]
    assert r.served_by is None
    assert r.max_input_tokens == 1_000_000  # together's, smaller than fireworks-ai's 1048576
    assert r.supports_function_calling is True
    assert r.supports_response_schema is None  # together True, fireworks-ai False
    assert r.input_cost_per_token == pytest.approx(3e-6)
    spread = {(c.field, c.other_source, c.other_value) for c in r.conflicts}
    assert ("max_input_tokens", "huggingface:fireworks-ai", 1048576) in spread
    assert ("supports_response_schema", "huggingface:fireworks-ai", False) in spread
    assert "huggingface:together" in r.sources and "huggingface:fireworks-ai" in r.sources


def test_zero_prices_are_unknown_unless_free_and_missing_pricing_is_unknown() -> None:
    """{0, 0} with is_free false is unknown; a provider without pricing is unknown; is_free true is 0.0."""
    records = by_model(payload())
    bonsai = records["huggingface/together/prism-ml/Ternary-Bonsai-27B-gguf"]
    assert bonsai.input_cost_per_token is None and bonsai.output_cost_per_token is None
    assert records["huggingface/prism-ml/Ternary-Bonsai-27B-gguf"].input_cost_per_token is None
    inkling_fw = records["huggingface/fireworks-ai/thinkingmachines/Inkling"]
    assert inkling_fw.input_cost_per_token is None
    inkling = records["huggingface/thinkingmachines/Inkling"]
    assert inkling.input_cost_per_token == pytest.approx(1e-6)  # the only known price
    data = payload()
    data["data"][3]["providers"][0]["is_free"] = True
    assert by_model(data)["huggingface/together/prism-ml/Ternary-Bonsai-27B-gguf"].input_cost_per_token == 0.0


def test_only_live_providers_count_in_the_aggregate() -> None:
    """A provider in staging/error is listed (available=False) but ignored by the aggregate."""
    data = payload()
    data["data"][1]["providers"][1]["status"] = "error"  # GLM-5.2 on fireworks-ai
    data["data"][1]["providers"][1]["context_length"] = 1000
    records = by_model(data)
    assert records["huggingface/fireworks-ai/zai-org/GLM-5.2"].available is False
    assert records["huggingface/fireworks-ai/zai-org/GLM-5.2"].status == "error"
    assert records["huggingface/zai-org/GLM-5.2"].max_input_tokens == 512000
    assert records["huggingface/zai-org/GLM-5.2"].supports_response_schema is True


def test_broken_entries_are_skipped_and_unknown_fields_ignored() -> None:
    """A provider entry or model with wrong types is dropped; new upstream fields do not matter."""
    data = payload()
    data["data"][0]["providers"][0]["context_length"] = "a lot"
    data["data"][0]["providers"][1]["status"] = None
    data["data"][0]["providers"].append({"provider": "novita", "status": "live", "brand_new_field": {"x": 1}})
    data["data"][1]["id"] = 42
    data["data"].append("not a model")
    records = by_model(data)
    kimi = records["huggingface/together/moonshotai/Kimi-K3"]
    assert kimi.max_input_tokens is None  # only the bad field is unknown, the entry is kept
    assert "huggingface/fireworks-ai/moonshotai/Kimi-K3" not in records
    novita = records["huggingface/novita/moonshotai/Kimi-K3"]
    assert novita.available is True and novita.input_cost_per_token is None and novita.max_input_tokens is None
    assert not any("GLM-5.2" in m for m in records)
    assert "huggingface/thinkingmachines/Inkling" in records


@pytest.mark.parametrize("bad", [[1, 2], {"models": []}, {"data": {"id": "x"}}, "html", None])
def test_wrong_shape_is_a_format_error(bad: Any) -> None:
    """A payload that is not {"data": [...]} raises SourceFormatError (the catalog keeps the last good data)."""
    with pytest.raises(SourceFormatError, match=re.escape("huggingface: expected an object with a 'data' list")):
        to_records(bad, NOW)


def test_routing_suffixes_resolve() -> None:
    """:<provider>, :cheapest and :fastest name the right pinned record."""
    table = aliases(to_records(payload(), NOW))
    assert table["huggingface/moonshotai/Kimi-K3:together"] == "huggingface/together/moonshotai/Kimi-K3"
    assert table["huggingface/moonshotai/Kimi-K3:fastest"] == "huggingface/fireworks-ai/moonshotai/Kimi-K3"
    assert table["huggingface/thinkingmachines/Inkling:cheapest"] == "huggingface/together/thinkingmachines/Inkling"
    assert "huggingface/prism-ml/Ternary-Bonsai-27B-gguf:cheapest" not in table  # no known price


def test_auth_header_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_TOKEN (or HUGGINGFACE_API_KEY) goes out as a Bearer token; the base URL env var is honoured."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=payload())

    transport = httpx.MockTransport(handler)
    monkeypatch.delenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL")
    assert HuggingFaceSource().base_url == DEFAULT_BASE_URL
    Catalog(sources=[HuggingFaceSource()], transport=transport).refresh()
    assert str(seen[-1].url) == "https://router.huggingface.co/v1/models"
    assert "authorization" not in seen[-1].headers
    monkeypatch.setenv("HUGGINGFACE_API_KEY", "hf_litellm_name_SECRET")
    monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", "https://hf.example.test/v1/")
    Catalog(sources=[HuggingFaceSource()], transport=transport).refresh()
    assert str(seen[-1].url) == "https://hf.example.test/v1/models"
    assert seen[-1].headers["authorization"] == "Bearer hf_litellm_name_SECRET"
    monkeypatch.setenv("HF_TOKEN", "hf_preferred_SECRET")
    assert HuggingFaceSource().credential == "hf_preferred_SECRET"


def test_401_names_hf_token_and_hides_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused token: SourceAuthError that says to check HF_TOKEN, with no trace of the token."""
    monkeypatch.setenv("HF_TOKEN", "hf_bogus_SECRET_value")
    body = load_fixture("huggingface/chat_completions_401.json")
    transport = httpx.MockTransport(lambda r: httpx.Response(401, json=body))
    catalog = Catalog(sources=[HuggingFaceSource()], transport=transport)
    with pytest.raises(SourceAuthError, match=re.escape("HTTP 401 from http://127.0.0.1:9/v1/models; check HF_TOKEN")):
        catalog.refresh(raise_on_error=True)
    (status,) = catalog.status()
    assert status.error is not None and "SECRET" not in status.error


def test_merges_with_litellm_entries_under_precedence() -> None:
    """If LiteLLM's map has the same huggingface/* key, the router's live values win and LiteLLM's fill gaps."""
    from massgen_discovery._domain.reconcile import reconcile
    from massgen_discovery.sources.litellm_map import to_records as litellm_records

    bundled = litellm_records(
        {
            "huggingface/together/moonshotai/Kimi-K3": {
                "litellm_provider": "huggingface",
                "max_input_tokens": 131072,
                "max_output_tokens": 8192,
                "input_cost_per_token": 0,
            }
        }
    ).records
    merged = reconcile(bundled, to_records(payload(), NOW))["huggingface/together/moonshotai/Kimi-K3"]
    assert merged.max_input_tokens == 1_000_000 and merged.provenance["max_input_tokens"] == "huggingface"
    assert merged.max_output_tokens == 8192 and merged.provenance["max_output_tokens"] == "litellm"
    assert merged.input_cost_per_token == pytest.approx(3e-6)
    assert {(c.field, c.other_value) for c in merged.conflicts} >= {("max_input_tokens", 131072)}


# -- over a real loopback server ------------------------------------------------------------------


def serve(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, body: Any = None) -> None:
    monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", httpserver.url_for("/v1"))
    httpserver.expect_request("/v1/models").respond_with_json(payload() if body is None else body)


def cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "massgen-discovery"
    return subprocess.run([str(script), *argv], capture_output=True, text=True, env=env, timeout=120)


def test_cli_end_to_end_over_loopback(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """refresh huggingface, then list and show in new processes, answered from the cache."""
    serve(httpserver, monkeypatch)
    env = dict(os.environ)
    out = cli("refresh", "huggingface", env=env)
    assert out.returncode == 0, out.stderr
    assert re.search(r"huggingface\s+ok\s+11\b", out.stdout), out.stdout
    out = cli("list", "--provider", "huggingface", "--tools", "--min-context", "128000", "--sort", "price", env=env)
    assert out.returncode == 0, out.stderr
    rows = [line.split()[0] for line in out.stdout.strip().splitlines()[1:]]
    # $1 in is the cheapest known input price: Inkling pinned to together, and the router's choice
    # (whose conservative price is together's, the only one known).
    assert set(rows[:2]) == {"huggingface/together/thinkingmachines/Inkling", "huggingface/thinkingmachines/Inkling"}
    assert rows[-1] in {
        "huggingface/prism-ml/Ternary-Bonsai-27B-gguf",
        "huggingface/together/prism-ml/Ternary-Bonsai-27B-gguf",
    }
    out = cli("show", "huggingface/moonshotai/Kimi-K3:fastest", "--json", env=env)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["model"] == "huggingface/fireworks-ai/moonshotai/Kimi-K3" and shown["max_input_tokens"] == 1048576
    assert len(httpserver.log) == 1  # list and show were answered from the cache


@pytest.mark.parametrize(
    ("status", "body", "headers", "needle"),
    [
        (401, '{"error":"Invalid username or password."}', {}, "HTTP 401"),
        (403, "forbidden", {}, "HTTP 403"),
        (429, "slow down", {"Retry-After": "3600"}, "HTTP 429"),
        (500, "oops", {}, "HTTP 500"),
        (503, "unavailable", {}, "HTTP 503"),
        (200, "<!doctype html><html><body>Sign in</body></html>", {"Content-Type": "text/html"}, "HTML from"),
        (200, json.dumps(load_fixture("huggingface/router_v1_models.json"))[:500], {}, "invalid JSON"),
        (200, "[]", {}, "expected an object with a 'data' list"),
        (200, '{"data": []}', {}, "empty listing"),
    ],
)
def test_failures_keep_serving_last_good_data(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    body: str,
    headers: dict[str, str],
    needle: str,
) -> None:
    """After a good refresh, every kind of bad answer keeps the HF records, flags them stale and backs off."""
    serve(httpserver, monkeypatch)
    Catalog().refresh(["huggingface"])
    httpserver.clear()
    httpserver.expect_request("/v1/models").respond_with_data(body, status=status, headers=headers)
    catalog = Catalog()
    (report,) = catalog.refresh(["huggingface"])
    assert report.outcome == "stale" and report.error is not None and needle in report.error
    assert "\n" not in report.error
    assert len(catalog.list_models("huggingface")) == 11
    record = catalog.get_model("huggingface/together/moonshotai/Kimi-K3")
    assert record is not None and record.max_input_tokens == 1_000_000
    hf = next(s for s in catalog.status() if s.source == "huggingface")
    assert hf.stale and hf.retry_at is not None
    wait = hf.retry_at.timestamp() - time.time()
    assert (3500 < wait <= 3600) if status == 429 else (50 < wait <= 60)
    requests = len(httpserver.log)
    Catalog().get_model("huggingface/zai-org/GLM-5.2")
    assert len(httpserver.log) == requests  # the backoff stops automatic retries


def test_slow_router_is_bounded_by_the_timeout(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A router that stalls costs at most the timeout; lookups still answer from LiteLLM's map."""
    monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", httpserver.url_for("/v1"))

    def stall(request: Request) -> Response:
        time.sleep(3)
        return Response(json.dumps(payload()), content_type="application/json")

    httpserver.expect_request("/v1/models").respond_with_handler(stall)
    started = time.monotonic()
    catalog = Catalog(timeout=0.5)
    assert catalog.get_model("gpt-4o") is not None
    assert time.monotonic() - started < 2.5
    assert catalog.wait_background(10)  # the router's first fetch ran in the background, bounded too
    assert time.monotonic() - started < 2.5
    hf = next(s for s in catalog.status() if s.source == "huggingface")
    assert hf.error is not None and ("timed out" in hf.error or "no answer within" in hf.error)


def test_providers_command_shows_the_error_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """With nothing listening, `providers` says the HF listing is unreachable and why, on one line."""
    env = dict(os.environ)
    out = cli("providers", "--json", env=env)
    assert out.returncode == 0, out.stderr
    hf = next(r for r in json.loads(out.stdout) if r["provider"] == "huggingface")
    assert hf["listing"] == "unreachable"
    assert hf["error"].startswith("huggingface: cannot reach http://127.0.0.1:9/v1/models")
    assert "\n" not in hf["error"]
    human = cli("providers", env=env).stdout
    assert re.search(r"^huggingface\s+unreachable\s+HF_TOKEN\s+never\s+0\s+cannot reach", human, re.M)


def test_copy_of_fixture_is_not_mutated() -> None:
    """Parsing does not modify the payload it is given (it is also what the cache stores)."""
    data = payload()
    before = copy.deepcopy(data)
    to_records(data, NOW)
    assert data == before


def test_the_listing_is_stored_as_the_router_sent_it_and_the_same_bytes_are_not_parsed_again(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One GET: its body is the stored listing (not written out again); the same bytes next time change nothing."""
    monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", httpserver.url_for("/v1"))
    # Spacing and a lone surrogate escape in a name: the body is kept byte for byte, and a body
    # pydantic's core refuses is read by the standard parser.
    listing = payload()
    listing["data"][0]["owned_by"] = "\ud800"
    body = json.dumps(listing, indent=1)
    httpserver.expect_request("/v1/models").respond_with_data(body, content_type="application/json")
    catalog = Catalog(cache_dir=tmp_path / "c", sources=[HuggingFaceSource()])
    (first,) = catalog.refresh()
    assert first.outcome == "ok" and first.count > 0
    source = HuggingFaceSource()
    envelope = internals.store(catalog).get(internals.envelope_key(source)) or {}
    stored = internals.store(catalog).get(envelope["payload_key"]) or {}
    assert stored["payload"] == json.loads(body)
    raw = internals.store(catalog).get_raw(envelope["payload_key"]) or ""
    assert body in raw  # byte for byte, spacing included
    (second,) = catalog.refresh()
    again = internals.store(catalog).get(internals.envelope_key(source)) or {}
    assert second.outcome == "ok" and second.changes == 0 and again["version"] == envelope["version"]
    catalog.close()


def test_a_fastest_alias_in_another_letter_case_follows_its_target_and_keeps_the_case_index(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``:fastest`` moves with the measurements; the letter-case index names names, so it stays as written."""
    body = payload()
    serve(httpserver, monkeypatch, body)
    catalog = Catalog(sources=["litellm", "huggingface"])
    catalog.refresh(["huggingface"])
    name = "HuggingFace/MoonshotAI/Kimi-K3:Fastest"
    first = Catalog(sources=["litellm", "huggingface"]).get_model(name)
    assert first is not None and first.model == "huggingface/fireworks-ai/moonshotai/Kimi-K3"
    encoded = internals.state(catalog).encoded
    lower_before = encoded.index["lower"][1] if encoded else None
    moved = copy.deepcopy(body)
    kimi = next(m for m in moved["data"] if m["id"] == "moonshotai/Kimi-K3")
    for route in kimi["providers"]:
        if route["provider"] == "together":
            route["throughput"] = 480.0
    httpserver.clear()
    serve(httpserver, monkeypatch, moved)
    catalog.refresh(["huggingface"])
    encoded = internals.state(catalog).encoded
    assert lower_before is not None and encoded is not None
    assert encoded.index["lower"][1] == lower_before  # the same parts: nothing written again
    cold = Catalog(sources=["litellm", "huggingface"])  # reads the stored generation
    for found in (cold.get_model(name), catalog.get_model(name)):
        assert found is not None and found.model == "huggingface/together/moonshotai/Kimi-K3"
