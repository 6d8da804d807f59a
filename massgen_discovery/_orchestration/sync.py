"""Running a coroutine from synchronous code, also from inside a running event loop."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["off_loop", "run_sync"]

_T = TypeVar("_T")
_OWN_LOOP: ContextVar[bool] = ContextVar("massgen_discovery_own_loop", default=False)
"""True inside a loop :func:`run_sync` made for one call: no one else's work waits on it."""


async def off_loop(work: Callable[[], _T]) -> _T:
    """Run blocking ``work`` without stalling the loop: on a worker thread, or inline on a loop of our own.

    On a loop :func:`run_sync` made, nothing else runs while the caller waits anyway, and a
    thread (made and joined for each call) would only add to the wait.
    """
    import asyncio

    if _OWN_LOOP.get():
        return work()
    return await asyncio.to_thread(work)


def run_sync(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine from sync code, also from inside a running event loop.

    Inside a loop (a notebook, an async app, MassGen's UIs) it runs on a worker thread with its own
    loop instead of failing.
    """
    import asyncio
    import threading

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        mark = _OWN_LOOP.set(True)  # the loop's task copies this context
        try:
            return asyncio.run(coro)
        finally:
            _OWN_LOOP.reset(mark)
    result: list[_T] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            _OWN_LOOP.set(True)  # this thread's own context
            result.append(asyncio.run(coro))
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]
