"""The canonical shapes every source, the store and every caller agree on.

Field names follow LiteLLM's ``model_cost`` names wherever LiteLLM has one, so a record reads like
a LiteLLM model-info entry with the source of every value attached.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CAPABILITY_FIELDS",
    "Change",
    "LITELLM_FIELDS",
    "MERGEABLE_FIELDS",
    "Conflict",
    "ModelRecord",
    "RefreshReport",
    "SourceStatus",
]

# Validators are built on first validation, not at import: a cold lookup reads a record the store
# wrote itself and constructs it without validation, so it never pays for schema generation.
_FROZEN = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class Conflict(BaseModel):
    """Two sources reported different known values for one field of one model."""

    model_config = _FROZEN

    field: str
    """The record field the sources disagree on."""
    kept_value: Any
    """The value the record carries (the winner by precedence)."""
    kept_source: str
    """The source of the kept value."""
    other_value: Any
    """The value that lost."""
    other_source: str
    """The source of the value that lost."""


class ModelRecord(BaseModel):
    """Everything known about one model at one place it is served, with where each value came from.

    Unknown is ``None``: a missing context length or price is never guessed, and a capability
    nobody reported is neither ``True`` nor ``False``.
    """

    model_config = _FROZEN

    model: str
    """Unique key and the string to pass to ``litellm.completion`` (``groq/llama-3.3-70b-versatile``)."""
    provider: str
    """LiteLLM provider id (``openai``, ``groq``, ``huggingface``, ``ollama`` ...)."""
    model_id: str
    """The provider's own id for the model."""
    served_by: str | None = None
    """HuggingFace inference provider of a pinned route (``together``); for a LiteLLM proxy's model,
    the upstream deployment's model string (``openai/gpt-4o``); else None."""
    mode: str | None = None
    """LiteLLM mode: ``chat``, ``completion``, ``embedding``, ``audio_transcription`` ..."""

    max_input_tokens: int | None = None
    """Context window in tokens."""
    max_output_tokens: int | None = None
    """Longest completion in tokens."""

    input_cost_per_token: float | None = None
    """USD per input token."""
    output_cost_per_token: float | None = None
    """USD per output token."""
    cache_read_input_token_cost: float | None = None
    """USD per input token read from the prompt cache."""
    cache_creation_input_token_cost: float | None = None
    """USD per input token written to the prompt cache."""

    input_modalities: list[str] | None = None
    """Accepted inputs: ``text``, ``image``, ``audio``, ``video``, ``pdf``."""
    output_modalities: list[str] | None = None
    """Produced outputs: ``text``, ``image``, ``audio``."""

    supports_function_calling: bool | None = None
    """Tool / function calling."""
    supports_response_schema: bool | None = None
    """Structured output with a JSON schema."""
    supports_vision: bool | None = None
    """Image input."""
    supports_reasoning: bool | None = None
    """Reasoning / thinking."""
    supports_prompt_caching: bool | None = None
    """Prompt caching."""
    supports_audio_input: bool | None = None
    """Audio input."""
    supports_pdf_input: bool | None = None
    """PDF input."""

    available: bool | None = None
    """Listed by a live source at its last refresh; None when no live source covers it."""
    status: str | None = None
    """Upstream status (``live``, ``staging``, ``error``, ``deprecated``)."""
    deprecation_date: str | None = None
    """ISO date after which the provider retires the model."""

    family: str | None = None
    """Local model family (``qwen3``, ``llama``)."""
    parameter_size: str | None = None
    """Local model size as reported (``8.2B``)."""
    quantization: str | None = None
    """Local model quantization (``Q4_K_M``)."""
    runtime_context_tokens: int | None = None
    """Context window the local server actually runs the model with."""

    first_token_latency_ms: float | None = None
    """Measured time to first token, in milliseconds."""
    throughput_tokens_per_s: float | None = None
    """Measured output speed, in tokens per second."""

    api_base: str | None = None
    """Where to call the model, for self-hosted servers and named endpoints; None for hosted providers."""

    sources: list[str] = Field(default_factory=list)
    """Names of the sources that contributed."""
    provenance: dict[str, str] = Field(default_factory=dict)
    """Field name -> source name, for every known field."""
    conflicts: list[Conflict] = Field(default_factory=list)
    """Known values that lost to a higher-precedence source."""
    fetched_at: datetime | None = None
    """Newest live data that contributed; None when the record is bundled data only."""

    def source_of(self, field: str) -> str | None:
        """Return the source that supplied ``field``, or None when the field is unknown."""
        return self.provenance.get(field)

    def per_million(self, field: Literal["input", "output"]) -> float | None:
        """Return the input or output price in USD per 1M tokens, or None when unknown."""
        value = self.input_cost_per_token if field == "input" else self.output_cost_per_token
        return None if value is None else value * 1_000_000


IDENTITY_FIELDS: tuple[str, ...] = ("model", "provider", "model_id")
"""Fields that name a record; they are the same in every source's copy of one model."""

BOOKKEEPING_FIELDS: tuple[str, ...] = ("sources", "provenance", "conflicts", "fetched_at")
"""Fields that describe where the data came from rather than the model."""

MERGEABLE_FIELDS: tuple[str, ...] = tuple(
    name for name in ModelRecord.model_fields if name not in IDENTITY_FIELDS + BOOKKEEPING_FIELDS
)
"""Fields reconciled value by value across sources, in declaration order."""

CAPABILITY_FIELDS: tuple[str, ...] = tuple(n for n in MERGEABLE_FIELDS if n.startswith("supports_"))
"""The tri-state capability flags."""

LITELLM_FIELDS: tuple[str, ...] = (
    "mode",
    "max_input_tokens",
    "max_output_tokens",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    *CAPABILITY_FIELDS,
    "deprecation_date",
)
"""Record fields that ``litellm.model_cost`` entries carry under the same name."""

RefreshOutcome = Literal["ok", "stale", "failed", "skipped"]


class RefreshReport(BaseModel):
    """What one source did during a refresh."""

    model_config = _FROZEN

    source: str
    """Source name."""
    outcome: RefreshOutcome
    """``ok`` fresh data stored; ``stale`` the refresh failed or was suspect and the last good data
    is served; ``failed`` it failed and there is nothing to serve; ``skipped`` not attempted
    (offline, or backing off after a failure)."""
    count: int = 0
    """Records the source now contributes."""
    seconds: float = 0.0
    """Wall time spent on this source."""
    error: str | None = None
    """One-line reason when the outcome is not ``ok``."""
    changes: int | None = None
    """Changes (added, removed, changed fields) this refresh brought from this source, or held back
    for a suspect listing; None when no history was kept (no new generation)."""


class SourceStatus(BaseModel):
    """The state of one source as the store knows it."""

    model_config = _FROZEN

    source: str
    """Source name."""
    live: bool
    """True for sources fetched over the network, False for bundled data."""
    base_url: str | None = None
    """Where the source is fetched from."""
    fetched_at: datetime | None = None
    """When the data being served was fetched."""
    expires_at: datetime | None = None
    """When the data being served is due for a refresh."""
    count: int = 0
    """Records the source contributes."""
    stale: bool = False
    """True when the data being served is older than its TTL or the last refresh failed."""
    degraded: bool = False
    """True when the last refresh was suspect (much smaller listing, 10x jumps) and was not applied."""
    error: str | None = None
    """The last refresh's error, one line."""
    retry_at: datetime | None = None
    """Automatic refreshes leave the source alone until then (negative cache)."""
    notes: list[str] = Field(default_factory=list)
    """Values the last accepted listing sent that no real model can have, kept as unknown (why)."""
    shared_store: str | None = None
    """The Redis URL this source's data is shared on with other machines (password redacted)."""


ChangeKind = Literal["added", "removed", "changed"]


class Change(BaseModel):
    """One difference between two accepted generations, or one a guard rail held back."""

    model_config = _FROZEN

    at: datetime
    """When the generation was accepted (or the listing held back)."""
    model: str
    """The record's ``model`` string."""
    provider: str
    """Its provider."""
    kind: ChangeKind
    """``added`` a new model; ``removed`` a model gone; ``changed`` one field moved."""
    field: str | None = None
    """The field that changed (``changed`` only)."""
    old: Any = None
    """The value before (None: unknown)."""
    new: Any = None
    """The value after (None: unknown)."""
    source: str | None = None
    """The source of the new value (of the old one when the value became unknown, of the model
    for ``added`` and ``removed``)."""
    held: bool = False
    """True when a guard rail kept this change out (the listing was suspect); see ``reason``."""
    reason: str | None = None
    """Why a held change was held."""
    generation: str | None = None
    """The generation that brought it (None when held)."""
