"""Searches: run on a generation's facets, answered with the records the caller touches.

Each catalog here is real (LiteLLM's bundled map, a diskcache on disk); "cold" is a new catalog on
a warm cache, as in a fresh process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from massgen_discovery import Catalog
from massgen_discovery._domain.query import build_query, run_query
from massgen_discovery._orchestration.search import Records
from massgen_discovery._persistence import rows
from massgen_discovery._persistence.docs import from_doc as decode
from massgen_discovery.testing import StaticSource

from ..persistence.test_gate import _plant, _rows_like, _value
from ..support import lab

QUESTIONS: list[dict[str, Any]] = [
    {"tools": True, "min_context": 128_000},
    {"vision": True, "reasoning": True, "sort": "price", "limit": 7},
    {"tools": True, "include_unknown": True, "max_input_cost": 0.5},
    {"reasoning": False, "sort": "newest"},
    {"query": ["gpt", "mini"], "sort": "context"},
    {"providers": ["anthropic"], "min_output": 8_000},
    {"mode": ["chat", "responses"], "max_output_cost": 2, "input_modalities": ["image"]},
    {"pinned": False, "available": None, "output_modalities": ["text"], "limit": 3},
    {"structured_output": True, "prompt_caching": False},
    {"min_context": 10**9},
]


@pytest.fixture
def warm_cache(cache_dir: Path) -> Path:
    with Catalog(sources=["litellm"], offline=True) as catalog:
        assert catalog.get_model("gpt-4o") is not None  # the generation is built and stored
    return cache_dir


def _cold() -> Catalog:
    return Catalog(sources=["litellm"], offline=True)


@pytest.mark.parametrize("criteria", QUESTIONS)
def test_a_cold_answer_is_a_full_scans(warm_cache: Path, criteria: dict[str, Any]) -> None:
    """From the facets, the same records in the same order as the filters over every record."""
    expected = run_query(_cold().list_models(), build_query(**criteria))
    answer = _cold().find_models(**criteria)
    assert isinstance(answer, Records)
    assert answer == expected and list(answer) == expected and len(answer) == len(expected)


def test_an_answer_builds_what_the_caller_reads(warm_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands match; reading the first builds one part's worth, iterating builds each once."""
    built: list[str] = []

    def counting(doc: Any) -> Any:
        built.append(doc.get("model"))
        return decode(doc)

    monkeypatch.setattr(rows, "from_doc", counting)
    answer = _cold().find_models(tools=True)
    assert len(answer) > 1000 and built == []
    first = answer[0]
    assert first.supports_function_calling is True and 0 < len(built) <= 64
    assert answer[-1].model == list(answer)[-1].model
    assert sorted(built) == sorted({r.model for r in answer})  # each record built once
    assert answer[:3] == list(answer)[:3] and answer[::500] == list(answer)[::500]


def test_a_second_asking_gets_the_same_answer_until_the_generation_moves(cache_dir: Path) -> None:
    source = StaticSource("mylab", [lab("m1", supports_function_calling=True)])
    catalog = Catalog(sources=["litellm", source])
    first = catalog.find_models(tools=True, providers=["mylab"])
    assert [r.model for r in first] == ["mylab/m1"]
    assert catalog.find_models(tools=True, providers=["mylab"]) is first
    source.records = [lab("m1", supports_function_calling=True), lab("m2", supports_function_calling=True)]
    catalog.refresh(["mylab"])
    assert [r.model for r in catalog.find_models(tools=True, providers=["mylab"])] == ["mylab/m1", "mylab/m2"]


def test_an_answer_over_a_damaged_part_reads_the_mended_generation(warm_cache: Path) -> None:
    """A part that no longer hashes to its name, read after the answer was given: every record still comes."""
    expected = [r.model for r in run_query(_cold().list_models(), build_query(tools=True))]
    answer = _cold().find_models(tools=True)
    (dir_key, dir_value), *_ = _rows_like(warm_cache, "catalog:%:dir")
    directory = rows.read_directory(_value(warm_cache, dir_key, dir_value))
    assert directory is not None
    key = directory.part_for(expected[len(expected) // 2])
    assert key is not None
    _plant(warm_cache, [(key, 1, None, '{"c": ["model"], "r": [["forged/x"]]}')])
    assert [r.model for r in answer] == expected


def test_a_forged_facets_row_is_not_read(warm_cache: Path) -> None:
    """A facets row that does not hash to its name: the search reads the parts, with the same answer."""
    expected = run_query(_cold().list_models(), build_query(tools=True, min_context=200_000))
    (dir_key, dir_value), *_ = _rows_like(warm_cache, "catalog:%:dir")
    directory = rows.read_directory(_value(warm_cache, dir_key, dir_value))
    assert directory is not None and directory.facets is not None
    _plant(warm_cache, [(directory.facets, 1, None, '{"c": [], "r": []}')])
    answer = _cold().find_models(tools=True, min_context=200_000)
    assert answer == expected and not isinstance(answer[0], tuple)


def test_an_answer_reads_as_a_sequence() -> None:
    records = [lab(f"m{i}") for i in range(5)]
    answer = Records.of(records)
    assert len(answer) == 5 and answer[-1] == records[-1] and answer[1:3] == records[1:3]
    assert answer == records and records == answer and answer != records[:4] and answer != "m0"
    assert answer + records[:1] == [*records, records[0]] and records[:1] + answer == [records[0], *records]
    assert records[2] in answer and answer.index(records[3]) == 3 and repr(answer) == repr(records)
    with pytest.raises(IndexError):
        answer[5]
    with pytest.raises(TypeError):
        hash(answer)
