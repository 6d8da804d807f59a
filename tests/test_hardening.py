"""Nothing an upstream, a damaged cache or a busy disk sends can harm the user.

Real processes, real loopback servers, real files: a damaged cache beside user files, a nested
gzip bomb, hostile ids and error bodies in a real terminal-less CLI run, credentials in URLs and
across redirects, a database held by another process, locks of killed and exited processes,
16 processes over a flapping upstream, and a read-only or full cache directory.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import diskcache
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery._domain.changes import HISTORY_KEEP
from massgen_discovery._persistence.disk import own_files
from massgen_discovery._persistence.store import Store
from massgen_discovery.sources.anthropic import AnthropicSource
from massgen_discovery.sources.endpoint import EndpointSource
from massgen_discovery.sources.gemini import GeminiSource
from massgen_discovery.testing import StaticSource
from tests.support.helpers import ListingSource

ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.slow


@contextmanager
def serve(handler: Callable[[Request], Response]) -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1 answering every path with ``handler``."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.expect_request(re.compile(".*")).respond_with_handler(handler)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def base(server: HTTPServer) -> str:
    return f"http://127.0.0.1:{server.port}/v1"


def listing(n: int, prefix: str = "m", **extra: Any) -> dict[str, Any]:
    return {"data": [{"id": f"{prefix}{i}", "context_window": 8192, **extra} for i in range(n)]}


def as_json(payload: Any) -> Response:
    return Response(json.dumps(payload), content_type="application/json")


def cli(*args: str, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process (no terminal), with the test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "massgen_discovery", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
        **kwargs,
    )


# -- the cache never removes what it did not create ---------------------------------------------


def test_damage_recovery_removes_only_its_own_files(cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """User files beside a damaged cache (even ones shaped like diskcache's) survive its rebuild."""
    cache_dir.mkdir(parents=True)
    mine = {
        cache_dir / "notes.txt": "my notes",
        cache_dir / "project" / "main.py": "print('hi')",
        cache_dir / "ab" / "cd" / "keep.txt": "looks like a value folder, is not a value file",
        cache_dir / "ab" / "cd" / ("f" * 28 + ".txt"): "not .val",
        cache_dir / "cache.db.bak": "a backup the user made",
    }
    for path, text in mine.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    # A listing of a few MB: its stored payload is a value file beside the database.
    records = [
        ModelRecord(model=f"mylab/m{n}", provider="mylab", model_id=f"m{n}", status="x" * 400) for n in range(1, 6000)
    ]
    lab = StaticSource("mylab", records)
    assert Catalog(sources=["litellm", lab]).get_model("mylab/m1") is not None
    values = [p for p in own_files(cache_dir) if p.suffix == ".val"]
    assert values, "the listing is large enough to be stored in a value file"
    (cache_dir / "cache.db").write_bytes(b"this is not a database" * 500)
    caplog.set_level(logging.WARNING)
    catalog = Catalog(sources=["litellm", lab])
    assert catalog.get_model("gpt-4o") is not None
    assert catalog.get_model("mylab/m1") is not None
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) <= 1
    for path, text in mine.items():
        assert path.read_text() == text, path


# -- a compression bomb stops at the cap, within the deadline --------------------------------------


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """1 GiB of zeros, gzip-compressed twice: about 2 kB on the wire."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1 << 20)
    once = b"".join([*(inner.compress(block) for _ in range(1024)), inner.flush()])
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return outer.compress(once) + outer.flush()


def test_nested_gzip_bomb_is_capped_in_memory_and_time(gzip_bomb: bytes, tmp_path: Path) -> None:
    """A refresh fed ``Content-Encoding: gzip, gzip`` (1 GiB inflated) fails fast under 300 MB RSS."""
    assert len(gzip_bomb) < 4096

    def handler(request: Request) -> Response:
        return Response(gzip_bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip, gzip"})

    script = textwrap.dedent(
        """
        import json, sys, time
        from massgen_discovery import Catalog
        from massgen_discovery.sources.endpoint import EndpointSource
        catalog = Catalog(sources=[EndpointSource("bomb", sys.argv[1])], timeout=5)
        started = time.monotonic()
        [report] = catalog.refresh()
        seconds = time.monotonic() - started
        # VmHWM is this program's own peak (ru_maxrss would count the parent's pages before exec).
        status = open("/proc/self/status").read()
        peak_kb = int(status.split("VmHWM:")[1].split()[0])
        print(json.dumps({"outcome": report.outcome, "error": report.error, "seconds": seconds,
                          "rss_mb": peak_kb / 1024}))
        """
    )
    with serve(handler) as server:
        out = subprocess.run(
            [sys.executable, "-c", script, base(server)], capture_output=True, text=True, timeout=60, check=True
        )
    result = json.loads(out.stdout)
    assert result["outcome"] == "failed"
    assert "byte cap" in result["error"]
    assert result["rss_mb"] < 300, result
    assert result["seconds"] < 5 + 1, result


def test_identity_gzip_and_deflate_bodies_still_read() -> None:
    """Ordinary encodings (none, gzip, zlib deflate, raw deflate, nested) decode as before."""
    body = json.dumps(listing(3)).encode()
    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    encodings: dict[str, bytes] = {
        "": body,
        "gzip": zlib.compress(body, wbits=31) if sys.version_info >= (3, 11) else body,  # type: ignore[call-arg]
        "deflate": zlib.compress(body),
        "x-gzip": zlib.compress(body, wbits=31) if sys.version_info >= (3, 11) else body,  # type: ignore[call-arg]
    }
    encodings["deflate-raw"] = raw.compress(body) + raw.flush()
    encodings["gzip, deflate"] = zlib.compress(encodings["gzip"])
    for name, data in encodings.items():
        header = "deflate" if name == "deflate-raw" else name
        if sys.version_info < (3, 11) and "gzip" in header:
            continue

        def handler(request: Request, data: bytes = data, header: str = header) -> Response:
            headers = {"Content-Type": "application/json", **({"Content-Encoding": header} if header else {})}
            return Response(data, headers=headers)

        with serve(handler) as server:
            [report] = Catalog(sources=[ListingSource("enc", base(server))]).refresh()
        assert report.outcome == "ok" and report.count == 3, (name, report)


# -- the user's terminal ------------------------------------------------------------------------

HOSTILE = (
    '{"data": ['
    '{"id": "evil\\u001b]0;pwned\\u0007\\u001b[2J\\u001b[31mred", "context_length": 8192},'
    '{"id": "two\\nforged-row   1M   free", "context_length": 4096},'
    '{"id": "[bold red]markup[/] [link=https://example.invalid]x[/link]", "context_length": 1' + "0" * 400 + "},"
    '{"id": "c1\\u009b31mcsi\\u202etxt", "context_length": 1e400},'
    '{"id": "plain", "context_length": 32768}'
    "]}"
)


def test_hostile_ids_are_inert_in_human_output() -> None:
    """Escape sequences, newlines, C1 controls and rich markup in ids are shown, never obeyed."""

    def handler(request: Request) -> Response:
        if request.path.endswith("/models"):
            return Response(HOSTILE, content_type="application/json")
        return Response("not here", status=404)

    with serve(handler) as server:
        endpoint = f"evil={base(server)}"
        table = cli("list", "--endpoint", endpoint, "--provider", "evil")
        assert table.returncode == 0, table.stderr
        assert "\x1b" not in table.stdout and "\x9b" not in table.stdout and "\u202e" not in table.stdout
        rows = [line for line in table.stdout.splitlines() if "evil/" in line]
        # Ids with control characters (escapes, a newline, C1) name no model: dropped where the
        # listing is parsed, with a note; the rest, one record one row, markup shown as text.
        assert len(rows) == 2, table.stdout
        assert not [row for row in rows if "forged-row" in row]
        assert "[bold red]markup[/]" in table.stdout
        assert "Traceback" not in table.stderr

        raw = cli("list", "--endpoint", endpoint, "--provider", "evil", "--json")
        ids = {r["model_id"]: r for r in json.loads(raw.stdout)}
        assert "evil\x1b]0;pwned\x07\x1b[2J\x1b[31mred" not in ids and "c1\x9b31mcsi\u202etxt" not in ids
        huge = ids["[bold red]markup[/] [link=https://example.invalid]x[/link]"]
        assert huge["max_input_tokens"] is None  # 10**400 is not a real context: unknown

        for model in ("evil/[bold red]markup[/] [link=https://example.invalid]x[/link]", "evil/plain"):
            shown = cli("show", model, "--endpoint", endpoint)
            assert shown.returncode == 0, shown.stderr
            assert "\x1b" not in shown.stdout and "Traceback" not in shown.stderr

        catalog = Catalog(endpoints={"evil": base(server)}, sources=["litellm"])
        notes = next(s for s in catalog.status() if s.source == "evil").notes
        assert any("max_input_tokens" in n and "not a real value" in n for n in notes), notes
        assert sum("control characters" in n for n in notes) == 3, notes
        assert not any(c in n for n in notes for c in ("\x1b", "\n", "\x9b")), notes


def test_hostile_error_bodies_do_not_crash_refresh_or_providers() -> None:
    """An error body with rich markup and escape sequences: one clean line, no MarkupError."""

    def handler(request: Request) -> Response:
        return Response("[/] [bold]\x1b[2J\x1b]8;;http://x\x07click\x1b]8;;\x07 boom", status=500)

    with serve(handler) as server:
        endpoint = f"evil={base(server)}"
        refreshed = cli("refresh", "evil", "--endpoint", endpoint)
        assert refreshed.returncode == 1
        assert "Traceback" not in refreshed.stderr and "MarkupError" not in refreshed.stderr
        assert "\x1b" not in refreshed.stdout + refreshed.stderr
        assert "[/] [bold]" in refreshed.stdout
        providers = cli("providers", "--endpoint", endpoint)
        assert providers.returncode == 0, providers.stderr
        assert "\x1b" not in providers.stdout and "Traceback" not in providers.stderr


# -- credentials in URLs, and redirects ---------------------------------------------------------


def test_credentials_in_the_url_are_used_and_never_kept(cache_dir: Path) -> None:
    """userinfo and ?api_key= reach the server, and nowhere else: not the cache, api_base or errors."""
    seen: list[tuple[str | None, str]] = []

    def handler(request: Request) -> Response:
        seen.append((request.headers.get("Authorization"), request.query_string.decode()))
        if request.path == "/v1/models":
            return as_json(listing(2))
        return Response("no", status=404)

    with serve(handler) as server:
        url = f"http://alice:s3cr3t-PASS@127.0.0.1:{server.port}/v1?api_key=QK-SECRET-123&region=eu"
        catalog = Catalog(endpoints={"sec": url}, sources=["litellm"])
        [report] = catalog.refresh(["sec"])
        assert report.outcome == "ok" and report.count == 2
        record = catalog.get_model("sec/m0")
        assert record is not None and record.api_base == f"http://127.0.0.1:{server.port}/v1"
        status = next(s for s in catalog.status() if s.source == "sec")
        assert status.base_url == f"http://127.0.0.1:{server.port}/v1"
    auth, query = next(s for s in seen if s[1])
    assert auth is not None and auth.startswith("Basic ")
    assert "api_key=QK-SECRET-123" in query and "region=eu" in query
    catalog.close()
    for path in cache_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"s3cr3t-PASS" not in data and b"QK-SECRET-123" not in data, path

    # Down: the error names the clean URL, never the credentials.
    failing = Catalog(endpoints={"sec": url.replace(str(server.port), "9")}, sources=["litellm"])
    [report] = failing.refresh(["sec"])
    assert report.outcome == "failed" and report.error
    assert "s3cr3t" not in report.error and "QK-SECRET" not in report.error and "alice" not in report.error


@pytest.mark.parametrize(
    ("make", "header"),
    [
        (lambda url: AnthropicSource(base_url=url, credential="sk-ant-REDIRECT-SECRET"), "x-api-key"),
        (lambda url: GeminiSource(base_url=url, credential="AIza-REDIRECT-SECRET"), "x-goog-api-key"),
        (lambda url: EndpointSource("ep", url, api_key="sk-REDIRECT-SECRET"), "authorization"),
    ],
)
def test_no_credential_follows_a_redirect_to_another_origin(make: Callable[[str], Any], header: str) -> None:
    """A listing that redirects to another origin: the credential header is not sent there."""
    received: list[dict[str, str]] = []

    def other(request: Request) -> Response:
        received.append({k.lower(): v for k, v in request.headers.items()})
        return as_json({"data": [], "models": [], "has_more": False})

    with serve(other) as target:

        def first(request: Request) -> Response:
            assert "SECRET" in json.dumps(dict(request.headers))  # the origin itself gets the key
            return Response("", status=302, headers={"Location": f"http://127.0.0.1:{target.port}{request.full_path}"})

        with serve(first) as origin:
            catalog = Catalog(sources=[make(base(origin))])
            catalog.refresh()
    assert received, "the redirect was followed"
    for headers in received:
        assert header not in headers
        assert not any("SECRET" in v for v in headers.values()), headers


# -- a lookup never waits on another process ----------------------------------------------------


def test_offline_show_answers_while_another_process_holds_the_database(cache_dir: Path) -> None:
    """`--offline show` with BEGIN EXCLUSIVE held elsewhere answers in about a second, not 30-60 s."""
    warm = cli("--offline", "show", "gpt-4o", "--json")
    assert warm.returncode == 0, warm.stderr
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE')\n"
            "c.execute(\"INSERT INTO Settings VALUES ('held', 1)\")\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
            str(cache_dir / "cache.db"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        answer = cli("--offline", "show", "gpt-4o", "--json", timeout=30)
        elapsed = time.monotonic() - started
        assert answer.returncode == 0, answer.stderr
        assert json.loads(answer.stdout)["model"] == "openai/gpt-4o"
        # The property is "does not wait on the other process" (it used to wait 30-60 s); the
        # bound leaves room for a slow interpreter start on a busy machine.
        assert elapsed < 8, f"show took {elapsed:.1f} s while the database was held"
        catalog = Catalog(offline=True)
        assert catalog.get_model("gpt-4o-mini") is not None
    finally:
        holder.kill()
        holder.communicate()


# -- locks carry their owner ----------------------------------------------------------------------

LOCKER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {root!r})
    from tests.support import internals
    from tests.support.helpers import ListingSource
    from massgen_discovery import Catalog
    from massgen_discovery._persistence.store import Store
    catalog = Catalog(sources=[ListingSource("lab", {url!r})])
    source = internals.sources(catalog)[1]["lab"]
    token = Store({cache!r}).try_lock("fetch:" + internals.envelope_key(source), 600)
    print("locked" if token else "busy", flush=True)
    if {mode!r} == "sleep":
        time.sleep(120)
    """
)


@pytest.mark.parametrize("ending", ["kill -9", "exit"])
def test_a_dead_or_exited_lock_holder_never_makes_refresh_skip(cache_dir: Path, ending: str) -> None:
    """The fetch lock of a killed or exited process: the next explicit refresh fetches for real."""
    hits = [0]

    def handler(request: Request) -> Response:
        hits[0] += 1
        return as_json(listing(3))

    with serve(handler) as server:
        url = base(server)
        mode = "sleep" if ending == "kill -9" else "exit"
        script = LOCKER.format(root=str(ROOT), url=url, cache=str(cache_dir), mode=mode)
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        if ending == "kill -9":
            os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        before = hits[0]
        [report] = Catalog(sources=[ListingSource("lab", url)], timeout=3).refresh()
    assert report.outcome == "ok" and report.count == 3, report
    assert hits[0] == before + 1, "the refresh fetched"


def test_a_live_lock_holder_makes_refresh_say_why(cache_dir: Path) -> None:
    """A lock held by a live process: the explicit refresh says who holds it instead of 'ok'."""
    with serve(lambda r: as_json(listing(3))) as server:
        url = base(server)
        script = LOCKER.format(root=str(ROOT), url=url, cache=str(cache_dir), mode="sleep")
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
            [report] = Catalog(sources=[ListingSource("lab", url)], timeout=1).refresh()
        finally:
            proc.kill()
            proc.communicate()
    assert report.outcome == "skipped"
    assert report.error is not None and f"pid {proc.pid}" in report.error


# -- generations never pile up ------------------------------------------------------------------

FLAPPER = textwrap.dedent(
    """
    import random, sys
    sys.path.insert(0, {root!r})
    from tests.support.helpers import ListingSource
    from massgen_discovery import Catalog
    catalog = Catalog(sources=["litellm", ListingSource("flap", {url!r}, ttl=0.3)], timeout=5)
    rnd = random.Random({seed})
    for step in range({steps}):
        op = 0.0 if step == 0 else rnd.random()
        if op < 0.4:
            catalog.refresh(["flap"])
        elif op < 0.6:
            catalog.get_model("flap/m1")
        else:
            catalog.find_models(provider="flap")
    catalog.wait_background()
    print("done", flush=True)
    """
)


@pytest.mark.slow
def test_sixteen_processes_over_a_flapping_upstream_leave_two_generations(cache_dir: Path) -> None:
    """16 processes refreshing and reading while the upstream flaps: at most two generations remain."""
    counter = [0]
    lock = threading.Lock()

    def handler(request: Request) -> Response:
        with lock:
            counter[0] += 1
            n = counter[0]
        if n % 3 == 0:
            return Response("<html>maintenance</html>", status=503)
        return as_json(listing(30 + n % 2))  # the listing changes, so every good answer is a new generation

    with serve(handler) as server:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", FLAPPER.format(root=str(ROOT), url=base(server), seed=i, steps=12)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(16)
        ]
        outs = [p.communicate(timeout=240) for p in procs]
    for (out, err), proc in zip(outs, procs, strict=True):
        assert proc.returncode == 0 and out.strip() == "done", err[-2000:]
    cache = diskcache.Cache(str(cache_dir))
    try:
        keys = [k for k in cache.iterkeys() if isinstance(k, str)]
    finally:
        cache.close()
    generation_of = re.compile(r"^(catalog:[^:]+:[0-9a-f]+):dir$")
    generations: dict[str, int] = {}
    for key in keys:
        if match := generation_of.match(key):
            generations[match.group(1)] = generations.get(match.group(1), 0) + 1
    assert counter[0] >= 16, "every process fetched at least once"
    assert 1 <= len(generations) <= 2, sorted(generations)
    parts = [k for k in keys if k.startswith("part:")]  # what generations hold, shared between them
    entries = [k for k in keys if k.startswith("history:")]  # one row per history entry, capped
    assert len(entries) <= HISTORY_KEEP, entries
    other = len(keys) - sum(generations.values()) - len(parts) - len(entries)
    shown = [k for k in keys if not generation_of.match(k) and k not in parts and k not in entries]
    assert other <= 20, shown  # envelopes, payloads, pointers, locks, the history list
    size = sum(p.stat().st_size for p in cache_dir.rglob("*") if p.is_file())
    assert size < 40 * 1024 * 1024, size


# -- guard rails judge the listing as a whole -----------------------------------------------------


def test_guard_rails_hold_wholesale_replacement_and_drift_in_steps() -> None:
    """Junk ids at the same count and 10x in small steps are held; --force accepts; status says why."""
    answer: dict[str, Any] = {"payload": listing(20)}

    with serve(lambda r: as_json(answer["payload"])) as server:
        catalog = Catalog(sources=[ListingSource("lab", base(server))])
        assert catalog.refresh()[0].outcome == "ok"

        # 12 of 20 ids replaced by junk, same count.
        answer["payload"] = {"data": [*listing(8)["data"], *listing(12, prefix="junk")["data"]]}
        report = catalog.refresh()[0]
        assert report.outcome == "stale" and "gone" in (report.error or "")
        status = catalog.status()[-1]
        assert status.degraded and "gone" in (status.error or "")
        assert catalog.get_model("lab/m15") is not None  # the last good data is still served

        # A context moving 9.9x per refresh: the first step passes, the second (98x in all) is held.
        steps = [8192 * 9.9, 8192 * 9.9 * 9.9]
        outcomes = []
        for ctx in steps:
            answer["payload"] = listing(20, context_window=int(ctx))
            outcomes.append(catalog.refresh()[0].outcome)
        assert outcomes == ["ok", "stale"]
        assert catalog.refresh(force=True)[0].outcome == "ok"
        record = catalog.get_model("lab/m0")
        assert record is not None and record.max_input_tokens == int(steps[-1])


def test_cache_clear_on_a_full_disk_frees_the_space(cache_dir: Path) -> None:
    """When the database cannot write at all (file size limit 0), `cache clear` removes its files."""
    assert Catalog().get_model("gpt-4o") is not None
    Store(cache_dir).close()
    (cache_dir / "mine.txt").write_text("user file")
    assert own_files(cache_dir)

    def no_room() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    cleared = cli("cache", "clear", preexec_fn=no_room)
    assert cleared.returncode == 0, cleared.stderr
    assert not own_files(cache_dir)
    assert (cache_dir / "mine.txt").read_text() == "user file"


def test_a_build_while_another_process_holds_the_database_does_not_wait_a_minute(cache_dir: Path) -> None:
    """A catalog that must build (another configuration) while the database is held answers in seconds.

    diskcache's own constructor retries a locked database for 60 s; the store asks SQLite first.
    """
    Catalog(offline=True).get_model("gpt-4o")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE')\n"
         "print('held', flush=True)\n"
         "time.sleep(60)\n",
         str(cache_dir / "cache.db")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        record = Catalog(offline=True, sources=["litellm"]).get_model("gpt-4o-mini")
        elapsed = time.monotonic() - started
        assert record is not None and record.model == "openai/gpt-4o-mini"
        assert elapsed < 10, f"a build waited {elapsed:.1f} s on the held database"
    finally:
        holder.kill()
        holder.communicate()
