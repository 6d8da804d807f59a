"""The value readers every listing parser shares: dicts and lists that may be anything, counts, prices."""

from __future__ import annotations

from typing import Any

__all__ = ["as_dict", "as_list", "positive_int", "price"]


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a dict, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def positive_int(value: Any) -> int | None:
    """A positive whole number (``128000.0`` counts), else None: 0 and null mean unknown."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def price(value: Any, scale: float = 1.0, *, zero_is_free: bool = False) -> float | None:
    """A price (number or numeric string) times ``scale`` -> USD per token, else None.

    Negative values are sentinels (OpenRouter's ``"-1"``: variable), so unknown. Zero is unknown
    unless the source says zero means free.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or value != value or value < 0:
        return None
    if value == 0:
        return 0.0 if zero_is_free else None
    return float(value) * scale
