"""What a question waits for: the first fetch of a source only it needs, and nothing else.

A lookup answers from what the store and the bundled data hold; live sources never tried are
fetched in the background, one job per source. A question that only such a source can answer (a
model under its prefix that nothing else knows, a list of its provider) waits for that source's
job alone, at most its timeout (and the build after it), once: a failed try is remembered, so the
next question does not wait again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from .._domain.identifiers import SECOND_OPINION
from .._persistence.pointer import never_tried
from ..sources import hooks
from .background import Background
from .sync import off_loop, run_sync

if TYPE_CHECKING:
    from ..sources import Source
    from .generations import Generations
    from .state import State, View

__all__ = ["BUILD_GRACE", "FirstTries", "providers_of"]

BUILD_GRACE = 10.0
"""Seconds a question waiting on a source's first fetch allows, past the timeout, for the build after it."""


def providers_of(model: str) -> list[str]:
    """The providers a model string can belong to by its prefix (MassGen's prefixes too)."""
    if not isinstance(model, str) or "/" not in model:
        return []
    from .._domain.naming import PREFIX_ALIASES

    prefix = model.split("/", 1)[0].strip().lower()
    return [prefix, PREFIX_ALIASES.get(prefix, prefix)]


class FirstTries:
    """The waits of one catalog's questions on sources never tried."""

    def __init__(
        self,
        state: State,
        background: Background,
        generations: Generations,
        fetch: Callable[[list[Source]], Coroutine[Any, Any, object]],
    ) -> None:
        self._s = state
        self._bg = background
        self._gen = generations
        self._fetch = fetch

    def untried(self, view: View, providers: Iterable[str]) -> list[Source]:
        """Live sources serving ``providers`` that ``view`` has never seen fetched (not manual, not offline)."""
        wanted = {p for p in providers if p}
        if self._s.offline or not wanted:
            return []
        _bundled, live = self._s.sources()
        notes = view.pointer.sources
        return [
            source
            for name, source in live.items()
            if name != SECOND_OPINION  # a second opinion has its bundled copy: never the only answer
            and (name in wanted or hooks(source).provider in wanted)
            and not self._s.manual(name)
            and never_tried(notes.get(name))
        ]

    def wanted(self, view: View, providers: Iterable[str]) -> list[str]:
        """The providers a question waits on: those named; every live one when the view holds nothing."""
        named = [p for p in providers if p]
        if named or view.pointer.count:
            return named
        _bundled, live = self._s.sources()  # an empty catalog: only the untried sources can answer
        return list(live)

    def ensure(self, ensure: Callable[[], View], providers: Iterable[str]) -> View:
        """``ensure()``, then a wait for the first fetch of the sources only ``providers`` need."""
        view = ensure()
        untried = self.untried(view, self.wanted(view, providers))
        if not untried:
            return view
        futures = self._bg.first_try_jobs([s.name for s in untried])
        if futures and len(futures) == len(untried):
            import concurrent.futures

            concurrent.futures.wait(futures, timeout=self._s.timeout + BUILD_GRACE)
        else:  # none running (a catalog that does not prefetch, or one ended meanwhile): fetch here
            run_sync(self._fetch(untried))
            self._gen.build()
        after, _missing = self._gen.current()
        return after if after is not None else ensure()

    async def aensure(self, ensure: Callable[[], Awaitable[View]], providers: Iterable[str]) -> View:
        """Async :meth:`ensure`: awaits the worker's jobs without blocking the loop."""
        import asyncio

        view = await ensure()
        untried = self.untried(view, self.wanted(view, providers))
        if not untried:
            return view
        futures = self._bg.first_try_jobs([s.name for s in untried])
        if futures and len(futures) == len(untried):
            await asyncio.wait([asyncio.wrap_future(f) for f in futures], timeout=self._s.timeout + BUILD_GRACE)
        else:
            await self._fetch(untried)
            await off_loop(self._gen.build)
        after, _missing = self._gen.current()
        return after if after is not None else await ensure()
