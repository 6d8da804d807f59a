"""The canonical shapes every source, the store and every caller agree on.

Field names follow LiteLLM's ``model_cost`` names wherever LiteLLM has one, so a record reads like
a LiteLLM model-info entry with the source of every value attached.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ._domain.frozen import FrozenRecord, factory

if TYPE_CHECKING:
    from ._domain.reports import Change, Disagreement, RefreshReport, SourceStatus

__all__ = [
    "CAPABILITY_FIELDS",
    "Change",
    "LITELLM_FIELDS",
    "MERGEABLE_FIELDS",
    "PRICE_FIELDS",
    "Conflict",
    "Disagreement",
    "ModelRecord",
    "RefreshReport",
    "SourceStatus",
    "known_fields",
]


class Conflict(FrozenRecord):
    """Two sources reported different known values for one field of one model."""

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


class ModelRecord(FrozenRecord):
    """Everything known about one model at one place it is served, with where each value came from.

    Unknown is ``None``: a missing context length or price is never guessed, and a capability
    nobody reported is neither ``True`` nor ``False``.
    """

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
    """USD per input token written to the prompt cache (for 5 minutes, the default)."""
    prices: dict[str, float] | None = None
    """Every other rate a source states, in LiteLLM's names, USD per token (per unit for ``_per_image``,
    ``_per_request``, ``_per_second`` ...): context tiers (``input_cost_per_token_above_200k_tokens``),
    service tiers (``output_cost_per_token_flex``, ``_priority``, ``_batches``), 1-hour cache writes
    (``cache_creation_input_token_cost_above_1hr``), reasoning (``output_cost_per_reasoning_token``),
    audio and image tokens, per-request fees. Each has its source in :attr:`provenance` under its own
    name; :func:`massgen_discovery.pricing.price_call` applies them. None when no source states any."""
    release_date: str | None = None
    """When the model was released, an ISO date as precise as the source says (``2024-05-13``)."""
    knowledge_cutoff: str | None = None
    """The model's training data cutoff, an ISO date as precise as the source says (``2023-09``)."""
    open_weights: bool | None = None
    """Whether the weights are published (tri-state)."""

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

    sources: list[str] = factory(list)
    """Names of the sources that contributed."""
    provenance: dict[str, str] = factory(dict)
    """Field name -> source name, for every known field."""
    conflicts: list[Conflict] = factory(list)
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


PRICE_FIELDS: tuple[str, ...] = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
)
"""The rates that are fields of their own (the standard tier below any context threshold)."""

IDENTITY_FIELDS: tuple[str, ...] = ("model", "provider", "model_id")
"""Fields that name a record; they are the same in every source's copy of one model."""

BOOKKEEPING_FIELDS: tuple[str, ...] = ("sources", "provenance", "conflicts", "fetched_at")
"""Fields that describe where the data came from rather than the model."""

MERGEABLE_FIELDS: tuple[str, ...] = tuple(
    name for name in ModelRecord._fields if name not in IDENTITY_FIELDS + BOOKKEEPING_FIELDS
)
"""Fields reconciled value by value across sources, in declaration order (``prices`` key by key)."""

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


def known_fields(record: ModelRecord) -> list[str]:
    """The names of every known value of ``record``: its known fields, and each of its ``prices``.

    What a source that states all of them credits in :attr:`ModelRecord.provenance`.
    """
    out: list[str] = []
    for name in MERGEABLE_FIELDS:
        value = getattr(record, name)
        if name == "prices":
            out.extend(value or ())
        elif value is not None:
            out.append(name)
    return out


_REPORTS = frozenset({"Change", "ChangeKind", "Disagreement", "RefreshOutcome", "RefreshReport", "SourceStatus"})


def __getattr__(name: str) -> Any:
    # The report models are pydantic models: loaded when asked for, never by a lookup.
    if name in _REPORTS:
        from ._domain import reports as _reports

        return getattr(_reports, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
