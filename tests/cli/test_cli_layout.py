"""The CLI as people see it: tables in a real terminal (a pty at 80 and 200 columns), empty answers
that say why, suggestions, the cost calculator and refresh's exit codes."""

from __future__ import annotations

import fcntl
import json
import os
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from massgen_discovery.cli import run

from ..support import DEAD_URL, load_fixture

SCRIPT = Path(sys.executable).parent / "massgen-discovery"


def _in_terminal(args: list[str], columns: int, env: dict[str, str]) -> str:
    """Run the console script with its stdout on a real pseudo-terminal ``columns`` wide."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    clean = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen([str(SCRIPT), *args], stdout=slave, stderr=subprocess.PIPE, env=clean)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.stderr is not None
    with proc.stderr:
        err = proc.stderr.read()
    assert proc.wait(timeout=120) == 0, err
    return b"".join(chunks).decode().replace("\r\n", "\n")


@pytest.fixture
def warm_env(cache_dir: Path) -> dict[str, str]:
    env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": str(cache_dir), "MASSGEN_DISCOVERY_OFFLINE": "1"}
    assert run(["list", "--offline", "--json"]) == 0  # build the cache once
    return env


@pytest.mark.parametrize("columns", [80, 200])
def test_list_fits_a_real_terminal_one_line_per_model(
    columns: int, warm_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """At 80 and 200 columns: every line fits, one line per model, prices and contexts whole, a footer."""
    capsys.readouterr()
    out = _in_terminal(["list", "--mode", "all", "--limit", "60"], columns, warm_env)
    lines = out.rstrip("\n").split("\n")
    assert all(len(line) <= columns for line in lines), max(lines, key=len)
    assert all(line == line.rstrip() for line in lines)
    header, *rows, footer = lines
    assert len(rows) == 60 and re.fullmatch(r"showing 60 of [\d,]+ models", footer)
    assert "context" in header and "$/1M in" in header and "$/1M out" in header
    for row in rows:
        price = row.split()[-1] if columns == 80 else row
        assert "…" not in price
    if columns == 200:
        assert "mode" in header and "flags" in header and "provider" in header


def test_providers_keeps_the_last_error_at_80_columns(warm_env: dict[str, str]) -> None:
    """providers at 80 columns: the last error column stays (shortened), the others drop first."""
    out = _in_terminal(["providers"], 80, warm_env)
    header = out.split("\n", 1)[0]
    assert header.split()[:2] == ["provider", "listing"] and header.endswith("last error")
    assert all(len(line) <= 80 for line in out.splitlines())


def test_without_a_terminal_columns_or_80(cache_dir: Path) -> None:
    """Piped: COLUMNS when set, else 80."""
    env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": str(cache_dir), "MASSGEN_DISCOVERY_OFFLINE": "1"}
    env.pop("COLUMNS", None)
    plain = subprocess.run([str(SCRIPT), "list", "--limit", "30"], capture_output=True, text=True, env=env, timeout=120)
    assert plain.returncode == 0 and max(len(line) for line in plain.stdout.splitlines()) <= 80
    wide = subprocess.run([str(SCRIPT), "list", "--limit", "30"], capture_output=True, text=True,
                          env={**env, "COLUMNS": "150"}, timeout=120)  # fmt: skip
    assert max(len(line) for line in wide.stdout.splitlines()) <= 150
    assert wide.stdout.splitlines()[0] != plain.stdout.splitlines()[0]  # more columns fit


def test_plain_list_shows_chat_models_and_all_shows_every_mode(capsys: pytest.CaptureFixture[str]) -> None:
    """No --mode: chat, responses and completion; --mode all: every mode; a mode column when modes differ."""
    assert run(["list", "-p", "openai", "--json"]) == 0
    chat = json.loads(capsys.readouterr().out)
    assert chat and {r["mode"] for r in chat} <= {"chat", "responses", "completion"}
    assert run(["list", "-p", "openai", "--mode", "all", "--json"]) == 0
    every = json.loads(capsys.readouterr().out)
    assert {"image_generation", "embedding"} <= {r["mode"] for r in every}
    assert run(["list", "-p", "openai", "--mode", "embedding", "--json"]) == 0
    assert {r["mode"] for r in json.loads(capsys.readouterr().out)} == {"embedding"}
    os.environ["COLUMNS"] = "200"
    try:
        assert run(["list", "-p", "openai"]) == 0
    finally:
        del os.environ["COLUMNS"]
    assert "mode" in capsys.readouterr().out.splitlines()[0].split()


def test_new_filters_and_long_query(capsys: pytest.CaptureFixture[str]) -> None:
    """--prompt-caching, --pdf, --audio-input and -q/--query filter like the Python API."""
    for flag, field in (("--prompt-caching", "supports_prompt_caching"), ("--pdf", "supports_pdf_input"),
                        ("--audio-input", "supports_audio_input")):  # fmt: skip
        assert run(["list", flag, "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows and all(r[field] is True for r in rows)
    assert run(["list", "--query", "gpt-4o", "--query", "mini", "--json"]) == 0
    assert all("gpt-4o" in r["model"] and "mini" in r["model"] for r in json.loads(capsys.readouterr().out))


def test_empty_list_says_which_source_failed_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    """An unreachable router or endpoint: one stderr line naming the source and the reason."""
    assert run(["list", "--provider", "huggingface"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"^huggingface: cannot reach http://127\.0\.0\.1:9/v1\S* \(", err, re.M), err
    assert run(["list", "--endpoint", f"lab={DEAD_URL}", "--provider", "lab"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"^lab: cannot reach ", err, re.M) and "no models match" in err


def test_suggestions_rank_the_obvious_match_first(capsys: pytest.CaptureFixture[str]) -> None:
    """gpt-4oo -> openai/gpt-4o first (first-party before resellers); an id under another prefix is exact."""
    assert run(["show", "gpt-4oo", "--offline"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("did you mean: openai/gpt-4o,")
    assert run(["show", "mistralai/gpt-4o", "--offline"]) == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith("did you mean: openai/gpt-4o")


def test_cost_prices_each_part_and_never_prints_zero_for_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    """cost MODEL --input --output --cached --reasoning: parts and total in USD; unknown price exits 1."""
    from massgen_discovery import Catalog

    record = Catalog(offline=True).get_model("gpt-4o")
    assert record is not None and record.input_cost_per_token and record.output_cost_per_token
    assert record.cache_read_input_token_cost is not None
    assert run(["cost", "gpt-4o", "--input", "1.2k", "--output", "300", "--cached", "1000", "--reasoning", "50",
                "--json", "--offline"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "openai/gpt-4o" and data["input_tokens"] == 1200 and data["output_tokens"] == 300
    assert data["input_cost"] == pytest.approx(1200 * record.input_cost_per_token)
    assert data["cached_cost"] == pytest.approx(1000 * record.cache_read_input_token_cost)
    assert data["output_cost"] == pytest.approx(300 * record.output_cost_per_token)
    assert data["reasoning_cost"] == pytest.approx(50 * record.output_cost_per_token)
    assert data["total"] == pytest.approx(
        data["input_cost"] + data["cached_cost"] + data["output_cost"] + data["reasoning_cost"]
    )
    assert run(["cost", "gpt-4o", "--input", "1000", "--output", "100", "--offline"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^total\s+1,100\s+\$0\.\d{6}$", out, re.M), out
    assert run(["cost", "openai/container", "--input", "10", "--offline"]) == 1
    captured = capsys.readouterr()
    assert "input price" in captured.err and "unknown" in captured.err and "$0" not in captured.out


def test_refresh_exit_codes(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A local server not running is not a failure, named or not (the README's table); a configured source that fails is."""
    httpserver.expect_request("/hf/v1/models").respond_with_json(load_fixture("huggingface/router_v1_models.json"))
    httpserver.expect_request("/or/v1/models").respond_with_json(
        load_fixture("openrouter/api_v1_models.genai-prices.json")
    )
    monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL", httpserver.url_for("/hf/v1"))
    monkeypatch.setenv("MASSGEN_DISCOVERY_OPENROUTER_BASE_URL", httpserver.url_for("/or/v1"))
    # models.dev, the other public listing: part of its real catalog (the package's snapshot)
    from massgen_discovery.sources.modelsdev import bundled_snapshot

    httpserver.expect_request("/md/api.json").respond_with_json({"openai": (bundled_snapshot() or {})["openai"]})
    monkeypatch.setenv("MASSGEN_DISCOVERY_MODELSDEV_BASE_URL", httpserver.url_for("/md"))
    monkeypatch.setenv("COLUMNS", "200")
    assert run(["refresh"]) == 0  # Ollama (a closed loopback port) is just not running
    out = capsys.readouterr().out
    assert re.search(r"^ollama\s+not running\s", out, re.M), out
    assert run(["refresh", "ollama"]) == 0  # named: not running is a state, not a failure
    capsys.readouterr()
    monkeypatch.setenv("MASSGEN_DISCOVERY_OPENROUTER_BASE_URL", DEAD_URL)
    assert run(["refresh"]) == 1  # a configured hosted source failed
    assert re.search(r"^openrouter\s+(failed|stale)\s", capsys.readouterr().out, re.M)
