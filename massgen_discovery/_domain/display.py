"""Token counts and prices as people read them (``128k``, ``$2.50``), for the CLI and MassGen."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["format_price", "format_tokens", "inert", "show_value"]

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def inert(text: object) -> str:
    r"""Text from upstream made safe for a terminal or a page: control characters escaped (``\x1b``, ``\n``).

    C0, DEL, C1 and the invisible direction and separator characters are shown as escapes, so an
    id cannot colour, retitle or clear the terminal, open a hyperlink, forge a table row or break
    an XML feed (markup is escaped apart, by the page that shows the text).
    """
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def format_tokens(value: int | None) -> str:
    """Token counts the way people say them: ``8k``, ``32k``, ``128k``, ``200k``, ``1M``; unknown -> ``?``.

    Powers of two read in binary units (``8192`` -> ``8k``, ``131072`` -> ``128k``,
    ``1048576`` -> ``1M``), other counts in decimal ones (``200000`` -> ``200k``, ``1050000`` ->
    ``1.05M``).
    """
    if value is None or isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**12:
        return "?"  # unknown, or not a real limit (the store keeps such values out; overrides may not)
    for unit, binary, decimal in (("M", 1 << 20, 1_000_000), ("k", 1 << 10, 1_000)):
        if value >= decimal:
            if value % decimal == 0:
                return f"{value // decimal}{unit}"
            if value % binary == 0:
                return f"{value // binary}{unit}"
            figure = value / decimal
            if figure >= 10 and unit == "k" and round(figure) < 1000:
                return f"{round(figure)}{unit}"
            if unit == "k" and figure >= 999.5:  # 999,990 reads 1M, not 1000k
                return f"{value / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"
            return f"{figure:.2f}".rstrip("0").rstrip(".") + unit
    return str(value)


def format_price(per_token: float | None) -> str:
    """USD per token -> ``$`` per 1M tokens with 3 significant digits; 0 -> ``free``; unknown -> ``?``.

    ``$15.00``, ``$2.50``, ``$0.15``, ``$0.075``, ``$0.0904``, ``$1,250``.
    """
    if per_token is None or isinstance(per_token, bool) or not isinstance(per_token, (int, float)):
        return "?"
    if not 0 <= per_token < 1e6:
        return "?"  # not a real price (NaN, infinite, negative)
    if per_token == 0:
        return "free"
    per_million = per_token * 1_000_000
    if per_million >= 100:
        return f"${per_million:,.0f}"
    if per_million >= 1:
        return f"${per_million:.2f}"
    text = f"{per_million:.3g}"
    if "e" in text:
        text = f"{per_million:.8f}".rstrip("0")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"${per_million:.{max(2, decimals)}f}"


def show_value(name: str, value: Any) -> str:
    """A record field's value as ``show`` and the model page print it (``unknown`` when nobody knows)."""
    if value is None:
        return "unknown"
    if "_cost" in name and "token" in name and isinstance(value, (int, float)):
        price = format_price(value)
        if price in ("free", "?"):
            return price if price == "free" else str(value)
        return f"{price} per 1M ({value:.4g} USD/token)"
    if "_cost" in name and isinstance(value, (int, float)):
        unit = name.rsplit("_per_", 1)[-1] if "_per_" in name else "unit"
        return f"${value:g} per {unit.replace('_', ' ')}"
    if name in ("max_input_tokens", "max_output_tokens", "runtime_context_tokens"):
        return f"{format_tokens(value)} ({value:,})" if isinstance(value, int) else str(value)
    if name == "throughput_tokens_per_s" and isinstance(value, (int, float)):
        return f"{value:.1f} tokens/s"
    if name == "first_token_latency_ms" and isinstance(value, (int, float)):
        return f"{value:,.0f} ms"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)
