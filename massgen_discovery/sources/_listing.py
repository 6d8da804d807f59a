"""What every ``/models``-style listing shares: envelopes, field spellings, modes, auth, the base class.

OpenAI-compatible servers agree on ``{"data": [{"id": ...}]}`` and little else. Context windows
arrive as ``context_window`` (Groq), ``context_length`` (Together, Moonshot, Fireworks),
``max_model_len`` (vLLM), ``max_context_length`` (Mistral, LM Studio), ``meta.n_ctx_train``
(llama.cpp) or ``max_input_tokens`` (a LiteLLM proxy); envelopes are ``{"data": [...]}``, a bare
list, ``{"models": [...]}`` or both at once (llama.cpp). :func:`generic_values` reads every
spelling seen in the wild; provider modules add what only they send.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from .._domain.identifiers import HEURISTIC_PREFIX
from ..errors import SourceFormatError
from ..records import ModelRecord
from . import SourceBase
from ._values import as_dict, as_list, positive_int, price

if TYPE_CHECKING:
    import httpx

    from ._http import ConditionalGet

__all__ = [
    "HostedListing",
    "as_dict",
    "as_list",
    "entries",
    "generic_values",
    "mode_from_id",
    "parameter_size",
    "positive_int",
    "price",
    "records_from_values",
]

ID_HEURISTIC = HEURISTIC_PREFIX + "model-id"
"""Provenance of a mode guessed from the model id."""


def entries(payload: Any) -> list[dict[str, Any]]:
    """The model entries of a listing, whatever the envelope; raises ``SourceFormatError`` if none.

    ``{"data": [...]}``, a bare list and ``{"models": [...]}`` are all accepted; when a payload
    has both ``data`` and ``models`` (llama.cpp), entries with the same id are merged, ``data``
    first.
    """
    if isinstance(payload, list):
        items = payload
    elif isinstance(payload, dict) and (
        isinstance(payload.get("data"), list) or isinstance(payload.get("models"), list)
    ):
        items = []
        seen: dict[str, dict[str, Any]] = {}
        for entry in [*as_list(payload.get("data")), *as_list(payload.get("models"))]:
            if not isinstance(entry, dict):
                continue
            key = entry_id(entry)
            if key is not None and key in seen:
                merged = seen[key]
                for field, value in entry.items():
                    merged.setdefault(field, value)
                continue
            copy = dict(entry)
            items.append(copy)
            if key is not None:
                seen[key] = copy
    else:
        raise SourceFormatError("listing is not a list, {'data': [...]} or {'models': [...]}", source="listing")
    return [e for e in items if isinstance(e, dict)]


def entry_id(entry: dict[str, Any]) -> str | None:
    """The model id of an entry: ``id``, else ``model``, ``name`` or ``key`` (LM Studio)."""
    for field in ("id", "model", "name", "key"):
        value = entry.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


# Patterns are compiled by re on first use (and cached there), not at import: the catalog imports
# this module on every cold lookup.
_MODE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("audio_transcription", (r"whisper|transcri|speech-to-text|\bstt\b")),
    ("audio_speech", (r"\btts\b|tts-|-tts|text-to-speech|playai|orpheus|speech|kokoro")),
    ("rerank", (r"rerank")),
    (
        "embedding",
        (
            r"embed|(^|[/_.-])(bge|gte|e5)([/_.-]|$)|(^|[/_.-])(multilingual-)?e5-|nomic-embed|mxbai-embed"
            r"|jina-embeddings|(^|[/_-])(bge|gte)-"
        ),
    ),
    ("moderation", (r"moderation|guard|shieldgemma")),
    ("video_generation", (r"(^|[/_-])(veo|sora)([-_.\d]|$)|video-gen|text-to-video")),
    (
        "image_generation",
        (r"dall-e|gpt-image|imagen|flux|stable-diffusion|sdxl|sd3|image-gen|text-to-image"),
    ),
)


def mode_from_id(model_id: str) -> str:
    """LiteLLM's mode guessed from a model id when the provider gives no signal; ``chat`` by default.

    Knows the common non-chat families: speech (``whisper``, ``tts``), rerankers, embeddings
    (``embed``, ``bge``, ``e5``, ``gte``, ``nomic-embed``, ``mxbai-embed``, ``jina-embeddings``),
    moderation and guard models, video (``veo``, ``sora``) and image generation (``imagen``,
    ``dall-e``, ``flux``, ``stable-diffusion``). A guess ranks below every stated mode.
    """
    for mode, pattern in _MODE_PATTERNS:
        if re.search(pattern, model_id, re.IGNORECASE):
            return mode
    return "chat"


_SIZE = r"^\s*(\d+(?:\.\d+)?)\s*([kKmMbBtT]?)\s*$"
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def parameter_size(value: Any) -> str | None:
    """A parameter count in Ollama's form (``8.2B``, ``117B``, ``500M``), else the raw text, else None.

    Raw counts (``116829156672``, as ollama.com's ``/api/show`` and llama.cpp's ``n_params`` send
    them) and suffixed sizes (``7b``, ``8.0B``, ``494.03M``) are read; text that is not a size is
    kept as it is.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        count = float(value)
    elif isinstance(value, str) and value.strip():
        match = re.match(_SIZE, value)
        if match is None:
            return value.strip()
        count = float(match.group(1)) * _SCALE[match.group(2).lower()]
    else:
        return None
    if not count > 0 or count != count or count == float("inf"):
        return None
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= scale:
            figure = count / scale
            return f"{figure:.0f}{unit}" if round(figure, 1) >= 100 else f"{figure:.1f}{unit}"
    return f"{count:.0f}"


# A provider's own type words -> LiteLLM modes.
_TYPE_MODES = {
    "chat": "chat",
    "llm": "chat",
    "vlm": "chat",
    "language": "chat",
    "code": "chat",
    "text": "chat",
    "completion": "completion",
    "embedding": "embedding",
    "embeddings": "embedding",
    "image": "image_generation",
    "audio": "audio_speech",
    "transcribe": "audio_transcription",
    "moderation": "moderation",
    "rerank": "rerank",
    "reranker": "rerank",
    "tts": "audio_speech",
    "stt": "audio_transcription",
    "video": "video_generation",
    # LiteLLM's own mode names (a LiteLLM proxy reports them) map to themselves.
    "image_generation": "image_generation",
    "audio_transcription": "audio_transcription",
    "audio_speech": "audio_speech",
}


def _flag(entry: dict[str, Any], *names: str) -> bool | None:
    for name in names:
        value = entry.get(name)
        if isinstance(value, bool):
            return value
    return None


def generic_values(entry: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """Field values every OpenAI-compatible spelling can give, and the fields that were guessed."""
    meta = as_dict(entry.get("meta"))
    values: dict[str, Any] = {
        "max_input_tokens": positive_int(
            entry.get("max_input_tokens")
            or entry.get("context_window")
            or entry.get("context_length")
            or entry.get("max_model_len")
            or entry.get("max_context_length")
            or meta.get("n_ctx_train")
        ),
        "max_output_tokens": positive_int(entry.get("max_output_tokens") or entry.get("max_completion_tokens")),
        "runtime_context_tokens": positive_int(meta.get("n_ctx")),
        "supports_function_calling": _flag(entry, "supports_tools", "supports_function_calling"),
        "supports_vision": _flag(entry, "supports_vision", "supports_image_input", "supports_image_in"),
        "supports_reasoning": _flag(entry, "supports_reasoning"),
        "supports_response_schema": _flag(entry, "supports_response_schema"),
        "input_cost_per_token": price(entry.get("input_cost_per_token")),
        "output_cost_per_token": price(entry.get("output_cost_per_token")),
        "parameter_size": parameter_size(meta.get("n_params")),
        "input_modalities": [m for m in as_list(entry.get("input_modalities")) if isinstance(m, str)] or None,
        "output_modalities": [m for m in as_list(entry.get("output_modalities")) if isinstance(m, str)] or None,
    }
    # OpenRouter's shape, which several OpenAI-compatible hosts copy: per-token decimal strings.
    from ._pricing_block import pricing_values

    for field, value in pricing_values(entry.get("pricing")).items():
        if values.get(field) is None:
            values[field] = value
    top = as_dict(entry.get("top_provider"))
    values["max_input_tokens"] = values["max_input_tokens"] or positive_int(top.get("context_length"))
    values["max_output_tokens"] = values["max_output_tokens"] or positive_int(top.get("max_completion_tokens"))
    capabilities = {c for c in as_list(entry.get("capabilities")) if isinstance(c, str)}
    # A capabilities list (llama.cpp's Ollama-style entries) says what is there, not what is not.
    if "tools" in capabilities:
        values["supports_function_calling"] = True
    if capabilities & {"vision", "multimodal"}:
        values["supports_vision"] = True
    guessed: set[str] = set()
    model_id = entry_id(entry) or ""
    kind = entry.get("mode") or entry.get("type")
    if isinstance(kind, str) and kind.lower() in _TYPE_MODES:
        values["mode"] = _TYPE_MODES[kind.lower()]
    elif entry.get("supports_chat") is True:
        values["mode"] = "chat"
    elif capabilities and capabilities <= {"embedding", "embeddings"}:
        values["mode"] = "embedding"
    elif capabilities & {"completion", "chat"}:
        values["mode"] = "chat"  # an Ollama-style capabilities list: "completion" means it writes text
    else:
        values["mode"] = mode_from_id(model_id)
        guessed.add("mode")
    if entry.get("active") is False:
        values["available"] = False
    return {k: v for k, v in values.items() if v is not None}, guessed


def _provenance(source: str, field: str, guessed: set[str]) -> str:
    # A value read off the model's name (a mode from "whisper", "embed", "tts") is a heuristic:
    # it ranks below LiteLLM's map, which states modes, and above nothing.
    return ID_HEURISTIC if field in guessed else source


def records_from_values(
    source: str,
    provider: str,
    model_id: str,
    values: dict[str, Any],
    guessed: Iterable[str],
    fetched_at: datetime,
    *,
    api_base: str | None = None,
    prefix: str | None = None,
) -> ModelRecord:
    """A record for ``<prefix or provider>/<model_id>`` crediting ``source`` (guessed fields as heuristic)."""
    guessed = set(guessed)
    known = {k: v for k, v in values.items() if v is not None}
    known.setdefault("available", True)
    if api_base is not None:
        known["api_base"] = api_base
    provenance = {field: _provenance(source, field, guessed) for field in known if field != "prices"}
    provenance.update(dict.fromkeys(known.get("prices") or (), source))
    return ModelRecord(
        model=f"{prefix or provider}/{model_id}",
        provider=provider,
        model_id=model_id,
        sources=[source],
        provenance=provenance,
        fetched_at=fetched_at,
        **known,
    )


class HostedListing(SourceBase):
    """A hosted provider's model listing, fetched with the user's key; subclasses adapt the details.

    Without a credential the source is disabled (the provider is then listed from LiteLLM's map
    only). The listing is authoritative for availability: a model of the provider that LiteLLM
    knows and the listing omits is ``available=False`` for this credential.
    """

    name: ClassVar[str]
    """Source name; also the LiteLLM provider id of its records."""
    default_base_url: ClassVar[str]
    """The provider's API root."""
    env_vars: ClassVar[tuple[str, ...]] = ()
    """Credential variables, LiteLLM's name first (a built-in provider's come from its entry in
    :data:`~massgen_discovery.providers.PROVIDERS`)."""
    path: ClassVar[str] = "/models"
    """Listing path under the base URL."""
    ttl: float = 24 * 3600.0
    """Hosted listings change rarely: a day."""
    reuses_previous: ClassVar[bool] = False
    """A listing is fetched whole: the last one is not read back before a fetch."""
    key_required: ClassVar[bool] = True
    """False for listings that work without a key (OpenRouter)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "env_vars" not in cls.__dict__ and "name" in cls.__dict__:
            from ..providers import provider_info

            cls.env_vars = provider_info(cls.name).env_vars

    def __init__(self, base_url: str | None = None, credential: str | None = None) -> None:
        env = os.environ.get(f"MASSGEN_DISCOVERY_{self.name.upper()}_BASE_URL")
        key = credential or next((os.environ[v] for v in self.env_vars if os.environ.get(v)), None)
        super().__init__(base_url or env or self.default_base_url, key)

    @property
    def provider(self) -> str:
        """LiteLLM provider id of the records (the source name)."""
        return self.name

    @property
    def enabled(self) -> bool:
        """Whether the source can be fetched now (a key is set, or none is needed)."""
        return self._credential is not None or not self.key_required

    @property
    def authoritative_for(self) -> str | None:
        """The provider whose availability this listing decides (only with a key: it is per account)."""
        return self.provider if self._credential is not None else None

    def headers(self) -> dict[str, str]:
        """Auth headers; Bearer by default (the key is scrubbed from every message)."""
        return {"Authorization": f"Bearer {self._credential}"} if self._credential else {}

    conditional_get = True
    """:meth:`fetch` takes the ``validators`` of its stored listing (see ``SourceHooks``)."""

    async def get(
        self,
        client: httpx.AsyncClient,
        url: str,
        params: dict[str, str] | None = None,
        *,
        validators: ConditionalGet | None = None,
    ) -> Any:
        """GET + JSON with this source's auth and error translation (conditional with ``validators``)."""
        from ._http import get_json

        return await get_json(
            client,
            url,
            source=self.name,
            credential=self._credential,
            env_var=self.env_vars[0] if self.env_vars else None,
            headers=self.headers(),
            params=params,
            bearer=False,
            validators=validators,
        )

    async def fetch(
        self, client: httpx.AsyncClient, previous: Any = None, *, validators: ConditionalGet | None = None
    ) -> Any:
        """GET ``{base}{path}``."""
        return await self.get(client, self._url(self.path), validators=validators)

    def entry_values(self, entry: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Values for one entry; override to read provider-specific fields."""
        return generic_values(entry)

    def entry_ids(self, entry: dict[str, Any]) -> list[str]:
        """The ids an entry stands for (override to add aliases listed inside an entry)."""
        model_id = entry_id(entry)
        return [model_id] if model_id else []

    def to_records(self, payload: Any, fetched_at: datetime) -> list[ModelRecord]:
        """One record per listed id; a broken entry is skipped."""
        try:
            items = entries(payload)
        except SourceFormatError as exc:
            raise SourceFormatError(f"{self.name}: {exc}", source=self.name) from None
        out: dict[str, ModelRecord] = {}
        for entry in items:
            try:
                values, guessed = self.entry_values(entry)
                for model_id in self.entry_ids(entry):
                    record = records_from_values(self.name, self.provider, model_id, values, guessed, fetched_at)
                    out.setdefault(record.model, record)
            except (TypeError, ValueError, AttributeError):
                continue  # one bad entry is not fatal
        return list(out.values())
