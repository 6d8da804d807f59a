"""Snapshot history: what each accepted generation changed, and what the guard rails held back.

A generation is summarised by the fields people compare (limits, prices, modes, flags,
availability, deprecation), each with the source of its value. The store keeps the latest summary
and a capped list of entries (``HISTORY_KEEP``), each the diff against the summary before it, so
twenty generations of a 3,000-model catalog cost a few hundred kilobytes, not twenty copies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from ._names import BUNDLED
from .records import Change, ModelRecord

__all__ = ["HISTORY_KEEP", "SUMMARY_FIELDS", "diff", "entry_changes", "new_entry", "summarize"]

HISTORY_KEEP = 20
"""Entries (accepted generations and held listings) kept per store."""
MAX_CHANGES_PER_ENTRY = 5000
"""An entry lists at most this many changes and counts the rest."""

SUMMARY_FIELDS = (
    "mode",
    "max_input_tokens",
    "max_output_tokens",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "supports_function_calling",
    "supports_response_schema",
    "supports_vision",
    "supports_reasoning",
    "supports_prompt_caching",
    "supports_audio_input",
    "supports_pdf_input",
    "available",
    "status",
    "deprecation_date",
)
"""The fields a change is reported on."""

Summary = dict[str, dict[str, Any]]
"""model -> {"@": (provider, main source), field: [value, source]} for every known field."""


def _main_source(record: ModelRecord) -> str | None:
    sources = record.sources
    return next((s for s in sources if s != BUNDLED), sources[0] if sources else None)


def summarize(records: Iterable[ModelRecord]) -> Summary:
    """The compared fields of every record, with the source of each value."""
    out: Summary = {}
    for record in records:
        row: dict[str, Any] = {"@": [record.provider, _main_source(record)]}
        for name in SUMMARY_FIELDS:
            value = getattr(record, name)
            if value is not None:
                row[name] = [value, record.provenance.get(name)]
        out[record.model] = row
    return out


def diff(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Added models, removed models and changed fields from ``old`` to ``new``, sorted by model."""
    changes: list[dict[str, Any]] = []
    for model in sorted(set(old) | set(new)):
        before, after = old.get(model), new.get(model)
        if before is None and after is not None:
            provider, source = after["@"]
            changes.append({"model": model, "provider": provider, "kind": "added", "source": source})
        elif after is None and before is not None:
            provider, source = before["@"]
            changes.append({"model": model, "provider": provider, "kind": "removed", "source": source})
        elif before is not None and after is not None:
            provider = after["@"][0]
            for name in SUMMARY_FIELDS:
                was, now = before.get(name), after.get(name)
                old_value = was[0] if was else None
                new_value = now[0] if now else None
                if old_value == new_value:
                    continue
                source = now[1] if now else was[1] if was else None
                changes.append(
                    {
                        "model": model,
                        "provider": provider,
                        "kind": "changed",
                        "field": name,
                        "old": old_value,
                        "new": new_value,
                        "source": source,
                    }
                )
    return changes


def new_entry(
    changes: Sequence[dict[str, Any]],
    *,
    at: float,
    inputs: str,
    generation: str | None = None,
    held: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """One history entry: an accepted generation (``generation``) or a held listing (``held``: the source)."""
    return {
        "id": hashlib.sha256(f"{held or ''}|{inputs}".encode()).hexdigest()[:16],
        "at": at,
        "generation": generation,
        "held": held,
        "reason": reason,
        "changes": list(changes[:MAX_CHANGES_PER_ENTRY]),
        "more": max(0, len(changes) - MAX_CHANGES_PER_ENTRY),
    }


def entry_changes(entry: Mapping[str, Any]) -> list[Change]:
    """The :class:`~massgen_discovery.records.Change` rows of one stored entry (bad rows skipped)."""
    at = entry.get("at")
    when = datetime.fromtimestamp(float(at), tz=timezone.utc) if isinstance(at, (int, float)) else None
    if when is None:
        return []
    held = entry.get("held")
    out: list[Change] = []
    for row in entry.get("changes") or []:
        if not isinstance(row, dict):
            continue
        try:
            out.append(
                Change(
                    at=when,
                    generation=entry.get("generation"),
                    held=bool(held),
                    reason=entry.get("reason") if held else None,
                    **row,
                )
            )
        except ValueError:
            continue
    return out
