"""The README's 80-column samples are what the CLI prints (offline, on LiteLLM's map)."""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
SAMPLES_LITELLM = "1.110.2"
"""The litellm whose map the README's samples show (the README says so next to them)."""


def _samples() -> list[tuple[list[str], list[str]]]:
    """Each ``$ massgen-discovery ...`` of the README's text blocks, with the lines shown under it."""
    text = README.read_text()
    out: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```text\n(.*?)```", text, re.S):
        command: list[str] | None = None
        shown: list[str] = []
        for line in [*block.rstrip("\n").split("\n"), "$ end"]:
            if line.startswith("$ "):
                if command is not None:
                    out.append((command, [s for s in shown if s]))
                command, shown = shlex.split(line[2:]), []
            else:
                shown.append(line)
    return [(c, s) for c, s in out if c and c[0] == "massgen-discovery"]


def test_the_samples_are_what_the_cli_prints(tmp_path: Path) -> None:
    """At 80 columns, offline: with the litellm the samples name, every line as shown; with another,
    the same header, every line within 80 columns, and the same shape of footer."""
    samples = _samples()
    assert len(samples) >= 2
    env = {"COLUMNS": "80", "MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    same_map = importlib.metadata.version("litellm") == SAMPLES_LITELLM
    for command, shown in samples:
        proc = subprocess.run(
            [sys.executable, "-m", "massgen_discovery", *command[1:], "--offline"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        printed = [line for line in proc.stdout.split("\n") if line]
        assert proc.returncode == 0, proc.stderr
        assert all(len(line) <= 80 for line in printed), command
        if same_map:
            assert printed == shown, (command, printed)
        else:  # another release's map: the same table, other rows
            assert _header(printed) == _header(shown), (command, printed)
            if shown[-1].startswith("showing"):
                assert re.sub(r"[\d,]+", "N", printed[-1]) == re.sub(r"[\d,]+", "N", shown[-1])


def _header(lines: list[str]) -> list[str]:
    """The words of a table's header line (the first line that starts with a column name)."""
    return next(line.split() for line in lines if line.split()[0] in ("model", "part", "field"))
