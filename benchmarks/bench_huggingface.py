"""Parse + reconcile a large HuggingFace router payload, next to the LiteLLM-only catalog load.

    python benchmarks/bench_huggingface.py             # 150 models x 8 providers
    python benchmarks/bench_huggingface.py --models 300 --providers 12

The payload is generated in the router's documented shape (the fields of the captured sample in
tests/fixtures/huggingface/), with every optional field present, so the parser does all its work.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from massgen_discovery._domain.reconcile import reconcile
from massgen_discovery.sources import huggingface
from massgen_discovery.sources.litellm_map import load_litellm_map

PROVIDERS = ["together", "fireworks-ai", "novita", "nebius", "sambanova", "groq", "cerebras", "hyperbolic",
             "nscale", "featherless-ai", "scaleway", "ovhcloud"]  # fmt: skip


def router_payload(models: int, providers: int, seed: int = 7) -> dict[str, Any]:
    """A router /v1/models answer with ``models`` models each served by ``providers`` providers."""
    rnd = random.Random(seed)
    data = []
    for i in range(models):
        entries = []
        for name in PROVIDERS[:providers]:
            price = round(rnd.uniform(0.05, 5), 3)
            entries.append(
                {
                    "provider": name,
                    "status": rnd.choice(["live"] * 9 + ["staging"]),
                    "context_length": rnd.choice([32768, 131072, 262144, 1048576]),
                    "pricing": {"input": price, "output": round(price * 4, 3)},
                    "is_free": False,
                    "supports_tools": rnd.random() < 0.8,
                    "supports_structured_output": rnd.random() < 0.6,
                    "first_token_latency_ms": round(rnd.uniform(100, 3000), 1),
                    "throughput": rnd.uniform(10, 300),
                    "is_model_author": False,
                }
            )
        data.append(
            {
                "id": f"org{i % 40}/model-{i}",
                "object": "model",
                "created": 1781332977 + i,
                "owned_by": f"org{i % 40}",
                "architecture": {
                    "input_modalities": ["text", "image"] if i % 3 else ["text"],
                    "output_modalities": ["text"],
                },
                "providers": entries,
            }
        )
    return {"data": data}


def serve(body: bytes | Callable[[], bytes]) -> ThreadingHTTPServer:
    """A loopback HTTP server answering every GET with ``body`` (a JSON listing, or one made per GET), in a thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = body() if callable(body) else body
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def best_of(runs: int, work: Callable[[], Any]) -> float:
    """Median wall time of ``runs`` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=150)
    parser.add_argument("--providers", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    payload = router_payload(args.models, min(args.providers, len(PROVIDERS)))
    now = datetime.now(timezone.utc)
    bundled = load_litellm_map().records

    hf_records = huggingface.to_records(payload, now)
    parse = best_of(args.runs, lambda: huggingface.to_records(payload, now))
    merge = best_of(args.runs, lambda: reconcile(bundled, hf_records))
    litellm_only = best_of(args.runs, lambda: reconcile(load_litellm_map(reuse=False).records))
    print(f"router payload: {args.models} models x {args.providers} providers -> {len(hf_records)} records")
    print()
    print("| step | time | vs LiteLLM-only catalog load |")
    print("|---|---:|---:|")
    print(f"| LiteLLM-only catalog load ({len(bundled)} records) | {litellm_only * 1000:.1f} ms | 1.00x |")
    print(f"| parse router payload | {parse * 1000:.1f} ms | {parse / litellm_only:.2f}x |")
    print(f"| reconcile LiteLLM + router records | {merge * 1000:.1f} ms | {merge / litellm_only:.2f}x |")
    print(f"| parse + reconcile | {(parse + merge) * 1000:.1f} ms | {(parse + merge) / litellm_only:.2f}x |")


if __name__ == "__main__":
    main()
