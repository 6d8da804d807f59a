from __future__ import annotations

import pydantic
import pytest

from massgen_discovery import ModelRecord
from massgen_discovery.records import CAPABILITY_FIELDS, MERGEABLE_FIELDS

DESIGN_FIELDS = [
    "model", "provider", "model_id", "served_by", "mode", "max_input_tokens", "max_output_tokens",
    "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
    "cache_creation_input_token_cost", "input_modalities", "output_modalities",
    "supports_function_calling", "supports_response_schema", "supports_vision", "supports_reasoning",
    "supports_prompt_caching", "supports_audio_input", "supports_pdf_input", "available", "status",
    "deprecation_date", "family", "parameter_size", "quantization", "runtime_context_tokens",
    "first_token_latency_ms", "throughput_tokens_per_s", "api_base", "sources", "provenance", "conflicts",
    "fetched_at",
]  # fmt: skip


def test_record_has_exactly_the_contract_fields() -> None:
    """ModelRecord's fields are the ones the design contract names, in its order."""
    assert list(ModelRecord.model_fields) == DESIGN_FIELDS


def test_unknown_is_none_and_records_are_frozen() -> None:
    """Every optional field defaults to unknown (None), and records cannot be mutated."""
    record = ModelRecord(model="x/y", provider="x", model_id="y")
    for name in MERGEABLE_FIELDS:
        assert getattr(record, name) is None
    with pytest.raises(pydantic.ValidationError):
        record.max_input_tokens = 5  # type: ignore[misc]


def test_capability_fields_are_the_tri_state_flags() -> None:
    """The capability list is every supports_* field."""
    assert CAPABILITY_FIELDS == (
        "supports_function_calling",
        "supports_response_schema",
        "supports_vision",
        "supports_reasoning",
        "supports_prompt_caching",
        "supports_audio_input",
        "supports_pdf_input",
    )


def test_json_round_trip() -> None:
    """model_dump(mode='json') reads back to an equal record."""
    record = ModelRecord(
        model="x/y",
        provider="x",
        model_id="y",
        input_cost_per_token=1e-6,
        provenance={"input_cost_per_token": "litellm"},
    )
    assert ModelRecord.model_validate(record.model_dump(mode="json")) == record
    assert record.per_million("input") == pytest.approx(1.0)
