from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from massgen_discovery.cli import format_price, format_tokens, run


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert run([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_list_json_is_the_records_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`list --json` prints ModelRecord.model_dump(mode='json') of every match, filters applied."""
    from massgen_discovery import Catalog

    data = run_json(capsys, "list", "--tools", "--min-context", "128000", "--provider", "groq")
    assert isinstance(data, list) and data
    expected = Catalog().find_models(tools=True, min_context=128000, providers=["groq"])
    assert data == [r.model_dump(mode="json") for r in expected]


def test_list_filters_sort_and_limit(capsys: pytest.CaptureFixture[str]) -> None:
    """--sort price puts the cheapest known input price first and --limit cuts; -q terms must all match."""
    data = run_json(capsys, "list", "--provider", "openai", "--mode", "chat", "--sort", "price", "--limit", "5")
    assert isinstance(data, list) and len(data) == 5
    prices = [d["input_cost_per_token"] for d in data]
    assert prices == sorted(p for p in prices if p is not None)
    data = run_json(capsys, "list", "-q", "gpt", "-q", "mini", "--max-input-cost", "1")
    assert isinstance(data, list) and data
    for d in data:
        assert "gpt" in d["model"] and "mini" in d["model"]
        assert d["input_cost_per_token"] is not None and d["input_cost_per_token"] * 1e6 <= 1


def test_list_human_table_shows_context_and_prices_per_million(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The human table shows 128k for 131072 and $0.15 for 1.5e-07 per token; flags say the option names."""
    monkeypatch.setenv("COLUMNS", "200")
    assert run(["list", "-q", "groq/openai/gpt-oss-120b"]) == 0
    out = capsys.readouterr().out
    header, *rows = out.strip().splitlines()
    assert header.split() == ["model", "provider", "context", "max", "out", "$/1M", "in", "$/1M", "out", "flags"]
    row = next(r for r in rows if r.startswith("groq/openai/gpt-oss-120b "))
    assert "128k" in row and "$0.15" in row and "tools" in row
    assert all(line == line.rstrip() for line in out.splitlines())


def test_show_json_and_human(capsys: pytest.CaptureFixture[str]) -> None:
    """`show` prints every field with its source; --json prints the record."""
    data = run_json(capsys, "show", "groq/openai/gpt-oss-120b")
    assert isinstance(data, dict) and data["model"] == "groq/openai/gpt-oss-120b"
    assert data["provenance"]["max_input_tokens"] == "litellm"
    assert run(["show", "groq/openai/gpt-oss-120b"]) == 0
    out = capsys.readouterr().out
    assert "max_input_tokens" in out and "litellm" in out and "supports_vision" in out and "unknown" in out


def test_unknown_model_exits_1_with_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown model: exit 1, close matches on stderr, nothing on stdout."""
    assert run(["show", "openai/gpt-4oo"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown model 'openai/gpt-4oo'" in captured.err
    assert "openai/gpt-4o" in captured.err


def test_nothing_found_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A list that matches nothing exits 1; --json still prints a JSON array."""
    assert run(["list", "-q", "no-such-model-anywhere", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    assert "no models match" in captured.err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["list", "--bogus"], "No such option"),
        (["list", "--sort", "cost"], "'cost' is not one of"),
        (["list", "--min-context", "lots"], "not a token count"),
        (["frobnicate"], "No such command"),
        (["refresh", "nope"], "unknown source nope"),
    ],
)
def test_bad_usage_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    """Bad flags and values exit 2 with a one-line reason on stderr."""
    assert run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_json_and_offline_accepted_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    """--json and --offline work before the command and after it, for every command."""
    for argv in (
        ["--json", "--offline", "providers"],
        ["providers", "--json", "--offline"],
        ["--offline", "refresh", "--json"],
        ["cache", "path", "--json", "--offline"],
        ["show", "gpt-4o", "--offline", "--json"],
        ["list", "--limit", "1", "--offline", "--json"],
    ):
        assert run(argv) == 0, argv
        json.loads(capsys.readouterr().out)


def test_providers_and_refresh(capsys: pytest.CaptureFixture[str]) -> None:
    """providers lists every provider with its listing and env var; refresh reports each source."""
    rows = run_json(capsys, "providers")
    assert isinstance(rows, list)
    groq = next(r for r in rows if r["provider"] == "groq")
    assert groq["env_var"] == "GROQ_API_KEY" and groq["models"] > 0 and groq["listing"].startswith("bundled only")
    reports = run_json(capsys, "refresh", "litellm")
    assert reports == [
        {
            "source": "litellm",
            "outcome": "ok",
            "count": reports[0]["count"],
            "seconds": reports[0]["seconds"],
            "error": None,
            "changes": 0,
        }
    ]
    assert run(["refresh", "--json"]) == 1  # the unserved live sources fail: exit 1, reports still printed
    reports = json.loads(capsys.readouterr().out)
    # Ollama on a closed port is "not_running" in the JSON as in the table, not a failure.
    assert [r["outcome"] for r in reports] == ["ok"] + [
        "not_running" if r["source"] == "ollama" else "failed" for r in reports[1:]
    ]


def test_cache_path_and_clear(capsys: pytest.CaptureFixture[str], cache_dir: Path) -> None:
    """cache path prints MASSGEN_DISCOVERY_CACHE_DIR; cache clear empties it."""
    assert run(["cache", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(cache_dir)
    assert run(["show", "gpt-4o", "--json"]) == 0
    capsys.readouterr()
    data = run_json(capsys, "cache", "clear")
    assert isinstance(data, dict) and data["removed"] > 0


def test_formatting() -> None:
    """Contexts as people say them, prices per 1M with 3 significant digits, unknown '?', zero 'free'."""
    assert [format_tokens(v) for v in (None, 512, 8192, 32768, 128000, 131072, 200000, 1048576, 1000000, 2000000, 1050000)] == [
        "?", "512", "8k", "32k", "128k", "128k", "200k", "1M", "1M", "2M", "1.05M",
    ]  # fmt: skip
    assert [format_price(v) for v in (None, 0.0, 1.5e-7, 3e-6, 7.5e-8, 0.0015, 9.041e-8, 1.613e-6, float("nan"))] == [
        "?", "free", "$0.15", "$3.00", "$0.075", "$1,500", "$0.0904", "$1.61", "?",
    ]  # fmt: skip


def test_real_console_script_offline_with_no_network(cache_dir: Path) -> None:
    """The installed console script and python -m answer the README's main command offline."""
    env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": str(cache_dir), "MASSGEN_DISCOVERY_OFFLINE": "1"}
    script = Path(sys.executable).parent / "massgen-discovery"
    out = subprocess.run(
        [str(script), "list", "--tools", "--min-context", "128000"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].split()[0] == "model" and "context" in lines[0] and len(lines) > 50
    out = subprocess.run(
        [sys.executable, "-m", "massgen_discovery", "show", "groq/openai/gpt-oss-120b", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["model"] == "groq/openai/gpt-oss-120b"


def test_providers_shows_endpoints_as_live_sources(capsys: pytest.CaptureFixture[str], httpserver: object) -> None:
    """A working endpoint is a live source with its last refresh; a failing one is listed with its error."""
    from pytest_httpserver import HTTPServer

    from ..support import DEAD_URL

    assert isinstance(httpserver, HTTPServer)
    httpserver.expect_request("/v1/models").respond_with_json(
        {"object": "list", "data": [{"id": "m1", "object": "model"}]}
    )
    good = httpserver.url_for("/v1")
    assert run(["refresh", "--endpoint", f"lab={good}", "--endpoint", f"down={DEAD_URL}", "lab", "down", "--json"]) in (
        0,
        1,
    )
    capsys.readouterr()
    rows = run_json(capsys, "providers", "--endpoint", f"lab={good}", "--endpoint", f"down={DEAD_URL}")
    assert isinstance(rows, list)
    lab = next(r for r in rows if r["provider"] == "lab")
    assert lab["listing"].startswith("live") and lab["last_refresh"] and lab["models"] == 1 and lab["error"] is None
    assert lab["env_var"] == "MASSGEN_DISCOVERY_LAB_API_KEY"
    down = next(r for r in rows if r["provider"] == "down")
    assert down["listing"] == "unreachable" and down["error"] and "cannot reach" in down["error"]
