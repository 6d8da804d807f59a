"""``list`` and ``show``: the catalog's records, with why an answer is empty and suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..records import ModelRecord
from .._domain.display import format_price, format_tokens, show_value
from .base import PROG, cli, common_options, invocation, tokens_option
from .format import echo_err, echo_lines, flag_labels, inert, print_records_json


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
@click.option("--min-context", metavar="N", callback=tokens_option, help="Smallest context window (128000 or 128k).")
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
@common_options
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
    state, as_json, offline = invocation(ctx, as_json, offline, endpoints)
    from ..answers import ListQuestion

    question = ListQuestion(
        providers=providers,
        flags=_asked(tools, vision, structured_output, reasoning, prompt_caching, pdf, audio_input),
        mode=mode,
        min_context=min_context,
        max_input_cost=max_input_cost,
        max_output_cost=max_output_cost,
        available=available,
        include_unknown=include_unknown,
        sort=sort,
        terms=terms,
    )
    catalog = state.catalog(offline)
    matched = catalog.find_models(**question.criteria())
    records = matched if limit is None else matched[:limit]
    if as_json:
        print_records_json(records)
    elif records:
        _print_table(records, len(matched))
    _explain_failures(catalog, list(providers), list(endpoints) + list(state.endpoints))
    if not records:
        click.echo("no models match", err=True)
        return 1
    return 0


_FLAGS = ("tools", "vision", "structured_output", "reasoning", "prompt_caching", "pdf", "audio_input")


def _asked(*given: bool) -> tuple[tuple[str, bool], ...]:
    """The capability flags given on the command line (in :data:`_FLAGS`' order), each wanted True."""
    return tuple((name, True) for name, wanted in zip(_FLAGS, given, strict=True) if wanted)


def _explain_failures(catalog: Catalog, providers: list[str], endpoints: list[str]) -> None:
    """One stderr line per live source the list needed that failed: its name and why."""
    from ..providers import provider_info

    wanted = {provider_info(p).live_source or p for p in providers} | set(endpoints)
    if not wanted:
        return  # a list over every provider needs no one source in particular
    for status in catalog.status():
        if not status.live or status.count or status.source not in wanted:
            continue
        if status.error is not None:
            error = status.error
            echo_err(error if error.startswith(f"{status.source}:") else f"{status.source}: {error}")
        elif status.fetched_at is None:
            echo_err(_not_fetched(status.source, status.refresh, catalog.offline))


def _not_fetched(source: str, mode: str, offline: bool) -> str:
    """Why a live source has nothing yet, and the command that fetches it."""
    why = "refreshes only when asked" if mode == "manual" else "not fetched yet (offline)" if offline else "no data"
    return f"{source}: {why}; run: {PROG} refresh {source}"


def _print_table(records: Sequence[ModelRecord], matched: int) -> None:
    from .table import Column

    shown_modes = {r.mode for r in records}
    columns = [
        # Too wide for the terminal: drop provider (the model string starts with it), then max
        # out, flags and mode; then shorten the model column. Prices and contexts are never cut.
        Column("model", key=True),
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
            flag_labels(r),
        ]
        for r in records
    ]
    if len(shown_modes) <= 1:  # a mode column only says something when modes differ
        columns.pop(2)
        for row in rows:
            row.pop(2)
    echo_lines(columns, rows)
    if len(records) < matched:
        click.echo(f"showing {len(records):,} of {matched:,} models")


def _suggest(catalog: Catalog, name: str) -> list[str]:
    from ..answers import suggest

    return suggest(catalog, name)


def unknown_model(catalog: Catalog, model: str) -> int:
    """Say the model is unknown and offer close matches, on stderr; the exit code."""
    from ..answers import empty_serving_sources, shown_name

    echo_err(f"{PROG}: unknown model {shown_name(model)!r}")
    for status in empty_serving_sources(catalog, model):
        if status.error is not None:  # the source that serves this name did not answer: say so
            error = status.error
            echo_err(error if error.startswith(f"{status.source}:") else f"{status.source}: {error}")
        else:
            echo_err(_not_fetched(status.source, status.refresh, catalog.offline))
    suggestions = _suggest(catalog, model)
    if suggestions:
        echo_err("did you mean: " + ", ".join(suggestions))
    return 1


@cli.command("show")
@click.argument("model")
@common_options
@click.pass_context
def show_cmd(
    ctx: click.Context, model: str, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]
) -> int:
    """Every field of one model, with its source, and any conflicts."""
    state, as_json, offline = invocation(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    record = catalog.get_model(model)
    if record is None:
        return unknown_model(catalog, model)
    if as_json:
        click.echo(record.model_dump_json(indent=2))
        return 0
    from ..records import MERGEABLE_FIELDS
    from .table import Column

    click.echo(inert(record.model))
    rows: list[list[str]] = []
    for name in ("model", "provider", "model_id", *MERGEABLE_FIELDS):
        if name == "prices":  # every other rate a source states, one row each, in LiteLLM's names
            rows.extend(
                [inert(key), inert(show_value(key, value)), inert(record.provenance.get(key, ""))]
                for key, value in sorted((record.prices or {}).items())
            )
            continue
        rows.append([name, inert(show_value(name, getattr(record, name))), inert(record.provenance.get(name, ""))])
    rows.append(["sources", inert(", ".join(record.sources)), ""])
    rows.append(["fetched_at", record.fetched_at.isoformat() if record.fetched_at else "bundled data only", ""])
    echo_lines([Column("field", key=True), Column("value", wrap=True), Column("source", key=True)], rows)
    if record.conflicts:
        click.echo("")
        click.echo("conflicts")
        rows = [
            [c.field, inert(str(c.kept_value)), inert(c.kept_source), inert(str(c.other_value)), inert(c.other_source)]
            for c in record.conflicts
        ]
        columns = [
            Column("field", key=True),
            Column("kept", wrap=True),
            Column("from", key=True),
            Column("other", wrap=True),
            Column("from ", key=True),
        ]
        echo_lines(columns, rows)
    return 0
