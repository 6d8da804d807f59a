"""The ASGI app: the catalog's API, its mirrors, its pages and its feed, over one catalog and store.

Every answer is what the CLI's ``--json`` says for the same question (both call
:mod:`massgen_discovery.answers`); it is rendered once per generation of the catalog, tagged with a
digest of its bytes, compressed on request and answered ``304`` when the client has it. Lookups run
on worker threads, so a slow store read never stalls the event loop.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..answers import CostUnknown, ListQuestion, cost_answer, providers_answer, shown_name, slice_records, suggest
from ..errors import ConfigError
from . import mirrors, pages
from .params import BadParameter, cost_question, list_question, page_window, text
from .rendered import Answer, AnswerCache, json_bytes, respond

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..records import ModelRecord

__all__ = ["TOKEN_VAR", "create_app"]

TOKEN_VAR = "MASSGEN_DISCOVERY_SERVE_TOKEN"
"""The bearer token ``POST /v1/refresh`` needs; with none set, the endpoint is refused."""

FOLLOW_SECONDS = 0.5
"""How often a server on a Redis-shared store asks the fleet for a newer generation (one GET)."""

PAGE_SIZE = 100
"""Rows per page of the model table."""

_LIST_PARAMS = frozenset(
    {"provider", "tools", "vision", "structured_output", "reasoning", "prompt_caching", "pdf", "audio_input",
     "mode", "min_context", "max_input_cost", "max_output_cost", "available", "include_unknown", "sort", "q",
     "limit", "offset"}
)  # fmt: skip
_COST_PARAMS = frozenset(
    {"model", "input", "output", "cached", "cache_write", "cache_ttl", "reasoning", "audio_input", "audio_output",
     "service_tier", "at", "region"}
)  # fmt: skip
_NO_STORE = "no-store"


def _error(status: int, message: str, **extra: Any) -> Answer:
    body = {"error": {"message": message, "type": "invalid_request_error" if status < 500 else "server_error", **extra}}
    return Answer(json_bytes(body), status=status, cache_control=_NO_STORE)


def _only(request: Request, allowed: frozenset[str]) -> None:
    """Refuse a parameter the endpoint does not take (a typo would silently widen the answer)."""
    for name in request.query_params:
        if name not in allowed and not name.startswith("_"):
            raise BadParameter(name, "not a parameter of this endpoint (allowed: " + ", ".join(sorted(allowed)) + ")")


def _plain(record: ModelRecord) -> dict[str, Any]:
    """The record's JSON data (as ``show --json``) with its maps in name order.

    A record built in this process and the same record read back from the store can list
    ``provenance`` and ``prices`` in another order; sorted, every server on one store sends the
    same bytes for the same generation, so their ``ETag`` agree.
    """
    out = record.plain()
    for name in ("provenance", "prices"):
        value = out.get(name)
        if value:
            out[name] = dict(sorted(value.items()))
    return out


def _api_item(record: ModelRecord) -> dict[str, Any]:
    """A record as ``/v1/models`` lists it: OpenAI's ``id``, ``object``, ``owned_by``, then the record."""
    return {"id": record.model, "object": "model", "owned_by": record.provider, **_plain(record)}


class _Server:
    """The app's handlers over one catalog."""

    def __init__(self, catalog: Catalog, token: str | None) -> None:
        self.catalog = catalog
        self.token = token
        self.cache = AnswerCache()

    # -- plumbing --------------------------------------------------------------------------------

    async def _answer(self, request: Request, render: Callable[[], Answer], *, cached: bool = True) -> Response:
        """Render (or reuse) an answer on a worker thread; bad parameters are 400, never 500."""

        def work() -> Answer:
            try:
                if not cached:
                    return render()
                key = (request.url.path, str(request.query_params))
                return self.cache.get(self.catalog.generation(follow_fleet=FOLLOW_SECONDS), key, render)
            except BadParameter as exc:
                return _error(400, str(exc), param=exc.param)
            except ConfigError as exc:
                return _error(400, str(exc))

        return respond(request, await run_in_threadpool(work))

    def _page(self, request: Request, default_limit: int | None) -> tuple[ListQuestion, list[ModelRecord], int]:
        """The ``list`` filter in the query, the window of matching records it asks for, and the total."""
        _only(request, _LIST_PARAMS)
        question = list_question(request.query_params)
        offset, limit = page_window(request.query_params, default_limit)
        matched = self.catalog.find_models(**question.criteria())
        return question, list(slice_records(matched, offset, limit)), len(matched)

    # -- the API ---------------------------------------------------------------------------------

    async def models(self, request: Request) -> Response:
        def render() -> Answer:
            _question, records, total = self._page(request, None)
            return Answer(json_bytes({"object": "list", "data": [_api_item(r) for r in records], "total": total}))

        return await self._answer(request, render)

    def _unknown(self, model: str) -> Answer:
        message, suggestions = self._why_unknown(model)
        return _error(404, message, suggestions=suggestions)

    def _why_unknown(self, model: str) -> tuple[str, list[str]]:
        """Why ``model`` is unknown (naming a source that serves that prefix and failed) and close matches."""
        message = f"unknown model {shown_name(model)!r}"
        prefix = model.split("/", 1)[0]
        for status in self.catalog.status():
            if status.live and status.source == prefix and not status.count:
                why = status.error or "not fetched yet"
                message += f"; {status.source}: {why}"
        return message, suggest(self.catalog, model)

    async def model(self, request: Request) -> Response:
        model = request.path_params["model"]

        def render() -> Answer:
            _only(request, frozenset())
            record = self.catalog.get_model(model)
            if record is None:
                return self._unknown(model)
            return Answer(json_bytes(_plain(record)))

        return await self._answer(request, render)

    async def cost(self, request: Request) -> Response:
        def render() -> Answer:
            _only(request, _COST_PARAMS)
            model = text(request.query_params, "model", required=True)
            assert model is not None
            question = cost_question(request.query_params)
            record = self.catalog.get_model(model)
            if record is None:
                return self._unknown(model)
            try:
                return Answer(json_bytes(cost_answer(record, question)))
            except CostUnknown as exc:
                return _error(422, f"{exc}; no cost given", param="model")

        return await self._answer(request, render)

    async def changes(self, request: Request) -> Response:
        def render() -> Answer:
            _only(request, frozenset({"since", "last", "provider"}))
            since = text(request.query_params, "since")
            provider = text(request.query_params, "provider")
            last_text = text(request.query_params, "last")
            last = None
            if last_text is not None:
                if not last_text.isdigit() or int(last_text) < 1:
                    raise BadParameter("last", f"{last_text[:40]!r} is not a whole number of 1 or more")
                last = int(last_text)
            try:
                found = self.catalog.changes(since=since, last=last, provider=provider)
            except (ValueError, ConfigError) as exc:
                raise BadParameter("since", str(exc)) from None
            return Answer(json_bytes([c.model_dump(mode="json") for c in found]))

        return await self._answer(request, render)

    async def audit(self, request: Request) -> Response:
        def render() -> Answer:
            _only(request, frozenset({"provider", "field"}))
            found = self.catalog.audit(
                provider=text(request.query_params, "provider"), field=text(request.query_params, "field")
            )
            return Answer(json_bytes([d.model_dump(mode="json") for d in found]))

        return await self._answer(request, render)

    async def providers(self, request: Request) -> Response:
        def render() -> Answer:
            _only(request, frozenset())
            return Answer(json_bytes(providers_answer(self.catalog)), cache_control="public, max-age=10")

        return await self._answer(request, render, cached=False)

    async def health(self, request: Request) -> Response:
        def render() -> Answer:
            statuses = self.catalog.status()
            body = {
                "status": "ok",
                "generation": self.catalog.generation(follow_fleet=FOLLOW_SECONDS),
                "sources": {s.source: ("failed" if s.error and not s.count else "ok") for s in statuses},
                "shared_store": self.catalog.shared_store,
            }
            return Answer(json_bytes(body), cache_control=_NO_STORE)

        return await self._answer(request, render, cached=False)

    async def refresh(self, request: Request) -> Response:
        if not self.token:
            return respond(request, _error(403, f"refresh over HTTP is off: set {TOKEN_VAR} on the server"))
        given = request.headers.get("authorization", "")
        scheme, _, credential = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), self.token.encode()):
            response = respond(request, _error(401, "a valid 'Authorization: Bearer <token>' header is needed"))
            response.headers["WWW-Authenticate"] = 'Bearer realm="massgen-discovery"'
            return response
        sources = [s for raw in request.query_params.getlist("source") for s in raw.split(",") if s.strip()]
        force = request.query_params.get("force", "").lower() in ("1", "true", "yes")
        try:
            reports = await self.catalog.arefresh(sources or None, force=force)
        except ConfigError as exc:
            return respond(request, _error(400, str(exc), param="source"))
        body = json_bytes([r.model_dump(mode="json") for r in reports])
        return respond(request, Answer(body, cache_control=_NO_STORE))

    async def openapi(self, request: Request) -> Response:
        from .openapi import spec

        return respond(request, Answer(json_bytes(spec()), cache_control="public, max-age=3600"))

    # -- mirrors ---------------------------------------------------------------------------------

    def _mirror(self, build: Callable[[Sequence[ModelRecord]], Any]) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            def render() -> Answer:
                return Answer(json_bytes(build(self.catalog.list_models())), cache_control="public, max-age=300")

            return await self._answer(request, render)

        return handler

    # -- pages -----------------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        def render() -> Answer:
            question, shown, total = self._page(request, PAGE_SIZE)
            params = request.query_params
            offset, limit = page_window(params, PAGE_SIZE)
            limit = limit or PAGE_SIZE
            state: dict[str, Any] = {k: v for k, v in params.items() if k not in ("provider", "q") and v != ""}
            state["provider"] = list(question.providers)
            state["q"] = list(question.terms)
            if "limit" in params:
                state["limit"] = limit
            providers = sorted({name.split("/", 1)[0] for name in self.catalog.model_names()})
            notes = []
            if not total:
                notes = ["No model matches this filter.", *self._failed_sources(question.providers)]
            html = pages.list_page(shown, total, offset, limit, state, providers, notes)
            return Answer(html.encode("utf-8", "replace"), media_type="text/html; charset=utf-8")

        return await self._answer(request, render)

    def _failed_sources(self, providers: Sequence[str]) -> list[str]:
        from ..providers import provider_info

        wanted = {provider_info(p).live_source or p for p in providers}
        return [
            f"{s.source} did not answer: {s.error}"
            for s in self.catalog.status()
            if s.live and s.source in wanted and s.error and not s.count
        ]

    async def model_page(self, request: Request) -> Response:
        model = request.path_params["model"]

        def render() -> Answer:
            _only(request, _COST_PARAMS - {"model"})
            record = self.catalog.get_model(model)
            if record is None:
                html = pages.unknown_page(*self._why_unknown(model))
                return Answer(html.encode("utf-8", "replace"), media_type="text/html; charset=utf-8", status=404)
            params = {k: v for k, v in request.query_params.items() if v != ""}
            cost = error = None
            if params.get("input"):
                try:
                    cost = cost_answer(record, cost_question(request.query_params))
                except BadParameter as exc:
                    error = str(exc)
                except CostUnknown as exc:
                    error = f"{exc}; no cost given"
            html = pages.model_page(record, cost, error, params)
            return Answer(html.encode("utf-8", "replace"), media_type="text/html; charset=utf-8")

        return await self._answer(request, render)

    async def compare(self, request: Request) -> Response:
        def render() -> Answer:
            _only(request, frozenset({"models"}))
            names = [n.strip() for n in (text(request.query_params, "models") or "").split(",") if n.strip()][:12]
            found = [(name, self.catalog.get_model(name)) for name in names]
            html = pages.compare_page(found)
            return Answer(html.encode("utf-8", "replace"), media_type="text/html; charset=utf-8")

        return await self._answer(request, render)

    async def feed(self, request: Request) -> Response:
        def render() -> Answer:
            _only(request, frozenset({"provider"}))
            found = self.catalog.changes(provider=text(request.query_params, "provider"))[:500]
            base = str(request.base_url).rstrip("/")
            xml = pages.atom_feed(found, base)
            return Answer(xml.encode("utf-8", "replace"), media_type="application/atom+xml; charset=utf-8")

        return await self._answer(request, render)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    return respond(request, _error(status, f"{detail}: {request.method} {request.url.path}"))


def create_app(catalog: Catalog | None = None, *, token: str | None = None) -> Starlette:
    """The ASGI app serving ``catalog`` (default: a new :class:`Catalog` from the environment).

    Args:
        catalog: the catalog to serve; its store, refresh rules and background refresh are used as
            they are.
        token: the bearer token ``POST /v1/refresh`` needs (default: ``MASSGEN_DISCOVERY_SERVE_TOKEN``;
            none set refuses refresh with 403).
    """
    if catalog is None:
        from ..catalog import Catalog

        catalog = Catalog()
    server = _Server(catalog, token if token is not None else os.environ.get(TOKEN_VAR) or None)
    get = ["GET", "HEAD"]
    routes = [
        Route("/", server.index, methods=get),
        Route("/models/{model:path}", server.model_page, methods=get),
        Route("/compare", server.compare, methods=get),
        Route("/changes.atom", server.feed, methods=get),
        Route("/health", server.health, methods=get),
        Route("/openapi.json", server.openapi, methods=get),
        Route("/v1/models", server.models, methods=get),
        Route("/v1/models/{model:path}", server.model, methods=get),
        Route("/v1/cost", server.cost, methods=get),
        Route("/v1/changes", server.changes, methods=get),
        Route("/v1/audit", server.audit, methods=get),
        Route("/v1/providers", server.providers, methods=get),
        Route("/v1/refresh", server.refresh, methods=["POST"]),
        Route("/litellm/model_prices_and_context_window.json", server._mirror(mirrors.litellm_map), methods=get),
        Route("/models.dev/api.json", server._mirror(mirrors.modelsdev_api), methods=get),
        Route("/openrouter/api/v1/models", server._mirror(mirrors.openrouter_models), methods=get),
    ]
    # Public data: any page may read it (Datasette's --cors, OpenRouter's API); writes stay same-origin.
    cors = Middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD"],
        allow_headers=["If-None-Match", "Accept-Encoding"],
        expose_headers=["ETag"],
        max_age=3600,
    )
    app = Starlette(
        routes=routes,
        middleware=[cors],
        exception_handlers={HTTPException: _http_error, Exception: _http_error},
    )
    app.state.catalog = catalog
    return app
