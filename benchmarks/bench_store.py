"""The store at scale, side by side in one run: refreshes against their floor, an identical listing,
a sweep of configurations against the cap, and cold lookups by catalog size.

    python benchmarks/bench_store.py                       # 3,000 models x 8 providers, 10 configurations
    python benchmarks/bench_store.py --models 150 --providers 8 --configs 3

The listing (the router's documented shape, see bench_huggingface.py) is served by a real loopback
HTTP server, and it moves on every fetch as the router's does: every route's latency and throughput,
and one price in twenty (by 5%, well inside the guard rails). A changed refresh is a plain
``refresh()`` that fetches such a listing (the median of ``--runs``); an identical one finds the
bytes it stored last time.

The floor is what no store can beat: parse the listing's JSON and write one row per record in one
SQLite transaction. Two floors are printed: rows made from the listing's own entries (each route's
and each model's JSON, one per record, made inside the timing) and rows made beforehand from the
records' JSON (written only). Each runs in a fresh process right after a refresh of the same
listing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_huggingface import router_payload, serve


class Listing:
    """The router's listing, moving on every :meth:`move` (latency, throughput, one price in twenty)."""

    def __init__(self, models: int, providers: int) -> None:
        self.payload = router_payload(models, providers)
        self.rnd = random.Random(11)
        self.body = json.dumps(self.payload).encode()

    def move(self) -> None:
        for model in self.payload["data"]:
            for entry in model["providers"]:
                entry["first_token_latency_ms"] = round(self.rnd.uniform(100, 3000), 1)
                entry["throughput"] = self.rnd.uniform(10, 300)
                if self.rnd.random() < 0.05:
                    entry["pricing"]["input"] = round(entry["pricing"]["input"] * 1.05, 4)
        self.body = json.dumps(self.payload).encode()


def floor(body: bytes, rows: list[str] | None, directory: Path) -> float:
    """Parse ``body``, write one row per record in one transaction (``rows``, or each route's JSON)."""
    started = time.perf_counter()
    doc = json.loads(body)
    if rows is None:  # a row per record: each route, and each model (the record of the router's choice)
        rows = [json.dumps(entry) for model in doc["data"] for entry in model["providers"]]
        rows += [json.dumps({k: v for k, v in model.items() if k != "providers"}) for model in doc["data"]]
    con = sqlite3.connect(directory / "floor.db")
    con.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    with con:
        con.executemany("INSERT OR REPLACE INTO t VALUES (?, ?)", ((str(i), r) for i, r in enumerate(rows)))
    con.close()
    return time.perf_counter() - started


def floor_apart(body: bytes, rows: list[str] | None) -> float:
    """:func:`floor` in a fresh process (nothing else on its heap), timed there; right after a refresh."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "body.json").write_bytes(body)
        if rows is not None:
            Path(tmp, "rows.json").write_text(json.dumps(rows))
        out = subprocess.run(
            [sys.executable, __file__, "--floor-in", tmp, *(["--with-rows"] if rows is not None else [])],
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout.strip())


def timed(work: Any) -> float:
    started = time.perf_counter()
    work()
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
    parser.add_argument("--floor-in", help=argparse.SUPPRESS)
    parser.add_argument("--with-rows", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_in:
        where = Path(args.floor_in)
        body = (where / "body.json").read_bytes()
        rows = json.loads((where / "rows.json").read_text()) if args.with_rows else None
        print(floor(body, rows, where))
        return
    listing = Listing(args.models, args.providers)
    server = serve(lambda: listing.body)  # the listing as it is now
    base = f"http://127.0.0.1:{server.server_port}/v1"
    work = Path(tempfile.mkdtemp())
    os.environ["MASSGEN_DISCOVERY_CACHE_DIR"] = str(work / "cache")
    os.environ["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = base
    from massgen_discovery import Catalog
    from massgen_discovery._persistence.store import Store

    catalog = Catalog(sources=["litellm", "huggingface"], timeout=120)
    first = timed(lambda: catalog.refresh(["huggingface"]))
    records = [r for r in catalog.list_models() if r.provider == "huggingface"]
    rows = [r.model_dump_json(exclude_defaults=True) for r in records]
    # Each changed refresh is followed by both floors on the same listing, so a slower moment of the
    # machine weighs on both sides of the ratio.
    changed: list[float] = []
    floors: list[tuple[float, float]] = []
    for _ in range(args.runs):
        listing.move()
        changed.append(timed(lambda: catalog.refresh(["huggingface"])))
        floors.append((floor_apart(listing.body, None), floor_apart(listing.body, rows)))
    identical = timed(lambda: catalog.refresh(["huggingface"]))
    body = listing.body
    catalog.close()
    routes_floor = statistics.median(f[0] for f in floors)
    records_floor = statistics.median(f[1] for f in floors)
    median = statistics.median(changed)
    ratio = statistics.median(c / f[0] for c, f in zip(changed, floors, strict=True))
    ratio_records = statistics.median(c / f[1] for c, f in zip(changed, floors, strict=True))
    print(f"listing: {args.models:,} models x {args.providers} providers, {len(body) / 1e6:.1f} MB, "
          f"{len(records):,} records")  # fmt: skip
    print(f"floor, rows from the listing's entries (parse + {len(rows):,} rows made and written in one "
          f"transaction, in a fresh process): {routes_floor * 1000:.0f} ms")  # fmt: skip
    print(f"floor, rows made beforehand from the records (parse + written in one transaction): "
          f"{records_floor * 1000:.0f} ms")  # fmt: skip
    print(f"refresh, first:      {first * 1000:.0f} ms ({first / routes_floor:.1f}x the floor)")
    print(f"refresh, changed:    {median * 1000:.0f} ms, median of {args.runs} ({ratio:.1f}x the floor; "
          f"{ratio_records:.1f}x the records floor; medians of the ratios of each run)")  # fmt: skip
    print(f"refresh, identical:  {identical * 1000:.0f} ms ({identical / median:.2f}x a changed one)")

    sweep = work / "sweep"
    os.environ["MASSGEN_DISCOVERY_CACHE_DIR"] = str(sweep)
    times = []
    for n in range(args.configs):
        os.environ["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = f"{base}/c{n}"  # a new configuration each time
        configured = Catalog(sources=["litellm", "huggingface"], timeout=120)
        started = time.perf_counter()
        configured.refresh(["huggingface"])
        times.append(time.perf_counter() - started)
        configured.close()
    info = Store(sweep).info()
    print(f"{args.configs} configurations, one refresh each: first {times[0]:.2f} s, last {times[-1]:.2f} s "
          f"({times[-1] / times[0]:.2f}x); cache {info['bytes_used'] / 2**20:.0f} MB in use, "
          f"{info['bytes_on_disk'] / 2**20:.0f} MB on disk, configurations kept: {info['configurations']} "
          f"(cap {int(os.environ.get('MASSGEN_DISCOVERY_CACHE_MAX_MB', '256'))} MB)")  # fmt: skip

    os.environ["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = base  # the big catalog's configuration again
    entry = listing.payload["data"][len(listing.payload["data"]) // 2]
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
