"""All live sources refresh concurrently: a full refresh against the slowest single source.

    python benchmarks/bench_refresh.py

Each source is served by its own loopback server with its own latency, answering a captured
listing from tests/fixtures/. Target: the full refresh takes at most 1.3x the slowest source alone.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

# source -> (listing path under the base URL, fixture, latency in seconds, key variable)
SOURCES: dict[str, tuple[str, str, float, str | None]] = {
    "huggingface": ("/v1/models", "huggingface/router_v1_models.json", 0.40, None),
    "openrouter": ("/v1/models", "openrouter/api_v1_models.genai-prices.json", 0.25, None),
    "groq": ("/v1/models", "groq/openai_v1_models.json", 0.15, "GROQ_API_KEY"),
    "mistral": ("/v1/models", "mistral/v1_models.json", 0.30, "MISTRAL_API_KEY"),
    "together_ai": ("/v1/models", "together/v1_models.docs-example.json", 0.10, "TOGETHERAI_API_KEY"),
    "anthropic": ("/v1/models", "anthropic/v1_models.json", 0.35, "ANTHROPIC_API_KEY"),
    "xai": ("/v1/language-models", "xai/v1_language-models.docs-example.json", 0.20, "XAI_API_KEY"),
    "moonshot": ("/v1/models", "moonshot/v1_models.docs-example.json", 0.05, "MOONSHOT_API_KEY"),
}


def start_servers() -> list[HTTPServer]:
    """One threaded loopback server per source, each with its own delay."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    servers = []
    for name, (path, fixture, delay, key_var) in SOURCES.items():
        body = (FIXTURES / fixture).read_text()

        def handler(request: Request, body: str = body, delay: float = delay) -> Response:
            time.sleep(delay)
            return Response(body, content_type="application/json")

        server = HTTPServer(host="127.0.0.1", threaded=True)
        server.expect_request(path).respond_with_handler(handler)
        server.start()
        servers.append(server)
        os.environ[f"MASSGEN_DISCOVERY_{name.upper()}_BASE_URL"] = f"http://127.0.0.1:{server.port}/v1"
        if key_var:
            os.environ[key_var] = "bench-key"
    return servers


def timed_refresh(names: list[str]) -> tuple[float, Any]:
    """Wall time of one refresh of ``names`` on a fresh cache."""
    from massgen_discovery import Catalog

    with tempfile.TemporaryDirectory() as cache_dir:
        os.environ["MASSGEN_DISCOVERY_CACHE_DIR"] = cache_dir
        catalog = Catalog(sources=names, timeout=10)
        started = time.perf_counter()
        reports = catalog.refresh()
        return time.perf_counter() - started, reports


def main() -> None:
    """Measure each source alone, then all together, and print the table."""
    os.environ.pop("MASSGEN_DISCOVERY_OFFLINE", None)
    servers = start_servers()
    try:
        timed_refresh(["groq"])  # warm imports and the SSL context once
        single = {}
        for name in SOURCES:
            seconds, reports = timed_refresh([name])
            assert reports[0].outcome == "ok", reports
            single[name] = seconds
        full, reports = timed_refresh(list(SOURCES))
        assert all(r.outcome == "ok" for r in reports), reports
    finally:
        for server in servers:
            server.stop()
    slowest = max(single, key=lambda n: single[n])
    print(f"{len(SOURCES)} live sources on loopback, latencies {', '.join(f'{n} {SOURCES[n][2]:g}s' for n in SOURCES)}")
    print()
    print("| refresh | time | vs slowest single source |")
    print("|---|---:|---:|")
    for name in sorted(single, key=lambda n: single[n]):
        print(f"| {name} alone | {single[name] * 1000:.0f} ms | {single[name] / single[slowest]:.2f}x |")
    print(f"| **all {len(SOURCES)} at once** | {full * 1000:.0f} ms | {full / single[slowest]:.2f}x (target <= 1.3x) |")
    print()
    print(json.dumps({"sequential_sum_ms": round(sum(single.values()) * 1000)}))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
