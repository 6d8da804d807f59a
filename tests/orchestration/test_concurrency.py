"""Many processes and threads on one cache directory: no exception, no torn read, one fetch per TTL."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

pytestmark = pytest.mark.slow  # real processes and servers; `pytest -m slow` runs them

ROOT = Path(__file__).parents[2]
MODELS = 40
TTL = 1.0

WORKER = textwrap.dedent(
    """
    import json, random, sys, threading, time
    sys.path.insert(0, {root!r})
    from tests.support.helpers import ListingSource
    from massgen_discovery import Catalog

    def make():
        return Catalog(sources=[ListingSource("mylab", {url!r}, ttl={ttl})], timeout=10)

    errors, refreshes, reads = [], [0], [0]
    lock = threading.Lock()

    def work(seed):
        rnd = random.Random(seed)
        catalog = make()
        for _ in range(200):
            try:
                op = rnd.random()
                if op < 0.002:
                    catalog.refresh()
                    with lock:
                        refreshes[0] += 1
                elif op < 0.5:
                    records = catalog.list_models()
                    versions = {{r.max_input_tokens for r in records}}
                    if len(records) != {models} or len(versions) != 1:
                        errors.append(f"torn list: {{len(records)}} records, versions {{sorted(versions)}}")
                elif op < 0.9:
                    name = f"mylab/m{{rnd.randrange({models})}}"
                    record = catalog.get_model(name)
                    if record is None or record.model != name or record.max_input_tokens is None:
                        errors.append(f"bad get {{name}}: {{record}}")
                else:
                    catalog.status()
                with lock:
                    reads[0] += 1
            except Exception as exc:
                errors.append(f"{{type(exc).__name__}}: {{exc}}")
            time.sleep(0.02)  # spread the cycles over several TTLs so background revalidation happens

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(json.dumps({{"errors": errors[:5], "error_count": len(errors), "refreshes": refreshes[0], "ops": reads[0]}}))
    """
)


def test_eight_processes_three_threads_each(cache_dir: Path) -> None:
    """8 processes x 3 threads x 200 mixed cycles: no error, whole generations only, bounded fetches."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    fetches: list[float] = []
    lock = threading.Lock()

    def listing(request: Request) -> Response:
        with lock:
            fetches.append(time.monotonic())
            version = len(fetches)
        time.sleep(0.02)
        data = {"data": [{"id": f"m{i}", "context_window": 1000 + version} for i in range(MODELS)]}
        return Response(json.dumps(data), content_type="application/json")

    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.expect_request("/v1/models").respond_with_handler(listing)
    server.start()
    try:
        script = WORKER.format(root=str(ROOT), url=f"http://127.0.0.1:{server.port}/v1", ttl=TTL, models=MODELS)
        env = {"MASSGEN_DISCOVERY_CACHE_DIR": str(cache_dir), "PATH": "/usr/bin:/bin"}
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
            for _ in range(8)
        ]
        outputs = [p.communicate(timeout=600) for p in procs]
        duration = time.monotonic() - started
    finally:
        server.stop()
    results = []
    for (out, err), proc in zip(outputs, procs, strict=True):
        assert proc.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["error_count"] for r in results) == 0, [r["errors"] for r in results if r["errors"]]
    assert sum(r["ops"] for r in results) == 8 * 3 * 200
    explicit = sum(r["refreshes"] for r in results)
    automatic_bound = int(duration / TTL) + 2
    assert len(fetches) - explicit >= 2, "reads should have revalidated expired data at least once"
    assert len(fetches) <= explicit + automatic_bound, (len(fetches), explicit, duration)
