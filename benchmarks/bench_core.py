"""massgen_discovery against plain LiteLLM, measured side by side in one run.

    python benchmarks/bench_core.py            # prints a Markdown table of ratios
    python benchmarks/bench_core.py --runs 7   # more fresh-process runs per side

(a) a fresh process: import + one context-window lookup from a warm cache, against ``import litellm``
    + ``litellm.get_model_info`` with ``LITELLM_LOCAL_MODEL_COST_MAP=True`` (wall time, peak RSS);
(b) one warm process: every model of LiteLLM's map looked up once, against ``get_model_info`` on the
    same strings (distinct strings, since LiteLLM caches repeats of one);
(c) a capability query over the whole catalog against the same question answered by looping
    ``litellm.model_cost`` with LiteLLM's ``supports_*`` helpers.

Absolute times on a shared 2-core machine are noise; the ratios are the result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _bytecode import compile_package

OURS_CHILD = """
import resource, time
t = time.perf_counter()
from massgen_discovery import Catalog
ctx = Catalog().get_model("gpt-4o").max_input_tokens
elapsed = time.perf_counter() - t
print(ctx, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

LITELLM_CHILD = """
import resource, time
t = time.perf_counter()
import litellm
ctx = litellm.get_model_info("gpt-4o")["max_input_tokens"]
elapsed = time.perf_counter() - t
print(ctx, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _child(code: str, env: dict[str, str]) -> tuple[float, float, int]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - started
    ctx, _inner, rss_kb = out.stdout.split()
    assert int(ctx) > 0
    return wall, float(_inner), int(rss_kb)


def fresh_process(runs: int, cache_dir: str) -> dict[str, float]:
    """(a): median wall time and peak RSS of a new process doing one lookup, both sides interleaved."""
    # Offline: the comparison is lookups against LiteLLM's map, with no live source in the way.
    env = {
        **os.environ,
        "MASSGEN_DISCOVERY_CACHE_DIR": cache_dir,
        "MASSGEN_DISCOVERY_OFFLINE": "1",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
    _child(OURS_CHILD, env)  # warm the cache (and the OS file cache) once per side before measuring
    _child(LITELLM_CHILD, env)
    ours, theirs = [], []
    for _ in range(runs):
        ours.append(_child(OURS_CHILD, env))
        theirs.append(_child(LITELLM_CHILD, env))
    return {
        "ours_wall": statistics.median(o[0] for o in ours),
        "litellm_wall": statistics.median(t[0] for t in theirs),
        "ours_rss_mb": max(o[2] for o in ours) / 1024,
        "litellm_rss_mb": max(t[2] for t in theirs) / 1024,
    }


def warm_lookups(cache_dir: str) -> dict[str, float]:
    """(b) and (c) in this process, with litellm imported once for its side."""
    os.environ["MASSGEN_DISCOVERY_CACHE_DIR"] = cache_dir
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    from massgen_discovery import Catalog
    from massgen_discovery.sources.litellm_map import bundled_map_path

    path = bundled_map_path()
    assert path is not None
    with open(path) as handle:
        keys = [k for k, v in json.load(handle).items() if k != "sample_spec" and isinstance(v, dict)]

    catalog = Catalog(offline=True)
    catalog.list_models()  # warm: the merged catalog is in memory
    started = time.perf_counter()
    found = sum(catalog.get_model(k) is not None for k in keys)
    ours_lookup = time.perf_counter() - started

    query_runs = 20
    started = time.perf_counter()
    for _ in range(query_runs):
        ours_hits = catalog.find_models(supports_function_calling=True, min_context=128_000)
    ours_query = (time.perf_counter() - started) / query_runs

    import litellm

    started = time.perf_counter()
    litellm_found = 0
    for key in keys:
        try:
            litellm.get_model_info(key)
            litellm_found += 1
        except Exception:
            pass
    litellm_lookup = time.perf_counter() - started

    started = time.perf_counter()
    litellm_hits = []
    for key, entry in litellm.model_cost.items():
        try:
            if litellm.supports_function_calling(model=key) and (entry.get("max_input_tokens") or 0) >= 128_000:
                litellm_hits.append(key)
        except Exception:
            pass
    litellm_query = time.perf_counter() - started
    return {
        "keys": len(keys),
        "ours_found": found,
        "litellm_found": litellm_found,
        "ours_lookup": ours_lookup,
        "litellm_lookup": litellm_lookup,
        "ours_query": ours_query,
        "litellm_query": litellm_query,
        "ours_hits": len(ours_hits),
        "litellm_hits": len(litellm_hits),
    }


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh-process runs per side (median is reported)")
    args = parser.parse_args()
    compile_package()

    from importlib.metadata import version

    with tempfile.TemporaryDirectory() as cache_dir:
        a = fresh_process(args.runs, cache_dir)
        b = warm_lookups(cache_dir)
    rows = [
        (
            "(a) fresh process: import + 1 lookup, wall",
            f"{a['ours_wall'] * 1000:.0f} ms",
            f"{a['litellm_wall'] * 1000:.0f} ms",
            a["litellm_wall"] / a["ours_wall"],
            ">= 20x",
        ),
        (
            "(a) fresh process: peak RSS",
            f"{a['ours_rss_mb']:.0f} MB",
            f"{a['litellm_rss_mb']:.0f} MB",
            a["litellm_rss_mb"] / a["ours_rss_mb"],
            ">= 3x (1/3 the RSS)",
        ),
        (
            f"(b) warm: {b['keys']} distinct lookups",
            f"{b['ours_lookup'] * 1000:.1f} ms",
            f"{b['litellm_lookup'] * 1000:.0f} ms",
            b["litellm_lookup"] / b["ours_lookup"],
            ">= 50x",
        ),
        (
            "(c) tools + 128k context over the whole map",
            f"{b['ours_query'] * 1000:.2f} ms",
            f"{b['litellm_query'] * 1000:.0f} ms",
            b["litellm_query"] / b["ours_query"],
            ">= 20x",
        ),
    ]
    print(f"litellm {version('litellm')}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print()
    print("| measurement | massgen_discovery | litellm | ratio | target |")
    print("|---|---:|---:|---:|---|")
    for name, ours, theirs, ratio, target in rows:
        print(f"| {name} | {ours} | {theirs} | {ratio:.1f}x | {target} |")
    print()
    print(
        f"found: ours {b['ours_found']}/{b['keys']}, litellm {b['litellm_found']}/{b['keys']}; "
        f"query hits: ours {b['ours_hits']}, litellm {b['litellm_hits']}"
    )


if __name__ == "__main__":
    main()
