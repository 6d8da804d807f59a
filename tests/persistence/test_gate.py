"""What comes back from Redis or the cache database is input: poisoned stores, planted rows.

A real redis-server is poisoned with forged values, wrong types, terminal escapes and huge values;
rows are planted straight into a real ``cache.db``; the real CLI runs in its own process. Every
case checks the answer, the exit code, and where it matters memory and the files around the cache.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery._domain.gate import check_doc, check_history_entry, check_record, plausible, size_cap
from massgen_discovery._persistence import rows
from massgen_discovery._persistence.disk import SCHEMA_VERSION, own_value_file
from massgen_discovery._persistence.store import Store
from massgen_discovery.cli import run
from massgen_discovery.sources._urls import redact_url
from massgen_discovery.testing import StaticSource

from ..support import lab
from ..support.helpers import forged_generation
from ..support.redis_server import RedisServer

NS = f"massgen_discovery:{SCHEMA_VERSION}:"


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process, with the test's environment (plus ``env``)."""
    return subprocess.run(
        [sys.executable, "-m", "massgen_discovery", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def assert_valid_json(text: str) -> Any:
    """Strict JSON: NaN and Infinity are not JSON."""

    def refuse(token: str) -> Any:
        raise AssertionError(f"{token} in --json output")

    return json.loads(text, parse_constant=refuse)


# -- the gate itself -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("provenance", ["litellm"]),
        ("max_input_tokens", "lots"),
        ("fetched_at", "not-a-date"),
        ("fetched_at", "99999-01-01T00:00:00"),
        ("supports_vision", "yes"),
        ("input_modalities", "text"),
        ("conflicts", [{"field": "x"}]),
        ("model", 42),
        ("sources", [1, 2]),
        ("input_cost_per_token", "0.1"),
    ],
)
def test_a_row_with_a_field_of_the_wrong_type_is_refused_whole(field: str, value: Any) -> None:
    row = {"model": "openai/gpt-4o", "provider": "openai", "model_id": "gpt-4o", "max_input_tokens": 128000}
    assert check_record(row) is not None
    assert check_record({**row, field: value}) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_input_tokens", 10**15),
        ("max_output_tokens", -1),
        ("input_cost_per_token", -1e-6),
        ("output_cost_per_token", math.nan),
        ("cache_read_input_token_cost", math.inf),
        ("throughput_tokens_per_s", -3.0),
        ("first_token_latency_ms", math.inf),
    ],
)
def test_a_number_no_real_model_has_is_stored_as_unknown_with_the_reason(field: str, value: Any) -> None:
    row = {
        "model": "openai/gpt-4o",
        "provider": "openai",
        "model_id": "gpt-4o",
        field: value,
        "provenance": {field: "litellm", "mode": "litellm"},
    }
    checked = check_record(row)
    assert checked is not None and checked[field] is None
    assert checked["provenance"] == {"mode": "litellm"}
    assert not plausible(field, value)


def test_documents_keep_their_shape_or_read_as_a_miss() -> None:
    good = {"payload": {"data": []}, "fetched_at": 1.7e9, "count": 3, "notes": []}
    assert check_doc("envelope:x:http://h:anon", good) == good
    for bad in ({"count": "lots"}, {"fetched_at": math.nan}, {"fetched_at": 1e300}, {"notes": "x"}):
        assert check_doc("envelope:x:http://h:anon", {**good, **bad}) is None
    pointer = {"prefix": "catalog:0123abcd:89ef", "sources": {}, "count": 2}
    assert check_doc("catalog:0123abcd:meta", pointer) == pointer
    assert check_doc("catalog:0123abcd:meta", {**pointer, "prefix": ["x"]}) is None
    assert check_doc("catalog:0123abcd:meta", {**pointer, "sources": {"a": {"count": -1}}}) is None
    assert check_doc("catalog:0123abcd:meta", {"count": 2}) is None


def test_history_entries_with_impossible_times_or_unknown_fields_are_skipped() -> None:
    fields = frozenset(ModelRecord._fields)
    row = {"model": "m", "provider": "p", "kind": "changed", "field": "max_input_tokens", "old": 1, "new": 2}
    good = {"at": 1.7e9, "changes": [row]}
    assert check_history_entry(good, fields) is not None
    for at in (1e300, math.nan, -1e15, "yesterday", None):
        assert check_history_entry({**good, "at": at}, fields) is None
    forged = check_history_entry({**good, "changes": [{**row, "field": "\x1b]0;pwned\x07"}, {**row, "at": 5}]}, fields)
    assert forged is not None and forged["changes"] == [row]  # the unknown field goes; extra keys go


def test_size_caps_by_kind_of_value() -> None:
    assert size_cap("catalog:abc:meta") == size_cap("lock:build:abc") == 1 << 20
    assert size_cap("catalog:abc:def:dir") == size_cap("part:" + "0" * 32) == 40 << 20
    assert size_cap("envelope:huggingface:x:anon") == 40 << 20


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("redis://127.0.0.1:6379/0?password=hunter2", "hunter2"),
        ("redis://127.0.0.1:6379/0?db=1&password=hunter2", "hunter2"),
        ("https://h.example/v1?api_key=hunter2", "hunter2"),
        ("https://h.example/v1?token=hunter2&x=1", "hunter2"),
        ("https://h.example/v1?access_token=hunter2", "hunter2"),
        ("redis://admin:hunter2@127.0.0.1/0", "hunter2"),
        ("redis://hunter2@127.0.0.1/0", "hunter2"),
    ],
)
def test_credentials_are_masked_wherever_the_url_holds_them(url: str, secret: str) -> None:
    shown = redact_url(url)
    assert secret not in shown and "***" in shown
    assert "127.0.0.1" in shown or "h.example" in shown


def test_value_files_outside_the_cache_are_never_named_as_its_own(tmp_path: Path) -> None:
    (tmp_path / "ab" / "cd").mkdir(parents=True)
    assert own_value_file(tmp_path, "ab/cd/" + "0" * 28 + ".val") == tmp_path / "ab" / "cd" / ("0" * 28 + ".val")
    outside = tmp_path.parent / "outside"
    outside.mkdir(exist_ok=True)
    (tmp_path / "ef").symlink_to(outside, target_is_directory=True)
    (outside / "gh").mkdir(exist_ok=True)
    for name in ("/etc/passwd", "../x.val", "ab/../../x.val", "ab/cd/x.val", "ef/gh/" + "0" * 28 + ".val", 5, None):
        assert own_value_file(tmp_path, name) is None


# -- planted rows in the cache database --------------------------------------------------------------


def _plant(cache: Path, rows: list[tuple[str, int, str | None, str | None]]) -> None:
    """Insert rows (key, mode, filename, value) into a real cache.db, as anyone with write access could."""
    con = sqlite3.connect(cache / "cache.db")
    with con:
        for key, mode, filename, value in rows:
            con.execute("DELETE FROM Cache WHERE key = ?", (key,))
            con.execute(
                "INSERT INTO Cache (key, raw, store_time, expire_time, access_time, access_count, tag, size, mode,"
                " filename, value) VALUES (?, 1, 0, NULL, 0, 0, NULL, 0, ?, ?, ?)",
                (key, mode, filename, value),
            )
    con.close()


def _rows_like(cache: Path, pattern: str) -> list[tuple[str, Any]]:
    con = sqlite3.connect(cache / "cache.db")
    try:
        return list(con.execute("SELECT key, value FROM Cache WHERE key LIKE ?", (pattern,)))
    finally:
        con.close()


def _value(cache: Path, key: str, value: Any) -> str:
    if value is None:  # a large row lives in a value file
        con = sqlite3.connect(cache / "cache.db")
        filename = con.execute("SELECT filename FROM Cache WHERE key = ?", (key,)).fetchone()[0]
        con.close()
        return (cache / filename).read_text()
    return str(value)


def _forge(cache: Path, model: str, update: dict[str, Any]) -> None:
    """Rewrite one model's record in every generation in place, as one who knows the layout would.

    The part that holds it is written anew under the hash of its new text, and the generation's
    ``dir`` row names it instead of the old one.
    """
    parts = {key: _value(cache, key, value) for key, value in _rows_like(cache, "part:%")}
    for key, value in _rows_like(cache, "catalog:%:dir"):
        forged = forged_generation(_value(cache, key, value), parts, model, update)
        if forged is not None:
            directory, _old, part, text = forged
            _plant(cache, [(part, 1, None, text), (key, 1, None, directory)])


@pytest.mark.slow
def test_forged_values_in_the_cache_database_are_never_served(cache_dir: Path) -> None:
    """A 10^15 context, a negative and a NaN price planted in cache.db: unknown, said in status()."""
    assert cli("show", "gpt-4o", "--offline").returncode == 0
    _forge(
        cache_dir,
        "openai/gpt-4o",
        {"max_input_tokens": 10**15, "input_cost_per_token": -1e-6, "output_cost_per_token": math.nan},
    )
    out = cli("cost", "gpt-4o", "--input", "1000", "--output", "1000", "--offline")
    assert "$-" not in out.stdout and "nan" not in out.stdout.lower(), out.stdout
    assert out.returncode == 1 and "unknown" in out.stderr and "Traceback" not in out.stderr
    out = cli("cost", "gpt-4o", "--input", "1000", "--output", "1000", "--offline", "--json")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    shown = assert_valid_json(cli("show", "gpt-4o", "--offline", "--json").stdout)
    assert shown["max_input_tokens"] is None and shown["input_cost_per_token"] is None
    assert "max_input_tokens" not in shown["provenance"]
    catalog = Catalog(cache_dir=cache_dir, offline=True)
    assert catalog.find_models(min_context=10**12) == []
    notes = [n for s in catalog.status() for n in s.notes]
    assert any("max_input_tokens" in n and "not a real value" in n for n in notes)
    listed = assert_valid_json(cli("list", "--offline", "--json", "--mode", "all").stdout)
    assert all(r["max_input_tokens"] is None or r["max_input_tokens"] < 10**9 for r in listed)


@pytest.mark.slow
@pytest.mark.parametrize(
    "update",
    [
        {"provenance": ["litellm"]},
        {"max_input_tokens": "lots"},
        {"fetched_at": "not-a-date"},
        {"conflicts": "none"},
    ],
    ids=["provenance-list", "tokens-text", "bad-date", "conflicts-text"],
)
def test_forged_types_in_the_cache_database_never_end_in_a_traceback(cache_dir: Path, update: dict[str, Any]) -> None:
    assert cli("show", "gpt-4o", "--offline").returncode == 0
    _forge(cache_dir, "openai/gpt-4o", update)
    for args in (
        ["show", "gpt-4o"],
        ["show", "gpt-4o", "--json"],
        ["list", "--tools"],
        ["cost", "gpt-4o", "--input", "1000", "--output", "10"],
        ["providers"],
    ):
        out = cli(*args, "--offline")
        assert out.returncode == 0, (args, out.stderr[-800:])
        assert "Traceback" not in out.stderr
    shown = assert_valid_json(cli("show", "gpt-4o", "--offline", "--json").stdout)
    assert isinstance(shown["provenance"], dict) and isinstance(shown["max_input_tokens"], int)  # rebuilt


@pytest.mark.slow
def test_cache_clear_never_deletes_a_file_a_planted_row_names(tmp_path: Path, cache_dir: Path) -> None:
    """Rows naming an absolute path and a ../ path: both files and their folders survive any removal."""
    assert cli("show", "gpt-4o", "--offline").returncode == 0
    victims = tmp_path / "victims"
    (victims / "sub").mkdir(parents=True)
    absolute = victims / "sub" / "precious.txt"
    absolute.write_text("keep me")
    relative = tmp_path / "also-precious.txt"
    relative.write_text("keep me too")
    link_target = tmp_path / "linked"
    link_target.mkdir()
    (link_target / "cd").mkdir()
    linked = link_target / "cd" / ("1" * 28 + ".val")
    linked.write_text("{}")
    free = next(f"{n:02x}" for n in range(256) if not (cache_dir / f"{n:02x}").exists())
    (cache_dir / free).symlink_to(link_target, target_is_directory=True)
    _plant(
        cache_dir,
        [
            ("planted:absolute", 3, str(absolute), None),
            ("planted:relative", 3, "../also-precious.txt", None),
            ("planted:symlink", 3, f"{free}/cd/" + "1" * 28 + ".val", None),
            ("planted:pickle", 4, None, None),
        ],
    )
    before = {p: p.read_text() for p in (absolute, relative, linked)}
    store = Store(cache_dir)
    for key in ("planted:absolute", "planted:relative", "planted:symlink", "planted:pickle"):
        assert store.get_raw(key) is None  # never read through a name it did not write
    store.put("planted:absolute", {"x": 1})  # an overwrite removes the old value file: not this one
    store.close()
    out = cli("cache", "clear", "--json")
    assert out.returncode == 0, out.stderr
    assert {p: p.read_text() for p in (absolute, relative, linked)} == before
    assert (victims / "sub").is_dir()
    assert cli("show", "gpt-4o", "--offline").returncode == 0  # and the cache works again


# -- the command line --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["cost", "gpt-4o", "--input", "nan", "--output", "1"],
        ["cost", "gpt-4o", "--input", "inf", "--output", "1"],
        ["cost", "gpt-4o", "--input", "1e400", "--output", "1"],
        ["cost", "gpt-4o", "--input", "1000", "--cached", "inf"],
        ["cost", "gpt-4o", "--input", "-5"],
        ["cost", "gpt-4o", "--input", "1.5"],
        ["cost", "gpt-4o", "--input", "1000000000000000000000000000000"],
        ["list", "--min-context", "nan"],
        ["list", "--min-context", "1e400"],
    ],
)
def test_token_counts_are_whole_finite_and_bounded(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*args, "--offline"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(("text", "tokens"), [("1200", 1200), ("1,200", 1200), ("1.2k", 1200), ("128k", 128000)])
def test_token_counts_people_write_still_parse(text: str, tokens: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["cost", "gpt-4o", "--input", text, "--offline", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["input_tokens"] == tokens


def test_a_very_long_unknown_name_gets_no_suggestions_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    for length in (200, 5000):
        assert run(["show", "gpt-4o" + "x" * length, "--offline"]) == 1
        err = capsys.readouterr().err
        assert "unknown model" in err and "did you mean" not in err
    assert run(["show", "gpt-4oo", "--offline"]) == 1
    assert "did you mean" in capsys.readouterr().err  # a plausible typo still gets help


# -- a poisoned redis-server ---------------------------------------------------------------------------


def _machine(tmp_path: Path, name: str, url: str, *sources: Any) -> Catalog:
    return Catalog(cache_dir=tmp_path / name, sources=["litellm", *sources], redis_url=url)


def _generation(server: RedisServer) -> tuple[str, dict[str, str]]:
    """The fleet's current generation (the last one published; the one before may still be kept)."""
    client = server.client()
    (listing,) = [k.decode() for k in client.scan_iter(match=f"{NS}*:list")]
    current = client.lrange(listing, -1, -1)[0].decode()  # type: ignore[union-attr]
    key = f"{NS}gen:{current}"
    return key, {k.decode(): v.decode() for k, v in client.hgetall(key).items()}  # type: ignore[union-attr]


def _poison(server: RedisServer, model: str, update: dict[str, Any]) -> None:
    """Rewrite one model's record in the fleet's generation, its part renamed to the new text's hash."""
    key, rows = _generation(server)
    client = server.client()
    (field,) = [f for f in rows if f.endswith(":dir")]
    forged = forged_generation(rows[field], rows, model, update)
    assert forged is not None
    directory, old, part, text = forged
    client.hset(key, mapping={field: directory, part: text})
    client.hdel(key, old)


@pytest.mark.slow
def test_forged_values_on_redis_are_unknown_on_a_fresh_machine(tmp_path: Path, redis_server: RedisServer) -> None:
    redis_server.flush()
    a = _machine(tmp_path, "a", redis_server.url, StaticSource("mylab", [lab("m1", max_input_tokens=1000)]))
    assert a.get_model("gpt-4o") is not None
    a.close()
    _poison(
        redis_server,
        "openai/gpt-4o",
        {"max_input_tokens": 10**15, "input_cost_per_token": -1e-6, "output_cost_per_token": math.nan},
    )
    b = _machine(tmp_path, "b", redis_server.url, StaticSource("mylab", [lab("m1", max_input_tokens=1000)]))
    record = b.get_model("gpt-4o")
    assert record is not None
    assert record.max_input_tokens is None or record.max_input_tokens < 10**9
    assert record.input_cost_per_token is None or record.input_cost_per_token >= 0
    assert record.output_cost_per_token is None or math.isfinite(record.output_cost_per_token)
    assert "gpt-4o" not in {r.model_id for r in b.find_models(min_context=10**12)}
    b.close()
    # What B kept locally holds no forged number either.
    mylab = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    local = Catalog(cache_dir=tmp_path / "b", sources=["litellm", mylab], redis_url="", offline=True)
    kept = [
        doc
        for key, value in _rows_like(tmp_path / "b", "part:%")
        if value is not None
        for doc in rows.part_docs(key, value) or []
        if doc.get("model") == "openai/gpt-4o"
    ]
    assert kept
    for doc in kept:
        text = json.dumps(doc)
        assert "1000000000000000" not in text and "NaN" not in text and "-1e-06" not in text, doc
    assert local.get_model("mylab/m1") is not None


@pytest.mark.slow
@pytest.mark.parametrize(
    "update",
    [{"provenance": ["x"]}, {"max_input_tokens": "lots"}, {"fetched_at": "not-a-date"}, {"model_id": None}],
    ids=["provenance-list", "tokens-text", "bad-date", "no-id"],
)
def test_forged_types_on_redis_refuse_the_generation_whole(
    tmp_path: Path, redis_server: RedisServer, update: dict[str, Any]
) -> None:
    redis_server.flush()
    source = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    a = _machine(tmp_path, "a", redis_server.url, source)
    a.get_model("gpt-4o")
    a.close()
    _poison(redis_server, "openai/gpt-4o", update)
    b = _machine(tmp_path, "b", redis_server.url, StaticSource("mylab", [lab("m1", max_input_tokens=1000)]))
    record = b.get_model("gpt-4o")
    assert record is not None and isinstance(record.max_input_tokens, int) and isinstance(record.provenance, dict)
    assert record.fetched_at is None
    assert b.get_model("mylab/m1").max_input_tokens == 1000  # type: ignore[union-attr]
    assert any("refused" in n for s in b.status() for n in s.notes)
    b.close()


@pytest.mark.slow
def test_poisoned_history_on_redis_never_breaks_changes(
    tmp_path: Path, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_server.flush()
    a = _machine(tmp_path, "a", redis_server.url, StaticSource("mylab", [lab("m1", max_input_tokens=1000)]))
    a.get_model("gpt-4o")
    a.close()
    client = redis_server.client()
    row = {"model": "mylab/m1", "provider": "mylab", "kind": "changed", "old": 1, "new": 2, "source": "mylab"}
    for entry in (
        {"at": 1e300, "changes": [{**row, "field": "max_input_tokens"}]},
        {"at": -1e15, "changes": [{**row, "field": "max_input_tokens"}]},
        {"at": 1.7e9, "changes": [{**row, "field": "\x1b]0;pwned\x07\x1b[31m"}]},
    ):
        client.rpush(f"{NS}history:list", json.dumps(entry))
    client.rpush(f"{NS}history:list", '{"at": NaN, "changes": []}')
    client.rpush(f"{NS}history:list", "x" * (2 << 20))  # over the entry cap: never moved
    b = _machine(tmp_path, "b", redis_server.url, StaticSource("mylab", [lab("m1", max_input_tokens=1000)]))
    assert all(c.field != "\x1b]0;pwned\x07\x1b[31m" for c in b.changes())
    b.close()
    monkeypatch.setenv("MASSGEN_DISCOVERY_REDIS_URL", redis_server.url)
    out = cli("changes")
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-800:]
    assert "\x1b" not in out.stdout
    out = cli("changes", "--json")
    assert out.returncode == 0
    assert_valid_json(out.stdout)


_PEAK = textwrap.dedent(
    """
    import json, re, sys
    from massgen_discovery import Catalog
    from massgen_discovery.testing import StaticSource
    catalog = Catalog(cache_dir=sys.argv[1], sources=["litellm", StaticSource("mylab", [])], redis_url=sys.argv[2])
    record = catalog.get_model("gpt-4o")
    catalog.changes()
    catalog.status()
    # VmHWM: this process's own peak (ru_maxrss would include the parent's, inherited at fork).
    peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
    print(json.dumps({"found": record is not None, "peak_mb": peak / 1024}))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["pointer", "envelope", "generation-field", "history"])
def test_a_huge_value_on_redis_is_ignored_and_never_copied(
    tmp_path: Path, redis_server: RedisServer, where: str
) -> None:
    redis_server.flush()
    a = _machine(tmp_path, "a", redis_server.url, StaticSource("mylab", [lab("m1")]))
    a.get_model("gpt-4o")
    a.close()
    client = redis_server.client()
    huge = "x" * (50 << 20)
    if where == "pointer":
        (key,) = [k for k in client.scan_iter(match=f"{NS}catalog:*:meta")]
        client.set(key, huge)
    elif where == "envelope":
        (key,) = [k for k in client.scan_iter(match=f"{NS}envelope:*")]
        client.set(key, huge)
    elif where == "generation-field":
        key, rows = _generation(redis_server)
        (field,) = [f for f in rows if f.endswith(":dir")]
        client.hset(key, field, huge)
    else:
        client.rpush(f"{NS}history:list", huge)
    del huge
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, str(tmp_path / "b"), redis_server.url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-800:]
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["found"]
    assert answer["peak_mb"] < 200, answer  # a 50 MB value moved would cost several times that
    if where != "history":
        assert "over its" in out.stderr and "cap" in out.stderr
    size = sum(p.stat().st_size for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert size < 30 << 20, size  # never copied into the local cache


@pytest.mark.slow
def test_a_password_in_the_query_is_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = RedisServer(tmp_path / "redis", password="q-s3cret-pw").start()
    try:
        url = f"redis://127.0.0.1:{server.port}/0?password=q-s3cret-pw"
        monkeypatch.setenv("MASSGEN_DISCOVERY_REDIS_URL", url)
        catalog = Catalog(sources=["litellm", StaticSource("mylab", [lab("m1")])])
        assert catalog.get_model("mylab/m1") is not None
        assert server.client().dbsize() > 0  # the query's password authenticated
        assert all("q-s3cret-pw" not in str(s.model_dump()) for s in catalog.status())
        assert "q-s3cret-pw" not in str(catalog.shared_store)
        catalog.close()
        for args in (
            ["providers"],
            ["providers", "--json"],
            ["cache", "clear", "--json"],
            ["cache", "clear", "--shared"],
        ):
            out = cli(*args)
            assert "q-s3cret-pw" not in out.stdout + out.stderr, args
            assert out.returncode == 0, (args, out.stderr[-500:])
    finally:
        server.kill()


def test_a_forged_alias_index_part_is_refused_and_the_alias_still_resolves(cache_dir: Path) -> None:
    """An index part that does not hash to its name is not read: the generation is rebuilt."""
    first = Catalog(cache_dir=cache_dir, offline=True)
    assert (first.get_model("gpt-4o") or ModelRecord(model="x/y", provider="x", model_id="y")).model == "openai/gpt-4o"
    first.close()
    (dir_key, dir_value), *_ = _rows_like(cache_dir, "catalog:%:dir")
    directory = rows.read_directory(_value(cache_dir, dir_key, dir_value))
    assert directory is not None
    key = directory.lookup_part("aliases", "gpt-4o")
    assert key is not None
    forged = json.dumps({"aliases": {"gpt-4o": "openai/gpt-4o-mini"}})  # not what its name hashes to
    _plant(cache_dir, [(key, 1, None, forged)])
    record = Catalog(cache_dir=cache_dir, offline=True).get_model("gpt-4o")
    assert record is not None and record.model == "openai/gpt-4o"
