"""The JSON API over real HTTP on loopback: the same answers as the CLI's --json, ETags, gzip, errors."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from massgen_discovery import Catalog
from massgen_discovery.cli import run
from massgen_discovery.serve import create_app
from tests.support import load_fixture
from tests.support.serving import as_json, listing, served

HF = load_fixture("huggingface/router_v1_models.json")


@pytest.fixture
def router(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """HuggingFace's router listing (a real captured payload) on loopback."""
    with listing({"/v1/models": lambda r: as_json(HF)}) as server:
        monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", server.url_for("/v1"))
        yield server.url_for("/v1")


@pytest.fixture
def api(router: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The server over a catalog with the router fetched, on a real loopback port."""
    monkeypatch.setenv("MASSGEN_DISCOVERY_SERVE_TOKEN", "serve-token-SECRET")
    catalog = Catalog()
    catalog.refresh(["huggingface"])
    with served(create_app(catalog)) as url:
        yield url
    catalog.close()


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    run([*args, "--json"])
    return json.loads(capsys.readouterr().out)


LIST_CASES = [
    ({"tools": "true", "min_context": "128000"}, ["--tools", "--min-context", "128000"]),
    ({"provider": "huggingface", "sort": "price"}, ["-p", "huggingface", "--sort", "price"]),
    (
        {"provider": ["groq", "huggingface"], "tools": "true", "sort": "context"},
        ["-p", "groq", "-p", "huggingface", "--tools", "--sort", "context"],
    ),
    ({"q": ["llama", "70b"], "sort": "newest"}, ["-q", "llama", "-q", "70b", "--sort", "newest"]),
    ({"mode": "embedding", "max_input_cost": "0.1"}, ["--mode", "embedding", "--max-input-cost", "0.1"]),
    (
        {"mode": "all", "vision": "true", "reasoning": "true", "pdf": "true"},
        ["--mode", "all", "--vision", "--reasoning", "--pdf"],
    ),
    (
        {"structured_output": "true", "prompt_caching": "true", "max_output_cost": "20"},
        ["--structured-output", "--prompt-caching", "--max-output-cost", "20"],
    ),
    ({"available": "true", "tools": "true", "sort": "price"}, ["--available", "--tools", "--sort", "price"]),
    ({"audio_input": "true", "provider": "huggingface"}, ["--audio-input", "-p", "huggingface"]),
]


@pytest.mark.parametrize(("params", "args"), LIST_CASES)
def test_models_are_list_json_in_the_same_order(
    api: str, capsys: pytest.CaptureFixture[str], params: dict[str, Any], args: list[str]
) -> None:
    answer = httpx.get(api + "/v1/models", params=params).json()
    expected = cli_json(capsys, "list", *args)  # [] (exit 1) when nothing matches
    assert answer["object"] == "list"
    assert answer["total"] == len(expected)
    assert [m["id"] for m in answer["data"]] == [r["model"] for r in expected]
    for item, record in zip(answer["data"], expected, strict=True):
        assert item["object"] == "model" and item["owned_by"] == record["provider"]
        assert {k: v for k, v in item.items() if k not in ("id", "object", "owned_by")} == record


def test_limit_and_offset_page_the_same_order(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    whole = httpx.get(api + "/v1/models", params={"tools": "true"}).json()
    page = httpx.get(api + "/v1/models", params={"tools": "true", "limit": 7, "offset": 5}).json()
    assert page["total"] == whole["total"] > 12
    assert [m["id"] for m in page["data"]] == [m["id"] for m in whole["data"][5:12]]
    limited = cli_json(capsys, "list", "--tools", "--limit", "7")
    assert [m["id"] for m in whole["data"][:7]] == [r["model"] for r in limited]


def test_a_route_with_slashes_is_show_json(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    route = next(
        m["id"]
        for m in httpx.get(api + "/v1/models", params={"provider": "huggingface"}).json()["data"]
        if m["id"].count("/") >= 3
    )
    answer = httpx.get(f"{api}/v1/models/{route}")
    assert answer.status_code == 200
    assert answer.json() == cli_json(capsys, "show", route)
    assert httpx.get(api + "/v1/models/gpt-4o").json() == cli_json(capsys, "show", "gpt-4o")


def test_an_unknown_model_is_404_with_suggestions(api: str) -> None:
    answer = httpx.get(api + "/v1/models/openai/gpt-4oo")
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert "unknown model 'openai/gpt-4oo'" in error["message"]
    assert "openai/gpt-4o" in error["suggestions"]


def test_cost_is_cost_json(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    params = {
        "model": "gemini/gemini-2.5-pro",
        "input": "300k",
        "output": "2000",
        "cached": "1000",
        "service_tier": "standard",
    }
    answer = httpx.get(api + "/v1/cost", params=params)
    assert answer.status_code == 200
    expected = cli_json(
        capsys, "cost", "gemini/gemini-2.5-pro", "--input", "300k", "--output", "2000", "--cached", "1000"
    )
    assert answer.json() == expected
    assert expected["context_tier"] is not None  # the >200k tier priced the whole call


def test_a_rate_no_source_states_is_422_naming_it(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    # A model with input and output rates but no cache-read rate, asked to price cached tokens.
    models = httpx.get(api + "/v1/models", params={"provider": "groq", "max_input_cost": "100"}).json()["data"]
    model = next(m["id"] for m in models if m["cache_read_input_token_cost"] is None)
    answer = httpx.get(api + "/v1/cost", params={"model": model, "input": 100, "output": 10, "cached": 50})
    assert answer.status_code == 422
    assert "cache_read_input_token_cost" in answer.json()["error"]["message"]
    capsys.readouterr()
    assert run(["cost", model, "--input", "100", "--output", "10", "--cached", "50"]) == 1


def test_changes_audit_and_providers_are_the_commands_json(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert httpx.get(api + "/v1/audit", params={"field": "max_input_tokens"}).json() == cli_json(
        capsys, "audit", "--field", "max_input_tokens"
    )
    assert httpx.get(api + "/v1/changes", params={"provider": "huggingface"}).json() == cli_json(
        capsys, "changes", "-p", "huggingface"
    )
    served_rows = httpx.get(api + "/v1/providers").json()
    cli_rows = cli_json(capsys, "providers")
    assert served_rows == cli_rows
    assert next(r for r in served_rows if r["provider"] == "huggingface")["models"] > 0


def test_etag_304_cache_control_and_gzip(api: str) -> None:
    url = api + "/v1/models?tools=true&min_context=128000"
    first = httpx.get(url, headers={"Accept-Encoding": "identity"})
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = httpx.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert httpx.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as raw:
        assert raw.headers["content-encoding"] == "gzip"
        body = gzip.decompress(b"".join(raw.iter_raw()))
    assert body == first.content
    for path in ("/v1/providers", "/health", "/openapi.json", "/v1/models/gpt-4o", "/", "/changes.atom"):
        answer = httpx.get(api + path)
        assert answer.status_code == 200, path
        assert answer.headers["etag"] and answer.headers["cache-control"], path


BAD = [
    ("/v1/models", {"min_context": "lots"}, "min_context"),
    ("/v1/models", {"min_context": "-5"}, "min_context"),
    ("/v1/models", {"max_input_cost": "nan"}, "max_input_cost"),
    ("/v1/models", {"max_output_cost": "-1"}, "max_output_cost"),
    ("/v1/models", {"tools": "maybe"}, "tools"),
    ("/v1/models", {"sort": "cheapest"}, "sort"),
    ("/v1/models", {"limit": "0"}, "limit"),
    ("/v1/models", {"offset": "x"}, "offset"),
    ("/v1/models", {"min_contxt": "128000"}, "min_contxt"),
    ("/v1/models", {"mode": "<script>"}, "mode"),
    ("/v1/models", {"q": "x" * 600}, "q"),
    ("/v1/cost", {"model": "gpt-4o"}, "input"),
    ("/v1/cost", {"input": "10"}, "model"),
    ("/v1/cost", {"model": "gpt-4o", "input": "1e400"}, "input"),
    ("/v1/cost", {"model": "gpt-4o", "input": "10", "service_tier": "gold"}, "service_tier"),
    ("/v1/cost", {"model": "gpt-4o", "input": "10", "cache_ttl": "2d"}, "cache_ttl"),
    ("/v1/changes", {"since": "yesterday-ish"}, "since"),
    ("/v1/changes", {"last": "0"}, "last"),
]


@pytest.mark.parametrize(("path", "params", "name"), BAD)
def test_bad_parameters_are_400_naming_them(api: str, path: str, params: dict[str, str], name: str) -> None:
    answer = httpx.get(api + path, params=params)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert name in error["message"]
    if "param" in error:
        assert error["param"] == name


def test_any_page_may_read_the_api_but_not_refresh_it(api: str) -> None:
    answer = httpx.get(api + "/v1/models?limit=1", headers={"Origin": "https://example.test"})
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "etag" in answer.headers["access-control-expose-headers"].lower()
    preflight = httpx.options(
        api + "/v1/models",
        headers={"Origin": "https://example.test", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "if-none-match"},
    )  # fmt: skip
    assert preflight.status_code == 200
    refused = httpx.options(
        api + "/v1/refresh",
        headers={"Origin": "https://example.test", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization"},
    )  # fmt: skip
    assert refused.status_code == 400  # a page elsewhere cannot send the token


def test_unknown_paths_and_methods_are_json_errors(api: str) -> None:
    assert httpx.get(api + "/v2/nothing").status_code == 404
    assert "error" in httpx.get(api + "/v2/nothing").json()
    assert httpx.delete(api + "/v1/models").status_code == 405


def test_refresh_needs_the_token(api: str, router: str) -> None:
    assert httpx.post(api + "/v1/refresh").status_code == 401
    wrong = httpx.post(api + "/v1/refresh", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "SECRET" not in wrong.text
    ok = httpx.post(api + "/v1/refresh?source=huggingface", headers={"Authorization": "Bearer serve-token-SECRET"})
    assert ok.status_code == 200, ok.text
    assert [(r["source"], r["outcome"]) for r in ok.json()] == [("huggingface", "ok")]
    assert "SECRET" not in ok.text
    bad = httpx.post(api + "/v1/refresh?source=nosuch", headers={"Authorization": "Bearer serve-token-SECRET"})
    assert bad.status_code == 400 and "nosuch" in bad.json()["error"]["message"]


def test_refresh_without_a_token_set_is_refused(router: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASSGEN_DISCOVERY_SERVE_TOKEN", raising=False)
    with served(create_app(Catalog(offline=True))) as url:
        answer = httpx.post(url + "/v1/refresh", headers={"Authorization": "Bearer anything"})
    assert answer.status_code == 403
    assert "MASSGEN_DISCOVERY_SERVE_TOKEN" in answer.json()["error"]["message"]


def test_openapi_names_every_path(api: str) -> None:
    spec = httpx.get(api + "/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in ("/v1/models", "/v1/models/{model}", "/v1/cost", "/v1/changes", "/v1/audit", "/v1/providers",
                 "/v1/refresh", "/health", "/openapi.json", "/litellm/model_prices_and_context_window.json",
                 "/models.dev/api.json", "/openrouter/api/v1/models", "/", "/models/{model}", "/compare",
                 "/changes.atom"):  # fmt: skip
        assert path in spec["paths"], path
    names = {p["name"] for p in spec["paths"]["/v1/models"]["get"]["parameters"]}
    assert {"provider", "tools", "min_context", "max_input_cost", "sort", "q", "limit", "offset"} <= names


def test_no_answer_carries_a_credential(router: str, monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> None:
    secret = "hf_SERVE_LEAK_CHECK_0123456789"
    monkeypatch.setenv("HF_TOKEN", secret)
    monkeypatch.setenv("GROQ_API_KEY", "gsk_SERVE_LEAK_CHECK")
    monkeypatch.setenv("MASSGEN_DISCOVERY_SERVE_TOKEN", "tok_SERVE_LEAK_CHECK")
    catalog = Catalog()
    with served(create_app(catalog)) as url:
        bodies = [
            httpx.post(url + "/v1/refresh", headers={"Authorization": "Bearer tok_SERVE_LEAK_CHECK"}).text,
            *(
                httpx.get(url + path).text
                for path in (
                    "/v1/models?mode=all",
                    "/v1/providers",
                    "/health",
                    "/",
                    "/changes.atom",
                    "/v1/changes",
                    "/litellm/model_prices_and_context_window.json",
                    "/models.dev/api.json",
                    "/openrouter/api/v1/models",
                    "/v1/audit",
                )
            ),
        ]
    catalog.close()
    for body in bodies:
        assert "SERVE_LEAK_CHECK" not in body


def test_an_answer_follows_a_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refresh that changes the listing changes the answer and its tag: nothing stale is served."""
    current = {"listing": HF}
    with listing({"/v1/models": lambda r: as_json(current["listing"])}) as server:
        monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", server.url_for("/v1"))
        monkeypatch.setenv("MASSGEN_DISCOVERY_SERVE_TOKEN", "t0ken")
        catalog = Catalog()
        with served(create_app(catalog)) as url:
            before = httpx.get(url + "/v1/models", params={"provider": "huggingface", "mode": "all"})
            assert before.json()["total"] > 1
            current["listing"] = {**HF, "data": HF["data"][1:]}
            refreshed = httpx.post(
                url + "/v1/refresh",
                params={"source": "huggingface", "force": "true"},
                headers={"Authorization": "Bearer t0ken"},
            )
            assert refreshed.status_code == 200 and refreshed.json()[0]["outcome"] == "ok", refreshed.text
            after = httpx.get(url + "/v1/models", params={"provider": "huggingface", "mode": "all"})
            stale = httpx.get(url + "/v1/models", params={"provider": "huggingface", "mode": "all"},
                              headers={"If-None-Match": before.headers["etag"]})  # fmt: skip
        catalog.close()
    assert after.json()["total"] < before.json()["total"]
    assert after.headers["etag"] != before.headers["etag"]
    assert stale.status_code == 200
