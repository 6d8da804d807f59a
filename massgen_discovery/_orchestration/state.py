"""A catalog's shared state: configuration and keys, sources, the view, the mutex, the memo, the store.

:class:`~massgen_discovery.catalog.Catalog` owns one :class:`State`; the generations, refresh and
background modules receive it (and the few callables that join them), never the catalog.
"""

from __future__ import annotations

import _thread
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .._domain import clock as _clock
from .._domain.digest import sha256_hex
from .._domain.identifiers import REFRESH_MODES, refresh_mode_var
from .._domain.log import get_logger
from .._persistence.disk import credential_fingerprint
from .._persistence.envelope import Envelope, read_guard, read_payload
from .._persistence.pointer import Pointer
from ..errors import ConfigError
from ..sources import BUNDLED, Source, create_source, hooks, litellm_map, source_aliases

if TYPE_CHECKING:
    import httpx

    from .._domain import reconcile as rc
    from .._domain.change_rows import ChangeRow
    from .._domain.changes import Moved
    from .._persistence.facets import Facet
    from .._persistence.rows import Directory, Encoded
    from .._persistence.storage import Fleet, Storage
    from ..records import ModelRecord
    from .history import History

__all__ = ["State", "View", "refresh_mode", "refresh_mode_problems"]

_log = get_logger(__name__)


def refresh_mode(value: str, name: str, *, var: str | None = None) -> str:
    """A checked refresh mode (``auto`` or ``manual``); ConfigError naming where it came from."""
    mode = value.strip().lower()
    if mode not in REFRESH_MODES:
        where = var or f"refresh_modes[{name!r}]"
        raise ConfigError(f"{where} is {value!r}; use one of: {', '.join(REFRESH_MODES)}")
    return mode


def refresh_mode_problems(environ: Mapping[str, str]) -> list[str]:
    """Every ``MASSGEN_DISCOVERY_<NAME>_REFRESH`` in ``environ`` that is neither mode, one line each."""
    problems = []
    for var, value in sorted(environ.items()):
        named = var.startswith("MASSGEN_DISCOVERY_") and var.endswith("_REFRESH") and value.strip()
        if named and value.strip().lower() not in REFRESH_MODES:
            problems.append(f"{var} is {value[:40]!r}; use one of: {', '.join(REFRESH_MODES)}")
    return problems


class View:
    """One generation of the merged catalog as this process sees it."""

    __slots__ = (
        "answers", "changes", "checked", "directory", "facets", "facets_flagged", "flagged", "index", "lookups",
        "pointer", "points", "prefix", "records",
    )  # fmt: skip

    def __init__(self, prefix: str, pointer: Pointer, checked: float) -> None:
        self.prefix = prefix
        self.pointer = pointer
        """The generation's pointer as this process last read it (its inputs, each source's state)."""
        self.checked = checked
        self.records: dict[str, ModelRecord] | None = None
        self.directory: Directory | None = None
        self.index: dict[str, dict[str, str]] | None = None
        self.points: dict[str, ModelRecord | None] = {}
        self.lookups: dict[str, dict[str, str]] = {}
        """Lookup index parts read so far, by part key (a cold lookup reads the one it needs)."""
        self.flagged: dict[str, list[ModelRecord]] = {}
        """Per capability flag, the records that have it (built by the first query that asks)."""
        self.changes: list[ChangeRow] | None = None
        """The changes this process's build of the generation recorded (None: not built here)."""
        self.facets: tuple[list[Facet] | None] | None = None
        """The facets row, once read: ``(facets,)``, or ``(None,)`` when the generation has none usable."""
        self.facets_flagged: dict[str, list[Facet] | None] = {}
        """Per capability flag, the facets of the records that have it."""
        self.answers: dict[str, Sequence[ModelRecord]] = {}
        """The latest searches' answers, by question (immutable sequences: shared by every caller)."""

    def forget(self) -> None:
        """Drop everything read of the generation (its rows changed under it: read them again)."""
        self.records, self.index, self.directory, self.facets = None, None, None, None
        self.points, self.flagged, self.lookups, self.answers, self.facets_flagged = {}, {}, {}, {}, {}


class State:
    """A catalog's shared state: one per catalog, passed to the modules that orchestrate it.

    Args:
        store: the local store, or the fleet store in front of it.
        fleet: the same fleet store as what only the fleet does, or None on one machine.
        specs: source names or objects, resolved on first use (:meth:`sources`).
        offline: never touch the network.
        timeout: seconds any one source may take.
        transport: the httpx transport live sources use (tests, proxies), or None.
        refresh_modes: ``{name: "auto" | "manual"}`` set in code (checked already).
    """

    def __init__(
        self,
        store: Storage,
        specs: Sequence[str | Source],
        *,
        offline: bool,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        refresh_modes: Mapping[str, str] | None = None,
        fleet: Fleet | None = None,
    ) -> None:
        self.store = store
        self.fleet = fleet
        self.offline = offline
        self.timeout = timeout
        self.transport = transport
        self.specs: list[str | Source] = list(specs)
        self.refresh_modes = dict(refresh_modes or {})
        self.warned: set[str] = set()
        """Refresh-mode variables already warned about (once per catalog)."""
        self.view: View | None = None
        """The generation this process reads (replaced under :attr:`mutex`)."""
        self.mutex = _thread.RLock()
        self.disabled: dict[str, tuple[str, ...]] = {}
        """Key-gated sources skipped for want of a key, with the variables that would enable them."""
        self._resolved: tuple[bool, dict[str, Source]] | None = None
        self._parsed: dict[str, tuple[str, list[ModelRecord], dict[str, str]]] = {}
        self._guards: dict[str, tuple[str, dict[str, rc.Anchors], dict[str, rc.Anchors]]] = {}
        self._bundled: tuple[litellm_map.LiteLLMMap, dict[str, str], dict[str, ModelRecord]] | None = None
        self._bundled_providers: dict[str, list[str]] = {}
        self._history: History | None = None
        self.encoded: Encoded | None = None
        """What the last build here encoded (see ``_persistence.rows.Encoded``): reused by the next."""

    # -- configuration and keys -----------------------------------------------------------------

    def sources(self) -> tuple[bool, dict[str, Source]]:
        """(bundled map included?, live sources by name), built on first use from the specs."""
        if self._resolved is None:
            bundled = False
            live: dict[str, Source] = {}
            for spec in self.specs:
                if isinstance(spec, str):
                    if spec == BUNDLED:
                        bundled = True
                        continue
                    spec = create_source(spec)
                if spec.name == BUNDLED:
                    raise ConfigError(f"a live source cannot be named {BUNDLED!r}")
                optional = hooks(spec)
                if optional.enabled:
                    live[spec.name] = spec
                else:  # a key-gated listing without its key is skipped
                    self.disabled[spec.name] = optional.env_vars
            self._resolved = (bundled, live)
        return self._resolved

    @staticmethod
    def envelope_key(source: Source) -> str:
        """Where a source's stored listing lives: per source, base URL and credential fingerprint."""
        secret = hooks(source).cache_credential
        return f"envelope:{source.name}:{source.base_url}:{credential_fingerprint(secret)}"

    def config_id(self) -> str:
        """The configuration's id: which sources, at which base URLs, with which credentials."""
        bundled, live = self.sources()
        parts = [f"bundled={bundled}", *sorted(self.envelope_key(s) for s in live.values())]
        return sha256_hex("\n".join(parts))[:16]

    def meta_key(self) -> str:
        """The configuration's generation pointer."""
        return f"catalog:{self.config_id()}:meta"

    def registry_key(self) -> str:
        """The configuration's list of generations."""
        return f"catalog:{self.config_id()}:generations"

    def pointer(self) -> Pointer | None:
        """The current generation's pointer; on a fleet, the fleet's generation copied here on a local miss."""
        if self.fleet is not None:
            return self.fleet.get_pointer(self.meta_key(), self.registry_key())
        return Pointer.decode(self.store.get(self.meta_key()))

    @property
    def shared_url(self) -> str | None:
        """Where the store is shared (a redacted Redis URL), or None on one machine."""
        return self.fleet.shared_url if self.fleet is not None else None

    def manual(self, name: str) -> bool:
        """Whether source ``name`` refreshes only when asked (``refresh_modes`` or its env var).

        A variable holding neither mode warns once and counts as ``auto``: a lookup never raises
        for it (the CLI refuses it up front, exit 2).
        """
        mode = self.refresh_modes.get(name)
        if mode is None:
            var = refresh_mode_var(name)
            raw = os.environ.get(var, "").strip()
            try:
                mode = refresh_mode(raw, name, var=var) if raw else "auto"
            except ConfigError as exc:
                if var not in self.warned:
                    self.warned.add(var)
                    _log.warning("%s; using auto", exc)
                mode = "auto"
        return mode == "manual"

    # -- parsed listings ------------------------------------------------------------------------

    def remember(
        self,
        name: str,
        version: str,
        records: list[ModelRecord],
        aliases: dict[str, str],
        guard: tuple[dict[str, rc.Anchors], dict[str, rc.Anchors]] | None = None,
    ) -> None:
        """Keep a listing's parse for its envelope version, and the guard rails' view written with it.

        ``guard``: (the drift baseline, the listing's guarded values), so the next refresh judges
        the listing after it without working its values out again.
        """
        with self.mutex:
            self._parsed[name] = (version, records, aliases)
            if guard is not None:
                self._guards[name] = (version, *guard)

    def guard(self, source: Source, envelope: Envelope) -> tuple[dict[str, rc.Anchors], dict[str, rc.Anchors] | None]:
        """What the guard rails judge a new listing against: (its predecessor's values, the baseline).

        The values are the envelope's listing's (``rc.guarded_values``); the drift baseline is the
        one stored with it, or None. Both are kept from this process's refresh that wrote them, else
        read from the store (one read); the listing is parsed again only when its values are not
        stored beside it (a listing stored before they were).
        """
        from .._domain import reconcile as rc

        version = envelope.version
        with self.mutex:
            parsed = self._parsed.get(source.name)
            kept = self._guards.get(source.name)
        if kept is not None and kept[0] == version:
            return kept[2], kept[1]  # written here: both as they were worked out
        values = rc.guarded_values(parsed[1]) if parsed is not None and parsed[0] == version else None
        stored_baseline, stored_values = read_guard(self.store, self.envelope_key(source), envelope)
        baseline = rc.anchors_of(stored_baseline) if stored_baseline is not None else None
        if values is None:
            values = (
                rc.anchors_of(stored_values, keep_empty=True)
                if stored_values is not None
                else rc.guarded_values(self.listing(source, envelope)[0])
            )
        return values, baseline

    def listing(self, source: Source, envelope: Envelope) -> tuple[list[ModelRecord], dict[str, str]]:
        """The stored listing's records and the lookup aliases it defines, parsed once per envelope version."""
        from .._domain import reconcile as rc

        version = envelope.version
        with self.mutex:
            memo = self._parsed.get(source.name)
        if memo is not None and version is not None and memo[0] == version:
            return memo[1], memo[2]
        payload = read_payload(self.store, self.envelope_key(source), envelope)
        if payload is None:
            return [], {}
        try:
            records = source.to_records(payload, _clock.as_datetime(envelope.fetched_at) or datetime.now(timezone.utc))
            records = rc.sanitize(records)[0]
            named = source_aliases(source, records, payload)
        except Exception as exc:  # a parser bug must not take lookups down
            _log.warning("%s: cached payload could not be read: %s", source.name, exc)
            return [], {}
        if version is not None:
            self.remember(source.name, version, records, named)
        return records, named

    def bundled_base(self, loaded: litellm_map.LiteLLMMap) -> tuple[dict[str, str], dict[str, ModelRecord]]:
        """(the modes LiteLLM's map states, its records merged), worked out once per loaded map."""
        from .._domain import reconcile as rc

        with self.mutex:
            memo = self._bundled
        if memo is not None and memo[0] is loaded:
            return memo[1], memo[2]
        stated = litellm_map.stated_modes(loaded)
        # LiteLLM's values pass the same rule a listing's do (a price of $135,000 per 1M is not
        # real): the records a build keeps in memory are the ones read back from the store.
        from ..sources import genai_prices

        # genai-prices' opinion on the map's own models (its prices only, read once per map).
        third = genai_prices.records(only=(r.model for r in loaded.records)) if loaded.records else []
        records, _notes = rc.sanitize([*loaded.records, *third])
        base = rc.adopt_stated_modes(rc.reconcile(records), stated)
        by_provider: dict[str, list[str]] = {}
        for key, record in base.items():
            by_provider.setdefault(record.provider, []).append(key)
        with self.mutex:
            self._bundled = (loaded, stated, base)
            self._bundled_providers = by_provider
        return stated, base

    def bundled_of(self, provider: str) -> list[str]:
        """The keys of ``provider``'s models in LiteLLM's map (as of :meth:`bundled_base`'s last call)."""
        with self.mutex:
            return self._bundled_providers.get(provider, [])

    # -- history --------------------------------------------------------------------------------

    def history(self) -> History:
        """The change history of the configuration (built on first use)."""
        from .history import History

        config = self.config_id()
        with self.mutex:
            if self._history is None or self._history.config_id != config:
                self._history = History(self.store, config)
            return self._history

    def generation_changes(
        self, old: Moved | None, new: Moved, meta: Pointer, previous: Pointer | None
    ) -> list[ChangeRow]:
        """What a new generation changed (none when it cannot be worked out; see ``History``)."""
        from .history import History

        try:
            return History.generation_changes(old, new, meta, previous)
        except Exception as exc:  # history is a report: it must never break a build
            _log.warning("change history not worked out: %s", exc)
            return []

    def record_history(self, changes: list[ChangeRow], meta: Pointer) -> list[ChangeRow]:
        """Keep a new generation's changes; them (none when history cannot be kept)."""
        try:
            return self.history().record_generation(changes, meta)
        except Exception as exc:  # history is a report: it must never break a build
            _log.warning("change history not recorded: %s", exc)
            return []

    def record_held(self, source: Source, old: list[ModelRecord], new: list[ModelRecord], reason: str) -> int:
        """Keep what a suspect listing would have changed; how many changes."""
        try:
            return self.history().record_held(source.name, old, new, reason, at=_clock.now())
        except Exception as exc:
            _log.warning("held changes of %s not recorded: %s", source.name, exc)
            return 0

    def listed_created(self, provider: str) -> dict[str, float]:
        """Model id -> ``created`` (Unix time) as ``provider``'s live listing last stated it."""
        from ..sources._listing import entries, entry_id

        _bundled, live = self.sources()
        out: dict[str, float] = {}
        for source in live.values():
            if hooks(source).provider != provider:
                continue
            key = self.envelope_key(source)
            payload = read_payload(self.store, key, Envelope.read(self.store, key))
            if isinstance(payload, dict) and "models" in payload and "base_url" in payload:
                payload = payload["models"]  # an endpoint's stored answer wraps its listing
            try:
                items = entries(payload)
            except Exception:
                continue
            for entry in items:
                model_id, created = entry_id(entry), entry.get("created")
                if model_id and isinstance(created, (int, float)) and not isinstance(created, bool):
                    out.setdefault(model_id, float(created))
        return out
