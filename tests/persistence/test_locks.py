"""A store's named lock as an object, on a real diskcache shared by two processes' worth of stores."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from massgen_discovery._persistence.locks import LockHolder
from massgen_discovery._persistence.storage import Fleet, Storage
from massgen_discovery._persistence.store import Store


def test_a_lock_is_taken_by_one_holder_and_names_it(cache_dir: Path) -> None:
    """take/holder/release across two stores on one directory: one holder, named, released by its token only."""
    mine, theirs = Store(cache_dir).lock("fetch:x"), Store(cache_dir).lock("fetch:x")
    token = mine.take(30)
    assert token is not None
    assert theirs.take(30) is None
    holder = theirs.holder()
    assert holder is not None and holder.pid == os.getpid() and holder.token == token
    theirs.release("not-the-token")
    assert theirs.take(30) is None
    mine.release(token)
    assert mine.holder() is None
    assert theirs.take(30) is not None


def test_held_waits_for_the_holder_then_takes_it(cache_dir: Path) -> None:
    """``held`` waits up to ``wait`` seconds: it gets a lock released meanwhile, and says False when it never is."""
    store = Store(cache_dir)
    token = store.lock("build:c").take(30)
    assert token is not None
    threading.Timer(0.2, store.lock("build:c").release, args=(token,)).start()
    with Store(cache_dir).lock("build:c").held(seconds=30, wait=5.0) as taken:
        assert taken
        assert Store(cache_dir).lock("build:c").take(30) is None  # held for the block
    assert Store(cache_dir).lock("build:c").take(30) is not None  # and released after it
    started = time.monotonic()
    with Store(cache_dir).lock("build:c").held(seconds=30, wait=0.2) as taken:
        assert not taken
    assert time.monotonic() - started >= 0.2


def test_a_dead_holders_lock_is_taken_over(cache_dir: Path) -> None:
    """A process that took the lock and was killed does not keep it: the next taker gets it at once."""
    code = (
        "import sys, time; from massgen_discovery._persistence.store import Store; "
        f"print(Store({str(cache_dir)!r}).lock('fetch:y').take(600), flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() not in ("", "None")
        assert Store(cache_dir).lock("fetch:y").take(30) is None  # alive: held
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert Store(cache_dir).lock("fetch:y").take(30) is not None


def _members(protocol: type) -> set[str]:
    return {n for n, _ in inspect.getmembers(protocol) if not n.startswith("_")}


def test_the_storage_seam_is_small() -> None:
    """The orchestration's protocol has at most 12 members; what only the fleet does is apart from it."""
    storage, fleet = _members(Storage), _members(Fleet)
    assert len(storage) <= 12, sorted(storage)
    assert not storage & fleet
    assert {"get_pointer", "shared_pointer", "adopt_shared", "put_local", "shared_url"} <= fleet
    local = _members(Store)
    assert storage <= local  # the local store is a Storage ...
    assert not (fleet - {"get_pointer"}) & local  # ... and has none of the fleet's no-ops


def test_a_lock_row_names_its_holder_or_only_a_token() -> None:
    """A row from an older release (a bare token) or with fields of the wrong type names what it can."""
    assert LockHolder.decode("abc") == LockHolder(token="abc")
    assert LockHolder.decode('{"token": "t", "pid": "1", "host": 3, "at": true}') == LockHolder(token="t")
    assert LockHolder.decode('{"token": "t", "pid": 7, "host": "h", "at": 1}') == LockHolder("t", 7, "h", 1.0)
    assert LockHolder.decode(None) is None and LockHolder("t", 7, "h").describe() == "pid 7 on h"
