"""The fleet's Redis side: a bounded client that never raises, and the Lua reads that cap sizes.

Every call is bounded (``REDIS_WAIT``, ``REDIS_BULK_WAIT`` for the few that move MBs); a failure
logs one warning per outage and Redis is left alone for ``REDIS_PAUSE`` seconds. Values over their
cap are never moved: the size is asked on the server first.
"""

from __future__ import annotations

import _thread
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .._domain import gate as _gate
from .._domain.gate import LARGE_VALUE
from ..sources._urls import redact_url, url_secrets
from .disk import SCHEMA_VERSION

if TYPE_CHECKING:
    import redis

__all__ = [
    "CAPPED_GET",
    "CAPPED_HGETALL",
    "CAPPED_LRANGE",
    "GENERATION_CAP",
    "MISSING",
    "NAMESPACE",
    "REDIS_BULK_WAIT",
    "REDIS_PAUSE",
    "REDIS_WAIT",
    "SWAP",
    "UNLOCK",
    "UNUSED_EXPIRY",
    "MissingType",
    "Redis",
    "as_text",
    "checked_doc",
    "loads",
    "newer",
]

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
NAMESPACE = f"massgen_discovery:{SCHEMA_VERSION}:"
UNLOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
# Reads that never move a value over its cap: the size is asked on the server first, and a value
# over the cap comes back as its size (an integer) instead of its bytes.
CAPPED_GET = (
    "local n = redis.call('strlen', KEYS[1]) if n > tonumber(ARGV[1]) then return n end "
    "return redis.call('get', KEYS[1])"
)
CAPPED_HGETALL = (
    "local total, fields = 0, redis.call('hkeys', KEYS[1]) "
    "for _, f in ipairs(fields) do local n = redis.call('hstrlen', KEYS[1], f) "
    "if n > tonumber(ARGV[2]) then return n end total = total + n end "
    "if total > tonumber(ARGV[1]) then return total end return redis.call('hgetall', KEYS[1])"
)
CAPPED_LRANGE = (
    "local out = {} for _, v in ipairs(redis.call('lrange', KEYS[1], 0, -1)) do "
    "if string.len(v) <= tonumber(ARGV[1]) then out[#out + 1] = v end end return out"
)
GENERATION_CAP = 3 * LARGE_VALUE
"""Bytes a whole generation hash on Redis may hold (its ``all`` row, its index and a row per model)."""
SWAP = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) end return false"
)


class Redis:
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


def loads(raw: Any) -> Any:
    """A stored value's JSON (bytes or text), or None when it is not JSON."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str):
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def checked_doc(key: str, raw: Any) -> dict[str, Any] | None:
    """A stored document of this schema version that passes the gate, else None (as locally)."""
    doc = loads(raw)
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        return None
    return _gate.check_doc(key, doc)


def newer(shared: dict[str, Any], local: dict[str, Any] | None) -> bool:
    """Whether the fleet's document replaces this machine's copy (its last write is later)."""
    if local is None:
        return True
    stamp = ("last_attempt", "fetched_at", "built_at", "at")
    mine = max((float(local[k]) for k in stamp if isinstance(local.get(k), (int, float))), default=0.0)
    theirs = max((float(shared[k]) for k in stamp if isinstance(shared.get(k), (int, float))), default=0.0)
    return theirs > mine or (theirs == mine and shared != local)


class MissingType:
    pass


MISSING: Any = MissingType()


def as_text(value: Any) -> str:
    """A Redis reply as text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
