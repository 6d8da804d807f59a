"""The store at scale, side by side in one run: refreshes against their floor, an identical listing,
a sweep of configurations against the cap, and cold lookups by catalog size.

    python benchmarks/bench_store.py                       # 3,000 models x 8 providers, 10 configurations
    python benchmarks/bench_store.py --models 500 --configs 30

The listing (the router's documented shape, see bench_huggingface.py) is served by a real loopback
HTTP server. The floor is what no store can beat: parse the listing's JSON and write one row per
record (the records' JSON, from the last refresh) in one SQLite transaction.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_huggingface import router_payload, serve


def floor(body: bytes, rows: list[str], directory: Path) -> float:
    started = time.perf_counter()
    json.loads(body)
    con = sqlite3.connect(directory / "floor.db")
    con.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    with con:
        con.executemany("INSERT OR REPLACE INTO t VALUES (?, ?)", ((str(i), r) for i, r in enumerate(rows)))
    con.close()
    return time.perf_counter() - started


def cold(cache: str, model: str, runs: int, extra: list[str]) -> float:
    times = []
    env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": cache}
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "massgen_discovery", "show", model, *extra], env=env,
                             capture_output=True, text=True)  # fmt: skip
        times.append(time.perf_counter() - started)
        assert out.returncode == 0, out.stderr[-400:]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=3000)
    parser.add_argument("--providers", type=int, default=8)
    parser.add_argument("--configs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    payload = router_payload(args.models, args.providers)
    body = json.dumps(payload).encode()
    server = serve(body)
    base = f"http://127.0.0.1:{server.server_port}/v1"
    work = Path(tempfile.mkdtemp())
    os.environ["MASSGEN_DISCOVERY_CACHE_DIR"] = str(work / "cache")
    os.environ["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = base
    from massgen_discovery import Catalog
    from massgen_discovery._persistence.store import Store

    catalog = Catalog(sources=["litellm", "huggingface"], timeout=120)
    started = time.perf_counter()
    catalog.refresh(["huggingface"], force=True)
    first = time.perf_counter() - started
    started = time.perf_counter()
    catalog.refresh(["huggingface"], force=True)
    changed = time.perf_counter() - started
    started = time.perf_counter()
    catalog.refresh(["huggingface"])
    identical = time.perf_counter() - started
    records = [r for r in catalog.list_models() if r.provider == "huggingface"]
    rows = [r.model_dump_json(exclude_defaults=True) for r in records]
    floor_s = floor(body, rows, work)
    catalog.close()
    print(f"listing: {args.models:,} models x {args.providers} providers, {len(body) / 1e6:.1f} MB, "
          f"{len(records):,} records")  # fmt: skip
    print(f"floor (parse + {len(rows):,} rows in one transaction): {floor_s:.2f} s")
    print(f"refresh, first:      {first:.2f} s ({first / floor_s:.1f}x the floor)")
    print(f"refresh, changed:    {changed:.2f} s ({changed / floor_s:.1f}x the floor)")
    print(f"refresh, identical:  {identical:.2f} s ({identical / changed:.2f}x a changed one)")

    sweep = work / "sweep"
    os.environ["MASSGEN_DISCOVERY_CACHE_DIR"] = str(sweep)
    times = []
    for n in range(args.configs):
        os.environ["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = f"{base}/c{n}"  # a new configuration each time
        configured = Catalog(sources=["litellm", "huggingface"], timeout=120)
        started = time.perf_counter()
        configured.refresh(["huggingface"], force=True)
        times.append(time.perf_counter() - started)
        configured.close()
    info = Store(sweep).info()
    print(f"{args.configs} configurations, one refresh each: first {times[0]:.2f} s, last {times[-1]:.2f} s "
          f"({times[-1] / times[0]:.2f}x); cache {info['bytes_used'] / 2**20:.0f} MB in use, "
          f"{info['bytes_on_disk'] / 2**20:.0f} MB on disk, configurations kept: {info['configurations']} "
          f"(cap {int(os.environ.get('MASSGEN_DISCOVERY_CACHE_MAX_MB', '256'))} MB)")  # fmt: skip

    os.environ["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = base  # the big catalog's configuration again
    entry = payload["data"][len(payload["data"]) // 2]
    route = f"huggingface/{entry['providers'][0]['provider']}/{entry['id']}"
    small = str(work / "small")
    cold(small, "gpt-4o", 1, ["--offline"])
    big = str(work / "cache")
    cold(big, route, 1, ["--offline"])  # the CLI's configuration (every source) builds its generation once
    big_route = cold(big, route, args.runs, ["--offline"])
    big_alias = cold(big, "gpt-4o", args.runs, ["--offline"])
    small_alias = cold(small, "gpt-4o", args.runs, ["--offline"])
    print(f"cold show, {len(records) + 2_600:,}-record catalog: a route {big_route * 1000:.0f} ms, gpt-4o "
          f"{big_alias * 1000:.0f} ms; LiteLLM's map alone: gpt-4o {small_alias * 1000:.0f} ms "
          f"({big_route / small_alias:.2f}x and {big_alias / small_alias:.2f}x)")  # fmt: skip
    server.shutdown()


if __name__ == "__main__":
    main()
