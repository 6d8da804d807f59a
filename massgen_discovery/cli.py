"""``massgen-discovery``: list, show, cost, audit, changes, refresh, providers, cache.

A thin layer over :class:`~massgen_discovery.Catalog`: :func:`run` takes argv and returns the exit
code (0 ok, 1 nothing found or model unknown, 2 bad usage), :func:`main` exits with it. ``--json``
prints the records' own JSON (``ModelRecord.model_dump(mode="json")``).
"""

from __future__ import annotations

import difflib
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ._names import SECOND_OPINION, endpoint_key_var
from .errors import CacheError, ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from .catalog import Catalog
    from .records import ModelRecord

__all__ = ["format_price", "format_tokens", "inert", "main", "records_json", "run"]

PROG = "massgen-discovery"
_F = TypeVar("_F", bound=Callable[..., Any])

_FLAG_LABELS = {
    # The flags column says what the matching `list` option is called.
    "supports_function_calling": "tools",
    "supports_vision": "vision",
    "supports_response_schema": "structured-output",
    "supports_reasoning": "reasoning",
    "supports_prompt_caching": "prompt-caching",
    "supports_audio_input": "audio-input",
    "supports_pdf_input": "pdf",
}


_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def inert(text: object) -> str:
    r"""Text from upstream made safe for a terminal: control characters escaped (``\x1b``, ``\n``).

    C0, DEL, C1 and the invisible direction and separator characters are shown as escapes, so an
    id cannot colour, retitle or clear the terminal, open a hyperlink or forge a table row.
    """
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def _echo_err(message: str) -> None:
    click.echo(inert(message), err=True)


def format_tokens(value: int | None) -> str:
    """Token counts the way people say them: ``8k``, ``32k``, ``128k``, ``200k``, ``1M``; unknown -> ``?``.

    Powers of two read in binary units (``8192`` -> ``8k``, ``131072`` -> ``128k``,
    ``1048576`` -> ``1M``), other counts in decimal ones (``200000`` -> ``200k``, ``1050000`` ->
    ``1.05M``).
    """
    if value is None or isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**12:
        return "?"  # unknown, or not a real limit (the store keeps such values out; overrides may not)
    for unit, binary, decimal in (("M", 1 << 20, 1_000_000), ("k", 1 << 10, 1_000)):
        if value >= decimal:
            if value % decimal == 0:
                return f"{value // decimal}{unit}"
            if value % binary == 0:
                return f"{value // binary}{unit}"
            figure = value / decimal
            if figure >= 10 and unit == "k":
                return f"{round(figure)}{unit}"
            return f"{figure:.2f}".rstrip("0").rstrip(".") + unit
    return str(value)


def format_price(per_token: float | None) -> str:
    """USD per token -> ``$`` per 1M tokens with 3 significant digits; 0 -> ``free``; unknown -> ``?``.

    ``$15.00``, ``$2.50``, ``$0.15``, ``$0.075``, ``$0.0904``, ``$1,250``.
    """
    if per_token is None or isinstance(per_token, bool) or not isinstance(per_token, (int, float)):
        return "?"
    if not 0 <= per_token < 1e6:
        return "?"  # not a real price (NaN, infinite, negative)
    if per_token == 0:
        return "free"
    per_million = per_token * 1_000_000
    if per_million >= 100:
        return f"${per_million:,.0f}"
    if per_million >= 1:
        return f"${per_million:.2f}"
    text = f"{per_million:.3g}"
    if "e" in text:
        text = f"{per_million:.8f}".rstrip("0")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"${per_million:.{max(2, decimals)}f}"


def _flags(record: ModelRecord) -> str:
    return " ".join(label for name, label in _FLAG_LABELS.items() if getattr(record, name) is True)


MAX_TOKEN_COUNT = 10**12
"""The largest token count the command line takes (a trillion; no call or context comes close)."""
_TOKEN_COUNT = re.compile(r"(\d{1,15})(?:\.(\d{1,6}))?([km]?)")


def _parse_tokens(text: str) -> int:
    """A whole, finite, non-negative token count: ``1200``, ``1,200``, ``1.2k``, ``128k``, ``1m``."""
    raw = text.strip().lower().replace("_", "").replace(",", "")
    match = _TOKEN_COUNT.fullmatch(raw)
    if match is None:
        raise click.BadParameter(f"{text[:40]!r} is not a token count (a whole number like 128000 or 128k)")
    whole, fraction, unit = match.groups()
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[unit]
    digits = fraction or ""
    value, rest = divmod(int(whole + digits) * scale, 10 ** len(digits))
    if rest:
        raise click.BadParameter(f"{text[:40]!r} is not a whole number of tokens")
    if value > MAX_TOKEN_COUNT:
        raise click.BadParameter(f"{text[:40]!r} is more than {MAX_TOKEN_COUNT:,} tokens")
    return int(value)


def _tokens_option(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    return None if value is None else _parse_tokens(value)


def _endpoints(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise click.BadParameter(f"{value!r} is not NAME=URL (e.g. vllm=http://localhost:8000/v1)")
        out[name.strip()] = url.strip()
    return out


def _common(func: _F) -> _F:
    """``--json``, ``--offline`` and ``--endpoint`` on every command (also accepted before it)."""
    func = click.option(
        "--endpoint",
        "endpoints",
        multiple=True,
        metavar="NAME=URL",
        callback=_endpoints,
        help="An OpenAI-compatible server to list as NAME/<model> (repeatable).",
    )(func)
    func = click.option("--offline", is_flag=True, default=None, help="Never touch the network.")(func)
    func = click.option("--json", "as_json", is_flag=True, default=None, help="Print JSON.")(func)
    return func


class _State:
    def __init__(
        self, as_json: bool = False, offline: bool | None = None, endpoints: dict[str, str] | None = None
    ) -> None:
        self.as_json = as_json
        self.offline = offline
        self.endpoints = endpoints or {}
        self.command_endpoints: dict[str, str] = {}
        self.opened: Catalog | None = None

    def catalog(self, offline: bool | None) -> Catalog:
        from .catalog import Catalog

        endpoints = {**self.endpoints, **self.command_endpoints}
        self.opened = Catalog(offline=True if (offline or self.offline) else None, endpoints=endpoints)
        return self.opened


def _state(
    ctx: click.Context, as_json: bool | None, offline: bool | None, endpoints: dict[str, str] | None = None
) -> tuple[_State, bool, bool | None]:
    state: _State = ctx.find_object(_State) or _State(False, None)
    state.command_endpoints = endpoints or {}
    return state, bool(as_json or state.as_json), True if (offline or state.offline) else None


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    interactive = stream.isatty()
    # Piped output keeps whole lines: a 240-column table is easier to grep than a wrapped one.
    return Console(file=stream, width=None if interactive else 240, highlight=False, soft_wrap=not interactive)


def _finite(data: Any) -> Any:
    """``data`` with every non-finite float as null: JSON has no NaN or Infinity."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def _print_json(data: Any) -> None:
    click.echo(json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False, default=str))


def records_json(records: Sequence[ModelRecord]) -> str:
    """The records' own JSON (``model_dump(mode="json")`` of each), as ``list --json`` prints it.

    Serialised by pydantic's core from plain dicts: 5,000 records take a fraction of what
    ``json.dumps(indent=2)`` takes.
    """
    from pydantic_core import to_json

    return to_json([record.plain() for record in records], indent=2, inf_nan_mode="null").decode()


def _print_records_json(records: Sequence[ModelRecord]) -> None:
    click.echo(records_json(records))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--json", "as_json", is_flag=True, help="Print JSON (any command).")
@click.option("--offline", is_flag=True, default=None, help="Never touch the network (any command).")
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    metavar="NAME=URL",
    callback=_endpoints,
    help="An OpenAI-compatible server to list as NAME/<model> (repeatable, any command).",
)
@click.version_option(package_name="massgen_discovery", prog_name=PROG)
@click.pass_context
def cli(ctx: click.Context, as_json: bool, offline: bool | None, endpoints: dict[str, str]) -> None:
    """Which LLMs exist, where they are served, what they can do and what they cost."""
    state = ctx.ensure_object(_State)
    state.as_json, state.offline, state.endpoints = as_json, offline, endpoints


CHAT_MODES = ("chat", "responses", "completion")
"""What plain ``list`` shows: the models you can chat with."""


@cli.command("list")
@click.option("--provider", "-p", "providers", multiple=True, help="LiteLLM provider id (repeatable).")
@click.option("--tools", is_flag=True, help="Tool / function calling.")
@click.option("--vision", is_flag=True, help="Image input.")
@click.option("--structured-output", is_flag=True, help="JSON-schema structured output.")
@click.option("--reasoning", is_flag=True, help="Reasoning / thinking.")
@click.option("--prompt-caching", is_flag=True, help="Prompt caching.")
@click.option("--pdf", is_flag=True, help="PDF input.")
@click.option("--audio-input", is_flag=True, help="Audio input.")
@click.option(
    "--mode",
    default="chat",
    show_default=True,
    help="chat (chat, responses and completion models), all, or one LiteLLM mode: embedding, image_generation ...",
)
@click.option("--min-context", metavar="N", callback=_tokens_option, help="Smallest context window (128000 or 128k).")
@click.option("--max-input-cost", type=click.FloatRange(min=0), metavar="USD_PER_1M", help="Highest input price.")
@click.option("--max-output-cost", type=click.FloatRange(min=0), metavar="USD_PER_1M", help="Highest output price.")
@click.option("--available", is_flag=True, help="Only models a live source listed at its last refresh.")
@click.option("--include-unknown", is_flag=True, help="Let unknown values pass the filters.")
@click.option("--sort", type=click.Choice(["price", "context", "name", "newest"]), default="name", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="Print at most N models.")
@click.option(
    "-q",
    "--query",
    "terms",
    multiple=True,
    metavar="TERM",
    help="Substring of the model string (repeatable, all must match).",
)
@_common
@click.pass_context
def list_cmd(
    ctx: click.Context,
    providers: tuple[str, ...],
    tools: bool,
    vision: bool,
    structured_output: bool,
    reasoning: bool,
    prompt_caching: bool,
    pdf: bool,
    audio_input: bool,
    mode: str,
    min_context: int | None,
    max_input_cost: float | None,
    max_output_cost: float | None,
    available: bool,
    include_unknown: bool,
    sort: str,
    limit: int | None,
    terms: tuple[str, ...],
    as_json: bool | None,
    offline: bool | None,
    endpoints: dict[str, str],
) -> int:
    """List models matching every filter given (chat models unless --mode says otherwise)."""
    state, as_json, offline = _state(ctx, as_json, offline, endpoints)
    modes: str | tuple[str, ...] | None = {"chat": CHAT_MODES, "all": None}.get(mode, mode)
    criteria: dict[str, Any] = {
        "providers": list(providers) or None,
        "mode": modes,
        "min_context": min_context,
        "max_input_cost": max_input_cost,
        "max_output_cost": max_output_cost,
        "available": True if available else None,
        "query": list(terms),
        "include_unknown": include_unknown,
        "sort": sort,
    }
    for flag, name in (
        (tools, "tools"),
        (vision, "vision"),
        (structured_output, "structured_output"),
        (reasoning, "reasoning"),
        (prompt_caching, "prompt_caching"),
        (pdf, "pdf_input"),
        (audio_input, "audio_input"),
    ):
        if flag:
            criteria[name] = True
    catalog = state.catalog(offline)
    matched = catalog.find_models(**criteria)
    records = matched if limit is None else matched[:limit]
    if as_json:
        _print_records_json(records)
    elif records:
        _print_table(records, len(matched))
    _explain_failures(catalog, list(providers), list(endpoints) + list(state.endpoints))
    if not records:
        click.echo("no models match", err=True)
        return 1
    return 0


def _explain_failures(catalog: Catalog, providers: list[str], endpoints: list[str]) -> None:
    """One stderr line per live source the list needed that failed: its name and why."""
    from .providers import provider_info

    wanted = {provider_info(p).live_source or p for p in providers} | set(endpoints)
    if not wanted:
        return  # a list over every provider needs no one source in particular
    for status in catalog.status():
        if not status.live or status.count or status.source not in wanted:
            continue
        if status.error is not None:
            error = status.error
            _echo_err(error if error.startswith(f"{status.source}:") else f"{status.source}: {error}")
        elif status.fetched_at is None:
            _echo_err(_not_fetched(status.source, status.refresh, catalog.offline))


def _not_fetched(source: str, mode: str, offline: bool) -> str:
    """Why a live source has nothing yet, and the command that fetches it."""
    why = "refreshes only when asked" if mode == "manual" else "not fetched yet (offline)" if offline else "no data"
    return f"{source}: {why}; run: {PROG} refresh {source}"


def _print_table(records: Sequence[ModelRecord], matched: int) -> None:
    from ._table import Column

    shown_modes = {r.mode for r in records}
    columns = [
        # Too wide for the terminal: drop provider (the model string starts with it), then max
        # out, flags and mode; then shorten the model column. Prices and contexts are never cut.
        Column("model", shrink=True),
        Column("provider", drop_rank=1),
        Column("mode", drop_rank=4),
        Column("context", right=True),
        Column("max out", right=True, drop_rank=2),
        Column("$/1M in", right=True),
        Column("$/1M out", right=True),
        Column("flags", drop_rank=3),
    ]
    rows = [
        [
            inert(r.model),
            inert(r.provider),
            inert(r.mode or "?"),
            format_tokens(r.max_input_tokens),
            format_tokens(r.max_output_tokens),
            format_price(r.input_cost_per_token),
            format_price(r.output_cost_per_token),
            _flags(r),
        ]
        for r in records
    ]
    if len(shown_modes) <= 1:  # a mode column only says something when modes differ
        columns.pop(2)
        for row in rows:
            row.pop(2)
    _echo_lines(columns, rows)
    if len(records) < matched:
        click.echo(f"showing {len(records):,} of {matched:,} models")


def _echo_lines(columns: Sequence[Any], rows: Sequence[Sequence[str]]) -> None:
    from ._table import render, terminal_width

    for line in render(columns, rows, terminal_width(sys.stdout.isatty())):
        click.echo(line)


# First-party providers before the clouds and resellers that also serve their models.
_FIRST_PARTY = ("openai", "anthropic", "gemini", "xai", "mistral", "deepseek", "groq", "cohere", "moonshot",
                "dashscope", "cerebras", "perplexity", "zai")  # fmt: skip


MAX_SUGGESTED_NAME = 160
"""Longer unknown names get no suggestions (the longest real model strings are about 100 characters)."""


def _suggest(catalog: Catalog, name: str) -> list[str]:
    """Close matches, the obvious first.

    The same id under another provider, then edit distance, then first-party providers before
    resellers.
    """
    if len(name) > MAX_SUGGESTED_NAME:
        return []  # no model string is that long: matching it against every record is wasted time
    records = catalog.list_models()
    lowered = name.lower()
    tail = lowered.split("/", 1)[-1]
    scored: list[tuple[int, float, int, str]] = []
    for r in records:
        model_id = r.model_id.lower()
        exact = model_id in (lowered, tail)
        ratio = max(
            difflib.SequenceMatcher(None, tail, model_id).ratio(),
            difflib.SequenceMatcher(None, lowered, r.model.lower()).ratio(),
        )
        if exact or ratio >= 0.75:
            rank = _FIRST_PARTY.index(r.provider) if r.provider in _FIRST_PARTY else len(_FIRST_PARTY)
            scored.append((0 if exact else 1, -round(ratio, 3), rank, r.model))
    scored.sort()
    return [model for *_, model in scored[:5]]


def _unknown_model(catalog: Catalog, model: str) -> int:
    """Say the model is unknown and offer close matches, on stderr; the exit code."""
    shown = model if len(model) <= MAX_SUGGESTED_NAME else f"{model[:60]}... ({len(model):,} characters)"
    _echo_err(f"{PROG}: unknown model {shown!r}")
    prefix = model.split("/", 1)[0]
    for status in catalog.status():
        if status.live and status.source == prefix and not status.count and status.error is None:
            _echo_err(_not_fetched(status.source, status.refresh, catalog.offline))
    suggestions = _suggest(catalog, model)
    if suggestions:
        _echo_err("did you mean: " + ", ".join(suggestions))
    return 1


@cli.command("show")
@click.argument("model")
@_common
@click.pass_context
def show_cmd(
    ctx: click.Context, model: str, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]
) -> int:
    """Every field of one model, with its source, and any conflicts."""
    state, as_json, offline = _state(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    record = catalog.get_model(model)
    if record is None:
        return _unknown_model(catalog, model)
    if as_json:
        click.echo(record.model_dump_json(indent=2))
        return 0
    from ._table import Column
    from .records import MERGEABLE_FIELDS

    click.echo(inert(record.model))
    rows: list[list[str]] = []
    for name in ("model", "provider", "model_id", *MERGEABLE_FIELDS):
        if name == "prices":  # every other rate a source states, one row each, in LiteLLM's names
            rows.extend(
                [inert(key), inert(_show_value(key, value)), inert(record.provenance.get(key, ""))]
                for key, value in sorted((record.prices or {}).items())
            )
            continue
        rows.append([name, inert(_show_value(name, getattr(record, name))), inert(record.provenance.get(name, ""))])
    rows.append(["sources", inert(", ".join(record.sources)), ""])
    rows.append(["fetched_at", record.fetched_at.isoformat() if record.fetched_at else "bundled data only", ""])
    _echo_lines([Column("field"), Column("value", shrink=True), Column("source", drop_rank=1)], rows)
    if record.conflicts:
        click.echo("")
        click.echo("conflicts")
        rows = [
            [c.field, inert(str(c.kept_value)), inert(c.kept_source), inert(str(c.other_value)), inert(c.other_source)]
            for c in record.conflicts
        ]
        columns = [Column("field"), Column("kept"), Column("from"), Column("other", shrink=True), Column("from ")]
        _echo_lines(columns, rows)
    return 0


def _show_value(name: str, value: Any) -> str:
    if value is None:
        return "unknown"
    if "_cost" in name and "token" in name and isinstance(value, (int, float)):
        price = format_price(value)
        if price in ("free", "?"):
            return price if price == "free" else str(value)
        return f"{price} per 1M ({value:.4g} USD/token)"
    if "_cost" in name and isinstance(value, (int, float)):
        unit = name.rsplit("_per_", 1)[-1] if "_per_" in name else "unit"
        return f"${value:g} per {unit.replace('_', ' ')}"
    if name in ("max_input_tokens", "max_output_tokens", "runtime_context_tokens"):
        return f"{format_tokens(value)} ({value:,})" if isinstance(value, int) else str(value)
    if name == "throughput_tokens_per_s" and isinstance(value, (int, float)):
        return f"{value:.1f} tokens/s"
    if name == "first_token_latency_ms" and isinstance(value, (int, float)):
        return f"{value:,.0f} ms"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _not_running(report: Any) -> bool:
    """A local server that is not running: a state, not a failure (named or not)."""
    return report.outcome in ("failed", "stale") and "not running" in (report.error or "")


def _count_option(ctx: click.Context, param: click.Parameter, value: str | None) -> int:
    return 0 if value is None else _parse_tokens(value)


@cli.command("cost")
@click.argument("model")
@click.option(
    "--input",
    "input_tokens",
    metavar="N",
    required=True,
    callback=_count_option,
    help="Prompt tokens billed at the input rate (1200, 1.2k).",
)
@click.option("--output", "output_tokens", metavar="N", callback=_count_option, help="Output tokens.")
@click.option(
    "--cached",
    "cached_tokens",
    metavar="N",
    callback=_count_option,
    help="Prompt tokens read from the cache, on top of --input, at the cache-read rate.",
)
@click.option(
    "--cache-write",
    "cache_write_tokens",
    metavar="N",
    callback=_count_option,
    help="Prompt tokens written to the cache, on top of --input, at the cache-write rate.",
)
@click.option(
    "--cache-ttl",
    type=click.Choice(["5m", "1h"]),
    default="5m",
    show_default=True,
    help="How long the cache writes are kept (1h has its own rate).",
)
@click.option(
    "--reasoning",
    "reasoning_tokens",
    metavar="N",
    callback=_count_option,
    help="Reasoning tokens, on top of --output, at the reasoning rate (the output rate when none is stated).",
)
@click.option("--audio-input", "audio_input", metavar="N", callback=_count_option, help="Prompt audio tokens.")
@click.option("--audio-output", "audio_output", metavar="N", callback=_count_option, help="Output audio tokens.")
@click.option(
    "--service-tier",
    type=click.Choice(["standard", "flex", "priority", "batch"]),
    default="standard",
    show_default=True,
    help="The service tier the call runs on.",
)
@_common
@click.pass_context
def cost_cmd(
    ctx: click.Context,
    model: str,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int,
    cache_write_tokens: int,
    cache_ttl: str,
    reasoning_tokens: int,
    audio_input: int,
    audio_output: int,
    service_tier: str,
    as_json: bool | None,
    offline: bool | None,
    endpoints: dict[str, str],
) -> int:
    """Price one call from the catalog: each part with its rate and tier, and the total, in USD.

    A context tier applies to the whole call once the prompt (input, cached and cache-write tokens)
    passes it. A rate the call needs that no source states exits 1 and names it; it is never
    guessed and never counted as $0.
    """  # fmt: skip
    from .pricing import CallTokens, UnknownPrice, price_call

    state, as_json, offline = _state(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    record = catalog.get_model(model)
    if record is None:
        return _unknown_model(catalog, model)
    tokens = CallTokens(
        input=input_tokens,
        cached=cached_tokens,
        cache_write_5m=cache_write_tokens if cache_ttl == "5m" else 0,
        cache_write_1h=cache_write_tokens if cache_ttl == "1h" else 0,
        output=output_tokens,
        reasoning=reasoning_tokens,
        audio_input=audio_input,
        audio_output=audio_output,
    )
    try:
        bill = price_call(record, tokens, service_tier=service_tier, cache_ttl=cache_ttl)
    except UnknownPrice as exc:
        _echo_err(f"{PROG}: {exc}; no cost given")
        return 1
    if not all(math.isfinite(p.cost) and p.cost >= 0 for p in bill.parts) or not math.isfinite(bill.total):
        _echo_err(f"{PROG}: a price of {record.model} is not a real value; no cost given")
        return 1
    if as_json:
        out = bill.as_dict()
        # The per-part figures of earlier releases, kept for scripts that read them.
        given = dict(input=input_tokens, cached=cached_tokens, output=output_tokens, reasoning=reasoning_tokens)
        for name, count in given.items():
            found = bill.part(name)
            out[f"{name}_tokens"] = count
            out[f"{name}_cost"] = found.cost if found is not None else 0.0
        _print_json(out)
        return 0
    from ._table import Column

    click.echo(inert(record.model))
    rows = [
        [p.part.replace("_", " "), f"{p.tokens:,}", format_price(p.rate) if p.part != "request" else f"${p.rate:g}",
         inert(p.rate_name), f"${p.cost:.6f}"]
        for p in bill.parts
    ]  # fmt: skip
    counted = sum(p.tokens for p in bill.parts if p.part != "request")
    rows.append(["total", f"{counted:,}", "", "", f"${bill.total:.6f}"])
    columns = [
        Column("part"),
        Column("tokens", right=True),
        Column("$/1M", right=True),
        Column("rate", shrink=True, drop_rank=1),
        Column("USD", right=True),
    ]
    _echo_lines(columns, rows)
    for note in bill.notes:
        click.echo(f"note: {note}")
    if service_tier != "standard":
        click.echo(f"service tier: {service_tier}")
    return 0


@cli.command("refresh")
@click.argument("sources", nargs=-1)
@click.option("--force", is_flag=True, help="Accept a listing the guard rails find suspect (the change is real).")
@_common
@click.pass_context
def refresh_cmd(
    ctx: click.Context,
    sources: tuple[str, ...],
    force: bool,
    as_json: bool | None,
    offline: bool | None,
    endpoints: dict[str, str],
) -> int:
    """Fetch sources now (default: every configured one) and show what each did.

    Exits 0 when every source tried is ok or is a local server that is not running; 1 when a
    source you named, or any configured source, failed. Sources set to refresh only when asked
    (``MASSGEN_DISCOVERY_<NAME>_REFRESH=manual``) are fetched only when named.
    """
    state, as_json, offline = _state(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    from rich.text import Text

    console = _console(stderr=True)
    names = list(sources) or None
    if console.is_terminal and not as_json:
        with console.status(Text("refreshing " + inert(", ".join(sources) or "all sources") + " ...")):
            reports = catalog.refresh(names, force=force)
    else:
        reports = catalog.refresh(names, force=force)
    # Exit 1 when a source tried failed (its old data, if any, still served): the README's table.
    failed = [r for r in reports if r.outcome in ("failed", "stale") and not _not_running(r)]
    if as_json:
        _print_json([r.model_dump(mode="json") for r in reports])
    else:
        from ._table import Column

        rows = [
            [
                inert(r.source),
                "not running" if _not_running(r) else r.outcome,
                str(r.count),
                "" if r.changes is None else (f"{r.changes} held" if r.outcome != "ok" else str(r.changes)),
                f"{r.seconds:.2f}",
                inert(r.error or ""),
            ]
            for r in reports
        ]
        columns = [
            Column("source"),
            Column("outcome"),
            Column("models", right=True),
            Column("changes", right=True, drop_rank=2),
            Column("seconds", right=True, drop_rank=1),
            Column("error", shrink=True),
        ]
        _echo_lines(columns, rows)
    return 1 if failed else 0


@cli.command("providers")
@_common
@click.pass_context
def providers_cmd(ctx: click.Context, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]) -> int:
    """Per provider: how it is listed, the env var it needs, last refresh, model count, last error."""
    from .providers import PROVIDERS, ProviderInfo, provider_info

    state, as_json, offline = _state(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    counts: dict[str, int] = {}
    for record in catalog.list_models():
        counts[record.provider] = counts.get(record.provider, 0) + 1
    statuses = {s.source: s for s in catalog.status()}
    shared_problem = catalog.check_shared_store() if catalog.shared_store else None
    live_names = {s.source for s in statuses.values() if s.live}
    rows: list[dict[str, Any]] = []
    # Named endpoints are live sources of their own provider, listed whether or not they answered.
    known_live = {info.live_source for info in PROVIDERS.values()} | {SECOND_OPINION}
    endpoints_live = {
        name: ProviderInfo(name, name, (endpoint_key_var(name),), live_source=name, public_listing=True)
        for name in sorted(live_names - known_live)
    }
    others = sorted((set(counts) | set(endpoints_live)) - set(PROVIDERS))
    for provider in [*PROVIDERS, *others]:
        info = endpoints_live.get(provider) or provider_info(provider)
        status = statuses.get(info.live_source or "")
        listing = info.listing(live_names)
        if status is not None and status.error and not status.count:
            listing = "unreachable"
        rows.append(
            {
                "provider": provider,
                "name": info.display_name,
                "listing": listing,
                "env_var": info.env_vars[0] if info.env_vars else None,
                "last_refresh": status.fetched_at.isoformat() if status and status.fetched_at else None,
                "models": counts.get(provider, 0),
                "error": status.error if status else None,
                "shared_store": catalog.shared_store,
                "shared_store_error": shared_problem,
                "refresh": status.refresh if status is not None else None,
            }
        )
    if as_json:
        _print_json(rows)
        return 0
    from ._table import Column

    table_rows = []
    for row in rows:
        # The table names the variable in its own column, so the listing stays one short word.
        listing = str(row["listing"]).split(" (set ")[0] + (", manual" if row["refresh"] == "manual" else "")
        var = row["env_var"] or ""
        if var and str(row["listing"]).startswith("bundled only (set"):
            var += " (not set)"
        table_rows.append(
            [
                inert(row["provider"]),
                listing,
                var,
                _ago(row["last_refresh"]),
                str(row["models"]),
                inert(str(row["error"] or "").removeprefix(f"{row['provider']}: ")),
            ]
        )
    # Too wide: drop last refresh, then env var; the last error is shortened, never dropped.
    columns = [
        Column("provider"),
        Column("listing"),
        Column("env var", drop_rank=2),
        Column("last refresh", drop_rank=1),
        Column("models", right=True),
        Column("last error", shrink=True),
    ]
    _echo_lines(columns, table_rows)
    if catalog.shared_store:
        problem = shared_problem
        state_note = f" (unusable now: {inert(problem)}; answering from the local copy)" if problem else ""
        click.echo(f"shared with other machines on {inert(catalog.shared_store)}{state_note}")
    return 0


@cli.command("audit")
@click.option("--provider", "-p", help="Only this provider's models.")
@click.option(
    "--field", "field_name", metavar="F", help="Only this field (max_input_tokens, input_cost_per_token ...)."
)
@_common
@click.pass_context
def audit_cmd(
    ctx: click.Context,
    provider: str | None,
    field_name: str | None,
    as_json: bool | None,
    offline: bool | None,
    endpoints: dict[str, str],
) -> int:
    """Every disagreement between sources: limits, prices more than 1% apart, contradicting flags.

    Exits 0 when the sources agree and 1 when they do not, so it can gate a CI job.
    """
    state, as_json, offline = _state(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    found = catalog.audit(provider=provider, field=field_name)
    if as_json:
        _print_json([d.model_dump(mode="json") for d in found])
        return 1 if found else 0
    if not found:
        click.echo("no disagreements" + (" for that selection" if provider or field_name else ""))
        return 0
    from ._table import Column

    rows = [
        [
            inert(d.model),
            inert(d.field),
            inert(", ".join(f"{source} {_change_value(d.field, value)}" for source, value in sorted(d.values.items()))),
            inert(d.kept_source),
        ]
        for d in found
    ]
    _echo_lines([Column("model", shrink=True), Column("field"), Column("values", shrink=True), Column("kept")], rows)
    click.echo(f"{len(found)} disagreement{'s' if len(found) != 1 else ''}")
    return 1


@cli.command("changes")
@click.option("--since", metavar="DATE", help="Only changes at or after DATE (YYYY-MM-DD or an ISO datetime, UTC).")
@click.option("--last", type=click.IntRange(min=1), metavar="N", help="Only the newest N generations.")
@click.option("--provider", "-p", help="Only this provider's models.")
@_common
@click.pass_context
def changes_cmd(
    ctx: click.Context,
    since: str | None,
    last: int | None,
    provider: str | None,
    as_json: bool | None,
    offline: bool | None,
    endpoints: dict[str, str],
) -> int:
    """Models added, removed, and fields changed between accepted generations, newest first.

    Changes a guard rail kept out (a suspect listing) are listed too, marked held.
    """
    if since is not None and last is not None:
        raise click.UsageError("give --since or --last, not both")
    state, as_json, offline = _state(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    changes = catalog.changes(since=since, last=last, provider=provider)
    if as_json:
        from pydantic import TypeAdapter

        from .records import Change

        click.echo(TypeAdapter(list[Change]).dump_json(changes, indent=2).decode())
        return 0
    if not changes:
        click.echo("no changes recorded" + (" for that selection" if since or last or provider else " yet"))
        return 0
    from ._table import Column

    rows = [
        [
            c.at.strftime("%Y-%m-%d %H:%M"),
            f"{c.kind} (held)" if c.held else c.kind,
            inert(c.model),
            inert(c.field or ""),
            "" if c.kind != "changed" else f"{_change_value(c.field, c.old)} -> {_change_value(c.field, c.new)}",
            inert(c.source or ""),
        ]
        for c in changes
    ]
    columns = [
        Column("when", drop_rank=1),
        Column("change"),
        Column("model", shrink=True),
        Column("field"),
        Column("old -> new"),
        Column("source"),
    ]
    _echo_lines(columns, rows)
    held = {c.reason for c in changes if c.held and c.reason}
    for reason in sorted(held):
        click.echo(f"held: {inert(reason)}")
    return 0


def _change_value(name: str | None, value: Any) -> str:
    if value is None:
        return "unknown"
    if name and "_cost" in name and "token" in name:
        return format_price(value)
    if name in ("max_input_tokens", "max_output_tokens") and isinstance(value, int):
        return f"{value:,}"  # exact: 131,072 -> 128,000 must not read 128k -> 128k
    return inert(str(value))


def _ago(iso: str | None) -> str:
    if not iso:
        return "never"
    seconds = (datetime.now(timezone.utc) - datetime.fromisoformat(iso)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return f"{int(seconds)}s ago"


@cli.group("cache")
def cache_group() -> None:
    """Where the cache lives, what it holds, and clearing it."""


@cache_group.command("path")
@_common
@click.pass_context
def cache_path_cmd(ctx: click.Context, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]) -> int:
    """Print the cache directory."""
    from ._store import default_cache_dir

    _, as_json, _ = _state(ctx, as_json, offline, endpoints)
    path = str(default_cache_dir())
    if as_json:
        _print_json({"path": path})
    else:
        click.echo(path)
    return 0


@cache_group.command("info")
@_common
@click.pass_context
def cache_info_cmd(ctx: click.Context, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]) -> int:
    """Size, generations, configurations and the least recently used one, against the cap."""
    from ._generations import UNUSED_SECONDS, cache_cap_bytes
    from ._store import Store

    _, as_json, _ = _state(ctx, as_json, offline, endpoints)
    store = Store()
    info = {**store.info(), "cap_bytes": cache_cap_bytes(), "unused_after_days": UNUSED_SECONDS / 86400}
    store.close()
    if as_json:
        _print_json(info)
        return 0
    oldest = info["oldest"]
    used = datetime.fromtimestamp(oldest["used"], tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if oldest else "-"
    mb = 1 << 20
    click.echo(f"path            {inert(info['path'])}")
    click.echo(
        f"size            {info['bytes_used'] / mb:,.1f} MB in use, {info['bytes_on_disk'] / mb:,.1f} MB on disk"
    )
    click.echo(f"cap             {info['cap_bytes'] / mb:,.0f} MB (MASSGEN_DISCOVERY_CACHE_MAX_MB)")
    click.echo(f"configurations  {info['configurations']}")
    click.echo(f"generations     {info['generations']}")
    click.echo(f"oldest          {oldest['config'] if oldest else '-'} (last used {used})")
    return 0


@cache_group.command("clear")
@click.option("--shared", is_flag=True, help="Also delete the fleet's copy on Redis (MASSGEN_DISCOVERY_REDIS_URL).")
@_common
@click.pass_context
def cache_clear_cmd(
    ctx: click.Context, shared: bool, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]
) -> int:
    """Delete everything cached (the next lookup rebuilds from LiteLLM's map and the sources).

    With MASSGEN_DISCOVERY_REDIS_URL set, the local copy is cleared and the fleet's is kept (the
    next lookup copies it back) unless --shared says to delete it too.
    """
    import os

    from ._store import Store

    _, as_json, _ = _state(ctx, as_json, offline, endpoints)
    url = os.environ.get("MASSGEN_DISCOVERY_REDIS_URL", "").strip()
    if shared and not url:
        raise click.UsageError("--shared needs MASSGEN_DISCOVERY_REDIS_URL")
    store = Store()
    try:
        removed = store.clear()
    except CacheError as exc:
        _echo_err(f"{PROG}: {exc}")
        return 1
    shown = None
    removed_shared: int | None = None
    if url:
        from ._fleet import SharedStore, redact_url

        shown = redact_url(url)
        if shared:
            fleet = SharedStore(store.directory, url)
            removed_shared = fleet.clear_shared()
            fleet.close()
            if removed_shared is None:
                _echo_err(f"{PROG}: cleared {store.directory}, but {shown} did not answer: the fleet's copy is kept")
                return 1
    if as_json:
        out: dict[str, Any] = {"path": str(store.directory), "removed": removed}
        if shown is not None:
            out.update(shared_store=shown, removed_shared=removed_shared)
        _print_json(out)
    else:
        click.echo(f"cleared {removed} entries from {store.directory}")
        if removed_shared is not None:
            click.echo(f"cleared {removed_shared} keys from {inert(shown)}")
        elif shown is not None:
            click.echo(f"the fleet's copy on {inert(shown)} is kept (cache clear --shared deletes it too)")
    return 0


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    state = _State()
    try:
        result = cli.main(args=args, prog_name=PROG, standalone_mode=False, obj=state)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.UsageError as exc:
        no_args = getattr(click.exceptions, "NoArgsIsHelpError", None)
        if no_args is not None and isinstance(exc, no_args):
            click.echo(exc.format_message(), err=True)  # a bare group: its help, as click prints it
            return 2
        where = f"{exc.ctx.command_path}: " if exc.ctx is not None else f"{PROG}: "
        message = "; ".join(line.strip() for line in exc.format_message().splitlines() if line.strip())
        _echo_err(f"{where}{message}")
        return 2
    except ConfigError as exc:
        _echo_err(f"{PROG}: {exc}")
        return 2
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    finally:
        # The answer is printed; let a background revalidation it started finish (bounded by the
        # timeout) so the next run finds fresh data.
        if state.opened is not None:
            state.opened.wait_background()
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
