"""One price engine: what one call costs, on every dimension a price has.

Providers price by token kind (text, cached, cache writes for 5 minutes or an hour, reasoning,
audio, image), by context tier (above 128k, 200k, 272k ... tokens of prompt, the whole call at the
higher rate), by service tier (standard, flex, priority, batch) and sometimes per request. A
record states those rates in LiteLLM's names: the four base fields, and every other one in
:attr:`~massgen_discovery.ModelRecord.prices` (``input_cost_per_token_above_200k_tokens``,
``output_cost_per_token_flex``, ``cache_creation_input_token_cost_above_1hr``,
``output_cost_per_reasoning_token``, ``input_cost_per_audio_token``, ``input_cost_per_request``
...). :func:`price_call` prices a call from them; the CLI's ``cost``, the LiteLLM bridge and the
MassGen adapter all call it, and nothing else multiplies tokens by a rate.

The rules, as the providers document them:

- A context tier applies to the whole call once the prompt (input, cached and cache-write tokens,
  audio and image input included) passes its threshold: every part is billed at that tier's rate.
- Reasoning tokens are output tokens: billed at ``output_cost_per_reasoning_token`` where a source
  states one, else at the output rate.
- A rate the call needs that no source states is unknown: :class:`UnknownPrice` names it. It is
  never guessed from another rate and never counted as $0 (a per-request fee nobody states is no
  fee: the call does not need it).

:func:`~.usage.call_tokens` reads a usage object in any shape the ecosystem produces (OpenAI chat and
responses, Anthropic, Gemini, LiteLLM's ``Usage``, MassGen's) into :class:`CallTokens`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ..records import ModelRecord

__all__ = [
    "BASE_PRICE_FIELDS",
    "CACHE_TTLS",
    "SERVICE_TIERS",
    "Bill",
    "MAX_TOKENS",
    "CallTokens",
    "InvalidTokens",
    "PricePart",
    "UnknownPrice",
    "context_base",
    "context_tiers",
    "price_call",
    "token_count",
]

ServiceTier = Literal["standard", "flex", "priority", "batch", "ultrafast"]
CacheTTL = Literal["5m", "1h", "12h"]

SERVICE_TIERS: dict[str, str] = {
    "standard": "",
    "flex": "_flex",
    "priority": "_priority",
    "batch": "_batches",
    "ultrafast": "_ultrafast",
}
"""Service tier -> the suffix LiteLLM's names give its rates."""
CACHE_TTLS: tuple[str, ...] = ("5m", "1h", "12h")
"""How long a cache write is kept: 5 minutes (the default rate), an hour (``..._above_1hr``) or
12 hours (``..._above_12hr``)."""
BASE_PRICE_FIELDS: tuple[str, ...] = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
)
"""The rates that are record fields of their own; every other one is in ``record.prices``."""

# part -> (the rate's name in LiteLLM's map, what the part is called in messages)
_RATES: dict[str, str] = {
    "input": "input_cost_per_token",
    "cached": "cache_read_input_token_cost",
    "cache_write_5m": "cache_creation_input_token_cost",
    "cache_write_1h": "cache_creation_input_token_cost_above_1hr",
    "cache_write_12h": "cache_creation_input_token_cost_above_12hr",
    "output": "output_cost_per_token",
    "reasoning": "output_cost_per_reasoning_token",
    "audio_input": "input_cost_per_audio_token",
    "audio_output": "output_cost_per_audio_token",
    "image_input": "input_cost_per_image_token",
    "image_output": "output_cost_per_image_token",
}
_LABELS = {
    "input": "input price",
    "cached": "cache-read price",
    "cache_write_5m": "cache-write price",
    "cache_write_1h": "1-hour cache-write price",
    "cache_write_12h": "12-hour cache-write price",
    "output": "output price",
    "reasoning": "output price",
    "audio_input": "audio input price",
    "audio_output": "audio output price",
    "image_input": "image input price",
    "image_output": "image output price",
}
_CONTEXT_TIER = re.compile(r"^(?P<base>.+?)_above_(?P<n>\d+(?:\.\d+)?)(?P<unit>[km])_tokens(?P<rest>(?:_[a-z]+)?)$")


class UnknownPrice(LookupError):
    """A rate the call needs is stated by no source; ``rates`` names each (LiteLLM's names)."""

    def __init__(self, model: str, rates: list[str], parts: list[str] | None = None) -> None:
        labels = sorted({_LABELS.get(p, p) for p in parts or ()})
        what = f"the {' and '.join(labels)} of {model}" if labels else model
        verb = "is" if len(rates) == 1 else "are"
        super().__init__(f"{what} {verb} unknown (no source states {', '.join(rates)})")
        self.model = model
        """The record's model string."""
        self.rates = rates
        """The missing rates, in LiteLLM's names (``input_cost_per_token_above_200k_tokens_flex``)."""


MAX_TOKENS = 10**12
"""The largest token count any price surface takes (a trillion: no call comes close)."""


class InvalidTokens(ValueError):
    """A token count that is not a whole number from 0 to :data:`MAX_TOKENS` (the message names it)."""


def token_count(value: object, name: str = "token count") -> int:
    """``value`` as a token count: a whole number from 0 to 10^12, an integral float, or a numeric string.

    Raises:
        InvalidTokens: for anything else (a bool, a negative, NaN, infinity, a fraction, ``"abc"``,
            10**400), so no surface prices garbage as $0, a negative or NaN total.
    """
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if math.isfinite(value) and value.is_integer() else None
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        number = int(text) if text.isdigit() and len(text) <= 13 else None
    elif hasattr(value, "__index__"):  # numpy integers and the like
        number = int(value.__index__())
    if number is None or not 0 <= number <= MAX_TOKENS:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise InvalidTokens(f"{name} {shown} is not a whole number of tokens from 0 to {MAX_TOKENS:,}")
    return number


@dataclass(frozen=True)
class CallTokens:
    """One call's tokens, split the way they are billed (every count apart from the others).

    Every count is checked at construction (:func:`token_count`): numeric strings become numbers,
    anything else raises :class:`InvalidTokens`.
    """

    input: int = 0
    """Prompt text tokens at the input rate (cache reads and writes, audio and image not included)."""
    cached: int = 0
    """Prompt tokens read from the cache."""
    cache_write_5m: int = 0
    """Prompt tokens written to the cache for 5 minutes (the default cache write)."""
    cache_write_1h: int = 0
    """Prompt tokens written to the cache for an hour."""
    output: int = 0
    """Output text tokens (reasoning, audio and image not included)."""
    reasoning: int = 0
    """Reasoning (thinking) tokens."""
    audio_input: int = 0
    """Prompt audio tokens."""
    audio_output: int = 0
    """Output audio tokens."""
    image_input: int = 0
    """Prompt image tokens."""
    image_output: int = 0
    """Output image tokens."""
    cache_write_12h: int = 0
    """Prompt tokens written to the cache for 12 hours."""

    def __post_init__(self) -> None:
        for name in _RATES:
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= MAX_TOKENS:
                object.__setattr__(self, name, token_count(value, name))

    @property
    def prompt(self) -> int:
        """Every prompt token: what a context tier's threshold is compared with."""
        writes = self.cache_write_5m + self.cache_write_1h + self.cache_write_12h
        return self.input + self.cached + writes + self.audio_input + self.image_input

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in _RATES)


@dataclass(frozen=True)
class PricePart:
    """One billed part of a call."""

    part: str
    """``input``, ``cached``, ``cache_write_5m``, ``cache_write_1h``, ``output``, ``reasoning``,
    ``audio_input``, ``audio_output``, ``image_input``, ``image_output`` or ``request``."""
    tokens: int
    """How many tokens (1 for a per-request fee)."""
    rate: float
    """USD per token (per request for ``request``)."""
    rate_name: str
    """The rate applied, in LiteLLM's names (``input_cost_per_token_above_200k_tokens_priority``)."""
    source: str | None
    """The source that states the rate."""
    cost: float
    """``tokens * rate`` in USD."""


@dataclass(frozen=True)
class Bill:
    """What one call costs: each part, the tiers applied and the total, in USD."""

    model: str
    """The record's model string."""
    parts: tuple[PricePart, ...]
    """Each billed part, in a fixed order."""
    total: float
    """The sum of the parts, in USD."""
    service_tier: str = "standard"
    """The service tier priced."""
    cache_ttl: str = "5m"
    """How long the call's cache writes are kept, as priced."""
    context_tier: int | None = None
    """The context threshold (tokens) the prompt passed, whose rates apply to the whole call."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    """How a rate was chosen where a rule applied (reasoning at the output rate ...)."""
    at: str | None = None
    """The instant priced (ISO 8601, UTC) when the call named one."""
    uplift: float = 1.0
    """The regional uplift applied to every part (1.0: none)."""

    def part(self, name: str) -> PricePart | None:
        """The part called ``name``, or None when the call has none."""
        return next((p for p in self.parts if p.part == name), None)

    def as_dict(self) -> dict[str, Any]:
        """The bill as JSON-ready data (``--json``)."""
        return {
            "model": self.model,
            "service_tier": self.service_tier,
            "cache_ttl": self.cache_ttl,
            "context_tier": self.context_tier,
            "parts": [p.__dict__ for p in self.parts],
            "notes": list(self.notes),
            "at": self.at,
            "uplift": self.uplift,
            "total": self.total,
            "currency": "USD",
        }


@cache
def _tier_of(name: str) -> tuple[str, int, str] | None:
    """``input_cost_per_token_above_200k_tokens_flex`` -> (``input_cost_per_token``, 200000, ``_flex``)."""
    match = _CONTEXT_TIER.match(name)
    if match is None:
        return None
    scale = 1_000 if match["unit"] == "k" else 1_000_000
    return match["base"], int(float(match["n"]) * scale), match["rest"]


def context_base(name: str) -> str | None:
    """The rate a context-tier rate raises (``..._above_200k_tokens_flex`` -> ``..._flex``); None if not one."""
    tier = _tier_of(name)
    return None if tier is None else tier[0] + tier[2]


def context_tiers(record: ModelRecord) -> dict[int, str]:
    """The record's context thresholds (tokens) -> their label in rate names (``200k``)."""
    out: dict[int, str] = {}
    for name in record.prices or ():
        tier = _tier_of(name)
        if tier is not None:
            label = name[len(tier[0]) + len("_above_") :].split("_tokens", 1)[0]
            out.setdefault(tier[1], label)
    return out


def _stated(record: ModelRecord, name: str) -> float | None:
    value = getattr(record, name) if name in BASE_PRICE_FIELDS else (record.prices or {}).get(name)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _rates(record: ModelRecord) -> dict[str, float]:
    """Every rate the record states, by name: the base fields and ``prices``."""
    out = {name: value for name in BASE_PRICE_FIELDS if (value := _stated(record, name)) is not None}
    out.update((k, float(v)) for k, v in (record.prices or {}).items() if isinstance(v, (int, float)))
    return out


# Which context tiers a part follows: a tier stated only for audio does not move text, and so on.
_GROUPS: dict[str, tuple[str, ...]] = {
    "text": (
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
        "cache_creation_input_token_cost",
        "cache_creation_input_token_cost_above_1hr",
        "cache_creation_input_token_cost_above_12hr",
        "output_cost_per_reasoning_token",
    ),
    "audio": ("input_cost_per_audio_token", "output_cost_per_audio_token"),
    "image": ("input_cost_per_image_token", "output_cost_per_image_token"),
}
_GROUP_OF = {"audio_input": "audio", "audio_output": "audio", "image_input": "image", "image_output": "image"}


def _group_tiers(stated: Mapping[str, float]) -> dict[str, dict[int, str]]:
    """Per part group, its context thresholds (tokens) -> their label (``200k``)."""
    out: dict[str, dict[int, str]] = {group: {} for group in _GROUPS}
    for name in stated:
        tier = _tier_of(name)
        if tier is None:
            continue
        label = name[len(tier[0]) + len("_above_") :].split("_tokens", 1)[0]
        for group, bases in _GROUPS.items():
            if tier[0] in bases:
                out[group].setdefault(tier[1], label)
    return out


def _part_rate(
    record: ModelRecord,
    stated: Mapping[str, float],
    part: str,
    above: str,
    suffix: str,
    at: datetime | None,
) -> tuple[str, float | None, str | None]:
    """(the rate's name, its value or None, a note when a rule chose it) for one part."""
    from .price_rules import at_instant, derived_rate

    base = _RATES[part]
    name = f"{base}{above}{suffix}"
    timed = at_instant(stated, name, at)
    if timed is not None:
        return timed[0], timed[1], None
    if name in stated:
        return name, stated[name], None
    if part == "reasoning":  # reasoning tokens are output tokens unless a rate of their own is stated
        output_name, rate, note = _part_rate(record, stated, "output", above, suffix, at)
        if rate is not None:
            return output_name, rate, note or "reasoning tokens billed at the output rate (no reasoning rate is stated)"
        return name, None, None
    standard = f"{base}{above}"
    if suffix:
        timed = at_instant(stated, standard, at)
        with_time = {**stated, standard: timed[1]} if timed is not None else stated
    else:
        with_time = stated
    rule = derived_rate(record.provider, record.model_id, part, name, standard, suffix, with_time)
    if rule is not None:
        return rule.name, rule.rate, rule.note
    return name, None, None


def _checked_call(tokens: CallTokens, service_tier: str, cache_ttl: str | None, uplift: float | None) -> CallTokens:
    """The call's tokens, each cache write at ``cache_ttl``'s duration if given; ValueError for a bad choice."""
    if service_tier not in SERVICE_TIERS:
        raise ValueError(f"service tier {service_tier!r}: use one of {', '.join(SERVICE_TIERS)}")
    if cache_ttl is not None and cache_ttl not in CACHE_TTLS:
        raise ValueError(f"cache ttl {cache_ttl!r}: use one of {', '.join(CACHE_TTLS)}")
    if uplift is not None and not (math.isfinite(uplift) and uplift > 0):
        raise ValueError(f"uplift {uplift!r} is not a positive number")
    if cache_ttl is None:
        return tokens
    writes = tokens.cache_write_5m + tokens.cache_write_1h + tokens.cache_write_12h
    split = {"5m": (writes, 0, 0), "1h": (0, writes, 0), "12h": (0, 0, writes)}[cache_ttl]
    return CallTokens(
        **{**tokens.__dict__, "cache_write_5m": split[0], "cache_write_1h": split[1], "cache_write_12h": split[2]}
    )


def _parts(
    record: ModelRecord,
    tokens: CallTokens,
    stated: Mapping[str, float],
    aboves: Mapping[str, str],
    how: tuple[str, datetime | None, float],
) -> tuple[list[PricePart], list[str]]:
    """Each counted part at its rate, with the notes of the rules used.

    ``aboves``: each kind's context-tier suffix; ``how``: the service tier's suffix, the instant,
    the uplift. Raises :class:`UnknownPrice` naming every rate nobody states.
    """
    suffix, at, factor = how
    parts: list[PricePart] = []
    missing: list[str] = []
    missing_parts: list[str] = []
    notes: list[str] = []
    for part in _RATES:
        count = getattr(tokens, part)
        if not count:
            continue
        name, rate, note = _part_rate(record, stated, part, aboves[_GROUP_OF.get(part, "text")], suffix, at)
        if rate is None:
            missing.append(name)
            missing_parts.append(part)
            continue
        if note and note not in notes:
            notes.append(note)
        parts.append(
            PricePart(
                part, count, float(rate) * factor, name, record.provenance.get(name), count * float(rate) * factor
            )
        )
    if missing:
        raise UnknownPrice(record.model, missing, missing_parts)
    return parts, notes


def _cache_ttl_of(tokens: CallTokens) -> str:
    """The cache-write duration a call's writes were counted at (the longest when only it is written)."""
    written = tokens.cache_write_5m, tokens.cache_write_1h, tokens.cache_write_12h
    return "12h" if written[2] and not any(written[:2]) else "1h" if written[1] and not written[0] else "5m"


def price_call(
    record: ModelRecord,
    tokens: CallTokens,
    *,
    service_tier: str = "standard",
    cache_ttl: str | None = None,
    at: datetime | None = None,
    uplift: float | None = None,
) -> Bill:
    """What ``tokens`` cost on ``record``, at ``service_tier``; raises :class:`UnknownPrice`.

    ``cache_ttl`` (``5m``, ``1h`` or ``12h``) reprices every cache write in ``tokens`` at that
    duration's rate (for callers who count cache writes without their duration); by default each
    is priced as it is counted. A context tier applies to the whole call once the prompt passes
    it (from the threshold itself where the provider says so: xAI), each part following the tiers
    stated for its kind (text, audio, image). ``at`` (default now) picks the rates in effect at
    that instant: dated prices and time-of-day bands. ``uplift`` multiplies every part (a regional
    or data-residency uplift a source states). A rate a provider's published rule gives (a batch
    discount, an input rate that covers audio) is used where no source states the rate itself.
    """
    from .price_rules import inclusive_threshold

    tokens = _checked_call(tokens, service_tier, cache_ttl, uplift)
    suffix = SERVICE_TIERS[service_tier]
    stated = _rates(record)
    groups = _group_tiers(stated)
    inclusive = inclusive_threshold(record.provider)
    prompt = tokens.prompt
    passed_by_group = {
        group: max((n for n in tiers if prompt > n or (inclusive and prompt == n)), default=None)
        for group, tiers in groups.items()
    }
    factor = uplift or 1.0
    aboves = {g: f"_above_{groups[g][n]}_tokens" if n is not None else "" for g, n in passed_by_group.items()}
    parts, notes = _parts(record, tokens, stated, aboves, (suffix, at, factor))
    fee_name = "input_cost_per_request"
    fee = stated.get(fee_name)
    if fee and tokens:
        parts.append(PricePart("request", 1, fee * factor, fee_name, record.provenance.get(fee_name), fee * factor))
    total = math.fsum(p.cost for p in parts)
    threshold = passed_by_group["text"]
    if threshold is not None:
        at_or_past = "reached" if inclusive and prompt == threshold else "passed"
        label = groups["text"][threshold]
        notes.append(f"the prompt ({prompt:,} tokens) {at_or_past} {label}: every part at that tier")
    if factor != 1.0:
        notes.append(f"every part x{factor:g} (regional uplift)")
    return Bill(
        model=record.model,
        parts=tuple(parts),
        total=total,
        service_tier=service_tier,
        cache_ttl=cache_ttl or _cache_ttl_of(tokens),
        context_tier=threshold,
        notes=tuple(notes),
        at=None if at is None else at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        uplift=factor,
    )
