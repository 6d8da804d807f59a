"""A newcomer's second hour: narrow terminals, provider second names, honest JSON and help."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from massgen_discovery import Catalog
from massgen_discovery._domain.display import format_tokens
from massgen_discovery.cli import run


def _lines_at_80(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> list[str]:
    monkeypatch.setenv("COLUMNS", "80")
    capsys.readouterr()
    run([*argv, "--offline"])
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    return lines


def test_audit_at_80_columns_keeps_model_and_field_whole(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`audit` at 80 columns: every model string and field name appears whole (values wrap instead)."""
    disagreements = Catalog(offline=True).audit()
    assert disagreements
    text = "\n".join(_lines_at_80(capsys, monkeypatch, "audit"))
    for d in disagreements[:40]:
        for key in (d.model, d.field):
            if len(key) <= 28:  # longer ones wrap onto the next line, still uncut
                assert key in text, key
    assert "…" not in text.split("\n")[1].split()[0]


def test_show_at_80_columns_keeps_the_source_column(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`show` at 80 columns keeps field, value and source: the source is what `show` is for."""
    lines = _lines_at_80(capsys, monkeypatch, "show", "gemini/gemini-2.5-pro")
    assert lines[1].split() == ["field", "value", "source"]
    row = next(line for line in lines if line.startswith("max_input_tokens "))
    assert row.split()[-1] == "litellm"


def test_provider_second_names_list_their_provider(capsys: pytest.CaptureFixture[str]) -> None:
    """`list -p together` and `-p google` (the README's own words) list together_ai's and gemini's models."""
    for typed, provider in (("together", "together_ai"), ("google", "gemini"), ("claude", "anthropic")):
        assert run(["list", "-p", typed, "--offline", "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows and {r["provider"] for r in rows} == {provider}
    assert Catalog(offline=True).find_models(provider="google") == Catalog(offline=True).find_models(provider="gemini")


def test_refresh_ollama_json_says_not_running_like_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """No Ollama: `refresh ollama --json` says "not_running" and exits 0, as the table does."""
    assert run(["refresh", "ollama", "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["outcome"] == "not_running" and "not running at" in report["error"]


def test_cost_json_totals_are_clean_and_an_oversized_prompt_is_said(capsys: pytest.CaptureFixture[str]) -> None:
    """Totals carry no float noise (0.03, not 0.030000000000000002); a prompt over the window gets a note."""
    record = Catalog(offline=True).get_model("gpt-4o")
    assert record is not None and record.max_input_tokens is not None
    assert run(["cost", "gpt-4o", "--input", "10000", "--output", "500", "--offline", "--json"]) == 0
    out = capsys.readouterr().out
    for figure in re.findall(r'"(?:total|[a-z_]*cost)": ([0-9.e-]+)', out):
        assert len(figure.replace("0.", "").lstrip("0")) <= 14, figure
    too_big = str(record.max_input_tokens * 2)
    assert run(["cost", "gpt-4o", "--input", too_big, "--offline", "--json"]) == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any("over openai/gpt-4o's context window" in n for n in notes)
    assert run(["cost", "gpt-4o", "--input", too_big, "--offline"]) == 0
    assert "the provider would refuse this call" in capsys.readouterr().out


def test_token_counts_never_read_1000k() -> None:
    """999,990 is 1M to a reader, not 1000k; nearby figures keep their units."""
    assert [format_tokens(n) for n in (999_990, 999_499, 128_000, 131_072, 1_050_000)] == [
        "1M",
        "999k",
        "128k",
        "128k",
        "1.05M",
    ]


def test_help_has_no_raw_markup(capsys: pytest.CaptureFixture[str]) -> None:
    """No command's --help shows reST markup (``x``)."""
    for command in ("list", "show", "cost", "refresh", "providers", "audit", "changes", "check", "serve", "history"):
        assert run([command, "--help"]) == 0
        assert "``" not in capsys.readouterr().out, command


def test_cache_info_names_a_configuration_by_its_sources(capsys: pytest.CaptureFixture[str]) -> None:
    """`cache info` says what the oldest configuration is made of, not only its id."""
    assert run(["list", "--offline", "--json"]) == 0
    capsys.readouterr()
    assert run(["cache", "info"]) == 0
    oldest = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("oldest"))
    assert "litellm" in oldest and "huggingface" in oldest and "(id " in oldest
    assert run(["cache", "info", "--json"]) == 0
    assert "litellm" in json.loads(capsys.readouterr().out)["oldest"]["sources"]


def test_ollama_cloud_models_from_the_map_have_unknown_prices() -> None:
    """LiteLLM's map gives ollama.com's "-cloud" models 0; they are metered there: unknown, never free."""
    cloud = [r for r in Catalog(offline=True).list_models("ollama") if r.model_id.endswith(("-cloud", ":cloud"))]
    for record in cloud:
        assert record.input_cost_per_token is None and record.output_cost_per_token is None, record.model


def test_unknown_route_while_the_router_is_down_names_the_router(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`show` of an HF route when the router did not answer says so, as `list` does."""
    assert run(["show", "huggingface/moonshotai/Kimi-K3:together"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"^huggingface: cannot reach ", err, re.M), err
