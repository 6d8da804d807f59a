from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from massgen_discovery._domain.reconcile import (
    GUARDED_FIELDS,
    Anchors,
    anchors_of,
    merge_records,
    next_baseline,
    override_record,
    rank_of,
    reconcile,
    reconcile_onto,
    sanitize,
    suspect_refresh,
)
from massgen_discovery.records import ModelRecord


def rec(source: str, model: str = "groq/m", **values: Any) -> ModelRecord:
    provider, _, model_id = model.partition("/")
    known = {k: v for k, v in values.items() if v is not None}
    prov_source = values.pop("_prov", source)
    return ModelRecord(
        model=model,
        provider=provider,
        model_id=model_id,
        sources=[source],
        provenance=dict.fromkeys(known, prov_source),
        **known,
    )


def test_live_beats_bundled_and_loser_is_a_conflict() -> None:
    """A serving endpoint's own live value wins over LiteLLM's map; LiteLLM's value is kept as a conflict."""
    merged = merge_records([rec("litellm", max_input_tokens=8192), rec("groq", max_input_tokens=131072)])
    assert merged.max_input_tokens == 131072
    assert merged.provenance["max_input_tokens"] == "groq"
    assert merged.sources == ["groq", "litellm"]
    (conflict,) = merged.conflicts
    assert (conflict.field, conflict.kept_value, conflict.kept_source) == ("max_input_tokens", 131072, "groq")
    assert (conflict.other_value, conflict.other_source) == (8192, "litellm")


def test_unknown_never_overrides_known() -> None:
    """A higher-ranked source that does not know a field leaves the lower-ranked known value in place."""
    merged = merge_records(
        [rec("litellm", input_cost_per_token=1e-6, supports_vision=False), rec("groq", max_input_tokens=1000)]
    )
    assert merged.input_cost_per_token == 1e-6
    assert merged.supports_vision is False
    assert merged.provenance == {
        "input_cost_per_token": "litellm",
        "supports_vision": "litellm",
        "max_input_tokens": "groq",
    }
    assert merged.conflicts == []


def test_override_beats_everything_and_heuristic_loses_to_everything() -> None:
    """Precedence is override > live > LiteLLM > heuristic."""
    heuristic = rec("ollama", mode="completion", _prov="heuristic:name")
    merged = merge_records(
        [
            heuristic,
            rec("litellm", mode="chat", max_output_tokens=10),
            override_record(None, "groq/m", {"max_output_tokens": 99}),
        ]
    )
    assert merged.mode == "chat"
    assert merged.provenance["mode"] == "litellm"
    assert merged.max_output_tokens == 99
    assert merged.provenance["max_output_tokens"] == "override"
    ranks = [rank_of(s) for s in ("override", "groq", "litellm", "modelsdev", "heuristic:name")]
    assert ranks == [1, 2, 3, 4, 5]  # models.dev: below LiteLLM's map, above heuristics


def test_equal_values_are_not_conflicts() -> None:
    """Sources that agree (floats within rounding, lists in another order) produce no conflict."""
    merged = merge_records(
        [
            rec("litellm", input_cost_per_token=3e-7, input_modalities=["text", "image"]),
            rec("groq", input_cost_per_token=0.3 / 1_000_000, input_modalities=["image", "text"]),
        ]
    )
    assert merged.conflicts == []


def test_fetched_at_is_the_newest_live_data() -> None:
    """fetched_at is the newest contributing fetch; bundled-only records have none."""
    old = datetime(2026, 1, 1, tzinfo=timezone.utc)
    new = datetime(2026, 2, 1, tzinfo=timezone.utc)
    a = rec("a").model_copy(update={"fetched_at": old})
    b = rec("b").model_copy(update={"fetched_at": new})
    assert merge_records([a, b, rec("litellm")]).fetched_at == new
    assert merge_records([rec("litellm")]).fetched_at is None


def test_reconcile_groups_by_model_key() -> None:
    """reconcile returns one record per model key, sorted."""
    out = reconcile([rec("litellm", "groq/b"), rec("litellm", "groq/a")], [rec("groq", "groq/a", available=True)])
    assert list(out) == ["groq/a", "groq/b"]
    assert out["groq/a"].available is True
    assert out["groq/b"].available is None


def test_override_rejects_unknown_fields() -> None:
    """An override naming a field the record does not have is a clear error."""
    with pytest.raises(ValueError, match="cannot override context: not a record field"):
        override_record(None, "x/y", {"context": 1})


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (10, 0, "empty listing (last good had 10 models)"),
        (10, 4, "listing shrank from 10 to 4 models"),
        (10, 5, None),
        (0, 0, None),
    ],
)
def test_guard_rail_on_listing_size(old: int, new: int, reason: str | None) -> None:
    """An empty listing or one under half the last good count is suspect."""
    before = [rec("s", f"s/m{i}") for i in range(old)]
    after = [rec("s", f"s/m{i}") for i in range(new)]
    assert suspect_refresh(before, after) == reason


def test_guard_rail_on_tenfold_moves() -> None:
    """A limit or price moving more than 10x is suspect; 10x exactly and unknown values are not."""
    assert suspect_refresh([rec("s", max_input_tokens=128000)], [rec("s", max_input_tokens=1000)]) == (
        "groq/m max_input_tokens moved from 128000 to 1000"
    )
    assert suspect_refresh([rec("s", input_cost_per_token=1e-6)], [rec("s", input_cost_per_token=1e-5)]) is None
    assert suspect_refresh([rec("s", input_cost_per_token=1e-6)], [rec("s")]) is None


# -- properties ---------------------------------------------------------------------------------

_SOURCES = st.sampled_from(["litellm", "groq", "override", "heuristic:name", "hf"])
_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "max_input_tokens": st.none() | st.integers(1, 2_000_000),
        "input_cost_per_token": st.none() | st.floats(0, 1e-3, allow_nan=False),
        "supports_vision": st.none() | st.booleans(),
        "mode": st.none() | st.sampled_from(["chat", "embedding"]),
    },
)


@st.composite
def _records(draw: st.DrawFn) -> list[ModelRecord]:
    pairs = draw(st.lists(st.tuples(_SOURCES, _VALUES), min_size=1, max_size=5, unique_by=lambda p: p[0]))
    return [rec(src, **vals) for src, vals in pairs]  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(_records(), st.randoms())
def test_merge_is_order_independent_and_idempotent(records: list[ModelRecord], rnd: Any) -> None:
    """Merging does not depend on source order, and merging a merged record changes nothing."""
    shuffled = list(records)
    rnd.shuffle(shuffled)
    a, b = merge_records(records), merge_records(shuffled)
    assert a == b
    assert merge_records([a]) == a


@settings(max_examples=200, deadline=None)
@given(_records())
def test_merge_keeps_every_known_value_at_its_best_rank(records: list[ModelRecord]) -> None:
    """A field known anywhere is known in the result, from a source of the best rank that knows it.

    A price of 0 counts as known only where no source states a real price (a gateway's or a
    plan's 0 next to a real price loses to it).
    """
    merged = merge_records(records)
    for field in ("max_input_tokens", "input_cost_per_token", "supports_vision", "mode"):
        known = [(rank_of(r.sources[0]), r) for r in records if getattr(r, field) is not None]
        if not known:
            assert getattr(merged, field) is None
            continue
        if field == "input_cost_per_token" and any(getattr(r, field) > 0 for _, r in known):
            known = [(rank, r) for rank, r in known if getattr(r, field) > 0 or rank == 1]
        best = min(rank for rank, _ in known)
        assert getattr(merged, field) is not None
        assert rank_of(merged.provenance[field]) == best


_LISTING = st.lists(
    st.builds(
        lambda i, ctx, price: rec("s", f"s/m{i}", max_input_tokens=ctx, input_cost_per_token=price),
        st.integers(0, 30),
        st.none() | st.integers(1, 2_000_000),
        st.none() | st.floats(1e-9, 1e-3, allow_nan=False),
    ),
    max_size=20,
    unique_by=lambda r: r.model,
)


@settings(max_examples=200, deadline=None)
@given(_LISTING, _LISTING)
def test_guard_rails_hold(old: list[ModelRecord], new: list[ModelRecord]) -> None:
    """An empty or under-half listing is always suspect; the same listing again never is."""
    reason = suspect_refresh(old, new)
    if old and (not new or len(new) * 2 < len(old)):
        assert reason is not None
    assert suspect_refresh(old, old) is None
    before = {r.model: r for r in old}
    for r in new:
        p = before.get(r.model)
        limits = (p.max_input_tokens, r.max_input_tokens) if p is not None else (None, None)
        if limits[0] and limits[1] and max(limits) > 10.0001 * min(limits):  # type: ignore[operator, type-var]
            assert reason is not None


@settings(max_examples=100, deadline=None)
@given(_records())
def test_mark_unlisted_only_fills_unknown_availability(records: list[ModelRecord]) -> None:
    """Marking unlisted models never changes an availability some source already decided."""
    from massgen_discovery._domain.reconcile import mark_unlisted

    merged = reconcile(records)
    marked = mark_unlisted(merged, "groq", "groq")
    for key, record in merged.items():
        if record.available is not None:
            assert marked[key].available is record.available
        else:
            assert marked[key].available is False and marked[key].provenance["available"] == "groq"


def _listing(n: int, prefix: str = "m", **values: Any) -> list[ModelRecord]:
    return [ModelRecord(model=f"s/{prefix}{i}", provider="s", model_id=f"{prefix}{i}", **values) for i in range(n)]


def test_guard_rails_judge_the_listing_as_a_whole() -> None:
    """Junk ids at the same count, prices to 0 or unknown, limits lost: each held, with the reason."""
    old = _listing(20, input_cost_per_token=1e-6, max_input_tokens=8192)
    padded = _listing(8, input_cost_per_token=1e-6, max_input_tokens=8192) + _listing(12, prefix="junk")
    assert "12 of the 20 last good models are gone" in (suspect_refresh(old, padded) or "")
    assert "input_cost_per_token values turned to 0 or unknown" in (
        suspect_refresh(old, _listing(20, input_cost_per_token=0.0, max_input_tokens=8192)) or ""
    )
    assert "turned to 0 or unknown" in (suspect_refresh(old, _listing(20, max_input_tokens=8192)) or "")
    assert "max_input_tokens values turned to unknown" in (
        suspect_refresh(old, _listing(20, input_cost_per_token=1e-6)) or ""
    )
    # A few changes are normal, and a small local server may really lose most of its models.
    assert suspect_refresh(old, old[:15] + _listing(5, prefix="new", input_cost_per_token=1e-6)) is None
    assert suspect_refresh(_listing(3), _listing(1)) is not None  # under half the count: held as before
    assert suspect_refresh(_listing(4), _listing(2) + _listing(2, prefix="x")) is None


def _anchor(baseline: dict[str, Anchors], model: str, field: str) -> Any:
    return dict(zip(GUARDED_FIELDS, baseline[model], strict=True))[field]


def test_drift_in_steps_is_measured_from_the_last_unquestioned_value() -> None:
    """9.9x three times passes the per-refresh check but not the baseline one; force resets it."""
    baseline = next_baseline(None, _listing(1, input_cost_per_token=1e-6))
    step1 = _listing(1, input_cost_per_token=9.9e-6)
    assert suspect_refresh(_listing(1, input_cost_per_token=1e-6), step1, baseline) is None
    baseline = next_baseline(baseline, step1)  # a 9.9x move is accepted, but questioned
    assert _anchor(baseline, "s/m0", "input_cost_per_token") == 1e-6
    step2 = _listing(1, input_cost_per_token=9.9e-6 * 9.9)
    assert "moved from 1e-06" in (suspect_refresh(step1, step2, baseline) or "")
    reset = next_baseline(baseline, step2, reset=True)
    assert _anchor(reset, "s/m0", "input_cost_per_token") == step2[0].input_cost_per_token
    quiet = _listing(1, input_cost_per_token=1.5e-6)
    assert _anchor(next_baseline(baseline, quiet), "s/m0", "input_cost_per_token") == 1.5e-6


def test_a_stored_baseline_reads_back_in_either_form_and_junk_is_left_out() -> None:
    """What the store hands back is input: lists (as written now) or dicts (as once written)."""
    written = next_baseline(None, _listing(2, input_cost_per_token=1e-6, max_input_tokens=8192))
    as_lists = {model: list(anchors) for model, anchors in written.items()}
    as_dicts = {m: {f: v for f, v in zip(GUARDED_FIELDS, a, strict=True) if v is not None} for m, a in written.items()}
    assert anchors_of(as_lists) == written
    assert anchors_of(as_dicts) == written
    junk = {"s/m0": ["x", None, True, 1e-6], "s/m1": [1, 2], 3: [1, 2, 3, 4], "s/m2": "no", "s/m3": [None] * 4}
    assert anchors_of(junk) == {"s/m0": (None, None, None, 1e-6)}
    assert anchors_of(["not", "a", "dict"]) == {}
    # The anchors a suspect check reads from the store work as the ones it made.
    assert "moved from" in (
        suspect_refresh(_listing(2), _listing(2, input_cost_per_token=5e-5), anchors_of(as_dicts)) or ""
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_input_tokens", 10**400),
        ("max_input_tokens", 100_000_001),
        ("max_output_tokens", -1),
        ("input_cost_per_token", float("nan")),
        ("input_cost_per_token", float("inf")),
        ("output_cost_per_token", -1e-6),
        ("output_cost_per_token", 0.2),
        ("throughput_tokens_per_s", float("-inf")),
    ],
)
def test_impossible_values_become_unknown_with_a_reason(field: str, value: Any) -> None:
    """Numbers no real model has are stored as unknown, never passed downstream."""
    record = ModelRecord(model="s/x", provider="s", model_id="x", provenance={field: "s"}, **{field: value})
    [clean], notes = sanitize([record])
    assert getattr(clean, field) is None and field not in clean.provenance
    assert len(notes) == 1 and field in notes[0] and "not a real value" in notes[0]
    fine = ModelRecord(model="s/y", provider="s", model_id="y", max_input_tokens=10_000_000, input_cost_per_token=0.0)
    assert sanitize([fine]) == ([fine], [])


def test_merging_onto_a_reconciled_group_is_merging_everything_at_once() -> None:
    """LiteLLM's map merged once and the live listings onto it: the same catalog as one merge of all."""
    bundled = [rec("litellm", "groq/a", max_input_tokens=8192), rec("litellm", "openai/x", input_cost_per_token=1e-6)]
    live = [rec("groq", "groq/a", max_input_tokens=131072), rec("groq", "groq/b", supports_vision=True)]
    other = [rec("openrouter", "groq/a", input_cost_per_token=2e-7), rec("openrouter", "or/z", mode="chat")]
    base = reconcile(bundled)
    onto = reconcile_onto(base, live, other)
    assert onto == reconcile(bundled, live, other)
    assert list(onto) == sorted(onto)
    assert reconcile_onto(base) == base
    assert reconcile_onto({}, live) == reconcile(live)
