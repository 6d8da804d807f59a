"""``massgen-discovery``: list, show, refresh, providers, cache.

A thin layer over :class:`~massgen_discovery.Catalog`: :func:`run` takes argv and returns the exit
code (0 ok, 1 nothing found or model unknown, 2 bad usage), :func:`main` exits with it. ``--json``
prints the records' own JSON (``ModelRecord.model_dump(mode="json")``).
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .errors import CacheError, ConfigError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from .catalog import Catalog
    from .records import ModelRecord

__all__ = ["format_price", "format_tokens", "inert", "main", "run"]

PROG = "massgen-discovery"
_F = TypeVar("_F", bound=Callable[..., Any])

_FLAG_LABELS = {
    "supports_function_calling": "tools",
    "supports_vision": "vision",
    "supports_response_schema": "json",
    "supports_reasoning": "reasoning",
    "supports_prompt_caching": "cache",
    "supports_audio_input": "audio",
    "supports_pdf_input": "pdf",
}


_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


def inert(text: object) -> str:
    r"""Text from upstream made safe for a terminal: control characters escaped (``\x1b``, ``\n``).

    C0, DEL, C1 and the invisible direction and separator characters are shown as escapes, so an
    id cannot colour, retitle or clear the terminal, open a hyperlink or forge a table row.
    """
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def _add_row(table: Table, *cells: object) -> None:
    """Add a row of inert text: rich markup in a cell is shown as typed, never interpreted."""
    from rich.text import Text

    table.add_row(*(Text(inert(cell)) for cell in cells))


def _echo_err(message: str) -> None:
    click.echo(inert(message), err=True)


def format_tokens(value: int | None) -> str:
    """``128000`` -> ``128k``, ``1048576`` -> ``1.05M``; unknown -> ``?``."""
    if value is None:
        return "?"
    if not isinstance(value, int) or not 0 <= value < 10**12:
        return "?"  # not a real limit (the store keeps such values out; overrides may not)
    if value >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if value >= 1_000:
        return f"{value / 1_000:.3g}k" if value < 100_000 else f"{round(value / 1_000)}k"
    return str(value)


def format_price(per_token: float | None) -> str:
    """USD per token -> ``$`` per 1M tokens (``$0.15``, ``$0.075``); 0 -> ``free``; unknown -> ``?``."""
    if per_token is None or not isinstance(per_token, (int, float)) or not 0 <= per_token < 1e6:
        return "?"  # unknown, or not a real price (NaN, infinite, negative)
    if per_token == 0:
        return "free"
    per_million = round(per_token * 1_000_000, 6)
    # Cents when they say it all ($0.50, $15.00), more digits when they do not ($0.075).
    return f"${per_million:,.2f}" if round(per_million, 2) == per_million else f"${per_million:,.4g}"


def _flags(record: ModelRecord) -> str:
    return " ".join(label for name, label in _FLAG_LABELS.items() if getattr(record, name) is True)


def _parse_tokens(text: str) -> int:
    raw = text.strip().lower().replace("_", "").replace(",", "")
    scale = 1
    if raw.endswith("k"):
        scale, raw = 1_000, raw[:-1]
    elif raw.endswith("m"):
        scale, raw = 1_000_000, raw[:-1]
    try:
        value = float(raw) * scale
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a token count (try 128000 or 128k)") from None
    if value < 0:
        raise click.BadParameter("must not be negative")
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


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _records_json(records: Sequence[ModelRecord]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in records]


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


@cli.command("list")
@click.option("--provider", "-p", "providers", multiple=True, help="LiteLLM provider id (repeatable).")
@click.option("--tools", is_flag=True, help="Tool / function calling.")
@click.option("--vision", is_flag=True, help="Image input.")
@click.option("--structured-output", is_flag=True, help="JSON-schema structured output.")
@click.option("--reasoning", is_flag=True, help="Reasoning / thinking.")
@click.option("--mode", help="LiteLLM mode: chat, embedding, completion, ...")
@click.option("--min-context", metavar="N", callback=_tokens_option, help="Smallest context window (128000 or 128k).")
@click.option("--max-input-cost", type=click.FloatRange(min=0), metavar="USD_PER_1M", help="Highest input price.")
@click.option("--max-output-cost", type=click.FloatRange(min=0), metavar="USD_PER_1M", help="Highest output price.")
@click.option("--available", is_flag=True, help="Only models a live source listed at its last refresh.")
@click.option("--include-unknown", is_flag=True, help="Let unknown values pass the filters.")
@click.option("--sort", type=click.Choice(["price", "context", "name"]), default="name", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), help="Print at most N models.")
@click.option(
    "-q", "terms", multiple=True, metavar="TERM", help="Substring of the model string (repeatable, all must match)."
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
    mode: str | None,
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
    """List models matching every filter given."""
    state, as_json, offline = _state(ctx, as_json, offline, endpoints)
    criteria: dict[str, Any] = {
        "providers": list(providers) or None,
        "mode": mode,
        "min_context": min_context,
        "max_input_cost": max_input_cost,
        "max_output_cost": max_output_cost,
        "available": True if available else None,
        "query": list(terms),
        "include_unknown": include_unknown,
        "sort": sort,
        "limit": limit,
    }
    for flag, name in (
        (tools, "tools"),
        (vision, "vision"),
        (structured_output, "structured_output"),
        (reasoning, "reasoning"),
    ):
        if flag:
            criteria[name] = True
    records = state.catalog(offline).find_models(**criteria)
    if as_json:
        _print_json(_records_json(records))
    elif records:
        _print_table(records)
    if not records:
        click.echo("no models match", err=True)
        return 1
    return 0


def _print_table(records: Sequence[ModelRecord]) -> None:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("model", no_wrap=True)
    table.add_column("provider", no_wrap=True)
    table.add_column("context", justify="right")
    table.add_column("max out", justify="right")
    table.add_column("$/1M in", justify="right")
    table.add_column("$/1M out", justify="right")
    table.add_column("flags")
    for r in records:
        _add_row(
            table,
            r.model,
            r.provider,
            format_tokens(r.max_input_tokens),
            format_tokens(r.max_output_tokens),
            format_price(r.input_cost_per_token),
            format_price(r.output_cost_per_token),
            _flags(r),
        )
    _console().print(table)


def _suggest(catalog: Catalog, name: str) -> list[str]:
    records = catalog.list_models()
    by_id: dict[str, str] = {}
    for r in records:
        by_id.setdefault(r.model_id.lower(), r.model)
    keys = [r.model for r in records]
    lowered = name.lower()
    close = difflib.get_close_matches(lowered, [k.lower() for k in keys], n=5, cutoff=0.75)
    tail = lowered.split("/", 1)[-1]
    close += [by_id[k] for k in difflib.get_close_matches(tail, list(by_id), n=5, cutoff=0.75)]
    lower_to_key = {k.lower(): k for k in keys}
    found = [lower_to_key.get(c, c) for c in close]
    return list(dict.fromkeys(found))[:5]


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
        click.echo(f"{PROG}: unknown model {model!r}", err=True)
        suggestions = _suggest(catalog, model)
        if suggestions:
            _echo_err("did you mean: " + ", ".join(suggestions))
        return 1
    if as_json:
        _print_json(record.model_dump(mode="json"))
        return 0
    from rich.table import Table
    from rich.text import Text

    from .records import MERGEABLE_FIELDS

    table = Table(box=None, pad_edge=False, header_style="bold", title=Text(inert(record.model)), title_justify="left")
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    table.add_column("source", no_wrap=True)
    for name in ("model", "provider", "model_id", *MERGEABLE_FIELDS):
        value = getattr(record, name)
        _add_row(table, name, _show_value(name, value), record.provenance.get(name, ""))
    _add_row(table, "sources", ", ".join(record.sources), "")
    _add_row(table, "fetched_at", record.fetched_at.isoformat() if record.fetched_at else "bundled data only", "")
    console = _console()
    console.print(table)
    if record.conflicts:
        conflicts = Table(box=None, pad_edge=False, header_style="bold", title="conflicts", title_justify="left")
        for column in ("field", "kept", "from", "other", "from "):
            conflicts.add_column(column)
        for c in record.conflicts:
            _add_row(conflicts, c.field, str(c.kept_value), c.kept_source, str(c.other_value), c.other_source)
        console.print(conflicts)
    return 0


def _show_value(name: str, value: Any) -> str:
    if value is None:
        return "unknown"
    if name.endswith("_cost_per_token") or name.endswith("_token_cost"):
        try:
            return f"{value:g} USD/token ({format_price(value)}/1M)"
        except (OverflowError, ValueError, TypeError):
            return str(value)
    if name in ("max_input_tokens", "max_output_tokens", "runtime_context_tokens"):
        return f"{value} ({format_tokens(value)})"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


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
    """Fetch sources now (default: all) and show what each did."""
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
    if as_json:
        _print_json([r.model_dump(mode="json") for r in reports])
    else:
        from rich.table import Table

        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("source", "outcome", "models", "seconds", "error"):
            table.add_column(column)
        for r in reports:
            _add_row(table, r.source, r.outcome, str(r.count), f"{r.seconds:.2f}", r.error or "")
        _console().print(table)
    return 1 if any(r.outcome == "failed" for r in reports) else 0


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
    live_names = {s.source for s in statuses.values() if s.live}
    rows: list[dict[str, Any]] = []
    # Named endpoints are live sources of their own provider, listed whether or not they answered.
    known_live = {info.live_source for info in PROVIDERS.values()}
    endpoints_live = {
        name: ProviderInfo(
            name, name, (f"MASSGEN_DISCOVERY_{name.upper()}_API_KEY",), live_source=name, public_listing=True
        )
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
            }
        )
    if as_json:
        _print_json(rows)
        return 0
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("provider", "listing", "env var", "last refresh", "models"):
        table.add_column(column, no_wrap=True)
    table.add_column("last error", overflow="fold")
    for row in rows:
        # The table names the variable in its own column, so the listing stays one short word.
        listing = str(row["listing"]).split(" (set ")[0]
        var = row["env_var"] or ""
        if var and str(row["listing"]).startswith("bundled only (set"):
            var += " (not set)"
        _add_row(
            table, str(row["provider"]), listing, var, _ago(row["last_refresh"]), str(row["models"]), row["error"] or ""
        )
    _console().print(table)
    return 0


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
    """Where the cache lives, and clearing it."""


@cache_group.command("path")
@_common
@click.pass_context
def cache_path_cmd(ctx: click.Context, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]) -> int:
    """Print the cache directory."""
    from .store import default_cache_dir

    _, as_json, _ = _state(ctx, as_json, offline, endpoints)
    path = str(default_cache_dir())
    if as_json:
        _print_json({"path": path})
    else:
        click.echo(path)
    return 0


@cache_group.command("clear")
@_common
@click.pass_context
def cache_clear_cmd(ctx: click.Context, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]) -> int:
    """Delete everything cached (the next lookup rebuilds from LiteLLM's map and the sources)."""
    from .store import Store

    _, as_json, _ = _state(ctx, as_json, offline, endpoints)
    store = Store()
    try:
        removed = store.clear()
    except CacheError as exc:
        _echo_err(f"{PROG}: {exc}")
        return 1
    if as_json:
        _print_json({"path": str(store.directory), "removed": removed})
    else:
        click.echo(f"cleared {removed} entries from {store.directory}")
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
