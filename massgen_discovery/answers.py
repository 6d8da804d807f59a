"""The answers the CLI's ``--json`` and the HTTP server share, built from a catalog.

One function per question, returning JSON-ready data, so ``list --json`` and ``GET /v1/models``,
``cost --json`` and ``GET /v1/cost``, ``providers --json`` and ``GET /v1/providers`` cannot drift
apart: both call the same code.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ._domain.pricing import MAX_TOKENS

if TYPE_CHECKING:
    from .catalog import Catalog
    from .records import ModelRecord, SourceStatus

__all__ = [
    "CHAT_MODES",
    "empty_serving_sources",
    "FLAG_CRITERIA",
    "MAX_SUGGESTED_NAME",
    "MAX_TOKEN_COUNT",
    "CostQuestion",
    "CostUnknown",
    "ListQuestion",
    "cost_answer",
    "parse_token_count",
    "providers_answer",
    "shown_name",
    "slice_records",
    "suggest",
]

CHAT_MODES = ("chat", "responses", "completion")
"""What a list without a mode shows: the models you can chat with."""

FLAG_CRITERIA: tuple[tuple[str, str], ...] = (
    # (the list option's / query parameter's name, the find_models criterion)
    ("tools", "tools"),
    ("vision", "vision"),
    ("structured_output", "structured_output"),
    ("reasoning", "reasoning"),
    ("prompt_caching", "prompt_caching"),
    ("pdf", "pdf_input"),
    ("audio_input", "audio_input"),
)
"""The capability filters of ``list`` and ``/v1/models``, by the name each surface uses."""

MAX_TOKEN_COUNT = MAX_TOKENS
"""The largest token count taken anywhere (the price engine's: a trillion)."""

_TOKEN_COUNT = re.compile(r"(\d{1,15})(?:\.(\d{1,6}))?([km]?)")


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant (``2026-11-15T03:00:00Z``, ``2026-11-15``); no zone means UTC."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or time (2026-11-15T03:00:00Z)") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def parse_token_count(text: str) -> int:
    """A whole, finite, non-negative token count: ``1200``, ``1,200``, ``1.2k``, ``128k``, ``1m``.

    Raises:
        ValueError: with a one-line message when ``text`` is not such a count.
    """
    raw = text.strip().lower().replace("_", "").replace(",", "")
    match = _TOKEN_COUNT.fullmatch(raw)
    if match is None:
        raise ValueError(f"{text[:40]!r} is not a token count (a whole number like 128000 or 128k)")
    whole, fraction, unit = match.groups()
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[unit]
    digits = fraction or ""
    value, rest = divmod(int(whole + digits) * scale, 10 ** len(digits))
    if rest:
        raise ValueError(f"{text[:40]!r} is not a whole number of tokens")
    if value > MAX_TOKEN_COUNT:
        raise ValueError(f"{text[:40]!r} is more than {MAX_TOKEN_COUNT:,} tokens")
    return int(value)


@dataclass(frozen=True)
class ListQuestion:
    """A ``list`` filter as both surfaces take it; :meth:`criteria` is what ``find_models`` gets."""

    providers: tuple[str, ...] = ()
    flags: tuple[tuple[str, bool], ...] = ()
    """(name in :data:`FLAG_CRITERIA`, wanted) pairs."""
    mode: str = "chat"
    """``chat`` (chat, responses and completion), ``all``, or one LiteLLM mode."""
    min_context: int | None = None
    max_input_cost: float | None = None
    max_output_cost: float | None = None
    available: bool = False
    include_unknown: bool = False
    sort: str = "name"
    terms: tuple[str, ...] = ()

    def criteria(self) -> dict[str, Any]:
        """The keyword arguments of :meth:`Catalog.find_models` for this question."""
        modes: str | tuple[str, ...] | None = {"chat": CHAT_MODES, "all": None}.get(self.mode, self.mode)
        out: dict[str, Any] = {
            "providers": list(self.providers) or None,
            "mode": modes,
            "min_context": self.min_context,
            "max_input_cost": self.max_input_cost,
            "max_output_cost": self.max_output_cost,
            "available": True if self.available else None,
            "query": list(self.terms),
            "include_unknown": self.include_unknown,
            "sort": self.sort,
        }
        names = dict(FLAG_CRITERIA)
        for name, wanted in self.flags:
            out[names[name]] = wanted
        return out


@dataclass(frozen=True)
class CostQuestion:
    """One call to price, as ``cost`` and ``/v1/cost`` take it (token counts already checked)."""

    input: int = 0
    output: int = 0
    cached: int = 0
    cache_write: int = 0
    cache_ttl: str = "5m"
    reasoning: int = 0
    audio_input: int = 0
    audio_output: int = 0
    service_tier: str = "standard"
    at: datetime | None = None
    """The instant to price at (dated prices, time-of-day bands); None: now."""
    region: str | None = None
    """Where the call is served (``eu``, ``us``, ``fedramp``, a Vertex location): its uplift, if stated."""


class CostUnknown(Exception):
    """The call needs a rate no source states (or one that is not a real value); the message names it."""


def cost_answer(record: ModelRecord, question: CostQuestion) -> dict[str, Any]:
    """The JSON of ``cost --json``: each part with its rate, the total in USD.

    Raises:
        CostUnknown: a rate the call needs is unknown or not a real value (never priced as $0).
    """
    from ._domain.pricing import CallTokens, UnknownPrice, price_call

    tokens = CallTokens(
        input=question.input,
        cached=question.cached,
        cache_write_5m=question.cache_write if question.cache_ttl == "5m" else 0,
        cache_write_1h=question.cache_write if question.cache_ttl == "1h" else 0,
        cache_write_12h=question.cache_write if question.cache_ttl == "12h" else 0,
        output=question.output,
        reasoning=question.reasoning,
        audio_input=question.audio_input,
        audio_output=question.audio_output,
    )
    uplift, region_note = _region_uplift(record, question.region)
    try:
        bill = price_call(
            record,
            tokens,
            service_tier=question.service_tier,
            cache_ttl=question.cache_ttl,
            at=question.at,
            uplift=uplift,
        )
    except UnknownPrice as exc:
        raise CostUnknown(str(exc)) from exc
    if not all(math.isfinite(p.cost) and p.cost >= 0 for p in bill.parts) or not math.isfinite(bill.total):
        raise CostUnknown(f"a price of {record.model} is not a real value")
    out = bill.as_dict()
    out["notes"] = [*out.get("notes", []), *_over_limits(record, question), *region_note]
    out["region"] = question.region
    # The per-part figures of earlier releases, kept for scripts that read them.
    given = {
        "input": question.input,
        "cached": question.cached,
        "output": question.output,
        "reasoning": question.reasoning,
    }
    for name, count in given.items():
        found = bill.part(name)
        out[f"{name}_tokens"] = count
        out[f"{name}_cost"] = found.cost if found is not None else 0.0
    rounded: dict[str, Any] = _dollars(out)
    return rounded


def _region_uplift(record: ModelRecord, region: str | None) -> tuple[float | None, list[str]]:
    """The uplift a source states for serving ``record`` in ``region``, and a note when none is stated."""
    if region is None or region.lower() == "global":
        return None, []
    from .sources.litellm_map import region_uplift

    uplift = region_uplift(record.model, region)
    if uplift is None:
        return None, [f"no source states a regional uplift for {record.model} in {region}: standard rates"]
    return uplift, []


def _over_limits(record: ModelRecord, question: CostQuestion) -> list[str]:
    """What the call asks beyond the model's stated limits: priced all the same, and said."""
    notes = []
    prompt = question.input + question.cached + question.cache_write + question.audio_input
    if record.max_input_tokens is not None and prompt > record.max_input_tokens:
        notes.append(
            f"the prompt ({prompt:,} tokens) is over {record.model}'s context window "
            f"({record.max_input_tokens:,}, per {record.provenance.get('max_input_tokens', 'a source')}): "
            "the provider would refuse this call"
        )
    answer = question.output + question.reasoning + question.audio_output
    if record.max_output_tokens is not None and answer > record.max_output_tokens:
        notes.append(
            f"the output ({answer:,} tokens) is over {record.model}'s output limit ({record.max_output_tokens:,})"
        )
    return notes


def _dollars(data: Any) -> Any:
    """Every float to 12 significant digits: ``0.03``, not ``0.030000000000000002``.

    A total is a sum of products of decimal rates; no figure anyone reads is moved by this.
    """
    if isinstance(data, float):
        return float(f"{data:.12g}") if math.isfinite(data) else data
    if isinstance(data, dict):
        return {k: _dollars(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_dollars(v) for v in data]
    return data


# First-party providers before the clouds and resellers that also serve their models.
_FIRST_PARTY = ("openai", "anthropic", "gemini", "xai", "mistral", "deepseek", "groq", "cohere", "moonshot",
                "dashscope", "cerebras", "perplexity", "zai")  # fmt: skip

MAX_SUGGESTED_NAME = 160
"""Longer unknown names get no suggestions (the longest real model strings are about 100 characters)."""


def shown_name(name: str) -> str:
    """A model string as a message quotes it: whole up to :data:`MAX_SUGGESTED_NAME`, else its start and length."""
    return name if len(name) <= MAX_SUGGESTED_NAME else f"{name[:60]}... ({len(name):,} characters)"


def suggest(catalog: Catalog, name: str) -> list[str]:
    """Close matches for an unknown model string, the obvious first (at most 5).

    The same id under another provider, then edit distance, then first-party providers before
    resellers.
    """
    if len(name) > MAX_SUGGESTED_NAME:
        return []  # no model string is that long: matching it against every record is wasted time
    lowered = name.lower()
    tail = lowered.split("/", 1)[-1]
    # One matcher per side of the question, its string analysed once; the cheap upper bounds
    # (real_quick_ratio, quick_ratio) skip almost every candidate before the full ratio.
    by_id, by_model = difflib.SequenceMatcher(None), difflib.SequenceMatcher(None)
    by_id.set_seq2(tail)
    by_model.set_seq2(lowered)

    def close(matcher: difflib.SequenceMatcher[str], candidate: str) -> float:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() < 0.75 or matcher.quick_ratio() < 0.75:
            return 0.0
        return matcher.ratio()

    scored: list[tuple[int, float, int, str]] = []
    for model in catalog.model_names():
        provider, _, rest = model.partition("/")  # a record key is <provider>/<the provider's id>
        model_id = rest.lower()
        exact = model_id in (lowered, tail)
        ratio = max(close(by_id, model_id), close(by_model, model.lower()))
        if exact or ratio >= 0.75:
            rank = _FIRST_PARTY.index(provider) if provider in _FIRST_PARTY else len(_FIRST_PARTY)
            scored.append((0 if exact else 1, -round(ratio, 3), rank, model))
    scored.sort()
    return [model for *_, model in scored[:5]]


def empty_serving_sources(catalog: Catalog, model: str) -> list[SourceStatus]:
    """The live sources that serve ``model``'s name (by its prefix) and have nothing: failed or never fetched."""
    from ._orchestration.first_tries import providers_of
    from .providers import provider_info

    serving = {provider_info(p).live_source or p for p in providers_of(model)} & set(catalog.live_sources())
    if not serving:  # status() builds a model per source: not asked for a name no live source serves
        return []
    return [s for s in catalog.status() if s.live and s.source in serving and not s.count]


def providers_answer(catalog: Catalog) -> list[dict[str, Any]]:
    """The JSON of ``providers --json``: per provider, how it is listed and what it last did."""
    from ._domain.identifiers import SECOND_OPINION, endpoint_key_var
    from .providers import PROVIDERS, ProviderInfo, provider_info

    counts: dict[str, int] = {}
    for record in catalog.list_models():
        counts[record.provider] = counts.get(record.provider, 0) + 1
    statuses = {s.source: s for s in catalog.status(try_untried=True)}
    shared_problem = catalog.check_shared_store() if catalog.shared_store else None
    live_names = {s.source for s in statuses.values() if s.live}
    # Named endpoints are live sources of their own provider, listed whether or not they answered.
    known_live = {info.live_source for info in PROVIDERS.values()} | {SECOND_OPINION}
    endpoints_live = {
        name: ProviderInfo(name, name, (endpoint_key_var(name),), live_source=name, public_listing=True)
        for name in sorted(live_names - known_live)
    }
    rows: list[dict[str, Any]] = []
    others = sorted((set(counts) | set(endpoints_live)) - set(PROVIDERS))
    for provider in [*PROVIDERS, *others]:
        info = endpoints_live.get(provider) or provider_info(provider)
        status = statuses.get(info.live_source or "")
        listing = info.listing(live_names)
        if status is not None and status.error and not status.count:
            listing = "unreachable"
        rows.append(
            {
                "provider": provider,
                "name": info.display_name,
                "listing": listing,
                "env_var": info.env_vars[0] if info.env_vars else None,
                "last_refresh": status.fetched_at.isoformat() if status and status.fetched_at else None,
                "models": counts.get(provider, 0),
                "error": status.error if status else None,
                "shared_store": catalog.shared_store,
                "shared_store_error": shared_problem,
                "refresh": status.refresh if status is not None else None,
            }
        )
    return rows


def slice_records(records: Sequence[ModelRecord], offset: int, limit: int | None) -> Sequence[ModelRecord]:
    """``records[offset:offset + limit]`` (all from ``offset`` when ``limit`` is None)."""
    return records[offset:] if limit is None else records[offset : offset + limit]
