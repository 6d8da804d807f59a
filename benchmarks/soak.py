"""Soak: lookups from several threads for a minute while background refreshes keep running.

    python benchmarks/soak.py                 # 60 s, 4 threads
    python benchmarks/soak.py --seconds 10

Live sources (the HF router and OpenRouter, from captured listings) are served on loopback with
a 2 s TTL, so expired data is revalidated in the background over and over during the run. Reports
lookups per second and the process RSS at the start and the end of the measured minute (after a
warm-up that loads the catalog and sees the first revalidations); it should stay flat.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import random
import tempfile
import threading
import time
from pathlib import Path

from pytest_httpserver import HTTPServer

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def rss_mb() -> float:
    """Current resident set size of this process, in MB (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def main() -> None:
    """Run the soak and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring starts")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = HTTPServer(host="127.0.0.1", threaded=True)
    hits = {"count": 0}

    def serve(fixture: str):  # type: ignore[no-untyped-def]
        body = (FIXTURES / fixture).read_text()

        def handler(request):  # type: ignore[no-untyped-def]
            from werkzeug import Response

            hits["count"] += 1
            return Response(body, content_type="application/json")

        return handler

    server.expect_request("/hf/v1/models").respond_with_handler(serve("huggingface/router_v1_models.json"))
    server.expect_request("/or/v1/models").respond_with_handler(serve("openrouter/api_v1_models.genai-prices.json"))
    server.start()
    os.environ["MASSGEN_DISCOVERY_CACHE_DIR"] = tempfile.mkdtemp()
    os.environ.pop("MASSGEN_DISCOVERY_OFFLINE", None)

    from massgen_discovery import Catalog
    from massgen_discovery.sources.huggingface import HuggingFaceSource
    from massgen_discovery.sources.openrouter import OpenRouterSource

    hf = HuggingFaceSource(base_url=f"http://127.0.0.1:{server.port}/hf/v1")
    openrouter = OpenRouterSource(base_url=f"http://127.0.0.1:{server.port}/or/v1")
    hf.ttl = openrouter.ttl = 2.0
    catalog = Catalog(sources=["litellm", hf, openrouter], timeout=5)
    names = [r.model for r in catalog.list_models()]
    names += [n.upper() for n in names[:200]] + ["no/such-model"]

    stop = threading.Event()
    counts = [0] * args.threads
    errors: list[str] = []

    def work(index: int) -> None:
        rnd = random.Random(index)
        while not stop.is_set():
            try:
                if rnd.random() < 0.01:
                    catalog.find_models(tools=True, min_context=128_000, sort="price", limit=10)
                else:
                    catalog.get_model(rnd.choice(names))
                counts[index] += 1
            except Exception as exc:  # the soak fails loudly on any exception
                errors.append(repr(exc))
                stop.set()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    time.sleep(args.warmup)  # first full loads and the first revalidations, not counted
    gc.collect()
    rss_start = rss_mb()
    counts[:] = [0] * args.threads
    hits["count"] = 0
    started = time.perf_counter()
    samples = []
    deadline = started + args.seconds
    while time.perf_counter() < deadline and not stop.is_set():
        time.sleep(min(5.0, max(0.0, deadline - time.perf_counter())))
        samples.append(rss_mb())
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    gc.collect()
    rss_end = rss_mb()
    server.stop()
    total = sum(counts)
    print(f"{args.threads} threads, {elapsed:.0f} s measured after {args.warmup:.0f} s of warm-up")
    print(f"{len(names)} lookup strings; 2 live sources with a 2 s TTL")
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| lookups | {total:,} |")
    print(f"| lookups per second | {total / elapsed:,.0f} |")
    print(f"| background refetches served | {hits['count']} |")
    print(f"| RSS at start | {rss_start:.1f} MB |")
    print(f"| RSS at end | {rss_end:.1f} MB |")
    print(f"| RSS every 5 s | {', '.join(f'{s:.0f}' for s in samples)} MB |")
    print(f"| errors | {len(errors)} |")
    if errors:
        raise SystemExit(errors[0])


if __name__ == "__main__":
    main()
