"""Plain-text tables that fit the terminal: columns dropped in a stated order, long cells wrapped.

Cells are already inert text (see :func:`massgen_discovery.cli.inert`). A table wider than the
terminal first drops the columns its caller names, in that order; then columns that may be cut
(``shrink``) are shortened with ``…``; then columns that wrap (``wrap``) get narrower, their
cells continued on the next lines; a key column (``key``: the model, the field, the source) is
never dropped or cut, and is narrowed and wrapped only when nothing else is left. Lines carry
no trailing spaces.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Column", "render", "terminal_width"]

_GAP = "  "
_MIN_WRAP = 20
"""The narrowest a wrapped column gets (its header's width if wider)."""
_MIN_KEY = 12
"""The narrowest a key column gets, when nothing else can give way."""


@dataclass(frozen=True)
class Column:
    """One column: header, alignment, and how it gives way when the table is too wide."""

    header: str
    right: bool = False
    """Right-aligned (numbers)."""
    drop_rank: int | None = None
    """Dropped when the table is too wide, lowest rank first; None: never dropped."""
    shrink: bool = False
    """Shortened with ``…`` when dropping is not enough."""
    wrap: bool = False
    """Narrowed after the ``shrink`` columns; its cells continue on the next lines, nothing cut."""
    key: bool = False
    """What a row is about: never dropped or cut; wrapped only when every other column gave way."""


def terminal_width(stream_is_tty: bool) -> int:
    """The terminal's width; without a terminal, ``COLUMNS`` or 80."""
    if stream_is_tty:
        return shutil.get_terminal_size((80, 24)).columns
    try:
        return max(20, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return 80


def _chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of at most ``size``, broken after a space, ``/``, ``,`` or ``-`` when one is near."""
    out: list[str] = []
    while len(text) > size:
        cut = max(text.rfind(sep, 0, size) for sep in (" ", "/", ",", "-"))
        cut = cut + 1 if cut >= size // 2 else size
        out.append(text[:cut].rstrip())
        text = text[cut:].lstrip(" ")
    out.append(text)
    return out


def render(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """The table's lines (header first) within ``width`` columns."""
    keep = list(range(len(columns)))
    widths = [max([len(columns[i].header), *(len(row[i]) for row in rows)]) for i in keep]

    def total(indices: list[int]) -> int:
        return sum(widths[i] for i in indices) + len(_GAP) * (len(indices) - 1)

    droppable = [i for i, c in enumerate(columns) if c.drop_rank is not None and not c.key]
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
    over = total(keep) - width
    for i in (i for i in keep if columns[i].shrink and not columns[i].key):
        give = max(0, min(over, widths[i] - max(len(columns[i].header), 1)))
        widths[i] -= give
        over -= give
    # Then the widest column that wraps gives way, one character at a time; key columns only
    # once every other one is as narrow as it goes, and then the widest key first.
    for group, narrowest in (
        ([i for i in keep if columns[i].wrap and not columns[i].key], _MIN_WRAP),
        ([i for i in keep if columns[i].key], _MIN_KEY),
    ):
        floors = {i: max(len(columns[i].header), narrowest) for i in group}
        while over > 0:
            open_ = [i for i in floors if widths[i] > floors[i]]
            if not open_:
                break
            widest = max(open_, key=lambda i: widths[i])
            widths[widest] -= 1
            over -= 1

    out = _lines(columns, keep, widths, [c.header for c in columns])
    for row in rows:
        out.extend(_lines(columns, keep, widths, row))
    return out


def _lines(columns: Sequence[Column], keep: list[int], widths: list[int], cells: Sequence[str]) -> list[str]:
    """One row's lines: each kept cell fitted to its width (wrapped, or cut with an ellipsis)."""
    pieces: dict[int, list[str]] = {}
    for i in keep:
        text, size = cells[i], widths[i]
        if len(text) <= size:
            pieces[i] = [text]
        elif columns[i].wrap or columns[i].key:
            pieces[i] = _chunks(text, size)
        else:
            pieces[i] = [text[: max(0, size - 1)] + "…"]
    height = max(len(p) for p in pieces.values()) if pieces else 1
    out = []
    for n in range(height):
        parts = []
        for i in keep:
            text = pieces[i][n] if n < len(pieces[i]) else ""
            parts.append(text.rjust(widths[i]) if columns[i].right else text.ljust(widths[i]))
        out.append(_GAP.join(parts).rstrip())
    return out
