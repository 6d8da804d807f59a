"""This checkout against another revision, cold lookups side by side in one run.

    python benchmarks/bench_compare.py --against HEAD~5     # medians of 9 interleaved rounds

Each side is a fresh process with its own warm cache (built once before timing), offline, importing
the package from its own checkout (a git worktree of the other revision) with the same installed
dependencies: (1) ``get_model("gpt-4o")``; (2) every model with tools and >= 128k context.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = {
    "fresh get_model('gpt-4o')": "import massgen_discovery as m; m.get_model('gpt-4o').max_input_tokens",
    "fresh tools + 128k query": (
        "import massgen_discovery as m; m.find_models(supports_function_calling=True, min_context=128000)"
    ),
}


def timed(code: str, checkout: Path, cache: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout), "MASSGEN_DISCOVERY_CACHE_DIR": str(cache),
           "MASSGEN_DISCOVERY_OFFLINE": "1"}  # fmt: skip
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the other revision (a commit, tag or branch)")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    other = work / "other"
    subprocess.run(["git", "worktree", "add", "--detach", str(other), args.against], cwd=ROOT, check=True,
                   capture_output=True)  # fmt: skip
    try:
        sides = {"this checkout": (ROOT, work / "cache-this"), args.against: (other, work / "cache-other")}
        for checkout, cache in sides.values():
            for code in QUESTIONS.values():
                timed(code, checkout, cache)  # builds the side's generation once
        print(f"{'question':28} {'this checkout':>14} {args.against:>14} {'ratio':>7}")
        for label, code in QUESTIONS.items():
            times: dict[str, list[float]] = {name: [] for name in sides}
            for _ in range(args.runs):
                for name, (checkout, cache) in sides.items():
                    times[name].append(timed(code, checkout, cache))
            this, that = (statistics.median(times[name]) * 1000 for name in sides)
            print(f"{label:28} {this:11.0f} ms {that:11.0f} ms {this / that:6.2f}x")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
