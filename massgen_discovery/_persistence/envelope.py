"""A source's stored listing: a small envelope and, apart from it, the payload it names.

The envelope (``envelope:<source>:<base url>:<credential fingerprint>``) holds what changes on
every fetch: freshness, errors, validators, the payload's digest. The payload sits under
``payload:<envelope key>:<digest>`` (the guard rails' baseline beside it, under ``...:baseline``)
and is written only when the upstream sends a different listing, so a refresh that finds the
same listing writes a few hundred bytes, and reading the envelope (every build does) never
decodes megabytes. The payload before the current one is kept
too: a process that read the previous envelope still finds its payload.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict, TypeGuard

from .._domain.digest import blake2b_hex
from .disk import encode_doc, encode_with

if TYPE_CHECKING:
    from .storage import Storage

__all__ = [
    "Envelope",
    "confirmed",
    "failed",
    "fresh",
    "full_listing_age",
    "has_payload",
    "never_tried",
    "payload_json",
    "payload_key",
    "read_guard",
    "read_payload",
    "source_meta",
    "write_payload",
]


class Envelope(TypedDict, total=False):
    """One live source's stored state (every key optional: an envelope grows as a source is used)."""

    source: str
    base_url: str
    fetched_at: float
    expires_at: float
    ttl: float
    count: int
    """Records the payload yields."""
    version: str
    """Changes whenever a new payload is accepted: builders compare it to notice a refresh."""
    failures: int
    """Consecutive failed refreshes (0 after a success)."""
    error: str | None
    degraded: bool
    """The last refresh was suspect and kept out."""
    retry_at: float | None
    """Automatic refreshes wait until then (negative cache)."""
    last_attempt: float
    notes: list[str]
    payload_key: str
    """Where the listing is stored (see the module docstring); its guard-rail baseline is beside it."""
    validators: dict[str, str]
    """What the upstream said of the listing (``url``, ``etag``, ``last_modified``), for conditional GETs."""
    digest: str
    """The stored listing's digest: the same bytes again are a listing not modified."""
    schema_version: int


PAYLOAD = "payload:"


def payload_key(envelope_key: str, digest: str) -> str:
    """Where the payload of ``envelope_key`` with ``digest`` is stored."""
    return f"{PAYLOAD}{envelope_key}:{digest[:32]}"


def _own(envelope_key: str, key: Any) -> TypeGuard[str]:
    return isinstance(key, str) and key.startswith(f"{PAYLOAD}{envelope_key}:")


def has_payload(envelope: Mapping[str, Any]) -> bool:
    """Whether the envelope names a stored listing (or holds one, as envelopes once did)."""
    return envelope.get("payload_key") is not None or envelope.get("payload") is not None


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


def read_payload(store: Storage, envelope_key: str, envelope: Mapping[str, Any]) -> Any:
    """The listing the envelope names; None when there is none, or it is gone or not ours."""
    if envelope.get("payload") is not None:
        return envelope["payload"]  # an envelope written before payloads were kept apart
    key = envelope.get("payload_key")
    if not isinstance(key, str) or not _own(envelope_key, key):
        return None
    # As the fleet sees it: a payload Redis lost is written back from this machine's copy, with
    # the envelope that names it.
    doc = store.get(key, shared=True)
    return doc.get("payload") if doc is not None else None


def read_guard(store: Storage, envelope_key: str, envelope: Mapping[str, Any]) -> tuple[Any, Any]:
    """What the guard rails compare a new listing with: (the drift baseline, the listing's own values).

    Either is None when it is not stored (the values came in later than the baseline).
    """
    baseline = envelope.get("baseline")
    values = None
    if baseline is None:
        key = envelope.get("payload_key")
        doc = store.get(f"{key}:baseline", shared=True) if isinstance(key, str) and _own(envelope_key, key) else None
        baseline = doc.get("baseline") if doc is not None else None
        values = doc.get("values") if doc is not None else None
        moved = doc.get("moved") if doc is not None else None
        if isinstance(moved, dict) and isinstance(baseline, dict):
            values = {**baseline, **moved}  # the listing's values: its baseline's, but where they moved
    return (baseline if isinstance(baseline, dict) else None), (values if isinstance(values, dict) else None)


def write_payload(
    store: Storage,
    envelope_key: str,
    envelope: Mapping[str, Any],
    previous: Mapping[str, Any],
    listing_json: str,
    digest: str,
    baseline: Mapping[str, Any] | None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Store a listing, the guard rails' view of it and the envelope naming them: one transaction.

    ``listing_json`` is the listing's JSON; ``envelope`` the new envelope's fields, returned as
    written (with the payload's key and the one before it).

    The guard rails keep the drift baseline and the listing's own guarded values (so the next
    refresh, in whatever process, does not parse this listing again to judge the one after it).
    They change only with the listing, so nothing is written when the same listing comes again.
    The payload two listings back is removed: nobody can hold an envelope that names it.
    ``previous`` is the envelope this one replaces.
    """
    key = payload_key(envelope_key, digest)
    current = previous.get("payload_key")
    older = previous.get("previous_payload_key")
    doomed = []
    if isinstance(older, str) and _own(envelope_key, older) and older not in (key, current):
        doomed = [older, f"{older}:baseline"]
    written = {
        **envelope,
        "payload_key": key,
        "previous_payload_key": current if _own(envelope_key, current) and current != key else None,
    }
    texts = {
        key: encode_with("payload", listing_json),
        f"{key}:baseline": _guard_text(baseline, values),
        envelope_key: encode_doc(written),  # last: it names the rows before it
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


def full_listing_age(envelope: Mapping[str, Any], at: float) -> float:
    """Seconds at ``at`` since the envelope's listing was last sent in full (its ``version`` starts with that time)."""
    try:
        sent = float(str(envelope.get("version")).split(":", 1)[0])
    except ValueError:
        return float("inf")
    return at - sent


def never_tried(info: object) -> bool:
    """Whether a generation's note on a live source says it was never fetched (built offline or before it)."""
    if not isinstance(info, dict):
        return True
    return not any(info.get(k) is not None for k in ("fetched_at", "retry_at", "error"))


def source_meta(envelope: Mapping[str, Any], count: int) -> dict[str, Any]:
    """What a generation's meta keeps about one source's envelope."""
    return {
        "version": envelope.get("version"),
        "fetched_at": envelope.get("fetched_at"),
        "expires_at": envelope.get("expires_at"),
        "retry_at": envelope.get("retry_at"),
        "error": envelope.get("error"),
        "count": count,
    }


def fresh(
    source: str,
    base_url: str,
    *,
    ttl: float,
    at: float,
    count: int,
    notes: list[str],
    validators: dict[str, str],
    digest: str,
) -> Envelope:
    """The envelope of a listing accepted at ``at`` (:func:`write_payload` adds where it is stored)."""
    return Envelope(
        source=source,
        base_url=base_url,
        fetched_at=at,
        expires_at=at + ttl,
        ttl=ttl,
        count=count,
        version=f"{at}:{os.getpid()}",
        failures=0,
        error=None,
        degraded=False,
        retry_at=None,
        last_attempt=at,
        notes=notes,
        validators=validators,
        digest=digest,
    )


def confirmed(envelope: Mapping[str, Any], *, ttl: float, at: float, validators: dict[str, str]) -> Envelope:
    """The envelope of a listing the upstream confirmed at ``at`` (a 304, or the same bytes): fresh again."""
    same: dict[str, Any] = {
        **envelope,
        "fetched_at": at,
        "expires_at": at + ttl,
        "ttl": ttl,
        "failures": 0,
        "error": None,
        "degraded": False,
        "retry_at": None,
        "last_attempt": at,
        "validators": validators or envelope.get("validators"),
    }
    return same  # type: ignore[return-value]  # the stored keys it carries are the envelope's


def failed(
    envelope: Mapping[str, Any],
    source: str,
    base_url: str,
    *,
    error: str,
    failures: int,
    retry_at: float,
    at: float,
    degraded: bool,
) -> Envelope:
    """The envelope after a failed refresh: its listing kept, the error, and when to try again.

    ``degraded``: the refresh brought a listing the guard rails held out as suspect.
    """
    out: dict[str, Any] = {
        **envelope,
        "degraded": degraded,
        "source": source,
        "base_url": base_url,
        "error": error,
        "failures": failures,
        "retry_at": retry_at,
        "last_attempt": at,
    }
    return out  # type: ignore[return-value]  # the stored keys it carries are the envelope's
