"""A generation's facets: what a search filters and sorts on, for every record, in one small row.

A question over the whole catalog ("tools, at least 128k context") reads this row (about 100 bytes
a record) instead of every part (about 300 bytes a record, each checked by the gate and built),
runs on :class:`Facet` tuples that carry just those fields under the records' own names, and
builds only the records the caller then touches.

The row holds one list per field (``{"c": [field, ...], "v": [[value, ...], ...]}``), each value
a record's in model order, named by the hash of its text. It is written from the merged records with
the parts, each part's rows encoded once and reused while the part is the same, and refused whole
on read when it is not exactly what a build writes (its hash, its columns, each value's type and
range): the search then reads the parts, whose rows pass the gate one by one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from itertools import chain, repeat
from operator import attrgetter, is_not, lt
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .._domain.gate import MAX_TEXT, plausible

if TYPE_CHECKING:
    from ..records import ModelRecord

__all__ = ["FIELDS", "Facet", "facets_text", "fragment", "read_facets"]


class Facet(NamedTuple):
    """The fields of one record that a search reads, under the record's own names."""

    model: str
    provider: str
    mode: str | None
    served_by: str | None
    available: bool | None
    max_input_tokens: int | None
    max_output_tokens: int | None
    input_cost_per_token: float | None
    output_cost_per_token: float | None
    input_modalities: list[str] | None
    output_modalities: list[str] | None
    release_date: str | None
    supports_function_calling: bool | None
    supports_response_schema: bool | None
    supports_vision: bool | None
    supports_reasoning: bool | None
    supports_prompt_caching: bool | None
    supports_audio_input: bool | None
    supports_pdf_input: bool | None

    def per_million(self, field: Literal["input", "output"]) -> float | None:
        """The input or output price in USD per 1M tokens, or None (as :meth:`ModelRecord.per_million`)."""
        value = self.input_cost_per_token if field == "input" else self.output_cost_per_token
        return None if value is None else value * 1_000_000


FIELDS: tuple[str, ...] = Facet._fields
"""The columns of the facets row, in order."""

_row_of = attrgetter(*FIELDS)
_NONE = type(None)
_KINDS: dict[str, frozenset[type]] = {
    **dict.fromkeys(("model", "provider"), frozenset({str})),
    **dict.fromkeys(("mode", "served_by", "release_date"), frozenset({str, _NONE})),
    **dict.fromkeys(("max_input_tokens", "max_output_tokens"), frozenset({int, _NONE})),
    **dict.fromkeys(("input_cost_per_token", "output_cost_per_token"), frozenset({int, float, _NONE})),
    **dict.fromkeys(("input_modalities", "output_modalities"), frozenset({list, _NONE})),
    **dict.fromkeys((f for f in FIELDS if f == "available" or f.startswith("supports_")), frozenset({bool, _NONE})),
}
_NUMBERS = frozenset({"max_input_tokens", "max_output_tokens", "input_cost_per_token", "output_cost_per_token"})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a value a build writes")


def fragment(records: Sequence[ModelRecord]) -> tuple[str, ...]:
    """The facets of a run of records: per field, its values as JSON text without the brackets."""
    from pydantic_core import to_json

    columns = zip(*map(_row_of, records), strict=True) if records else ((),) * len(FIELDS)
    return tuple(to_json(list(column), inf_nan_mode="null").decode()[1:-1] for column in columns)


def facets_text(fragments: Sequence[tuple[str, ...]]) -> str:
    """The facets row from the fragments of every part, in model order: one list of values per field."""
    columns = (",".join(f[at] for f in fragments if f[at]) for at in range(len(FIELDS)))
    return '{"c": ' + json.dumps(FIELDS) + ', "v": [' + ",".join(f"[{c}]" for c in columns) + "]}"


def read_facets(raw: str | None, count: int) -> list[Facet] | None:
    """The facets of a generation of ``count`` records, checked; None when the row is not one a build writes.

    The caller has checked that the text hashes to the row's name (``rows.facets_of``).
    """
    if not raw:
        return None
    try:
        doc = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None
    if type(doc) is not dict or doc.get("c") != list(FIELDS) or type(doc.get("v")) is not list:
        return None
    columns: list[Any] = doc["v"]
    if len(columns) != len(FIELDS) or not all(type(c) is list and len(c) == count for c in columns):
        return None
    if not all(_column_ok(name, column) for name, column in zip(FIELDS, columns, strict=True)):
        return None
    return list(map(_facet, repeat(Facet), zip(*columns, strict=True)))


_facet = tuple.__new__
_known = partial(filter, partial(is_not, None))


def _column_ok(name: str, column: Sequence[Any]) -> bool:
    """Every value of one column of the type and within the range a build writes (each check runs in C)."""
    kinds = _KINDS[name]
    if not set(map(type, column)) <= kinds:
        return False
    if name == "model":  # named, and strictly in order
        lengths = list(map(len, column))
        return min(lengths, default=1) > 0 and max(lengths, default=0) <= MAX_TEXT and all(map(lt, column, column[1:]))
    if name in _NUMBERS:  # the gate's range: the smallest and the largest in it, all are
        known = list(_known(column))
        return not known or (plausible(name, min(known)) and plausible(name, max(known)))
    if list in kinds:  # modalities: short lists of names
        lists = list(_known(column))
        return max(map(len, lists), default=0) <= 64 and set(map(type, chain.from_iterable(lists))) <= {str}
    if str in kinds:
        return max(map(len, _known(column)), default=0) <= MAX_TEXT
    return True
