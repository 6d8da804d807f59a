"""The scripts in examples/ run for real against captured listings served on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from .support import load_fixture

pytestmark = pytest.mark.slow  # real processes and servers; `pytest -m slow` runs them

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture
def env(httpserver: HTTPServer, cache_dir: Path) -> dict[str, str]:
    httpserver.expect_request("/hf/v1/models").respond_with_json(load_fixture("huggingface/router_v1_models.json"))
    httpserver.expect_request("/or/v1/models").respond_with_json(
        load_fixture("openrouter/api_v1_models.genai-prices.json")
    )
    return {
        **os.environ,
        "MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL": httpserver.url_for("/hf/v1"),
        "MASSGEN_DISCOVERY_OPENROUTER_BASE_URL": httpserver.url_for("/or/v1"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }


def run(script: str, env: dict[str, str]) -> str:
    out = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_litellm_pricing_example(env: dict[str, str]) -> None:
    """examples/litellm_pricing.py registers OpenRouter models and prices an HF call."""
    out = run("litellm_pricing.py", env)
    assert (
        "registered:" in out
        and "openrouter cost by litellm: $0.007500" in out
        and "openrouter response cost: $0.0" in out
    )
    assert "custom_cost_per_token: {'input_cost_per_token': 3e-06, 'output_cost_per_token': 1.5e-05}" in out
    cost_line = next(line for line in out.splitlines() if line.startswith("huggingface cost"))
    assert float(cost_line.rsplit("$", 1)[1]) > 0


def test_hf_router_example(env: dict[str, str]) -> None:
    """examples/hf_router.py builds a Router over both live Kimi-K3 routes and routes a call."""
    out = run("hf_router.py", env).splitlines()
    assert out[0].startswith("openai/moonshotai/Kimi-K3:fireworks-ai 1048576")
    assert out[1].startswith("openai/moonshotai/Kimi-K3:together 1000000")
    assert out[-2] == "routed"
    assert float(out[-1].removeprefix("response cost: $")) > 0


def test_massgen_wizard_example(env: dict[str, str]) -> None:
    """examples/massgen_wizard.py prints wizard lines, counts, context and pricing."""
    out = run("massgen_wizard.py", env)
    assert "ctx · $" in out
    assert "context of claude-opus-5 on OpenRouter: 1000000" in out
    assert "unknown stays unknown: None" in out


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_runs_offline_and_says_what_it_would_do(script: str, cache_dir: Path) -> None:
    """Offline on an empty cache: exit 0, no traceback, and a word on what the script does online."""
    env = {**os.environ, "MASSGEN_DISCOVERY_OFFLINE": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    out = subprocess.run([sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    assert "online" in out.stdout
