from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from massgen_discovery._persistence import rows
from massgen_discovery._persistence.disk import SCHEMA_VERSION, credential_fingerprint, default_cache_dir
from massgen_discovery._persistence.pointer import Pointer
from massgen_discovery._persistence.store import Store


def test_documents_round_trip_on_disk(cache_dir: Path) -> None:
    """A document written by one Store is read by another on the same directory."""
    Store(cache_dir).put("envelope:x", {"payload": [1, 2], "fetched_at": 1.5})
    assert Store(cache_dir).get("envelope:x") == {
        "payload": [1, 2],
        "fetched_at": 1.5,
        "schema_version": SCHEMA_VERSION,
    }
    assert any(cache_dir.iterdir())


def test_other_schema_version_is_a_miss(cache_dir: Path) -> None:
    """A row written by another schema version, or not JSON at all, reads as None."""
    store = Store(cache_dir)
    store.put_raw("a", '{"schema_version": 999, "payload": 1}')
    store.put_raw("b", "not json{")
    assert store.get("a") is None
    assert store.get("b") is None
    assert store.get("missing") is None


def test_credential_is_fingerprinted_never_stored() -> None:
    """The fingerprint is a short hash: stable, different per key, and not the key."""
    fp = credential_fingerprint("sk-test-SECRET-123")
    assert fp == credential_fingerprint("sk-test-SECRET-123")
    assert fp != credential_fingerprint("sk-test-OTHER")
    assert "SECRET" not in fp and len(fp) == 16
    assert credential_fingerprint(None) == "anon"


def test_default_cache_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """MASSGEN_DISCOVERY_CACHE_DIR wins; otherwise the XDG user cache dir on Linux."""
    monkeypatch.setenv("MASSGEN_DISCOVERY_CACHE_DIR", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "x"
    monkeypatch.delenv("MASSGEN_DISCOVERY_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if os.name == "posix" and os.uname().sysname != "Darwin":
        assert default_cache_dir() == tmp_path / "xdg" / "massgen_discovery"


def test_lock_is_exclusive_and_released(cache_dir: Path) -> None:
    """try_lock hands the lock to one holder at a time, across Store instances."""
    a, b = Store(cache_dir), Store(cache_dir)
    token = a.try_lock("fetch:x", 30)
    assert token is not None
    assert b.try_lock("fetch:x", 30) is None
    b.unlock("fetch:x", "not-the-token")
    assert b.try_lock("fetch:x", 30) is None
    a.unlock("fetch:x", token)
    assert b.try_lock("fetch:x", 30) is not None


def test_damaged_database_is_rebuilt_with_one_warning(cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A cache.db overwritten with junk is deleted and rebuilt once, with one warning, and keeps working."""
    Store(cache_dir).put("k", {"v": 1})
    (cache_dir / "cache.db").write_bytes(b"\0" * 4096 + b"garbage" * 1000)
    caplog.set_level(logging.WARNING)
    store = Store(cache_dir)
    assert store.get("k") is None
    store.put("k", {"v": 2})
    assert store.get("k") == {"v": 2, "schema_version": SCHEMA_VERSION}
    assert store.persistent
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "damaged" in warnings[0].getMessage()


def test_full_disk_runs_uncached(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite answering "disk is full" on a write makes the store keep documents in memory, one warning."""
    import sqlite3

    import diskcache

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    caplog.set_level(logging.WARNING)
    store = Store(cache_dir)
    store.put("before", {"v": 0})
    monkeypatch.setattr(diskcache.Cache, "set", full)
    store.put("k", {"v": 1})
    store.put("k2", {"v": 2})
    assert store.get("k") == {"v": 1, "schema_version": SCHEMA_VERSION}
    assert not store.persistent
    assert len([r for r in caplog.records if "running uncached" in r.getMessage()]) == 1


def test_path_that_is_a_file_runs_uncached(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A cache path that is a regular file (works as root too) falls back to memory with one warning."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    caplog.set_level(logging.WARNING)
    store = Store(blocker)
    store.put("k", {"v": 1})
    assert store.get("k") == {"v": 1, "schema_version": SCHEMA_VERSION}
    assert not store.persistent
    assert len([r for r in caplog.records if "running uncached" in r.getMessage()]) == 1


def test_clear_and_delete_prefix(cache_dir: Path) -> None:
    """delete_prefix removes only matching rows; clear removes everything."""
    store = Store(cache_dir)
    store.put_many({"catalog:a:1": "1", "catalog:a:2": "2", "catalog:b:1": "3", "catalog:c:1": "4"}, ["catalog:c:1"])
    assert store.get_raw("catalog:c:1") is None
    assert store.delete_prefix("catalog:a:") == 2
    assert store.get_raw("catalog:b:1") == "3"
    assert store.clear() == 1
    assert store.get_raw("catalog:b:1") is None


def test_generations_are_written_and_retired_in_bulk(cache_dir: Path) -> None:
    """Only the newest two generations stay; rows an older layout left in the namespace are swept once."""
    store = Store(cache_dir)
    store.put_raw("catalog:c1:orphan:all", "[]")  # an older layout's leftover
    store.put_raw("catalog:c2:other:all", "[]")  # another configuration: untouched
    for n in range(5):
        prefix = f"catalog:c1:g{n}"
        rows = {f"{prefix}:all": "[]", f"{prefix}:index": "{}", f"{prefix}:m:x": "{}"}
        assert store.write_generation("catalog:c1:generations", prefix, rows, "catalog:c1:meta", Pointer(prefix))
    keys = set(store._writer().iterkeys())
    assert {k for k in keys if k.startswith("catalog:c1:g") and k != "catalog:c1:generations"} == {
        f"catalog:c1:g{n}:{part}" for n in (3, 4) for part in ("all", "index", "m:x")
    }
    assert "catalog:c1:orphan:all" not in keys and "catalog:c2:other:all" in keys
    assert (store.get("catalog:c1:meta") or {})["prefix"] == "catalog:c1:g4"


def _generation(prefix: str, *texts: str) -> dict[str, str]:
    """A generation's rows naming one part per text (and one empty lookup index)."""
    parts = {rows.part_key(text): text for text in texts}
    index = '{"aliases": {}}'
    lookups = {
        rows.part_key(index): index,
        rows.part_key(index.replace("aliases", "lower")): index.replace("aliases", "lower"),
    }
    listed = [[f"m{n}", key[len(rows.PART) :], 1] for n, key in enumerate(parts)]
    names = [key[len(rows.PART) :] for key in lookups]
    directory = json.dumps({"parts": listed, "aliases": [["", names[0]]], "lower": [["", names[1]]]})
    return {f"{prefix}:dir": directory, **parts, **lookups}


def test_a_retired_generation_takes_the_parts_no_one_else_names(cache_dir: Path) -> None:
    """Its parts another configuration or a kept generation still names stay; the others go with it."""
    store = Store(cache_dir)
    shared, mine, kept = '[{"model": "a/shared"}]', '[{"model": "a/mine"}]', '[{"model": "a/kept"}]'
    assert store.write_generation("catalog:c2:generations", "catalog:c2:g0", _generation("catalog:c2:g0", shared),
                                  "catalog:c2:meta", Pointer("catalog:c2:g0"))  # fmt: skip
    for n, texts in enumerate([(shared, mine, kept), (kept,), (kept,)]):
        prefix = f"catalog:c1:g{n}"
        assert store.write_generation("catalog:c1:generations", prefix, _generation(prefix, *texts),
                                      "catalog:c1:meta", Pointer(prefix))  # fmt: skip
    stored = {k for k in store._writer().iterkeys() if k.startswith(rows.PART)}
    assert rows.part_key(shared) in stored and rows.part_key(kept) in stored
    assert rows.part_key(mine) not in stored


def _snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns) for p in directory.rglob("*")}


def test_a_lookup_process_writes_nothing(cache_dir: Path) -> None:
    """A new process's lookups and query leave the cache directory byte for byte as they found it.

    No ``-wal`` or ``-shm`` is created and nothing is written: with no writer holding the database,
    it is read as immutable.
    """
    import subprocess
    import sys

    env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": str(cache_dir), "MASSGEN_DISCOVERY_OFFLINE": "1"}
    code = (
        "from massgen_discovery import Catalog; c = Catalog();"
        "assert c.get_model('gpt-4o') and c.get_model('OPENAI/GPT-4o');"
        "assert c.find_models(supports_function_calling=True, min_context=128000)"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)  # builds and writes
    before = _snapshot(cache_dir)
    assert "cache.db" in before and "cache.db-wal" not in before and "cache.db-shm" not in before
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    assert _snapshot(cache_dir) == before


def test_a_quiet_read_sees_a_writers_checkpointed_change(cache_dir: Path) -> None:
    """The immutable reader notices the file changed (a writer checkpointed) and reads afresh."""
    Store(cache_dir).put("envelope:x", {"v": 1})
    reader = Store(cache_dir)
    assert reader.get("envelope:x") == {"v": 1, "schema_version": SCHEMA_VERSION}
    writer = Store(cache_dir)
    writer.put("envelope:x", {"v": 2})
    writer.close()  # the last writer folds its log into the file
    assert reader.get("envelope:x") == {"v": 2, "schema_version": SCHEMA_VERSION}
    held = Store(cache_dir)
    held.put("envelope:x", {"v": 3})  # still in the log, the writer open: read the normal way
    assert reader.get("envelope:x") == {"v": 3, "schema_version": SCHEMA_VERSION}
    held.close()


def test_fingerprints_are_sha256() -> None:
    """The built-in SHA-256 the store uses gives hashlib's digest (the design's fingerprint)."""
    import hashlib

    from massgen_discovery._domain.digest import sha256_hex

    for secret in ("sk-abc", "é∂ƒ", ""):
        assert sha256_hex(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert credential_fingerprint("sk-abc") == hashlib.sha256(b"sk-abc").hexdigest()[:16]


def test_a_long_lived_process_that_built_leaves_lookups_elsewhere_writing_nothing(cache_dir: Path) -> None:
    """After a build, a process empties its write-ahead log: another process's lookup writes nothing."""
    import subprocess
    import sys

    env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": str(cache_dir), "MASSGEN_DISCOVERY_OFFLINE": "1"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from massgen_discovery import Catalog; c = Catalog(); assert c.get_model('gpt-4o');"
            "print('built', flush=True); sys.stdin.readline(); assert c.get_model('openai/gpt-4o')",
        ],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "built"
        before = _snapshot(cache_dir)
        # The builder, still running, emptied its write-ahead log (or let its handle go).
        assert before.get("cache.db-wal", (0, 0))[0] == 0
        code = "from massgen_discovery import get_model; assert get_model('gpt-4o')"
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
        assert _snapshot(cache_dir) == before
    finally:
        server.communicate("\n", timeout=60)
    assert server.returncode == 0
