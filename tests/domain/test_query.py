"""Every search criterion of query.py, on records built by hand: known, unknown and include_unknown."""

from __future__ import annotations

import pytest

from massgen_discovery import ConfigError, ModelRecord
from massgen_discovery._domain.query import Query, build_query, run_query


def rec(name: str, **fields: object) -> ModelRecord:
    provider, _, model_id = name.partition("/")
    return ModelRecord(model=name, provider=provider, model_id=model_id, **fields)


BIG = rec("a/big", mode="chat", max_input_tokens=200_000, max_output_tokens=64_000, input_cost_per_token=3e-6,
          output_cost_per_token=15e-6, supports_function_calling=True, supports_vision=True,
          input_modalities=["text", "image"], output_modalities=["text"], available=True)  # fmt: skip
SMALL = rec("b/small", mode="chat", max_input_tokens=8_192, max_output_tokens=2_048, input_cost_per_token=1e-7,
            output_cost_per_token=2e-7, supports_function_calling=False, input_modalities=["text"],
            output_modalities=["text"], available=False)  # fmt: skip
BLANK = rec("c/blank")  # nothing known
EMBED = rec("a/embed", mode="embedding", max_input_tokens=8_192, input_cost_per_token=2e-8)
PINNED = rec("huggingface/together/org/m", served_by="together", mode="chat")
ALL = [BIG, SMALL, BLANK, EMBED, PINNED]


def names(**criteria: object) -> list[str]:
    return [r.model for r in run_query(ALL, build_query(**criteria))]  # type: ignore[arg-type]


def test_no_criteria_matches_everything_sorted_by_name() -> None:
    assert names() == sorted(r.model for r in ALL)


def test_providers_and_provider() -> None:
    assert names(providers=["a"]) == ["a/big", "a/embed"]
    assert names(provider="b") == ["b/small"]
    assert names(provider="b", providers=["a"]) == ["a/big", "a/embed", "b/small"]


def test_mode_one_or_several_and_unknown() -> None:
    assert names(mode="embedding") == ["a/embed"]
    assert names(mode=["chat", "embedding"]) == ["a/big", "a/embed", "b/small", "huggingface/together/org/m"]
    assert "c/blank" in names(mode="chat", include_unknown=True)


@pytest.mark.parametrize(("criterion", "field"), [("tools", "supports_function_calling"), ("vision", "supports_vision"),
                                                  ("supports_function_calling", "supports_function_calling")])  # fmt: skip
def test_capabilities_true_false_and_unknown(criterion: str, field: str) -> None:
    assert names(**{criterion: True}) == [
        r.model for r in sorted(ALL, key=lambda r: r.model) if getattr(r, field) is True
    ]
    if field == "supports_function_calling":
        assert names(**{criterion: False}) == ["b/small"]
    assert "c/blank" not in names(**{criterion: True})
    assert "c/blank" in names(**{criterion: True}, include_unknown=True)


def test_min_context_and_min_output() -> None:
    assert names(min_context=128_000) == ["a/big"]
    assert names(min_context=8_192) == ["a/big", "a/embed", "b/small"]
    assert names(min_output=4_096) == ["a/big"]
    assert set(names(min_output=4_096, include_unknown=True)) == {
        "a/big",
        "a/embed",
        "c/blank",
        "huggingface/together/org/m",
    }


def test_max_input_and_output_cost_per_million() -> None:
    assert names(max_input_cost=0.1) == ["a/embed", "b/small"]  # $0.10 per 1M keeps exactly 1e-7 per token
    assert names(max_output_cost=1) == ["b/small"]
    assert "c/blank" in names(max_output_cost=1, include_unknown=True)


def test_modalities_must_all_be_covered() -> None:
    assert names(input_modalities=["image"]) == ["a/big"]
    assert names(input_modalities=["text", "image"]) == ["a/big"]
    assert names(output_modalities=["text"]) == ["a/big", "b/small"]
    assert "c/blank" in names(input_modalities=["image"], include_unknown=True)


def test_available_and_pinned() -> None:
    assert names(available=True) == ["a/big"]
    assert names(available=False) == ["b/small"]
    assert names(pinned=True) == ["huggingface/together/org/m"]
    assert "huggingface/together/org/m" not in names(pinned=False)


def test_query_terms_all_must_match_case_insensitively() -> None:
    assert names(query="BIG") == ["a/big"]
    assert names(query=["a/", "e"]) == ["a/embed"]


def test_sort_price_context_name_and_limit() -> None:
    assert names(sort="price") == ["a/embed", "b/small", "a/big", "c/blank", "huggingface/together/org/m"]
    assert names(sort="context")[:3] == ["a/big", "a/embed", "b/small"]  # largest first, ties by name
    assert names(sort="context")[-2:] == ["c/blank", "huggingface/together/org/m"]  # unknown last
    assert names(sort="price", limit=2) == ["a/embed", "b/small"]


def test_bad_criteria_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown criterion"):
        build_query(colour="blue")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="sort"):
        build_query(sort="size")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="limit"):
        build_query(limit=-1)
    with pytest.raises(ValueError, match="unknown capability"):
        Query(capabilities={"supports_teleport": True})


@pytest.mark.parametrize(
    "criteria",
    [
        {},
        {"supports_function_calling": True, "min_context": 128_000},
        {"supports_function_calling": False, "include_unknown": True},
        {"supports_vision": True, "max_input_cost": 1.0, "sort": "price"},
        {"available": False},
        {"available": True, "include_unknown": True, "sort": "context"},
        {"mode": ["chat", "responses"], "min_output": 16_000, "max_output_cost": 5},
        {"providers": ["openai", "groq"], "input_modalities": ["image"], "query": "gpt"},
        {"pinned": False, "supports_reasoning": True, "supports_prompt_caching": True, "limit": 7},
    ],
)
def test_the_compiled_filters_agree_with_matches_on_the_whole_catalog(criteria: dict[str, object]) -> None:
    """run_query's filter passes select exactly what Query.matches accepts, in the same order."""
    from massgen_discovery import Catalog
    from massgen_discovery._domain.query import _sort_key

    records = Catalog(sources=["litellm"]).list_models() + ALL
    query = build_query(**criteria)  # type: ignore[arg-type]
    expected = sorted((r for r in records if query.matches(r)), key=_sort_key(query.sort))
    if query.limit is not None:
        expected = expected[: query.limit]
    assert run_query(records, query) == expected
    assert expected or criteria.get("available") is False  # the cases are not all empty


def test_a_catalogs_flag_index_answers_what_a_full_scan_answers() -> None:
    """find_models starts from the records with the first required flag; the answer is a full scan's."""
    from massgen_discovery import Catalog

    catalog = Catalog(sources=["litellm"])
    for criteria in (
        {"supports_function_calling": True, "min_context": 128_000},
        {"supports_vision": True, "supports_reasoning": True, "sort": "price", "limit": 5},
        {"supports_function_calling": True, "include_unknown": True, "max_input_cost": 0.5},
    ):
        expected = run_query(catalog.list_models(), build_query(**criteria))
        assert catalog.find_models(**criteria) == expected
        assert catalog.find_models(**criteria) == expected  # the second answer comes from the index
    catalog.override("openai/gpt-4o", supports_function_calling=False)
    found = catalog.find_models(supports_function_calling=True)
    assert "openai/gpt-4o" not in {r.model for r in found}
    assert found == run_query(catalog.list_models(), build_query(supports_function_calling=True))
