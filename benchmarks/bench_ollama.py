"""Ollama refresh on a loopback server: 50 models, 50 ms per /api/show, against a sequential fetch.

    python benchmarks/bench_ollama.py
    python benchmarks/bench_ollama.py --models 100 --latency 0.1

The server emulates /api/tags, /api/show and /api/ps (tests/servers.py) in its own process, as a
real Ollama would be. The sequential baseline
does what a plain client does: /api/tags, then /api/show for each model one after another.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from massgen_discovery import Catalog
from massgen_discovery.sources.ollama import OllamaSource
from tests.support.servers import FakeOllama, running


def server_for(models: int, latency: float) -> FakeOllama:
    """An emulated Ollama with ``models`` tags, each /api/show taking ``latency`` seconds."""
    tags = {
        "models": [
            {
                "name": f"model{i}:7b",
                "model": f"model{i}:7b",
                "digest": f"{i:064x}",
                "details": {"family": "llama", "parameter_size": "7B", "quantization_level": "Q4_K_M"},
            }
            for i in range(models)
        ]
    }
    shows = {
        entry["name"]: {
            "details": entry["details"],
            "model_info": {"general.architecture": "llama", "llama.context_length": 32768},
            "capabilities": ["completion", "tools"],
        }
        for entry in tags["models"]
    }
    return FakeOllama(tags, shows, show_delay=latency)


def _serve(models: int, latency: float, ready: multiprocessing.Queue[str], stop: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    with running(server_for(models, latency)) as server:
        ready.put(server.url)
        stop.wait()


@contextmanager
def ollama_process(models: int, latency: float) -> Iterator[str]:
    """The emulated Ollama in its own process, as a real one would be (no GIL shared with the client)."""
    ready: multiprocessing.Queue[str] = multiprocessing.Queue()
    stop = multiprocessing.Event()
    process = multiprocessing.Process(target=_serve, args=(models, latency, ready, stop), daemon=True)
    process.start()
    try:
        yield ready.get(timeout=30)
    finally:
        stop.set()
        process.join(timeout=10)


def show_calls(url: str) -> int:
    """How many /api/show requests the server has answered (read from its access log)."""
    with httpx.Client() as client:
        return int(client.get(f"{url}/_show_calls").text)


def sequential(url: str) -> int:
    """The baseline: one request at a time."""
    with httpx.Client(timeout=30) as client:
        names = [m["name"] for m in client.get(f"{url}/api/tags").json()["models"]]
        for name in names:
            client.post(f"{url}/api/show", json={"model": name}).raise_for_status()
        client.get(f"{url}/api/ps")
    return len(names)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per /api/show")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache_dir, ollama_process(args.models, args.latency) as url:
        os.environ["MASSGEN_DISCOVERY_CACHE_DIR"] = cache_dir
        started = time.perf_counter()
        sequential(url)
        baseline = time.perf_counter() - started
        before = show_calls(url)

        started = time.perf_counter()
        (first,) = Catalog(sources=[OllamaSource(base_url=url)], timeout=30).refresh()
        full = time.perf_counter() - started
        first_calls = show_calls(url) - before

        started = time.perf_counter()
        Catalog(sources=[OllamaSource(base_url=url)], timeout=30).refresh()
        again = time.perf_counter() - started
        second_calls = show_calls(url) - before - first_calls
    print(f"{args.models} models, {args.latency * 1000:.0f} ms per /api/show, loopback")
    print()
    print("| run | time | /api/show calls | vs sequential |")
    print("|---|---:|---:|---:|")
    print(f"| sequential fetch (baseline) | {baseline * 1000:.0f} ms | {args.models} | 1.0x |")
    rows = [
        (f"full refresh ({first.count} records)", full, first_calls),
        ("second refresh, digests unchanged", again, second_calls),
    ]
    for name, seconds, calls in rows:
        print(f"| {name} | {seconds * 1000:.0f} ms | {calls} | {baseline / seconds:.1f}x faster |")


if __name__ == "__main__":
    main()
