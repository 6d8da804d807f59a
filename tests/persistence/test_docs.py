"""A record's stored document: short forms written, and the same record read back."""

from __future__ import annotations

from typing import Any

from massgen_discovery._persistence.docs import compact, from_doc, stored_conflicts
from massgen_discovery.records import Conflict, ModelRecord


def test_provenance_names_the_main_source_once_and_the_others_by_field() -> None:
    """``*`` for the source most fields share, the others by name, ``-`` for known fields without one."""
    row: dict[str, Any] = {
        "model": "groq/m", "provider": "groq", "model_id": "m", "mode": "chat", "max_input_tokens": 8192,
        "supports_vision": False, "input_cost_per_token": 1e-7,
        "provenance": {"mode": "groq", "max_input_tokens": "groq", "input_cost_per_token": "litellm"},
    }  # fmt: skip
    stored = compact(dict(row))
    assert stored["provenance"] == {"*": "groq", "input_cost_per_token": "litellm", "-": "supports_vision"}
    record = from_doc(stored)
    assert record is not None and record.provenance == row["provenance"]


def test_a_spread_of_the_records_own_value_is_stored_short_and_read_back_whole() -> None:
    """``[field, other value, other source]`` when the kept value and source are the row's own."""
    own = Conflict(field="max_input_tokens", kept_value=32768, kept_source="huggingface", other_value=131072,
                   other_source="huggingface:together")  # fmt: skip
    other = Conflict(field="max_input_tokens", kept_value=65536, kept_source="litellm", other_value=131072,
                     other_source="groq")  # fmt: skip
    row: dict[str, Any] = {"model": "huggingface/o/m", "provider": "huggingface", "model_id": "o/m",
                           "max_input_tokens": 32768, "provenance": {"max_input_tokens": "huggingface"}}  # fmt: skip
    stored = stored_conflicts(row, [own, other], row["provenance"])
    assert stored == [("max_input_tokens", 131072, "huggingface:together"),
                      ("max_input_tokens", 131072, "groq", 65536, "litellm")]  # fmt: skip
    record = from_doc({**row, "conflicts": [list(c) for c in stored]})
    assert isinstance(record, ModelRecord) and record.conflicts == [own, other]
