"""Searches over a generation: run on its facets, answered with the records the caller touches.

A question whose answer is thousands of records ("tools, at least 128k context": 3,000 of 5,600)
used to build every one of them, each row checked by the gate, before the caller saw the first.
Now it runs on the generation's facets (one row; see ``_persistence.facets``) with the very
filters and orders of :func:`~massgen_discovery._domain.query.run_query`, and answers a
:class:`Records` sequence of the matching models that builds each record when it is read, the
records of one part together. Answers are kept per question while the generation is current: they
are immutable, so every caller shares one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, overload

from .._persistence import rows

if TYPE_CHECKING:
    from .._domain.query import Query
    from .._persistence.facets import Facet
    from ..records import ModelRecord
    from .generations import Generations
    from .state import State, View

__all__ = ["ANSWERS_KEPT", "Records", "Search"]

ANSWERS_KEPT = 64
"""Answers a view keeps (the latest questions); a new generation starts empty."""


class Records(Sequence["ModelRecord"]):
    """A search's answer: the matching records in order, each built when first read.

    A read-only sequence (``len``, index, slice, iterate, ``in``); ``==`` compares it with any
    sequence of records element by element, and ``list(answer)`` makes a list.
    """

    __slots__ = ("_built", "_load", "_names")

    def __init__(self, names: list[str], load: Callable[[list[str]], dict[str, ModelRecord]]) -> None:
        self._names = names
        self._load = load
        self._built: dict[int, ModelRecord] = {}

    @classmethod
    def of(cls, records: list[ModelRecord]) -> Records:
        """An answer of records already built."""
        answer = cls([r.model for r in records], _nothing_to_load)
        answer._built = dict(enumerate(records))
        return answer

    def __len__(self) -> int:
        return len(self._names)

    @overload
    def __getitem__(self, at: int) -> ModelRecord: ...

    @overload
    def __getitem__(self, at: slice) -> list[ModelRecord]: ...

    def __getitem__(self, at: int | slice) -> ModelRecord | list[ModelRecord]:
        if isinstance(at, slice):
            indexes = range(*at.indices(len(self._names)))
            self._build(indexes)
            return [self._built[i] for i in indexes if i in self._built]
        index = at + len(self._names) if at < 0 else at
        if not 0 <= index < len(self._names):
            raise IndexError("search answer index out of range")
        record = self._built.get(index)
        if record is None:
            self._build(range(index, min(index + 64, len(self._names))))  # its neighbours share its parts
            if index >= len(self._names):
                raise IndexError("search answer index out of range")
            record = self._built[index]
        return record

    def __iter__(self) -> Iterator[ModelRecord]:
        if len(self._built) < len(self._names):
            self._build(range(len(self._names)))
        return (self._built[i] for i in range(len(self._names)))

    def _build(self, indexes: range) -> None:
        wanted = [i for i in indexes if i not in self._built]
        if not wanted:
            return
        got = self._load([self._names[i] for i in wanted])
        if all(self._names[i] in got for i in wanted):
            self._built.update((i, got[self._names[i]]) for i in wanted)
            return
        # The generation was damaged and rebuilt under the answer: it keeps the models still there.
        every = self._load(self._names)
        self._names = [n for n in self._names if n in every]
        self._built = {i: every[n] for i, n in enumerate(self._names)}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (str, bytes)) or not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Sequence[ModelRecord]) -> list[ModelRecord]:
        return [*self, *other]

    def __radd__(self, other: Sequence[ModelRecord]) -> list[ModelRecord]:
        return [*other, *self]

    def __repr__(self) -> str:
        return repr(list(self))


def _nothing_to_load(names: list[str]) -> dict[str, ModelRecord]:
    return {}


class Search:
    """Runs queries over a catalog's views (see the module docstring).

    Args:
        state: the catalog's shared state.
        generations: reads the view's rows.
    """

    def __init__(self, state: State, generations: Generations) -> None:
        self._s = state
        self._gen = generations

    def find(self, view: View, query: Query) -> Sequence[ModelRecord]:
        """The records matching ``query`` in the view, in the order it asks for."""
        key = repr(query)
        answer = view.answers.get(key)
        if answer is None:
            answer = self._answer(view, query)
            if len(view.answers) >= ANSWERS_KEPT:
                view.answers.pop(next(iter(view.answers)))
            view.answers[key] = answer
        return answer

    def _answer(self, view: View, query: Query) -> Sequence[ModelRecord]:
        from .._domain.query import run_query

        flag = next((n for n, wanted in query.capabilities.items() if wanted is True), None)
        if flag is not None and query.include_unknown:
            flag = None
        facets = self._facets(view, flag) if view.records is None else None
        if facets is not None:
            found = run_query(facets, query, by_name=True, satisfied=frozenset((flag,) if flag else ()))
            return Records(list(map(itemgetter(0), found)), lambda names: self._records(view, names))
        if flag is None:
            return Records.of(run_query(self._gen.all(view).values(), query, by_name=True))
        flagged = view.flagged.get(flag)
        if flagged is None:
            flagged = view.flagged[flag] = self._gen.flagged(view, flag)
        return Records.of(run_query(flagged, query, by_name=True, satisfied=frozenset((flag,))))

    def _facets(self, view: View, flag: str | None) -> list[Facet] | None:
        """The view's facets (with ``flag``, those with it), read once; None when it has no sound facets row."""
        if flag is not None:
            kept = view.facets_flagged.get(flag)
            if kept is None:
                every = self._facets(view, None)
                kept = view.facets_flagged[flag] = [f for f in every if getattr(f, flag) is True] if every else every
            return kept
        if view.facets is None:
            directory = self._gen.directory(view)
            key = directory.facets if directory is not None else None
            found = rows.facets_of(directory, self._s.store.get_raw(key)) if directory and key else None
            view.facets = (found,)
        return view.facets[0]

    def _records(self, view: View, names: list[str]) -> dict[str, ModelRecord]:
        """The records of ``names`` in the view, read part by part (a damaged part: the view is repaired)."""
        if view.records is not None:
            return self._named(view, names)
        directory = self._gen.directory(view)
        wanted: dict[str, set[str]] = {}
        for name in names:
            key = directory.part_for(name) if directory is not None else None
            wanted.setdefault(key or "", set()).add(name)
        found: dict[str, ModelRecord] = {}
        keys = [k for k in wanted if k]
        if "" not in wanted:
            for key, raw in zip(keys, self._s.store.get_many_raw(keys), strict=True):
                records = rows.decode_part(key, raw, among=wanted[key])
                if records is None:
                    break
                found.update((r.model, r) for r in records)
        if len(found) < len(set(names)):  # a part gone or damaged: read (and mend) the generation
            return self._named(view, names)
        return found

    def _named(self, view: View, names: list[str]) -> dict[str, ModelRecord]:
        every = self._gen.all(view)
        return {name: every[name] for name in names if name in every}
