"""Usage objects in every shape the ecosystem produces, read into :class:`~.pricing.CallTokens`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .pricing import CallTokens, token_count

__all__ = ["call_tokens"]


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


def _gemini(usage: Any) -> CallTokens:
    """Gemini's usage: cached tokens inside the prompt, thoughts apart from the candidates."""
    prompt = _count(usage, "prompt_token_count", "promptTokenCount")
    cached = min(_count(usage, "cached_content_token_count", "cachedContentTokenCount"), prompt)
    thoughts = _count(usage, "thoughts_token_count", "thoughtsTokenCount")
    output = _count(usage, "candidates_token_count", "candidatesTokenCount")
    return CallTokens(input=prompt - cached, cached=cached, output=output, reasoning=thoughts)


def _cache_writes(usage: Any, details: Any) -> tuple[int, int]:
    """(cache-write tokens, of which 1-hour ones).

    LiteLLM's Usage keeps the count and its 5-minute / 1-hour split in ``prompt_tokens_details``
    (``cache_creation_tokens``, ``cache_creation_token_details``); Anthropic's own usage at the top.
    """
    write = _count(usage, "cache_creation_input_tokens") or _count(details, "cache_creation_tokens")
    split = _get(usage, "cache_creation", "cache_creation_token_details")
    if split is None:
        split = _get(details, "cache_creation_token_details")
    return write, min(_count(split, "ephemeral_1h_input_tokens"), write) if split is not None else 0


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
    if _get(usage, "prompt_token_count", "promptTokenCount") is not None:
        return _gemini(usage)
    read = _count(usage, "cache_read_input_tokens")
    details = _get(usage, "prompt_tokens_details", "input_tokens_details")
    write, write_1h = _cache_writes(usage, details)
    out_details = _get(usage, "completion_tokens_details", "output_tokens_details")
    reasoning = _count(out_details, "reasoning_tokens") or _count(usage, "reasoning_tokens")
    audio_out = _count(out_details, "audio_tokens")
    image_out = _count(out_details, "image_tokens")
    top_split = _get(usage, "cache_creation", "cache_creation_token_details") is not None
    anthropic = _get(usage, "prompt_tokens") is None and details is None and (read or write or top_split)
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
