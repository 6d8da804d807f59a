"""The cycle collector is paused for bulk work and resumed as it was, however the blocks nest."""

from __future__ import annotations

import gc
import threading

from massgen_discovery._runtime import collector_paused


def test_the_collector_is_resumed_only_when_the_last_block_ends_and_only_if_it_was_on() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off: left off
    finally:
        gc.enable()


def test_blocks_on_two_threads_share_one_pause_and_an_error_resumes_it() -> None:
    inside = threading.Event()
    release = threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=other)
    worker.start()
    inside.wait(5)
    try:
        with collector_paused():
            raise ValueError("a parser failed")
    except ValueError:
        pass
    assert not gc.isenabled()  # the other thread's block still runs
    release.set()
    worker.join(5)
    assert gc.isenabled()
