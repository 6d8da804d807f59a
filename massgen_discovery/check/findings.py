"""What is wrong with each model name a configuration names, as the catalog knows it today.

Each name is resolved the way the tool that reads the config resolves it (MassGen's backend type
and ``base_url``, LiteLLM's ``provider/model``), then looked up like ``show`` looks it up: a name
reported unknown here is unknown to ``show`` under the name given in the finding.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from .configs import ModelRef

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..records import ModelRecord

__all__ = ["Finding", "Level", "Target", "assess", "endpoint_names", "target_of"]

Level = Literal["error", "warning", "note"]

FAILING_CODES = frozenset({"unknown", "retired", "unreadable"})
"""The findings that make ``check`` exit 1."""


@dataclass(frozen=True)
class Finding:
    """One thing to tell about one model name (or one file)."""

    path: str
    line: int
    column: int
    level: Level
    code: str
    """``unknown``, ``retired``, ``deprecated``, ``unlisted``, ``price-unknown``, ``not-checked``, ``unreadable``."""
    message: str
    """One line, safe to print."""
    model: str | None = None
    """The model string as the config writes it."""
    name: str | None = None
    """The catalog name it was looked up as (what ``show`` takes)."""
    suggestions: tuple[str, ...] = ()
    deprecation_date: str | None = None
    successor: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The finding as ``check --json`` prints it."""
        return {
            "file": self.path,
            "line": self.line,
            "column": self.column,
            "level": self.level,
            "code": self.code,
            "model": self.model,
            "name": self.name,
            "message": self.message,
            "suggestions": list(self.suggestions),
            "deprecation_date": self.deprecation_date,
            "successor": self.successor,
        }


# MassGen backend types resolve_provider does not know, and AG2's api_type values.
_MORE_TYPES = {"codex": "openai", "copilot": "github_copilot", "google": "gemini", "gemini_cli": "gemini"}

# Backends that talk to a server of the user's own, and where it listens unless base_url says.
_SELF_HOSTED = {
    "lmstudio": "http://localhost:1234/v1",
    "vllm": "http://localhost:8000/v1",
    "sglang": "http://localhost:30000/v1",
}

# A base_url on one of these hosts is that provider's API (MassGen's chatcompletion backend).
_HOSTS = {
    "api.openai.com": "openai",
    "api.anthropic.com": "anthropic",
    "generativelanguage.googleapis.com": "gemini",
    "api.x.ai": "xai",
    "api.groq.com": "groq",
    "api.together.xyz": "together_ai",
    "api.together.ai": "together_ai",
    "api.fireworks.ai": "fireworks_ai",
    "api.cerebras.ai": "cerebras",
    "openrouter.ai": "openrouter",
    "api.deepseek.com": "deepseek",
    "api.mistral.ai": "mistral",
    "api.moonshot.ai": "moonshot",
    "api.moonshot.cn": "moonshot",
    "integrate.api.nvidia.com": "nvidia_nim",
    "router.huggingface.co": "huggingface",
    "api.studio.nebius.ai": "nebius",
    "api.studio.nebius.com": "nebius",
    "api.z.ai": "zai",
    "dashscope.aliyuncs.com": "dashscope",
    "dashscope-intl.aliyuncs.com": "dashscope",
}

# LiteLLM prefixes that send an OpenAI-style request to whatever api_base says.
_OPENAI_COMPATIBLE = frozenset({"openai", "hosted_vllm", "openai_like", "custom_openai", "lm_studio", "llamafile"})


@dataclass(frozen=True)
class Target:
    """Where a model name is checked: catalog names, a server of the user's own, or nowhere (why)."""

    names: tuple[str, ...] = ()
    provider: str | None = None
    server: str | None = None
    server_model: str | None = None
    skip: str | None = None
    fallback: str | None = None
    """A name to check when the first is unknown (LiteLLM's ``base_model`` for a deployment)."""


def _is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "host.docker.internal") or host.endswith((".local", ".localhost", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def target_of(ref: ModelRef) -> Target:
    """Where ``ref`` is checked, by the rules of the tool that reads its config."""
    if "${" in ref.model or ref.model.startswith("os.environ/"):
        return Target(skip="set from the environment")
    if ref.base_url is not None and not ref.base_url.startswith(("http://", "https://")):
        return Target(skip="its base_url is set from the environment or is not an http(s) URL")
    if ref.kind == "litellm":
        return _litellm_target(ref)
    return _massgen_target(ref)


def _massgen_target(ref: ModelRef) -> Target:
    from .._adapters.massgen_models import resolve_provider

    kind = (ref.backend_type or "").strip().lower()
    if kind in _SELF_HOSTED or (ref.base_url and _is_local(ref.base_url)):
        return Target(server=ref.base_url or _SELF_HOSTED[kind], server_model=ref.model)
    provider: str | None
    if ref.base_url:
        host = (urlsplit(ref.base_url).hostname or "").lower()
        provider = _HOSTS.get(host)
        if provider is None:
            return Target(server=ref.base_url, server_model=ref.model)
    else:
        provider = _MORE_TYPES.get(kind) or (resolve_provider(kind) if kind else None)
    if provider is None or provider not in _known_providers():
        return Target(skip=f"backend type {ref.backend_type or '(none)'} names no provider this catalog lists")
    if ref.model.startswith(f"{provider}/"):
        return Target(names=(ref.model,), provider=provider)
    return Target(names=(f"{provider}/{ref.model}",), provider=provider)


def _known_providers() -> frozenset[str]:
    """Every provider id the catalog knows of: LiteLLM's, the live sources', MassGen's backends'."""
    from ..sources.litellm_map import map_stamp

    return _providers_of_map(map_stamp())


@functools.lru_cache(maxsize=2)
def _providers_of_map(stamp: str) -> frozenset[str]:
    from .._adapters.massgen_models import BACKEND_PROVIDERS
    from ..providers import PROVIDERS
    from ..sources.litellm_map import load_litellm_map

    ids = {r.provider for r in load_litellm_map().records}
    return frozenset({*ids, *PROVIDERS, *(p for p in BACKEND_PROVIDERS.values() if p)})


def _litellm_target(ref: ModelRef) -> Target:
    if "*" in ref.model:
        return Target(skip="a wildcard route")
    provider, sep, rest = ref.model.partition("/")
    provider = provider.lower() if sep else ""
    if ref.base_url and provider in _OPENAI_COMPATIBLE:
        host = (urlsplit(ref.base_url).hostname or "").lower()
        if host not in _HOSTS:
            return Target(server=ref.base_url, server_model=rest)
    if provider == "bedrock" and "arn:" in rest:
        return Target(skip="a Bedrock ARN names your own deployment")
    return Target(names=(ref.model,), provider=provider or None, fallback=ref.base_model)


def endpoint_names(targets: Iterable[tuple[ModelRef, Target]]) -> dict[str, str]:
    """A source name for each server of the user's own the configs name: ``{base_url: name}``."""
    from ..sources import source_names

    taken = set(source_names())
    names: dict[str, str] = {}
    for ref, target in targets:
        if target.server is None or target.server in names:
            continue
        stem = "".join(c if c.isalnum() else "-" for c in (ref.backend_type or "server").lower()) or "server"
        name, n = stem if stem not in taken else f"{stem}-server", 1
        while name in taken:
            n += 1
            name = f"{stem}-{n}"
        taken.add(name)
        names[target.server] = name
    return names


@dataclass
class _Context:
    catalog: Catalog
    offline: bool
    today: date
    servers: dict[str, str]
    """base_url -> the endpoint source's name."""
    reachable: dict[str, str | None] = field(default_factory=dict)
    """Endpoint name -> None when it answered, else why not."""
    successors: dict[str, str] | None = None


def assess(
    catalog: Catalog,
    refs: Iterable[ModelRef],
    *,
    servers: dict[str, str],
    offline: bool,
    now: datetime | None = None,
) -> list[Finding]:
    """The findings for ``refs``: one per problem, and one note per name that could not be checked."""
    today = (now or datetime.now(timezone.utc)).date()
    ctx = _Context(catalog, offline, today, servers)
    findings: list[Finding] = []
    for ref in refs:
        findings.extend(_assess_one(ctx, ref, target_of(ref)))
    return findings


def _finding(ref: ModelRef, level: Level, code: str, message: str, **extra: Any) -> Finding:
    return Finding(ref.path, ref.line, ref.column, level, code, message, model=ref.model, **extra)


def _assess_one(ctx: _Context, ref: ModelRef, target: Target) -> list[Finding]:
    from ..answers import shown_name

    if target.skip is not None:
        return [_finding(ref, "note", "not-checked", f"{shown_name(ref.model)}: not checked ({target.skip})")]
    if target.server is not None:
        return _assess_on_server(ctx, ref, target)
    name = target.names[0]
    record = ctx.catalog.get_model(name)
    if record is None and target.fallback:
        name = target.fallback
        record = ctx.catalog.get_model(name)
    if record is None:
        return [_unknown(ctx, ref, name)]
    return _lifecycle(ctx, ref, record, local=False)


def _unknown(ctx: _Context, ref: ModelRef, name: str) -> Finding:
    from ..answers import empty_serving_sources, shown_name, suggest

    why = ""
    for status in empty_serving_sources(ctx.catalog, name):
        if status.source == "ollama":
            return _finding(ref, "note", "not-checked", f"{shown_name(name)}: not checked (Ollama is not running)")
        error = (status.error or "").removeprefix(f"{status.source}: ")
        why = f" ({status.source} did not answer: {error})" if error else ""
        if not status.error and status.fetched_at is None:
            why = f" ({status.source} not consulted{' (--offline)' if ctx.offline else ''})"
    suggestions = tuple(suggest(ctx.catalog, name))
    hint = f"; did you mean: {', '.join(suggestions)}" if suggestions else ""
    return _finding(
        ref, "error", "unknown", f"{shown_name(name)}: unknown model{why}{hint}", name=name, suggestions=suggestions
    )


def _assess_on_server(ctx: _Context, ref: ModelRef, target: Target) -> list[Finding]:
    from ..answers import shown_name
    from ..sources._urls import redact_url

    assert target.server is not None
    where = redact_url(target.server) or "its server"
    if ctx.offline:
        message = f"{shown_name(ref.model)}: not checked (served by {where}; --offline)"
        return [_finding(ref, "note", "not-checked", message)]
    source = ctx.servers.get(target.server, "")
    if source not in ctx.reachable:
        if source not in ctx.catalog.live_sources():  # a catalog given without this server as an endpoint
            ctx.reachable[source] = "not an endpoint of this catalog"
        else:
            reports = ctx.catalog.refresh([source])
            ctx.reachable[source] = next((r.error or r.outcome for r in reports if r.outcome != "ok"), None)
    error = ctx.reachable[source]
    if error is not None:
        return [_finding(ref, "note", "not-checked", f"{shown_name(ref.model)}: not checked ({where} not reachable)")]
    name = f"{source}/{target.server_model or ref.model}"
    record = ctx.catalog.get_model(name)
    if record is None:
        served = sorted(m.split("/", 1)[1] for m in ctx.catalog.model_names() if m.startswith(f"{source}/"))
        hint = f"; it serves: {', '.join(served[:5])}" if served else ""
        message = f"{shown_name(ref.model)}: not served by {where}{hint}"
        return [_finding(ref, "error", "unknown", message, name=name, suggestions=tuple(served[:5]))]
    return _lifecycle(ctx, ref, record, local=True)


def _successor(ctx: _Context, record: ModelRecord) -> str | None:
    if ctx.successors is None:
        from ..sources.litellm_map import successors

        ctx.successors = successors()
    return ctx.successors.get(record.model)


def _lifecycle(ctx: _Context, ref: ModelRef, record: ModelRecord, *, local: bool) -> list[Finding]:
    out: list[Finding] = []
    name = record.model
    when = record.deprecation_date
    if when or record.status == "deprecated":
        successor = _successor(ctx, record)
        then = f" (use {successor})" if successor else ""
        source = record.provenance.get("deprecation_date") or record.provenance.get("status") or "a source"
        retired = _past(when, ctx.today)
        if retired:
            message = f"{name}: retired on {when} per {source}{then}"
        elif when:
            message = f"{name}: deprecated, retires on {when} per {source}{then}"
        else:
            message = f"{name}: deprecated per {source}{then}"
        level: Level = "error" if retired else "warning"
        code = "retired" if retired else "deprecated"
        out.append(_finding(ref, level, code, message, name=name, deprecation_date=when, successor=successor))
    if record.available is False:
        lister = record.provenance.get("available", "its live source")
        out.append(_finding(ref, "warning", "unlisted", f"{name}: no longer listed by {lister}", name=name))
    chat = record.mode in (None, "chat", "responses", "completion")
    if not local and chat and (record.input_cost_per_token is None or record.output_cost_per_token is None):
        missing = "input" if record.input_cost_per_token is None else "output"
        if record.input_cost_per_token is None and record.output_cost_per_token is None:
            missing = "input and output"
        message = f"{name}: {missing} price unknown (MassGen's cost tracking would show NaN)"
        out.append(_finding(ref, "warning", "price-unknown", message, name=name))
    return out


def _past(when: str | None, today: date) -> bool:
    if not when:
        return False
    try:
        return date.fromisoformat(when[:10]) <= today
    except ValueError:
        return False
