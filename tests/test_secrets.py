"""API keys never reach the cache, logs, exception messages or any CLI output, even on failures."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from massgen_discovery import Catalog, SourceError
from massgen_discovery.providers import PROVIDERS

from .orchestration.test_faults import SPECS, Upstream, json_answer

MARK = "SECRETKEYz9"


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    server.start()
    yield server
    server.server.stop()


def test_keys_never_leak(
    upstream: Upstream, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Distinctive keys for every provider, sources that succeed, refuse (401) and fail (500): no trace anywhere."""
    keys = {var: f"sk-{MARK}-{var.lower()}" for p in PROVIDERS.values() for var in p.env_vars}
    for var, key in keys.items():
        monkeypatch.setenv(var, key)
    monkeypatch.setenv("MASSGEN_DISCOVERY_VLLM_API_KEY", f"sk-{MARK}-vllm")
    outcomes = ["ok", "401", "500"]
    for i, (name, spec) in enumerate(SPECS.items()):
        monkeypatch.setenv(f"MASSGEN_DISCOVERY_{name.upper()}_BASE_URL", upstream.url(spec.prefix))
        outcome = outcomes[i % 3]
        if outcome == "ok":
            upstream.answers[spec.listing] = json_answer(spec.payload())
        elif outcome == "401":
            # An upstream that echoes the Authorization header back in its error body.
            upstream.answers[spec.listing] = lambda r: json_answer(
                {"error": f"bad key {r.headers.get('Authorization')} {r.headers.get('x-api-key')}"}, 401
            )(r)
        else:
            upstream.answers[spec.listing] = json_answer("internal error", 500)
    caplog.set_level(logging.DEBUG)
    vllm = {"vllm": upstream.url(SPECS["vllm"].prefix)}
    catalog = Catalog(endpoints=vllm, timeout=2)
    texts: list[str] = []
    try:
        catalog.refresh(raise_on_error=True)
    except SourceError as exc:
        texts += [str(exc), repr(exc), str(exc.body)]
    reports = catalog.refresh()
    texts += [r.model_dump_json() for r in reports]
    texts += [s.model_dump_json() for s in catalog.status()]
    texts += [r.model_dump_json() for r in catalog.list_models()]
    assert any(r.outcome == "ok" for r in reports) and any(r.outcome == "failed" for r in reports)
    assert any("401" in (r.error or "") for r in reports)

    script = str(Path(sys.executable).parent / "massgen-discovery")
    env = dict(os.environ)
    endpoint = ["--endpoint", f"vllm={vllm['vllm']}"]
    for argv in (["refresh"], ["providers"], ["providers", "--json"], ["list", "--limit", "5"], ["list", "--json", "--limit", "5"],
                 ["show", "gpt-4o"], ["show", "groq/llama-3.3-70b-versatile", "--json"], ["show", "nope/nope"]):  # fmt: skip
        out = subprocess.run([script, *argv, *endpoint], capture_output=True, text=True, env=env, timeout=120)
        texts += [out.stdout, out.stderr]
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert MARK not in text, text[:500]
    for path in cache_dir.rglob("*"):
        if path.is_file():
            assert MARK.encode() not in path.read_bytes(), path
    assert json.dumps(texts)  # everything above was actually collected
    assert len(texts) > 30
