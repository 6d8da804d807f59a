"""`massgen-discovery serve` as a real process: loopback by default, the README's main cache, bad usage exits 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.serving import serve_process


def test_serve_binds_loopback_and_answers_from_the_cache(tmp_path: Path) -> None:
    env = {"MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path / "cache")}
    with serve_process(env, "--offline", log=tmp_path / "serve.log") as url:
        health = httpx.get(url + "/health").json()
        model = httpx.get(url + "/v1/models/gpt-4o").json()
    assert health["status"] == "ok" and health["generation"]
    assert model["model"] == "openai/gpt-4o" and model["max_input_tokens"] == 128_000
    banner = (tmp_path / "serve.log").read_text()
    assert "http://127.0.0.1:" in banner


def test_a_bad_port_is_usage_exit_2(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "massgen_discovery", "serve", "--port", "99999"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 2
    assert "--port" in out.stderr and len(out.stderr.strip().splitlines()) == 1
