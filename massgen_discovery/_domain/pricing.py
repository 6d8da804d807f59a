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

:func:`call_tokens` reads a usage object in any shape the ecosystem produces (OpenAI chat and
responses, Anthropic, Gemini, LiteLLM's ``Usage``, MassGen's) into :class:`CallTokens`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    "call_tokens",
    "context_base",
    "context_tiers",
    "price_call",
    "token_count",
]

ServiceTier = Literal["standard", "flex", "priority", "batch"]
CacheTTL = Literal["5m", "1h"]

SERVICE_TIERS: dict[str, str] = {"standard": "", "flex": "_flex", "priority": "_priority", "batch": "_batches"}
"""Service tier -> the suffix LiteLLM's names give its rates."""
CACHE_TTLS: tuple[str, ...] = ("5m", "1h")
"""How long a cache write is kept: 5 minutes (the default rate) or an hour (``..._above_1hr``)."""
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

    def __post_init__(self) -> None:
        for name in _RATES:
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= MAX_TOKENS:
                object.__setattr__(self, name, token_count(value, name))

    @property
    def prompt(self) -> int:
        """Every prompt token: what a context tier's threshold is compared with."""
        writes = self.cache_write_5m + self.cache_write_1h
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


def price_call(
    record: ModelRecord,
    tokens: CallTokens,
    *,
    service_tier: str = "standard",
    cache_ttl: str | None = None,
) -> Bill:
    """What ``tokens`` cost on ``record``, at ``service_tier``; raises :class:`UnknownPrice`.

    ``cache_ttl`` (``5m`` or ``1h``) reprices every cache write in ``tokens`` at that duration's
    rate (for callers who count cache writes without their duration); by default each is priced
    as it is counted. A context tier applies to the whole call once the prompt passes it.
    """
    if service_tier not in SERVICE_TIERS:
        raise ValueError(f"service tier {service_tier!r}: use one of {', '.join(SERVICE_TIERS)}")
    if cache_ttl is not None and cache_ttl not in CACHE_TTLS:
        raise ValueError(f"cache ttl {cache_ttl!r}: use one of {', '.join(CACHE_TTLS)}")
    if cache_ttl is not None:
        writes = tokens.cache_write_5m + tokens.cache_write_1h
        split = (writes, 0) if cache_ttl == "5m" else (0, writes)
        tokens = CallTokens(**{**tokens.__dict__, "cache_write_5m": split[0], "cache_write_1h": split[1]})
    suffix = SERVICE_TIERS[service_tier]
    tiers = context_tiers(record)
    passed = [n for n in tiers if tokens.prompt > n]
    threshold = max(passed) if passed else None
    above = f"_above_{tiers[threshold]}_tokens" if threshold is not None else ""
    parts: list[PricePart] = []
    missing: list[str] = []
    missing_parts: list[str] = []
    notes: list[str] = []
    for part, base in _RATES.items():
        count = getattr(tokens, part)
        if not count:
            continue
        name = f"{base}{above}{suffix}"
        rate = _stated(record, name)
        if rate is None and part == "reasoning":
            # Reasoning tokens are output tokens unless a source states a rate of their own.
            name = f"{_RATES['output']}{above}{suffix}"
            rate = _stated(record, name)
            if rate is not None:
                notes.append("reasoning tokens billed at the output rate (no reasoning rate is stated)")
        if rate is None:
            missing.append(name)
            missing_parts.append(part)
            continue
        parts.append(PricePart(part, count, float(rate), name, record.provenance.get(name), count * float(rate)))
    if missing:
        raise UnknownPrice(record.model, missing, missing_parts)
    fee_name = "input_cost_per_request"
    fee = _stated(record, fee_name)
    if fee and tokens:
        parts.append(PricePart("request", 1, float(fee), fee_name, record.provenance.get(fee_name), float(fee)))
    total = math.fsum(p.cost for p in parts)
    if threshold is not None:
        notes.append(f"the prompt ({tokens.prompt:,} tokens) passed {tiers[threshold]}: every part at that tier")
    return Bill(
        model=record.model,
        parts=tuple(parts),
        total=total,
        service_tier=service_tier,
        cache_ttl=cache_ttl or ("1h" if tokens.cache_write_1h and not tokens.cache_write_5m else "5m"),
        context_tier=threshold,
        notes=tuple(notes),
    )


# -- usage objects -----------------------------------------------------------------------------------


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def _count(obj: Any, *names: str) -> int:
    """The first of ``names`` that ``obj`` states, as a token count (0 when none); garbage raises."""
    value = _get(obj, *names) if obj is not None else None
    return 0 if value is None else token_count(value, names[0])


def call_tokens(usage: Any) -> CallTokens:
    """A usage object or dict, in any of the ecosystem's shapes, split the way it is billed.

    - OpenAI chat (``prompt_tokens``, ``completion_tokens`` and their ``*_details``) and LiteLLM's
      ``Usage`` count cached, cache-write and audio tokens inside ``prompt_tokens``, reasoning and
      audio inside ``completion_tokens``;
    - OpenAI responses (``input_tokens``/``output_tokens`` with ``input_tokens_details`` and
      ``output_tokens_details``) likewise;
    - Anthropic's ``input_tokens`` leave cache reads and writes out; ``cache_creation`` splits
      writes into 5-minute and 1-hour ones;
    - Gemini (``prompt_token_count`` or ``promptTokenCount``) counts cached tokens inside the
      prompt and thoughts apart from the candidates.

    Raises:
        InvalidTokens: a count that is not a whole number from 0 to 10^12 (numeric strings are read).
    """
    if usage is None:
        return CallTokens()
    if _get(usage, "prompt_token_count", "promptTokenCount") is not None:  # Gemini
        prompt = _count(usage, "prompt_token_count", "promptTokenCount")
        cached = min(_count(usage, "cached_content_token_count", "cachedContentTokenCount"), prompt)
        thoughts = _count(usage, "thoughts_token_count", "thoughtsTokenCount")
        output = _count(usage, "candidates_token_count", "candidatesTokenCount")
        return CallTokens(input=prompt - cached, cached=cached, output=output, reasoning=thoughts)
    read = _count(usage, "cache_read_input_tokens")
    write = _count(usage, "cache_creation_input_tokens")
    split = _get(usage, "cache_creation", "cache_creation_token_details")  # Anthropic's, LiteLLM's
    write_1h = min(_count(split, "ephemeral_1h_input_tokens"), write) if split is not None else 0
    details = _get(usage, "prompt_tokens_details", "input_tokens_details")
    out_details = _get(usage, "completion_tokens_details", "output_tokens_details")
    reasoning = _count(out_details, "reasoning_tokens") or _count(usage, "reasoning_tokens")
    audio_out = _count(out_details, "audio_tokens")
    image_out = _count(out_details, "image_tokens")
    anthropic = _get(usage, "prompt_tokens") is None and details is None and (read or write or split is not None)
    if anthropic:
        return CallTokens(
            input=_count(usage, "input_tokens"),
            cached=read,
            cache_write_5m=write - write_1h,
            cache_write_1h=write_1h,
            output=max(0, _count(usage, "output_tokens") - reasoning),
            reasoning=reasoning,
        )
    prompt = _count(usage, "prompt_tokens", "input_tokens")
    cached = min(read or _count(details, "cached_tokens") or _count(usage, "cached_input_tokens"), prompt)
    write = min(write, prompt - cached)
    write_1h = min(write_1h, write)
    audio_in = min(_count(details, "audio_tokens"), prompt - cached - write)
    image_in = min(_count(details, "image_tokens"), prompt - cached - write - audio_in)
    completion = _count(usage, "completion_tokens", "output_tokens")
    reasoning = min(reasoning, completion)
    audio_out = min(audio_out, completion - reasoning)
    image_out = min(image_out, completion - reasoning - audio_out)
    return CallTokens(
        input=prompt - cached - write - audio_in - image_in,
        cached=cached,
        cache_write_5m=write - write_1h,
        cache_write_1h=write_1h,
        output=completion - reasoning - audio_out - image_out,
        reasoning=reasoning,
        audio_input=audio_in,
        audio_output=audio_out,
        image_input=image_in,
        image_output=image_out,
    )
