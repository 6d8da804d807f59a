"""A generation's rows: how the merged catalog is written to the store and read back.

Rows are JSON written from the records' plain dicts (``exclude_defaults``: only what is known), by
pydantic's core; they are read back with :mod:`json` and built without validation, so a lookup
never imports pydantic. A row's shape is guaranteed by the schema version of the generation that
points at it; a damaged row reads as None and the caller rebuilds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from .records import Conflict, ModelRecord

__all__ = ["decode_record", "decode_records", "encode_generation"]


def encode_generation(prefix: str, merged: Mapping[str, ModelRecord], index: Mapping[str, Any]) -> dict[str, str]:
    """Every row of a generation under ``prefix``: one per model, ``all`` and the lookup ``index``."""
    from pydantic_core import to_json

    plain = {model: record.plain(exclude_defaults=True) for model, record in merged.items()}
    items = {f"{prefix}:m:{model}": to_json(row).decode() for model, row in plain.items()}
    items[f"{prefix}:all"] = to_json(list(plain.values())).decode()
    items[f"{prefix}:index"] = json.dumps(index)
    return items


def decode_record(raw: str) -> ModelRecord | None:
    """A record from a row this package wrote (under a meta of this schema version), unvalidated.

    Skipping validation keeps pydantic off a cold lookup; the row's shape is guaranteed by the
    schema version of the generation that points at it.
    """
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    return _from_doc(doc)


def decode_records(raw: str) -> list[ModelRecord] | None:
    """Every record of a generation's ``all`` row (see :func:`decode_record`); None if damaged."""
    try:
        docs = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(docs, list):
        return None
    records = [_from_doc(doc) for doc in docs]
    return None if any(r is None for r in records) else records  # type: ignore[return-value]


def _from_doc(doc: Any) -> ModelRecord | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("model"), str):
        return None
    # Rows are written with exclude_defaults: only what is known is in them.
    if "conflicts" in doc:
        doc["conflicts"] = [Conflict.model_construct(**c) for c in doc["conflicts"] if isinstance(c, dict)]
    stamp = doc.get("fetched_at")
    if isinstance(stamp, str):
        doc["fetched_at"] = _stamp(stamp)
    return ModelRecord.model_construct(**doc)


@cache
def _stamp(stamp: str) -> datetime:
    # Records of one listing share their fetch time: each distinct stamp is parsed once.
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
