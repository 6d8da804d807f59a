"""``changes`` and ``audit``: what generations changed, and where sources disagree."""

from __future__ import annotations

import click

from .base import cli, common_options, invocation
from .format import change_value, echo_lines, inert, print_json


@cli.command("audit")
@click.option("--provider", "-p", help="Only this provider's models.")
@click.option(
    "--field", "field_name", metavar="F", help="Only this field (max_input_tokens, input_cost_per_token ...)."
)
@common_options
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
    state, as_json, offline = invocation(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    found = catalog.audit(provider=provider, field=field_name)
    if as_json:
        print_json([d.model_dump(mode="json") for d in found])
        return 1 if found else 0
    if not found:
        click.echo("no disagreements" + (" for that selection" if provider or field_name else ""))
        return 0
    from .table import Column

    rows = [
        [
            inert(d.model),
            inert(d.field),
            inert(
                ", ".join(
                    f"{source} {change_value(d.field, value)}{' (kept)' if source == d.kept_source else ''}"
                    for source, value in sorted(d.values.items())
                )
            ),
        ]
        for d in found
    ]
    # The kept value is marked in its cell: at 80 columns the model and the field stay whole.
    columns = [Column("model", key=True), Column("field", key=True), Column("values", wrap=True)]
    echo_lines(columns, rows)
    click.echo(f"{len(found)} disagreement{'s' if len(found) != 1 else ''}")
    return 1


@cli.command("changes")
@click.option("--since", metavar="DATE", help="Only changes at or after DATE (YYYY-MM-DD or an ISO datetime, UTC).")
@click.option("--last", type=click.IntRange(min=1), metavar="N", help="Only the newest N generations.")
@click.option("--provider", "-p", help="Only this provider's models.")
@common_options
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
    state, as_json, offline = invocation(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    changes = catalog.changes(since=since, last=last, provider=provider)
    if as_json:
        from pydantic import TypeAdapter

        from ..records import Change

        click.echo(TypeAdapter(list[Change]).dump_json(changes, indent=2).decode())
        return 0
    if not changes:
        click.echo("no changes recorded" + (" for that selection" if since or last or provider else " yet"))
        return 0
    from .table import Column

    rows = [
        [
            c.at.strftime("%Y-%m-%d %H:%M"),
            f"{c.kind} (held)" if c.held else c.kind,
            inert(c.model),
            inert(c.field or ""),
            "" if c.kind != "changed" else f"{change_value(c.field, c.old)} -> {change_value(c.field, c.new)}",
            inert(c.source or ""),
        ]
        for c in changes
    ]
    columns = [
        Column("when", drop_rank=1),
        Column("change"),
        Column("model", key=True),
        Column("field"),
        Column("old -> new", wrap=True),
        Column("source", key=True),
    ]
    echo_lines(columns, rows)
    held = {c.reason for c in changes if c.held and c.reason}
    for reason in sorted(held):
        click.echo(f"held: {inert(reason)}")
    return 0
