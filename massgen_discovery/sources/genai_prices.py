"""genai-prices (pydantic's price data package) as a third opinion on prices, read offline.

When the package is installed (``pip install 'massgen_discovery[prices]'``; Python 3.11+), its
bundled snapshot is read once per catalog build, never over the network. Its prices meet the
records of LiteLLM's map of the same model (``<litellm provider>/<genai-prices model id>``) and
rank below the map for today's standard rates, beside models.dev: where the map is silent they
fill in, where they disagree the map's value stays and the other is a conflict (``audit``).

What it adds that the others do not state:

- dated prices: a price list with start dates becomes today's rate plus
  ``<rate>_before_<date>`` for each earlier one (Gemini 4 Argon's $2/$10 before 2026-12-01);
- time-of-day bands: ``<rate>_utc_<HHMM>_<HHMM>`` (DeepSeek's peak hours), the unconstrained
  price being the rate outside them;
- service-tier variants: ``processing: batch`` and ``service_tier: flex / priority / ultrafast``
  as LiteLLM's ``_batches``, ``_flex``, ``_priority``, ``_ultrafast`` rates;
- context tiers (``TieredPrices``) as ``<rate>_above_<N>k_tokens``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from contextlib import suppress
from functools import cache
from typing import Any

from .._domain.identifiers import THIRD_OPINION
from .._domain.log import get_logger
from ..records import ModelRecord

__all__ = ["PROVIDER_MAP", "genai_prices_version", "records"]

_log = get_logger(__name__)

PROVIDER_MAP: dict[str, str] = {
    "anthropic": "anthropic",
    "cerebras": "cerebras",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "github-copilot": "github_copilot",
    "google": "gemini",
    "groq": "groq",
    "mistral": "mistral",
    "moonshotai": "moonshot",
    "novita": "novita",
    "openai": "openai",
    "openrouter": "openrouter",
    "perplexity": "perplexity",
    "together": "together_ai",
    "x-ai": "xai",
    "zai": "zai",
}
"""genai-prices provider id -> LiteLLM provider id, where its model ids are LiteLLM's (``huggingface_<p>``
providers are the HF router's routes: ``huggingface/<p>/<org>/<model>``)."""

# genai-prices price keys (per million tokens, or per thousand requests) -> LiteLLM's names.
_KEYS: dict[str, tuple[str, float]] = {
    "input_mtok": ("input_cost_per_token", 1e-6),
    "output_mtok": ("output_cost_per_token", 1e-6),
    "cache_read_mtok": ("cache_read_input_token_cost", 1e-6),
    "cache_write_mtok": ("cache_creation_input_token_cost", 1e-6),
    "cache_write_1h_mtok": ("cache_creation_input_token_cost_above_1hr", 1e-6),
    "input_audio_mtok": ("input_cost_per_audio_token", 1e-6),
    "output_audio_mtok": ("output_cost_per_audio_token", 1e-6),
    "cache_audio_read_mtok": ("cache_read_input_audio_token_cost", 1e-6),
    "input_image_mtok": ("input_cost_per_image_token", 1e-6),
    "output_image_mtok": ("output_cost_per_image_token", 1e-6),
    "output_reasoning_mtok": ("output_cost_per_reasoning_token", 1e-6),
    "requests_kcount": ("input_cost_per_request", 1e-3),
}
_BASE_FIELDS = frozenset(
    {"input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost", "cache_creation_input_token_cost"}
)
_VARIANTS = {
    ("processing", "batch"): "_batches",
    ("service_tier", "flex"): "_flex",
    ("service_tier", "priority"): "_priority",
    ("service_tier", "ultrafast"): "_ultrafast",
}


@cache
def genai_prices_version() -> str | None:
    """The installed genai-prices' version, or None (read once per process).

    Read from the name of its ``.dist-info`` folder beside the package, as installers write it:
    ``importlib.metadata`` costs a cold lookup about 15 ms; it is the fallback for other layouts.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("genai_prices")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    found: set[str] = set()
    for location in spec.submodule_search_locations or ():
        with suppress(OSError):
            found.update(
                name[len("genai_prices-") : -len(".dist-info")]
                for name in os.listdir(os.path.dirname(location))
                if name.startswith("genai_prices-") and name.endswith(".dist-info")
            )
    if len(found) == 1:  # several: a stale leftover beside the real one; ask the metadata
        return found.pop()
    import importlib.metadata

    try:
        return importlib.metadata.version("genai-prices")
    except importlib.metadata.PackageNotFoundError:
        return None


def _rates(price: Any, suffix: str = "") -> dict[str, float]:
    """One ``ModelPrice`` in LiteLLM's names (``suffix`` after each, before any context tier)."""
    out: dict[str, float] = {}
    for key, (ours, scale) in _KEYS.items():
        value = getattr(price, key, None)
        if value is None:
            continue
        tiers = getattr(value, "tiers", None)
        base = getattr(value, "base", value)
        try:
            out[f"{ours}{suffix}"] = _scaled(base, scale)
            for tier in tiers or ():
                label = f"{int(tier.start) / 1000:g}k"
                out[f"{ours}_above_{label}_tokens{suffix}"] = _scaled(tier.price, scale)
        except (TypeError, ValueError, AttributeError):
            continue
    return {k: v for k, v in out.items() if v >= 0}


def _scaled(value: Any, scale: float) -> float:
    """A decimal price per million (or thousand) as USD per token, without float noise (5e-06, not 4.99...e-06)."""
    return float(f"{float(value) * scale:.12g}")


def _hhmm(moment: Any) -> int:
    return int(moment.hour) * 100 + int(moment.minute)


def _model_rates(model: Any) -> dict[str, float]:
    """Today's rates, dated ones and time bands of one genai-prices model."""
    from .._domain.price_rules import dated_name, time_band_name

    prices = model.prices
    if not isinstance(prices, list):
        out = _rates(prices)
    else:
        plain = [c for c in prices if c.constraint is None]
        dated = sorted(
            (c for c in prices if hasattr(c.constraint, "start_date")), key=lambda c: c.constraint.start_date
        )
        banded = [c for c in prices if hasattr(c.constraint, "start_time")]
        segments = [*(plain[:1]), *dated]  # oldest first; the last is today's (or the latest scheduled)
        if not segments:
            return {}
        out = _rates(segments[-1].prices)
        for earlier, later in itertools.pairwise(segments):
            day = later.constraint.start_date.isoformat()
            out.update({dated_name(k, day): v for k, v in _rates(earlier.prices).items()})
        for band in banded:
            start, end = _hhmm(band.constraint.start_time), _hhmm(band.constraint.end_time)
            out.update({time_band_name(k, start, end): v for k, v in _rates(band.prices).items()})
    for variant in getattr(model, "price_variants", None) or ():
        when = variant.when if isinstance(variant.when, dict) else {}
        if len(when) != 1 or getattr(variant, "constraint", None) is not None:
            continue
        suffix = _VARIANTS.get(next(iter(when.items())))
        if suffix is not None:
            out.update(_rates(variant.prices, suffix))
    return out


def _record(provider: str, model_id: str, rates: dict[str, float], deprecated: bool) -> ModelRecord:
    values: dict[str, Any] = {k: v for k, v in rates.items() if k in _BASE_FIELDS}
    prices = {k: v for k, v in rates.items() if k not in _BASE_FIELDS}
    if deprecated:
        values["status"] = "deprecated"
    return ModelRecord(
        model=f"{provider}/{model_id}",
        provider=provider,
        model_id=model_id,
        sources=[THIRD_OPINION],
        provenance=dict.fromkeys([*values, *prices], THIRD_OPINION),
        prices=prices or None,
        **values,
    )


def _models() -> Iterator[tuple[str, str, Any]]:
    """(LiteLLM provider, record model id, genai-prices model) for every mapped model."""
    from genai_prices import data_snapshot

    for provider in data_snapshot.get_snapshot().providers:
        theirs = str(provider.id)
        if theirs.startswith("huggingface_"):
            route = theirs[len("huggingface_") :]
            for model in provider.models:
                yield "huggingface", f"{route}/{model.id}", model
        elif theirs in PROVIDER_MAP:
            for model in provider.models:
                yield PROVIDER_MAP[theirs], str(model.id), model


def records(only: Iterable[str] | None = None) -> list[ModelRecord]:
    """genai-prices' records (none when it is not installed or its data cannot be read).

    ``only``: the model strings to keep (the records it has an opinion on that others know).
    """
    if genai_prices_version() is None:
        return []
    wanted = set(only) if only is not None else None
    out: dict[str, ModelRecord] = {}
    try:
        for provider, model_id, model in _models():
            key = f"{provider}/{model_id}"
            if (wanted is not None and key not in wanted) or key in out:
                continue
            try:
                rates = _model_rates(model)
                if rates:
                    out[key] = _record(provider, model_id, rates, bool(getattr(model, "deprecated", False)))
            except (AttributeError, TypeError, ValueError) as exc:  # one odd entry: that entry only
                _log.debug("genai-prices entry %s skipped: %s", key, exc)
    except Exception as exc:  # a data layout this reader does not know: no third opinion, no failure
        _log.warning("genai-prices %s could not be read: %s", genai_prices_version(), exc)
        return []
    return list(out.values())
