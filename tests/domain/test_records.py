from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic
import pytest

from massgen_discovery import ModelRecord
from massgen_discovery.records import CAPABILITY_FIELDS, MERGEABLE_FIELDS

DESIGN_FIELDS = [
    "model", "provider", "model_id", "served_by", "mode", "max_input_tokens", "max_output_tokens",
    "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
    "cache_creation_input_token_cost", "prices", "release_date", "knowledge_cutoff", "open_weights",
    "input_modalities", "output_modalities",
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
        record.max_input_tokens = 5


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


# -- the light record class: pydantic where data enters, not where it is read --------------------


def _full_record() -> ModelRecord:
    return ModelRecord(
        model="x/y",
        provider="x",
        model_id="y",
        max_input_tokens="128000",  # coerced like any pydantic field
        input_cost_per_token=1e-6,
        supports_vision=True,
        sources=["litellm", "x"],
        provenance={"max_input_tokens": "x"},
        conflicts=[{"field": "max_input_tokens", "kept_value": 128000, "kept_source": "x",
                    "other_value": 64000, "other_source": "litellm"}],
        fetched_at="2026-11-01T12:00:00Z",
    )  # fmt: skip


def test_construction_validates_and_reading_a_stored_row_does_not() -> None:
    record = _full_record()
    assert record.max_input_tokens == 128000 and record.conflicts[0].other_source == "litellm"
    assert record.fetched_at is not None and record.fetched_at.tzinfo is not None
    with pytest.raises(pydantic.ValidationError):
        ModelRecord(model="x/y", provider="x", model_id="y", max_input_tokens="lots")
    with pytest.raises(pydantic.ValidationError):
        ModelRecord(model="x/y", provider="x")
    raw = ModelRecord.model_construct(model="x/y", provider="x", model_id="y", not_a_field=1)
    assert raw == ModelRecord(model="x/y", provider="x", model_id="y")
    assert raw.sources == [] and raw.sources is not ModelRecord.model_construct(model="a").sources


def test_json_is_pydantics_and_pydantic_accepts_the_record_anywhere() -> None:
    """TypeAdapter, a user's BaseModel with record fields, and JSON schema all work as with a BaseModel."""
    record = _full_record()
    data = json.loads(record.model_dump_json())
    assert list(data) == DESIGN_FIELDS and data["fetched_at"] == "2026-11-01T12:00:00Z"
    assert data["conflicts"][0]["kept_value"] == 128000
    assert record.model_dump(mode="json") == data
    assert json.loads(record.model_dump_json(exclude_defaults=True)).keys() == {
        "model", "provider", "model_id", "max_input_tokens", "input_cost_per_token", "supports_vision",
        "sources", "provenance", "conflicts", "fetched_at",
    }  # fmt: skip
    adapter = pydantic.TypeAdapter(list[ModelRecord])
    assert adapter.validate_json(adapter.dump_json([record])) == [record]
    assert adapter.validate_python([record])[0] is record

    class Pick(pydantic.BaseModel):
        chosen: ModelRecord
        reason: str

    pick = Pick(chosen=record.model_dump(), reason="cheapest")  # type: ignore[arg-type]
    assert pick.chosen == record and isinstance(pick.chosen, ModelRecord)
    assert json.loads(pick.model_dump_json())["chosen"] == data
    assert ModelRecord.model_json_schema()["required"] == ["model", "provider", "model_id"]


def test_copy_pickle_hash_and_repr() -> None:
    record = _full_record()
    assert pickle.loads(pickle.dumps(record)) == record
    assert copy.deepcopy(record) == record and copy.deepcopy(record).conflicts is not record.conflicts
    changed = record.model_copy(update={"mode": "chat"})
    assert changed.mode == "chat" and record.mode is None and changed != record
    assert repr(record).startswith("ModelRecord(model='x/y', provider='x', model_id='y', served_by=None")
    assert dict(record)["max_input_tokens"] == 128000 and list(dict(record)) == DESIGN_FIELDS
    with pytest.raises(TypeError):
        hash(record)  # list fields, as with a frozen pydantic model


def test_a_cold_lookup_and_query_never_import_pydantic(tmp_path: Path) -> None:
    env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path), "MASSGEN_DISCOVERY_OFFLINE": "1"}
    code = (
        "import sys; from massgen_discovery import get_model, find_models; r = get_model('gpt-4o');"
        "found = find_models(supports_function_calling=True, min_context=128000);"
        "print(r.max_input_tokens > 0, len(found) > 10, 'pydantic' in sys.modules)"
    )
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert first.stdout.split() == ["True", "True", "True"], first.stderr  # the build validates the map
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert second.stdout.split() == ["True", "True", "False"], second.stderr


def test_the_pydantic_free_dump_is_pydantics_dump() -> None:
    """plain()/to_json and the fast model_dump paths give what the pydantic twin gives."""
    record = _full_record()
    twin = record._as_twin()
    for kwargs in ({}, {"exclude_defaults": True}, {"indent": 2}):
        assert record.model_dump_json(**kwargs) == twin.model_dump_json(**kwargs)
    for kwargs in ({}, {"mode": "json"}, {"mode": "json", "exclude_defaults": True}):  # type: ignore[assignment]
        assert record.model_dump(**kwargs) == twin.model_dump(**kwargs)
    assert record.model_dump(include={"model"}) == {"model": "x/y"}  # anything else goes through pydantic
    adapter = pydantic.TypeAdapter(list[ModelRecord])
    twins: Any = pydantic.TypeAdapter(list[type(twin)])  # type: ignore[arg-type, misc]
    assert adapter.dump_json([record], exclude_defaults=True) == twins.dump_json([twin], exclude_defaults=True)
