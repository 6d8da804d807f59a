"""``history``: how a model's prices moved, from its sources' dated prices and the catalog's own changes."""

from __future__ import annotations

import click

from .._domain.display import format_price
from .base import cli, common_options, invocation
from .format import inert, print_json
from .lookup import unknown_model


@cli.command("history")
@click.argument("model")
@click.option("--field", "field_name", metavar="F", help="One rate (input_cost_per_token, ...).")
@common_options
@click.pass_context
def history_cmd(
    ctx: click.Context,
    model: str,
    field_name: str | None,
    as_json: bool | None,
    offline: bool | None,
    endpoints: dict[str, str],
) -> int:
    """A model's price points, oldest first: each rate's value, from when to when, and its source."""
    state, as_json, offline = invocation(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    record = catalog.get_model(model)
    if record is None:
        return unknown_model(catalog, model)
    points = catalog.price_history(record.model, field=field_name)
    if as_json:
        print_json(points)
        return 0 if points else 1
    if not points:
        click.echo(f"no price points for {inert(record.model)}" + (f" ({inert(field_name)})" if field_name else ""))
        return 1
    from .table import Column

    click.echo(inert(record.model))
    rows = [
        [
            inert(p["field"]),
            format_price(p["value"]) if "token" in p["field"] else f"${p['value']:g}",
            inert((p["from"] or "")[:16]) or "-",
            inert((p["to"] or "")[:16]) or "now",
            inert(p["source"] or ""),
        ]
        for p in points
    ]
    columns = [
        Column("field", key=True),
        Column("$/1M", right=True),
        Column("from"),
        Column("to"),
        Column("source", key=True),
    ]
    from .format import echo_lines

    echo_lines(columns, rows)
    return 0
