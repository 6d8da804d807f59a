"""Merge records from several sources into one record per model. Pure: no I/O, no clock.

Precedence, per field (the highest rank with a known value wins; unknown never overrides known):

1. user overrides (source ``override``)
2. the serving endpoint's own live data for its own models (every live source)
3. LiteLLM's map (source ``litellm``)
4. heuristics (provenance ``heuristic:<what>``)

When two known values disagree the loser is kept in ``conflicts``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..records import MERGEABLE_FIELDS, Conflict, ModelRecord
from .identifiers import BUNDLED, HEURISTIC_PREFIX, OVERRIDE_SOURCE, SECOND_OPINION

__all__ = [
    "HEURISTIC_PREFIX",
    "OVERRIDE_SOURCE",
    "RANK_BUNDLED",
    "RANK_HEURISTIC",
    "RANK_LIVE",
    "RANK_OVERRIDE",
    "adopt_stated_modes",
    "mark_unlisted",
    "merge_records",
    "override_record",
    "rank_of",
    "reconcile",
    "next_baseline",
    "sanitize",
    "suspect_refresh",
]

BUNDLED_SOURCE = BUNDLED

RANK_OVERRIDE, RANK_LIVE, RANK_BUNDLED, RANK_SECOND, RANK_HEURISTIC = 1, 2, 3, 4, 5

SUSPECT_RATIO = 10.0
"""A limit or price moving by more than this factor in one refresh is suspect."""
_GUARDED_FIELDS = ("max_input_tokens", "max_output_tokens", "input_cost_per_token", "output_cost_per_token")
_PRICE_FIELDS = ("input_cost_per_token", "output_cost_per_token")
_LIMIT_FIELDS = ("max_input_tokens", "max_output_tokens")
_WHOLE_FIELDS = (*_PRICE_FIELDS, *_LIMIT_FIELDS)
_TOKEN_FIELDS = ("max_input_tokens", "max_output_tokens", "runtime_context_tokens")
QUIET_RATIO = 2.0
"""A guarded value that moves by at most this factor moves the drift baseline with it."""
GUARD_MIN_MODELS = 10
"""The whole-listing guard rails (ids gone, prices or limits lost) apply from this many models on."""


def rank_of(source: str) -> int:
    """Precedence rank of a provenance value (1 is the strongest)."""
    if source == OVERRIDE_SOURCE:
        return RANK_OVERRIDE
    if source.startswith(HEURISTIC_PREFIX):
        return RANK_HEURISTIC
    if source == BUNDLED_SOURCE:
        return RANK_BUNDLED
    if source == SECOND_OPINION:
        return RANK_SECOND  # models.dev, live or bundled: fills gaps, loses to a stated value
    return RANK_LIVE


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, bool) or isinstance(b, bool):
            return a is b
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-9)
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return bool(a == b)


def _source_of(record: ModelRecord, name: str) -> str:
    # A record whose provenance does not name a field's source was built by hand (tests,
    # StaticSource); its first source is the best answer.
    return record.provenance.get(name) or (record.sources[0] if record.sources else "unknown")


def merge_records(records: Sequence[ModelRecord]) -> ModelRecord:
    """Merge copies of one model from several sources into one record.

    The result does not depend on the order of ``records``: equal ranks are broken by source name.
    """
    if not records:
        raise ValueError("merge_records needs at least one record")
    if len(records) == 1:
        return records[0]
    records = sorted(records, key=lambda r: (min(map(rank_of, r.sources), default=RANK_HEURISTIC), r.sources))
    first = records[0]
    values: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    conflicts: list[Conflict] = []
    prices: dict[str, float] = {}
    names = [n for n in MERGEABLE_FIELDS if n != "prices"]
    names += sorted({k for record in records for k in record.prices or ()})
    for name in names:
        priced = name not in _FIELD_SET
        candidates = sorted(
            (
                (rank_of(src), src, value)
                for record in records
                if (value := ((record.prices or {}).get(name) if priced else getattr(record, name))) is not None
                for src in (_source_of(record, name),)
            ),
            key=lambda c: (c[0], c[1], repr(c[2])),
        )
        if not candidates:
            continue
        _, kept_src, kept = candidates[0]
        if priced:
            prices[name] = kept
        else:
            values[name] = kept
        provenance[name] = kept_src
        seen: list[Any] = [kept]
        for _, src, value in candidates[1:]:
            if any(_same(value, s) for s in seen):
                continue
            seen.append(value)
            conflicts.append(
                Conflict(field=name, kept_value=kept, kept_source=kept_src, other_value=value, other_source=src)
            )
    if prices:
        prices = _same_source_tiers(values, prices, provenance, conflicts)
        values["prices"] = prices or None
    # Conflicts the inputs already carried (an aggregate record's spread) stay visible.
    for record in records:
        conflicts.extend(record.conflicts)
    sources = sorted({s for record in records for s in record.sources})
    stamps = [r.fetched_at for r in records if r.fetched_at is not None]
    fetched_at: datetime | None = max(stamps) if stamps else None
    unique_conflicts = list({(c.field, c.other_source, repr(c.other_value)): c for c in conflicts}.values())
    unique_conflicts.sort(key=lambda c: (c.field, c.other_source, repr(c.other_value)))
    return ModelRecord(
        model=first.model,
        provider=first.provider,
        model_id=first.model_id,
        sources=sources,
        provenance=provenance,
        conflicts=unique_conflicts,
        fetched_at=fetched_at,
        **values,
    )


_FIELD_SET = frozenset(MERGEABLE_FIELDS)


def _same_source_tiers(
    values: Mapping[str, Any], prices: dict[str, float], provenance: dict[str, str], conflicts: list[Conflict]
) -> dict[str, float]:
    """Context-tier rates that come from the source of the rate they raise; the others set aside.

    A flat price from a live listing next to LiteLLM's tiers for the same model is one source's
    flat rate and another's tiered ones: combining them would bill a long prompt at a rate nobody
    quoted with that base. The tier is kept in ``conflicts`` (kept: the base rate, which applies at
    every context length; other: the tier), so the record says which applies and why.
    """
    from .pricing import context_base

    out: dict[str, float] = {}
    for name, value in prices.items():
        base = context_base(name)
        if base is None:
            out[name] = value
            continue
        base_value = values.get(base) if base in _FIELD_SET else prices.get(base)
        base_source = provenance.get(base)
        if base_value is None or base_source is None or base_source == provenance.get(name):
            out[name] = value
            continue
        conflicts.append(
            Conflict(
                field=name,
                kept_value=base_value,
                kept_source=base_source,
                other_value=value,
                other_source=provenance.pop(name),
            )
        )
    return out


def reconcile(*groups: Iterable[ModelRecord]) -> dict[str, ModelRecord]:
    """Merge the records of every source into one record per ``model`` key, sorted by key."""
    by_model: dict[str, list[ModelRecord]] = {}
    for group in groups:
        for record in group:
            by_model.setdefault(record.model, []).append(record)
    return {model: merge_records(by_model[model]) for model in sorted(by_model)}


def adopt_stated_modes(records: Mapping[str, ModelRecord], stated: Mapping[str, str]) -> dict[str, ModelRecord]:
    """Replace a mode guessed from a name with the mode LiteLLM's map states for the same model id.

    A live listing that sends no type (OpenAI's ``/v1/models``) gets its modes from the id;
    LiteLLM files some of those models under another provider key (``davinci-002`` under
    ``text-completion-openai``), so the merge by key never meets them. ``stated`` maps LiteLLM's
    bare keys to the mode the map states; a heuristic never overrides it.
    """
    out = dict(records)
    for key, record in records.items():
        source = record.provenance.get("mode", "")
        mode = stated.get(record.model_id)
        if mode is None or not source.startswith(HEURISTIC_PREFIX) or record.mode == mode:
            continue
        conflict = Conflict(
            field="mode", kept_value=mode, kept_source=BUNDLED_SOURCE, other_value=record.mode, other_source=source
        )
        out[key] = record.model_copy(
            update={
                "mode": mode,
                "provenance": {**record.provenance, "mode": BUNDLED_SOURCE},
                "conflicts": [*record.conflicts, conflict] if record.mode is not None else record.conflicts,
            }
        )
    return out


def mark_unlisted(records: Mapping[str, ModelRecord], provider: str, source: str) -> dict[str, ModelRecord]:
    """Mark ``provider``'s records that ``source``'s complete listing did not include as unavailable.

    A listing that is authoritative for a provider (a hosted provider's ``/models`` for the user's
    key) decides ``available`` for every model of that provider: a model LiteLLM knows but the
    listing omits is ``available=False`` for that credential.
    """
    out = dict(records)
    for key, record in records.items():
        if record.provider == provider and record.available is None:
            out[key] = record.model_copy(
                update={"available": False, "provenance": {**record.provenance, "available": source}}
            )
    return out


def override_record(base: ModelRecord | None, model: str, values: Mapping[str, Any]) -> ModelRecord:
    """Build the ``override`` source's record for ``model`` from user-given field values.

    ``base`` supplies the identity when the model is known; an unknown model gets its provider from
    the part of the name before the first ``/``.
    """
    unknown = sorted(set(values) - set(MERGEABLE_FIELDS))
    if unknown:
        raise ValueError(f"cannot override {', '.join(unknown)}: not a record field")
    if base is not None:
        provider, model_id = base.provider, base.model_id
    else:
        provider, _, model_id = model.partition("/")
        if not model_id:
            provider, model_id = "custom", model
    known = {k: v for k, v in values.items() if v is not None}
    return ModelRecord(
        model=model,
        provider=provider,
        model_id=model_id,
        sources=[OVERRIDE_SOURCE],
        provenance=dict.fromkeys(known, OVERRIDE_SOURCE),
        **known,
    )


def suspect_refresh(
    old: Sequence[ModelRecord],
    new: Sequence[ModelRecord],
    baseline: Mapping[str, Mapping[str, float]] | None = None,
) -> str | None:
    """Say why a new listing should not replace the last good one, or None when it may.

    The listing is judged as a whole (after LiteLLM's own catalog-sync policy, and more): it is
    suspect when it is empty or under half the last good count; when more than half of the last
    good ids are gone (even if padded back to the same count with others); when known prices turn
    to 0 or unknown, or known limits to unknown, for most of the models both listings share; or
    when a limit or price of a model moves more than 10x from the last value accepted without
    question (``baseline``, see :func:`next_baseline`), so moving in smaller steps does not help.
    The whole-listing rules apply from :data:`GUARD_MIN_MODELS` models on: a local server with
    three models may really lose two.
    """
    if not old:
        return None
    if not new:
        return f"empty listing (last good had {len(old)} models)"
    if len(new) * 2 < len(old):
        return f"listing shrank from {len(old)} to {len(new)} models"
    # One pass over each listing, reading the records' field dicts (tens of thousands of routes).
    before = {r.model: vars(r) for r in old}
    after = {r.model: vars(r) for r in new}
    if len(before) >= GUARD_MIN_MODELS:
        gone = len(before.keys() - after.keys())
        if gone * 2 > len(before):
            return f"{gone} of the {len(before)} last good models are gone from the listing"
        known = dict.fromkeys(_WHOLE_FIELDS, 0)
        dropped = dict.fromkeys(_WHOLE_FIELDS, 0)
        for model, a_fields in before.items():
            b_fields = after.get(model)
            if b_fields is None:
                continue
            for name in _WHOLE_FIELDS:
                a = a_fields[name]
                if isinstance(a, (int, float)) and a > 0:
                    known[name] += 1
                    b = b_fields[name]
                    if b is None or (b == 0 and name in _PRICE_FIELDS):
                        dropped[name] += 1
        for name in _WHOLE_FIELDS:
            if known[name] >= GUARD_MIN_MODELS and dropped[name] * 2 > known[name]:
                became = "0 or unknown" if name in _PRICE_FIELDS else "unknown"
                return f"{dropped[name]} of {known[name]} known {name} values turned to {became}"
    anchored = baseline or {}
    for record in new:
        fields = vars(record)
        previous = before.get(record.model)
        anchors = anchored.get(record.model) or {}
        for name in _GUARDED_FIELDS:
            b = fields[name]
            if b is None or b <= 0:
                continue
            for a in (anchors.get(name), previous[name] if previous is not None else None):
                if not isinstance(a, (int, float)) or a <= 0:
                    continue
                if max(a, b) / min(a, b) > SUSPECT_RATIO * (1 + 1e-9):  # 10x exactly passes despite float error
                    return f"{record.model} {name} moved from {a:g} to {b:g}"
    return None


def next_baseline(
    baseline: Mapping[str, Mapping[str, float]] | None, accepted: Sequence[ModelRecord], *, reset: bool = False
) -> dict[str, dict[str, float]]:
    """The values guarded against drift after a listing was accepted.

    A value joins the baseline when first seen, and moves with it while it changes by at most
    :data:`QUIET_RATIO`; a bigger (accepted) move leaves the baseline where it was, so drift is
    measured from the last value accepted without question. ``reset`` (a forced refresh, where
    the user said the change is real) takes every accepted value as is.
    """
    out: dict[str, dict[str, float]] = {}
    previous = {} if reset or baseline is None else baseline
    for record in accepted:
        fields = vars(record)
        before = previous.get(record.model)
        anchors: dict[str, float] = {}
        for name in _GUARDED_FIELDS:
            value = fields[name]
            old = before.get(name) if before else None
            if not isinstance(value, (int, float)) or value <= 0:
                if isinstance(old, (int, float)):
                    anchors[name] = old
                continue
            if not isinstance(old, (int, float)) or old <= 0 or max(old, value) / min(old, value) <= QUIET_RATIO:
                anchors[name] = value
            else:
                anchors[name] = old
        if anchors:
            out[record.model] = anchors
    return out


def sanitize(records: Sequence[ModelRecord]) -> tuple[list[ModelRecord], list[str]]:
    """Drop values no real model can have, saying why; the rest is returned as is.

    The rule is :func:`massgen_discovery._domain.gate.plausible` (the one stored data passes too): a
    limit over :data:`~.gate.MAX_TOKENS` or below 0, a price that is negative, not finite or above
    :data:`~.gate.MAX_PRICE_PER_TOKEN`, a latency or throughput that is negative or not finite: each
    becomes unknown, so nothing downstream (tables, sums, LiteLLM) meets an impossible number.
    """
    from .gate import numeric_fields, plausible, shown

    judged = tuple(sorted(numeric_fields()))
    out: list[ModelRecord] = []
    notes: list[str] = []
    for record in records:
        fields = vars(record)
        bad = {name: value for name in judged if (value := fields[name]) is not None and not plausible(name, value)}
        bad_prices = {name: value for name, value in (record.prices or {}).items() if not plausible(name, value)}
        if not bad and not bad_prices:
            out.append(record)
            continue
        for name, value in {**bad, **bad_prices}.items():
            notes.append(f"{record.model}: {name} {shown(value)} is not a real value; kept as unknown")
        provenance = {k: v for k, v in record.provenance.items() if k not in bad and k not in bad_prices}
        update: dict[str, Any] = {**dict.fromkeys(bad), "provenance": provenance}
        if bad_prices:
            update["prices"] = {k: v for k, v in (record.prices or {}).items() if k not in bad_prices} or None
        out.append(record.model_copy(update=update))
    return out, notes
