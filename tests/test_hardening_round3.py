"""Round 3 of hardening: the content-addressed store, conditional GETs and the price API under hostile input.

Each test names the defect it closes; each failed before its fix.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from massgen_discovery import Catalog
from massgen_discovery.pricing import CallTokens, InvalidTokens, call_tokens, price_call
from massgen_discovery.testing import StaticSource
from tests.support import lab

from .support import internals

# -- 9. the price API takes only token counts ------------------------------------------------------

GARBAGE = [-5, float("nan"), float("inf"), 1.5, 10**400, "abc", "-3", "1e3", True, None, [1], 10**12 + 1]


@pytest.fixture
def priced() -> Catalog:
    return Catalog(sources=[StaticSource("mylab", [lab("m", input_cost_per_token=1e-6, output_cost_per_token=2e-6)])])


@pytest.mark.parametrize("bad", [b for b in GARBAGE if b is not None])
def test_garbage_counts_are_refused_by_every_price_surface(priced: Catalog, bad: Any) -> None:
    from massgen_discovery.litellm_bridge import completion_cost
    from massgen_discovery.massgen_adapter import calculate_cost, calculate_cost_with_usage_object

    record = priced.get_model("mylab/m")
    assert record is not None
    with pytest.raises(InvalidTokens):
        CallTokens(input=bad)
    with pytest.raises(InvalidTokens):
        call_tokens({"prompt_tokens": bad, "completion_tokens": 10})
    usage = {"prompt_tokens": bad, "completion_tokens": 10}
    assert completion_cost({"usage": usage}, model="mylab/m", catalog=priced) is None
    assert math.isnan(calculate_cost_with_usage_object("m", usage, "mylab", catalog=priced))
    assert math.isnan(calculate_cost(bad, 10, "mylab", "m", catalog=priced))


def test_numeric_strings_are_counts_not_zero(priced: Catalog) -> None:
    from massgen_discovery.massgen_adapter import calculate_cost, calculate_cost_with_usage_object

    record = priced.get_model("mylab/m")
    assert record is not None
    expected = 1000 * 1e-6 + 500 * 2e-6
    assert calculate_cost("1000", 500, "mylab", "m", catalog=priced) == pytest.approx(expected)  # type: ignore[arg-type]
    usage = {"prompt_tokens": "1000", "completion_tokens": "500"}
    assert calculate_cost_with_usage_object("m", usage, "mylab", catalog=priced) == pytest.approx(expected)
    assert price_call(record, CallTokens(input="1,000", output=500.0)).total == pytest.approx(expected)  # type: ignore[arg-type]
    assert price_call(record, CallTokens(input=10**12)).total == pytest.approx(1e6)


# -- 8. a typo in a refresh-mode variable -----------------------------------------------------------


def test_a_bad_refresh_mode_warns_and_falls_back_in_the_library_and_exits_2_in_the_cli(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    from massgen_discovery.cli import run
    from massgen_discovery.litellm_bridge import completion_cost
    from massgen_discovery.massgen_adapter import calculate_cost

    monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_REFRESH", "manuel")
    catalog = Catalog()
    record = catalog.get_model("gpt-4o")  # never raises
    assert record is not None and record.input_cost_per_token
    assert catalog.manual("huggingface") is False  # the default, auto
    assert calculate_cost(1000, 100, "openai", "gpt-4o", catalog=catalog) > 0
    usage = {"prompt_tokens": 1000, "completion_tokens": 100}
    assert completion_cost({"usage": usage}, model="gpt-4o", catalog=catalog)
    warned = [r for r in caplog.records if "MASSGEN_DISCOVERY_HUGGINGFACE_REFRESH" in r.getMessage()]
    assert len(warned) == 1 and "using auto" in warned[0].getMessage()
    capsys.readouterr()
    assert run(["show", "gpt-4o", "--offline"]) == 2
    err = capsys.readouterr().err
    assert "MASSGEN_DISCOVERY_HUGGINGFACE_REFRESH" in err and "'manuel'" in err and len(err.strip().splitlines()) == 1


# -- shared helpers for the store items ----------------------------------------------------------------


def _hf_router(handler: Any) -> Any:
    from tests.orchestration.test_refresh_politeness import upstream

    return upstream({"/v1/models": handler})


def _hf_listing() -> dict[str, Any]:
    from tests.support import load_fixture

    listing: dict[str, Any] = load_fixture("huggingface/router_v1_models.json")
    return listing


def _envelope_key(catalog: Catalog) -> str:
    keys = [k for k in internals.store(catalog)._writer().iterkeys() if isinstance(k, str)]
    return next(k for k in keys if k.startswith("envelope:huggingface"))


# -- 1. a list is never silently empty -------------------------------------------------------------


def test_a_list_is_whole_even_when_every_generation_it_reaches_is_retired(monkeypatch: pytest.MonkeyPatch) -> None:
    from massgen_discovery._orchestration.generations import Generations

    catalog = Catalog(offline=True)
    whole = [r.model for r in catalog.list_models()]
    assert len(whole) > 1000
    churned = Catalog(offline=True)
    # Another process retires the reader's generation on every read, twice and more.
    monkeypatch.setattr(Generations, "_parts", lambda self, view, flag=None: None)
    monkeypatch.setattr(Generations, "repair", lambda self, view: None)
    assert [r.model for r in churned.list_models()] == whole
    assert churned.get_model("gpt-4o") is not None


# -- 2. a long validator never drops the listing -----------------------------------------------------


def test_a_validator_over_4096_characters_is_dropped_and_the_listing_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.orchestration.test_refresh_politeness import as_json

    listing = _hf_listing()
    long_tag = '"' + "e" * 5000 + '"'
    with _hf_router(lambda r: as_json(listing, headers={"ETag": long_tag, "Last-Modified": "x" * 5000})) as hf:
        monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", hf.url + "/v1")
        catalog = Catalog(sources=["litellm", "huggingface"])
        (report,) = catalog.refresh(["huggingface"])
        assert report.outcome == "ok" and report.count > 0
        envelope = internals.store(catalog).get(_envelope_key(catalog))
        assert envelope is not None and not envelope.get("validators")
        route = "huggingface/" + listing["data"][0]["id"]
        assert Catalog(sources=["litellm", "huggingface"]).get_model(route) is not None
        hits = len(hf.seen)
        Catalog(sources=["litellm", "huggingface"]).get_model(route)
        assert len(hf.seen) == hits  # fresh: no refetch on every lookup
        # A forged stored validator of any length costs the validators, never the envelope.
        internals.store(catalog).put(_envelope_key(catalog), {**envelope, "validators": {"etag": "v" * 10_000}})
        assert internals.store(catalog).get(_envelope_key(catalog)) is not None
        assert Catalog(sources=["litellm", "huggingface"]).get_model(route) is not None
        catalog.close()


# -- 3. a 304 is never trusted without its listing ----------------------------------------------------


def test_force_sends_no_validators_and_a_304_needs_the_stored_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    from werkzeug import Response

    from tests.orchestration.test_refresh_politeness import as_json

    listing = _hf_listing()

    def router(request: Any) -> Any:
        if request.headers.get("If-None-Match") == '"same"':
            return Response(status=304, headers={"ETag": '"same"'})
        return as_json(listing, headers={"ETag": '"same"'})

    with _hf_router(router) as hf:
        monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", hf.url + "/v1")
        catalog = Catalog(sources=["litellm", "huggingface"])
        assert catalog.refresh(["huggingface"])[0].outcome == "ok"
        assert catalog.refresh(["huggingface"], force=True)[0].outcome == "ok"
        assert hf.seen[-1][1].get("If-None-Match") is None  # --force asks for all of it
        assert catalog.refresh(["huggingface"])[0].outcome == "ok"
        assert hf.seen[-1][1].get("If-None-Match") == '"same"'  # otherwise a conditional GET
        # The stored listing goes (evicted, or lost on Redis): the next GET is unconditional.
        envelope = internals.store(catalog).get(_envelope_key(catalog))
        assert envelope is not None
        internals.store(catalog).delete(envelope["payload_key"])
        assert catalog.refresh(["huggingface"])[0].outcome == "ok"
        assert hf.seen[-1][1].get("If-None-Match") is None
        route = "huggingface/" + listing["data"][0]["id"]
        assert Catalog(sources=["litellm", "huggingface"]).get_model(route) is not None
        catalog.close()


def test_an_upstream_answering_304_forever_is_asked_in_full_after_a_day(
    monkeypatch: pytest.MonkeyPatch, clock: Any
) -> None:
    from werkzeug import Response

    from tests.orchestration.test_refresh_politeness import as_json

    listing = _hf_listing()
    changed = {**listing, "data": listing["data"][1:]}
    state = {"listing": listing}

    def router(request: Any) -> Any:
        if request.headers.get("If-None-Match"):
            return Response(status=304)  # says "unchanged" whatever changed
        return as_json(state["listing"], headers={"ETag": '"stuck"'})

    with _hf_router(router) as hf:
        monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", hf.url + "/v1")
        catalog = Catalog(sources=["litellm", "huggingface"])
        first = catalog.refresh(["huggingface"])[0].count
        state["listing"] = changed
        clock.advance(3600)
        assert catalog.refresh(["huggingface"])[0].count == first  # trusted within the day
        clock.advance(86_400)
        (report,) = catalog.refresh(["huggingface"], force=False)
        assert hf.seen[-1][1].get("If-None-Match") is None
        assert report.outcome == "ok" and report.count < first  # the changed listing, at last
        catalog.close()


# -- 4. an endpoint's kind is re-checked -------------------------------------------------------------


def test_an_endpoints_kind_is_rechecked_daily_and_a_catch_all_server_is_listed(clock: Any) -> None:
    from tests.orchestration.test_refresh_politeness import as_json, upstream, vllm_listing
    from tests.support import load_fixture

    state = {"proxy_up": False}

    def model_info(request: Any) -> Any:
        if not state["proxy_up"]:
            return as_json({"detail": "Not Found"}, status=404)  # a proxy still starting
        return as_json(load_fixture("litellm_proxy/model_info.json"))

    routes = {"/v1/models": lambda r: as_json(vllm_listing("gpt-4o")), "/v1/model/info": model_info}
    with upstream(routes) as box:
        catalog = Catalog(sources=["litellm"], endpoints={"box": box.url + "/v1"})
        catalog.refresh(["box"])
        state["proxy_up"] = True
        box.clear()
        catalog.refresh(["box"])
        assert "/v1/model/info" not in box.paths()  # remembered as a plain server within the day
        clock.advance(86_401)
        catalog.refresh(["box"])
        assert "/v1/model/info" in box.paths()  # asked again after a day
        box.clear()
        catalog.refresh(["box"], force=True)
        assert "/v1/model/info" in box.paths()  # and on --force
        catalog.close()

    anything = lambda r: as_json({"ok": True, "data": [{"anything": 1}]})  # noqa: E731 - 200 JSON on any path
    catch_all = {
        "/v1/models": lambda r: as_json(vllm_listing("m1", "m2")),
        "/api/v0/models": anything,
        "/v1/model/info": anything,
        "/model_group/info": anything,
    }
    with upstream(catch_all) as box:
        catalog = Catalog(sources=["litellm"], endpoints={"any": box.url + "/v1"})
        (report,) = catalog.refresh(["any"])
        assert report.outcome == "ok" and report.count == 2
        assert catalog.get_model("any/m1") is not None
        catalog.close()


# -- 5. ids no model has are dropped at parse time ----------------------------------------------------


def test_over_long_and_control_character_ids_are_dropped_with_a_note() -> None:
    source = StaticSource(
        "mylab",
        [lab("ok"), lab("x" * 300), lab("bad\x1b[31mred"), lab("line\nbreak")],
    )
    catalog = Catalog(sources=[source])
    catalog.refresh()
    assert [r.model for r in catalog.list_models("mylab")] == ["mylab/ok"]
    (status,) = [s for s in catalog.status() if s.source == "mylab"]
    assert sum("dropped" in n for n in status.notes) == 3
    assert all("\x1b" not in n and "\n" not in n for n in status.notes)


# -- 6. a forged directory row costs a bounded read -------------------------------------------------


def test_a_forged_directory_of_700000_entries_is_damage_not_a_flood(cache_dir: Any) -> None:
    import json

    from massgen_discovery._persistence.rows import MAX_PARTS, read_directory

    catalog = Catalog(offline=True)
    whole = len(catalog.list_models())
    keys = [k for k in internals.store(catalog)._writer().iterkeys() if isinstance(k, str) and k.endswith(":dir")]
    (key,) = keys
    parts = [[f"m{i:07d}", "0" * 32, 1] for i in range(700_000)]
    forged = json.dumps({"parts": parts, "aliases": [["", "0" * 32]], "lower": [["", "0" * 32]]})
    assert read_directory(forged) is None
    assert (
        read_directory(
            json.dumps({"parts": parts[: MAX_PARTS + 1], "aliases": [["", "0" * 32]], "lower": [["", "0" * 32]]})
        )
        is None
    )
    internals.store(catalog).put_raw(key, forged)
    assert len(Catalog(offline=True).list_models()) == whole  # read as damaged: rebuilt, nothing lost


# -- 7. every stored field through the gate -----------------------------------------------------------


@pytest.mark.parametrize("used_at", [1e300, math.nan, -5.0, "yesterday"])
def test_a_forged_used_at_never_crashes_cache_info(used_at: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from massgen_discovery.cli import run

    catalog = Catalog(offline=True)
    assert catalog.get_model("gpt-4o") is not None
    pointer = internals.store(catalog).get(internals.meta_key(catalog))
    assert pointer is not None
    internals.store(catalog).put_raw(
        internals.meta_key(catalog), json.dumps({**pointer, "used_at": used_at}, allow_nan=True)
    )
    capsys.readouterr()
    assert run(["cache", "info", "--json"]) == 0
    json.loads(capsys.readouterr().out)
    assert Catalog(offline=True).get_model("gpt-4o") is not None


# -- 10. celeste registers only ids celeste can call ----------------------------------------------------


def test_celeste_registers_only_callable_ids() -> None:
    from massgen_discovery._adapters.celeste import _celeste_id

    good = ["gpt-4o", "qwen3:8b", "moonshotai/Kimi-K3", "anthropic.claude-3-haiku-20240307-v1:0"]
    bad = ["../../etc/passwd", "a b", "x" * 5000, "a::b::c", "bad\x1bid", "org//model", "./m", "a:b:c:d"]
    for model_id in good:
        assert _celeste_id(lab(model_id, provider="openai", mode="chat")) == model_id
    for model_id in bad:
        assert _celeste_id(lab(model_id, provider="openai", mode="chat")) is None, model_id
    route = lab("moonshotai/Kimi-K3", provider="huggingface", mode="chat", served_by="to gether")
    assert _celeste_id(route) is None
