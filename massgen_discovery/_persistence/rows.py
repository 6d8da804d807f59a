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
from _blake2 import blake2b
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any

from .._domain.gate import check_record, index_ok, parse_stamp
from ..records import Conflict, ModelRecord

__all__ = [
    "PART",
    "Directory",
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
    return PART + blake2b(text.encode(), digest_size=16).hexdigest()


def _group(model: str) -> str:
    head, slash, _rest = model.partition("/")
    return head if slash else ""


def _runs(models: list[str]) -> Iterable[list[str]]:
    """Sorted keys cut into parts at boundaries that depend on the keys alone."""
    run: list[str] = []
    for model in models:
        if run and (len(run) >= PART_MAX or _group(model) != _group(run[-1])):
            yield run
            run = []
        run.append(model)
        if zlib.crc32(model.encode()) % _BOUNDARY == 0:
            yield run
            run = []
    if run:
        yield run


def encode_generation(
    prefix: str,
    merged: Mapping[str, ModelRecord],
    index: Mapping[str, Any],
    docs_out: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, str]:
    """Every row of a generation under ``prefix``: its ``dir`` and the parts it names.

    ``index`` maps ``aliases`` (LiteLLM's own keys) and ``lower`` (every key in lower case); each is
    a part of its own, so an exact alias, the usual case, reads the small one. ``docs_out``, when
    given, receives each part's documents (as written, before JSON) under the part's key.
    """
    from pydantic_core import to_json

    rows: dict[str, str] = {}
    parts: list[list[Any]] = []
    for run in _runs(sorted(merged)):
        docs = [_compact(merged[model].plain(exclude_defaults=True)) for model in run]
        text = to_json(docs, inf_nan_mode="null").decode()
        key = part_key(text)
        rows[key] = text
        parts.append([run[0], key[len(PART) :], len(run)])
        if docs_out is not None:
            docs_out[key] = docs
    lookups: dict[str, str] = {}
    for name in ("aliases", "lower"):
        text = to_json({name: index[name]}).decode()
        key = part_key(text)
        rows[key] = text
        lookups[name] = key[len(PART) :]
    rows[f"{prefix}:dir"] = json.dumps({"parts": parts, **lookups})
    return rows


class Directory:
    """A generation's ``dir`` row, read: which part holds a key, and the lookup parts."""

    __slots__ = ("counts", "firsts", "lookups", "names")

    def __init__(self, parts: list[list[Any]], lookups: dict[str, str]) -> None:
        self.firsts = [p[0] for p in parts]
        self.names = [PART + p[1] for p in parts]
        self.counts = [p[2] for p in parts]
        self.lookups = {k: PART + v for k, v in lookups.items()}

    def part_for(self, model: str) -> str | None:
        """The key of the part that would hold ``model`` (None when it sorts before every part)."""
        at = bisect_right(self.firsts, model) - 1
        return self.names[at] if at >= 0 else None

    def every_part(self) -> list[str]:
        """Every part this generation names (records and lookups)."""
        return [*self.names, *self.lookups.values()]


def _hex32(value: Any) -> bool:
    return type(value) is str and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


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
    lookups = {k: doc.get(k) for k in ("aliases", "lower")}
    if not all(_hex32(v) for v in lookups.values()):
        return None
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
    return Directory(parts, lookups)  # type: ignore[arg-type]


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


def read_index(key: str, raw: str | None, name: str) -> dict[str, str] | None:
    """A lookup part (``aliases`` or ``lower``), checked; None if damaged."""
    doc = _part_json(key, raw)
    return doc[name] if index_ok(doc, name) else None


_NOT_FIELDS = frozenset({"model", "provider", "model_id", "sources", "provenance", "conflicts", "fetched_at", "prices"})
_MAIN, _NONE = "*", "-"


def _known(row: Mapping[str, Any]) -> list[str]:
    """The fields a stored row states (rows keep only what is known), and each of its prices."""
    return [k for k in row if k not in _NOT_FIELDS] + list(row.get("prices") or ())


def _compact(row: dict[str, Any]) -> dict[str, Any]:
    """``provenance`` as stored: the source most fields share under ``*``, the others by name.

    ``-`` (comma-joined) names any known field without a source. Half of a catalog's ``all`` row
    was provenance, the same source repeated field after field.
    """
    provenance = row.get("provenance")
    if not provenance:
        return row
    values = list(provenance.values())
    if values.count(values[0]) == len(values) and provenance.keys() == set(_known(row)):
        row["provenance"] = {_MAIN: values[0]}  # the usual case: one source states every known field
        return row
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
        fields["conflicts"] = [Conflict.model_construct(**c) for c in fields["conflicts"]]
    stamp = fields.get("fetched_at")
    if stamp is not None:
        fields["fetched_at"] = parse_stamp(stamp)
    return ModelRecord.model_construct(**fields)
