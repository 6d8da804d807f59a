"""``check``: each finding true of the catalog (unknown to ``show``, dates and successors stated), exit codes, formats."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from massgen_discovery import Catalog
from massgen_discovery.check import check_configs
from massgen_discovery.cli import run
from massgen_discovery.records import ModelRecord
from tests.support import DEAD_URL

ROOT = Path(__file__).resolve().parents[2]


def _plain_chat(catalog: Catalog, provider: str) -> ModelRecord:
    """A chat model of ``provider`` with both prices and no deprecation, whatever the installed map holds."""
    return next(
        r
        for r in catalog.list_models(provider)
        if r.mode == "chat"
        and r.input_cost_per_token is not None
        and r.output_cost_per_token is not None
        and not r.deprecation_date
        and r.status != "deprecated"
        and r.available is not False
    )


def _dated(catalog: Catalog) -> ModelRecord:
    return next(
        r for r in catalog.list_models() if r.deprecation_date and r.provider in ("openai", "anthropic", "gemini")
    )


def _massgen_config(tmp_path: Path, backends: list[tuple[str, str] | tuple[str, str, str]]) -> Path:
    lines = ["agents:"]
    for i, backend in enumerate(backends):
        kind, model, *base = backend
        lines += [f"  - id: agent{i}", "    backend:", f"      type: {kind}", f'      model: "{model}"']
        lines += [f"      base_url: {base[0]}"] if base else []
    path = tmp_path / "massgen.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_clean_config_has_no_findings_and_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A MassGen config naming a current, priced model: nothing to report, exit 0."""
    record = _plain_chat(Catalog(offline=True), "openai")
    path = _massgen_config(tmp_path, [("openai", record.model_id)])
    assert run(["check", "--offline", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["findings"] == [] and data["models"] == 1 and data["files"] == 1 and data["failed"] is False


def test_an_unknown_name_is_unknown_to_show_with_suggestions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo is an error with file, line and suggestions; the name it gives is one `show` does not know; exit 1."""
    catalog = Catalog(offline=True)
    record = _plain_chat(catalog, "openai")
    path = _massgen_config(tmp_path, [("openai", record.model_id), ("openai", record.model_id + "-typo")])
    assert run(["check", "--offline", "--json", str(path)]) == 1
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert finding["code"] == "unknown" and finding["level"] == "error"
    assert (finding["file"], finding["line"]) == (str(path), 9)
    assert finding["name"] == f"openai/{record.model_id}-typo"
    assert record.model in finding["suggestions"]
    assert catalog.get_model(finding["name"]) is None
    assert run(["show", "--offline", finding["name"]]) == 1


def test_retired_and_deprecated_by_the_date_with_the_successor(tmp_path: Path) -> None:
    """Past its deprecation date a model is retired (error, exit 1); before it, deprecated (warning); the date is given."""
    catalog = Catalog(offline=True)
    record = _dated(catalog)
    assert record.deprecation_date is not None
    when = date.fromisoformat(record.deprecation_date[:10])
    path = _massgen_config(tmp_path, [(record.provider, record.model_id)])
    if record.provider == "gemini":
        path = _massgen_config(tmp_path, [("gemini", record.model_id)])
    after = check_configs([str(path)], catalog, now=datetime.combine(when + timedelta(days=1), datetime.min.time()))
    (retired,) = after.findings
    assert (retired.code, retired.level, retired.deprecation_date) == ("retired", "error", record.deprecation_date)
    assert after.failed and record.deprecation_date in retired.message
    before = check_configs([str(path)], catalog, now=datetime.combine(when - timedelta(days=30), datetime.min.time()))
    (deprecated,) = before.findings
    assert (deprecated.code, deprecated.level) == ("deprecated", "warning") and not before.failed
    from massgen_discovery.sources.litellm_map import successors

    assert deprecated.successor == successors().get(record.model)
    if deprecated.successor:
        assert deprecated.successor in deprecated.message


def test_unlisted_and_price_unknown_are_warnings(tmp_path: Path) -> None:
    """A model its live listing left out, and one with no price (MassGen would show NaN): warnings, exit 0."""
    base = Catalog(offline=True)
    record = _plain_chat(base, "groq")
    catalog = Catalog(offline=True, overrides={record.model: {"available": False}})
    config = tmp_path / "config.yaml"
    config.write_text(f"model_list:\n  - model_name: x\n    litellm_params:\n      model: {record.model}\n")
    report = check_configs([str(config)], catalog)
    assert [f.code for f in report.findings] == ["unlisted"] and not report.failed
    from massgen_discovery.testing import StaticSource

    unpriced = ModelRecord(model="mylab/m", provider="mylab", model_id="m", mode="chat", sources=["mylab"])
    lab = Catalog(sources=[StaticSource("mylab", [unpriced])])
    config.write_text("model_list:\n  - model_name: x\n    litellm_params:\n      model: mylab/m\n")
    (finding,) = check_configs([str(config)], lab).findings
    assert (finding.code, finding.level) == ("price-unknown", "warning") and "NaN" in finding.message


def _models_server(httpserver: HTTPServer, ids: list[str]) -> str:
    httpserver.expect_request("/v1/models").respond_with_json({"object": "list", "data": [{"id": i} for i in ids]})
    return httpserver.url_for("/v1")


def test_a_local_server_is_asked_when_it_answers_and_skipped_when_not(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A base_url on 127.0.0.1: a name it serves passes, one it does not is unknown with what it serves; a dead one is a note."""
    url = _models_server(httpserver, ["qwen/qwen3-4b-2507", "llama-3.2-1b"])
    path = _massgen_config(
        tmp_path,
        [
            ("chatcompletion", "qwen/qwen3-4b-2507", url),
            ("lmstudio", "qwen/qwen3-8b", url),
            ("chatcompletion", "any-model", DEAD_URL),
        ],
    )
    assert run(["check", "--json", str(path)]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["line"], f["level"], f["code"]) for f in findings] == [
        (10, "error", "unknown"),
        (15, "note", "not-checked"),
    ]
    assert "qwen/qwen3-4b-2507" in findings[0]["suggestions"] and "not served by" in findings[0]["message"]
    assert "not reachable" in findings[1]["message"]
    assert run(["check", "--offline", "--json", str(path)]) == 0  # offline: nothing asked, every name a note
    notes = json.loads(capsys.readouterr().out)["findings"]
    assert [f["code"] for f in notes] == ["not-checked"] * 3


def test_formats_text_and_github(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Text is path:line:col: level[code] message; github prints workflow commands with escaped properties."""
    path = _massgen_config(tmp_path, [("openai", "gpt-4o-no-such-model")])
    assert run(["check", "--offline", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{path}:5:14: error[unknown] openai/gpt-4o-no-such-model: unknown model")
    assert "1 model name in 1 file: 1 error" in captured.err
    assert run(["check", "--offline", "--format", "github", str(path)]) == 1
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"::error file={path},line=5,col=14,title=massgen-discovery unknown::")


def test_bad_paths_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing path is a usage error (exit 2); a named file that is not YAML fails (exit 1); one in a folder is a note."""
    assert run(["check", "--offline", str(tmp_path / "missing.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("agents: [\n")
    assert run(["check", "--offline", "--json", str(bad)]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["code"] == "unreadable"
    assert run(["check", "--offline", "--json", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["findings"][0]["code"] == "not-checked"


def _massgen_configs() -> Path:
    found = sorted((ROOT / ".venv-massgen").glob("lib/python3*/site-packages/massgen/configs"))
    assert found, "scripts/massgen-venv builds .venv-massgen (the README's test command runs it)"
    return found[0]


@pytest.mark.slow
def test_massgen_own_configs_every_finding_true(tmp_path: Path) -> None:
    """MassGen 0.1.97's configs/ in a real CLI process: seconds, and each unknown is unknown to show, each deprecation dated."""
    configs = _massgen_configs()
    proc = subprocess.run(
        [sys.executable, "-m", "massgen_discovery", "check", "--offline", "--json", str(configs)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    data: dict[str, Any] = json.loads(proc.stdout)
    assert data["files"] == len(list(configs.rglob("*.yaml"))) + len(list(configs.rglob("*.json")))
    assert data["models"] > 200
    assert proc.returncode == (1 if data["failed"] else 0)
    catalog = Catalog(offline=True)
    today = datetime.now(timezone.utc).date()
    for finding in data["findings"]:
        if finding["code"] == "unknown":
            assert catalog.get_model(finding["name"]) is None, finding
        if finding["code"] in ("retired", "deprecated"):
            record = catalog.get_model(finding["name"])
            assert record is not None and finding["deprecation_date"] == record.deprecation_date
            if finding["code"] == "retired":
                assert date.fromisoformat(finding["deprecation_date"][:10]) <= today
