"""The refresh state machine: one source's fetch, its guard rails and its envelope.

An envelope is what the store keeps per live source (see :class:`Envelope`): where the last good
payload is stored (apart, see ``_persistence.envelope``), when it was fetched and expires, and the
guard-rail state (failures, backoff; the values accepted without question sit beside the payload).
A refresh takes the source's fetch lock (fleet-wide on a shared store), fetches within the timeout,
runs the guard rails, and writes a new envelope or a failure onto the old one.
Lookups never come here: pydantic and httpx are imported by the refresh itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from .._domain import reconcile as rc
from .._domain.clock import as_datetime, now
from .._domain.identifiers import BUNDLED
from .._persistence.envelope import Envelope, payload_json, read_payload, write_payload
from .._runtime import collector_paused
from ..errors import ConfigError, SourceError, SourceFormatError
from ..sources import hooks, litellm_map, source_aliases
from .sync import off_loop

if TYPE_CHECKING:
    import ssl

    import httpx

    from .._domain.change_rows import ChangeRow
    from .._domain.reports import RefreshReport, SourceStatus
    from .._persistence.locks import Lock
    from ..records import ModelRecord
    from ..sources import Source
    from .state import State, View

__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_MAX",
    "Refresher",
    "backoff_seconds",
    "count_changes",
    "with_changes",
]

BACKOFF_FIRST = 60.0
"""Seconds automatic refreshes leave a source alone after its first failure."""
BACKOFF_MAX = 900.0
"""Longest backoff between automatic refreshes of a failing source (unless Retry-After says more)."""
MAX_NOTES = 20
"""Notes (values kept out as not real) an envelope keeps; the rest are counted."""


def backoff_seconds(failures: int, retry_after: float | None = None) -> float:
    """Negative-cache delay after ``failures`` consecutive failures: 60 s doubling to 15 min.

    A ``Retry-After`` longer than that wins.
    """
    delay = min(BACKOFF_FIRST * 2.0 ** max(0, failures - 1), BACKOFF_MAX)
    return max(delay, retry_after or 0.0)


def count_changes(changes: Sequence[ChangeRow] | None, source: str) -> int:
    """How many of a generation's changes came from ``source``."""
    return sum(1 for c in changes or () if c.get("source") == source)


def with_changes(report: RefreshReport, changes: Sequence[ChangeRow] | None) -> RefreshReport:
    """The report with how many of the new generation's changes came from its source."""
    if report.changes is not None or report.outcome != "ok":
        return report
    return report.model_copy(update={"changes": count_changes(changes, report.source)})


@cache
def ssl_context() -> ssl.SSLContext:
    """The TLS context every refresh of the process shares."""
    # Loading the CA bundle costs ~30 ms; one context serves every refresh of the process.
    import httpx

    return httpx.create_ssl_context()


FULL_LISTING_EVERY = 86_400.0
"""Seconds after a full listing (a 200) that conditional GETs stop: the next fetch asks for all of it."""


class _Listing(NamedTuple):
    """A listing fetched and parsed, before the guard rails judge it."""

    payload: Any
    text: str
    digest: str
    records: list[ModelRecord]
    notes: list[str]
    validators: dict[str, str]
    fetched_at: float


class Refresher:
    """Refreshes a catalog's live sources.

    Args:
        state: the catalog's shared state (store, keys, sources, parsed listings).
        build: merges a new generation from what is stored (run after the fetches).
    """

    def __init__(self, state: State, build: Callable[[], View]) -> None:
        self._s = state
        self._build = build

    async def refresh_sources(
        self, sources: Sequence[Source], *, explicit: bool, force: bool = False
    ) -> list[tuple[RefreshReport, SourceError | None]]:
        """Fetch ``sources`` concurrently; a report (and the error, if any) per source."""
        import asyncio

        import httpx

        limits = httpx.Timeout(self._s.timeout, connect=min(self._s.timeout, 5.0))
        async with httpx.AsyncClient(
            timeout=limits, transport=self._s.transport, follow_redirects=False, verify=ssl_context()
        ) as client:
            return list(await asyncio.gather(*(self._refresh_one(s, client, explicit, force) for s in sources)))

    async def _refresh_one(
        self, source: Source, client: httpx.AsyncClient, explicit: bool, force: bool = False
    ) -> tuple[RefreshReport, SourceError | None]:
        """One source: its fetch lock, then (unless another process answered) fetch, judge and store."""
        key = self._s.envelope_key(source)
        lock = self._s.store.lock(f"fetch:{key}", shared=True)
        started = time.perf_counter()
        token, answered = await self._lock_or_wait(source, key, lock, explicit, started)
        if token is None:
            assert answered is not None
            return answered
        paused = ExitStack()
        try:
            envelope = Envelope.read(self._s.store, key, shared=True)
            if not explicit and envelope.has_payload and not envelope.expired(now()):
                return self._report(source, envelope, started, "ok"), None
            return await self._fetch_and_store(source, client, key, envelope, force, started, paused)
        finally:
            paused.close()
            lock.release(token)

    async def _lock_or_wait(
        self, source: Source, key: str, lock: Lock, explicit: bool, started: float
    ) -> tuple[str | None, tuple[RefreshReport, SourceError | None] | None]:
        """(the fetch lock's token, None), or (None, the answer) when another process fetched or holds it."""
        import asyncio

        from .._domain.reports import RefreshReport

        token = lock.take(self._s.timeout + 10)
        if token is not None:
            return token, None
        # Another live process (on any machine sharing the store) is fetching this source (a dead
        # holder's lock is taken over at once): wait for its result instead of fetching too.
        before = Envelope.read(self._s.store, key, shared=True).version
        deadline = time.monotonic() + self._s.timeout
        while token is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            token = lock.take(self._s.timeout + 10)
        envelope = Envelope.read(self._s.store, key, shared=True)
        fetched_by_other = envelope.version != before and envelope.has_payload
        if token is not None and not (fetched_by_other and not explicit):
            return token, None
        if token is not None:
            lock.release(token)
        if fetched_by_other:
            return None, (self._report(source, envelope, started, "ok"), None)
        holder = lock.holder()
        who = holder.describe() if holder is not None else "pid ? on ?"
        why = f"not fetched: another process ({who}) has been fetching it for over {self._s.timeout:g} s"
        count = envelope.count if envelope.has_payload else 0
        seconds = round(time.perf_counter() - started, 4)
        return None, (
            RefreshReport(source=source.name, outcome="skipped", count=count, seconds=seconds, error=why),
            None,
        )

    async def _fetch_and_store(
        self,
        source: Source,
        client: httpx.AsyncClient,
        key: str,
        envelope: Envelope,
        force: bool,
        started: float,
        paused: ExitStack,
    ) -> tuple[RefreshReport, SourceError | None]:
        """Fetch within the timeout; a listing the upstream confirmed, a new one judged, or the failure."""
        import asyncio

        from ..sources._http import ConditionalGet, NotModified

        fetched_at = now()
        # Conditional GETs only when the stored listing the upstream may confirm is still here,
        # not on --force, and not past a day since the last full listing (an upstream that
        # answers 304 to a changed listing is found out within a day).
        confirmable = envelope.has_payload and not force and envelope.full_listing_age(now()) < FULL_LISTING_EVERY
        validators = ConditionalGet(envelope.validators if confirmable and self._stored(key, envelope) else None)
        # Only sources that reuse parts of their last listing (Ollama, endpoints) get it back
        # (not on --force: everything is asked again, an endpoint's kind too).
        reuse = hooks(source).reuses_previous and not force
        previous = read_payload(self._s.store, key, envelope) if reuse else None
        try:
            # The sources that can ask conditionally take the stored listing's validators.
            asked = {"validators": validators} if hooks(source).conditional_get else {}
            payload = await asyncio.wait_for(source.fetch(client, previous=previous, **asked), self._s.timeout)
            # From here to the end nothing waits: the listing's objects are never walked by the
            # collector while they live (they die with this call, by reference counting).
            paused.enter_context(collector_paused())
            # The payload must survive the round trip through the store; its digest says whether
            # the upstream sent the very listing stored (then it is not parsed or merged again).
            text, digest = payload_json(payload, validators.body_of(payload))
            if digest == envelope.digest and not force and self._stored(key, envelope):
                raise NotModified(source.name)
            records, notes = rc.sanitize(
                source.to_records(payload, as_datetime(fetched_at) or datetime.now(timezone.utc))
            )
        except NotModified:
            return self._confirmed(source, key, envelope, validators.learned(), fetched_at, started)
        except Exception as exc:
            return self._failed(source, key, envelope, self._as_source_error(source, exc), None, started)
        listing = _Listing(payload, text, digest, records, notes, validators.learned(), fetched_at)
        return self._judged(source, key, envelope, listing, force, started)

    def _as_source_error(self, source: Source, exc: Exception) -> SourceError:
        """What a fetch's failure says: its own error, a timeout, or a listing this source cannot read."""
        import asyncio

        if isinstance(exc, SourceError):
            return exc
        if isinstance(exc, asyncio.TimeoutError):
            from ..errors import SourceTimeout

            return SourceTimeout(f"{source.name}: no answer within {self._s.timeout:g} s", source=source.name)
        from ..sources._http import redact  # a parser or payload surprise is a format error of that source

        detail = redact(f"{type(exc).__name__}: {exc}", source.credential)
        return SourceFormatError(f"{source.name}: unusable listing ({detail})"[:300], source=source.name)

    def _confirmed(
        self,
        source: Source,
        key: str,
        envelope: Envelope,
        validators: dict[str, str],
        fetched_at: float,
        started: float,
    ) -> tuple[RefreshReport, SourceError | None]:
        """A 304, or the same bytes: the stored listing is fresh again, nothing parsed, merged or rebuilt.

        The listing is read once more (on a fleet that puts it back on Redis if Redis lost it): a
        304 is never trusted without its listing.
        """
        if read_payload(self._s.store, key, envelope) is None:
            error = SourceFormatError(
                f"{source.name}: answered 304 but its last listing is gone; asked in full next time", source=source.name
            )
            return self._failed(source, key, envelope, error, None, started)
        same = envelope.confirmed(ttl=source.ttl, at=fetched_at, validators=validators)
        self._s.store.put(key, same.encode())
        return self._report(source, same, started, "ok").model_copy(update={"changes": 0}), None

    def _judged(
        self, source: Source, key: str, envelope: Envelope, listing: _Listing, force: bool, started: float
    ) -> tuple[RefreshReport, SourceError | None]:
        """A new listing through the guard rails: stored as the source's, or held out as suspect."""
        # The last listing as its guarded values: stored beside it, not parsed again.
        old, baseline = self._s.guard(source, envelope) if envelope.has_payload else ({}, None)
        values = rc.guarded_values(listing.records)
        reason = None if force else rc.suspect_refresh(old, values, baseline)
        if reason is not None:
            error = SourceFormatError(f"{source.name}: suspect listing kept out ({reason})", source=source.name)
            envelope = envelope.held()
            held = self._s.record_held(source, self._s.listing(source, envelope)[0], listing.records, reason)
            return self._failed(source, key, envelope, error, held, started)
        anchors = rc.next_baseline(baseline, values, reset=force)
        notes = listing.notes[:MAX_NOTES]
        if len(listing.notes) > MAX_NOTES:
            notes.append(f"... and {len(listing.notes) - MAX_NOTES} more")
        fresh = Envelope.fresh(
            source.name,
            source.base_url,
            ttl=source.ttl,
            at=listing.fetched_at,
            count=len(listing.records),
            notes=notes,
            validators=listing.validators,
            digest=listing.digest,
        )
        new = write_payload(self._s.store, key, fresh, envelope, listing.text, listing.digest, anchors, values)
        # The build that follows reads this listing: it is parsed already.
        named = source_aliases(source, listing.records, listing.payload)
        self._s.remember(source.name, new.version or "", listing.records, named, (anchors, values))
        return self._report(source, new, started, "ok"), None

    def _failed(
        self,
        source: Source,
        key: str,
        envelope: Envelope,
        error: SourceError,
        held: int | None,
        started: float,
    ) -> tuple[RefreshReport, SourceError | None]:
        """The failure written onto the stored envelope (its listing kept), with the backoff it earns."""
        from ..errors import NotRunning

        failed = envelope.failed(
            source.name,
            source.base_url,
            error=str(error).splitlines()[0][:300] if str(error) else type(error).__name__,
            retry_at=now() + backoff_seconds(envelope.failures + 1, error.retry_after),
            at=now(),
            degraded=held is not None,
        )
        self._s.store.put(key, failed.encode())
        outcome = "not_running" if isinstance(error, NotRunning) else "stale" if failed.has_payload else "failed"
        report = self._report(source, failed, started, outcome)
        if held is not None:
            report = report.model_copy(update={"changes": held})
        return report, error

    def _stored(self, key: str, envelope: Envelope) -> bool:
        """Whether the listing the envelope names is still in the store (checked before trusting a 304)."""
        if envelope.payload is not None:
            return True
        named, store = envelope.payload_key, self._s.store
        return named is not None and (store.get_raw(named) is not None or store.get(named) is not None)

    def _report(self, source: Source, envelope: Envelope, started: float, outcome: str) -> RefreshReport:
        from .._domain.reports import RefreshReport

        count = envelope.count if envelope.has_payload else 0
        return RefreshReport(
            source=source.name,
            outcome=outcome,  # type: ignore[arg-type]
            count=count,
            seconds=round(time.perf_counter() - started, 4),
            error=envelope.error if outcome != "ok" else None,
        )

    async def refresh(
        self, names: Iterable[str] | None = None, *, raise_on_error: bool = False, force: bool = False
    ) -> list[RefreshReport]:
        """What :meth:`massgen_discovery.Catalog.arefresh` does: the named sources, then a build."""
        from .._domain.reports import RefreshReport

        wanted, targets = self._wanted(names)
        reports: list[RefreshReport] = []
        if names is None:
            # Refreshing everything leaves manual sources alone: only naming one fetches it.
            manual = [s for s in targets if self._s.manual(s.name)]
            targets = [s for s in targets if s not in manual]
            reports.extend(
                RefreshReport(
                    source=s.name,
                    outcome="skipped",
                    error=f"refreshes only when asked: massgen-discovery refresh {s.name}",
                )
                for s in manual
            )
        if BUNDLED in wanted:
            litellm_map.forget_digest()
        started = time.perf_counter()
        errors: list[SourceError] = []
        if targets:
            if self._s.offline:
                reports.extend(RefreshReport(source=s.name, outcome="skipped", error="offline") for s in targets)
            else:
                outcomes = await self.refresh_sources(targets, explicit=True, force=force)
                for report, error in outcomes:
                    reports.append(report)
                    if error is not None:
                        errors.append(error)
        view = await off_loop(self._build)
        reports = [with_changes(r, view.changes) for r in reports]
        if BUNDLED in wanted:
            count = view.pointer.bundled_count
            reports.insert(
                0,
                RefreshReport(
                    source=BUNDLED,
                    outcome="ok" if count else "failed",
                    count=count,
                    seconds=round(time.perf_counter() - started, 4),
                    error=None if count else "litellm is not installed or its map is unreadable",
                    changes=count_changes(view.changes, BUNDLED),
                ),
            )
        if raise_on_error and errors:
            raise errors[0]
        return reports

    def _wanted(self, names: Iterable[str] | None) -> tuple[list[str], list[Source]]:
        """(the source names a refresh asks for, the live ones among them); ConfigError for a name not configured."""
        bundled, live = self._s.sources()
        wanted = list(names) if names is not None else [BUNDLED, *live] if bundled else list(live)
        unknown = [n for n in wanted if n != BUNDLED and n not in live]
        keyless = [n for n in unknown if n in self._s.disabled]
        if keyless:
            needs = ", ".join(f"{n} needs {' or '.join(self._s.disabled[n]) or 'a key'}" for n in keyless)
            raise ConfigError(f"no live listing without a key: {needs}")
        if unknown or (BUNDLED in wanted and not bundled):
            known = ", ".join(([BUNDLED] if bundled else []) + sorted(live))
            bad = ", ".join(unknown or [BUNDLED])
            raise ConfigError(f"unknown source {bad} for this catalog (configured: {known})")
        return wanted, [live[n] for n in wanted if n != BUNDLED]

    def statuses(self, view: View) -> list[SourceStatus]:
        """The state of every configured source (bundled map first), from their envelopes."""
        from .._domain.reports import SourceStatus

        bundled, live = self._s.sources()
        out: list[SourceStatus] = []
        if bundled:
            path = litellm_map.bundled_map_path()
            out.append(
                SourceStatus(
                    source=BUNDLED,
                    live=False,
                    base_url=str(path) if path else None,
                    count=view.pointer.bundled_count,
                    error=None if view.pointer.bundled_count else "litellm is not installed",
                )
            )
        at = now()
        for name, source in sorted(live.items()):
            envelope = Envelope.read(self._s.store, self._s.envelope_key(source))
            has_data = envelope.has_payload
            out.append(
                SourceStatus(
                    source=name,
                    live=True,
                    base_url=source.base_url,
                    fetched_at=as_datetime(envelope.fetched_at),
                    expires_at=as_datetime(envelope.expires_at),
                    count=envelope.count if has_data else 0,
                    stale=has_data
                    and (bool(envelope.error) or (envelope.expires_at is not None and envelope.expired(at))),
                    degraded=envelope.degraded,
                    error=envelope.error,
                    retry_at=as_datetime(envelope.retry_at),
                    notes=list(envelope.notes),
                    shared_store=self._s.shared_url,
                    refresh="manual" if self._s.manual(name) else "auto",
                )
            )
        return _with_gate_notes(out)


def _with_gate_notes(statuses: list[SourceStatus]) -> list[SourceStatus]:
    """Statuses with what the gate kept out of stored data, each on the source it claimed to come from."""
    from .._runtime import gate_notes as notes

    kept = notes()
    if not kept or not statuses:
        return statuses
    names = {s.source for s in statuses}
    extra: dict[str, list[str]] = {}
    for source, text in kept:
        extra.setdefault(source if source in names else statuses[0].source, []).append(text)
    return [s.model_copy(update={"notes": [*s.notes, *extra[s.source]]}) if s.source in extra else s for s in statuses]
