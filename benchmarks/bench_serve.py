"""The catalog's server against a minimal app returning the same bytes precomputed, side by side in one run.

    pip install -e '.[serve]'
    python benchmarks/bench_serve.py              # prints a Markdown table
    python benchmarks/bench_serve.py --seconds 10 --clients 32 --rounds 3

Two uvicorn processes on 127.0.0.1, started the same way (one worker, no access log):

- ``serve``: ``massgen-discovery serve --offline`` over a warm cache;
- ``floor``: a Starlette app with one route that returns the bytes ``serve`` gave for the same
  question, read once at start (no catalog, no lookup, no ETag).

Clients: ``--clients`` concurrent connections (httpx, keep-alive) asking
``/v1/models?tools=true&min_context=128000`` for ``--seconds`` seconds, the two servers in turn,
``--rounds`` times. Reported: requests per second and median / p95 latency of each, and the
ratio serve / floor of the median latency (the figure to keep within 3x). A third row asks the
same question with ``Accept-Encoding: gzip`` (the catalog sends gzip made once per generation; the
floor sends its bytes as they are).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "/v1/models?tools=true&min_context=128000"

FLOOR_APP = """
import sys
from pathlib import Path
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(sys.argv[1]).read_bytes()

async def answer(request):
    return Response(BODY, media_type="application/json")

app = Starlette(routes=[Route("/v1/models", answer)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited"
        try:
            httpx.get(url, timeout=30)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


async def load(url: str, clients: int, seconds: float, headers: dict[str, str]) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    until = time.monotonic() + seconds

    async def client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=60, headers=headers) as http:
            while time.monotonic() < until:
                started = time.perf_counter()
                async with http.stream("GET", url) as answer:
                    async for _ in answer.aiter_raw():
                        pass
                latencies.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    errors += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return len(latencies), latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": str(Path(tmp) / "cache"), "PYTHONPATH": str(ROOT)}
        serve_port, floor_port = free_port(), free_port()
        serve = subprocess.Popen(
            [sys.executable, "-m", "massgen_discovery", "serve", "--offline", "--port", str(serve_port)],
            env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        serve_url = f"http://127.0.0.1:{serve_port}{QUESTION}"
        try:
            wait_up(serve_url, serve)
            body = httpx.get(serve_url, timeout=60).content
            body_file = Path(tmp) / "body.json"
            body_file.write_bytes(body)
            floor = subprocess.Popen([sys.executable, "-c", FLOOR_APP, str(body_file), str(floor_port)], env=env)
            floor_url = f"http://127.0.0.1:{floor_port}{QUESTION}"
            try:
                wait_up(floor_url, floor)
                assert httpx.get(floor_url).content == body
                results: dict[str, list[tuple[int, list[float], int]]] = {}
                for _ in range(args.rounds):
                    for name, url, headers in (
                        ("floor", floor_url, {"Accept-Encoding": "identity"}),
                        ("serve", serve_url, {"Accept-Encoding": "identity"}),
                        ("serve, gzip", serve_url, {"Accept-Encoding": "gzip"}),
                    ):
                        results.setdefault(name, []).append(asyncio.run(load(url, args.clients, args.seconds, headers)))
            finally:
                floor.terminate()
                floor.wait(10)
        finally:
            serve.terminate()
            serve.wait(10)
    print(f"`{QUESTION}`: {len(body):,} bytes, {args.clients} clients, {args.rounds} x {args.seconds:g} s each, "
          f"{os.cpu_count()} cores\n")  # fmt: skip
    print("| server | requests/s | median latency | p95 latency | errors | median vs floor |")
    print("|---|---:|---:|---:|---:|---:|")
    floor_median = statistics.median(x for _, lat, _ in results["floor"] for x in lat)
    for name, runs in results.items():
        count = sum(n for n, _, _ in runs)
        lat = sorted(x for _, values, _ in runs for x in values)
        median = statistics.median(lat)
        p95 = lat[int(len(lat) * 0.95) - 1]
        rate = count / (args.seconds * len(runs))
        errors = sum(e for _, _, e in runs)
        print(f"| {name} | {rate:,.0f} | {median * 1000:.1f} ms | {p95 * 1000:.1f} ms | {errors} | "
              f"{median / floor_median:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
