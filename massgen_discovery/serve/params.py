"""Query parameters to questions: the API's names mirror ``list`` and ``cost``; a bad one is a 400 naming it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from ..answers import FLAG_CRITERIA, CostQuestion, ListQuestion, parse_token_count

__all__ = ["BadParameter", "Params", "cost_question", "list_question", "page_window"]

SORTS = ("price", "context", "name", "newest")
SERVICE_TIERS = ("standard", "flex", "priority", "batch")
CACHE_TTLS = ("5m", "1h")
MAX_LIMIT = 100_000
MAX_TERMS = 20
MAX_VALUE = 500
"""Longest parameter value read (a model string, a search term); longer is a 400."""

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class Params(Protocol):
    """What the parser reads: Starlette's ``QueryParams`` (a multi-dict) has this shape."""

    def getlist(self, key: str) -> list[str]:
        """Every value of ``key``."""


class BadParameter(ValueError):
    """A query parameter that cannot be read; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


def _one(params: Params, name: str) -> str | None:
    values = params.getlist(name)
    if not values:
        return None
    value = values[-1]
    if not value.strip():
        return None  # an empty form field is no filter
    if len(value) > MAX_VALUE:
        raise BadParameter(name, f"longer than {MAX_VALUE} characters")
    return value


def _bool(params: Params, name: str) -> bool | None:
    value = _one(params, name)
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadParameter(name, f"{value[:40]!r} is not true or false")


def _tokens(params: Params, name: str) -> int | None:
    value = _one(params, name)
    if value is None:
        return None
    try:
        return parse_token_count(value)
    except ValueError as exc:
        raise BadParameter(name, str(exc)) from None


def _usd(params: Params, name: str) -> float | None:
    value = _one(params, name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise BadParameter(name, f"{value[:40]!r} is not a price in USD per 1M tokens") from None
    if not math.isfinite(number) or number < 0:
        raise BadParameter(name, f"{value[:40]!r} is not a price in USD per 1M tokens (0 or more)")
    return number


def _choice(params: Params, name: str, choices: Sequence[str], default: str) -> str:
    value = _one(params, name)
    if value is None:
        return default
    if value not in choices:
        raise BadParameter(name, f"{value[:40]!r} is not one of {', '.join(choices)}")
    return value


def _many(params: Params, name: str) -> tuple[str, ...]:
    values = [v for raw in params.getlist(name) for v in raw.split(",")] if name == "provider" else params.getlist(name)
    if len(values) > MAX_TERMS:
        raise BadParameter(name, f"more than {MAX_TERMS} values")
    for value in values:
        if len(value) > MAX_VALUE:
            raise BadParameter(name, f"longer than {MAX_VALUE} characters")
    return tuple(v.strip() for v in values if v.strip())


def _mode(params: Params) -> str:
    value = _one(params, "mode")
    if value is None or not value.strip():
        return "chat"
    if not value.replace("_", "").isalnum():
        raise BadParameter("mode", f"{value[:40]!r} is not chat, all or a LiteLLM mode")
    return value


def list_question(params: Params) -> ListQuestion:
    """The ``list`` filter in ``params`` (``provider``, ``tools``, ``min_context``, ``q`` ...)."""
    flags = tuple((name, wanted) for name, _ in FLAG_CRITERIA if (wanted := _bool(params, name)) is not None)
    return ListQuestion(
        providers=_many(params, "provider"),
        flags=flags,
        mode=_mode(params),
        min_context=_tokens(params, "min_context"),
        max_input_cost=_usd(params, "max_input_cost"),
        max_output_cost=_usd(params, "max_output_cost"),
        available=bool(_bool(params, "available")),
        include_unknown=bool(_bool(params, "include_unknown")),
        sort=_choice(params, "sort", SORTS, "name"),
        terms=_many(params, "q"),
    )


def page_window(params: Params, default_limit: int | None) -> tuple[int, int | None]:
    """``offset`` and ``limit`` (whole numbers; ``limit`` from 1 to 100,000)."""
    out: list[int | None] = []
    for name, default, low in (("offset", 0, 0), ("limit", default_limit, 1)):
        value = _one(params, name)
        if value is None:
            out.append(default)
            continue
        if not value.strip().isdigit() or not low <= int(value) <= MAX_LIMIT:
            raise BadParameter(name, f"{value[:40]!r} is not a whole number from {low} to {MAX_LIMIT:,}")
        out.append(int(value))
    offset, limit = out
    return int(offset or 0), limit


def cost_question(params: Params) -> CostQuestion:
    """The call ``cost`` would price: ``input`` (required), ``output``, ``cached``, ``cache_write`` ..."""
    if _one(params, "input") is None:
        raise BadParameter("input", "required (prompt tokens, e.g. 1200 or 1.2k)")
    counts = {
        name: _tokens(params, name) or 0
        for name in ("input", "output", "cached", "cache_write", "reasoning", "audio_input", "audio_output")
    }
    at = text(params, "at")
    when = None
    if at is not None:
        from ..answers import parse_instant

        try:
            when = parse_instant(at)
        except ValueError as exc:
            raise BadParameter("at", str(exc)) from None
    return CostQuestion(
        input=counts["input"],
        output=counts["output"],
        cached=counts["cached"],
        cache_write=counts["cache_write"],
        reasoning=counts["reasoning"],
        audio_input=counts["audio_input"],
        audio_output=counts["audio_output"],
        cache_ttl=_choice(params, "cache_ttl", CACHE_TTLS, "5m"),
        service_tier=_choice(params, "service_tier", SERVICE_TIERS, "standard"),
        at=when,
        region=text(params, "region"),
    )


def text(params: Params, name: str, *, required: bool = False) -> str | None:
    """One plain text parameter (``model``, ``since``, ``field``), bounded in length."""
    value = _one(params, name)
    if required and (value is None or not value.strip()):
        raise BadParameter(name, "required")
    return value
