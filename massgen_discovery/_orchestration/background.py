"""Background work of a catalog: stale-while-revalidate and the fleet sync, off the lookup's path.

A lookup that finds expired data (or, on a shared store, a fleet check that is due) answers at
once and starts the work here: on the catalog's one worker thread for the sync API, as a task on
the caller's loop for the async API. One refresh per source is in flight per process; across
processes the store's fetch lock keeps it to one.
"""

from __future__ import annotations

import _thread
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from .._domain import clock as _clock
from .._domain.log import get_logger
from .._persistence.pointer import never_tried

if TYPE_CHECKING:
    # asyncio and concurrent.futures cost a cold lookup ~20 ms: imported when work starts.
    import asyncio
    import concurrent.futures

    from ..sources import Source
    from .state import State, View

__all__ = ["FLEET_SYNC_SECONDS", "Background"]

_log = get_logger(__name__)

FLEET_SYNC_SECONDS = 60.0
"""How often a catalog on a shared (Redis) store checks the fleet for newer data, in the background."""


class Background:
    """A catalog's background revalidations and its worker thread."""

    def __init__(
        self,
        state: State,
        build: Callable[[], View],
        fetch: Callable[[list[Source]], Coroutine[Any, Any, object]],
        *,
        prefetch: bool = True,
    ) -> None:
        self._s = state
        self._prefetch = prefetch
        self._build = build
        self._fetch = fetch
        self._mutex = _thread.RLock()
        self.inflight: set[str] = set()
        """Sources (and ``@fleet``) being revalidated now."""
        self.tasks: set[asyncio.Task[Any]] = set()
        """Revalidations running as tasks on callers' loops (async API)."""
        self.pending: set[concurrent.futures.Future[None]] = set()
        """Revalidations running on the worker thread (sync API)."""
        self.first_tries: dict[str, concurrent.futures.Future[None]] = {}
        """First fetches of sources never tried, one job per source, by source name (a short-lived
        process may leave them: the next lookup starts them again)."""
        self.worker: asyncio.AbstractEventLoop | None = None
        self._followed = 0.0
        self._following = _thread.allocate_lock()

    def due(self, view: View) -> list[Source]:
        """Live sources whose data expired and whose backoff has passed (never a manual one).

        Sources never tried count as expired unless the catalog does not prefetch.
        """
        if self._s.offline:
            return []
        _, live = self._s.sources()
        now = _clock.now()
        due = []
        for name, info in view.pointer.sources.items():
            source = live.get(name)
            if source is None or name in self.inflight or self._s.manual(name):
                continue  # a manual source is fetched only when asked
            if info.retry_at and now < info.retry_at:
                continue
            if not self._prefetch and never_tried(info):
                continue
            if info.expires_at is None or now >= info.expires_at:
                due.append(source)
        return due

    def sync_due(self, view: View) -> bool:
        """Whether a shared store's fleet should be checked for newer data (in the background)."""
        if self._s.fleet is None or self._s.offline:
            return False
        synced = view.pointer.synced_at or view.pointer.built_at or 0.0
        return _clock.now() - synced >= FLEET_SYNC_SECONDS and "@fleet" not in self.inflight

    def sync_fleet(self) -> None:
        """Copy what other machines fetched (envelopes newer than ours) and their generation."""
        fleet = self._s.fleet
        if fleet is None:
            return
        _bundled, live = self._s.sources()
        for source in live.values():
            self._s.store.get(self._s.envelope_key(source), shared=True)
        view = self._build()
        fleet.put_local(self._s.meta_key(), view.pointer._replace(synced_at=_clock.now()).encode())

    def follow_fleet(self, view: View, max_age: float) -> bool:
        """Adopt a generation another machine published since ``view``; True when one was adopted.

        One read of the fleet's pointer at most every ``max_age`` seconds (and by one thread at a
        time; the others go on with ``view``); when its generation is not ours, the fleet's newer
        listings are copied and its generation adopted, as the background sync does every
        :data:`FLEET_SYNC_SECONDS`. For long-lived readers that must not lag (a server).
        """
        fleet = self._s.fleet
        if fleet is None or self._s.offline:
            return False
        now = _clock.mono()
        if now - self._followed < max_age or not self._following.acquire(False):
            return False
        try:
            self._followed = now
            shared = fleet.shared_pointer(self._s.meta_key())
            if shared is None or shared.prefix == view.prefix:
                return False
            self.sync_fleet()
            return True
        finally:
            self._following.release()

    def maybe_revalidate(self, view: View, *, in_loop: bool = False) -> None:
        """Start revalidating what is due in ``view`` (expired sources, never-tried sources, a fleet check).

        Nothing waits for it: the lookup that started it answers from ``view``, the next one sees
        what it brought.
        """
        due = self.due(view)
        sync = self.sync_due(view)
        if not due and not sync:
            return
        with self._mutex:
            due = [s for s in due if s.name not in self.inflight]
            sync = sync and "@fleet" not in self.inflight
            self.inflight.update(s.name for s in due)
            if sync:
                self.inflight.add("@fleet")
        if not due and not sync:
            return
        first = [s for s in due if never_tried(view.pointer.sources.get(s.name))]
        expired = [s for s in due if s not in first]
        for source in first:
            # One job each, on the worker thread even for the async API (a caller's short-lived loop
            # would drop it): a question waits for the one source it needs, and no other.
            self._start([source], False, False, first_try=True)
        if expired or sync:
            self._start(expired, sync, in_loop, first_try=False)

    def _start(self, due: list[Source], sync: bool, in_loop: bool, *, first_try: bool) -> None:
        """Fetch ``due`` (and sync the fleet) then build, as a task on the caller's loop or on the worker."""
        import asyncio
        import concurrent.futures

        job: concurrent.futures.Future[None] | asyncio.Task[None]

        async def revalidate(inline_build: bool) -> None:
            try:
                if due:
                    await self._fetch(due)
                if sync:
                    await asyncio.to_thread(self.sync_fleet)
                if inline_build:
                    self._build()  # on the catalog's own worker loop: nothing else waits on it
                else:
                    await asyncio.to_thread(self._build)  # on the caller's loop: keep it responsive
            except Exception as exc:  # background work must never surface into a lookup
                _log.debug("background refresh failed: %s", exc)
            finally:
                with self._mutex:
                    self.inflight.difference_update(s.name for s in due)
                    self.inflight.discard("@fleet")

        if in_loop:
            task = asyncio.get_running_loop().create_task(revalidate(inline_build=False))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            job = task
        else:
            future = asyncio.run_coroutine_threadsafe(revalidate(inline_build=True), self.worker_loop())
            if not first_try:
                with self._mutex:
                    self.pending.add(future)
                future.add_done_callback(self.pending.discard)
            job = future
        if first_try and isinstance(job, concurrent.futures.Future):
            name = due[0].name
            with self._mutex:
                self.first_tries[name] = job
            job.add_done_callback(lambda done: self._forget_first_try(name, done))

    def _forget_first_try(self, name: str, job: object) -> None:
        with self._mutex:
            if self.first_tries.get(name) is job:
                del self.first_tries[name]

    def first_try_jobs(self, names: list[str]) -> list[concurrent.futures.Future[None]]:
        """The background first fetches running now for ``names`` (those that are)."""
        with self._mutex:
            return [job for name in names if (job := self.first_tries.get(name)) is not None]

    def worker_loop(self) -> asyncio.AbstractEventLoop:
        """The catalog's one background thread and event loop, started on first need.

        One long-lived thread rather than a thread per revalidation: threads are cheap to start
        but each may get its own malloc arena, and a process that revalidates all day would grow.
        """
        import asyncio
        import threading

        with self._mutex:
            if self.worker is None or not self.worker.is_running():
                loop = asyncio.new_event_loop()

                def run() -> None:
                    try:
                        loop.run_forever()
                    finally:
                        loop.close()  # stopped (stop()): its selector and self-pipe go with it

                thread = threading.Thread(target=run, name="massgen-discovery-refresh", daemon=True)
                thread.start()
                self.worker = loop
            return self.worker

    def wait(self, timeout: float) -> bool:
        """Wait for the worker thread's revalidations and first fetches; True if none is left."""
        import concurrent.futures

        with self._mutex:
            pending = set(self.pending) | set(self.first_tries.values())
        if not pending:
            return True
        _done, left = concurrent.futures.wait(pending, timeout=timeout)
        return not left

    def stop(self) -> None:
        """Stop the worker thread (it restarts on next need), closing the store handles it opened.

        SQLite handles belong to the thread that opened them: the worker closes its own (waited for,
        a few seconds at most), so the caller's close afterwards is the last one and folds the
        write-ahead log back into the database.
        """
        import asyncio
        import concurrent.futures

        with self._mutex:
            worker, self.worker = self.worker, None
        if worker is None:
            return

        async def close_handles() -> None:
            # The loop's helper threads end first (their handles go with them), then this thread's.
            await asyncio.get_running_loop().shutdown_default_executor()
            self._s.store.close_thread()

        if worker.is_running():
            with suppress(concurrent.futures.TimeoutError, RuntimeError):
                asyncio.run_coroutine_threadsafe(close_handles(), worker).result(timeout=5)
        worker.call_soon_threadsafe(worker.stop)
