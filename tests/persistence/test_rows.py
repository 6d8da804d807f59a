"""A generation's rows: records survive the trip through parts, and a build reuses what did not move."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from massgen_discovery._persistence import rows
from massgen_discovery.records import Conflict, ModelRecord

AT = datetime(2026, 11, 30, 12, 0, 1, 123456, tzinfo=timezone.utc)


def _record(model: str, **values: Any) -> ModelRecord:
    provider, _, model_id = model.partition("/")
    return ModelRecord(model=model, provider=provider, model_id=model_id, **values)


def _catalog() -> dict[str, ModelRecord]:
    spread = [
        Conflict(field="max_input_tokens", kept_value=32768, kept_source="huggingface", other_value=131072,
                 other_source="huggingface:together"),
        # Not the record's own value or source: kept whole.
        Conflict(field="input_cost_per_token", kept_value=2e-6, kept_source="litellm", other_value=1e-6,
                 other_source="groq"),
        # A rate in prices, the record's own: the short form.
        Conflict(field="input_cost_per_token_above_200k_tokens", kept_value=4e-6, kept_source="litellm",
                 other_value=3e-6, other_source="openrouter"),
    ]  # fmt: skip
    records = [
        _record("huggingface/org/model", max_input_tokens=32768, input_cost_per_token=1e-6,
                supports_function_calling=True, sources=["huggingface", "huggingface:together"],
                provenance={"max_input_tokens": "huggingface", "input_cost_per_token": "groq",
                            "supports_function_calling": "huggingface",
                            "input_cost_per_token_above_200k_tokens": "litellm"},
                prices={"input_cost_per_token_above_200k_tokens": 4e-6},
                conflicts=spread, fetched_at=AT),
        _record("huggingface/together/org/model", served_by="together", max_input_tokens=131072,
                first_token_latency_ms=210.5, available=True, status="live", sources=["huggingface"],
                provenance={"max_input_tokens": "huggingface", "first_token_latency_ms": "huggingface",
                            "available": "huggingface", "status": "huggingface"}, fetched_at=AT),
        # A known value without a source, a flag that is False, a zero price.
        _record("groq/llama", mode="chat", supports_vision=False, input_cost_per_token=0.0,
                sources=["groq"], provenance={"mode": "groq", "supports_vision": "groq"}),
        _record("openai/gpt-x"),
    ]  # fmt: skip
    return {r.model: r for r in sorted(records, key=lambda r: r.model)}


def _read_back(items: dict[str, str], prefix: str) -> dict[str, ModelRecord]:
    directory = rows.read_directory(items[f"{prefix}:dir"])
    assert directory is not None
    out: dict[str, ModelRecord] = {}
    for key in directory.names:
        decoded = rows.decode_part(key, items[key])
        assert decoded is not None
        out.update((r.model, r) for r in decoded)
    return out


def test_records_read_back_as_they_were_written() -> None:
    """Every field, provenance, prices and conflicts (short and whole forms), and the fetch time."""
    merged = _catalog()
    items = rows.encode_generation("catalog:c:g1", merged, {"aliases": {}, "lower": {}})
    assert _read_back(items, "catalog:c:g1") == merged
    directory = rows.read_directory(items["catalog:c:g1:dir"])
    assert directory is not None
    stored = [doc for key in directory.names for doc in rows.part_docs(key, items[key]) or []]
    # Each part is a table: every field named once, a row of values per record.
    (part,) = [json.loads(items[key]) for key in directory.names if "huggingface" in items[key]]
    assert part["c"][0] == "model" and all(len(row) == len(part["c"]) for row in part["r"])
    aggregate = next(doc for doc in stored if doc["model"] == "huggingface/org/model")
    # The spread's own values are not repeated; the conflict against another source is whole.
    assert sorted(len(c) for c in aggregate["conflicts"]) == [3, 3, 5]
    assert aggregate["fetched_at"] == "2026-11-30T12:00:01.123456Z"


def test_a_part_of_the_same_records_is_reused_not_encoded_again() -> None:
    """The same record objects give the same part, taken from the last build; a moved record only its own part."""
    merged = _catalog()
    first = rows.Encoded()
    items = rows.encode_generation("catalog:c:g1", merged, {"aliases": {}, "lower": {}}, made=first)
    written: dict[str, list[dict[str, Any]]] = {}
    second = rows.Encoded()
    again = rows.encode_generation(
        "catalog:c:g2", merged, {"aliases": {}, "lower": {}}, written, previous=first, made=second
    )
    assert written == {}  # nothing encoded again
    assert {k: v for k, v in again.items() if k.startswith(rows.PART)} == {
        k: v for k, v in items.items() if k.startswith(rows.PART)
    }
    moved = dict(merged)
    moved["groq/llama"] = merged["groq/llama"].model_copy(update={"input_cost_per_token": 1e-7})
    third = rows.Encoded()
    written = {}
    changed = rows.encode_generation(
        "catalog:c:g3", moved, {"aliases": {}, "lower": {}}, written, previous=second, made=third
    )
    assert [doc["model"] for docs in written.values() for doc in docs] == ["groq/llama"]
    assert _read_back(changed, "catalog:c:g3") == moved


def test_a_short_conflict_naming_a_value_the_row_lacks_is_refused() -> None:
    """What the store hands back is input: a short conflict must point at the row's own value and source."""
    doc: dict[str, Any] = {"model": "groq/m", "provider": "groq", "model_id": "m", "provenance": {"*": "groq"},
           "conflicts": [["max_input_tokens", 8192, "litellm"]]}  # fmt: skip
    text = json.dumps([doc])
    assert rows.decode_part(rows.part_key(text), text) is None
    doc["max_input_tokens"] = 131072
    text = json.dumps([doc])
    (record,) = rows.decode_part(rows.part_key(text), text) or []
    assert record.conflicts == [
        Conflict(field="max_input_tokens", kept_value=131072, kept_source="groq", other_value=8192,
                 other_source="litellm")
    ]  # fmt: skip
    # Conflicts as once stored (objects) still read.
    doc["conflicts"] = [{"field": "max_input_tokens", "kept_value": 131072, "kept_source": "groq",
                         "other_value": 8192, "other_source": "litellm"}]  # fmt: skip
    text = json.dumps([doc])
    assert rows.decode_part(rows.part_key(text), text) == [record]


def _index_of(items: dict[str, str], prefix: str, name: str) -> tuple[list[str], dict[str, str]]:
    directory = rows.read_directory(items[f"{prefix}:dir"])
    assert directory is not None
    keys = directory.lookups[name]
    found = rows.read_index(keys, [items[k] for k in keys], name)
    assert found is not None
    return keys, found


def test_a_lookup_index_is_parts_and_an_alias_that_moves_rewrites_only_its_own() -> None:
    """Thousands of aliases across parts; one target moving (a router's ``:fastest``) changes one part."""
    merged = _catalog()
    aliases = {f"lab{n // 50}/alias-{n}": "groq/llama" for n in range(3000)}
    first = rows.Encoded()
    items = rows.encode_generation("catalog:c:g1", merged, {"aliases": aliases, "lower": {}}, made=first)
    keys, found = _index_of(items, "catalog:c:g1", "aliases")
    assert found == aliases and len(keys) > 2
    moved = {**aliases, "lab7/alias-350": "openai/gpt-x"}
    again = rows.encode_generation(
        "catalog:c:g2", merged, {"aliases": moved, "lower": {}}, previous=first, made=rows.Encoded()
    )
    new_keys, found = _index_of(again, "catalog:c:g2", "aliases")
    assert found == moved
    assert len(set(new_keys) - set(keys)) == 1 and len(new_keys) == len(keys)


def test_a_directory_naming_one_part_per_index_still_reads() -> None:
    """Generations written with each index as a single part (a string in ``dir``) read as before."""
    text = json.dumps({"aliases": {"gpt-x": "openai/gpt-x"}})
    key = rows.part_key(text)[len(rows.PART) :]
    directory = rows.read_directory(json.dumps({"parts": [], "aliases": key, "lower": key}))
    assert directory is not None and directory.lookups["aliases"] == [rows.PART + key]
    assert rows.read_index(directory.lookups["aliases"], [text], "aliases") == {"gpt-x": "openai/gpt-x"}
    assert rows.read_directory(json.dumps({"parts": [], "aliases": [], "lower": key})) is None
    assert (
        rows.read_directory(json.dumps({"parts": [], "aliases": [["", key], ["b", "not-a-hash"]], "lower": key}))
        is None
    )
    # Parts of an index are named with their first names, in order.
    assert rows.read_directory(json.dumps({"parts": [], "aliases": [["b", key], ["a", key]], "lower": key})) is None
    assert rows.read_index([rows.PART + key], [text.replace("gpt-x", "gpt-y")], "aliases") is None


def test_a_part_written_as_a_list_of_documents_still_reads() -> None:
    """Parts written before tables (a JSON list of documents) read, are searched and filtered the same."""
    docs = [
        {"model": "groq/a", "provider": "groq", "model_id": "a", "supports_vision": True},
        {"model": "groq/b", "provider": "groq", "model_id": "b", "supports_vision": False},
    ]
    text = json.dumps(docs)
    key = rows.part_key(text)
    assert [r.model for r in rows.decode_part(key, text) or []] == ["groq/a", "groq/b"]
    assert [r.model for r in rows.decode_part(key, text, "supports_vision") or []] == ["groq/a"]
    sound, found = rows.find_in_part(key, text, "groq/b")
    assert sound and found is not None and found.supports_vision is False
    assert rows.find_in_part(key, text, "groq/c") == (True, None)


@pytest.mark.parametrize(
    "part",
    [
        {"c": ["model", "model"], "r": [["groq/a", "groq/a"]]},  # a field named twice
        {"c": ["model", "provider", "model_id"], "r": [["groq/a", "groq"]]},  # a short row
        {"c": ["model", 1], "r": []},  # a field that is not a name
        {"c": ["model"], "r": {"groq/a": 1}},  # rows that are not a list
        {"rows": []},
    ],
)
def test_a_table_of_the_wrong_shape_is_damaged(part: dict[str, Any]) -> None:
    """A table whose rows and fields do not line up is not read at all: the generation is rebuilt."""
    text = json.dumps(part)
    key = rows.part_key(text)
    assert rows.decode_part(key, text) is None
    assert rows.find_in_part(key, text, "groq/a") == (False, None)


def test_a_lookup_builds_only_the_record_it_asks_for() -> None:
    """A point read finds its row by the model column; a query builds only rows whose flag is True."""
    merged = _catalog()
    items = rows.encode_generation("catalog:c:g1", merged, {"aliases": {}, "lower": {}})
    directory = rows.read_directory(items["catalog:c:g1:dir"])
    assert directory is not None
    key = directory.part_for("huggingface/together/org/model")
    assert key is not None
    assert rows.find_in_part(key, items[key], "huggingface/together/org/model") == (
        True,
        merged["huggingface/together/org/model"],
    )
    flagged = [
        r for key in directory.names for r in rows.decode_part(key, items[key], "supports_function_calling") or []
    ]
    assert flagged == [merged["huggingface/org/model"]]


def test_a_cold_lookup_reads_the_one_index_part_a_name_can_be_in() -> None:
    """The directory names each index part with its first name: a name is looked up in one part."""
    aliases = {f"lab{n // 50}/alias-{n}": f"groq/m{n}" for n in range(3000)}
    items = rows.encode_generation("catalog:c:g1", _catalog(), {"aliases": aliases, "lower": {}})
    directory = rows.read_directory(items["catalog:c:g1:dir"])
    assert directory is not None and len(directory.lookups["aliases"]) > 2
    for name in ("lab0/alias-0", "lab7/alias-377", "lab59/alias-2999"):
        key = directory.lookup_part("aliases", name)
        assert key is not None
        assert (rows.read_index([key], [items[key]], "aliases") or {}).get(name) == aliases[name]
    assert directory.lookup_part("aliases", "0-before-every-name") is None
