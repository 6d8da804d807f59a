"""Filtering and sorting records. Pure functions over records already in memory.

Unknown never passes a filter by accident: a model whose context is unknown does not meet
``min_context``, a model whose price is unknown is not "under $1", and a capability nobody reported
does not count as supported, unless ``include_unknown=True`` asks for those too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any, Literal, TypeVar

from ..errors import ConfigError
from ..records import CAPABILITY_FIELDS, ModelRecord

__all__ = ["SORT_KEYS", "Query", "build_query", "run_query"]

SortKey = Literal["price", "context", "name", "newest"]
_R = TypeVar("_R")
SORT_KEYS: tuple[str, ...] = ("price", "context", "name", "newest")


_DEFAULTS: dict[str, object] = {
    "providers": None, "mode": None, "capabilities": None, "min_context": None, "min_output": None,
    "max_input_cost": None, "max_output_cost": None, "input_modalities": None, "output_modalities": None,
    "available": None, "pinned": None, "terms": (), "include_unknown": False, "sort": "name", "limit": None,
}  # fmt: skip


class Query:
    """A model search. Every criterion left at its default matches everything.

    Immutable; :meth:`replace` makes a changed copy. A plain class rather than a dataclass: a cold
    search does not import :mod:`dataclasses` (and :mod:`inspect`, about 9 ms).
    """

    __slots__ = tuple(_DEFAULTS)

    providers: Sequence[str] | None
    """Keep these LiteLLM provider ids."""
    mode: str | Sequence[str] | None
    """Keep this LiteLLM mode (``chat``, ``embedding`` ...), or any of several."""
    capabilities: dict[str, bool]
    """``supports_*`` field -> wanted value."""
    min_context: int | None
    """Smallest acceptable ``max_input_tokens``."""
    min_output: int | None
    """Smallest acceptable ``max_output_tokens``."""
    max_input_cost: float | None
    """Highest acceptable input price, USD per 1M tokens."""
    max_output_cost: float | None
    """Highest acceptable output price, USD per 1M tokens."""
    input_modalities: Sequence[str] | None
    """Every one of these must be accepted."""
    output_modalities: Sequence[str] | None
    """Every one of these must be produced."""
    available: bool | None
    """Keep models whose ``available`` is this value."""
    pinned: bool | None
    """True: only routes pinned to one serving provider (``served_by`` set); False: only others."""
    terms: Sequence[str]
    """Case-insensitive substrings that must all appear in the model string."""
    include_unknown: bool
    """Let unknown values pass the capability, limit, price and availability filters."""
    sort: SortKey
    """``price`` (cheapest input first), ``context`` (largest first), ``newest`` (latest release
    first, unknown dates last) or ``name``."""
    limit: int | None
    """Return at most this many."""

    def __init__(self, **criteria: Any) -> None:
        unknown = sorted(set(criteria) - set(_DEFAULTS))
        if unknown:
            raise TypeError(f"Query() got unknown criteria {', '.join(unknown)}")
        for name, default in _DEFAULTS.items():
            object.__setattr__(self, name, criteria.get(name, default))
        if self.capabilities is None:
            object.__setattr__(self, "capabilities", {})
        bad = sorted(set(self.capabilities) - set(CAPABILITY_FIELDS))
        if bad:
            raise ValueError(f"unknown capability {', '.join(bad)}; known: {', '.join(CAPABILITY_FIELDS)}")
        if self.sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}, not {self.sort!r}")
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must not be negative")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Query is immutable; use replace({name}=...)")

    def replace(self, **changes: Any) -> Query:
        """A copy with ``changes``."""
        return Query(**{**{name: getattr(self, name) for name in _DEFAULTS}, **changes})

    def __repr__(self) -> str:
        return f"Query({', '.join(f'{name}={getattr(self, name)!r}' for name in _DEFAULTS)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Query) and repr(self) == repr(other)

    __hash__ = None  # type: ignore[assignment]

    def matches(self, record: ModelRecord) -> bool:
        """True when ``record`` meets every criterion."""
        unknown_ok = self.include_unknown
        if self.providers is not None and record.provider not in self.providers:
            return False
        if self.mode is not None:
            modes = (self.mode,) if isinstance(self.mode, str) else tuple(self.mode)
            if record.mode not in modes and not (unknown_ok and record.mode is None):
                return False
        for name, wanted in self.capabilities.items():
            value = getattr(record, name)
            if value is None:
                if not unknown_ok:
                    return False
            elif value is not wanted:
                return False
        availability_ok = record.available is self.available or (unknown_ok and record.available is None)
        if self.available is not None and not availability_ok:
            return False
        if not _at_least(record.max_input_tokens, self.min_context, unknown_ok):
            return False
        if not _at_least(record.max_output_tokens, self.min_output, unknown_ok):
            return False
        if not _at_most(record.per_million("input"), self.max_input_cost, unknown_ok):
            return False
        if not _at_most(record.per_million("output"), self.max_output_cost, unknown_ok):
            return False
        if not _covers(record.input_modalities, self.input_modalities, unknown_ok):
            return False
        if not _covers(record.output_modalities, self.output_modalities, unknown_ok):
            return False
        if self.pinned is not None and (record.served_by is not None) is not self.pinned:
            return False
        if self.terms:
            haystack = record.model.lower()
            if not all(term.lower() in haystack for term in self.terms):
                return False
        return True


def _at_least(value: int | None, bound: int | None, unknown_ok: bool) -> bool:
    if bound is None:
        return True
    return unknown_ok if value is None else value >= bound


def _at_most(value: float | None, bound: float | None, unknown_ok: bool) -> bool:
    if bound is None:
        return True
    # Compare in USD per 1M with a little slack so "$0.15" keeps a 1.5e-07-per-token model.
    return unknown_ok if value is None else value <= bound * (1 + 1e-9)


def _covers(have: list[str] | None, want: Sequence[str] | None, unknown_ok: bool) -> bool:
    if not want:
        return True
    return unknown_ok if have is None else set(want) <= set(have)


def _released(record: Any) -> str:
    return record.release_date or ""


def _sort_key(sort: SortKey) -> Callable[[Any], Any]:
    inf = float("inf")
    if sort == "price":
        return lambda r: (
            r.input_cost_per_token if r.input_cost_per_token is not None else inf,
            r.output_cost_per_token if r.output_cost_per_token is not None else inf,
            r.model,
        )
    if sort == "context":
        return lambda r: (-(r.max_input_tokens or -1), r.model)
    return lambda r: r.model


def _is(name: str, wanted: bool, unknown_ok: bool) -> Callable[[ModelRecord], bool]:
    def keep(record: ModelRecord) -> bool:
        value = getattr(record, name)
        return value is wanted or (unknown_ok and value is None)

    return keep


def _at_least_filter(name: str, bound: int, unknown_ok: bool) -> Callable[[ModelRecord], bool]:
    if unknown_ok:
        return lambda record: _at_least(getattr(record, name), bound, True)
    get = attrgetter(name)
    return lambda record: (value := get(record)) is not None and value >= bound


def _at_most_filter(kind: Literal["input", "output"], cap: float, unknown_ok: bool) -> Callable[[ModelRecord], bool]:
    return lambda record: _at_most(record.per_million(kind), cap, unknown_ok)


def _filters(query: Query, satisfied: frozenset[str] = frozenset()) -> list[Callable[[Any], object]]:
    """``query.matches`` as one filter per criterion that is set, the ones that run in C first.

    Each pass keeps what passes, so the later (Python-level) checks see only the survivors: a
    warm capability query costs about what a dict comprehension over LiteLLM's map costs.
    """
    unknown_ok = query.include_unknown
    fast: list[Callable[[Any], object]] = []
    slow: list[Callable[[Any], object]] = []
    for name, wanted in query.capabilities.items():
        if name in satisfied and wanted is True and not unknown_ok:
            continue  # the records come from an index of exactly those with this flag
        if wanted is True and not unknown_ok:
            fast.append(attrgetter(name))  # True passes; False and None (unknown) do not
        else:
            slow.append(_is(name, wanted, unknown_ok))
    if query.available is True and not unknown_ok:
        fast.append(attrgetter("available"))
    elif query.available is not None:
        slow.append(_is("available", query.available, unknown_ok))
    if query.providers is not None:
        providers = frozenset(query.providers)
        slow.append(lambda r: r.provider in providers)
    if query.mode is not None:
        modes = frozenset((query.mode,) if isinstance(query.mode, str) else query.mode)
        slow.append(lambda r: r.mode in modes or (unknown_ok and r.mode is None))
    for attr, bound in (("max_input_tokens", query.min_context), ("max_output_tokens", query.min_output)):
        if bound is not None:
            slow.append(_at_least_filter(attr, bound, unknown_ok))
    if query.max_input_cost is not None:
        slow.append(_at_most_filter("input", query.max_input_cost, unknown_ok))
    if query.max_output_cost is not None:
        slow.append(_at_most_filter("output", query.max_output_cost, unknown_ok))
    if query.input_modalities:
        slow.append(lambda r: _covers(r.input_modalities, query.input_modalities, unknown_ok))
    if query.output_modalities:
        slow.append(lambda r: _covers(r.output_modalities, query.output_modalities, unknown_ok))
    if query.pinned is not None:
        slow.append(lambda r: (r.served_by is not None) is query.pinned)
    if query.terms:
        terms = [t.lower() for t in query.terms]
        slow.append(lambda r: all(t in r.model.lower() for t in terms))
    return fast + slow


def run_query(
    records: Iterable[_R],
    query: Query,
    *,
    by_name: bool = False,
    satisfied: frozenset[str] = frozenset(),
) -> list[_R]:
    """Records matching ``query``, sorted and limited as it says. Unknown prices and limits sort last.

    ``records`` are records, or anything with the fields a query reads under the same names (a
    generation's facets). ``by_name`` says ``records`` already come sorted by model string (a
    catalog's do), so the default order needs no sort; ``satisfied`` names capability flags every record is known to
    have (they come from a per-flag index), so those are not checked again.
    """
    found = list(records)
    for keep in _filters(query, satisfied):
        found = list(filter(keep, found))
    if query.sort == "newest":
        # By name, then by release date, latest first (a stable sort keeps names in order within a
        # date; ISO dates compare as text; unknown dates sort last).
        found.sort(key=attrgetter("model"))
        found.sort(key=_released, reverse=True)
    elif query.sort != "name":
        found.sort(key=_sort_key(query.sort))
    elif not by_name:
        found.sort(key=attrgetter("model"))
    return found if query.limit is None else found[: query.limit]


_CAPABILITY_ALIASES = {
    "tools": "supports_function_calling",
    "function_calling": "supports_function_calling",
    "vision": "supports_vision",
    "structured_output": "supports_response_schema",
    "response_schema": "supports_response_schema",
    "reasoning": "supports_reasoning",
    "prompt_caching": "supports_prompt_caching",
    "audio_input": "supports_audio_input",
    "pdf_input": "supports_pdf_input",
}


def build_query(
    *,
    provider: str | None = None,
    providers: Sequence[str] | None = None,
    mode: str | Sequence[str] | None = None,
    min_context: int | None = None,
    min_output: int | None = None,
    max_input_cost: float | None = None,
    max_output_cost: float | None = None,
    input_modalities: Sequence[str] | None = None,
    output_modalities: Sequence[str] | None = None,
    available: bool | None = None,
    pinned: bool | None = None,
    query: str | Sequence[str] | None = None,
    include_unknown: bool = False,
    sort: SortKey = "name",
    limit: int | None = None,
    **capabilities: bool | None,
) -> Query:
    """Turn ``find_models`` keyword arguments into a :class:`~massgen_discovery._domain.query.Query`.

    Capabilities are given by field name (``supports_function_calling=True``) or short name
    (``tools=True``, ``vision``, ``structured_output``, ``reasoning`` ...). Prices are USD per 1M
    tokens, like the CLI's ``--max-input-cost``.
    """
    caps: dict[str, bool] = {}
    for name, wanted in capabilities.items():
        field_name = _CAPABILITY_ALIASES.get(name, name)
        if field_name not in CAPABILITY_FIELDS:
            raise ConfigError(f"find_models() got an unknown criterion {name!r}")
        if wanted is not None:
            caps[field_name] = bool(wanted)
    wanted_providers = list(providers) if providers is not None else None
    if provider is not None:
        wanted_providers = [*(wanted_providers or []), provider]
    terms = [query] if isinstance(query, str) else list(query or [])
    try:
        return Query(
            providers=wanted_providers,
            mode=mode,
            capabilities=caps,
            min_context=min_context,
            min_output=min_output,
            max_input_cost=max_input_cost,
            max_output_cost=max_output_cost,
            input_modalities=input_modalities,
            output_modalities=output_modalities,
            available=available,
            pinned=pinned,
            terms=terms,
            include_unknown=include_unknown,
            sort=sort,
            limit=limit,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
