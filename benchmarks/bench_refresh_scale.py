"""Refresh cost as a cache fills: the same large HuggingFace listing refreshed three times on one cache.

    python benchmarks/bench_refresh_scale.py                      # 3,000 models x 8 providers
    python benchmarks/bench_refresh_scale.py --models 5000

The listing (the router's documented shape, see bench_huggingface.py) is served by a real loopback
HTTP server; each refresh is forced, so every one fetches, parses, guards and writes a generation.
Linear means the third refresh costs about what the first did. Also times ``list --json``'s
serialisation of every record against ``json.dumps(indent=2)`` of ``model_dump``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from bench_huggingface import router_payload, serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=3000)
    parser.add_argument("--providers", type=int, default=8)
    args = parser.parse_args()
    body = json.dumps(router_payload(args.models, args.providers)).encode()

    server = serve(body)
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    from massgen_discovery import Catalog
    from massgen_discovery.sources.huggingface import HuggingFaceSource

    with tempfile.TemporaryDirectory() as cache:
        source = HuggingFaceSource(base_url=f"http://127.0.0.1:{server.server_port}/v1")
        catalog = Catalog(cache_dir=cache, sources=["litellm", source], timeout=120)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            (report,) = catalog.refresh([source.name], force=True)
            catalog.list_models()  # the build that follows a refresh is part of its cost
            times.append(time.perf_counter() - start)
            assert report.outcome == "ok", report
        records = catalog.list_models()
    server.shutdown()
    print(f"refresh of {args.models} models x {args.providers} providers ({len(body) / 1e6:.1f} MB), one cache:")
    for i, seconds in enumerate(times, 1):
        print(f"  refresh {i}: {seconds:.2f} s ({seconds / times[0]:.2f}x the first)")

    from massgen_discovery.cli import records_json

    start = time.perf_counter()
    records_json(records)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    json.dumps([r.model_dump(mode="json") for r in records], indent=2)
    plain = time.perf_counter() - start
    print(f"list --json serialisation of {len(records):,} records: {ours * 1000:.0f} ms "
          f"(json.dumps(indent=2): {plain * 1000:.0f} ms, {plain / ours:.1f}x slower)")  # fmt: skip


if __name__ == "__main__":
    main()
