"""Ollama: the models a local server (or ollama.com) has, with capabilities and context windows.

LiteLLM lists Ollama tags by name only and, for details, does an uncached ``/api/show`` on every
call that reads only the trained context. Here:

- ``GET /api/tags`` lists the installed models;
- ``POST /api/show`` per model, concurrently (8 at a time), gives ``capabilities`` (``tools``,
  ``vision``, ``thinking``, ``embedding``) and ``model_info["<architecture>.context_length"]``;
  it is skipped when the tags entry already has both (Ollama >= 0.30), and an answer is reused for
  as long as the model's digest is unchanged, so an unchanged model is never asked again;
- ``GET /api/ps`` adds the context window loaded models actually run with.

Records are ``ollama/<name>`` with ``:latest`` left out (LiteLLM's own ``ollama/*`` keys have no
tag, and Ollama treats the two as one model); ``model_id`` is Ollama's full name.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._domain.identifiers import HEURISTIC_PREFIX
from ..errors import NotRunning, SourceError, SourceFormatError, SourceHTTPError, SourceUnreachable
from ..records import ModelRecord
from . import SourceBase
from ._listing import parameter_size

if TYPE_CHECKING:
    import httpx

__all__ = ["DEFAULT_BASE_URL", "NAME", "OllamaSource", "resolve_base_url", "to_records"]

NAME = "ollama"
"""Source name, and the LiteLLM provider id of its records."""
DEFAULT_BASE_URL = "http://localhost:11434"
"""Ollama's default server root."""
CLOUD_HOST = "ollama.com"
TTL = 300.0
SHOW_CONCURRENCY = 8
"""``/api/show`` requests in flight at once."""
SHOW_BUDGET = 0.6
"""Share of the client's read timeout that all ``/api/show`` calls together may take; a model whose
details are not back by then keeps what ``/api/tags`` said about it."""

_NUM_CTX = r"^\s*num_ctx\s+(\d+)\s*$"  # with re.MULTILINE
_TOOLS_IN_TEMPLATE = r"\.Tools\b|\.ToolCalls\b"


def resolve_base_url(explicit: str | None = None) -> str:
    """``MASSGEN_DISCOVERY_OLLAMA_BASE_URL``, else ``OLLAMA_API_BASE`` (LiteLLM), else ``OLLAMA_HOST``.

    ``OLLAMA_HOST`` may be a bare host or ``host:port`` (Ollama's own syntax); a bind-all address
    means this machine. Trailing ``/v1`` or ``/api`` are dropped: the base is the server root.
    """
    raw = (
        explicit
        or os.environ.get("MASSGEN_DISCOVERY_OLLAMA_BASE_URL")
        or os.environ.get("OLLAMA_API_BASE")
        or os.environ.get("OLLAMA_HOST")
        or DEFAULT_BASE_URL
    ).strip()
    if raw == DEFAULT_BASE_URL:
        return DEFAULT_BASE_URL  # already the server root: no parse (nor urllib) on a cold lookup
    if "://" not in raw:
        raw = f"http://{raw}"
    from urllib.parse import urlsplit

    parts = urlsplit(raw)
    host = parts.hostname or "localhost"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    # Like Ollama's own client: plain http without a port means 11434; https means 443.
    port = parts.port or (11434 if parts.scheme == "http" else None)
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/")
    for suffix in ("/v1", "/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return f"{parts.scheme}://{netloc}{path}"


def _is_cloud(base_url: str) -> bool:
    from urllib.parse import urlsplit

    host = urlsplit(base_url).hostname or ""
    return host == CLOUD_HOST or host.endswith("." + CLOUD_HOST)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() and value != "unknown" else None


def _positive_int(value: Any) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _trim_show(show: dict[str, Any], keep_template: bool) -> dict[str, Any]:
    """The part of an ``/api/show`` answer worth caching (not tensors, license or modelfile)."""
    info = _dict(show.get("model_info"))
    # The context key follows the architecture, not the model's name: deepseek-r1 reports qwen3,
    # minicpm-v reports qwen2, mistral reports llama.
    arch = _str(info.get("general.architecture"))
    trimmed: dict[str, Any] = {
        "capabilities": show["capabilities"] if isinstance(show.get("capabilities"), list) else None,
        "details": _dict(show.get("details")),
        "architecture": arch,
        "context_length": info.get(f"{arch}.context_length") if arch else None,
        "vision_tensors": any(isinstance(k, str) and ".vision." in k for k in info),
        "projector": bool(show.get("projector_info")),
        "parameters": _str(show.get("parameters")),
        "remote_host": _str(show.get("remote_host")),
    }
    if keep_template and isinstance(show.get("template"), str):
        trimmed["template"] = show["template"]
    return trimmed


def _needs_show(entry: dict[str, Any]) -> bool:
    details = _dict(entry.get("details"))
    return not (isinstance(entry.get("capabilities"), list) and _positive_int(details.get("context_length")))


def _model_key(name: str) -> str:
    return f"{NAME}/{name[: -len(':latest')] if name.endswith(':latest') else name}"


def to_records(payload: Any, fetched_at: datetime) -> list[ModelRecord]:
    """Turn a stored Ollama payload (``tags``, ``show`` by digest, ``ps``, ``base_url``) into records."""
    if not isinstance(payload, dict) or not isinstance(payload.get("tags"), dict):
        raise SourceFormatError(f"{NAME}: unreadable stored payload", source=NAME)
    models = payload["tags"].get("models")
    if not isinstance(models, list):
        raise SourceFormatError(f"{NAME}: /api/tags has no 'models' list", source=NAME)
    base_url = _str(payload.get("base_url"))
    shows = _dict(payload.get("show"))
    running = _dict(payload.get("ps"))
    dropped = set(_list(payload.get("dropped")))
    cloud_server = bool(base_url and _is_cloud(base_url))
    out: dict[str, ModelRecord] = {}
    for entry in models:
        if not isinstance(entry, dict):
            continue
        name = entry.get("name") or entry.get("model")
        if not isinstance(name, str) or not name.strip():
            continue
        show = shows.get(_str(entry.get("digest")) or name)
        if show is None and name in dropped:
            continue  # deleted between /api/tags and /api/show
        record = _record(name, entry, show if isinstance(show, dict) else None, running, base_url, cloud_server)
        out.setdefault(record.model, record.model_copy(update={"fetched_at": fetched_at}))
    return list(out.values())


def _put_capabilities(
    put: Callable[..., None],
    name: str,
    caps: set[str] | None,
    details: dict[str, Any],
    show: dict[str, Any] | None,
) -> None:
    """Mode and capabilities: from the server's ``capabilities``, else (older servers) the evidence, as heuristics."""
    if caps is not None:
        embedding_only = "embedding" in caps and "completion" not in caps
        put("mode", "embedding" if embedding_only else "chat")
        put("supports_function_calling", "tools" in caps)
        put("supports_vision", "vision" in caps)
        put("supports_reasoning", "thinking" in caps)
        if not embedding_only:
            put("input_modalities", ["text", "image"] if "vision" in caps else ["text"])
            put("output_modalities", ["text"])
    else:
        # Servers older than the capabilities field: go by the evidence, marked as heuristic.
        put("mode", "embedding" if "embed" in name.lower() else "chat", HEURISTIC_PREFIX + "ollama-name")
        families = _list(details.get("families"))
        projector = bool(show and (show.get("projector") or show.get("vision_tensors")))
        if projector or any(f in ("clip", "mllama") for f in families):
            put("supports_vision", True, HEURISTIC_PREFIX + "ollama-projector")
        template = show.get("template") if show else None
        if isinstance(template, str) and template:
            put(
                "supports_function_calling",
                bool(re.search(_TOOLS_IN_TEMPLATE, template)),
                HEURISTIC_PREFIX + "ollama-template",
            )


def _record(
    name: str,
    entry: dict[str, Any],
    show: dict[str, Any] | None,
    running: dict[str, Any],
    base_url: str | None,
    cloud_server: bool,
) -> ModelRecord:
    details = _dict(entry.get("details"))
    if show:
        details = {**details, **{k: v for k, v in _dict(show.get("details")).items() if v not in (None, "")}}
    capabilities = entry.get("capabilities") if isinstance(entry.get("capabilities"), list) else None
    if capabilities is None and show is not None and isinstance(show.get("capabilities"), list):
        capabilities = show["capabilities"]
    values: dict[str, Any] = {}
    provenance: dict[str, str] = {}

    def put(field: str, value: Any, source: str = NAME) -> None:
        if value is not None:
            values[field] = value
            provenance[field] = source

    caps = {c for c in capabilities if isinstance(c, str)} if capabilities is not None else None
    _put_capabilities(put, name, caps, details, show)
    put(
        "max_input_tokens",
        _positive_int(details.get("context_length")) or (_positive_int(show.get("context_length")) if show else None),
    )
    num_ctx = None
    if (
        show
        and isinstance(show.get("parameters"), str)
        and (match := re.search(_NUM_CTX, show["parameters"], re.MULTILINE))
    ):
        num_ctx = int(match.group(1))
    put("runtime_context_tokens", _positive_int(running.get(name)) or num_ctx)
    put("family", _text(details.get("family")))
    put("parameter_size", parameter_size(_text(details.get("parameter_size"))))
    put("quantization", _text(details.get("quantization_level")))
    cloud = cloud_server or bool(show and show.get("remote_host")) or name.endswith("-cloud") or ":cloud" in name
    if not cloud:
        # A model running on your own machine costs nothing per token: known free, not unknown.
        put("input_cost_per_token", 0.0)
        put("output_cost_per_token", 0.0)
    put("available", True)
    put("api_base", base_url)
    return ModelRecord(
        model=_model_key(name),
        provider=NAME,
        model_id=name,
        sources=[NAME],
        provenance=provenance,
        **values,
    )


class OllamaSource(SourceBase):
    """An Ollama server, configured from the environment."""

    name = NAME
    ttl = TTL

    def __init__(self, base_url: str | None = None, credential: str | None = None) -> None:
        # The base is the server root; OLLAMA_API_KEY is for ollama.com (local servers need none).
        super().__init__(resolve_base_url(base_url), credential or os.environ.get("OLLAMA_API_KEY"))

    async def fetch(self, client: httpx.AsyncClient, previous: Any = None) -> Any:
        """``/api/tags``, then ``/api/show`` for models not known by digest, and ``/api/ps``."""
        import asyncio  # not at module level: the catalog imports this module on cold lookups

        from ._http import get_json

        started = time.monotonic()
        base = self._base_url
        try:
            tags = await get_json(
                client, self._url("/api/tags"), source=NAME, credential=self._credential, env_var="OLLAMA_API_KEY"
            )
        except SourceUnreachable as exc:
            # No Ollama running is the normal case on most machines: say so plainly.
            raise NotRunning(f"{NAME}: not running at {base}", source=NAME) from exc
        if not isinstance(tags, dict) or not isinstance(tags.get("models"), list):
            raise SourceFormatError(f"{NAME}: /api/tags from {base} has no 'models' list", source=NAME)
        known: dict[str, Any] = {}
        if isinstance(previous, dict) and isinstance(previous.get("show"), dict):
            known = previous["show"]
        shows: dict[str, Any] = {}
        wanted: list[tuple[str, str]] = []
        for entry in tags["models"]:
            if not isinstance(entry, dict) or not _needs_show(entry):
                continue
            name = entry.get("name") or entry.get("model")
            if not isinstance(name, str):
                continue
            digest = _str(entry.get("digest")) or name
            if digest in known:
                shows[digest] = known[digest]
            else:
                wanted.append((name, digest))
        budget = max(0.1, SHOW_BUDGET * _read_timeout(client) - (time.monotonic() - started))
        (fresh, dropped), running = await asyncio.gather(self._show_all(client, wanted, budget), self._running(client))
        shows.update(fresh)
        return {"base_url": base, "tags": tags, "show": shows, "ps": running, "dropped": dropped}

    async def _running(self, client: httpx.AsyncClient) -> dict[str, int]:
        """Context windows of loaded models, from ``/api/ps``; empty when it cannot be had."""
        from ._http import get_json

        if _is_cloud(self._base_url):  # ollama.com answers /api/ps with 401
            return {}
        try:
            ps = await get_json(client, self._url("/api/ps"), source=NAME, credential=self._credential)
        except SourceError:
            return {}
        running: dict[str, int] = {}
        for entry in _list(_dict(ps).get("models")):
            ctx = _positive_int(_dict(entry).get("context_length"))
            name = _str(_dict(entry).get("name"))
            if name and ctx:
                running[name] = ctx
        return running

    async def _show_all(
        self, client: httpx.AsyncClient, wanted: list[tuple[str, str]], budget: float
    ) -> tuple[dict[str, Any], list[str]]:
        import asyncio

        from ._http import get_json

        if not wanted:
            return {}, []

        gate = asyncio.Semaphore(SHOW_CONCURRENCY)
        shows: dict[str, Any] = {}
        dropped: list[str] = []

        async def one(name: str, digest: str) -> None:
            async with gate:
                try:
                    show = await get_json(
                        client,
                        self._url("/api/show"),
                        method="POST",
                        json_body={"model": name},
                        source=NAME,
                        credential=self._credential,
                    )
                except SourceHTTPError as exc:
                    # {"error": "model 'x' not found"}: deleted between /api/tags and /api/show. A
                    # server without /api/show at all says "404 page not found": keep the model.
                    if exc.status_code == 404 and "model" in (exc.body or "").lower():
                        dropped.append(name)
                    return
                except SourceError:
                    return  # this model keeps what /api/tags said; the others are unaffected
            if isinstance(show, dict):
                shows[digest] = _trim_show(show, keep_template=not isinstance(show.get("capabilities"), list))

        tasks = [asyncio.ensure_future(one(name, digest)) for name, digest in wanted]
        _done, pending = await asyncio.wait(tasks, timeout=budget)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        return shows, dropped

    def to_records(self, payload: Any, fetched_at: datetime) -> list[ModelRecord]:
        """See :func:`to_records`."""
        return to_records(payload, fetched_at)


def _read_timeout(client: httpx.AsyncClient) -> float:
    timeout = client.timeout.read
    return float(timeout) if timeout else 5.0
