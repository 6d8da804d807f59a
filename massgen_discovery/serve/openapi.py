"""The server's OpenAPI 3.1 description: every path, its parameters and its answers."""

from __future__ import annotations

from typing import Any

from .._domain.pricing import CACHE_TTLS, SERVICE_TIERS

__all__ = ["spec"]

_BOOL = {"type": "boolean"}
_STR = {"type": "string"}
_TOKENS = {"type": "string", "pattern": "^[0-9][0-9,_]*(\\.[0-9]+)?[kKmM]?$", "examples": ["128000", "128k"]}
_USD = {"type": "number", "minimum": 0}


def _param(
    name: str, schema: dict[str, Any], description: str, *, required: bool = False, many: bool = False
) -> dict[str, Any]:
    if many:
        schema = {"type": "array", "items": schema}
    out: dict[str, Any] = {"name": name, "in": "query", "schema": schema, "description": description}
    if required:
        out["required"] = True
    if many:
        out["explode"] = True
    return out


_LIST = [
    _param("provider", _STR, "LiteLLM provider id (repeatable).", many=True),
    *(
        _param(name, _BOOL, f"Only models that support {name.replace('_', ' ')}.")
        for name in ("tools", "vision", "structured_output", "reasoning", "prompt_caching", "pdf", "audio_input")
    ),
    _param("mode", _STR, "chat (default: chat, responses and completion), all, or one LiteLLM mode."),
    _param("min_context", _TOKENS, "Smallest context window."),
    _param("max_input_cost", _USD, "Highest input price, USD per 1M tokens."),
    _param("max_output_cost", _USD, "Highest output price, USD per 1M tokens."),
    _param("available", _BOOL, "Only models a live source listed at its last refresh."),
    _param("include_unknown", _BOOL, "Let unknown values pass the filters."),
    _param("sort", {"type": "string", "enum": ["price", "context", "name", "newest"]}, "Order (default name)."),
    _param("q", _STR, "Substring of the model string (repeatable, all must match).", many=True),
    _param("limit", {"type": "integer", "minimum": 1}, "At most this many models."),
    _param("offset", {"type": "integer", "minimum": 0}, "Skip this many models first."),
]
_COST = [
    _param("model", _STR, "Any lookup string.", required=True),
    _param("input", _TOKENS, "Prompt tokens at the input rate.", required=True),
    *(
        _param(name, _TOKENS, f"{name.replace('_', ' ').capitalize()} tokens.")
        for name in ("output", "cached", "cache_write", "reasoning", "audio_input", "audio_output")
    ),
    _param("cache_ttl", {"type": "string", "enum": list(CACHE_TTLS)}, "How long cache writes are kept."),
    _param("service_tier", {"type": "string", "enum": list(SERVICE_TIERS)}, "Service tier."),
    _param("at", {"type": "string", "format": "date-time"}, "Price at the rates in effect then (default now)."),
    _param("region", {"type": "string"}, "Where the call is served (eu, us, fedramp, a Vertex location)."),
]
_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"message": _STR, "param": _STR, "suggestions": {"type": "array", "items": _STR}},
            "required": ["message"],
        }
    },
}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema or {"type": "object"}}}}


def _get(summary: str, params: list[dict[str, Any]] | None = None, **responses: dict[str, Any]) -> dict[str, Any]:
    answers = {
        "200": _json("OK"),
        "304": {"description": "Not modified (If-None-Match)"},
        "400": _json("Bad parameter", _ERROR),
    }
    answers.update(responses)
    return {"get": {"summary": summary, "parameters": params or [], "responses": answers}}


_MODEL = [
    {
        "name": "model",
        "in": "path",
        "required": True,
        "schema": _STR,
        "description": "A model string; may hold slashes.",
    }
]
_HTML = {"description": "HTML", "content": {"text/html": {"schema": _STR}}}


def spec() -> dict[str, Any]:
    """The OpenAPI document of every path the server answers."""
    from .. import __version__

    # Long on purpose: the document itself, one literal, reads as the API it describes.
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "massgen-discovery",
            "version": __version__,
            "description": "Which LLMs exist, where they are served, what they can do and what they cost.",
        },
        "paths": {
            "/v1/models": _get("Models matching a filter, as list --json (plus OpenAI's id, object, owned_by).", _LIST),
            "/v1/models/{model}": _get("One model, as show --json.", _MODEL, **{"404": _json("Unknown model", _ERROR)}),
            "/v1/cost": _get(
                "The price of one call, as cost --json.",
                _COST,
                **{"404": _json("Unknown model", _ERROR), "422": _json("A rate no source states", _ERROR)},
            ),
            "/v1/changes": _get(
                "Changes between generations, newest first.",
                [
                    _param("since", _STR, "Only changes at or after this date (ISO)."),
                    _param("last", {"type": "integer", "minimum": 1}, "Only the newest N generations."),
                    _param("provider", _STR, "Only this provider's models."),
                ],
            ),
            "/v1/audit": _get(
                "Disagreements between sources.",
                [_param("provider", _STR, "Only this provider's models."), _param("field", _STR, "Only this field.")],
            ),
            "/v1/providers": _get("Per provider: how it is listed, its last refresh and error."),
            "/v1/refresh": {
                "post": {
                    "summary": "Refresh sources now (needs Authorization: Bearer MASSGEN_DISCOVERY_SERVE_TOKEN).",
                    "parameters": [
                        _param("source", _STR, "A source to refresh (repeatable; default all).", many=True),
                        _param("force", _BOOL, "Accept a listing the guard rails find suspect."),
                    ],
                    "security": [{"bearer": []}],
                    "responses": {
                        "200": _json("What each source did"),
                        "401": _json("Wrong or missing token", _ERROR),
                        "403": _json("No token set on the server", _ERROR),
                    },
                }
            },
            "/health": _get("Liveness and the generation served."),
            "/openapi.json": _get("This document."),
            "/litellm/model_prices_and_context_window.json": _get("LiteLLM's map shape (LITELLM_MODEL_COST_MAP_URL)."),
            "/models.dev/api.json": _get("models.dev's api.json shape."),
            "/openrouter/api/v1/models": _get("OpenRouter's /models shape."),
            "/": _get("The model table (HTML); filters take the /v1/models parameters.", _LIST, **{"200": _HTML}),
            "/models/{model}": _get("One model (HTML) with a cost calculator.", _MODEL, **{"200": _HTML}),
            "/compare": _get(
                "Models side by side (HTML).",
                [_param("models", _STR, "Comma-separated model strings.")],
                **{"200": _HTML},
            ),
            "/changes.atom": _get(
                "An Atom feed of model changes.",
                [_param("provider", _STR, "Only this provider.")],
                **{"200": {"description": "Atom", "content": {"application/atom+xml": {"schema": _STR}}}},
            ),
        },
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
