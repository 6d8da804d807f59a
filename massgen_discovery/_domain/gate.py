"""The gate every stored value passes before it is served: what the cache or Redis hands back is input.

Anyone who can write to a cache directory or to the fleet's Redis can put anything there. A live
listing goes through its source's parser and :func:`plausible`; a stored row, envelope, pointer or
history entry goes through the checks here, which cost microseconds per row (no pydantic):

- **Types.** Each record field has the type its annotation says (a provenance that is a list, a
  limit that is ``"lots"``, a date that is not one: the row is refused whole, never served
  half-trusted). Documents keep their shape or read as a miss.
- **Numbers no real model has** (a 10^15-token context, a negative or NaN price) become unknown,
  with the reason kept in :func:`notes` (``status()`` shows them).
- **Sizes.** A stored value over :func:`size_cap` is ignored with one warning and never copied.

Text stays as stored here; everything shown on a terminal goes through the CLI's ``inert``.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeGuard, cast

from .._runtime import gate_note

if TYPE_CHECKING:
    from ..records import ModelRecord
    from .change_rows import ChangeRow, HistoryEntry

__all__ = [
    "LARGE_VALUE",
    "MAX_PRICE_PER_TOKEN",
    "MAX_TOKENS",
    "SMALL_VALUE",
    "check_doc",
    "check_history_entry",
    "check_record",
    "index_ok",
    "numeric_fields",
    "plausible",
    "shown",
    "size_cap",
]

MAX_TOKENS = 100_000_000
"""A context or output limit above this is not a real value (the largest today are ~10M)."""
MAX_PRICE_PER_TOKEN = 0.1
"""USD per token above which a price is not a real value ($100,000 per 1M tokens)."""
MAX_FEE = 1_000.0
"""USD per request or per unit (image, second, page) above which a fee is not a real value."""
SMALL_VALUE = 1 << 20
"""Bytes a small stored value (a pointer, a model's row, a lock, a history entry) may have."""
LARGE_VALUE = 40 << 20
"""Bytes a large stored value (a listing's envelope or payload, a generation's ``dir`` or a part, a
summary) may have: above the 32 MB an HTTP listing may have, well below what a flood would use."""
EARLIEST, LATEST = 0.0, 7_258_118_400.0
"""Unix times a stored timestamp may have (1970 to 2200)."""
MAX_TEXT = 4096
"""Characters a stored string field may have (an id, a URL, a status)."""

_TOKEN_FIELDS = frozenset({"max_input_tokens", "max_output_tokens", "runtime_context_tokens"})
_STR = frozenset({str})
_NUMBER = frozenset({int, float})
_NONE = type(None)
_SCALAR_TYPES: dict[str, frozenset[type]] = {
    # Annotations whose check is a type test alone (strings also have a length bound).
    "str": frozenset({str}),
    "str | None": frozenset({str, _NONE}),
    "int | None": frozenset({int, _NONE}),
    "float | None": frozenset({int, float, _NONE}),
    "bool | None": frozenset({bool, _NONE}),
}
_MEASURED_FIELDS = frozenset({"first_token_latency_ms", "throughput_tokens_per_s"})
_LARGE_KEYS = re.compile(r"^(envelope:|payload:|part:|history(:|$)|catalog:[^:]+:[^:]+:dir$)")
_CHANGE_KEYS = ("model", "provider", "kind", "field", "old", "new", "source")


def size_cap(key: str) -> int:
    """The most bytes the stored value of ``key`` may have."""
    return LARGE_VALUE if _LARGE_KEYS.match(key) else SMALL_VALUE


def _finite_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


MAX_ID = 256
"""Longest model id kept from a listing (real ids are under about 100 characters)."""

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def unusable_id(record: ModelRecord) -> str | None:
    """Why a record's id cannot name a model (too long, control characters), or None."""
    if len(record.model_id) > MAX_ID or len(record.model) > MAX_ID + 64:
        return f"an id of {len(record.model_id):,} characters; at most {MAX_ID} are kept"
    if _CONTROL.search(record.model) or _CONTROL.search(record.model_id):
        return "control characters in the id"
    return None


def plausible(name: str, value: Any) -> bool:
    """Whether a known numeric ``value`` of record field ``name`` is one a real model can have.

    Limits are whole and within :data:`MAX_TOKENS`; prices (``*cost*``) are finite, not negative
    and within :data:`MAX_PRICE_PER_TOKEN` per token (fees per request or unit within
    :data:`MAX_FEE`); measurements are finite and not negative. Other fields are not judged here.
    """
    judged = _judged(name)
    if judged is None:
        return True
    kinds, low, high = judged
    # A range comparison is False for NaN, and every bound is finite, so infinities fail too.
    return type(value) in kinds and low <= value <= high


@cache
def _judged(name: str) -> tuple[tuple[type, ...], float, float] | None:
    """The types and range :func:`plausible` accepts for ``name`` (None: not judged), worked out once."""
    bounds = _bounds(name)
    if bounds is None:
        return None
    return ((int,) if name in _TOKEN_FIELDS else (int, float)), bounds[0], bounds[1]


def _bounds(name: str) -> tuple[float, float] | None:
    """The plausible range of a numeric field or price (None: a field not judged here)."""
    if name in _TOKEN_FIELDS:
        return 0, MAX_TOKENS
    if "cost" in name:
        return 0, MAX_PRICE_PER_TOKEN if "token" in name else MAX_FEE
    if name in _MEASURED_FIELDS:
        return 0, sys.float_info.max
    return None


def shown(value: Any) -> str:
    """A number as a note shows it (a huge one by its digit count)."""
    if type(value) is int and abs(value) >= 10**15:
        return f"a {len(str(value))}-digit number"
    return f"{value:.3g}" if isinstance(value, (int, float)) else repr(value)[:40]


# -- records -----------------------------------------------------------------------------------


def _str(v: Any) -> bool:
    return type(v) is str and len(v) <= MAX_TEXT


def _opt_str(v: Any) -> bool:
    return v is None or (type(v) is str and len(v) <= MAX_TEXT)


def _opt_bool(v: Any) -> bool:
    return v is None or type(v) is bool


def _str_list(v: Any) -> bool:
    # set(map(type, ...)) and max(map(len, ...)) run in C: a catalog's all row has thousands of these.
    return type(v) is list and len(v) <= 1000 and set(map(type, v)) <= _STR and max(map(len, v), default=0) <= MAX_TEXT


def _opt_str_list(v: Any) -> bool:
    return v is None or _str_list(v)


def _str_dict(v: Any) -> bool:
    if type(v) is not dict:
        return False
    values = v.values()
    return set(map(type, v)) <= _STR and set(map(type, values)) <= _STR and max(map(len, values), default=0) <= MAX_TEXT


def _price_dict(v: Any) -> bool:
    return type(v) is dict and all(type(k) is str and len(k) <= 200 and type(x) in (int, float) for k, x in v.items())


def _scalar(v: Any) -> bool:
    if v is None or type(v) in (str, bool, int):
        return True
    if type(v) is float:
        return math.isfinite(v)
    return type(v) is list and len(v) <= 100 and all(type(x) is str for x in v)


def _conflict(c: Any) -> bool:
    # As parts store it, [field, other value, other source(, kept value, kept source)]; or an object.
    if type(c) is list or type(c) is tuple:
        return (
            len(c) in (3, 5)
            and _str(c[0])
            and _scalar(c[1])
            and _str(c[2])
            and (len(c) == 3 or (_scalar(c[3]) and _str(c[4])))
        )
    return (
        type(c) is dict
        and _str(c.get("field"))
        and _str(c.get("kept_source"))
        and _str(c.get("other_source"))
        and _scalar(c.get("kept_value"))
        and _scalar(c.get("other_value"))
    )


def _conflicts(v: Any) -> bool:
    return type(v) is list and all(_conflict(c) for c in v)


def _stamp_ok(v: Any) -> bool:
    if v is None:
        return True
    if type(v) is not str or len(v) > 64:
        return False
    try:
        stamp = parse_stamp(v)
    except (ValueError, OverflowError):
        return False
    return 1970 <= stamp.year <= 2200


@cache
def parse_stamp(text: str) -> datetime:
    """An ISO timestamp as stored (records of one listing share theirs: each is parsed once)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_BY_ANNOTATION: dict[str, Callable[[Any], bool]] = {
    # Annotations a type test cannot judge alone (the simple ones are in _SCALAR_TYPES).
    "list[str] | None": _opt_str_list,
    "list[str]": _str_list,
    "dict[str, str]": _str_dict,
    "dict[str, float] | None": lambda v: v is None or _price_dict(v),
    "list[Conflict]": _conflicts,
    "datetime | None": _stamp_ok,
}


@cache
def numeric_fields() -> frozenset[str]:
    """The record fields :func:`plausible` judges (limits, prices and fees, measurements)."""
    from ..records import ModelRecord

    return frozenset(
        name
        for name, text in ModelRecord._annotation_text.items()
        if text in ("int | None", "float | None")
        and (name in _TOKEN_FIELDS or name in _MEASURED_FIELDS or "cost" in name)
    )


_price_bounds = cache(_bounds)


def _price_in_range(name: str, value: float) -> bool:
    bounds = _price_bounds(name)
    return bounds is None or bounds[0] <= value <= bounds[1]


@cache
def _tables() -> tuple[dict[str, tuple[frozenset[type], tuple[float, float] | None]], dict[str, Callable[[Any], bool]]]:
    """The record's checks: per simple field its types and plausible range, a function per other.

    The range is None for a field only its type is judged on (a string, a flag).
    """
    from ..records import ModelRecord

    numeric = numeric_fields()
    scalars = {
        name: (_SCALAR_TYPES[text], _bounds(name) if name in numeric else None)
        for name, text in ModelRecord._annotation_text.items()
        if text in _SCALAR_TYPES
    }
    others = {n: _BY_ANNOTATION[t] for n, t in ModelRecord._annotation_text.items() if n not in scalars}
    return scalars, others


def check_record(doc: Any) -> dict[str, Any] | None:
    """A stored record's fields if every one has its declared type, with implausible numbers unknown.

    None when the row must not be served (not an object, no ``model``/``provider``/``model_id``, or
    any field of the wrong type). Unknown keys are dropped. The caller builds the record (from
    ``doc`` itself, which may be changed in place). This runs on every row a lookup reads (5,000
    in a query over the whole catalog): one dictionary lookup and a type test per simple field.
    """
    if type(doc) is not dict:
        return None
    scalars, others = _tables()
    unknown: list[str] = []
    bad: list[str] = []
    for key, value in doc.items():
        simple = scalars.get(key)
        if simple is not None:
            allowed, bounds = simple
            kind = type(value)
            if kind not in allowed or (kind is str and len(value) > MAX_TEXT):
                return None
            # A range comparison is False for NaN, and infinities fall outside every bound.
            if bounds is not None and value is not None and not bounds[0] <= value <= bounds[1]:
                bad.append(key)
            continue
        check = others.get(key)
        if check is None:
            unknown.append(key)
        elif not check(value):
            return None
    if type(doc.get("model")) is not str or not doc["model"] or not doc.get("provider") or not doc.get("model_id"):
        return None
    for key in unknown:
        del doc[key]
    prices = doc.get("prices") or {}
    bad_prices = [k for k, v in prices.items() if not _price_in_range(k, v)]
    if bad or bad_prices:
        provenance = doc.get("provenance") or {}
        for name in bad + bad_prices:
            value = doc[name] if name in bad else prices[name]
            gate_note(
                f"{doc['model']}: stored {name} {shown(value)} is not a real value; kept as unknown",
                provenance.get(name) or provenance.get("*"),
            )
            if name in bad:
                doc[name] = None
        if bad_prices:
            doc["prices"] = {k: v for k, v in prices.items() if k not in bad_prices} or None
        doc["provenance"] = {k: v for k, v in provenance.items() if k not in bad and k not in bad_prices}
    return doc


# -- documents ---------------------------------------------------------------------------------


def _number(v: Any) -> bool:
    return _finite_number(v)


def _time(v: Any) -> bool:
    return _finite_number(v) and EARLIEST <= v <= LATEST


def _count(v: Any) -> bool:
    return type(v) is int and 0 <= v <= 10**9


_ENVELOPE: dict[str, Callable[[Any], bool]] = {
    "source": _opt_str,
    "base_url": _opt_str,
    "fetched_at": _time,
    "expires_at": lambda v: _number(v) and v >= EARLIEST,
    "ttl": lambda v: _number(v) and v >= 0,
    "count": _count,
    "version": _opt_str,
    "failures": _count,
    "error": lambda v: v is None or type(v) is str,
    "degraded": _opt_bool,
    "retry_at": lambda v: v is None or (_number(v) and v >= EARLIEST),
    "last_attempt": _time,
    "notes": lambda v: type(v) is list and all(type(n) is str for n in v),
    "baseline": lambda v: v is None or type(v) is dict,
    "validators": lambda v: v is None or _str_dict(v),
    "digest": _opt_str,
    "payload_key": _opt_str,
    "previous_payload_key": _opt_str,
}
_POINTER: dict[str, Callable[[Any], bool]] = {
    "prefix": lambda v: type(v) is str and re.fullmatch(r"catalog:[\w-]{1,64}:[\w-]{1,64}", v, re.ASCII) is not None,
    "litellm_stamp": _opt_str,
    "built_at": _time,
    "synced_at": _time,
    "used_at": _time,
    "count": _count,
    "bundled_count": _count,
    "sources": lambda v: type(v) is dict and all(type(k) is str and _source_meta(m) for k, m in v.items()),
}
_SOURCE_META: dict[str, Callable[[Any], bool]] = {
    "version": _opt_str,
    "fetched_at": lambda v: v is None or _time(v),
    "expires_at": lambda v: v is None or (_number(v) and v >= EARLIEST),
    "retry_at": lambda v: v is None or (_number(v) and v >= EARLIEST),
    "error": lambda v: v is None or type(v) is str,
    "count": _count,
}


def _fits(doc: dict[str, Any], checks: dict[str, Callable[[Any], bool]]) -> bool:
    return all(check(doc[k]) for k, check in checks.items() if k in doc)


def _source_meta(meta: Any) -> bool:
    return type(meta) is dict and _fits(meta, _SOURCE_META)


def check_doc(key: str, doc: dict[str, Any]) -> dict[str, Any] | None:
    """A stored document if its known keys have their shapes (by the key's kind), else None.

    Envelopes (``envelope:``) and generation pointers (``catalog:<config>:meta``) are checked
    field by field; a pointer must name a prefix. Other documents are the callers' to check.
    """
    if key.startswith("envelope:"):
        if "validators" in doc and not _ENVELOPE["validators"](doc["validators"]):
            # Validators are an optimisation: unusable ones are dropped, never the listing they go with.
            gate_note(f"stored envelope {key[:80]!r} has unusable validators; the next fetch is unconditional")
            doc = {k: v for k, v in doc.items() if k != "validators"}
        ok = _fits(doc, _ENVELOPE)
    elif key.startswith("catalog:") and key.endswith(":meta"):
        ok = "prefix" in doc and _fits(doc, _POINTER)
    else:
        return doc
    if not ok:
        gate_note(f"stored {key.split(':', 1)[0]} document {key[:80]!r} has fields of the wrong type; ignored")
        return None
    return doc


def index_ok(index: Any, part: str) -> TypeGuard[dict[str, dict[str, str]]]:
    """Whether a generation's lookup row has its shape: ``{part: {str: str}}`` (``aliases``, ``lower``)."""
    return (
        type(index) is dict
        and type(index.get(part)) is dict
        and all(type(a) is str and type(b) is str for a, b in index[part].items())
    )


def check_history_entry(entry: Any, fields: frozenset[str]) -> HistoryEntry | None:
    """A history entry with a plausible time, its change rows limited to known ``fields``; else None."""
    if type(entry) is not dict or not _time(entry.get("at")):
        return None
    rows = entry.get("changes")
    if not isinstance(rows, list):
        return None
    # Each row keeps only the keys a change has, its field one the records have, its values scalars:
    # what makes it a ChangeRow (the model's name and kind are checked as the Change is built).
    kept: list[ChangeRow] = [
        cast("ChangeRow", {k: row[k] for k in _CHANGE_KEYS if k in row})
        for row in rows
        if type(row) is dict
        and (row.get("field") is None or row.get("field") in fields)
        and _scalar(row.get("old"))
        and _scalar(row.get("new"))
    ]
    held = entry.get("held")
    return {
        "at": entry["at"],
        "generation": entry.get("generation") if _opt_str(entry.get("generation")) else None,
        "held": held if _opt_str(held) else None,
        "reason": entry.get("reason") if _opt_str(entry.get("reason")) else None,
        "changes": kept,
    }
