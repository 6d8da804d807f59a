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
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .._domain import gate as _gate
from .._domain.gate import LARGE_VALUE, SMALL_VALUE, size_cap
from ..sources._urls import redact_url, url_secrets
from .disk import SCHEMA_VERSION, _Open, encode_doc, new_lock_value, owner_gone
from .store import Store

if TYPE_CHECKING:
    import redis

__all__ = ["REDIS_BULK_WAIT", "REDIS_PAUSE", "REDIS_WAIT", "SharedStore", "redact_url"]

REDIS_WAIT = 0.5
"""Seconds a small Redis command (or connecting) may take before Redis counts as down."""
REDIS_BULK_WAIT = 5.0
"""Seconds a command that moves a listing or a generation (megabytes) may take; they run on
refresh, build and sync, or on a machine's first lookup right after a small command answered."""
REDIS_PAUSE = 30.0
"""Seconds Redis is left alone after it failed to answer; the local store serves meanwhile."""
UNUSED_EXPIRY = 7 * 86400
"""Every key the fleet keeps expires after this long without a write: a configuration (pointer,
registry, generation), an envelope or a summary nobody refreshes goes, as locally (collect)."""
GENERATION_EXPIRY = UNUSED_EXPIRY
"""A generation hash nobody points at any more is dropped by Redis after this long at the latest."""

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
_NAMESPACE = f"massgen_discovery:{SCHEMA_VERSION}:"
_UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
# Reads that never move a value over its cap: the size is asked on the server first, and a value
# over the cap comes back as its size (an integer) instead of its bytes.
_CAPPED_GET = (
    "local n = redis.call('strlen', KEYS[1]) if n > tonumber(ARGV[1]) then return n end "
    "return redis.call('get', KEYS[1])"
)
_CAPPED_HGETALL = (
    "local total, fields = 0, redis.call('hkeys', KEYS[1]) "
    "for _, f in ipairs(fields) do local n = redis.call('hstrlen', KEYS[1], f) "
    "if n > tonumber(ARGV[2]) then return n end total = total + n end "
    "if total > tonumber(ARGV[1]) then return total end return redis.call('hgetall', KEYS[1])"
)
_CAPPED_LRANGE = (
    "local out = {} for _, v in ipairs(redis.call('lrange', KEYS[1], 0, -1)) do "
    "if string.len(v) <= tonumber(ARGV[1]) then out[#out + 1] = v end end return out"
)
GENERATION_CAP = 3 * LARGE_VALUE
"""Bytes a whole generation hash on Redis may hold (its ``all`` row, its index and a row per model)."""
_SWAP = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) end return false"
)


class _Redis:
    """A bounded, never-raising Redis client: each call answers or returns its default."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.shown = redact_url(url)
        self._clients: dict[bool, redis.Redis] = {}
        self._down_until = 0.0
        self._down_reason: str | None = None
        self._warned: set[str] = set()
        self._mutex = _thread.allocate_lock()

    @property
    def last_error(self) -> str | None:
        """Why Redis was last found down (None while it answers)."""
        return self._down_reason

    def _connect(self, bulk: bool) -> redis.Redis:
        client = self._clients.get(bulk)
        if client is None:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            with self._mutex:
                client = self._clients.get(bulk)
                if client is None:
                    client = self._clients[bulk] = redis.Redis.from_url(
                        self.url,
                        socket_timeout=REDIS_BULK_WAIT if bulk else REDIS_WAIT,
                        socket_connect_timeout=REDIS_WAIT,
                        retry=Retry(NoBackoff(), 0),
                        health_check_interval=0,
                        client_name="massgen_discovery",
                    )
        return client

    def call(self, op: Callable[[redis.Redis], _T], default: _T, *, bulk: bool = False) -> _T:
        """``op(client)``, or ``default`` when Redis is down, slow, refuses or is paused after that.

        ``bulk`` allows :data:`REDIS_BULK_WAIT` for commands that move megabytes.
        """
        if time.monotonic() < self._down_until:
            return default
        try:
            client = self._connect(bulk)
        except ImportError:
            self._down("the redis client is not installed (pip install 'massgen_discovery[redis]')", pause=float("inf"))
            return default
        except ValueError as exc:  # a URL redis-py cannot parse
            self._down(f"unusable URL ({type(exc).__name__})", pause=float("inf"))
            return default
        import redis

        try:
            result = op(client)
        except (redis.ConnectionError, redis.TimeoutError) as exc:  # down, slow, wrong password
            self._down(_one_line(exc, self.url), pause=REDIS_PAUSE)
            return default
        except redis.RedisError as exc:  # answered with an error: out of memory, read-only replica ...
            self.warn_once(f"{self.shown}: {_one_line(exc, self.url)}; the local cache keeps the data")
            return default
        if self._down_reason is not None:
            _log.warning("%s answers again: the catalog is shared again", self.shown)
            self._down_reason = None
            self._warned.clear()
        return result

    def _down(self, reason: str, *, pause: float) -> None:
        self._down_until = time.monotonic() + pause
        self._down_reason = reason
        self.warn_once(f"{self.shown} is unusable ({reason}); answering from the local cache alone")

    def warn_once(self, message: str) -> None:
        """Log ``message`` once per outage."""
        if message not in self._warned:
            self._warned.add(message)
            _log.warning("%s", message)

    def close(self) -> None:
        with self._mutex:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                client.close()
            except Exception as exc:  # closing a dead connection must not raise at exit
                _log.debug("closing redis: %s", exc)


def _one_line(exc: BaseException, url: str) -> str:
    text = (str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__
    for secret in url_secrets(url):
        text = text.replace(secret, "***")
    return text[:200]


def _loads(raw: Any) -> Any:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str):
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _doc(key: str, raw: Any) -> dict[str, Any] | None:
    """A stored document of this schema version that passes the gate, else None (as locally)."""
    doc = _loads(raw)
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        return None
    return _gate.check_doc(key, doc)


def _newer(shared: dict[str, Any], local: dict[str, Any] | None) -> bool:
    """Whether the fleet's document replaces this machine's copy (its last write is later)."""
    if local is None:
        return True
    stamp = ("last_attempt", "fetched_at", "built_at", "at")
    mine = max((float(local[k]) for k in stamp if isinstance(local.get(k), (int, float))), default=0.0)
    theirs = max((float(shared[k]) for k in stamp if isinstance(shared.get(k), (int, float))), default=0.0)
    return theirs > mine or (theirs == mine and shared != local)


class SharedStore:
    """The local store with Redis behind it: write-through, read-through, shared locks and history.

    It composes a :class:`~massgen_discovery._persistence.store.Store` (:attr:`local`), which lookups
    read, and answers for both (a :class:`~massgen_discovery._persistence.storage.Storage`).
    """

    def __init__(self, directory: str | os.PathLike[str] | None, redis_url: str) -> None:
        self.local = Store(directory)
        """This machine's copy."""
        self.redis = _Redis(redis_url)
        """The Redis side (bounded, never raising)."""
        self._shared_locks: dict[str, tuple[str, str]] = {}  # token -> (lock name, value)
        self._mutex = _thread.RLock()
        _Open.add(self)  # shared locks are released at exit too

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

    def put_raw(self, key: str, text: str) -> bool:
        """Write a text on this machine only."""
        return self.local.put_raw(key, text)

    def put_many_raw(self, items: dict[str, str]) -> bool:
        """Write texts on this machine only, in one transaction."""
        return self.local.put_many_raw(items)

    def delete_prefix(self, prefix: str) -> int:
        """Remove local rows under ``prefix``."""
        return self.local.delete_prefix(prefix)

    def locked(self, name: str, seconds: float, wait: float) -> AbstractContextManager[bool]:
        """A local lock held for a block (see :meth:`Store.locked`)."""
        return self.local.locked(name, seconds, wait)

    def configurations(self) -> list[dict[str, Any]]:
        """The local copy's configurations."""
        return self.local.configurations()

    def live_bytes(self) -> int:
        """Bytes the local copy takes."""
        return self.local.live_bytes()

    def drop_configuration(self, config: str) -> int:
        """Remove a configuration from the local copy (Redis lets its keys expire)."""
        return self.local.drop_configuration(config)

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
    def shared_url(self) -> str | None:
        """The Redis URL, password redacted."""
        return self.redis.shown

    def check_shared(self) -> str | None:
        """PING Redis (bounded); why it is unusable, or None when it answers."""
        self.redis.call(lambda r: r.ping(), None)
        return self.redis.last_error

    def _key(self, key: str) -> str:
        return _NAMESPACE + key

    def _get(self, key: str, default: Any, *, bulk: bool = True) -> Any:
        """The value of ``key`` on Redis, None when it is over its cap (one warning), or ``default``."""
        cap = size_cap(key)
        raw = self.redis.call(lambda r: r.eval(_CAPPED_GET, 1, self._key(key), cap), default, bulk=bulk)
        if isinstance(raw, int):
            self._too_big(key, raw, cap)
            return None
        return raw

    def _too_big(self, key: str, size: int, cap: int) -> None:
        where = self.redis.shown
        self.redis.warn_once(f"{where}: {key[:80]!r} holds {size:,} bytes, over its {cap:,}-byte cap; ignored")

    # -- documents -----------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """The local copy; a local miss is read from Redis and copied locally."""
        doc = self.local.get(key)
        if doc is not None:
            return doc
        shared = _doc(key, self._get(key, None))
        if shared is not None:
            self.local.put(key, shared)
        return shared

    def get_shared(self, key: str) -> dict[str, Any] | None:
        """The fleet's document (copied locally when newer); the local one when Redis is down or lost it.

        A document Redis lost (restarted empty, evicted) is written back from the local copy.
        """
        local = self.local.get(key)
        raw = self._get(key, _Missing)
        if raw is _Missing:  # Redis is down: this machine's copy is all there is
            return local
        shared = _doc(key, raw)
        if shared is None:
            if local is not None:
                text = encode_doc(local)
                self.redis.call(lambda r: r.set(self._key(key), text, ex=UNUSED_EXPIRY), None, bulk=True)
            return local
        if _newer(shared, local):
            self.local.put(key, shared)
            return shared
        return local

    def put_encoded(self, key: str, text: str) -> bool:
        """Write locally and to Redis; True if the local write persisted."""
        ok = self.local.put_encoded(key, text)
        self.redis.call(lambda r: r.set(self._key(key), text, ex=UNUSED_EXPIRY), None, bulk=True)
        return ok

    def delete(self, key: str) -> None:
        """Remove a row here and on Redis."""
        self.local.delete(key)
        self.redis.call(lambda r: r.unlink(self._key(key)), None, bulk=True)

    # -- generations ---------------------------------------------------------------------------

    def write_generation(
        self, registry: str, prefix: str, rows: dict[str, str], pointer_key: str, pointer: dict[str, Any], keep: int = 2
    ) -> bool:
        """Write the generation locally, then publish it on Redis (rows hash, pointer, registry)."""
        ok = self.local.write_generation(registry, prefix, rows, pointer_key, pointer, keep)
        pointer_text = encode_doc(pointer)
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
                r.unlink(*(self._key(f"gen:{_text(p)}") for p in old))

        self.redis.call(publish, None, bulk=True)
        return ok

    def get_pointer(self, pointer_key: str, registry: str) -> dict[str, Any] | None:
        """The local generation pointer; on a local miss, the fleet's generation, copied locally."""
        pointer = self.local.get(pointer_key)
        if pointer is not None:
            return pointer
        return self.adopt_shared(pointer_key, registry, local=None)

    def shared_pointer(self, pointer_key: str) -> dict[str, Any] | None:
        """The generation pointer on Redis (None when Redis is down or has none)."""
        return _doc(pointer_key, self._get(pointer_key, None, bulk=False))

    def adopt_shared(
        self, pointer_key: str, registry: str, local: dict[str, Any] | None, shared: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Copy the fleet's current generation here unless it is the local one; its pointer, or None."""
        shared = shared if shared is not None else self.shared_pointer(pointer_key)
        if shared is None or not isinstance(shared.get("prefix"), str):
            return None
        prefix = shared["prefix"]
        if local is not None and local.get("prefix") == prefix:
            return local
        key = self._key(f"gen:{prefix}")
        raw: Any = self.redis.call(
            lambda r: r.eval(_CAPPED_HGETALL, 1, key, GENERATION_CAP, LARGE_VALUE), None, bulk=True
        )
        if isinstance(raw, int):
            self._too_big(f"gen:{prefix}", raw, GENERATION_CAP)
            return None
        # redis-py answers a Lua table as a flat list: field, value, field, value ...
        flat = [_text(x) for x in raw] if isinstance(raw, list) else []
        rows = dict(zip(flat[::2], flat[1::2], strict=False))
        if not rows:
            return None  # retired meanwhile, or Redis lost it: the caller builds its own
        checked = _checked_generation(prefix, rows)
        if checked is None:
            return None  # refused whole: the caller builds its own from the listings
        rows = checked
        pointer = {k: v for k, v in shared.items() if k != "schema_version"}
        self.local.write_generation(registry, prefix, rows, pointer_key, pointer)
        return pointer

    def clear_shared(self) -> int | None:
        """Delete everything this package keeps on Redis; how many keys went (None: Redis is down)."""

        def work(r: redis.Redis) -> int:
            count = 0
            batch: list[Any] = []
            for key in r.scan_iter(match=_NAMESPACE + "*", count=1000):
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

    def append_history(self, key: str, entry: dict[str, Any], keep: int) -> None:
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
        raw = self.redis.call(lambda r: r.eval(_CAPPED_LRANGE, 1, listing, SMALL_VALUE), None, bulk=True)
        if raw:
            entries = [e for e in (_loads(x) for x in raw) if isinstance(e, dict)]
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
        taken = self.redis.call(lambda r: r.set(key, value, nx=True, px=ms), _Missing)
        if taken is _Missing:  # Redis down: single flight on this machine at least
            return self.local.try_lock(name, seconds)
        if not taken:
            raw = self.redis.call(lambda r: r.get(key), None)
            holder = _loads(raw)
            if isinstance(holder, dict) and owner_gone(holder):
                taken = self.redis.call(lambda r: r.eval(_SWAP, 1, key, _text(raw), value, ms), None)
                if taken:
                    _log.info("took over %s from pid %s, which is gone", name, holder.get("pid"))
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
        self.redis.call(lambda r: r.eval(_UNLOCK, 1, key, value), None)

    def lock_holder(self, name: str, *, shared: bool = False) -> dict[str, Any] | None:
        """Who holds lock ``name``, on Redis for a shared one (local when Redis is down)."""
        if shared:
            raw = self.redis.call(lambda r: r.get(self._key(f"lock:{name}")), _Missing)
            if raw is not _Missing:
                holder = _loads(raw)
                return holder if isinstance(holder, dict) else None
        return self.local.lock_holder(name)

    def release_all(self) -> None:
        """Release every lock this store holds, shared ones included."""
        with self._mutex:
            held = list(self._shared_locks.items())
        for token, (name, _value) in held:
            self.unlock(name, token)
        self.local.release_all()

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
    index = {name: read_index(key, rows[key], name) for name, key in directory.lookups.items()}
    if any(v is None for v in index.values()):
        return _refused(prefix, "an unreadable lookup index")
    return encode_generation(prefix, merged, index)


def _refused(prefix: str, why: str) -> dict[str, str] | None:
    """Say why a shared generation is refused; None."""
    _gate.note(f"shared generation {prefix} refused: {why}")
    _log.warning("shared generation %s refused (%s); building from the listings instead", prefix, why)
    return None


class _MissingType:
    pass


_Missing: Any = _MissingType()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
