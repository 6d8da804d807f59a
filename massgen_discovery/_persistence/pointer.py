"""A generation's pointer (``catalog:<config>:meta``) and what it keeps of each live source, as typed documents.

The pointer names the generation a configuration reads (its ``prefix``) and the inputs it was
merged from: the map's stamp and, per live source, the listing's version with its freshness and
error (:class:`SourceMeta`). It is decoded once where the store hands it over (the gate checked
each field's shape first) and written back through :meth:`Pointer.encode`.

The annotations here are evaluated, not strings: a ``NamedTuple`` of string annotations compiles a
forward reference per field, which a cold lookup would pay (it reads the pointer).
"""

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

__all__ = ["Pointer", "SourceMeta", "never_tried"]


class SourceMeta(NamedTuple):
    """What a generation's pointer keeps of one live source's envelope when it was merged (or touched)."""

    version: str | None = None
    """The listing's version (None: nothing stored)."""
    fetched_at: float | None = None
    expires_at: float | None = None
    retry_at: float | None = None
    error: str | None = None
    count: int = 0  # type: ignore[assignment]  # the stored field's name (tuple.count is not used)
    """Records the generation took from it."""

    @classmethod
    def decode(cls, doc: Mapping[str, Any]) -> "SourceMeta":
        """The note a stored pointer holds (checked by the store's gate)."""
        return cls(**{k: doc[k] for k in cls._fields if doc.get(k) is not None})

    def encode(self) -> dict[str, Any]:
        """The stored form: every field, unknown ones as null."""
        return self._asdict()


def never_tried(info: SourceMeta | None) -> bool:
    """Whether a generation's note on a live source says it was never fetched (built offline or before it)."""
    return info is None or (info.fetched_at is None and info.retry_at is None and info.error is None)


_NO_SOURCES: Mapping[str, SourceMeta] = MappingProxyType({})


class Pointer(NamedTuple):
    """The current generation of one configuration: where its rows are and what it was merged from."""

    prefix: str
    """The generation's rows live under it (``catalog:<config>:<generation>``)."""
    litellm_stamp: str | None = None
    """The map it was merged with (``off`` without it)."""
    built_at: float | None = None
    synced_at: float | None = None
    """When this machine last copied the fleet's listings (a shared store's)."""
    used_at: float | None = None
    """When a process last built or adopted it (refreshed at most daily)."""
    count: int = 0  # type: ignore[assignment]  # the stored field's name (tuple.count is not used)
    bundled_count: int = 0
    sources: Mapping[str, SourceMeta] = _NO_SOURCES

    @classmethod
    def decode(cls, doc: Mapping[str, Any] | None) -> "Pointer | None":
        """The pointer a stored document holds (checked by the store's gate), or None without one."""
        if not doc or not isinstance(doc.get("prefix"), str):
            return None
        fields: dict[str, Any] = {k: doc[k] for k in cls._fields if doc.get(k) is not None}
        sources = fields.get("sources")
        if isinstance(sources, Mapping):
            fields["sources"] = {n: SourceMeta.decode(m) for n, m in sources.items() if isinstance(m, Mapping)}
        return cls(**fields)

    def encode(self) -> dict[str, Any]:
        """The stored document (unknown fields left out)."""
        doc: dict[str, Any] = {k: v for k, v in zip(self._fields, self, strict=True) if v is not None}
        doc["sources"] = {name: meta.encode() for name, meta in self.sources.items()}
        return doc

    def inputs(self) -> str:
        """What the generation was merged from: the map's stamp and each source's listing version."""
        versions = sorted((name, meta.version) for name, meta in self.sources.items())
        return json.dumps([self.litellm_stamp, versions], default=str)

    @property
    def last_used(self) -> float | None:
        """When the configuration was last used (built, adopted or synced)."""
        return self.used_at if self.used_at is not None else self.built_at
