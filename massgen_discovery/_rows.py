"""A generation's rows: how the merged catalog is written to the store and read back.

Rows are JSON written from the records' plain dicts (``exclude_defaults``: only what is known), by
pydantic's core; they are read back with :mod:`json` and built without validation, so a lookup
never imports pydantic. Every row passes the gate (:mod:`._gate`) first: a damaged or forged row
reads as None and the caller rebuilds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._gate import check_record, parse_stamp
from .records import Conflict, ModelRecord

__all__ = ["decode_record", "decode_records", "encode_generation"]


def encode_generation(prefix: str, merged: Mapping[str, ModelRecord], index: Mapping[str, Any]) -> dict[str, str]:
    """Every row of a generation under ``prefix``.

    One per model, ``all``, the ``index`` of aliases and the ``lower``-case keys (``index`` maps
    ``aliases`` and ``lower``).
    """
    from pydantic_core import to_json

    plain = {model: _compact(record.plain(exclude_defaults=True)) for model, record in merged.items()}
    items = {f"{prefix}:m:{model}": to_json(row, inf_nan_mode="null").decode() for model, row in plain.items()}
    items[f"{prefix}:all"] = to_json(list(plain.values()), inf_nan_mode="null").decode()
    # The aliases (LiteLLM's own keys, a few thousand whatever the catalog's size) apart from every
    # key in lower case (as many as the records): an exact alias, the usual case, reads the small one.
    items[f"{prefix}:index"] = json.dumps({"aliases": index["aliases"]})
    items[f"{prefix}:lower"] = json.dumps({"lower": index["lower"]})
    return items


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
    counts: dict[str, int] = {}
    for source in provenance.values():
        counts[source] = counts.get(source, 0) + 1
    main = max(counts, key=lambda s: (counts[s], s))
    known = _known(row)
    stored = {k: v for k, v in provenance.items() if v != main or k not in known}
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


def decode_record(raw: str) -> ModelRecord | None:
    """A record from a stored row, checked by the gate (not by pydantic, which a cold lookup skips).

    None when the row is not JSON or fails the gate's type checks.
    """
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return _from_doc(doc)


def decode_records(raw: str, flag: str | None = None) -> list[ModelRecord] | None:
    """Every record of a generation's ``all`` row (see :func:`decode_record`); None if damaged.

    With ``flag``, only the records whose capability ``flag`` is True are checked and built: a query
    that starts from a flag reads every row's JSON but builds only what it can return.
    """
    try:
        docs = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(docs, list):
        return None
    if flag is not None:
        docs = [doc for doc in docs if type(doc) is dict and doc.get(flag) is True]
    records = [_from_doc(doc) for doc in docs]
    return None if any(r is None for r in records) else records  # type: ignore[return-value]


def _from_doc(doc: Any) -> ModelRecord | None:
    # What the store hands back is input: a row whose fields are not of their declared types is
    # refused whole (the caller rebuilds); numbers no real model has are unknown (see _gate).
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
