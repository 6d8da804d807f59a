"""A newcomer's first minutes, as the README tells them: its commands, in its order, on a fresh cache.

The commands are read from the README itself (the "Two commands" section, then every command the
headline section shows), so the flow a newcomer follows cannot break silently. The install and
test steps are the ones this suite already runs under; every ``massgen-discovery`` command runs as
a real process, against loopback servers that serve real captured listings in place of the
providers (an example host in the README is pointed at loopback too: nothing else is contacted).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .orchestration.test_refresh_politeness import as_json, upstream
from .support import load_fixture
from .support.servers import FakeOllama, running

README = Path(__file__).parent.parent / "README.md"
_SETUP = ("python3 -m venv", ".venv/bin/pip install", "scripts/", ".venv/bin/python -m pytest")
"""Install and test steps: the ones this suite already runs under."""


def _bash_blocks(section: str) -> list[str]:
    """The bash blocks of a README section (from its heading to the next ``## ``)."""
    text = README.read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 3)
    body = text[start : end if end != -1 else None]
    return re.findall(r"```bash\n(.*?)```", body, flags=re.S)


def readme_flow() -> list[str]:
    """Every command a newcomer runs, in order: the two commands, then the headline section's."""
    commands: list[str] = []
    for section in ("Two commands", "The headline"):
        for block in _bash_blocks(section):
            for line in block.strip().splitlines():
                for part in line.split("&&"):
                    part = part.strip()
                    if part and not part.startswith(_SETUP):
                        commands.append(part)
    return commands


def test_the_flow_is_read_from_the_readme() -> None:
    flow = readme_flow()
    assert flow[0].endswith("massgen-discovery list --offline --tools --min-context 128000")
    assert "massgen-discovery list --provider huggingface --tools --min-context 128000 --sort price" in flow
    assert all("massgen-discovery" in c for c in flow)


@pytest.mark.slow
def test_the_readmes_flow_works_the_first_time(tmp_path: Path) -> None:
    """Each command exits 0 and lists models, the first time, in the README's order."""
    env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path / "fresh-cache"), "COLUMNS": "200"}
    assert not (tmp_path / "fresh-cache").exists()
    tags = load_fixture("ollama/api_tags.json")
    shows = {
        "qwen3:8b": load_fixture("ollama/api_show.qwen3-8b.json"),
        "mistral:7b": load_fixture("ollama/api_show.mistral-7b.json"),
        "qwen2.5vl:7b": load_fixture("ollama/api_show.qwen2.5vl-7b.json"),
    }
    hf_listing = load_fixture("huggingface/router_v1_models.json")
    groq_listing = load_fixture("groq/openai_v1_models.json")
    vllm_listing = load_fixture("vllm/v1_models.json")
    with (
        upstream({"/v1/models": lambda r: as_json(hf_listing)}) as hf,
        upstream({"/openai/v1/models": lambda r: as_json(groq_listing)}) as groq,
        upstream({"/v1/models": lambda r: as_json(vllm_listing)}) as vllm,
        running(FakeOllama(tags, shows)) as ollama,
    ):
        env["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = hf.url + "/v1"
        env["MASSGEN_DISCOVERY_GROQ_BASE_URL"] = groq.url + "/openai/v1"
        env["MASSGEN_DISCOVERY_OLLAMA_BASE_URL"] = ollama.url
        for command in readme_flow():
            words = shlex.split(command)
            extra: dict[str, str] = {}
            while "=" in words[0] and not words[0].startswith("-"):  # VAR=value before the command
                name, _, value = words.pop(0).partition("=")
                extra[name] = "gsk-test-key" if value == "..." else value
            assert words[0].endswith("massgen-discovery"), command
            # An example host in the README is served on loopback instead.
            args = [re.sub(r"https?://[^/\s]+", lambda _m: vllm.url, w) for w in words[1:]]
            out = subprocess.run(
                [sys.executable, "-m", "massgen_discovery", *args],
                capture_output=True,
                text=True,
                timeout=120,
                env={**env, **extra},
            )
            assert out.returncode == 0, f"{command}\n{out.stdout[-1500:]}\n{out.stderr[-1500:]}"
            if words[1] == "list":
                assert "no models match" not in out.stderr
                assert len(out.stdout.strip().splitlines()) >= 2, f"{command}: nothing listed\n{out.stderr}"
