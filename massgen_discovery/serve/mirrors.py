"""The merged catalog in the shapes other tools already read: LiteLLM's, models.dev's and OpenRouter's.

Each function takes records and returns JSON-ready data; nothing here does I/O except reading
LiteLLM's and models.dev's bundled files (for the entries and provider metadata they carry that a
record does not). Unknown stays unknown in every shape: a price or limit no source states is left
out (LiteLLM), ``null`` (models.dev) or OpenRouter's ``"-1"`` (unknown price), never 0.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..records import ModelRecord

__all__ = ["litellm_map", "modelsdev_api", "openrouter_models"]


# -- LiteLLM's model_prices_and_context_window.json --------------------------------------------------


@cache
def _bundled_litellm_map() -> dict[str, Any]:
    """LiteLLM's bundled map as the installed litellm ships it (``{}`` when it cannot be read)."""
    from ..sources.litellm_map import bundled_map_path

    path = bundled_map_path()
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _litellm_key(record: ModelRecord, bundled: Mapping[str, Any]) -> str:
    """The key LiteLLM looks the record up under: its own map's key when it has one, else the record's."""
    if record.model in bundled:
        return record.model
    entry = bundled.get(record.model_id)
    if isinstance(entry, Mapping) and entry.get("litellm_provider") == record.provider:
        return record.model_id  # LiteLLM keys OpenAI's and Anthropic's models without a prefix
    return record.model


def litellm_map(records: Iterable[ModelRecord]) -> dict[str, Any]:
    """LiteLLM's map (``LITELLM_MODEL_COST_MAP_URL``) with every record's merged values on top.

    Every entry of the installed LiteLLM's own map is kept (so a LiteLLM reading this never knows
    less than its bundled copy, and passes its shrink check); each record overwrites the fields it
    knows under LiteLLM's key for it, tiers included, and a record LiteLLM lacks (a HuggingFace
    route, an Ollama model, a named endpoint's model) gets an entry of its own. Ollama models are
    also given as ``ollama_chat/<tag>``, the key LiteLLM's chat route prices under, and HuggingFace
    routes as ``openai/<org>/<model>:<provider>``, the OpenAI-compatible spelling of a call to the
    router, which LiteLLM prices from its map (its ``huggingface/`` route prices every call at $0).
    """
    from .._adapters.litellm import to_litellm_model_info
    from ..records import LITELLM_FIELDS

    bundled = _bundled_litellm_map()
    out: dict[str, Any] = {k: dict(v) if isinstance(v, Mapping) else v for k, v in bundled.items()}
    for record in records:
        key = _litellm_key(record, bundled)
        info = dict(sorted(to_litellm_model_info(record).items()))  # one order whichever process built it
        base = out.get(key)
        if isinstance(base, dict):
            # A value of LiteLLM's own that the catalog holds unknown was judged impossible (a
            # price of $135,000 per 1M): the mirror does not serve it either.
            unknown = [n for n in LITELLM_FIELDS if getattr(record, n) is None and n in base]
            out[key] = {**{k: v for k, v in base.items() if k not in unknown}, **info}
        else:
            out[key] = info
        if record.provider == "ollama":
            chat = f"ollama_chat/{record.model_id}"
            out[chat] = {**out[key], "litellm_provider": "ollama_chat"}
        elif record.provider == "huggingface":
            # The router is OpenAI-compatible (``<org>/<model>[:<provider>]`` at its /v1); LiteLLM prices
            # calls made that way from this key, while it prices every ``huggingface/`` call at $0
            # whatever its map says.
            routed = f"openai/{record.model_id}:{record.served_by}" if record.served_by else f"openai/{record.model_id}"
            if routed not in bundled:
                out[routed] = {**out[key], "litellm_provider": "openai"}
    return out


# -- models.dev's api.json -----------------------------------------------------------------------------


@cache
def _modelsdev_providers() -> dict[str, dict[str, Any]]:
    """LiteLLM provider id -> models.dev's provider metadata (name, env, npm, doc, api), from its snapshot."""
    from ..sources.modelsdev import PROVIDER_MAP, bundled_snapshot

    try:
        snapshot = bundled_snapshot()
    except Exception:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for theirs, ours in PROVIDER_MAP.items():
        meta = snapshot.get(theirs) if isinstance(snapshot, Mapping) else None
        if isinstance(meta, Mapping):
            out[ours] = {k: v for k, v in meta.items() if k != "models"}
    return out


_PER_M = 1_000_000


def _per_million(value: float | None) -> float | None:
    return None if value is None else round(value * _PER_M, 10)


def _modelsdev_cost(record: ModelRecord) -> dict[str, Any] | None:
    """models.dev's ``cost`` (USD per 1M): the standard rates and the first context tier, or None."""
    from .._domain.pricing import context_tiers

    cost: dict[str, Any] = {}
    for theirs, value in (
        ("input", record.input_cost_per_token),
        ("output", record.output_cost_per_token),
        ("cache_read", record.cache_read_input_token_cost),
        ("cache_write", record.cache_creation_input_token_cost),
        ("reasoning", (record.prices or {}).get("output_cost_per_reasoning_token")),
        ("input_audio", (record.prices or {}).get("input_cost_per_audio_token")),
        ("output_audio", (record.prices or {}).get("output_cost_per_audio_token")),
    ):
        if value is not None:
            cost[theirs] = _per_million(value)
    prices = record.prices or {}
    tiers = []
    for threshold, label in sorted(context_tiers(record).items()):
        tier: dict[str, Any] = {"tier": {"type": "context", "size": threshold}}
        for theirs, base in (
            ("input", "input_cost_per_token"),
            ("output", "output_cost_per_token"),
            ("cache_read", "cache_read_input_token_cost"),
            ("cache_write", "cache_creation_input_token_cost"),
        ):
            rate = prices.get(f"{base}_above_{label}_tokens")
            if rate is not None:
                tier[theirs] = _per_million(rate)
        if len(tier) > 1:
            tiers.append(tier)
    if tiers:
        cost["tiers"] = tiers
        first = tiers[0]
        if first["tier"]["size"] == 200_000:
            cost["context_over_200k"] = {k: v for k, v in first.items() if k != "tier"}
    if "input" not in cost or "output" not in cost:
        return cost or None
    return cost


def _date(value: str | None) -> str | None:
    return value if value else None


def _modelsdev_model(record: ModelRecord, model_id: str) -> dict[str, Any]:
    inputs = list(record.input_modalities) if record.input_modalities is not None else None
    outputs = list(record.output_modalities) if record.output_modalities is not None else None
    if inputs is None and record.mode in ("chat", "completion", "responses"):
        inputs = [
            "text",
            *(["image"] if record.supports_vision else []),
            *(["pdf"] if record.supports_pdf_input else []),
        ]
    if outputs is None and record.mode in ("chat", "completion", "responses"):
        outputs = ["text"]
    attachment: bool | None = None
    if record.supports_vision or record.supports_pdf_input:
        attachment = True
    elif record.supports_vision is False and record.supports_pdf_input is False:
        attachment = False
    limit: dict[str, Any] = {"context": record.max_input_tokens, "output": record.max_output_tokens}
    out: dict[str, Any] = {
        "id": model_id,
        "name": model_id,
        "attachment": attachment,
        "reasoning": record.supports_reasoning,
        "tool_call": record.supports_function_calling,
        "structured_output": record.supports_response_schema,
        "open_weights": record.open_weights,
        "release_date": _date(record.release_date),
        "last_updated": _date(record.release_date),
        "knowledge": _date(record.knowledge_cutoff),
        "modalities": {"input": inputs or [], "output": outputs or []},
        "limit": limit,
    }
    cost = _modelsdev_cost(record)
    if cost is not None:
        out["cost"] = cost
    if record.deprecation_date or record.status == "deprecated":
        out["status"] = "deprecated"
    if record.family:
        out["family"] = record.family
    return out


def modelsdev_api(records: Iterable[ModelRecord]) -> dict[str, Any]:
    """models.dev's ``api.json``: provider id -> provider metadata and its ``models`` by id.

    Provider ids are the catalog's (LiteLLM's); metadata comes from models.dev's snapshot where it
    knows the provider, else from the catalog's provider table. Costs are USD per 1M tokens, limits
    in tokens, unknown values ``null``.
    """
    from ..providers import provider_info

    known = _modelsdev_providers()
    out: dict[str, Any] = {}
    for record in records:
        provider = out.get(record.provider)
        if provider is None:
            meta = known.get(record.provider)
            if meta is None:
                info = provider_info(record.provider)
                meta = {
                    "name": info.display_name,
                    "env": list(info.env_vars),
                    "npm": "@ai-sdk/openai-compatible",
                    "doc": "",
                }
                if record.api_base:
                    meta["api"] = record.api_base
            provider = out[record.provider] = {**meta, "id": record.provider, "models": {}}
        model_id = record.model.removeprefix(f"{record.provider}/")
        provider["models"][model_id] = _modelsdev_model(record, model_id)
    return out


# -- OpenRouter's /api/v1/models ---------------------------------------------------------------------


def _or_price(value: float | None) -> str:
    """OpenRouter's per-token decimal string; ``"-1"`` when no source states the rate."""
    if value is None:
        return "-1"
    text = f"{value:.12f}".rstrip("0").rstrip(".")
    return text or "0"


_OR_MODALITIES = {"text": "text", "image": "image", "audio": "audio", "video": "video", "pdf": "file"}


def _supported_parameters(record: ModelRecord) -> list[str]:
    params = (
        ["max_tokens", "temperature", "top_p", "stop"] if record.mode in ("chat", "completion", "responses") else []
    )
    if record.supports_function_calling:
        params += ["tools", "tool_choice"]
    if record.supports_response_schema:
        params += ["response_format", "structured_outputs"]
    if record.supports_reasoning:
        params += ["reasoning", "include_reasoning"]
    return params


def _created(record: ModelRecord) -> int:
    if record.release_date:
        try:
            return int(datetime.fromisoformat(record.release_date[:10]).timestamp())
        except ValueError:
            pass
    return 0


def _openrouter_model(record: ModelRecord) -> dict[str, Any]:
    inputs = [_OR_MODALITIES[m] for m in (record.input_modalities or ["text"]) if m in _OR_MODALITIES]
    outputs = [_OR_MODALITIES[m] for m in (record.output_modalities or ["text"]) if m in _OR_MODALITIES]
    prices = record.prices or {}
    pricing: dict[str, Any] = {
        "prompt": _or_price(record.input_cost_per_token),
        "completion": _or_price(record.output_cost_per_token),
    }
    for theirs, value in (
        ("input_cache_read", record.cache_read_input_token_cost),
        ("input_cache_write", record.cache_creation_input_token_cost),
        ("internal_reasoning", prices.get("output_cost_per_reasoning_token")),
        ("request", prices.get("input_cost_per_request")),
        ("image", prices.get("input_cost_per_image")),
        ("audio", prices.get("input_cost_per_audio_token")),
    ):
        if value is not None:
            pricing[theirs] = _or_price(value)
    return {
        "id": record.model,
        "canonical_slug": record.model,
        "hugging_face_id": record.model_id if record.provider == "huggingface" else None,
        "name": record.model,
        "created": _created(record),
        "description": "",
        "context_length": record.max_input_tokens,
        "architecture": {
            "modality": "+".join(dict.fromkeys(inputs)) + "->" + "+".join(dict.fromkeys(outputs)),
            "input_modalities": list(dict.fromkeys(inputs)),
            "output_modalities": list(dict.fromkeys(outputs)),
            "tokenizer": "Other",
            "instruct_type": None,
        },
        "pricing": pricing,
        "top_provider": {
            "context_length": record.max_input_tokens,
            "max_completion_tokens": record.max_output_tokens,
            "is_moderated": False,
        },
        "per_request_limits": None,
        "supported_parameters": _supported_parameters(record),
        "supported_voices": None,
        "default_parameters": None,
        "knowledge_cutoff": record.knowledge_cutoff,
        "expiration_date": record.deprecation_date,
        "links": {"details": f"/openrouter/api/v1/models/{record.model}/endpoints"},
    }


def openrouter_models(records: Sequence[ModelRecord]) -> dict[str, Any]:
    """OpenRouter's ``GET /models`` answer: ``data`` (one entry per record), ``links``, ``total_count``.

    Prices are per-token decimal strings (``"-1"`` unknown, as OpenRouter marks a price it cannot
    state), ``context_length`` the context window (null when unknown).
    """
    data = [_openrouter_model(r) for r in records]
    return {"data": data, "links": {"next": None}, "total_count": len(data)}
