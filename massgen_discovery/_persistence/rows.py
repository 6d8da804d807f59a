"""A generation's rows: how the merged catalog is written to the store and read back.

A generation is a small ``dir`` row under its prefix and *parts* it names by content:

- each part holds the records of a run of models (sorted by key; a part ends where the key's group
  ``<provider>/`` changes, at a boundary the key's own hash picks, or at :data:`PART_MAX` records),
  under ``part:<BLAKE2b-128 of its text>``;
- the lookup index (LiteLLM's aliases) and every key in lower case are parts too.

A part is written once and shared by every generation and configuration whose records are the
same (LiteLLM's map above all), so a generation costs about what changed; the boundaries depend on
the keys only, so a model added or removed moves one part, not all of them. The store removes a
part when no generation names it any more.

Rows are JSON written from the records' plain dicts (``exclude_defaults``: only what is known), by
pydantic's core; they are read back with :mod:`json` and built without validation, so a lookup
never imports pydantic. Every row passes the gate (:mod:`massgen_discovery._domain.gate`) first, and a part must hash to
its name: a damaged or forged row reads as None and the caller rebuilds.
"""

from __future__ import annotations

import json
import zlib
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from itertools import compress, pairwise, repeat
from operator import is_not, itemgetter
from typing import Any

from .._domain.digest import blake2b_hex
from .._domain.gate import check_record, index_ok, parse_stamp
from ..records import Conflict, ModelRecord

__all__ = [
    "PART",
    "Directory",
    "Encoded",
    "decode_part",
    "encode_generation",
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
    that did not move hands back the records it parsed before) encodes to the same part: it is not
    turned into JSON and hashed again. ``parts`` holds each part's records by key, so the next
    build compares with the previous generation without reading its parts back. A catalog keeps
    the latest one and swaps it whole, so concurrent builds never see one half-made.
    """

    __slots__ = ("index", "keys", "parts", "prefix", "runs", "split")

    def __init__(self) -> None:
        self.prefix = ""
        """The generation encoded (its key prefix)."""
        self.split: tuple[list[str], list[list[str]]] = ([], [])
        """The sorted keys and the runs they were cut into (the same keys are cut the same)."""
        self.keys: dict[str, tuple[str, bool]] = {}
        """Per key, its group and whether it ends a part."""
        self.runs: dict[tuple[int, ...], tuple[str, str]] = {}
        """Per run of record objects (their ids), its part's text and key."""
        self.parts: dict[str, list[ModelRecord]] = {}
        """Per part key, its records (which keep the ids in ``runs`` theirs)."""
        self.index: dict[str, tuple[Any, list[tuple[dict[str, Any], str, str]]]] = {}
        """Per lookup index, the mapping encoded and its parts (entries, text, key)."""


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

    rows: dict[str, str] = {}
    parts: list[list[Any]] = []
    reuse = previous.runs if previous is not None else {}
    stamps: dict[Any, str] = {}  # a listing's records share one fetch time: written as text once
    keep_none, defaults = ModelRecord.stating()
    nones = repeat(None)

    def doc_of(record: ModelRecord) -> dict[str, Any]:
        # The record's plain(exclude_defaults=True), inline (tens of thousands of records), in
        # the part's short forms, the time as text: as the document reads back from its JSON.
        fields = record.__dict__
        doc = dict(compress(fields.items(), map(is_not, fields.values(), nones)))  # the known, at C speed
        for k in keep_none:  # a few fields stated even when None
            if k not in doc and k in fields:
                doc[k] = None
        for k, default in defaults.items():  # a few fields whose default is not None
            if k in doc and doc[k] == default:
                del doc[k]
        if "conflicts" in doc:
            doc["conflicts"] = _stored_conflicts(doc, record.conflicts, record.provenance)
        doc = _compact(doc)
        stamp = doc.get("fetched_at")
        if stamp is not None and type(stamp) is not str:
            text = stamps.get(stamp)
            if text is None:
                text = stamps[stamp] = to_json(stamp).decode()[1:-1]
            doc["fetched_at"] = text
        return doc

    seen: dict[str, tuple[str, bool]] = made.keys if made is not None else {}
    ordered = sorted(merged)
    if previous is not None and previous.split[0] == ordered:
        runs = previous.split[1]
        seen.update(previous.keys)
    else:
        runs = list(_runs(ordered, previous.keys if previous is not None else {}, seen))
    if made is not None:
        made.prefix, made.split = prefix, (ordered, runs)
    for run in runs:
        records = list(map(merged.__getitem__, run))
        ident = tuple(map(id, records))
        hit = reuse.get(ident)
        if hit is not None:
            text, key = hit
        else:
            docs = [doc_of(record) for record in records]
            text = to_json(docs, inf_nan_mode="null").decode()
            key = part_key(text)
            if docs_out is not None:
                docs_out[key] = docs
        rows[key] = text
        parts.append([run[0], key[len(PART) :], len(run)])
        if made is not None:
            made.runs[ident] = (text, key)
            made.parts[key] = records  # the records stay alive, so their ids stay theirs
    lookups: dict[str, list[str]] = {}
    for name in ("aliases", "lower"):
        pieces = _index_parts(name, index[name], previous.index.get(name) if previous is not None else None)
        rows.update((key, text) for _sub, text, key in pieces)
        lookups[name] = [key[len(PART) :] for _sub, _text, key in pieces]
        if made is not None:
            made.index[name] = (index[name], pieces)
    rows[f"{prefix}:dir"] = to_json({"parts": parts, **lookups}).decode()
    return rows


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
    """A lookup index cut into parts as records are (by group and key), each (entries, text, key).

    A part whose entries are the last build's is reused as it was: a listing whose aliases point
    elsewhere now (a router's ``:fastest``) writes its own group's parts, not LiteLLM's.
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

    __slots__ = ("counts", "firsts", "lookups", "names")

    def __init__(self, parts: list[list[Any]], lookups: dict[str, list[str]]) -> None:
        self.firsts = [p[0] for p in parts]
        self.names = [PART + p[1] for p in parts]
        self.counts = [p[2] for p in parts]
        self.lookups = {k: [PART + v for v in names] for k, names in lookups.items()}
        """Per lookup index (``aliases``, ``lower``), the keys of its parts."""

    def part_for(self, model: str) -> str | None:
        """The key of the part that would hold ``model`` (None when it sorts before every part)."""
        at = bisect_right(self.firsts, model) - 1
        return self.names[at] if at >= 0 else None

    def every_part(self) -> list[str]:
        """Every part this generation names (records and lookups)."""
        return [*self.names, *(key for keys in self.lookups.values() for key in keys)]


def _hex32(value: Any) -> bool:
    return type(value) is str and len(value) == 32 and not value.strip("0123456789abcdef")


def read_directory(raw: str | None) -> Directory | None:
    """A ``dir`` row, checked (parts sorted, names that are hashes); None when damaged."""
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if type(doc) is not dict or type(doc.get("parts")) is not list:
        return None
    parts = doc["parts"]
    lookups: dict[str, list[str]] = {}
    for name in ("aliases", "lower"):
        named = doc.get(name)
        named = [named] if type(named) is str else named  # one part, as generations were once written
        if type(named) is not list or not named or not all(_hex32(v) for v in named):
            return None
        lookups[name] = named
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
    return Directory(parts, lookups)


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


def _part_docs(key: str, raw: str | None) -> list[Any] | None:
    """A part's documents, if the text hashes to its key and is a JSON list."""
    docs = _part_json(key, raw)
    return docs if type(docs) is list else None


def part_docs(key: str, raw: str | None) -> list[dict[str, Any]] | None:
    """A part's stored documents, unchecked (for comparing generations); None if damaged."""
    docs = _part_docs(key, raw)
    return docs if docs is not None and all(type(d) is dict for d in docs) else None


def decode_part(key: str, raw: str | None, flag: str | None = None) -> list[ModelRecord] | None:
    """Every record of a part (with ``flag``, only those whose capability is True); None if damaged.

    With ``flag``, only the records a query can return are checked and built.
    """
    docs = _part_docs(key, raw)
    if docs is None:
        return None
    if flag is not None:
        docs = [doc for doc in docs if type(doc) is dict and doc.get(flag) is True]
    records = [_from_doc(doc) for doc in docs]
    return None if any(r is None for r in records) else records  # type: ignore[return-value]


def find_in_part(key: str, raw: str | None, model: str) -> tuple[bool, ModelRecord | None]:
    """(whether the part is sound, the record of ``model`` in it or None)."""
    docs = _part_docs(key, raw)
    if docs is None:
        return False, None
    for doc in docs:
        if type(doc) is dict and doc.get("model") == model:
            record = _from_doc(doc)
            return record is not None, record
    return True, None


def read_index(keys: list[str], raws: list[str | None], name: str) -> dict[str, str] | None:
    """A lookup index (``aliases`` or ``lower``) from its parts, checked; None if any is damaged."""
    out: dict[str, str] = {}
    for key, raw in zip(keys, raws, strict=True):
        doc = _part_json(key, raw)
        if not index_ok(doc, name):
            return None
        out.update(doc[name])
    return out


_NOT_FIELDS = frozenset(
    {"model", "provider", "model_id", "served_by", "sources", "provenance", "conflicts", "fetched_at", "prices"}
)
"""Row keys that are not values with a source (``served_by`` names the route; a source that states
where it came from keeps it in ``provenance`` by name)."""
_MAIN, _NONE = "*", "-"


def _known(row: Mapping[str, Any]) -> list[str]:
    """The fields a stored row states (rows keep only what is known), and each of its prices."""
    return [k for k in row if k not in _NOT_FIELDS] + list(row.get("prices") or ())


def _compact(row: dict[str, Any]) -> dict[str, Any]:
    """``provenance`` as stored: the source most fields share under ``*``, the others by name.

    ``-`` (comma-joined) names any known field without a source. Half of a catalog's ``all`` row
    was provenance, the same source repeated field after field. ``row`` gets a new provenance
    dict; the one it had is not changed.
    """
    provenance = row.get("provenance")
    if not provenance:
        return row
    distinct = set(provenance.values())
    if len(distinct) == 1:
        main = next(iter(distinct))
        stated = row.keys() - _NOT_FIELDS
        prices = row.get("prices")
        if provenance.keys() == (stated | prices.keys() if prices else stated):
            row["provenance"] = {_MAIN: main}  # the usual case: one source states every known field
            return row
    else:
        counts: dict[str, int] = {}
        for source in provenance.values():
            counts[source] = counts.get(source, 0) + 1
        main = max(counts, key=lambda s: (counts[s], s))
    known = _known(row)
    stated = set(known)
    stored = {k: v for k, v in provenance.items() if v != main or k not in stated}
    stored[_MAIN] = main
    unsourced = [k for k in known if k not in provenance]
    if unsourced:
        stored[_NONE] = ",".join(unsourced)
    row["provenance"] = stored
    return row


def _stated_value(row: Mapping[str, Any], field: str) -> Any:
    """A record's value of ``field`` as its stored row holds it (a rate in ``prices`` included)."""
    if field in row:
        return row[field]
    prices = row.get("prices")
    return prices.get(field) if prices else None


def _stored_conflicts(
    row: Mapping[str, Any], conflicts: Iterable[Conflict], provenance: Mapping[str, str]
) -> list[tuple[Any, ...]]:
    """Conflicts as a part stores them: ``[field, other value, other source]``.

    The kept value and source follow only when they are not the record's own value and source of
    that field (``[..., kept value, kept source]``); an aggregate's spread across providers is
    mostly the former, and was most of a big listing's bytes. Tuples, written as JSON arrays: the
    cycle collector stops tracking them.
    """
    out: list[tuple[Any, ...]] = []
    own: dict[str, tuple[Any, Any]] = {}
    for conflict in conflicts:
        field, kept, source, other, other_source = _conflict_values(vars(conflict))
        mine = own.get(field)
        if mine is None:
            mine = own[field] = (_stated_value(row, field), provenance.get(field))
        if mine[0] is not None and type(mine[0]) is type(kept) and mine[0] == kept and mine[1] == source:
            out.append((field, other, other_source))
        else:
            out.append((field, other, other_source, kept, source))
    return out


_conflict_values = itemgetter("field", "kept_value", "kept_source", "other_value", "other_source")


def _read_conflict(c: Any, fields: Mapping[str, Any]) -> Conflict | None:
    """A stored conflict (either form, checked by the gate already); None if it names a value the row lacks."""
    if type(c) is list or type(c) is tuple:
        field = c[0]
        if len(c) == 3:
            kept, source = _stated_value(fields, field), (fields.get("provenance") or {}).get(field)
            if kept is None or source is None:
                return None
        else:
            kept, source = c[3], c[4]
        values = {"field": field, "kept_value": kept, "kept_source": source, "other_value": c[1], "other_source": c[2]}
    else:
        values = {k: c.get(k) for k in ("field", "kept_value", "kept_source", "other_value", "other_source")}
    return Conflict.trusted(values)


def _expand(doc: dict[str, Any]) -> None:
    provenance = doc.get("provenance")
    if not provenance or _MAIN not in provenance:
        return
    main = provenance.pop(_MAIN)
    unsourced = set(provenance.pop(_NONE, "").split(","))
    # A field the gate turned unknown (None) has no source; every other known value has one.
    for key in [k for k in doc if k not in _NOT_FIELDS and doc[k] is not None] + list(doc.get("prices") or ()):
        if key not in provenance and key not in unsourced:
            provenance[key] = main


def _from_doc(doc: Any) -> ModelRecord | None:
    # What the store hands back is input: a row whose fields are not of their declared types is
    # refused whole (the caller rebuilds); numbers no real model has are unknown (see _domain.gate).
    fields = check_record(doc)
    if fields is None:
        return None
    _expand(fields)
    # Rows are written with exclude_defaults: only what is known is in them.
    if "conflicts" in fields:
        conflicts = [_read_conflict(c, fields) for c in fields["conflicts"]]
        if any(c is None for c in conflicts):
            return None
        fields["conflicts"] = conflicts
    stamp = fields.get("fetched_at")
    if stamp is not None:
        fields["fetched_at"] = parse_stamp(stamp)
    return ModelRecord.model_construct(**fields)
