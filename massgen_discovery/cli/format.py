"""What the CLI prints: inert text, tokens and prices, JSON without NaN, tables' plain fallback."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from ..records import ModelRecord

from .._domain.display import format_price
from .._domain.display import inert as inert  # the commands' one escape for upstream text

_FLAG_LABELS = {
    # The flags column says what the matching `list` option is called.
    "supports_function_calling": "tools",
    "supports_vision": "vision",
    "supports_response_schema": "structured-output",
    "supports_reasoning": "reasoning",
    "supports_prompt_caching": "prompt-caching",
    "supports_audio_input": "audio-input",
    "supports_pdf_input": "pdf",
}


def echo_err(message: str) -> None:
    """One message on stderr, control characters made inert."""
    click.echo(inert(message), err=True)


def flag_labels(record: ModelRecord) -> str:
    """The short labels of the capabilities a record has (``tools vision`` ...)."""
    return " ".join(label for name, label in _FLAG_LABELS.items() if getattr(record, name) is True)


def rich_console(stderr: bool = False) -> Console:
    """A rich console on stdout or stderr."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    interactive = stream.isatty()
    # Piped output keeps whole lines: a 240-column table is easier to grep than a wrapped one.
    return Console(file=stream, width=None if interactive else 240, highlight=False, soft_wrap=not interactive)


def _finite(data: Any) -> Any:
    """``data`` with every non-finite float as null: JSON has no NaN or Infinity."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (non-finite numbers as null)."""
    click.echo(json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False, default=str))


def records_json(records: Sequence[ModelRecord]) -> str:
    """The records' own JSON (``model_dump(mode="json")`` of each), as ``list --json`` prints it.

    Serialised by pydantic's core from plain dicts: 5,000 records take a fraction of what
    ``json.dumps(indent=2)`` takes.
    """
    from pydantic_core import to_json

    return to_json([record.plain() for record in records], indent=2, inf_nan_mode="null").decode()


def print_records_json(records: Sequence[ModelRecord]) -> None:
    """Records as the JSON list ``--json`` prints."""
    click.echo(records_json(records))


def echo_lines(columns: Sequence[Any], rows: Sequence[Sequence[str]]) -> None:
    """A table fitted to the terminal's width."""
    from .table import render, terminal_width

    for line in render(columns, rows, terminal_width(sys.stdout.isatty())):
        click.echo(line)


def change_value(name: str | None, value: Any) -> str:
    """A changed field's value as a change list shows it (``unknown`` for None)."""
    if value is None:
        return "unknown"
    if name and "_cost" in name and "token" in name:
        return format_price(value)
    if name in ("max_input_tokens", "max_output_tokens") and isinstance(value, int):
        return f"{value:,}"  # exact: 131,072 -> 128,000 must not read 128k -> 128k
    return inert(str(value))


def ago(iso: str | None) -> str:
    """How long ago an ISO time was (``never`` for none)."""
    if not iso:
        return "never"
    seconds = (datetime.now(timezone.utc) - datetime.fromisoformat(iso)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return f"{int(seconds)}s ago"
