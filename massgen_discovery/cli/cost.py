"""``cost``: what a call costs, through the price engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from .._domain.display import format_price
from .._domain.pricing import CACHE_TTLS, SERVICE_TIERS
from .base import PROG, cli, common_options, count_option, invocation
from .format import echo_err, echo_lines, inert, print_json
from .lookup import unknown_model


def _instant_option(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        from ..answers import parse_instant

        return parse_instant(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command("cost")
@click.argument("model")
@click.option(
    "--input",
    "input_tokens",
    metavar="N",
    required=True,
    callback=count_option,
    help="Prompt tokens billed at the input rate (1200, 1.2k).",
)
@click.option("--output", "output_tokens", metavar="N", callback=count_option, help="Output tokens.")
@click.option(
    "--cached",
    "cached_tokens",
    metavar="N",
    callback=count_option,
    help="Prompt tokens read from the cache, on top of --input, at the cache-read rate.",
)
@click.option(
    "--cache-write",
    "cache_write_tokens",
    metavar="N",
    callback=count_option,
    help="Prompt tokens written to the cache, on top of --input, at the cache-write rate.",
)
@click.option(
    "--cache-ttl",
    type=click.Choice(list(CACHE_TTLS)),
    default="5m",
    show_default=True,
    help="How long the cache writes are kept (1h and 12h have their own rates).",
)
@click.option(
    "--reasoning",
    "reasoning_tokens",
    metavar="N",
    callback=count_option,
    help="Reasoning tokens, on top of --output, at the reasoning rate (the output rate when none is stated).",
)
@click.option("--audio-input", "audio_input", metavar="N", callback=count_option, help="Prompt audio tokens.")
@click.option("--audio-output", "audio_output", metavar="N", callback=count_option, help="Output audio tokens.")
@click.option(
    "--service-tier",
    type=click.Choice(list(SERVICE_TIERS)),
    default="standard",
    show_default=True,
    help="The service tier the call runs on.",
)
@click.option(
    "--at",
    "at",
    metavar="ISO-8601",
    callback=_instant_option,
    help="Price at the rates in effect then (2026-11-15T03:00:00Z): dated prices, time-of-day bands. Default: now.",
)
@click.option(
    "--region",
    metavar="R",
    help="Where the call is served (eu, us, fedramp, a Vertex location): the uplift a source states.",
)
@common_options
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
    at: datetime | None,
    region: str | None,
    as_json: bool | None,
    offline: bool | None,
    endpoints: dict[str, str],
) -> int:
    """Price one call from the catalog: each part with its rate and tier, and the total, in USD.

    A context tier applies to the whole call once the prompt (input, cached and cache-write tokens)
    passes it. A rate the call needs that no source states exits 1 and names it; it is never
    guessed and never counted as $0.
    """  # fmt: skip
    from ..answers import CostQuestion, CostUnknown, cost_answer

    state, as_json, offline = invocation(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    record = catalog.get_model(model)
    if record is None:
        return unknown_model(catalog, model)
    question = CostQuestion(
        input=input_tokens,
        output=output_tokens,
        cached=cached_tokens,
        cache_write=cache_write_tokens,
        cache_ttl=cache_ttl,
        reasoning=reasoning_tokens,
        audio_input=audio_input,
        audio_output=audio_output,
        service_tier=service_tier,
        at=at,
        region=region,
    )
    try:
        out = cost_answer(record, question)
    except CostUnknown as exc:
        echo_err(f"{PROG}: {exc}; no cost given")
        return 1
    if as_json:
        print_json(out)
        return 0
    _print_bill(record.model, out)
    if service_tier != "standard":
        click.echo(f"service tier: {service_tier}")
    return 0


def _print_bill(model: str, out: dict[str, Any]) -> None:
    """A priced call as a table: each part with its tokens, rate and cost, then the total and the notes."""
    from .table import Column

    click.echo(inert(model))
    parts = out["parts"]
    rows = [
        [p["part"].replace("_", " "), f"{p['tokens']:,}",
         format_price(p["rate"]) if p["part"] != "request" else f"${p['rate']:g}", inert(p["rate_name"]),
         f"${p['cost']:.6f}"]
        for p in parts
    ]  # fmt: skip
    counted = sum(p["tokens"] for p in parts if p["part"] != "request")
    rows.append(["total", f"{counted:,}", "", "", f"${out['total']:.6f}"])
    columns = [
        Column("part"),
        Column("tokens", right=True),
        Column("$/1M", right=True),
        Column("rate", shrink=True, drop_rank=1),
        Column("USD", right=True),
    ]
    echo_lines(columns, rows)
    for note in out["notes"]:
        click.echo(f"note: {note}")
