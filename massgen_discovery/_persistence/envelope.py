"""A source's stored listing: a small envelope and, apart from it, the payload it names.

The envelope (``envelope:<source>:<base url>:<credential fingerprint>``) holds what changes on
every fetch: freshness, errors, validators, the payload's digest. The payload sits under
``payload:<envelope key>:<digest>`` (the guard rails' baseline beside it, under ``...:baseline``)
and is written only when the upstream sends a different listing, so a refresh that finds the
same listing writes a few hundred bytes, and reading the envelope (every build does) never
decodes megabytes. The payload before the current one is kept
too: a process that read the previous envelope still finds its payload.

The annotations here are evaluated, not strings: a ``NamedTuple`` of string annotations compiles a
forward reference per field when the module is imported, which every cold lookup would pay.
"""

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeGuard

from .._domain.digest import blake2b_hex
from .disk import encode_doc, encode_with
from .pointer import SourceMeta

if TYPE_CHECKING:
    from .storage import Storage

__all__ = ["Envelope", "payload_json", "payload_key", "read_guard", "read_payload", "write_payload"]


class Envelope(NamedTuple):
    """One live source's stored state, decoded once at the store's boundary (:meth:`read`).

    Every field has its type, or is unknown (None): an envelope grows as a source is used, and a
    source never tried reads as ``Envelope()``. The store's gate checked each stored field's
    shape before it got here. The changes of state are methods that return the next envelope:
    :meth:`fresh` (a new listing accepted), :meth:`confirmed` (not modified: a 304, or the same
    bytes), :meth:`failed` (the listing kept, with the error and when to try again) and
    :meth:`held` (a suspect listing kept out).
    """

    source: str | None = None
    base_url: str | None = None
    fetched_at: float | None = None
    expires_at: float | None = None
    ttl: float | None = None
    count: int = 0  # type: ignore[assignment]  # the stored field's name (tuple.count is not used)
    """Records the payload yields."""
    version: str | None = None
    """Changes whenever a new payload is accepted: builders compare it to notice a refresh."""
    failures: int = 0
    """Consecutive failed refreshes (0 after a success)."""
    error: str | None = None
    degraded: bool = False
    """The last refresh was suspect and kept out."""
    retry_at: float | None = None
    """Automatic refreshes wait until then (negative cache)."""
    last_attempt: float | None = None
    notes: tuple[str, ...] = ()
    payload_key: str | None = None
    """Where the listing is stored (see the module docstring); its guard-rail baseline is beside it."""
    previous_payload_key: str | None = None
    """The listing before it (kept: a process that read the previous envelope still finds it)."""
    validators: Mapping[str, str] | None = None
    """What the upstream said of the listing (``url``, ``etag``, ``last_modified``), for conditional GETs."""
    digest: str | None = None
    """The stored listing's digest: the same bytes again are a listing not modified."""
    payload: Any = None
    """The listing itself, in an envelope written before listings were kept apart (a provider's JSON)."""
    baseline: Mapping[str, Any] | None = None
    """The drift baseline, in an envelope written before it was kept beside the listing."""

    @classmethod
    def decode(cls, doc: Mapping[str, Any] | None) -> "Envelope":
        """The envelope a stored document holds (checked by the store's gate); ``Envelope()`` for none."""
        if not doc:
            return cls()
        fields = {k: doc[k] for k in cls._fields if doc.get(k) is not None}
        if "notes" in fields:
            fields["notes"] = tuple(fields["notes"])
        return cls(**fields)

    @classmethod
    def read(cls, store: "Storage", key: str, *, shared: bool = False) -> "Envelope":
        """The envelope stored under ``key`` (``shared``: as the whole fleet sees it)."""
        return cls.decode(store.get(key, shared=shared))

    def encode(self) -> dict[str, Any]:
        """The stored document: every known field (unknown ones left out, bar those stored as null)."""
        doc = {k: v for k, v in zip(self._fields, self, strict=True) if v is not None or k in _STORED_NULL}
        doc["notes"] = list(self.notes)
        if self.validators is not None:
            doc["validators"] = dict(self.validators)
        return doc

    @property
    def has_payload(self) -> bool:
        """Whether the envelope names a stored listing (or holds one, as envelopes once did)."""
        return self.payload_key is not None or self.payload is not None

    def expired(self, at: float) -> bool:
        """Whether the listing is past its TTL at ``at`` (or was never fetched)."""
        return self.expires_at is None or at >= self.expires_at

    def full_listing_age(self, at: float) -> float:
        """Seconds at ``at`` since the listing was last sent in full (its ``version`` starts with that time)."""
        try:
            sent = float(str(self.version).split(":", 1)[0])
        except ValueError:
            return float("inf")
        return at - sent

    def meta(self, count: int) -> SourceMeta:
        """What a generation's pointer keeps of this envelope, its listing having yielded ``count`` records."""
        return SourceMeta(self.version, self.fetched_at, self.expires_at, self.retry_at, self.error, count)

    @classmethod
    def fresh(
        cls,
        source: str,
        base_url: str,
        *,
        ttl: float,
        at: float,
        count: int,
        notes: Sequence[str],
        validators: Mapping[str, str],
        digest: str,
    ) -> "Envelope":
        """The envelope of a listing accepted at ``at`` (:func:`write_payload` adds where it is stored)."""
        return cls(
            source=source,
            base_url=base_url,
            fetched_at=at,
            expires_at=at + ttl,
            ttl=ttl,
            count=count,
            version=f"{at}:{os.getpid()}",
            last_attempt=at,
            notes=tuple(notes),
            validators=validators,
            digest=digest,
        )

    def confirmed(self, *, ttl: float, at: float, validators: Mapping[str, str]) -> "Envelope":
        """The envelope once the upstream confirmed its listing at ``at`` (a 304, or the same bytes): fresh again."""
        return self._replace(
            fetched_at=at,
            expires_at=at + ttl,
            ttl=ttl,
            failures=0,
            error=None,
            degraded=False,
            retry_at=None,
            last_attempt=at,
            validators=validators or self.validators,
        )

    def failed(
        self, source: str, base_url: str, *, error: str, retry_at: float, at: float, degraded: bool
    ) -> "Envelope":
        """The envelope after a failed refresh: its listing kept, the error, one more failure, when to try again.

        ``degraded``: the refresh brought a listing the guard rails held out as suspect.
        """
        return self._replace(
            source=source,
            base_url=base_url,
            degraded=degraded,
            error=error,
            failures=self.failures + 1,
            retry_at=retry_at,
            last_attempt=at,
        )

    def held(self) -> "Envelope":
        """The envelope once a suspect listing was kept out (it keeps serving its own)."""
        return self._replace(degraded=True)


_STORED_NULL = frozenset({"error", "retry_at", "previous_payload_key"})
"""Fields stored as null when unknown (the others are left out)."""


PAYLOAD = "payload:"


def payload_key(envelope_key: str, digest: str) -> str:
    """Where the payload of ``envelope_key`` with ``digest`` is stored."""
    return f"{PAYLOAD}{envelope_key}:{digest[:32]}"


def _own(envelope_key: str, key: Any) -> TypeGuard[str]:
    return isinstance(key, str) and key.startswith(f"{PAYLOAD}{envelope_key}:")


def payload_json(payload: Any, body: bytes | None = None) -> tuple[str, str]:
    """A listing as stored (JSON) and its digest: the same document (keys in the same order) gives the same.

    ``body``: the bytes ``payload`` was parsed from (a listing fetched in one GET), stored as they
    came instead of written out again when they are UTF-8.
    """
    text: str | None = None
    if body is not None:
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
    if text is None:
        from pydantic_core import to_json

        # pydantic's core writes a 7 MB listing in a tenth of the time json.dumps takes.
        text = to_json(payload, inf_nan_mode="constants").decode()
    return text, blake2b_hex(text)


def read_payload(store: "Storage", envelope_key: str, envelope: Envelope) -> Any:
    """The listing the envelope names; None when there is none, or it is gone or not ours."""
    if envelope.payload is not None:
        return envelope.payload  # an envelope written before payloads were kept apart
    key = envelope.payload_key
    if key is None or not _own(envelope_key, key):
        return None
    # As the fleet sees it: a payload Redis lost is written back from this machine's copy, with
    # the envelope that names it.
    doc = store.get(key, shared=True)
    return doc.get("payload") if doc is not None else None


def read_guard(store: "Storage", envelope_key: str, envelope: Envelope) -> tuple[Any, Any]:
    """What the guard rails compare a new listing with: (the drift baseline, the listing's own values).

    Either is None when it is not stored (the values came in later than the baseline).
    """
    baseline: Any = envelope.baseline
    values = None
    if baseline is None:
        key = envelope.payload_key
        doc = store.get(f"{key}:baseline", shared=True) if _own(envelope_key, key) else None
        baseline = doc.get("baseline") if doc is not None else None
        values = doc.get("values") if doc is not None else None
        moved = doc.get("moved") if doc is not None else None
        if isinstance(moved, dict) and isinstance(baseline, dict):
            values = {**baseline, **moved}  # the listing's values: its baseline's, but where they moved
    return (baseline if isinstance(baseline, dict) else None), (values if isinstance(values, dict) else None)


def write_payload(
    store: "Storage",
    envelope_key: str,
    envelope: Envelope,
    previous: Envelope,
    listing_json: str,
    digest: str,
    baseline: Mapping[str, Any] | None,
    values: Mapping[str, Any] | None = None,
) -> Envelope:
    """Store a listing, the guard rails' view of it and the envelope naming them: one transaction.

    ``listing_json`` is the listing's JSON; ``envelope`` the new envelope, returned as written
    (with the payload's key and the one before it).

    The guard rails keep the drift baseline and the listing's own guarded values (so the next
    refresh, in whatever process, does not parse this listing again to judge the one after it).
    They change only with the listing, so nothing is written when the same listing comes again.
    The payload two listings back is removed: nobody can hold an envelope that names it.
    ``previous`` is the envelope this one replaces.
    """
    key = payload_key(envelope_key, digest)
    current, older = previous.payload_key, previous.previous_payload_key
    doomed: list[str] = []
    if older is not None and _own(envelope_key, older) and older not in (key, current):
        doomed = [older, f"{older}:baseline"]
    written = envelope._replace(
        payload_key=key,
        previous_payload_key=current if _own(envelope_key, current) and current != key else None,
    )
    texts = {
        key: encode_with("payload", listing_json),
        f"{key}:baseline": _guard_text(baseline, values),
        envelope_key: encode_doc(written.encode()),  # last: it names the rows before it
    }
    store.put_many(texts, doomed)
    return written


def _guard_text(baseline: Mapping[str, Any] | None, values: Mapping[str, Any] | None) -> str:
    """The guard rails' stored view: the baseline, and the listing's values where they are not the same."""
    from pydantic_core import to_json  # tens of thousands of models: written by pydantic's core

    if baseline is None or values is None or not baseline.keys() <= values.keys():
        return encode_with("baseline", to_json(baseline).decode(), values=to_json(values).decode())
    moved = {model: v for model, v in values.items() if baseline.get(model) != v}
    return encode_with("baseline", to_json(baseline).decode(), moved=to_json(moved).decode())
