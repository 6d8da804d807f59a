"""Plain-text tables that fit the terminal: one line per row, columns dropped in a stated order.

Cells are already inert text (see :func:`massgen_discovery.cli.inert`). A table wider than the
terminal first drops the columns its caller names, in that order, then shortens the one column
the caller allows to shrink (with ``…``); the other cells are never cut. Lines carry no trailing
spaces.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Column", "render", "terminal_width"]

_GAP = "  "


@dataclass(frozen=True)
class Column:
    """One column: header, alignment, and whether it may be shortened or dropped."""

    header: str
    right: bool = False
    """Right-aligned (numbers)."""
    drop_rank: int | None = None
    """Dropped when the table is too wide, lowest rank first; None: never dropped."""
    shrink: bool = False
    """The one column shortened (with ``…``) when dropping is not enough."""


def terminal_width(stream_is_tty: bool) -> int:
    """The terminal's width; without a terminal, ``COLUMNS`` or 80."""
    if stream_is_tty:
        return shutil.get_terminal_size((80, 24)).columns
    try:
        return max(20, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return 80


def render(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """The table's lines (header first) within ``width`` columns."""
    keep = list(range(len(columns)))
    widths = [max([len(columns[i].header), *(len(row[i]) for row in rows)]) for i in keep]

    def total(indices: list[int]) -> int:
        return sum(widths[i] for i in indices) + len(_GAP) * (len(indices) - 1)

    droppable = [i for i, c in enumerate(columns) if c.drop_rank is not None]
    dropped: list[int] = []
    for i in sorted(droppable, key=lambda i: columns[i].drop_rank or 0):
        if total(keep) <= width:
            break
        keep.remove(i)
        dropped.append(i)
    # A column dropped early may fit again once a wider one went: bring it back, most wanted first.
    for i in reversed(dropped[:-1]):
        if total(sorted([*keep, i])) <= width:
            keep = sorted([*keep, i])
    shrinkable = next((i for i in keep if columns[i].shrink), None)
    if total(keep) > width and shrinkable is not None:
        widths[shrinkable] = max(len(columns[shrinkable].header), widths[shrinkable] - (total(keep) - width))

    def line(cells: Sequence[str]) -> str:
        parts = []
        for i in keep:
            text, size = cells[i], widths[i]
            if len(text) > size:
                text = text[: max(0, size - 1)] + "…"
            parts.append(text.rjust(size) if columns[i].right else text.ljust(size))
        return _GAP.join(parts).rstrip()

    return [line([c.header for c in columns]), *(line(row) for row in rows)]
