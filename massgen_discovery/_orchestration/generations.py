"""Generations of the merged catalog: building one, adopting another's, reading its rows.

A generation is the merged catalog written under one prefix: a ``dir`` row naming the parts that
hold its records and lookup index (see ``_persistence.rows``; parts are shared by every generation
with the same records), and a pointer (``meta``) naming the prefix and the inputs it was merged
from (the map's stamp, each live envelope's version). A process reads the pointer once a second
(:data:`RECHECK_SECONDS`); a builder merges when the inputs moved, or adopts what another process
(or, on a shared store, another machine) built from the same inputs. Rows are read lazily: a
single lookup reads the ``dir`` and one part, a query every part.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from .._domain import clock as _clock
from .._domain.digest import sha256_hex
from .._domain.log import get_logger
from .._domain.naming import lookup_candidates
from .._persistence import rows
from .._persistence.disk import cache_cap_bytes
from .._persistence.envelope import Envelope
from .._persistence.pointer import Pointer, SourceMeta
from .._runtime import collector_paused
from ..records import ModelRecord
from ..sources import hooks, litellm_map, source_aliases
from .state import State, View
from .sync import run_sync

if TYPE_CHECKING:
    from .._domain.changes import Moved
    from ..sources import Source

__all__ = ["Generations", "View"]

_log = get_logger(__name__)

RECHECK_SECONDS = 1.0
"""How often a catalog re-reads the store's pointer to notice another process's refresh."""
POINT_READS_BEFORE_FULL_LOAD = 32
"""After this many single-record reads, a view loads every part instead."""
LOCK_WAIT = 1.0
"""Seconds a lookup waits for another process's build before building itself."""
UNUSED_SECONDS = 7 * 86400.0
"""A configuration nobody built, adopted or refreshed for this long is collected."""
USED_STEP = 86400.0
"""How stale a configuration's ``used_at`` may get before an adoption refreshes it."""


class _Merge:
    """What a build merged: the records, the lookup aliases, each source's summary, the map's stamp."""

    def __init__(self) -> None:
        self.records: dict[str, ModelRecord] = {}
        self.aliases: dict[str, str] = {}
        self.metas: dict[str, SourceMeta] = {}
        self.stamp = "off"
        self.base: dict[str, ModelRecord] = {}  # LiteLLM's map as records (merged once per process)


class Generations:
    """Builds, adopts and reads a catalog's generations.

    Args:
        state: the catalog's shared state (store, keys, sources, view).
        fetch: fetches live sources that have nothing stored (a repair's first step).
    """

    def __init__(self, state: State, fetch: Callable[[list[Source]], Coroutine[Any, Any, object]]) -> None:
        self._s = state
        self._fetch = fetch

    def current(self) -> tuple[View | None, list[Source]]:
        """The usable persisted view, or (None, live sources with nothing cached) when a build is due."""
        with self._s.mutex:
            view = self._s.view
            if view is not None and _clock.mono() - view.checked < RECHECK_SECONDS:
                return view, []
        bundled, live = self._s.sources()
        meta = self._s.pointer()
        if self.meta_matches(meta, bundled, live, check_versions=False):
            assert meta is not None
            with self._s.mutex:
                if self._s.view is not None and self._s.view.prefix == meta.prefix:
                    self._s.view.pointer = meta
                    self._s.view.checked = _clock.mono()
                else:
                    self._s.view = View(prefix=meta.prefix, pointer=meta, checked=_clock.mono())
                return self._s.view, []
        return None, self.missing(live)

    def missing(self, live: Mapping[str, Source]) -> list[Source]:
        """Live sources a lookup should fetch before answering: nothing stored, and not manual."""
        store, key = self._s.store, self._s.envelope_key
        return [s for s in live.values() if not self._s.manual(s.name) and store.get(key(s)) is None]

    def build(self, force: bool = False) -> View:
        """:meth:`_build`, then the write handle is let go (lookups elsewhere read quietly again)."""
        try:
            with collector_paused():
                return self._build(force)
        finally:
            self._s.store.release_writer()

    def _build(self, force: bool = False) -> View:
        """Merge the bundled map and every live envelope into a new persisted generation.

        Without ``force``, a generation another process built from the same inputs is adopted.
        """
        bundled, live = self._s.sources()
        config = self._s.config_id()
        # A lookup waits about a second for another process's build, then builds itself.
        with self._s.store.lock(f"build:{config}").held(seconds=60, wait=min(self._s.timeout, LOCK_WAIT)):
            meta = self._s.pointer()
            if not force and (adopted := self._adopted(meta, bundled, live)) is not None:
                return adopted
            return self._write(config, meta, self._merge(bundled, live))

    def _adopted(self, meta: Pointer | None, bundled: bool, live: Mapping[str, Source]) -> View | None:
        """The generation built from these very inputs already, here or on another machine; else None."""
        if self.meta_matches(meta, bundled, live, check_versions=True):
            # Built from these listings already (by another process, or before a refresh that
            # found the listing unchanged or failed): adopt it, with each source's freshness
            # and errors as they are now, without merging again.
            assert meta is not None
            return self.adopt(self._touched(meta, live))
        if (fleet := self._s.fleet) is None:
            return None
        shared = fleet.shared_pointer(self._s.meta_key())
        if self.meta_matches(shared, bundled, live, check_versions=True):
            # Another machine built it from the same listings: copy it instead of merging again.
            adopted = fleet.adopt_shared(self._s.meta_key(), self._s.registry_key(), meta, shared)
            if adopted is not None:
                return self.adopt(adopted)
        return None

    def _merge(self, bundled: bool, live: Mapping[str, Source]) -> _Merge:
        """LiteLLM's map (merged once per process) with every live listing stored now, merged."""
        from .._domain import reconcile as rc

        merge = _Merge()
        stated: dict[str, str] = {}
        if bundled:
            loaded = litellm_map.load_litellm_map()
            merge.stamp = loaded.stamp
            merge.aliases.update(loaded.aliases)
            stated, merge.base = self._s.bundled_base(loaded)
        groups: list[list[ModelRecord]] = []
        for name, source in sorted(live.items()):
            envelope = Envelope.read(self._s.store, self._s.envelope_key(source))
            records, named = self._s.listing(source, envelope)
            bundled_copy = getattr(source, "bundled_records", None)
            if not records and callable(bundled_copy):
                # Never fetched, offline or down: what the source's bundled snapshot provides.
                records = rc.sanitize(bundled_copy())[0]
                named = source_aliases(source, records)
            groups.append(records)
            for alias, target in named.items():
                merge.aliases.setdefault(alias, target)
            merge.metas[name] = envelope.meta(len(records))
        # LiteLLM's map was merged once (the state keeps it): only the live listings are merged now.
        live_keys = {r.model for group in groups for r in group}
        merged = rc.adopt_stated_modes(rc.reconcile_onto(merge.base, *groups), stated, only=live_keys)
        for name, source in sorted(live.items()):
            provider = hooks(source).authoritative_for
            if provider is not None and merge.metas[name].count:
                # Among LiteLLM's models only that provider's (found once); every live one.
                mine = self._s.bundled_of(provider) if bundled else []
                merged = rc.mark_unlisted(merged, provider, name, keys=[*mine, *live_keys])
        merge.records = merged
        return merge

    def _write(self, config: str, meta: Pointer | None, merge: _Merge) -> View:
        """The merge as a new generation: its rows, its pointer, its changes; the view that reads it."""
        generation = sha256_hex(f"{time.time_ns()}:{os.getpid()}:{id(self)}")[:12]
        prefix = f"catalog:{config}:{generation}"
        merged = merge.records
        index = {"aliases": merge.aliases, "lower": self._lower(merged, merge.aliases)}
        written: dict[str, list[dict[str, Any]]] = {}
        previous, made = self._s.encoded, rows.Encoded()
        items = rows.encode_generation(prefix, merged, index, written, previous=previous, made=made)
        built_at = _clock.now()
        new_meta = Pointer(
            prefix=prefix,
            litellm_stamp=merge.stamp,
            built_at=built_at,
            count=len(merged),
            bundled_count=len(merge.base),
            sources=merge.metas,
            synced_at=built_at,
        )
        # What changed since the generation this one replaces (nothing to compare when both
        # were merged from the same listings, as a repair's rebuild is).
        from .._domain.changes import Moved  # with the report models: not on a lookup's path

        same = meta is not None and meta.inputs() == new_meta.inputs()
        before, after = (None, Moved()) if same else self._moved(meta, prefix, items, written, previous, made)
        changes = self._s.generation_changes(before, after, new_meta, meta)
        # Rows, pointer and the removal of every generation but this one and the one readers
        # may still hold: one transaction, so no interleaving of builders leaves orphans.
        self._s.store.write_generation(self._s.registry_key(), prefix, items, self._s.meta_key(), new_meta)
        self._s.encoded = made
        self.collect(config)
        view = View(prefix=prefix, pointer=new_meta, checked=_clock.mono())
        view.changes = self._s.record_history(changes, new_meta)
        view.records = merged
        view.index = index
        with self._s.mutex:
            self._s.view = view
        return view

    def _lower(self, merged: Mapping[str, ModelRecord], aliases: Mapping[str, str]) -> dict[str, str]:
        """Every key and alias in lower case, to its name: model keys first, then aliases.

        It names, not targets: an alias whose target moves (a router's ``:fastest``, on every
        fetch) leaves it the same, so it is reused and not written again while the names stay.
        """
        last = self._s.encoded
        known = last.index.get("lower") if last is not None else None
        if (
            last is not None
            and known is not None
            and last.index["aliases"][0].keys() == aliases.keys()
            and last.split[0] == sorted(merged)
        ):
            lower: dict[str, str] = known[0]
            return lower
        # Built backwards, so the first in order is the last written.
        return {name.lower(): name for name in reversed((*merged, *aliases))}

    def _moved(
        self,
        previous: Pointer | None,
        prefix: str,
        items: Mapping[str, str],
        written: Mapping[str, list[dict[str, Any]]],
        encoded: rows.Encoded | None,
        made: rows.Encoded,
    ) -> tuple[Moved | None, Moved]:
        """What may differ between the previous generation and the new one: the parts they do not share.

        (None, nothing) when there is no previous generation to read: the new one is the baseline.
        A model in a part both generations share is the same in both, so only the others are
        compared. When this process encoded every old part itself (``encoded``: a part's key is
        its content's hash, so its records are the same whoever wrote it), the records are
        compared; otherwise the stored documents, the old ones read back from the store.
        """
        from .._domain.changes import Moved

        if previous is None:
            return None, Moved()
        if encoded is not None and encoded.prefix == previous.prefix:
            old_names, new_names = list(encoded.parts), list(made.parts)  # the parts, as encoded here
        else:
            old_dir = rows.read_directory(self._s.store.get_raw(f"{previous.prefix}:dir"))
            new_dir = rows.read_directory(items[f"{prefix}:dir"])
            if old_dir is None or new_dir is None:
                return None, Moved()
            old_names, new_names = old_dir.names, new_dir.names
        shared = set(old_names) & set(new_names)
        gone = [k for k in old_names if k not in shared]
        fresh = [k for k in new_names if k not in shared]
        known = encoded.parts if encoded is not None else {}
        if all(key in known for key in gone):
            return (
                Moved(records=[r for key in gone for r in known[key]]),
                Moved(records=[r for key in fresh for r in made.parts[key]]),
            )
        before: list[dict[str, Any]] = []
        for key, raw in zip(gone, self._s.store.get_many_raw(gone), strict=True):
            docs = rows.part_docs(key, raw)
            if docs is None:
                return None, Moved()
            before.extend(docs)
        after: list[dict[str, Any]] = []
        for key in fresh:
            after.extend(written.get(key) or rows.part_docs(key, items[key]) or [])
        return Moved(docs=before, read_back=True), Moved(docs=after)

    def collect(self, config: str) -> None:
        """Keep the cache within its cap (never this configuration); never raises.

        Other configurations' generations go: any unused for :data:`UNUSED_SECONDS`, then the least
        recently used while the cache is over :func:`cache_cap_bytes`.
        """
        try:
            cap, now = cache_cap_bytes(), _clock.now()
            dropped = self._s.store.collect(config, cap_bytes=cap, unused_seconds=UNUSED_SECONDS, now=now)
        except Exception as exc:  # housekeeping must never break a build
            _log.warning("cache collection skipped: %s", exc)
            return
        if dropped:
            _log.info("cache: dropped %d unused or least recently used configuration(s)", len(dropped))

    def _touched(self, meta: Pointer, live: Mapping[str, Source]) -> Pointer:
        """``meta`` with each source's fetch time, expiry and error read from its envelope now.

        Written back only when something moved, so a build that changes nothing writes nothing.
        """
        sources = dict(meta.sources)
        used = meta.last_used
        moved = used is None or _clock.now() - used > USED_STEP
        if moved:
            meta = meta._replace(used_at=_clock.now())  # marks the configuration used (at most daily)
        for name, source in live.items():
            info = sources.get(name) or SourceMeta()
            fresh = Envelope.read(self._s.store, self._s.envelope_key(source)).meta(info.count)
            if fresh != info:
                sources[name], moved = fresh, True
        if not moved:
            return meta
        touched = meta._replace(sources=sources)
        self._s.store.put(self._s.meta_key(), touched.encode())
        return touched

    def adopt(self, meta: Pointer) -> View:
        """Make the generation ``meta`` points at the one this process reads."""
        view = View(prefix=meta.prefix, pointer=meta, checked=_clock.mono())
        with self._s.mutex:
            self._s.view = view
        return view

    def meta_matches(
        self, meta: Pointer | None, bundled: bool, live: Mapping[str, Source], *, check_versions: bool
    ) -> bool:
        """Whether a persisted generation was built from the inputs this catalog would use now.

        Readers compare the LiteLLM map stamp and the set of sources (one read); a builder also
        compares each live envelope's version, to notice another process's refresh.
        """
        if meta is None or set(meta.sources) != set(live):
            return False
        if meta.litellm_stamp != (litellm_map.map_stamp() if bundled else "off"):
            return False
        if not check_versions:
            return True
        store, key = self._s.store, self._s.envelope_key
        return all(
            Envelope.read(store, key(source)).version == meta.sources[name].version for name, source in live.items()
        )

    def repair(self, view: View) -> None:
        """A row of this generation is missing or damaged: rebuild, and make ``view`` the new one.

        A live source whose envelope is gone too is fetched first (within the timeout), as on a
        first use, so the rebuilt generation does not silently lose its models.
        """
        bundled, live = self._s.sources()
        meta = self._s.pointer()
        if (
            meta is not None
            and meta.prefix != view.prefix
            and self.meta_matches(meta, bundled, live, check_versions=False)
        ):
            # Another process built a newer generation and retired ours: read that one.
            view.prefix, view.pointer, view.checked = meta.prefix, meta, _clock.mono()
            view.forget()
            if self._s.store.get_raw(f"{view.prefix}:dir") is not None:
                return
        missing = self.missing(live)
        if missing and not self._s.offline:
            run_sync(self._fetch(missing))
        self._own_build(view)

    def directory(self, view: View) -> rows.Directory | None:
        """The view's ``dir`` row, read once; None when it is gone or damaged."""
        if view.directory is None:
            view.directory = rows.read_directory(self._s.store.get_raw(f"{view.prefix}:dir"))
        return view.directory

    def _parts(self, view: View, flag: str | None = None) -> list[ModelRecord] | None:
        """Every record of the view's parts (with ``flag``, those with it); None if any is damaged."""
        directory = self.directory(view)
        if directory is None:
            return None
        out: list[ModelRecord] = []
        for key, raw in zip(directory.names, self._s.store.get_many_raw(directory.names), strict=True):
            records = rows.decode_part(key, raw, flag)
            if records is None:
                return None
            out.extend(records)
        return out

    def all(self, view: View) -> dict[str, ModelRecord]:
        """Every record of the view: never silently empty (see :meth:`_own_build`)."""
        for _attempt in range(2):
            if view.records is not None:
                return view.records
            records = self._parts(view)
            if records is not None:
                view.records = {r.model: r for r in records}
                return view.records
            # Retired by another process's build, or damaged: adopt the newer one, or rebuild.
            self.repair(view)
        if view.records is None:
            self._own_build(view)
        return view.records or {}

    def _own_build(self, view: View) -> None:
        """Merge a generation here and make ``view`` it, records and index kept in memory.

        A repair's last step, and the answer to churn that retired every generation a read reached:
        the view answers whatever other processes do to the new generation's rows next.
        """
        fresh = self.build(force=True)
        view.prefix, view.pointer, view.checked = fresh.prefix, fresh.pointer, fresh.checked
        view.forget()
        view.records, view.index, view.directory = fresh.records, fresh.index, fresh.directory

    def flagged(self, view: View, flag: str) -> list[ModelRecord]:
        """The records whose capability ``flag`` is True; a cold view builds only those."""
        if view.records is None:
            found = self._parts(view, flag)
            if found is not None:
                return found
        return [r for r in self.all(view).values() if getattr(r, flag) is True]

    def index(self, view: View, part: str = "aliases") -> dict[str, str]:
        """One part of the generation's lookup index, read when first needed.

        ``aliases``: LiteLLM's own keys; ``lower``: every key in lower case. Each is parts of its own.
        """
        for _attempt in range(2):
            loaded = view.index.get(part) if view.index is not None else None
            if loaded is not None:
                return loaded
            directory = self.directory(view)
            if directory is not None:
                keys = directory.lookups[part]
                found = rows.read_index(keys, self._s.store.get_many_raw(keys), part)
                if found is not None:
                    view.index = {**(view.index or {}), part: found}
                    return found
            self.repair(view)
        if (view.index or {}).get(part) is None:
            self._own_build(view)
        return (view.index or {}).get(part) or {}

    def lookup(self, view: View, part: str, name: str) -> str | None:
        """``name`` in one lookup index (``aliases``, ``lower``): a cold view reads the one part it can be in."""
        loaded = view.index.get(part) if view.index is not None else None
        if loaded is not None:
            return loaded.get(name)
        directory = self.directory(view)
        key = directory.lookup_part(part, name) if directory is not None else None
        if key is None:
            return self.index(view, part).get(name) if directory is None else None
        entries = view.lookups.get(key)
        if entries is None:
            entries = rows.read_index([key], [self._s.store.get_raw(key)], part)
            if entries is None:  # damaged: the whole index, which repairs the generation
                return self.index(view, part).get(name)
            view.lookups[key] = entries
        return entries.get(name)

    def point(self, view: View, model: str) -> ModelRecord | None:
        if view.records is not None:
            return view.records.get(model)
        if model in view.points:
            return view.points[model]
        if len(view.points) >= POINT_READS_BEFORE_FULL_LOAD:
            return self.all(view).get(model)
        directory = self.directory(view)
        key = directory.part_for(model) if directory is not None else None
        if directory is not None and key is None:
            view.points[model] = None
            return None
        sound, record = rows.find_in_part(key, self._s.store.get_raw(key), model) if key else (False, None)
        if not sound:
            # A part that is gone or fails the gate: the generation is not served half-trusted; it
            # is rebuilt from the listings (which pass their own parsers) and read from the new one.
            self.repair(view)
            return self.all(view).get(model)
        view.points[model] = record
        return record

    def resolve(self, view: View, name: str) -> ModelRecord | None:
        candidates = list(lookup_candidates(name))
        for candidate in candidates:
            record = self.point(view, candidate)
            if record is not None:
                return record
            target = self.lookup(view, "aliases", candidate)
            if target is not None and (record := self.point(view, target)) is not None:
                return record
        for candidate in candidates:  # then in any letter case
            named = self.lookup(view, "lower", candidate.lower())
            if named is None:
                continue
            # A key, or an alias (generations written before named the alias's target here).
            record = self.point(view, named)
            target = self.lookup(view, "aliases", named) if record is None else None
            if record is None and target is not None:
                record = self.point(view, target)
            if record is not None:
                return record
        return None
