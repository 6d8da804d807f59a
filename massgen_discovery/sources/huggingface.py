"""HuggingFace Inference Providers: the router's public ``GET /v1/models`` listing.

LiteLLM knows nothing about these models (context unknown, cost 0). The router lists every model
with one entry per serving provider (``together``, ``fireworks-ai`` ...), each with its own status,
context length, price, tool and structured-output support, latency and throughput.

Records:

- ``huggingface/<served_by>/<org>/<name>``: one per (model, serving provider), LiteLLM's string
  for a pinned provider.
- ``huggingface/<org>/<name>``: the router's own choice, with conservative values over the live
  providers (smallest known limits, highest known prices, a flag True only if every live provider
  that reports it says True). Its ``conflicts`` show the spread across providers.

Lookup aliases: ``huggingface/<org>/<name>:<provider>``, ``:cheapest`` and ``:fastest``, the
router's routing suffixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import SourceFormatError
from ..records import Conflict, ModelRecord
from ._listing import HostedListing

if TYPE_CHECKING:
    from ._hf_payload import Architecture, Provider

__all__ = ["DEFAULT_BASE_URL", "NAME", "HuggingFaceSource", "to_records"]

NAME = "huggingface"
"""Source name, and the LiteLLM provider id of its records."""
DEFAULT_BASE_URL = "https://router.huggingface.co/v1"
"""The router's API root; the listing is ``{base}/models``."""
TTL = 6 * 3600.0


def _price(value: float | None, is_free: bool | None) -> float | None:
    """USD per 1M from the router -> USD per token, or None when the router did not really say."""
    if is_free is True:
        return 0.0
    # The router reports {"input": 0, "output": 0} with is_free: false for providers that have not
    # published a price (prism-ml/Ternary-Bonsai-27B-gguf on together): that is unknown, not free.
    if value is None or value <= 0:
        return None
    return value / 1_000_000


_PINNED = (
    "mode",
    "max_input_tokens",
    "input_cost_per_token",
    "output_cost_per_token",
    "input_modalities",
    "output_modalities",
    "supports_vision",
    "supports_function_calling",
    "supports_response_schema",
    "available",
    "status",
    "first_token_latency_ms",
    "throughput_tokens_per_s",
)


def _pinned(model_id: str, arch: Architecture, entry: Provider, fetched_at: datetime) -> ModelRecord:
    pricing = entry.get("pricing") or {}
    free = entry.get("is_free")
    inputs = arch.get("input_modalities")
    status = entry["status"]
    served_by = entry["provider"]
    # Every value comes from the validated listing with the record's types already: the record is
    # built without validating it again (a big listing has tens of thousands of routes).
    data = ModelRecord.defaults()
    data["model"] = f"{NAME}/{served_by}/{model_id}"
    data["provider"] = NAME
    data["model_id"] = model_id
    data["served_by"] = served_by
    data["mode"] = "chat"
    data["max_input_tokens"] = entry.get("context_length")
    data["input_cost_per_token"] = _price(pricing.get("input"), free)
    data["output_cost_per_token"] = _price(pricing.get("output"), free)
    data["input_modalities"] = inputs
    data["output_modalities"] = arch.get("output_modalities")
    data["supports_vision"] = None if inputs is None else "image" in inputs
    data["supports_function_calling"] = entry.get("supports_tools")
    data["supports_response_schema"] = entry.get("supports_structured_output")
    data["available"] = status == "live"
    data["status"] = status
    data["first_token_latency_ms"] = entry.get("first_token_latency_ms")
    data["throughput_tokens_per_s"] = entry.get("throughput")
    data["sources"] = [NAME]
    data["fetched_at"] = fetched_at
    data["provenance"] = {k: NAME for k in _PINNED if data[k] is not None}
    return ModelRecord.trusted(data)


_SMALLEST = ("max_input_tokens", "max_output_tokens")
_HIGHEST = ("input_cost_per_token", "output_cost_per_token")
_ALL_TRUE = ("supports_function_calling", "supports_response_schema", "supports_vision")
_SPREAD = (*_SMALLEST, *_HIGHEST, *_ALL_TRUE)


_CONFLICTS: list[dict[tuple[Any, ...], Conflict]] = [{}, {}]
"""Conflicts by what they say, made for this listing and for the last one: a listing's spread mostly
repeats from one fetch to the next. Two listings' worth at most (records hold them anyway)."""


def _conflict(field: str, kept: Any, value: Any, served_by: str) -> Conflict:
    # Records are immutable, so one conflict object may sit in many of them (and in the next listing's).
    key = (field, type(kept), kept, type(value), value, served_by)
    now, last = _CONFLICTS
    found = now.get(key)
    if found is None:
        found = last.get(key)
        if found is None:
            found = Conflict.trusted(
                {
                    "field": field,
                    "kept_value": kept,
                    "kept_source": NAME,
                    "other_value": value,
                    "other_source": f"{NAME}:{served_by}",
                }
            )
        now[key] = found
    return found


def _aggregate(model_id: str, arch: Architecture, pinned: Sequence[ModelRecord], fetched_at: datetime) -> ModelRecord:
    live = [vars(r) for r in pinned if r.available]
    values: dict[str, Any] = {"mode": "chat"}
    for field in _SMALLEST:
        limits = [v for r in live if (v := r[field]) is not None]
        values[field] = min(limits) if limits else None
    for field in _HIGHEST:
        prices = [v for r in live if (v := r[field]) is not None]
        values[field] = max(prices) if prices else None
    for field in _ALL_TRUE:
        reported = [v for r in live if (v := r[field]) is not None]
        values[field] = True if reported and all(reported) else False if reported and not any(reported) else None
    inputs = arch.get("input_modalities")
    values["input_modalities"] = inputs
    values["output_modalities"] = arch.get("output_modalities")
    if values["supports_vision"] is None and inputs is not None:
        values["supports_vision"] = "image" in inputs
    values["available"] = bool(live)
    values["status"] = "live" if live else (pinned[0].status if pinned else None)
    known = {k: v for k, v in values.items() if v is not None}
    # The spread across serving providers, so users can see what the conservative value hides.
    conflicts = [
        _conflict(field, kept, value, r["served_by"])
        for field in _SPREAD
        for kept in (known.get(field),)
        for r in live
        if (value := r[field]) is not None and value != kept
    ]
    return ModelRecord.trusted(
        {
            "model": f"{NAME}/{model_id}",
            "provider": NAME,
            "model_id": model_id,
            "sources": [NAME, *sorted(f"{NAME}:{r.served_by}" for r in pinned)],
            "provenance": dict.fromkeys(known, NAME),
            "conflicts": conflicts,
            "fetched_at": fetched_at,
            **known,
        }
    )


def to_records(payload: Any, fetched_at: datetime) -> list[ModelRecord]:
    """Turn a router ``/v1/models`` payload into pinned and aggregate records.

    Raises ``SourceFormatError`` when the payload is not ``{"data": [...]}``; a broken model or
    provider entry is skipped and the rest kept.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise SourceFormatError(f"{NAME}: expected an object with a 'data' list", source=NAME)
    from pydantic import ValidationError

    from ._hf_payload import listing

    try:
        models = listing().validate_python(payload["data"])
    except ValidationError as exc:  # OnErrorOmit drops bad entries; this is only a defence in depth
        raise SourceFormatError(f"{NAME}: unreadable listing ({exc.error_count()} errors)", source=NAME) from exc
    _CONFLICTS[:] = [{}, _CONFLICTS[0] or _CONFLICTS[1]]  # a new listing: the last one's are kept to reuse
    out: list[ModelRecord] = []
    for model in models:
        model_id = model["id"]
        if not model_id or "/" not in model_id:
            continue
        arch = model.get("architecture") or {}
        pinned = [_pinned(model_id, arch, entry, fetched_at) for entry in model.get("providers") or ()]
        out.extend(pinned)
        out.append(_aggregate(model_id, arch, pinned, fetched_at))
    return out


def aliases(records: Sequence[ModelRecord]) -> dict[str, str]:
    """Routing-suffix strings -> record keys: ``:<provider>``, ``:cheapest``, ``:fastest``."""
    by_model: dict[str, list[ModelRecord]] = {}
    for record in records:
        if record.served_by:
            by_model.setdefault(record.model_id, []).append(record)
    out: dict[str, str] = {}
    for model_id, pinned in by_model.items():
        base = f"{NAME}/{model_id}"
        for record in pinned:
            out[f"{base}:{record.served_by}"] = record.model
        live = [r for r in pinned if r.available]
        priced = [r for r in live if r.input_cost_per_token is not None and r.output_cost_per_token is not None]
        if priced:
            cheapest = min(
                priced, key=lambda r: ((r.input_cost_per_token or 0) + (r.output_cost_per_token or 0), r.model)
            )
            out[f"{base}:cheapest"] = cheapest.model
        measured = [r for r in live if r.throughput_tokens_per_s is not None]
        if measured:
            fastest = max(measured, key=lambda r: (r.throughput_tokens_per_s or 0, r.model))
            out[f"{base}:fastest"] = fastest.model
    return out


class HuggingFaceSource(HostedListing):
    """The router listing: public, ``HF_TOKEN`` (or LiteLLM's ``HUGGINGFACE_API_KEY``) sent when set."""

    name = NAME
    default_base_url = DEFAULT_BASE_URL
    key_required = False
    ttl = TTL

    @property
    def authoritative_for(self) -> str | None:
        """The router's listing is complete: it decides which huggingface/* routes exist today."""
        return NAME

    def to_records(self, payload: Any, fetched_at: datetime) -> list[ModelRecord]:
        """See :func:`to_records`."""
        return to_records(payload, fetched_at)

    def aliases(self, records: Sequence[ModelRecord]) -> dict[str, str]:
        """See :func:`aliases`."""
        return aliases(records)
