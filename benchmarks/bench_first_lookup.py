"""The first online lookup against the same lookup offline, with every upstream silent or refusing, side by side.

    python benchmarks/bench_first_lookup.py            # medians of 7 interleaved fresh-process rounds
    python benchmarks/bench_first_lookup.py --runs 11

Every live source's base URL points at a loopback server that either accepts connections and never
answers (``silent``: a firewall that drops, a hung proxy) or refuses them (``refusing``). Fresh
processes, each pair interleaved, medians over ``--runs``:

(1) ``massgen-discovery show gpt-4o`` after the README's main command (offline, so every live
    source is never tried), online against ``--offline``;
(2) ``get_model('claude-sonnet-4-5')`` on an empty cache (what MassGen's first cost lookup pays),
    online against offline;
(3) ``show openai/gpt-4oo-preview-latest`` (a typo: unknown, with suggestions) against
    ``show gpt-4o``, both offline on the warm cache: a typo costs at most 2x a known name;
(4) a 27,000-record router listing (3,000 models x 8 providers, served on loopback) refreshed
    alone (``massgen-discovery refresh huggingface``), then the first online ``show`` of one of its
    routes, against ``show gpt-4o --offline`` on a cache of LiteLLM's map alone (the main command's):
    at most 1.5x.

The target: online at most 2x offline. A lookup whose answer the bundled data has never waits on
the network; the sources never tried are fetched in the background.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
LIVE = ("HUGGINGFACE", "OPENROUTER", "OLLAMA", "MODELSDEV")
MAIN = [sys.executable, "-m", "massgen_discovery", "list", "--offline", "--tools", "--min-context", "128000"]
SHOW = [sys.executable, "-m", "massgen_discovery", "show", "gpt-4o"]
TYPO = [sys.executable, "-m", "massgen_discovery", "show", "openai/gpt-4oo-preview-latest"]
GET = "from massgen_discovery import Catalog\nassert Catalog().get_model('claude-sonnet-4-5').max_input_tokens"


def silent_server() -> tuple[str, socket.socket]:
    """A loopback port that accepts every connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}", server


def refusing_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # closed again: connections are refused


def timed(args: list[str], env: dict[str, str], *, check: bool = True) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--models", type=int, default=3000)
    args = parser.parse_args()
    compile_package()
    silent, server = silent_server()
    rows = []
    typos: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, url in (("silent", silent), ("refusing", refusing_url())):
            base = {**os.environ, "PYTHONPATH": str(ROOT)}
            base.pop("MASSGEN_DISCOVERY_OFFLINE", None)
            for name in LIVE:
                base[f"MASSGEN_DISCOVERY_{name}_BASE_URL"] = url + ("" if name == "OLLAMA" else "/v1")
            warm = Path(tmp) / f"warm-{label}"
            subprocess.run(MAIN, env={**base, "MASSGEN_DISCOVERY_CACHE_DIR": str(warm)}, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            show_on, show_off, get_on, get_off, typo = [], [], [], [], []
            for n in range(args.runs):
                copy = Path(tmp) / f"copy-{label}-{n}"
                shutil.copytree(warm, copy)  # each online show is the first online one
                env = {**base, "MASSGEN_DISCOVERY_CACHE_DIR": str(copy)}
                show_off.append(timed([*SHOW, "--offline"], env))
                show_on.append(timed(SHOW, env))
                typo.append(timed([*TYPO, "--offline"], env, check=False))
                empty_on = {**base, "MASSGEN_DISCOVERY_CACHE_DIR": str(Path(tmp) / f"empty-on-{label}-{n}")}
                empty_off = {**base, "MASSGEN_DISCOVERY_CACHE_DIR": str(Path(tmp) / f"empty-off-{label}-{n}"),
                             "MASSGEN_DISCOVERY_OFFLINE": "1"}  # fmt: skip
                get_off.append(timed([sys.executable, "-c", GET], empty_off))
                get_on.append(timed([sys.executable, "-c", GET], empty_on))
            for what, on, off in (
                ("`show gpt-4o` after the main command", show_on, show_off),
                ("`get_model('claude-sonnet-4-5')`, empty cache", get_on, get_off),
            ):
                a, b = statistics.median(on), statistics.median(off)
                rows.append((what, label, a, b))
            typos.append((label, statistics.median(typo), statistics.median(show_off)))
        route_rows = first_route_show(Path(tmp), silent, args.runs, args.models)
    server.close()
    print(f"medians of {args.runs} fresh-process runs, interleaved, {os.cpu_count()} cores\n")
    print("| lookup | upstreams | online | offline | ratio | target |")
    print("|---|---|---:|---:|---:|---|")
    for what, label, on, off in rows:
        print(f"| {what} | {label} | {on * 1000:.0f} ms | {off * 1000:.0f} ms | {on / off:.2f}x | <= 2x |")
    print("\n| offline, warm cache | upstreams | typo | known | ratio | target |")
    print("|---|---|---:|---:|---:|---|")
    for label, bad, good in typos:
        print(f"| `show` of a typo vs `show gpt-4o` | {label} | {bad * 1000:.0f} ms | {good * 1000:.0f} ms "
              f"| {bad / good:.2f}x | <= 2x |")  # fmt: skip
    on, off, records = route_rows
    print(
        f"\n| first online `show` of a route, {records:,}-record catalog (router refreshed alone, other "
        "sources silent) | offline `show gpt-4o`, LiteLLM's map alone | ratio | target |"
    )
    print("|---:|---:|---:|---|")
    print(f"| {on * 1000:.0f} ms | {off * 1000:.0f} ms | {on / off:.2f}x | <= 1.5x |")


def first_route_show(tmp: Path, silent: str, runs: int, models: int) -> tuple[float, float, int]:
    """(4): medians of the first online show of a route and of the offline show on the map alone."""
    from bench_huggingface import router_payload, serve

    payload = router_payload(models, 8)
    body = json.dumps(payload).encode()
    router = serve(lambda: body)
    base = {**os.environ, "PYTHONPATH": str(ROOT)}
    base.pop("MASSGEN_DISCOVERY_OFFLINE", None)
    for name in LIVE:
        base[f"MASSGEN_DISCOVERY_{name}_BASE_URL"] = silent + ("" if name == "OLLAMA" else "/v1")
    base["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = f"http://127.0.0.1:{router.server_port}/v1"
    big, small = tmp / "big", tmp / "small"
    refresh = [sys.executable, "-m", "massgen_discovery", "refresh", "huggingface"]
    subprocess.run(
        refresh, env={**base, "MASSGEN_DISCOVERY_CACHE_DIR": str(big)}, check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run(MAIN, env={**base, "MASSGEN_DISCOVERY_CACHE_DIR": str(small)}, check=True, stdout=subprocess.DEVNULL)
    entry = payload["data"][len(payload["data"]) // 2]
    route = f"huggingface/{entry['providers'][0]['provider']}/{entry['id']}"
    on, off = [], []
    for n in range(runs):
        copy = tmp / f"big-{n}"
        shutil.copytree(big, copy)  # each online show is the first online one on this cache
        on.append(timed([sys.executable, "-m", "massgen_discovery", "show", route],
                        {**base, "MASSGEN_DISCOVERY_CACHE_DIR": str(copy)}))  # fmt: skip
        off.append(timed([*SHOW, "--offline"], {**base, "MASSGEN_DISCOVERY_CACHE_DIR": str(small)}))
        shutil.rmtree(copy)
    router.shutdown()
    records = sum(len(m["providers"]) + 1 for m in payload["data"])
    return statistics.median(on), statistics.median(off), records


if __name__ == "__main__":
    main()
