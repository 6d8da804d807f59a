"""LiteLLM's model map as records, read without importing litellm.

``import litellm`` costs seconds and fetches a remote copy of the map unless told not to, so the
bundled ``model_prices_and_context_window_backup.json`` is located through
``importlib.util.find_spec`` and read directly. When the caller has already imported litellm, the
live ``litellm.model_cost`` dict is read instead, so entries added with ``litellm.register_model``
count. Nothing here ever triggers LiteLLM's remote fetch.

The annotations here are evaluated, not strings: a ``NamedTuple`` of string annotations compiles a
forward reference per field on import, which every cold lookup would pay.
"""

import functools
import importlib.util
import json
import os
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .._domain.digest import sha256_hex
from .._domain.log import get_logger
from ..records import LITELLM_FIELDS, PRICE_FIELDS, ModelRecord
from . import BUNDLED

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic import BaseModel

__all__ = [
    "NAME",
    "LiteLLMMap",
    "bundled_map_file",
    "bundled_map_path",
    "forget_digest",
    "load_litellm_map",
    "map_stamp",
    "stated_modes",
    "to_records",
]

NAME = BUNDLED
"""Source name used in ``provenance`` and ``sources``."""

_MAP_FILE = "model_prices_and_context_window_backup.json"
_log = get_logger(__name__)

# LiteLLM files some entries under category ids ("vertex_ai-language-models",
# "fireworks_ai-embedding-models", "bedrock_converse"); litellm.completion routes them under the
# plain provider id, which is what users filter by.
_PROVIDER_ALIASES = {"bedrock_converse": "bedrock"}
_CATEGORY_PREFIXES = ("vertex_ai-", "fireworks_ai-")


def normalize_provider(litellm_provider: str) -> str:
    """Map a ``litellm_provider`` value of the cost map to the provider id users route with."""
    for prefix in _CATEGORY_PREFIXES:
        if litellm_provider.startswith(prefix):
            return prefix[:-1]
    return _PROVIDER_ALIASES.get(litellm_provider, litellm_provider)


@functools.cache
def _entry_model() -> "type[BaseModel]":
    """The validator of one map entry, built on first use (pydantic stays off the lookup path)."""
    from pydantic import BaseModel, ConfigDict, field_validator

    class _Entry(BaseModel):
        """One value of LiteLLM's map: only the fields we use, every one optional and type-checked."""

        model_config = ConfigDict(extra="ignore", defer_build=True)

        litellm_provider: str
        mode: str | None = None
        max_input_tokens: int | None = None
        max_output_tokens: int | None = None
        input_cost_per_token: float | None = None
        output_cost_per_token: float | None = None
        cache_read_input_token_cost: float | None = None
        cache_creation_input_token_cost: float | None = None
        supported_modalities: list[str] | None = None
        supported_output_modalities: list[str] | None = None
        supports_function_calling: bool | None = None
        supports_response_schema: bool | None = None
        supports_vision: bool | None = None
        supports_reasoning: bool | None = None
        supports_prompt_caching: bool | None = None
        supports_audio_input: bool | None = None
        supports_pdf_input: bool | None = None
        deprecation_date: str | None = None

        @field_validator("max_input_tokens", "max_output_tokens", mode="before")
        @classmethod
        def _limit(cls, value: Any) -> Any:
            # The map has a few limits written as floats (128000.0) and, in old releases, as strings
            # of prose; 0 means "not filled in". Anything that is not a positive whole number is unknown.
            if isinstance(value, bool):
                raise ValueError("a limit is a number")
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, int):
                return value if value > 0 else None
            return None if value is None or isinstance(value, str) else value

    return _Entry


class LiteLLMMap(NamedTuple):
    """The records LiteLLM's map yields, and the map keys that name them."""

    records: list[ModelRecord]
    """One record per distinct model string."""
    aliases: dict[str, str] = {}  # noqa: RUF012 (never mutated: every map builds its own)
    """LiteLLM key -> record ``model``, for keys that differ from the record's key (``gpt-4o``)."""
    stamp: str = ""
    """Identifies this version of the map (litellm version + file stamp, or a digest of the dict)."""


_found_map: list[str] = []
"""The map's path once found: where a package is installed does not move while a process runs (its
file may change, which :func:`map_stamp` sees), and looking it up again costs a scan of sys.path."""


def bundled_map_path() -> "Path | None":
    """Locate the JSON map shipped inside the installed litellm without importing it."""
    from pathlib import Path

    found = bundled_map_file()
    return Path(found) if found is not None else None


def bundled_map_file() -> str | None:
    """:func:`bundled_map_path` as a plain string (a cold lookup's stamp needs no :mod:`pathlib`)."""
    if _found_map and os.path.isfile(_found_map[0]):
        return _found_map[0]
    _found_map.clear()
    path = _find_map()
    if path is not None:
        _found_map.append(path)
    return path


def _find_map() -> str | None:
    try:
        spec = importlib.util.find_spec("litellm")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = os.path.join(location, _MAP_FILE)
        if os.path.isfile(path):
            return path
    return None


def _imported_model_cost() -> Mapping[str, Any] | None:
    module = sys.modules.get("litellm")
    cost = getattr(module, "model_cost", None) if module is not None else None
    return cost if isinstance(cost, Mapping) and cost else None


READING = 11
"""How the catalog reads its inputs: raised when the records one map or one stored listing yields
change (a generation built by an older reading is then rebuilt, as for a new map)."""


def map_stamp() -> str:
    """A cheap identity of the map that :func:`load_litellm_map` would read now, and of how it is read.

    It names the installed genai-prices too, whose opinion is merged with the map's records.
    """
    from .genai_prices import genai_prices_version

    reading = f"r{READING}:gp{genai_prices_version() or '-'}"
    cost = _imported_model_cost()
    if cost is not None:
        return f"memory:{reading}:" + _digest(cost)
    path = bundled_map_file()
    if path is None:
        return "none"
    stat = os.stat(path)
    return f"file:{reading}:{path}:{stat.st_size}:{stat.st_mtime_ns}"


_digest_memo: tuple[int, int, str] | None = None


def _digest(cost: Mapping[str, Any]) -> str:
    # register_model mutates the dict in place, so the digest covers the content, not the identity.
    # Hashing ~4,000 entries takes tens of milliseconds, so it is redone only when the dict object
    # or its size changed; an in-place edit of an existing entry is picked up by
    # Catalog.refresh(["litellm"]), which always rehashes.
    global _digest_memo
    if _digest_memo is not None and _digest_memo[:2] == (id(cost), len(cost)):
        return _digest_memo[2]
    blob = json.dumps(cost, sort_keys=True, default=str).encode()
    digest = sha256_hex(blob)[:16]
    _digest_memo = (id(cost), len(cost), digest)
    return digest


def forget_digest() -> None:
    """Make the next stamp rehash ``litellm.model_cost`` (after an in-place ``register_model``)."""
    global _digest_memo
    _digest_memo = None


def load_litellm_map(*, reuse: bool = True) -> LiteLLMMap:
    """Read LiteLLM's map (in-memory if litellm is imported, else the bundled file) as records.

    With ``reuse`` (the default) a process parses each version of the map once. A missing or
    unreadable map yields no records and one warning, never an exception.
    """
    global _last_loaded
    stamp = map_stamp()
    if reuse and _last_loaded is not None and _last_loaded.stamp == stamp and stamp != "none":
        return _last_loaded  # records are immutable: one parse per map version per process
    _last_loaded = _load(stamp)
    return _last_loaded


_last_loaded: LiteLLMMap | None = None


def _raw_map() -> Mapping[str, Any] | None:
    """The map itself (``litellm.model_cost`` when imported, else the bundled file), or None with a warning."""
    cost = _imported_model_cost()
    if cost is not None:
        return cost
    path = bundled_map_path()
    if path is None:
        _log.warning("litellm is not installed: no bundled model data")
        return None
    try:
        raw = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        _log.warning("cannot read LiteLLM's bundled map at %s: %s", path, exc)
        return None
    if not isinstance(raw, dict):
        _log.warning("LiteLLM's bundled map at %s is not a JSON object", path)
        return None
    return raw


def _load(stamp: str) -> LiteLLMMap:
    raw = _raw_map()
    return LiteLLMMap(records=[], stamp="none") if raw is None else to_records(raw, stamp=stamp)


_UPLIFTS = re.compile(
    r"^(regional_processing_uplift_multiplier_[a-z]+|regional_endpoint_uplift_multiplier|fedramp_uplift_multiplier)$"
)


@functools.lru_cache(maxsize=2)
def _uplifts(stamp: str) -> dict[str, dict[str, float]]:
    raw = _raw_map() or {}
    aliases = load_litellm_map().aliases
    out: dict[str, dict[str, float]] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            continue
        found = {
            name: float(value)
            for name, value in entry.items()
            if _UPLIFTS.match(name) and _number(value) and 1 <= value <= 10
        }
        if found:
            out[aliases.get(key, key)] = found
    return out


def region_uplift(model: str, region: str) -> float | None:
    """The multiplier LiteLLM's map states for serving ``model`` in ``region``, or None.

    ``eu`` / ``us``: OpenAI's data-residency uplift (``regional_processing_uplift_multiplier_<r>``);
    ``fedramp``: its FedRAMP endpoint's; any other name is a regional endpoint (a Vertex location
    such as ``us-central1``: ``regional_endpoint_uplift_multiplier``).
    """
    stated = _uplifts(map_stamp()).get(model, {})
    name = region.strip().lower()
    if name in ("eu", "us") or f"regional_processing_uplift_multiplier_{name}" in stated:
        return stated.get(f"regional_processing_uplift_multiplier_{name}")
    if name == "fedramp":
        return stated.get("fedramp_uplift_multiplier")
    return stated.get("regional_endpoint_uplift_multiplier")


def successors() -> dict[str, str]:
    """Record ``model`` -> the model LiteLLM's map names as its successor (``successor_model``).

    Read on demand (``check`` asks once per run): the map's lifecycle fields are not part of a
    record. A successor named by a map key is given as that key's record string.
    """
    raw = _raw_map() or {}
    loaded = load_litellm_map()
    out: dict[str, str] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            continue
        successor = entry.get("successor_model")
        if not isinstance(successor, str) or not successor.strip():
            continue
        successor = successor.strip()
        out[loaded.aliases.get(key, key)] = loaded.aliases.get(successor, successor)
    return out


def _entry_values(entry: Any) -> dict[str, Any]:
    # max_tokens is LiteLLM's legacy field and means the output limit for some entries and the
    # context window for others, so it is not read: unknown beats a wrong guess.
    values: dict[str, Any] = {name: getattr(entry, name) for name in LITELLM_FIELDS}
    values["input_modalities"] = entry.supported_modalities
    values["output_modalities"] = entry.supported_output_modalities
    return {k: v for k, v in values.items() if v is not None}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _tier_label(threshold: float) -> str:
    """``256000`` -> ``256k``: how LiteLLM's names spell a context threshold."""
    return f"{threshold / 1000:g}k"


def entry_prices(entry: Mapping[str, Any], values: dict[str, Any]) -> dict[str, float]:
    """Every rate of a map entry besides the four base fields, in LiteLLM's names.

    Flat keys are taken as they are (``input_cost_per_token_above_200k_tokens``,
    ``output_cost_per_token_flex``, ``cache_creation_input_token_cost_above_1hr`` ...). A
    ``tiered_pricing`` list (``range: [256000, 1000000]`` with its rates) is spelled the same way
    (``input_cost_per_token_above_256k_tokens``); its first range fills base rates the entry does
    not state. Values that are not numbers (per-size tables) are left out.
    """
    prices = {k: float(v) for k, v in entry.items() if "cost" in k and k not in PRICE_FIELDS and _number(v) and v >= 0}
    tiers = entry.get("tiered_pricing")
    for tier in tiers if isinstance(tiers, list) else ():
        span = tier.get("range") if isinstance(tier, dict) else None
        if not (isinstance(span, list) and span and _number(span[0]) and span[0] >= 0):
            continue
        for name, rate in tier.items():
            if name == "range" or "cost" not in name or not _number(rate) or rate < 0:
                continue
            if span[0] == 0:
                if name in PRICE_FIELDS:
                    values.setdefault(name, float(rate))
                else:
                    prices.setdefault(name, float(rate))
            else:
                prices.setdefault(f"{name}_above_{_tier_label(span[0])}_tokens", float(rate))
    return prices


def to_records(cost: Mapping[str, Any], *, stamp: str = "") -> LiteLLMMap:
    """Turn a LiteLLM ``model_cost``-shaped mapping into records and key aliases.

    Malformed entries (not an object, no provider, a wrong type) are skipped with one debug line.
    """
    records: dict[str, ModelRecord] = {}
    exact: set[str] = set()
    aliases: dict[str, str] = {}
    for key, value in cost.items():
        if key == "sample_spec" or not isinstance(key, str) or not key:
            continue
        try:
            entry: Any = _entry_model().model_validate(value)
        except ValueError as exc:  # pydantic's ValidationError
            errors = getattr(exc, "errors", None)
            _log.debug("skipping LiteLLM map entry %r: %s", key, errors()[0]["msg"] if errors else exc)
            continue
        provider = normalize_provider(entry.litellm_provider)
        model_id = key
        for prefix in (provider, entry.litellm_provider):
            if key.startswith(prefix + "/"):
                model_id = key[len(prefix) + 1 :]
                break
        model = f"{provider}/{model_id}"
        if key != model:
            aliases[key] = model
        if model in records and (model in exact or key != model):
            # Two keys name one model string (a bare key and a prefixed key); the prefixed key is
            # the one litellm.completion reads for that string, so it wins.
            continue
        values = _entry_values(entry)
        prices = entry_prices(value, values)
        if provider == "ollama" and _ollama_cloud(model_id):
            # ollama.com runs "-cloud" models on its metered plans; the map's 0 is the local-model
            # default, not ollama.com's price, which no source states: unknown, not free.
            values = {k: v for k, v in values.items() if k not in PRICE_FIELDS}
            prices = {}
        records[model] = ModelRecord(
            model=model,
            provider=provider,
            model_id=model_id,
            sources=[NAME],
            provenance=dict.fromkeys([*values, *prices], NAME),
            prices=prices or None,
            **values,
        )
        if key == model:
            exact.add(model)
    return LiteLLMMap(records=list(records.values()), aliases=aliases, stamp=stamp)


def _ollama_cloud(model_id: str) -> bool:
    """An Ollama tag served by ollama.com (``gpt-oss:120b-cloud``, ``kimi-k2:1t-cloud``, ``x:cloud``)."""
    return model_id.endswith("-cloud") or model_id.endswith(":cloud")


def stated_modes(loaded: LiteLLMMap) -> dict[str, str]:
    """Bare LiteLLM keys (``davinci-002``) -> the mode the map states for them."""
    modes = {r.model: r.mode for r in loaded.records if r.mode is not None}
    return {key: modes[target] for key, target in loaded.aliases.items() if "/" not in key and target in modes}
