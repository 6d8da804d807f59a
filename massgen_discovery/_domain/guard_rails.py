"""The guard rails: whether a new listing may replace the last good one. Pure: no I/O, no clock.

A listing is judged as a whole against the last good one, and each model's limits and prices
against a drift baseline (values accepted without question), so a value cannot walk 10x away in
small steps. Either listing may be given as its records or as its guarded values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from ..records import ModelRecord

__all__ = [
    "GUARDED_FIELDS",
    "GUARD_MIN_MODELS",
    "QUIET_RATIO",
    "SUSPECT_RATIO",
    "Anchors",
    "anchors_of",
    "guarded_values",
    "next_baseline",
    "suspect_refresh",
]

SUSPECT_RATIO = 10.0
"""A limit or price moving by more than this factor in one refresh is suspect."""
_GUARDED_FIELDS = ("max_input_tokens", "max_output_tokens", "input_cost_per_token", "output_cost_per_token")
_PRICE_FIELDS = ("input_cost_per_token", "output_cost_per_token")
_LIMIT_FIELDS = ("max_input_tokens", "max_output_tokens")
_WHOLE_FIELDS = (*_PRICE_FIELDS, *_LIMIT_FIELDS)
QUIET_RATIO = 2.0
"""A guarded value that moves by at most this factor moves the drift baseline with it."""
GUARD_MIN_MODELS = 10
"""The whole-listing guard rails (ids gone, prices or limits lost) apply from this many models on."""


Anchors = tuple[Any, ...]
"""A model's guarded values (see :data:`GUARDED_FIELDS`), in that order; None where there is none."""

GUARDED_FIELDS = _GUARDED_FIELDS
_guarded = itemgetter(*_GUARDED_FIELDS)
_PRICE_AT = frozenset(i for i, name in enumerate(_GUARDED_FIELDS) if name in _PRICE_FIELDS)
# The whole-listing rules are judged prices first, then limits.
_WHOLE_ORDER = tuple(_GUARDED_FIELDS.index(name) for name in _WHOLE_FIELDS)


def anchors_of(stored: Any, *, keep_empty: bool = False) -> dict[str, Anchors]:
    """A baseline (or a listing's guarded values) read back from the store, as :func:`next_baseline` makes it.

    Each model's anchors are a list in :data:`GUARDED_FIELDS` order, or (as once written) a dict by
    field name; anything else, and any value that is not a number, is left out, and so is a model
    with none unless ``keep_empty`` (a listing's values: the model itself counts).
    """
    out: dict[str, Anchors] = {}
    if not isinstance(stored, dict):
        return out
    width = len(_GUARDED_FIELDS)
    for model, anchors in stored.items():
        if isinstance(anchors, dict):
            anchors = [anchors.get(name) for name in _GUARDED_FIELDS]
        if not isinstance(model, str) or not isinstance(anchors, (list, tuple)) or len(anchors) != width:
            continue
        values = tuple(a if type(a) in (int, float) else None for a in anchors)
        if keep_empty or values.count(None) < width:
            out[model] = values
    return out


def guarded_values(records: Iterable[ModelRecord]) -> dict[str, Anchors]:
    """Each model's guarded values (:data:`GUARDED_FIELDS`, in order): what the guard rails compare."""
    return {r.model: _guarded(vars(r)) for r in records}


def _values(listing: Sequence[ModelRecord] | Mapping[str, Anchors]) -> Mapping[str, Anchors]:
    return listing if isinstance(listing, Mapping) else guarded_values(listing)


def _moved(a: Any, b: Any) -> bool:
    """Whether a guarded value moved more than :data:`SUSPECT_RATIO` from ``a`` to ``b``."""
    if a is None or b is None or a == b or not isinstance(a, (int, float)) or a <= 0 or b <= 0:
        return False
    return bool(max(a, b) / min(a, b) > SUSPECT_RATIO * (1 + 1e-9))  # 10x exactly passes despite float error


def suspect_refresh(
    old: Sequence[ModelRecord] | Mapping[str, Anchors],
    new: Sequence[ModelRecord] | Mapping[str, Anchors],
    baseline: Mapping[str, Anchors] | None = None,
) -> str | None:
    """Say why a new listing should not replace the last good one, or None when it may.

    The listing is judged as a whole (after LiteLLM's own catalog-sync policy, and more): it is
    suspect when it is empty or under half the last good count; when more than half of the last
    good ids are gone (even if padded back to the same count with others); when known prices turn
    to 0 or unknown, or known limits to unknown, for most of the models both listings share; or
    when a limit or price of a model moves more than 10x from the last value accepted without
    question (``baseline``, see :func:`next_baseline`), so moving in smaller steps does not help.
    The whole-listing rules apply from :data:`GUARD_MIN_MODELS` models on: a local server with
    three models may really lose two. Either listing may be given as its records or as its
    :func:`guarded_values` (all the rules read), so the last one need not be parsed again.
    """
    if not old:
        return None
    if not new:
        return f"empty listing (last good had {len(old)} models)"
    if len(new) * 2 < len(old):
        return f"listing shrank from {len(old)} to {len(new)} models"
    # One pass over each listing, each model's guarded values read in one call: a model whose
    # values are those of the last listing and of its anchors (most of them) is done at once.
    before = _values(old)
    after = _values(new)
    whole = len(before) >= GUARD_MIN_MODELS
    if whole:
        gone = len(before.keys() - after.keys())
        if gone * 2 > len(before):
            return f"{gone} of the {len(before)} last good models are gone from the listing"
    anchored = baseline or {}
    dropped = [0] * len(_GUARDED_FIELDS)
    drift: str | None = None
    for model, values in after.items():
        previous = before.get(model)
        anchors = anchored.get(model)
        if (previous is None or previous == values) and (anchors is None or anchors == values):
            continue
        for i, b in enumerate(values):
            a = previous[i] if previous is not None else None
            if whole and isinstance(a, (int, float)) and a > 0 and (b is None or (b == 0 and i in _PRICE_AT)):
                dropped[i] += 1
            if drift is None and b is not None:
                for anchor in (anchors[i] if anchors is not None else None, a):
                    if _moved(anchor, b):
                        drift = f"{model} {_GUARDED_FIELDS[i]} moved from {anchor:g} to {b:g}"
                        break
    return (_mostly_dropped(before, after, dropped) if whole and any(dropped) else None) or drift


def _mostly_dropped(before: Mapping[str, Anchors], after: Mapping[str, Anchors], dropped: list[int]) -> str | None:
    """Why a field's known values turned unknown (or 0, for prices) for most shared models; None if not."""
    for i in _WHOLE_ORDER:
        if not dropped[i]:
            continue
        known = sum(
            1
            for model, values in before.items()
            if model in after and isinstance(values[i], (int, float)) and values[i] > 0
        )
        if known >= GUARD_MIN_MODELS and dropped[i] * 2 > known:
            became = "0 or unknown" if i in _PRICE_AT else "unknown"
            return f"{dropped[i]} of {known} known {_GUARDED_FIELDS[i]} values turned to {became}"
    return None


def next_baseline(
    baseline: Mapping[str, Anchors] | None,
    accepted: Sequence[ModelRecord] | Mapping[str, Anchors],
    *,
    reset: bool = False,
) -> dict[str, Anchors]:
    """The values guarded against drift after a listing was accepted.

    A value joins the baseline when first seen, and moves with it while it changes by at most
    :data:`QUIET_RATIO`; a bigger (accepted) move leaves the baseline where it was, so drift is
    measured from the last value accepted without question. ``reset`` (a forced refresh, where
    the user said the change is real) takes every accepted value as is. Each model's anchors are
    a tuple in :data:`GUARDED_FIELDS` order (see :func:`anchors_of` for the stored form).
    """
    out: dict[str, Anchors] = {}
    previous = {} if reset or baseline is None else baseline
    for model, values in _values(accepted).items():
        before = previous.get(model)
        if before is not None and before == values:
            out[model] = before  # nothing moved: the same anchors
            continue
        anchors = tuple(_anchor(old, value) for old, value in zip(before or _NO_ANCHORS, values, strict=True))
        if anchors != _NO_ANCHORS:
            out[model] = anchors
    return out


_NO_ANCHORS: Anchors = (None,) * len(_GUARDED_FIELDS)


def _anchor(old: Any, value: Any) -> Any:
    """One guarded value's next anchor (see :func:`next_baseline`)."""
    if not isinstance(value, (int, float)) or value <= 0:
        return old if isinstance(old, (int, float)) else None
    if not isinstance(old, (int, float)) or old <= 0 or max(old, value) / min(old, value) <= QUIET_RATIO:
        return value
    return old
