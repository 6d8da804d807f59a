"""Any OpenAI-compatible server, by name: vLLM, LM Studio, llama.cpp, SGLang, a LiteLLM proxy.

Configured with a name and a base URL (``Catalog(endpoints={"vllm": "http://gpu:8000/v1"})``,
``--endpoint vllm=http://gpu:8000/v1``); its records are ``<name>/<id>`` with ``provider`` the name
and ``api_base`` the URL. Besides ``{base}/models`` it asks, when the server has them:

- LM Studio's ``/api/v0/models`` (type, architecture, quantization, context window);
- a LiteLLM proxy's ``/model/info`` (the proxy's full model metadata: limits, prices, flags).

Only whitelisted metadata is kept from ``/model/info``: its ``litellm_params`` carry upstream keys
and never reach the cache.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._domain.clock import now
from .._domain.identifiers import endpoint_key_var
from ..errors import ConfigError, SourceError, SourceFormatError, SourceHTTPError
from ..records import LITELLM_FIELDS, ModelRecord
from . import SourceBase
from ._listing import as_dict, as_list, entries, entry_id, generic_values, positive_int, price, records_from_values

if TYPE_CHECKING:
    import httpx

    from ._http import ConditionalGet

__all__ = ["EndpointSource"]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_LMSTUDIO_TYPES = {"llm": "chat", "vlm": "chat", "embeddings": "embedding", "embedding": "embedding"}


def _model_info_values(info: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in LITELLM_FIELDS:
        value = info.get(field)
        if field.startswith("supports_"):
            if isinstance(value, bool):
                values[field] = value
        elif field.startswith("max_"):
            if (number := positive_int(value)) is not None:
                values[field] = number
        elif field in ("mode", "deprecation_date"):
            if isinstance(value, str) and value:
                values[field] = value
        elif (cost := price(value, zero_is_free=True)) is not None:
            # A proxy's own model_info price is what the proxy will charge, 0 included.
            values[field] = cost
    return values


class EndpointSource(SourceBase):
    """A named OpenAI-compatible server."""

    ttl = 300.0
    """Self-hosted servers load and unload models: minutes."""

    def __init__(self, name: str, base_url: str, api_key: str | None = None) -> None:
        from . import source_names

        if not re.match(_NAME, name):
            raise ConfigError(f"endpoint name {name!r}: use letters, digits, '_', '-', '.'")
        if name in source_names():
            raise ConfigError(f"endpoint name {name!r} is taken by a built-in source; pick another")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"endpoint {name}: base URL must start with http:// or https://, got {base_url!r}")
        self.name = name
        """Source name, provider id and model prefix."""
        super().__init__(base_url, api_key or os.environ.get(endpoint_key_var(name)))

    def _root_url(self, path: str) -> str:
        """``path`` under the server root (the base URL without its ``/v1``), with URL credentials."""
        base = self._base_url
        return self._url(path, base[: -len("/v1")] if base.endswith("/v1") else base)

    conditional_get = True
    """:meth:`fetch` takes the ``validators`` of its stored listing (see ``SourceHooks``)."""

    async def fetch(
        self, client: httpx.AsyncClient, previous: Any = None, *, validators: ConditionalGet | None = None
    ) -> Any:
        """``{base}/models`` and, concurrently, the optional richer listings."""
        import asyncio

        from ._http import get_json

        env_var = endpoint_key_var(self.name)
        # Once the server has said which kind it is, only what that kind serves is asked again
        # (a scale-to-zero box is not probed four times per refresh).
        kind = previous.get("kind") if isinstance(previous, dict) else None
        checked = previous.get("kind_checked_at") if isinstance(previous, dict) else None
        if not isinstance(checked, (int, float)) or not 0 <= now() - checked < KIND_RECHECK:
            kind = None  # asked again at least daily: a proxy that 404ed while starting, a new server
        probes = _PROBES.get(kind) if isinstance(kind, str) else None
        wanted = set(_PROBES["unknown"] if probes is None else probes)

        async def optional(name: str, url: str) -> Any:
            if name not in wanted:
                return _SKIPPED
            try:
                return await get_json(client, url, source=self.name, credential=self._credential, validators=validators)
            except SourceHTTPError as exc:
                return _ABSENT if exc.status_code in (404, 405, 501) else None  # not this kind / unsure
            except SourceError:
                return None  # no answer: unsure, asked again next time

        listing, lmstudio, model_info, group_info = await asyncio.gather(
            get_json(
                client,
                self._url("/models"),
                source=self.name,
                credential=self._credential,
                env_var=env_var,
                validators=validators,
            ),
            optional("lmstudio", self._root_url("/api/v0/models")),
            optional("model_info", self._url("/model/info")),
            optional("model_group_info", self._root_url("/model_group/info")),
        )
        entries(listing)  # a listing without models is this source's failure, whatever the extras say
        # An answer that is not that kind's listing (a server answering 200 to any path) is no answer.
        lmstudio, model_info, group_info = (
            answer if answer in (_SKIPPED, _ABSENT, None) or _shaped(name, answer) else _ABSENT
            for name, answer in (("lmstudio", lmstudio), ("model_info", model_info), ("model_group_info", group_info))
        )
        answers = {"lmstudio": lmstudio, "model_info": model_info, "model_group_info": group_info}
        return {
            "base_url": self._base_url,
            "kind": kind if probes is not None else _kind(answers),
            "kind_checked_at": checked if probes is not None else now(),
            "models": listing,
            "lmstudio": lmstudio if isinstance(lmstudio, dict) else None,
            "model_info": _trim_model_info(model_info),
            "model_group_info": _trim_group_info(group_info),
        }

    def to_records(self, payload: Any, fetched_at: datetime) -> list[ModelRecord]:
        """One record per listed model, enriched by LM Studio's and the proxy's metadata."""
        if not isinstance(payload, dict) or "models" not in payload:
            raise SourceFormatError(f"{self.name}: unreadable stored payload", source=self.name)
        try:
            items = entries(payload["models"])
        except SourceFormatError as exc:
            raise SourceFormatError(f"{self.name}: {exc}", source=self.name) from None
        lmstudio = {entry_id(e): e for e in entries(payload["lmstudio"])} if payload.get("lmstudio") else {}
        info = as_dict(payload.get("model_info"))
        groups = as_dict(payload.get("model_group_info"))
        base = payload.get("base_url") if isinstance(payload.get("base_url"), str) else self._base_url
        out: dict[str, ModelRecord] = {}
        for entry in items:
            model_id = entry_id(entry)
            if model_id is None:
                continue
            values, guessed = generic_values(entry)
            extra = lmstudio.get(model_id)
            if extra is not None:
                kind = extra.get("type")
                if isinstance(kind, str) and kind in _LMSTUDIO_TYPES:
                    values["mode"] = _LMSTUDIO_TYPES[kind]
                    guessed.discard("mode")
                    values["supports_vision"] = kind == "vlm"
                if (ctx := positive_int(extra.get("max_context_length"))) is not None:
                    values["max_input_tokens"] = ctx
                if isinstance(extra.get("quantization"), str):
                    values["quantization"] = extra["quantization"]
                if isinstance(extra.get("arch"), str):
                    values["family"] = extra["arch"]
            # A proxy's model group (what clients call) carries the group's price when several
            # deployments share the name; one deployment's /model/info fills what the group lacks.
            for proxy in (as_dict(info.get(model_id)), as_dict(groups.get(model_id))):
                proxy_values = _model_info_values(proxy)
                values.update(proxy_values)
                guessed -= set(proxy_values)
            upstream = as_dict(info.get(model_id)).get("served_by")
            if isinstance(upstream, str):
                values["served_by"] = upstream
            record = records_from_values(self.name, self.name, model_id, values, guessed, fetched_at, api_base=base)
            out.setdefault(record.model, record)
        return list(out.values())


_SKIPPED, _ABSENT = object(), object()
_PROBES: dict[str, tuple[str, ...]] = {
    "unknown": ("lmstudio", "model_info", "model_group_info"),
    "openai": (),
    "lmstudio": ("lmstudio",),
    "litellm_proxy": ("model_info", "model_group_info"),
}
"""Per kind of server, the optional listings it serves besides ``/models``."""


KIND_RECHECK = 86_400.0
"""Seconds a server's remembered kind is trusted; then (or on ``refresh --force``) it is probed again."""

_ROW_KEYS = {
    "lmstudio": ("type",),
    "model_info": ("model_name", "model_group"),
    "model_group_info": ("model_group", "model_name"),
}


def _shaped(name: str, answer: Any) -> bool:
    """Whether an optional listing looks like that kind's: a ``data`` list of objects naming models its way."""
    rows = answer.get("data") if isinstance(answer, dict) else None
    keys = _ROW_KEYS[name]
    return (
        isinstance(rows, list) and bool(rows) and all(isinstance(r, dict) and any(k in r for k in keys) for r in rows)
    )


def _kind(answers: dict[str, Any]) -> str:
    """Which kind of server answered: ``lmstudio``, ``litellm_proxy`` or ``openai`` (neither).

    ``unknown`` while an optional listing gave no clear answer (it is asked again next time).
    """
    if isinstance(answers["lmstudio"], dict):
        return "lmstudio"
    if any(isinstance(answers[k], dict) for k in ("model_info", "model_group_info")):
        return "litellm_proxy"
    return "openai" if all(a is _ABSENT for a in answers.values()) else "unknown"


def _trim_model_info(answer: Any) -> dict[str, Any] | None:
    """``model_name -> whitelisted model_info`` from a proxy's ``/model/info``; None if it is not one."""
    data = as_list(as_dict(answer).get("data"))
    if not data:
        return None
    out: dict[str, Any] = {}
    for item in data:
        item = as_dict(item)
        name = item.get("model_name")
        info = as_dict(item.get("model_info"))
        if isinstance(name, str) and info and name not in out:
            out[name] = {k: info[k] for k in LITELLM_FIELDS if k in info}
            upstream = as_dict(item.get("litellm_params")).get("model")
            if isinstance(upstream, str) and upstream:
                out[name]["served_by"] = upstream  # the deployment's own model string, nothing else of its params
    return out or None


def _trim_group_info(answer: Any) -> dict[str, Any] | None:
    """``model_group -> whitelisted fields`` from a proxy's ``/model_group/info``; None if it is not one."""
    out: dict[str, Any] = {}
    for item in as_list(as_dict(answer).get("data")):
        item = as_dict(item)
        name = item.get("model_group")
        if isinstance(name, str) and name not in out:
            out[name] = {k: item[k] for k in LITELLM_FIELDS if k in item}
    return out or None
