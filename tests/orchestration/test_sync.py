"""Running coroutines from sync code: blocking work stays off a loop someone else owns."""

from __future__ import annotations

import asyncio
import threading

from massgen_discovery._orchestration.sync import off_loop, run_sync


async def _where() -> tuple[int, int]:
    """(the loop's thread, the thread ``off_loop`` ran the work on)."""
    return threading.get_ident(), await off_loop(threading.get_ident)


def test_work_runs_inline_on_a_loop_made_for_one_call() -> None:
    """From sync code the loop is ours alone: no worker thread is made and joined for the work."""
    loop_thread, work_thread = run_sync(_where())
    assert loop_thread == work_thread


def test_work_runs_on_a_worker_thread_on_the_callers_loop() -> None:
    """On the caller's own loop (an async app), blocking work never stalls it."""
    loop_thread, work_thread = asyncio.run(_where())
    assert loop_thread != work_thread


def test_from_inside_a_running_loop_the_call_gets_a_loop_of_its_own() -> None:
    """run_sync inside a running loop (a notebook) runs on a thread with its own loop, inline there."""

    async def app() -> tuple[tuple[int, int], int]:
        return run_sync(_where()), threading.get_ident()

    (loop_thread, work_thread), app_thread = asyncio.run(app())
    assert loop_thread == work_thread != app_thread
