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
from .guard_rails import (
    GUARDED_FIELDS,
    Anchors,
    anchors_of,
    guarded_values,
    next_baseline,
    suspect_refresh,
)
from .identifiers import BUNDLED, HEURISTIC_PREFIX, OVERRIDE_SOURCE, SECOND_OPINION, THIRD_OPINION
from .price_family import (
    RANK_OVERRIDE,
    base_rate,
    one_price_family,
    real_price_first,
    same_source_tiers,
    variants_follow_their_base,
)

__all__ = [
    "HEURISTIC_PREFIX",
    "OVERRIDE_SOURCE",
    "RANK_BUNDLED",
    "RANK_HEURISTIC",
    "RANK_LIVE",
    "RANK_OVERRIDE",
    "GUARDED_FIELDS",
    "guarded_values",
    "Anchors",
    "adopt_stated_modes",
    "anchors_of",
    "mark_unlisted",
    "merge_records",
    "override_record",
    "rank_of",
    "reconcile",
    "reconcile_onto",
    "next_baseline",
    "sanitize",
    "suspect_refresh",
]

BUNDLED_SOURCE = BUNDLED

RANK_LIVE, RANK_BUNDLED, RANK_SECOND, RANK_HEURISTIC = 2, 3, 4, 5

_TOKEN_FIELDS = ("max_input_tokens", "max_output_tokens", "runtime_context_tokens")


def rank_of(source: str) -> int:
    """Precedence rank of a provenance value (1 is the strongest)."""
    if source == OVERRIDE_SOURCE:
        return RANK_OVERRIDE
    if source.startswith(HEURISTIC_PREFIX):
        return RANK_HEURISTIC
    if source == BUNDLED_SOURCE:
        return RANK_BUNDLED
    if source in (SECOND_OPINION, THIRD_OPINION):
        return RANK_SECOND  # models.dev and genai-prices: fill gaps, lose to a stated value
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
    values: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    conflicts: list[Conflict] = []
    prices: dict[str, float] = {}
    names = [n for n in MERGEABLE_FIELDS if n != "prices"]
    names += sorted({k for record in records for k in record.prices or ()})
    stated_by: dict[str, dict[str, Any]] = {}
    for name in names:
        priced = name not in _FIELD_SET
        candidates = _candidates(records, name, priced)
        if not candidates:
            continue
        if "cost" in name:
            candidates = real_price_first(candidates)
        if "cost" in name:
            for _, src, value in candidates:
                stated_by.setdefault(src, {})[name] = value
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
    _stated_in_inputs(records, stated_by)
    one_price_family(values, prices, provenance, conflicts, stated_by)
    variants_follow_their_base(values, prices, provenance, conflicts, stated_by)
    if prices:
        prices = same_source_tiers(values, prices, provenance, conflicts, stated_by)
        values["prices"] = prices or None
    return _merged(records, values, provenance, conflicts)


def _candidates(records: Sequence[ModelRecord], name: str, priced: bool) -> list[tuple[int, str, Any]]:
    """Every record's known value of ``name`` as (rank, source, value), best first (ties by source)."""
    return sorted(
        (
            (rank_of(src), src, value)
            for record in records
            if (value := ((record.prices or {}).get(name) if priced else getattr(record, name))) is not None
            for src in (_source_of(record, name),)
        ),
        key=lambda c: (c[0], c[1], repr(c[2])),
    )


def _stated_in_inputs(records: Sequence[ModelRecord], stated_by: dict[str, dict[str, Any]]) -> None:
    """Add what the inputs' own conflicts and accepted variants say their sources stated."""
    for record in records:
        for conflict in record.conflicts:
            if "cost" in conflict.field and conflict.other_value is not None:
                stated_by.setdefault(conflict.other_source, {}).setdefault(conflict.field, conflict.other_value)
        for name in record.prices or ():
            source, base = record.provenance.get(name), base_rate(name)
            value = getattr(record, base, None) if base in _FIELD_SET else (record.prices or {}).get(base)
            if source is not None and base != name and isinstance(value, (int, float)):
                # A variant an earlier merge kept beside this base: its source's family has this base.
                stated_by.setdefault(source, {}).setdefault(base, value)


def _merged(
    records: Sequence[ModelRecord], values: dict[str, Any], provenance: dict[str, str], conflicts: list[Conflict]
) -> ModelRecord:
    """The merged record: the kept values, every source, the latest fetch, the conflicts once each."""
    first = records[0]
    # Conflicts the inputs already carried (an aggregate record's spread) stay visible.
    for record in records:
        conflicts.extend(record.conflicts)
    stamps = [r.fetched_at for r in records if r.fetched_at is not None]
    fetched_at: datetime | None = max(stamps) if stamps else None
    unique_conflicts = list({(c.field, c.other_source, repr(c.other_value)): c for c in conflicts}.values())
    unique_conflicts.sort(key=lambda c: (c.field, c.other_source, repr(c.other_value)))
    return ModelRecord(
        model=first.model,
        provider=first.provider,
        model_id=first.model_id,
        sources=sorted({s for record in records for s in record.sources}),
        provenance=provenance,
        conflicts=unique_conflicts,
        fetched_at=fetched_at,
        **values,
    )


_FIELD_SET = frozenset(MERGEABLE_FIELDS)


def reconcile(*groups: Iterable[ModelRecord]) -> dict[str, ModelRecord]:
    """Merge the records of every source into one record per ``model`` key, sorted by key."""
    by_model: dict[str, list[ModelRecord]] = {}
    for group in groups:
        for record in group:
            by_model.setdefault(record.model, []).append(record)
    return {model: merge_records(by_model[model]) for model in sorted(by_model)}


def reconcile_onto(base: Mapping[str, ModelRecord], *groups: Iterable[ModelRecord]) -> dict[str, ModelRecord]:
    """:func:`reconcile` of a group already reconciled (``base``) and more groups, sorted by key.

    The same as reconciling all the groups at once when ``base`` came from :func:`reconcile` of
    one group with a record per key: a record of ``base`` that no other group has is taken as it
    is, so a catalog merges LiteLLM's thousands of models once per process, not on every build.
    """
    by_model: dict[str, list[ModelRecord]] = {}
    for group in groups:
        for record in group:
            by_model.setdefault(record.model, []).append(record)
    out = dict(base)
    for model, records in by_model.items():
        known = base.get(model)
        out[model] = merge_records([known, *records] if known is not None else records)
    return out if not by_model else {model: out[model] for model in sorted(out)}


def adopt_stated_modes(
    records: Mapping[str, ModelRecord], stated: Mapping[str, str], only: Iterable[str] | None = None
) -> dict[str, ModelRecord]:
    """Replace a mode guessed from a name with the mode LiteLLM's map states for the same model id.

    A live listing that sends no type (OpenAI's ``/v1/models``) gets its modes from the id;
    LiteLLM files some of those models under another provider key (``davinci-002`` under
    ``text-completion-openai``), so the merge by key never meets them. ``stated`` maps LiteLLM's
    bare keys to the mode the map states; a heuristic never overrides it. ``only``: the keys that
    may need it (the others were settled before).
    """
    out = dict(records)
    for key in records if only is None else only:
        record = records[key]
        mode = stated.get(record.model_id)  # most models have none stated: one lookup
        if mode is None:
            continue
        source = record.provenance.get("mode", "")
        if not source.startswith(HEURISTIC_PREFIX) or record.mode == mode:
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


def mark_unlisted(
    records: Mapping[str, ModelRecord], provider: str, source: str, keys: Iterable[str] | None = None
) -> dict[str, ModelRecord]:
    """Mark ``provider``'s records that ``source``'s complete listing did not include as unavailable.

    A listing that is authoritative for a provider (a hosted provider's ``/models`` for the user's
    key) decides ``available`` for every model of that provider: a model LiteLLM knows but the
    listing omits is ``available=False`` for that credential. ``keys``: the only keys that may be
    ``provider``'s (default: all).
    """
    out = dict(records)
    for key in records if keys is None else keys:
        record = records.get(key)
        if record is not None and record.provider == provider and record.available is None:
            out[key] = record.model_copy(
                update={"available": False, "provenance": {**record.provenance, "available": source}}
            )
    return out


def override_record(base: ModelRecord | None, model: str, values: Mapping[str, Any]) -> ModelRecord:
    """Build the ``override`` source's record for ``model`` from user-given field values.

    ``base`` supplies the identity when the model is known; an unknown model gets its provider from
    the part of the name before the first ``/``.

    Raises:
        ConfigError: a field that is not a record field, or a value the field cannot hold (named).
    """
    from ..errors import ConfigError

    if not isinstance(model, str) or not model.strip():
        raise ConfigError(f"cannot override {model!r}: not a model string")
    unknown = sorted(map(str, set(values) - set(MERGEABLE_FIELDS)))
    if unknown:
        raise ConfigError(f"cannot override {', '.join(unknown)}: not a record field ({model})")
    if base is not None:
        provider, model_id = base.provider, base.model_id
    else:
        provider, _, model_id = model.partition("/")
        if not model_id:
            provider, model_id = "custom", model
    known = {k: v for k, v in values.items() if v is not None}
    try:
        return ModelRecord(
            model=model,
            provider=provider,
            model_id=model_id,
            sources=[OVERRIDE_SOURCE],
            provenance=dict.fromkeys(known, OVERRIDE_SOURCE),
            **known,
        )
    except ValueError as exc:  # pydantic's ValidationError: say which field and why, in one line
        errors = getattr(exc, "errors", None)
        first = errors()[0] if callable(errors) and errors() else None
        where = ".".join(map(str, first["loc"])) if first else "a value"
        why = first["msg"] if first else str(exc).splitlines()[0]
        raise ConfigError(f"cannot override {where} of {model}: {why}") from None


def sanitize(records: Sequence[ModelRecord]) -> tuple[list[ModelRecord], list[str]]:
    """Drop values no real model can have, saying why; the rest is returned as is.

    The rule is :func:`massgen_discovery._domain.gate.plausible` (the one stored data passes too): a
    limit over :data:`~.gate.MAX_TOKENS` or below 0, a price that is negative, not finite or above
    :data:`~.gate.MAX_PRICE_PER_TOKEN`, a latency or throughput that is negative or not finite: each
    becomes unknown, so nothing downstream (tables, sums, LiteLLM) meets an impossible number. A
    record whose id is over :data:`~.gate.MAX_ID` characters or holds control characters is dropped.
    """
    from .display import inert
    from .gate import numeric_fields, plausible, shown, unusable_id

    judged = tuple(sorted(numeric_fields()))
    out: list[ModelRecord] = []
    notes: list[str] = []
    for record in records:
        why = unusable_id(record)
        if why is not None:
            shown_id = inert(record.model_id[:60]) + ("..." if len(record.model_id) > 60 else "")
            notes.append(f"{shown_id!r}: dropped ({why})")
            continue
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
