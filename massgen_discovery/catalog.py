"""The facade: sources -> store -> reconcile -> answers, with sync and async twins.

Nothing touches the network at import or construction. A lookup reads the merged catalog the store
persisted (one read in a new process) and never waits on the network for what that or the bundled
data answers: sources never tried and expired data are fetched in the background, and only a
question that a never-tried source alone can answer waits for it (once, within ``timeout``); a
failing source keeps serving its last good data. The default lookup APIs never raise for an
upstream failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from ._domain.log import get_logger
from ._orchestration.background import Background
from ._orchestration.first_tries import FirstTries, providers_of
from ._orchestration.generations import Generations
from ._orchestration.overrides import Overrides
from ._orchestration.state import State, View, refresh_mode
from ._orchestration.sync import off_loop, run_sync
from ._persistence.store import Store
from .records import ModelRecord
from .sources import Source, source_names

if TYPE_CHECKING:
    from datetime import datetime

    import httpx

    from ._domain.price_history import PricePoint
    from ._domain.query import Query
    from ._domain.reports import Change, Disagreement, RefreshReport, SourceStatus
    from ._orchestration.refresh import Refresher
    from ._orchestration.search import Search
    from ._persistence.fleet import SharedStore

__all__ = ["Catalog"]

_log = get_logger(__name__)
_T = TypeVar("_T")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


class Catalog:
    """Every model LiteLLM's map and the configured live sources know, one record per model.

    Args:
        cache_dir: where the diskcache lives (default: ``MASSGEN_DISCOVERY_CACHE_DIR``, else the
            user cache dir).
        offline: never touch the network (default: ``MASSGEN_DISCOVERY_OFFLINE=1``).
        sources: source names or :class:`~massgen_discovery.sources.Source` objects; ``"litellm"``
            is the bundled map. Default: the bundled map and every registered live source.
        timeout: seconds any one source may take.
        overrides: ``{model: {field: value}}`` that win over every source.
        endpoints: named OpenAI-compatible servers, ``{name: base_url}`` or
            ``{name: (base_url, api_key)}``; their models are ``<name>/<id>``.
        transport: an ``httpx.AsyncBaseTransport`` for the live sources (tests, proxies).
        redis_url: share the catalog with other machines on Redis (default:
            ``MASSGEN_DISCOVERY_REDIS_URL``; ``""`` turns it off). The local cache stays in front
            as a read-through copy; an offline catalog never talks to Redis.
        refresh_modes: ``{source or endpoint name: "auto" | "manual"}``. A ``manual`` source is
            never contacted by a lookup, in the foreground or the background; only
            :meth:`refresh` naming it (or refreshing everything) fetches it. Default: each
            name's ``MASSGEN_DISCOVERY_<NAME>_REFRESH``, else ``auto``.
        prefetch: after a lookup, fetch live sources never tried in the background (the next
            lookup sees them). A one-shot command that exits right after answering says False:
            such a fetch would die with it; a question only such a source answers waits for it
            either way.
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] | None = None,
        offline: bool | None = None,
        sources: Sequence[str | Source] | None = None,
        timeout: float = 5.0,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        endpoints: Mapping[str, str | tuple[str, str | None]] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        redis_url: str | None = None,
        refresh_modes: Mapping[str, str] | None = None,
        prefetch: bool = True,
    ) -> None:
        self.offline = _env_flag("MASSGEN_DISCOVERY_OFFLINE") if offline is None else offline
        """True when the catalog never touches the network."""
        url = os.environ.get("MASSGEN_DISCOVERY_REDIS_URL", "") if redis_url is None else redis_url
        fleet: SharedStore | None = None
        if url.strip() and not self.offline:
            from ._persistence.fleet import SharedStore

            fleet = SharedStore(cache_dir, url.strip())
        self._store: Store | SharedStore = fleet or Store(cache_dir)
        self.timeout = float(timeout)
        """Seconds any one source may take."""
        specs: list[str | Source] = list(source_names()) if sources is None else list(sources)
        for name, target in (endpoints or {}).items():
            from .sources.endpoint import EndpointSource

            url, key = (target, None) if isinstance(target, str) else target
            specs.append(EndpointSource(name, url, api_key=key))
        modes = {k: refresh_mode(v, k) for k, v in (refresh_modes or {}).items()}
        self._state = State(
            self._store,
            specs,
            offline=self.offline,
            timeout=self.timeout,
            transport=transport,
            refresh_modes=modes,
            fleet=fleet,
        )
        self._gen = Generations(self._state, self._fetch_missing)
        self._overrides = Overrides(overrides, self._gen.resolve)
        self._bg = Background(self._state, self._build, self._fetch_missing, prefetch=prefetch)
        self._first = FirstTries(self._state, self._bg, self._gen, self._fetch_missing)

    # -- configuration -------------------------------------------------------------------------

    @property
    def cache_dir(self) -> str:
        """The cache directory."""
        return str(self._store.directory)

    def live_sources(self) -> list[str]:
        """The names of the live sources this catalog reads (no I/O; :meth:`status` says how each is)."""
        return sorted(self._state.sources()[1])

    def manual(self, name: str) -> bool:
        """Whether source ``name`` refreshes only when asked (``refresh_modes`` or its env var)."""
        return self._state.manual(name)

    def _build(self) -> View:
        return self._gen.build()

    @cached_property
    def _refresher(self) -> Refresher:
        # Made on first use: refreshing imports the merge, which a lookup from the store never needs.
        from ._orchestration.refresh import Refresher

        return Refresher(self._state, self._build)

    @cached_property
    def _search(self) -> Search:
        from ._orchestration.search import Search  # made on first use: a lookup never searches

        return Search(self._state, self._gen)

    async def _fetch_missing(self, sources: list[Source]) -> object:
        return await self._refresher.refresh_sources(sources, explicit=False)

    @property
    def shared_store(self) -> str | None:
        """The Redis URL the catalog is shared on (password redacted), or None."""
        return self._state.shared_url

    def check_shared_store(self) -> str | None:
        """Ask the shared store whether it answers (within a second); why not, or None.

        None too when the catalog is not shared. Lookups never ask: they read the local copy.
        """
        fleet = self._state.fleet
        return fleet.check_shared() if fleet is not None else None

    # -- history -------------------------------------------------------------------------------

    def changes(
        self, *, since: datetime | str | None = None, last: int | None = None, provider: str | None = None
    ) -> list[Change]:
        """What changed between accepted generations, and what guard rails held back, newest first.

        Args:
            since: only entries at or after this time (a datetime, or an ISO date or datetime;
                naive means UTC).
            last: only the newest ``last`` entries (accepted generations and held listings).
            provider: only changes to this provider's models.
        """
        self._ensure()
        return self._changes(since, last, provider)

    async def achanges(
        self, *, since: datetime | str | None = None, last: int | None = None, provider: str | None = None
    ) -> list[Change]:
        """Async :meth:`changes`."""
        import asyncio

        await self._aensure()
        return await asyncio.to_thread(self._changes, since, last, provider)

    def _changes(self, since: datetime | str | None, last: int | None, provider: str | None) -> list[Change]:
        return self._state.history().changes(since=since, last=last, provider=provider)

    def price_history(self, model: str, *, field: str | None = None) -> list[PricePoint]:
        """A model's price points, oldest first: ``{"field", "value", "from", "to", "source"}``.

        From the dated prices its sources state and the price moves this catalog accepted between
        generations (kept as long as the cache is); ``[]`` for an unknown model.
        """
        from ._domain.price_history import price_points

        record = self.get_model(model)
        if record is None:
            return []
        return price_points(record, self._state.history().price_changes(record.model), field)

    def _ensure(self) -> View:
        """The view to answer from, never waiting on the network.

        A build from what is stored and bundled when the store has none; live sources never tried
        or expired are fetched in the background, and the next lookup sees them.
        """
        view, _missing = self._gen.current()
        if view is None:
            view = self._gen.build()
        self._bg.maybe_revalidate(view)
        return view

    async def _aensure(self) -> View:
        view, _missing = self._gen.current()
        if view is None:
            view = await off_loop(self._gen.build)
        self._bg.maybe_revalidate(view, in_loop=True)
        return view

    def _ensure_for(self, providers: Iterable[str]) -> View:
        return self._first.ensure(self._ensure, providers)

    async def _aensure_for(self, providers: Iterable[str]) -> View:
        return await self._first.aensure(self._aensure, providers)

    # -- reading -------------------------------------------------------------------------------

    def _get(self, view: View, model: str) -> ModelRecord | None:
        if not isinstance(model, str) or not model.strip():
            return None
        try:
            return self._overrides.apply(view, self._gen.resolve(view, model), model)
        except Exception as exc:  # lookups never raise; a bug here is logged, not thrown
            _log.warning("lookup of %r failed: %s", model, exc)
            return None

    def _records(self, view: View) -> list[ModelRecord]:
        return self._overrides.over(view, self._gen.all(view))

    def _find(self, view: View, query: Query) -> Sequence[ModelRecord]:
        """Run a query: on the generation's facets, or over the records with the overrides applied."""
        if not self._overrides:
            return self._search.find(view, query)
        from ._domain.query import run_query

        return run_query(self._records(view), query, by_name=True)

    # -- public sync API -----------------------------------------------------------------------

    def generation(self, *, follow_fleet: float | None = None) -> str:
        """An opaque tag of the data the catalog answers from now.

        It changes when a refresh lands, in this process or (within about a second) in another
        process on this machine. On a store shared on Redis, ``follow_fleet=S`` also reads the
        fleet's pointer at most every ``S`` seconds and adopts a generation another machine
        published (otherwise that happens in the background about once a minute); a server keys
        its rendered answers on the tag.
        """
        view = self._ensure()
        if follow_fleet is not None and self._bg.follow_fleet(view, follow_fleet):
            view = self._ensure()
        return f"{view.prefix}:{self._overrides.version}" if self._overrides else view.prefix

    def get_model(self, model: str) -> ModelRecord | None:
        """The record for a model string, or None when nothing knows it. Never raises.

        Accepts canonical keys (``groq/llama-3.3-70b-versatile``), LiteLLM's own keys (``gpt-4o``),
        ``ollama_chat/``, Ollama names without ``:latest``, MassGen prefixes (``claude/``,
        ``grok/``, ``together/`` ...), and any of those in another letter case.
        """
        view = self._ensure()
        found = self._get(view, model)
        if found is None and self._first.untried(view, providers_of(model)):
            found = self._get(self._ensure_for(providers_of(model)), model)
        return found

    def list_models(self, provider: str | None = None) -> list[ModelRecord]:
        """Every record, or one provider's, sorted by model string."""
        if provider is None:
            return self._records(self._ensure_for(()))
        provider = self._provider_id(provider)
        return [r for r in self._records(self._ensure_for([provider])) if r.provider == provider]

    def model_names(self) -> list[str]:
        """The records' model strings, sorted, read from the lookup indexes without building records.

        What a typo is matched against, at a fraction of :meth:`list_models`'s cost on a cold
        catalog. A record whose key is also another record's alias is named by that alias's target.
        """
        view = self._ensure()
        aliases = self._gen.index(view, "aliases")
        names = (set(self._gen.index(view, "lower").values()) - set(aliases)) | set(aliases.values())
        return sorted(names | set(self._overrides.records(view)) if self._overrides else names)

    def listed_created(self, provider: str) -> dict[str, float]:
        """Model id -> ``created`` (Unix time) as ``provider``'s live listing last stated it.

        For "newest first" orders; ``{}`` when the provider has no live listing or it sends no dates.
        """
        return self._state.listed_created(provider)

    def find_models(self, **criteria: Any) -> Sequence[ModelRecord]:
        """Records matching a search; see :func:`build_query` for the criteria.

        The answer is a read-only sequence whose records are built as they are read, so a question
        that matches thousands costs what the caller looks at (``list(answer)`` makes a list).

        Example: ``find_models(supports_function_calling=True, min_context=128_000,
        providers=["groq"], sort="price")``.
        """
        from ._domain.query import build_query

        query = build_query(**criteria)
        if query.providers:
            query = query.replace(providers=[self._provider_id(p) for p in query.providers])
        return self._find(self._ensure_for(query.providers or ()), query)

    def _provider_id(self, provider: str) -> str:
        from ._domain.naming import provider_id

        if provider in self._state.sources()[1]:  # an endpoint named so: its own records, fetched or not
            return provider
        return provider_id(provider, self.model_names)

    def refresh(
        self, names: Iterable[str] | None = None, *, raise_on_error: bool = False, force: bool = False
    ) -> list[RefreshReport]:
        """Fetch the named live sources (default: all) now, concurrently, and report on each.

        An explicit refresh ignores the negative-cache backoff. A listing the guard rails find
        suspect (much smaller, or a limit or price moving 10x) is kept out unless ``force=True``
        says the change is real. With ``raise_on_error=True`` the first source error is raised
        after every source has been tried.
        """
        return run_sync(self.arefresh(names, raise_on_error=raise_on_error, force=force))

    def audit(self, *, provider: str | None = None, field: str | None = None) -> list[Disagreement]:
        """Every disagreement between sources, with every source's value and the one kept.

        Limits that differ, prices more than 1% apart and capability flags that contradict.

        Args:
            provider: only this provider's models.
            field: only this field (``max_input_tokens``, ``input_cost_per_token``, ...).
        """
        from ._domain.audit import disagreements

        return disagreements(self.list_models(), provider=provider, field=field)

    async def aaudit(self, *, provider: str | None = None, field: str | None = None) -> list[Disagreement]:
        """Async :meth:`audit`."""
        from ._domain.audit import disagreements

        return disagreements(await self.alist_models(), provider=provider, field=field)

    def status(self, *, try_untried: bool = False) -> list[SourceStatus]:
        """The state of every configured source (bundled map first).

        ``try_untried=True`` first waits (concurrently, bounded by the timeout) for the first fetch
        of every live source never tried, so the state says whether each answers.
        """
        if not try_untried:
            return self._refresher.statuses(self._ensure())
        _bundled, live = self._state.sources()
        return self._refresher.statuses(self._ensure_for(list(live)))

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def override(self, model: str, **values: Any) -> None:
        """Set field values for ``model`` that win over every source (``max_input_tokens=...``).

        Raises:
            ConfigError: an unknown field or a value it cannot hold.
        """
        with self._state.mutex:
            self._overrides.set(model, values)

    def wait_background(self, timeout: float | None = None) -> bool:
        """Wait for background work started by the sync API (revalidations, first fetches); True if none is left.

        Short-lived processes (a CLI run) call this before exiting, so the data they found expired
        is fresh for the next run instead of dying with the process.
        """
        return self._bg.wait(self.timeout if timeout is None else timeout)

    def close(self, *, wait: bool = True) -> None:
        """Let background work finish, stop the worker thread, release the cache handle.

        The wait is bounded by the timeout (none with ``wait=False``). Both restart if the catalog
        is used again. A process that stops its worker this way never exits with the thread still
        running.
        """
        if wait:
            self._bg.wait(self.timeout)
        self._bg.stop()
        self._store.close()

    # -- public async API ----------------------------------------------------------------------

    async def aget_model(self, model: str) -> ModelRecord | None:
        """Async :meth:`get_model`."""
        view = await self._aensure()
        found = self._get(view, model)
        if found is None and self._first.untried(view, providers_of(model)):
            found = self._get(await self._aensure_for(providers_of(model)), model)
        return found

    async def alist_models(self, provider: str | None = None) -> list[ModelRecord]:
        """Async :meth:`list_models`."""
        if provider is None:
            return self._records(await self._aensure_for(()))
        return [r for r in self._records(await self._aensure_for([provider])) if r.provider == provider]

    async def afind_models(self, **criteria: Any) -> Sequence[ModelRecord]:
        """Async :meth:`find_models`."""
        from ._domain.query import build_query

        query = build_query(**criteria)
        return self._find(await self._aensure_for(query.providers or ()), query)

    async def astatus(self) -> list[SourceStatus]:
        """Async :meth:`status`."""
        return self._refresher.statuses(await self._aensure())

    async def arefresh(
        self, names: Iterable[str] | None = None, *, raise_on_error: bool = False, force: bool = False
    ) -> list[RefreshReport]:
        """Async :meth:`refresh`."""
        return await self._refresher.refresh(names, raise_on_error=raise_on_error, force=force)
