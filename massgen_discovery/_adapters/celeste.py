"""Fill celeste's model registry from the catalog: HF routes, Ollama tags, every provider celeste knows.

celeste (celeste-ai 1.0.0) validates a call's parameters against the registered model's
``parameter_constraints``; a model it does not know is called with validation off. It ships no
Ollama model and one HuggingFace model, so ``register_with_celeste()`` registers what the catalog
lists, with the constraints the catalog can back and only those:

- tools: ``ToolSupport`` where the model is known to call tools; custom tools refused
  (``custom_tools=False``) where the route is known not to; no constraint where nobody says;
- structured output: ``Schema`` where the model is known to support it;
- media inputs: image, video, audio and document constraints from the input modalities and the
  vision, audio and PDF flags (celeste refuses a medium no constraint declares, registered or not);
- ``max_tokens``: a ``Range`` up to the known output limit (else the context window);
- ``thinking_budget`` for reasoning models where celeste's client maps it and the provider
  documents its bounds (Anthropic: 1,024 tokens up to the output limit);
- ``temperature``: the range the provider documents, where it does.

HuggingFace models are registered as ``org/model`` (the router's own choice) and every live route
as ``org/model:provider`` (the suffix the router understands); Ollama models by their tag. Models
celeste ships keep their names and constraints; registering never raises, and a second call (after
a refresh, from any thread) replaces what the previous one registered. ``import massgen_discovery``
never imports celeste.
"""

from __future__ import annotations

import _thread
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .._domain.log import get_logger

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..records import ModelRecord

__all__ = ["CELESTE_PROVIDERS", "celeste_models", "register_with_celeste"]

_log = get_logger(__name__)

CELESTE_PROVIDERS: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "xai",
    "moonshot": "moonshot",
    "openrouter": "openrouter",
    "cohere": "cohere",
    "huggingface": "huggingface",
    "ollama": "ollama",
}
"""LiteLLM provider id (the catalog's) -> celeste's ``Provider`` value."""

_TEMPERATURE: dict[str, tuple[float, float]] = {
    # The sampling temperature each provider's API reference documents.
    "openai": (0.0, 2.0),
    "anthropic": (0.0, 1.0),
    "gemini": (0.0, 2.0),
    "mistral": (0.0, 1.5),
    "groq": (0.0, 2.0),
    "deepseek": (0.0, 2.0),
    "xai": (0.0, 2.0),
    "moonshot": (0.0, 1.0),
    "openrouter": (0.0, 2.0),
    "cohere": (0.0, 1.0),
    "huggingface": (0.0, 2.0),
}
_THINKING_BUDGET_MIN = {"anthropic": 1024}
"""Providers whose celeste client maps ``thinking_budget`` and whose docs bound it (minimum tokens)."""
_TEXT_MODES = (None, "chat", "responses", "completion")
_LIVE_ONLY = {"huggingface": "huggingface", "ollama": "ollama"}
"""Providers registered from their live listing only (provider -> the source that must list it)."""

_mutex = _thread.allocate_lock()
_ours: set[tuple[str, str]] = set()
"""(id, provider) keys this module registered: replaced on the next call, never celeste's own."""


_CALLABLE_ID = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._+@-]*(?:/[A-Za-z0-9][A-Za-z0-9._+@-]*)*(?::[A-Za-z0-9][A-Za-z0-9._+@-]*){0,2}"
)
"""An id a provider's API takes: path segments of letters, digits and ``._+@-`` (none empty, none
``.`` or ``..``), then at most two ``:`` suffixes (an Ollama tag, a router's provider)."""

MAX_CELESTE_ID = 256


def _callable(model_id: str) -> bool:
    """Whether celeste can send ``model_id`` as is (no spaces, control characters, ``../`` or ``::`` chains)."""
    return len(model_id) <= MAX_CELESTE_ID and _CALLABLE_ID.fullmatch(model_id) is not None


def _celeste_id(record: ModelRecord) -> str | None:
    """The id celeste's client sends for ``record`` (None when it is not a model to register)."""
    if not _callable(record.model_id):
        return None  # a hostile or broken listing's id: never registered
    if record.mode not in _TEXT_MODES:
        return None
    if record.provider in _LIVE_ONLY and _LIVE_ONLY[record.provider] not in record.sources:
        return None  # LiteLLM's map names models no router lists and no Ollama server has installed
    if record.provider == "huggingface":
        if record.served_by is None:
            return record.model_id
        if record.status not in (None, "live"):
            return None  # a staging or failing route is not one to call
        routed = f"{record.model_id}:{record.served_by}"
        return routed if _callable(routed) else None
    return record.model_id


def _constraints(record: ModelRecord) -> dict[str, Any]:
    from celeste.constraints import (
        AudiosConstraint,
        DocumentsConstraint,
        ImagesConstraint,
        Range,
        Schema,
        ToolSupport,
        VideosConstraint,
    )
    from celeste.core import Parameter
    from celeste.modalities.text.parameters import TextParameter

    out: dict[str, Any] = {}
    if record.supports_function_calling is True:
        out[TextParameter.TOOLS] = ToolSupport(tools=[])
    elif record.supports_function_calling is False:
        out[TextParameter.TOOLS] = ToolSupport(tools=[], custom_tools=False)
    if record.supports_response_schema is True:
        out[TextParameter.OUTPUT_SCHEMA] = Schema()
    inputs = set(record.input_modalities or ())
    media = (
        (TextParameter.IMAGE, ImagesConstraint, "image" in inputs or record.supports_vision is True),
        (TextParameter.VIDEO, VideosConstraint, "video" in inputs),
        (TextParameter.AUDIO, AudiosConstraint, "audio" in inputs or record.supports_audio_input is True),
        (TextParameter.DOCUMENT, DocumentsConstraint, "pdf" in inputs or record.supports_pdf_input is True),
    )
    for name, constraint, known in media:
        if known:
            out[name] = constraint()
    limit = record.max_output_tokens or record.max_input_tokens
    if limit:
        out[Parameter.MAX_TOKENS] = Range(min=1, max=limit)
    floor = _THINKING_BUDGET_MIN.get(record.provider)
    if record.supports_reasoning is True and floor is not None and limit and limit > floor:
        out[TextParameter.THINKING_BUDGET] = Range(min=floor, max=limit)
    if record.provider in _TEMPERATURE:
        low, high = _TEMPERATURE[record.provider]
        out[Parameter.TEMPERATURE] = Range(min=low, max=high)
    return out


def celeste_models(records: Iterable[ModelRecord]) -> list[Any]:
    """The celeste ``Model`` of each record celeste can call (text generation), one per id."""
    from celeste.core import Modality, Operation, Provider
    from celeste.models import Model

    out: dict[tuple[str, str], Any] = {}
    for record in records:
        provider = CELESTE_PROVIDERS.get(record.provider)
        model_id = _celeste_id(record)
        if provider is None or model_id is None or (model_id, provider) in out:
            continue
        shown = (
            model_id
            if record.served_by is None or record.provider != "huggingface"
            else (f"{record.model_id} via {record.served_by}")
        )
        out[(model_id, provider)] = Model(
            id=model_id,
            provider=Provider(provider),
            display_name=shown,
            operations={Modality.TEXT: {Operation.GENERATE}},
            parameter_constraints=_constraints(record),
            streaming=True,
        )
    return list(out.values())


def register_with_celeste(catalog: Catalog | None = None, *, providers: Sequence[str] | None = None) -> int:
    """Register the catalog's models in celeste's registry; return how many were registered.

    ``providers`` limits it to those LiteLLM provider ids (default: every provider celeste knows).
    What the cache holds is registered (offline, an empty cache or a provider that is down
    register what there is); it never raises for a source's failure. Models celeste ships keep
    theirs; a model this function registered before is replaced with the latest data.
    """
    try:
        from celeste.core import Modality, Operation
        from celeste.models import get_model, register_models
    except ImportError:
        raise ImportError(
            "register_with_celeste() needs celeste-ai (Python 3.12 or later): pip install celeste-ai"
        ) from None

    from .. import default_catalog

    cat = catalog if catalog is not None else default_catalog()
    wanted = set(providers) if providers is not None else set(CELESTE_PROVIDERS)
    try:
        # Asked by provider: a provider whose live listing was never fetched is waited for (once).
        records = cat.find_models(providers=sorted(wanted))
    except Exception as exc:  # discovery must never break the caller's startup
        _log.warning("celeste registration skipped: the catalog could not be read (%s)", exc)
        return 0
    count = 0
    with _mutex:
        for model in celeste_models(records):
            key = (model.id, str(model.provider))
            existing = get_model(model.id, model.provider)
            if existing is not None and key not in _ours:
                continue  # celeste's own model: its name and constraints win
            if existing is not None:
                existing.parameter_constraints.clear()  # ours from last time: the latest data replaces it
            try:
                register_models(model, modality=Modality.TEXT, operation=Operation.GENERATE)
            except ValueError as exc:  # a name clash celeste refuses: keep what it has
                _log.debug("celeste kept its entry for %s: %s", model.id, exc)
                continue
            _ours.add(key)
            count += 1
    return count
