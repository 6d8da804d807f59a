"""Use the catalog from LiteLLM: register models, price responses, build Router deployments.

``register_with_litellm`` pushes what the catalog knows and LiteLLM lacks (Ollama models, live-only
models, OpenRouter, named endpoints) into ``litellm.model_cost``; afterwards
``litellm.get_model_info("ollama/<tag>")`` answers with the real context window, and
``litellm.cost_per_token`` / ``litellm.completion_cost`` price those models.

HuggingFace routes need more. LiteLLM's ``get_model_info`` for ``huggingface/*`` never reads the
map (it returns cost 0 and asks huggingface.co for a config.json), and the cost LiteLLM attaches to
a response is 0.0 even with ``input_cost_per_token`` passed to ``litellm.completion`` (on 1.82.6,
``litellm.completion_cost`` on such a response raises instead). Only
``litellm.completion_cost(..., custom_cost_per_token=...)`` prices them, so use
:func:`litellm_cost_kwargs` for that dict, or :func:`completion_cost`, which prices any response
or usage with the catalog's data and defers to LiteLLM's own figure where we know nothing better.

litellm is imported by these functions, never by ``import massgen_discovery``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .._domain.identifiers import endpoint_key_var
from ..sources import BUNDLED

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..records import ModelRecord

__all__ = [
    "completion_cost",
    "completion_kwargs",
    "litellm_cost_kwargs",
    "register_with_litellm",
    "router_model_list",
    "to_litellm_model_info",
]

_log = logging.getLogger(__name__)


def _catalog(catalog: Catalog | None) -> Catalog:
    if catalog is not None:
        return catalog
    from .. import default_catalog

    return default_catalog()


def to_litellm_model_info(record: ModelRecord) -> dict[str, Any]:
    """The record as a ``litellm.model_cost`` entry: LiteLLM's field names, known values only.

    A named OpenAI-compatible endpoint's records are declared ``litellm_provider: "openai"``, the
    protocol LiteLLM speaks to them.
    """
    from ..providers import PROVIDERS
    from ..records import LITELLM_FIELDS

    info: dict[str, Any] = {name: getattr(record, name) for name in LITELLM_FIELDS if getattr(record, name) is not None}
    info.update(record.prices or {})  # context and service tiers, 1-hour cache writes ...: LiteLLM's names already
    endpoint = record.api_base is not None and record.provider not in PROVIDERS
    info["litellm_provider"] = "openai" if endpoint else record.provider
    if record.input_modalities is not None:
        info["supported_modalities"] = list(record.input_modalities)
    if record.output_modalities is not None:
        info["supported_output_modalities"] = list(record.output_modalities)
    if "max_output_tokens" in info or "max_input_tokens" in info:
        # LiteLLM's legacy max_tokens: the output limit when there is one.
        info["max_tokens"] = info.get("max_output_tokens", info.get("max_input_tokens"))
    return info


def _record_kwargs(record: ModelRecord) -> dict[str, Any]:
    """:func:`completion_kwargs` for a record already looked up."""
    from ..providers import PROVIDERS

    if record.provider == "ollama" and record.api_base is not None:
        # LiteLLM's ollama_chat speaks /api/chat (tools, images); the record key stays ollama/.
        prefix = "ollama_chat" if record.mode in ("chat", None) else "ollama"
        return {"model": f"{prefix}/{record.model_id}", "api_base": record.api_base}
    if record.api_base is not None and record.provider not in PROVIDERS:
        # A named OpenAI-compatible endpoint: LiteLLM's openai protocol at its base URL, with its own
        # key. Never let LiteLLM fall back to OPENAI_API_KEY and send the user's OpenAI key there.
        return {
            "model": f"openai/{record.model_id}",
            "api_base": record.api_base,
            "api_key": os.environ.get(endpoint_key_var(record.provider)) or "EMPTY",
        }
    kwargs: dict[str, Any] = {"model": record.model}
    if record.api_base is not None:
        kwargs["api_base"] = record.api_base
    return kwargs


def completion_kwargs(model: str, catalog: Catalog | None = None) -> dict[str, Any]:
    """The keyword arguments that make ``litellm.completion(**kwargs, messages=...)`` reach ``model``.

    ``model`` is any lookup string (a record key, a LiteLLM key, a MassGen prefix). Hosted and
    HuggingFace records route by their key (LiteLLM reads the provider's key from its usual
    variable); Ollama records become ``ollama_chat/<tag>`` with the server's ``api_base``; named
    endpoints become ``openai/<id>`` with ``api_base`` and ``MASSGEN_DISCOVERY_<NAME>_API_KEY``
    (``"EMPTY"`` when unset, so LiteLLM never sends ``OPENAI_API_KEY`` elsewhere). A model the
    catalog does not know gives ``{"model": model}``: LiteLLM then routes it by its own rules, so
    ``litellm.completion(**completion_kwargs(name), ...)`` never fails before LiteLLM would.
    """
    record = _catalog(catalog).get_model(model)
    return {"model": model} if record is None else _record_kwargs(record)


def _lacking(record: ModelRecord, known: Mapping[str, Any]) -> bool:
    """Whether LiteLLM lacks the record or knows less than the catalog about it."""
    entry = known.get(record.model)
    if not isinstance(entry, Mapping):
        return True
    ours = to_litellm_model_info(record)
    return any(entry.get(k) != v for k, v in ours.items() if k != "litellm_provider")


def register_with_litellm(catalog: Catalog | None = None, *, providers: Sequence[str] | None = None) -> int:
    """Push records LiteLLM lacks or knows less about into ``litellm.model_cost``; return how many.

    Records built from LiteLLM's map alone are skipped (LiteLLM has them). Unknown values are
    left out, so they never overwrite what LiteLLM knows. Ollama models are registered as both
    ``ollama/<tag>`` and ``ollama_chat/<tag>``, and the entries survive a cost-map reload (a
    LiteLLM proxy's ``/reload/model_cost_map`` or its scheduled reload).
    """
    import litellm

    wanted = set(providers) if providers is not None else None
    cat = _catalog(catalog)
    # Named providers are asked for as such: one whose live listing was never fetched is waited for.
    records = cat.list_models() if wanted is None else cat.find_models(providers=sorted(wanted))
    entries: dict[str, dict[str, Any]] = {}
    for record in records:
        if wanted is not None and record.provider not in wanted:
            continue
        if record.sources == [BUNDLED]:
            continue
        if _lacking(record, litellm.model_cost):
            entries[record.model] = to_litellm_model_info(record)
            if record.provider == "ollama":
                # LiteLLM reads ollama_chat/<tag> under its own key: register both spellings.
                entries[f"ollama_chat/{record.model_id}"] = {**entries[record.model], "litellm_provider": "ollama_chat"}
    if entries:
        with _quiet_register():
            litellm.register_model(entries)
        _keep_across_reloads(entries)
    return len(entries)


class _RegisterNoise(logging.Filter):
    """Drops LiteLLM's per-model ``register_model:`` warnings (one per entry: hundreds of lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("register_model:")


@contextlib.contextmanager
def _quiet_register() -> Iterator[None]:
    """LiteLLM's per-model ``register_model`` warnings, dropped while the catalog registers.

    LiteLLM 1.110 warns once per registered model that lacks a cache price in its own map (491
    lines for one catalog); the entries register all the same.
    """
    noise = _RegisterNoise()
    loggers = [logging.getLogger(name) for name in ("LiteLLM", "litellm")]
    for logger in loggers:
        logger.addFilter(noise)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(noise)


_kept: dict[str, dict[str, Any]] = {}


def _keep_across_reloads(entries: Mapping[str, dict[str, Any]]) -> None:
    """Re-apply registered entries to every cost map LiteLLM loads later.

    A LiteLLM proxy reloads its map with ``litellm.model_cost = get_model_cost_map(url)``; the
    loader is wrapped (once, where LiteLLM and its proxy look it up) so the new map carries the
    registered entries on top of whatever it brings.
    """
    import litellm
    import litellm.litellm_core_utils.get_model_cost_map as loader_module

    _kept.update({key: dict(value) for key, value in entries.items()})
    original = loader_module.get_model_cost_map
    if getattr(original, "_massgen_discovery", False):
        return

    def get_model_cost_map(*args: Any, **kwargs: Any) -> dict[str, Any]:
        fresh: dict[str, Any] = original(*args, **kwargs)
        for key, value in _kept.items():
            base = fresh.get(key)
            fresh[key] = {**base, **value} if isinstance(base, dict) else dict(value)
        return fresh

    get_model_cost_map._massgen_discovery = True  # type: ignore[attr-defined]
    get_model_cost_map.__doc__ = original.__doc__
    # setattr: the loader's signature differs between LiteLLM releases; the wrapper passes all through.
    setattr(loader_module, "get_model_cost_map", get_model_cost_map)  # noqa: B010
    if getattr(litellm, "get_model_cost_map", None) is original:
        setattr(litellm, "get_model_cost_map", get_model_cost_map)  # noqa: B010 - not re-exported in its stubs


def litellm_cost_kwargs(model: str, catalog: Catalog | None = None) -> dict[str, float] | None:
    """``custom_cost_per_token`` for ``litellm.completion_cost``: both prices, or None when unknown."""
    record = _catalog(catalog).get_model(model)
    if record is None or record.input_cost_per_token is None or record.output_cost_per_token is None:
        return None
    return {"input_cost_per_token": record.input_cost_per_token, "output_cost_per_token": record.output_cost_per_token}


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _usage_of(response: Any) -> Any:
    usage = _field(response, "usage")
    return usage if usage is not None else response


def _candidates(response: Any, model: str | None) -> Iterable[str]:
    if model:
        yield model
    hidden = getattr(response, "_hidden_params", None) or {}
    name = _field(response, "model")
    provider = hidden.get("custom_llm_provider") if isinstance(hidden, Mapping) else None
    if isinstance(name, str) and name:
        if isinstance(provider, str) and provider and not name.startswith(provider + "/"):
            yield f"{provider}/{name}"
        yield name


_SERVICE_TIERS = {"default": "standard", "auto": "standard", "standard": "standard", "scale": "standard",
                  "flex": "flex", "priority": "priority", "batch": "batch"}  # fmt: skip


def completion_cost(
    response: Any,
    model: str | None = None,
    catalog: Catalog | None = None,
    *,
    service_tier: str | None = None,
    at: datetime | None = None,
) -> float | None:
    """USD cost of a LiteLLM response (or a usage object / dict) priced with the catalog.

    Priced by the one price engine (:func:`massgen_discovery.pricing.price_call`): cache reads,
    5-minute and 1-hour cache writes, reasoning, audio, context tiers (the whole call at the tier
    its prompt passed) and the service tier (``service_tier``, else the response's own, else
    standard), at the rates in effect when the call was made (``at``, else the response's
    ``created`` time, else now: dated prices, time-of-day bands). ``model`` names the model when
    the response does not say it in full (LiteLLM strips the ``huggingface/`` prefix from
    ``response.model``). Where the catalog has no price for the model at all, LiteLLM's own
    ``completion_cost`` is returned; None when a rate the call needs is unknown, or neither can
    price it.
    """
    from .._domain.pricing import InvalidTokens, UnknownPrice, price_call
    from .._domain.usage import call_tokens

    usage = _usage_of(response)
    try:
        tokens = call_tokens(usage)
    except InvalidTokens as exc:  # garbage counts are unknown, never $0 (and never LiteLLM's guess)
        _log.warning("response not priced: %s", exc)
        return None
    cat = _catalog(catalog)
    record = None
    for candidate in _candidates(response, model):
        record = cat.get_model(candidate)
        if record is not None:
            break
    tier = service_tier or _SERVICE_TIERS.get(str(_field(response, "service_tier") or "standard"), "standard")
    if record is not None and (record.input_cost_per_token is not None or record.output_cost_per_token is not None):
        try:
            return price_call(record, tokens, service_tier=tier, at=at or _created(response)).total
        except UnknownPrice as exc:
            _log.debug("%s", exc)
            return None
    try:
        import litellm

        cost = litellm.completion_cost(completion_response=response, model=model)
    except Exception as exc:  # LiteLLM raises for models it cannot price; that is "unknown" here
        _log.debug("litellm could not price %s: %s", model or _field(response, "model"), exc)
        return None
    return float(cost) if isinstance(cost, (int, float)) else None


def _created(response: Any) -> datetime | None:
    """When the provider answered (a response's ``created``, Unix seconds), or None."""
    created = _field(response, "created")
    if isinstance(created, (int, float)) and not isinstance(created, bool) and 0 < created < 10**11:
        return datetime.fromtimestamp(created, tz=timezone.utc)
    return None


def _deployment_params(record: ModelRecord) -> dict[str, Any]:
    """``litellm_params`` for a Router deployment of ``record``.

    LiteLLM's cost path never reads per-deployment prices for ``huggingface/*`` models (it prices
    them at 0), so HF routes are deployed through the router's OpenAI-compatible API instead
    (``openai/<org>/<name>:<provider>`` at the router's base URL, ``HF_TOKEN`` read by LiteLLM
    from the environment), which LiteLLM prices from the deployment's own prices.
    """
    if record.provider != "huggingface":
        params = _record_kwargs(record)
        var = endpoint_key_var(record.provider)
        if params.get("api_key") not in (None, "EMPTY") and os.environ.get(var):
            params["api_key"] = f"os.environ/{var}"  # LiteLLM reads it at call time; the dict holds no secret
        return params
    from ..sources.huggingface import HuggingFaceSource

    route = record.model_id if record.served_by is None else f"{record.model_id}:{record.served_by}"
    names = HuggingFaceSource.env_vars
    var = next((v for v in names if os.environ.get(v)), names[0])
    # The source's own base URL: the configured one, with any credentials in it taken off.
    return {"model": f"openai/{route}", "api_base": HuggingFaceSource().base_url, "api_key": f"os.environ/{var}"}


def router_model_list(
    catalog: Catalog | None = None, *, model_name: str | None = None, **criteria: Any
) -> list[dict[str, Any]]:
    """LiteLLM Router deployments for every record matching ``find_models(**criteria)``, in order.

    Each deployment carries ``model_info`` with every rate the record states (context and service
    tiers, cache reads and writes, in LiteLLM's names, under the provider the deployment calls) and
    per-deployment prices, so the Router's cost tracking prices each response at the catalog's
    rates, as :func:`completion_cost` (the one price engine) does. ``model_name`` groups them under
    one public name (default: each record's own model string). Example, every live HF route of
    Kimi-K3 with tools and 128k context, cheapest first::

        router_model_list(model_name="kimi-k3", provider="huggingface", pinned=True,
                          query="/moonshotai/Kimi-K3", tools=True, min_context=128_000,
                          available=True, sort="price")
    """
    deployments = []
    for record in _catalog(catalog).find_models(**criteria):
        params = _deployment_params(record)
        if record.input_cost_per_token is not None:
            params["input_cost_per_token"] = record.input_cost_per_token
        if record.output_cost_per_token is not None:
            params["output_cost_per_token"] = record.output_cost_per_token
        info = to_litellm_model_info(record)
        # The Router registers the deployment's prices under its own id and looks them up with the
        # provider it calls (openai/ for an HF route): a model_info naming another provider is not
        # found, and newer LiteLLM releases then price the call at $0.
        info["litellm_provider"] = str(params["model"]).split("/", 1)[0]
        deployments.append({"model_name": model_name or record.model, "litellm_params": params, "model_info": info})
    return deployments
