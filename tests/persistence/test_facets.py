"""A generation's facets row: what a search reads, written with the parts and refused whole when forged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from massgen_discovery._persistence import facets, rows
from massgen_discovery.records import ModelRecord

PREFIX = "catalog:test:g1"
INDEX: dict[str, Any] = {"aliases": {}, "lower": {}}


def _record(model: str, **values: Any) -> ModelRecord:
    provider, _, model_id = model.partition("/")
    return ModelRecord(model=model, provider=provider, model_id=model_id, **values)


def _merged(count: int = 600) -> dict[str, ModelRecord]:
    out = [
        _record(f"lab{i % 7}/m{i:04d}", max_input_tokens=1000 * (i + 1), supports_function_calling=i % 3 == 0,
                input_cost_per_token=None if i % 5 == 0 else i * 1e-9, input_modalities=["text", "image"],
                release_date=f"2025-01-{1 + i % 28:02d}", served_by="groq" if i % 11 == 0 else None)
        for i in range(count)
    ]  # fmt: skip
    return {r.model: r for r in sorted(out, key=lambda r: r.model)}


def _facets_row(items: dict[str, str]) -> tuple[str, str, int]:
    directory = rows.read_directory(items[f"{PREFIX}:dir"])
    assert directory is not None and directory.facets is not None
    assert directory.facets in directory.every_part()  # kept alive with the generation's parts
    return directory.facets, items[directory.facets], sum(directory.counts)


def test_every_record_has_its_facet_with_the_records_own_values() -> None:
    """One facet per record, in model order, each field the record's own (per_million too)."""
    merged = _merged()
    _key, raw, count = _facets_row(rows.encode_generation(PREFIX, merged, INDEX))
    read = facets.read_facets(raw, count)
    assert read is not None and [f.model for f in read] == list(merged)
    for facet in read:
        record = merged[facet.model]
        assert all(getattr(facet, name) == getattr(record, name) for name in facets.FIELDS)
        assert facet.per_million("input") == record.per_million("input")


def test_a_build_reuses_the_facet_rows_of_parts_that_did_not_move() -> None:
    """A second build with one record changed gives the facets a first build of that catalog gives."""
    merged = _merged()
    first = rows.Encoded()
    rows.encode_generation(PREFIX, merged, INDEX, made=first)
    changed = dict(merged)
    name = next(iter(changed))
    changed[name] = changed[name].model_copy(update={"max_input_tokens": 7})
    again = rows.encode_generation(PREFIX, changed, INDEX, previous=first, made=rows.Encoded())
    fresh = rows.encode_generation(PREFIX, changed, INDEX)
    assert _facets_row(again)[1] == _facets_row(fresh)[1]


def _forged(raw: str, change: Any) -> str:
    doc = json.loads(raw)
    change(doc)
    return json.dumps(doc)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["v"][5].__setitem__(3, 10**12),  # a context no model has
        lambda d: d["v"][7].__setitem__(3, -1e-6),  # a negative price
        lambda d: d["v"][12].__setitem__(3, "yes"),  # a flag that is not a boolean
        lambda d: d["v"][4].__setitem__(3, 1),  # an int where a boolean belongs
        lambda d: d["v"][9].__setitem__(3, ["text", 3]),  # a modality that is not a name
        lambda d: d["v"][0].reverse(),  # out of order
        lambda d: d["v"][6].pop(),  # a record short in one field
        lambda d: d["c"].reverse(),  # other columns
        lambda d: d["v"].append([None] * 600),  # a field too many
        lambda d: d["v"][0].__setitem__(3, "x" * 5000),  # a name longer than any
    ],
)
def test_a_facets_row_that_is_not_what_a_build_writes_is_refused_whole(change: Any) -> None:
    """Any value of the wrong type or out of the gate's range, or a changed shape: None (the parts are read)."""
    _key, raw, count = _facets_row(rows.encode_generation(PREFIX, _merged(), INDEX))
    forged = _forged(raw, change)
    assert facets.read_facets(forged, count) is None


def test_a_facets_row_must_hash_to_its_name_and_parse() -> None:
    items = rows.encode_generation(PREFIX, _merged(), INDEX)
    directory = rows.read_directory(items[f"{PREFIX}:dir"])
    assert directory is not None and directory.facets is not None
    raw = items[directory.facets]
    assert rows.facets_of(directory, raw) is not None
    assert rows.facets_of(directory, raw.replace('"lab1', '"lab9', 1)) is None
    assert rows.facets_of(directory, None) is None
    assert facets.read_facets(raw[: len(raw) // 2], 600) is None
    assert facets.read_facets(raw.replace("null", "NaN", 1), 600) is None


def test_every_field_a_search_reads_is_a_facet() -> None:
    """A capability or criterion added to records without its facet would fail a search, not pass it."""
    from massgen_discovery._domain.query import build_query, run_query
    from massgen_discovery.records import CAPABILITY_FIELDS

    assert set(CAPABILITY_FIELDS) <= set(facets.FIELDS)
    merged = _merged(50)
    read = facets.read_facets(_facets_row(rows.encode_generation(PREFIX, merged, INDEX))[1], 50)
    assert read is not None
    every: dict[str, Any] = dict.fromkeys(CAPABILITY_FIELDS, True)
    question = build_query(
        providers=["lab1"], mode="chat", min_context=1, min_output=1, max_input_cost=9, max_output_cost=9,
        input_modalities=["text"], output_modalities=["text"], available=True, pinned=False, query="m",
        include_unknown=True, sort="newest", **every,
    )  # fmt: skip
    expected = [r.model for r in run_query(merged.values(), question)]
    assert expected and [f.model for f in run_query(read, question)] == expected
    assert [f.per_million("input") for f in read] == [r.per_million("input") for r in merged.values()]
