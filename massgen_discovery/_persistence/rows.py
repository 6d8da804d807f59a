"""A generation's rows: how the merged catalog is written to the store and read back.

A generation is a small ``dir`` row under its prefix and *parts* it names by content:

- each part holds the records of a run of models (sorted by key; a part ends where the key's group
  ``<provider>/`` changes, at a boundary the key's own hash picks, or at :data:`PART_MAX` records),
  under ``part:<BLAKE2b-128 of its text>``, as a table: ``{"c": [field, ...], "r": [[value, ...],
  ...]}``, each field named once, null for what a record does not know;
- the lookup index (LiteLLM's aliases) and every key in lower case are parts too, cut where a
  name's own hash says, so an alias that points elsewhere now rewrites its own part only.

A part is written once and shared by every generation and configuration whose records are the
same (LiteLLM's map above all), so a generation costs about what changed; the boundaries depend on
the keys only, so a model added or removed moves one part, not all of them. The store removes a
part when no generation names it any more.

Rows are the records' known fields (``exclude_defaults``), in the short forms of
:mod:`massgen_discovery._persistence.docs`, written by pydantic's core; they are read back with
:mod:`json` and built without validation, so a lookup never imports pydantic. Every row passes the
gate (:mod:`massgen_discovery._domain.gate`) first, and a part must hash to its name: a damaged or
forged row reads as None and the caller rebuilds.
"""

from __future__ import annotations

import json
import zlib
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from itertools import chain, pairwise
from typing import TYPE_CHECKING, Any

from .._domain.digest import blake2b_hex
from .._domain.gate import index_ok
from ..records import ModelRecord
from .docs import RecordDocs, from_doc

if TYPE_CHECKING:
    from .facets import Facet

__all__ = [
    "PART",
    "Directory",
    "Encoded",
    "decode_part",
    "encode_generation",
    "facets_of",
    "find_in_part",
    "part_docs",
    "part_names",
    "read_directory",
    "read_index",
]

PART = "part:"
"""The key prefix of a part (``part:<BLAKE2b-128 of the text, 32 hex>``)."""
PART_MAX = 256
"""The most records a part holds."""
_BOUNDARY = 64
"""A key whose CRC-32 is a multiple of this ends a part (about 64 records a part on average)."""

MAX_PARTS = 20_000
"""Most parts a generation's directory may name (about 500,000 records at the usual 26 a part;
27,000 records take about 1,000): a forged directory costs a reader a bounded number of reads."""
MAX_DIRECTORY = 2 << 20
"""Most bytes of a ``dir`` row a reader parses (about 80 bytes a part): a longer one is damaged."""


def part_key(text: str) -> str:
    """The key a part's text is stored under: its BLAKE2b-128 (built in, and fast on MBs)."""
    return PART + blake2b_hex(text, 16)


def _group(model: str) -> str:
    head, slash, _rest = model.partition("/")
    return head if slash else ""


def _runs(
    models: list[str], known: Mapping[str, tuple[str, bool]], seen: dict[str, tuple[str, bool]]
) -> Iterable[list[str]]:
    """Sorted keys cut into parts at boundaries that depend on the keys alone.

    Each key's group and whether it ends a part come from ``known`` (the last build's) or are
    worked out, and are kept in ``seen``.
    """
    run: list[str] = []
    group = ""
    for model in models:
        facts = known.get(model)
        if facts is None:
            facts = (_group(model), zlib.crc32(model.encode()) % _BOUNDARY == 0)
        seen[model] = facts
        if run and (len(run) >= PART_MAX or facts[0] != group):
            yield run
            run = []
        run.append(model)
        group = facts[0]
        if facts[1]:
            yield run
            run = []
    if run:
        yield run


class Encoded:
    """What one generation's encoding made, kept so the next build reuses it.

    A run of the very same record objects (LiteLLM's map is loaded once per process, and a source
    that did not move hands back the records it parsed before), or of records equal to them,
    encodes to the same part: it is not turned into JSON and hashed again. With the same keys, a
    run is compared with the last build's as a slice of the records (at C speed, identity first).
    ``parts`` holds each part's records by key, so the next build compares with the previous
    generation without reading its parts back. A catalog keeps the latest one and swaps it whole,
    so concurrent builds never see one half-made.
    """

    __slots__ = ("fragments", "index", "keys", "parts", "prefix", "split", "texts", "values")

    def __init__(self) -> None:
        self.prefix = ""
        """The generation encoded (its key prefix)."""
        self.split: tuple[list[str], list[list[str]]] = ([], [])
        """The sorted keys and the runs they were cut into (the same keys are cut the same)."""
        self.keys: dict[str, tuple[str, bool]] = {}
        """Per key, its group and whether it ends a part."""
        self.values: list[ModelRecord] = []
        """The records, in the order of the sorted keys."""
        self.texts: list[tuple[str, str]] = []
        """Per run, its part's text and key."""
        self.parts: dict[str, list[ModelRecord]] = {}
        """Per part key, its records."""
        self.index: dict[str, tuple[Any, list[tuple[dict[str, Any], str, str]]]] = {}
        """Per lookup index, the mapping encoded and its parts (entries, text, key)."""
        self.fragments: dict[str, tuple[str, ...]] = {}
        """Per part key, its records' rows of the facets row (see ``facets``)."""

    def by_ids(self) -> dict[tuple[int, ...], tuple[str, str]]:
        """Per run of record objects (their ids: ``values`` keeps them alive), its part's text and key."""
        out: dict[tuple[int, ...], tuple[str, str]] = {}
        start = 0
        for run, hit in zip(self.split[1], self.texts, strict=True):
            end = start + len(run)
            out[tuple(map(id, self.values[start:end]))] = hit
            start = end
        return out


def _part(to_json: Any, docs: list[dict[str, Any]]) -> tuple[str, str]:
    """(text, key) of a part: each field named once, a row of values per record (null: not known)."""
    columns = list(dict.fromkeys(chain.from_iterable(docs)))
    text = to_json({"c": columns, "r": [list(map(doc.get, columns)) for doc in docs]}, inf_nan_mode="null").decode()
    return text, part_key(text)


def encode_generation(
    prefix: str,
    merged: Mapping[str, ModelRecord],
    index: Mapping[str, Any],
    docs_out: dict[str, list[dict[str, Any]]] | None = None,
    previous: Encoded | None = None,
    made: Encoded | None = None,
) -> dict[str, str]:
    """Every row of a generation under ``prefix``: its ``dir`` and the parts it names.

    ``index`` maps ``aliases`` (LiteLLM's own keys) and ``lower`` (every key in lower case); each is
    a part of its own, so an exact alias, the usual case, reads the small one. ``docs_out``, when
    given, receives the documents of each part encoded here (not of those reused) under its key.
    ``previous`` is the last generation's :class:`Encoded`, whose parts are reused for the same
    records; ``made`` (a new one) receives this generation's.
    """
    from pydantic_core import to_json

    from . import facets

    made = made if made is not None else Encoded()
    rows: dict[str, str] = {}
    parts: list[list[Any]] = []
    runs, same = _cut(prefix, merged, previous, made)
    values = made.values
    doc_of = RecordDocs()
    reuse: dict[tuple[int, ...], tuple[str, str]] | None = None  # by record ids, once the keys moved
    start = 0
    for at, run in enumerate(runs):
        end = start + len(run)
        records = values[start:end]
        hit: tuple[str, str] | None = None
        if previous is not None and same:
            # The same keys: a run is the last build's part when its records are (identical ones
            # compare at C speed; LiteLLM's map and a source that did not move hand back the same).
            if previous.values[start:end] == records:
                hit = previous.texts[at]
        elif previous is not None:
            reuse = previous.by_ids() if reuse is None else reuse
            hit = reuse.get(tuple(map(id, records)))
        if hit is None:
            docs = [doc_of(record) for record in records]
            hit = _part(to_json, docs)
            if docs_out is not None:
                docs_out[hit[1]] = docs
        text, key = hit
        rows[key] = text
        parts.append([run[0], key[len(PART) :], len(run)])
        # A part's facets follow from its text: the same part, the same facets.
        found = previous.fragments.get(key) if previous is not None else None
        made.texts.append(hit)
        made.parts[key] = records
        made.fragments[key] = found if found is not None else facets.fragment(records)
        start = end
    lookups = _encode_lookups(index, previous, made, rows)
    text = facets.facets_text([made.fragments[PART + p[1]] for p in parts])
    rows[part_key(text)] = text
    rows[f"{prefix}:dir"] = to_json({"parts": parts, **lookups, "facets": part_key(text)[len(PART) :]}).decode()
    return rows


def _cut(
    prefix: str, merged: Mapping[str, ModelRecord], previous: Encoded | None, made: Encoded
) -> tuple[list[list[str]], bool]:
    """(the runs the sorted keys are cut into, whether the keys are the last build's); kept in ``made``."""
    seen = made.keys
    ordered = sorted(merged)
    same = previous is not None and previous.split[0] == ordered
    if previous is not None and same:
        runs = previous.split[1]
        seen.update(previous.keys)
    else:
        runs = list(_runs(ordered, previous.keys if previous is not None else {}, seen))
    made.prefix, made.split, made.values = prefix, (ordered, runs), list(map(merged.__getitem__, ordered))
    return runs, same


def _encode_lookups(
    index: Mapping[str, Any], previous: Encoded | None, made: Encoded, rows: dict[str, str]
) -> dict[str, list[list[str]]]:
    """Each lookup index's parts into ``rows``; per index, each part with its first name (a lookup reads one)."""
    lookups: dict[str, list[list[str]]] = {}
    for name in ("aliases", "lower"):
        pieces = _index_parts(name, index[name], previous.index.get(name) if previous is not None else None)
        rows.update((key, text) for _sub, text, key in pieces)
        lookups[name] = [[next(iter(sub), ""), key[len(PART) :]] for sub, _text, key in pieces]
        made.index[name] = (index[name], pieces)
    return lookups


_Pieces = list[tuple[dict[str, Any], str, str]]
_INDEX_BOUNDARY = 256
"""A name whose CRC-32 is a multiple of this ends a lookup index's part (entries are short)."""
_INDEX_MAX = 1024


def _index_runs(names: list[str]) -> Iterable[list[str]]:
    """Sorted names cut where the name's own hash says (not by group: few reads for a cold lookup)."""
    run: list[str] = []
    for name in names:
        run.append(name)
        if len(run) >= _INDEX_MAX or zlib.crc32(name.encode()) % _INDEX_BOUNDARY == 0:
            yield run
            run = []
    if run:
        yield run


def _index_parts(name: str, entries: Mapping[str, Any], known: tuple[Any, _Pieces] | None) -> _Pieces:
    """A lookup index cut into parts by name (:func:`_index_runs`), each (entries, text, key).

    A part whose entries are the last build's is reused as it was: a listing whose aliases point
    elsewhere now (a router's ``:fastest``) writes the parts its names fall in, not LiteLLM's.
    """
    from pydantic_core import to_json

    if known is not None and known[0] is entries:
        return known[1]
    last = {next(iter(sub)): (sub, text, key) for sub, text, key in known[1] if sub} if known else {}
    if known is not None and known[0].keys() == entries.keys():  # the same names are cut the same
        runs: Iterable[list[str]] = [list(sub) for sub, _text, _key in known[1] if sub]
    else:
        runs = _index_runs(sorted(entries))
    pieces: _Pieces = []
    for run in runs:
        sub = {k: entries[k] for k in run}
        hit = last.get(run[0])
        if hit is None or hit[0] != sub:
            text = to_json({name: sub}).decode()
            hit = (sub, text, part_key(text))
        pieces.append(hit)
    if not pieces:  # an empty index is one empty part, so the directory always names one
        text = to_json({name: {}}).decode()
        pieces.append(({}, text, part_key(text)))
    return pieces


class Directory:
    """A generation's ``dir`` row, read: which part holds a key, and the lookup parts."""

    __slots__ = ("counts", "facets", "firsts", "lookup_firsts", "lookups", "names")

    def __init__(
        self, parts: list[list[Any]], lookups: dict[str, list[tuple[str, str]]], facets: str | None = None
    ) -> None:
        self.firsts = [p[0] for p in parts]
        self.names = [PART + p[1] for p in parts]
        self.counts = [p[2] for p in parts]
        self.lookups = {k: [PART + digest for _first, digest in named] for k, named in lookups.items()}
        """Per lookup index (``aliases``, ``lower``), the keys of its parts."""
        self.lookup_firsts = {k: [first for first, _digest in named] for k, named in lookups.items()}
        self.facets = PART + facets if facets is not None else None
        """The key of the facets row (None in a generation written before there was one)."""

    def lookup_part(self, index: str, name: str) -> str | None:
        """The key of the ``index`` part that would hold ``name`` (None when it sorts before every part)."""
        at = bisect_right(self.lookup_firsts[index], name) - 1
        return self.lookups[index][at] if at >= 0 else None

    def part_for(self, model: str) -> str | None:
        """The key of the part that would hold ``model`` (None when it sorts before every part)."""
        at = bisect_right(self.firsts, model) - 1
        return self.names[at] if at >= 0 else None

    def every_part(self) -> list[str]:
        """Every part this generation names (records and lookups)."""
        facets = [self.facets] if self.facets is not None else []
        return [*self.names, *(key for keys in self.lookups.values() for key in keys), *facets]


def _hex32(value: Any) -> bool:
    return type(value) is str and len(value) == 32 and not value.strip("0123456789abcdef")


def read_directory(raw: str | None) -> Directory | None:
    """A ``dir`` row, checked (parts sorted, names that are hashes); None when damaged."""
    if not raw or len(raw) > MAX_DIRECTORY:
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if type(doc) is not dict or type(doc.get("parts")) is not list:
        return None
    parts = doc["parts"]
    if len(parts) > MAX_PARTS:
        return None  # more than any real generation: what a reader would be made to read is bounded
    lookups: dict[str, list[tuple[str, str]]] = {}
    for name in ("aliases", "lower"):
        named = doc.get(name)
        if type(named) is str:  # one part, as generations were once written
            named = [["", named]]
        if type(named) is not list or not named or len(named) > MAX_PARTS:
            return None
        pairs = [(e[0], e[1]) for e in named if type(e) is list and len(e) == 2 and type(e[0]) is str]
        if len(pairs) != len(named) or not all(_hex32(d) for _f, d in pairs):
            return None
        if any(a[0] >= b[0] for a, b in pairwise(pairs)):
            return None
        lookups[name] = pairs
    for entry in parts:
        if not (
            type(entry) is list
            and len(entry) == 3
            and type(entry[0]) is str
            and _hex32(entry[1])
            and type(entry[2]) is int
            and 0 < entry[2] <= PART_MAX
        ):
            return None
    firsts = [p[0] for p in parts]
    if any(a >= b for a, b in pairwise(firsts)):
        return None
    facets = doc.get("facets")
    if facets is not None and not _hex32(facets):
        return None
    return Directory(parts, lookups, facets)


def part_names(raw: str | None) -> list[str]:
    """The parts a ``dir`` row names (empty when it is damaged): what the store keeps alive."""
    directory = read_directory(raw)
    return directory.every_part() if directory is not None else []


def _part_json(key: str, raw: str | None) -> Any:
    """A part's JSON, if the text hashes to its key; None otherwise."""
    if not raw or part_key(raw) != key:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _part_docs(
    key: str, raw: str | None, field: str | None = None, value: Any = None, among: set[str] | None = None
) -> list[Any] | None:
    """A part's documents, if its text hashes to its key and is a part; None otherwise.

    A part is a table (``{"c": [field, ...], "r": [[value, ...], ...]}``, null for what a record
    does not know) or, as parts were once written, a list of documents. With ``field``, only the
    documents whose ``field`` is ``value`` (of its type) are made; with ``among``, those whose
    ``model`` is one of these. The documents are not checked: the gate judges them.
    """
    if among is not None:
        field = "model"
    part = _part_json(key, raw)
    if type(part) is list:
        if field is None:
            return part
        if among is not None:
            return [d for d in part if type(d) is dict and type(d.get(field)) is str and d[field] in among]
        return [d for d in part if type(d) is dict and type(d.get(field)) is type(value) and d[field] == value]
    if type(part) is not dict:
        return None
    columns, table = part.get("c"), part.get("r")
    if type(columns) is not list or type(table) is not list or not all(type(c) is str for c in columns):
        return None
    width = len(columns)
    if len(set(columns)) != width or not all(type(row) is list and len(row) == width for row in table):
        return None
    if field is not None:
        if field not in columns:
            return []
        at = columns.index(field)
        if among is not None:
            table = [row for row in table if type(row[at]) is str and row[at] in among]
        else:
            table = [row for row in table if type(row[at]) is type(value) and row[at] == value]
    # null is "not known" (the few fields stated even when None are ones no servable row lacks).
    return [{k: v for k, v in zip(columns, row, strict=True) if v is not None} for row in table]


def part_docs(key: str, raw: str | None) -> list[dict[str, Any]] | None:
    """A part's stored documents, unchecked (for comparing generations); None if damaged."""
    docs = _part_docs(key, raw)
    return docs if docs is not None and all(type(d) is dict for d in docs) else None


def decode_part(
    key: str, raw: str | None, flag: str | None = None, among: set[str] | None = None
) -> list[ModelRecord] | None:
    """Every record of a part (with ``flag``, only those whose capability is True); None if damaged.

    With ``flag``, only the records a query can return are checked and built; with ``among``, only
    those of these models.
    """
    docs = _part_docs(key, raw, among=among) if flag is None else _part_docs(key, raw, flag, True)
    if docs is None:
        return None
    records = [from_doc(doc) for doc in docs]
    return None if any(r is None for r in records) else records  # type: ignore[return-value]


def find_in_part(key: str, raw: str | None, model: str) -> tuple[bool, ModelRecord | None]:
    """(whether the part is sound, the record of ``model`` in it or None)."""
    docs = _part_docs(key, raw, "model", model)
    if docs is None:
        return False, None
    if not docs:
        return True, None
    record = from_doc(docs[0])
    return record is not None, record


def facets_of(directory: Directory, raw: str | None) -> list[Facet] | None:
    """The generation's facets (``raw``: its facets row), checked; None without a sound one."""
    if directory.facets is None or not raw or part_key(raw) != directory.facets:
        return None
    from .facets import read_facets  # a search's, not a lookup's

    return read_facets(raw, sum(directory.counts))


def read_index(keys: list[str], raws: list[str | None], name: str) -> dict[str, str] | None:
    """A lookup index (``aliases`` or ``lower``) from its parts, checked; None if any is damaged."""
    out: dict[str, str] = {}
    for key, raw in zip(keys, raws, strict=True):
        doc = _part_json(key, raw)
        if not index_ok(doc, name):
            return None
        out.update(doc[name])
    return out
