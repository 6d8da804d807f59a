"""Test-only sources: an OpenAI-style ``/models`` listing fetched over real HTTP."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from massgen_discovery.records import ModelRecord
from massgen_discovery.sources import SourceBase
from massgen_discovery.sources._http import get_json


class ListingSource(SourceBase):
    """Lists ``{base_url}/models`` (``{"data": [{"id", "context_window"}]}``) as ``<name>/<id>`` records."""

    def __init__(self, name: str, base_url: str, *, ttl: float = 3600.0, credential: str | None = None) -> None:
        super().__init__(base_url, credential)
        self.name = name
        self.ttl = ttl

    async def fetch(self, client: httpx.AsyncClient, previous: Any = None) -> Any:
        return await get_json(
            client, f"{self._base_url}/models", source=self.name, credential=self._credential, env_var="TEST_API_KEY"
        )

    def to_records(self, payload: Any, fetched_at: datetime) -> list[ModelRecord]:
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise ValueError("expected an object with a data list")
        out = []
        for entry in payload["data"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                continue
            values: dict[str, Any] = {"available": True}
            if isinstance(entry.get("context_window"), int) and entry["context_window"] > 0:
                values["max_input_tokens"] = entry["context_window"]
            out.append(
                ModelRecord(
                    model=f"{self.name}/{entry['id']}",
                    provider=self.name,
                    model_id=entry["id"],
                    sources=[self.name],
                    provenance=dict.fromkeys(values, self.name),
                    fetched_at=fetched_at,
                    **values,
                )
            )
        return out


def forged_generation(
    directory: str, parts: Mapping[str, str], model: str, update: dict[str, Any]
) -> tuple[str, str, str, str] | None:
    """A generation's ``dir`` text with ``model``'s record changed by ``update``, as a forger would.

    Returns (the new ``dir`` text, the replaced part's key, the new part's key, its text), or None when no part it names
    holds ``model``. The part is renamed to the hash of its new text, so only the checks on what
    the records say can catch it.
    """
    doc = json.loads(directory)
    for entry in doc["parts"]:
        part = json.loads(parts.get(f"part:{entry[1]}", "[]"))
        if isinstance(part, dict):  # a table: the model's row changed, a new field added as a column
            columns, table = part["c"], part["r"]
            row = next((r for r in table if r[columns.index("model")] == model), None)
            if row is None:
                continue
            for name, value in update.items():
                if name not in columns:
                    columns.append(name)
                    for other in table:
                        other.append(None)
                row[columns.index(name)] = value
            text = json.dumps(part)
        elif any(d.get("model") == model for d in part):
            text = json.dumps([{**d, **update} if d.get("model") == model else d for d in part])
        else:
            continue
        old = f"part:{entry[1]}"
        entry[1] = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        return json.dumps(doc), old, f"part:{entry[1]}", text
    return None
