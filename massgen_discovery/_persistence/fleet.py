"""The fleet store: one catalog shared by many machines on Redis, the local diskcache in front of it.

:class:`SharedStore` composes a :class:`~massgen_discovery._persistence.store.Store` (the local copy,
which lookups read) and also writes through to Redis and reads through from it:

- **Documents** (live-source envelopes with their guard-rail state, snapshot summaries) are written
  to both. A local miss is read from Redis and copied locally. :meth:`SharedStore.get_shared`
  reads Redis first: refresh decisions (is it fresh, who fetched it, what was the last good
  listing) are made on the fleet's state, not this machine's.
- **Generations** of the merged catalog are one Redis hash each, with the pointer and a registry
  beside them; a machine whose local copy lacks the generation copies the whole hash in one call.
- **Locks** named ``shared`` (the single-flight fetch lock) are Redis keys with an owner and an
  expiry (``SET NX PX``); a holder on this host whose process is gone is taken over at once.
- **History** (accepted and held changes) is a capped Redis list, copied locally.

Redis is never on a warm lookup's path: the redis client is imported only when the local copy
misses, on refresh and in the background sync. Every Redis call is bounded (``REDIS_WAIT``); a
failure logs one warning per outage, Redis is then left alone for ``REDIS_PAUSE`` seconds, and the
local store answers alone (locks fall back to local ones). Keys and values carry credential
fingerprints only; the URL's password is never printed (:func:`redact_url`).
"""

from __future__ import annotations

import _thread
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._domain.gate import LARGE_VALUE, SMALL_VALUE, size_cap
from .._runtime import gate_note
from ..sources._urls import redact_url
from .disk import OpenStores, encode_doc, new_lock_value, owner_gone
from .locks import LockHolder
from .pointer import Pointer
from .store import Store

if TYPE_CHECKING:
    import redis

    from .._domain.change_rows import HistoryEntry
    from .locks import Lock
from .redis_client import (
    CAPPED_GET,
    CAPPED_HGETALL,
    CAPPED_LRANGE,
    GENERATION_CAP,
    GENERATION_EXPIRY,
    MISSING,
    NAMESPACE,
    REDIS_BULK_WAIT,
    REDIS_PAUSE,
    REDIS_WAIT,
    SWAP,
    UNLOCK,
    UNUSED_EXPIRY,
    Redis,
    as_text,
    checked_doc,
    loads,
    newer,
)

__all__ = ["REDIS_BULK_WAIT", "REDIS_PAUSE", "REDIS_WAIT", "SharedStore", "redact_url"]

_log = logging.getLogger(__name__)


class SharedStore:
    """The local store with Redis behind it: write-through, read-through, shared locks and history.

    It composes a :class:`~massgen_discovery._persistence.store.Store` (:attr:`local`), which lookups
    read, and answers for both (a :class:`~massgen_discovery._persistence.storage.Storage`).
    """

    def __init__(self, directory: str | os.PathLike[str] | None, redis_url: str) -> None:
        self.local = Store(directory)
        """This machine's copy."""
        self.redis = Redis(redis_url)
        """The Redis side (bounded, never raising)."""
        self._shared_locks: dict[str, tuple[str, str]] = {}  # token -> (lock name, value)
        self._mutex = _thread.RLock()
        OpenStores.add(self)  # shared locks are released at exit too

    # -- the local copy ------------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        """Where the local copy lives."""
        return self.local.directory

    @property
    def persistent(self) -> bool:
        """False once the local copy's writes have fallen back to memory."""
        return self.local.persistent

    def release_writer(self) -> None:
        """See :meth:`Store.release_writer`."""
        self.local.release_writer()

    def get_raw(self, key: str) -> str | None:
        """The local copy's text (generation rows are copied here whole before they are read)."""
        return self.local.get_raw(key)

    def get_many_raw(self, keys: list[str]) -> list[str | None]:
        """See :meth:`get_raw`."""
        return self.local.get_many_raw(keys)

    def put(self, key: str, doc: dict[str, Any]) -> bool:
        """Write locally and to Redis; True if the local write persisted."""
        return self.put_encoded(key, encode_doc(doc))

    def put_local(self, key: str, doc: dict[str, Any]) -> bool:
        """Write a document on this machine only."""
        return self.local.put(key, doc)

    def lock(self, name: str, *, shared: bool = False) -> Lock:
        """Lock ``name``: on Redis when ``shared`` (local while Redis is down), else this machine's."""
        from .locks import Lock

        return Lock(self, name, shared=shared) if shared else self.local.lock(name)

    def collect(self, keep: str, *, cap_bytes: int, unused_seconds: float, now: float) -> list[str]:
        """Keep the local copy within its cap (see :meth:`Store.collect`)."""
        return self.local.collect(keep, cap_bytes=cap_bytes, unused_seconds=unused_seconds, now=now)

    def info(self) -> dict[str, Any]:
        """What the local copy holds."""
        return self.local.info()

    def clear(self) -> int:
        """Delete the local copy (``clear_shared`` empties Redis)."""
        return self.local.clear()

    # -- Redis ---------------------------------------------------------------------------------

    @property
    def shared_url(self) -> str:
        """The Redis URL, password redacted."""
        return self.redis.shown

    def check_shared(self) -> str | None:
        """PING Redis (bounded); why it is unusable, or None when it answers."""
        self.redis.call(lambda r: r.ping(), None)
        return self.redis.last_error

    def _key(self, key: str) -> str:
        return NAMESPACE + key

    def _get(self, key: str, default: Any, *, bulk: bool = True) -> Any:
        """The value of ``key`` on Redis, None when it is over its cap (one warning), or ``default``."""
        cap = size_cap(key)
        raw = self.redis.call(lambda r: r.eval(CAPPED_GET, 1, self._key(key), cap), default, bulk=bulk)
        if isinstance(raw, int):
            self._too_big(key, raw, cap)
            return None
        return raw

    def _too_big(self, key: str, size: int, cap: int) -> None:
        where = self.redis.shown
        self.redis.warn_once(f"{where}: {key[:80]!r} holds {size:,} bytes, over its {cap:,}-byte cap; ignored")

    # -- documents -----------------------------------------------------------------------------

    def get(self, key: str, *, shared: bool = False) -> dict[str, Any] | None:
        """The local copy; a local miss is read from Redis and copied locally.

        ``shared`` reads the fleet's document first (:meth:`get_shared`).
        """
        if shared:
            return self.get_shared(key)
        doc = self.local.get(key)
        if doc is not None:
            return doc
        fleets = checked_doc(key, self._get(key, None))
        if fleets is not None:
            self.local.put(key, fleets)
        return fleets

    def get_shared(self, key: str) -> dict[str, Any] | None:
        """The fleet's document (copied locally when newer); the local one when Redis is down or lost it.

        A document Redis lost (restarted empty, evicted) is written back from the local copy.
        """
        local = self.local.get(key)
        raw = self._get(key, MISSING)
        if raw is MISSING:  # Redis is down: this machine's copy is all there is
            return local
        shared = checked_doc(key, raw)
        if shared is None:
            if local is not None:
                text = encode_doc(local)
                self.redis.call(lambda r: r.set(self._key(key), text, ex=UNUSED_EXPIRY), None, bulk=True)
            return local
        if newer(shared, local):
            self.local.put(key, shared)
            return shared
        return local

    def put_encoded(self, key: str, text: str) -> bool:
        """Write locally and to Redis; True if the local write persisted."""
        ok = self.local.put_encoded(key, text)
        self.redis.call(lambda r: r.set(self._key(key), text, ex=UNUSED_EXPIRY), None, bulk=True)
        return ok

    def put_many(self, texts: Mapping[str, str], deleted: Sequence[str] = ()) -> bool:
        """Write locally in one transaction, then on Redis in one (MULTI/EXEC), in the same order."""
        ok = self.local.put_many(texts, deleted)

        def push(r: redis.Redis) -> None:
            pipe = r.pipeline(transaction=True)
            for key, text in texts.items():
                pipe.set(self._key(key), text, ex=UNUSED_EXPIRY)
            if deleted:
                pipe.unlink(*(self._key(key) for key in deleted))
            pipe.execute()

        self.redis.call(push, None, bulk=True)
        return ok

    def delete(self, key: str) -> None:
        """Remove a row here and on Redis."""
        self.local.delete(key)
        self.redis.call(lambda r: r.unlink(self._key(key)), None, bulk=True)

    # -- generations ---------------------------------------------------------------------------

    def write_generation(
        self, registry: str, prefix: str, rows: dict[str, str], pointer_key: str, pointer: Pointer, keep: int = 2
    ) -> bool:
        """Write the generation locally, then publish it on Redis (rows hash, pointer, registry)."""
        ok = self.local.write_generation(registry, prefix, rows, pointer_key, pointer, keep)
        pointer_text = encode_doc(pointer.encode())
        listing = self._key(registry + ":list")

        def publish(r: redis.Redis) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.delete(self._key(f"gen:{prefix}"))
            pipe.hset(self._key(f"gen:{prefix}"), mapping=rows)  # type: ignore[arg-type]
            pipe.expire(self._key(f"gen:{prefix}"), GENERATION_EXPIRY)
            pipe.set(self._key(pointer_key), pointer_text, ex=UNUSED_EXPIRY)
            pipe.lrem(listing, 0, prefix)
            pipe.rpush(listing, prefix)
            pipe.expire(listing, UNUSED_EXPIRY)
            pipe.lrange(listing, 0, -keep - 1)
            pipe.ltrim(listing, -keep, -1)
            old = pipe.execute()[-2]
            if old:
                r.unlink(*(self._key(f"gen:{as_text(p)}") for p in old))

        self.redis.call(publish, None, bulk=True)
        return ok

    def get_pointer(self, pointer_key: str, registry: str) -> Pointer | None:
        """The local generation pointer; on a local miss, the fleet's generation, copied locally."""
        pointer = Pointer.decode(self.local.get(pointer_key))
        if pointer is not None:
            return pointer
        return self.adopt_shared(pointer_key, registry, local=None)

    def shared_pointer(self, pointer_key: str) -> Pointer | None:
        """The generation pointer on Redis (None when Redis is down or has none)."""
        return Pointer.decode(checked_doc(pointer_key, self._get(pointer_key, None, bulk=False)))

    def adopt_shared(
        self, pointer_key: str, registry: str, local: Pointer | None, shared: Pointer | None = None
    ) -> Pointer | None:
        """Copy the fleet's current generation here unless it is the local one; its pointer, or None."""
        shared = shared if shared is not None else self.shared_pointer(pointer_key)
        if shared is None:
            return None
        prefix = shared.prefix
        if local is not None and local.prefix == prefix:
            return local
        key = self._key(f"gen:{prefix}")
        raw: Any = self.redis.call(
            lambda r: r.eval(CAPPED_HGETALL, 1, key, GENERATION_CAP, LARGE_VALUE), None, bulk=True
        )
        if isinstance(raw, int):
            self._too_big(f"gen:{prefix}", raw, GENERATION_CAP)
            return None
        # redis-py answers a Lua table as a flat list: field, value, field, value ...
        flat = [as_text(x) for x in raw] if isinstance(raw, list) else []
        rows = dict(zip(flat[::2], flat[1::2], strict=False))
        if not rows:
            return None  # retired meanwhile, or Redis lost it: the caller builds its own
        checked = _checked_generation(prefix, rows)
        if checked is None:
            return None  # refused whole: the caller builds its own from the listings
        self.local.write_generation(registry, prefix, checked, pointer_key, shared)
        return shared

    def clear_shared(self) -> int | None:
        """Delete everything this package keeps on Redis; how many keys went (None: Redis is down)."""

        def work(r: redis.Redis) -> int:
            count = 0
            batch: list[Any] = []
            for key in r.scan_iter(match=NAMESPACE + "*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    count += int(r.unlink(*batch))
                    batch = []
            if batch:
                count += int(r.unlink(*batch))
            return count

        result: int | None = self.redis.call(work, None, bulk=True)
        return result

    # -- history -------------------------------------------------------------------------------

    def append_history(self, key: str, entry: HistoryEntry, keep: int) -> None:
        """Add an entry to a capped list, on Redis and in the local copy (newest last)."""
        text = json.dumps(entry, default=str)

        def push(r: redis.Redis) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.rpush(self._key(key + ":list"), text)
            pipe.ltrim(self._key(key + ":list"), -keep, -1)
            pipe.expire(self._key(key + ":list"), UNUSED_EXPIRY)
            pipe.execute()

        self.redis.call(push, None, bulk=True)
        self.local.append_history(key, entry, keep)

    def history(self, key: str) -> list[dict[str, Any]]:
        """The fleet's entries, oldest first; this machine's copy when Redis is down or has none."""
        listing = self._key(key + ":list")
        raw = self.redis.call(lambda r: r.eval(CAPPED_LRANGE, 1, listing, SMALL_VALUE), None, bulk=True)
        if raw:
            entries = [e for e in (loads(x) for x in raw) if isinstance(e, dict)]
            if entries:
                return entries
        local = self.local.history(key)
        if raw is not None and local:  # Redis answered but lost the list: give it back
            texts = [json.dumps(e, default=str) for e in local]
            self.redis.call(lambda r: r.rpush(self._key(key + ":list"), *texts), None, bulk=True)
        return local

    # -- locks ---------------------------------------------------------------------------------

    def try_lock(self, name: str, seconds: float, *, shared: bool = False) -> str | None:
        """A shared lock is a Redis key (owner, expiry); without Redis, or unshared, a local one."""
        if not shared:
            return self.local.try_lock(name, seconds)
        key = self._key(f"lock:{name}")
        token, value = new_lock_value()
        ms = max(1, int(seconds * 1000))
        taken = self.redis.call(lambda r: r.set(key, value, nx=True, px=ms), MISSING)
        if taken is MISSING:  # Redis down: single flight on this machine at least
            return self.local.try_lock(name, seconds)
        if not taken:
            raw = self.redis.call(lambda r: r.get(key), None)
            holder = LockHolder.decode(as_text(raw)) if raw is not None else None
            if holder is not None and owner_gone(holder):
                taken = self.redis.call(lambda r: r.eval(SWAP, 1, key, as_text(raw), value, ms), None)
                if taken:
                    _log.info("took over %s from pid %s, which is gone", name, holder.pid)
        if not taken:
            return None
        with self._mutex:
            self._shared_locks[token] = (name, value)
        return token

    def unlock(self, name: str, token: str) -> None:
        """Release a lock if this token still holds it (a shared one only if its value is unchanged)."""
        with self._mutex:
            held = self._shared_locks.pop(token, None)
        if held is None:
            self.local.unlock(name, token)
            return
        key, value = self._key(f"lock:{held[0]}"), held[1]
        self.redis.call(lambda r: r.eval(UNLOCK, 1, key, value), None)

    def lock_holder(self, name: str, *, shared: bool = False) -> LockHolder | None:
        """Who holds lock ``name``, on Redis for a shared one (local when Redis is down)."""
        if shared:
            raw = self.redis.call(lambda r: r.get(self._key(f"lock:{name}")), MISSING)
            if raw is not MISSING:
                return LockHolder.decode(as_text(raw)) if raw is not None else None
        return self.local.lock_holder(name)

    def release_all(self) -> None:
        """Release every lock this store holds, shared ones included."""
        with self._mutex:
            held = list(self._shared_locks.items())
        for token, (name, _value) in held:
            self.unlock(name, token)
        self.local.release_all()

    def close_thread(self) -> None:
        """Close the local handles the calling thread opened."""
        self.local.close_thread()

    def close(self) -> None:
        """Close the local handles and the Redis connection (both reopen on next use)."""
        self.local.close()
        self.redis.close()


def _checked_generation(prefix: str, rows: dict[str, str]) -> dict[str, str] | None:
    """A generation's rows as the local copy may keep them, or None when any row fails the gate.

    Every part must hash to its name and pass the gate; the rows are then written anew from the
    records read, so numbers the gate turns unknown are kept that way and the local copy never
    holds them.
    """
    from .rows import PART, decode_part, encode_generation, read_directory, read_index

    directory = read_directory(rows.get(f"{prefix}:dir"))
    if directory is None:
        return _refused(prefix, "no readable dir row")
    named = set(directory.every_part())
    if set(rows) != named | {f"{prefix}:dir"}:
        return _refused(prefix, "rows outside the generation, or a part it names is missing")
    if not all(k.startswith(PART) for k in named):
        return _refused(prefix, "a part outside the layout")
    merged: dict[str, Any] = {}
    for key in directory.names:
        records = decode_part(key, rows[key])
        if records is None:
            return _refused(prefix, f"part {key[len(PART) :][:12]} fails the checks")
        merged.update((r.model, r) for r in records)
    if len(merged) != sum(directory.counts):
        return _refused(prefix, "its parts and its dir disagree")
    index = {name: read_index(keys, [rows[k] for k in keys], name) for name, keys in directory.lookups.items()}
    if any(v is None for v in index.values()):
        return _refused(prefix, "an unreadable lookup index")
    return encode_generation(prefix, merged, index)


def _refused(prefix: str, why: str) -> dict[str, str] | None:
    """Say why a shared generation is refused; None."""
    gate_note(f"shared generation {prefix} refused: {why}")
    _log.warning("shared generation %s refused (%s); building from the listings instead", prefix, why)
    return None
