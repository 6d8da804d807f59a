"""``refresh`` and ``providers``: the sources, their state and their exit codes."""

from __future__ import annotations

from typing import Any

import click

from .base import cli, common_options, invocation
from .format import ago, echo_lines, inert, print_json, rich_console


def _not_running(report: Any) -> bool:
    """A local server that is not running: a state, not a failure (named or not)."""
    return bool(report.outcome == "not_running")


@cli.command("refresh")
@click.argument("sources", nargs=-1)
@click.option("--force", is_flag=True, help="Accept a listing the guard rails find suspect (the change is real).")
@common_options
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
    (MASSGEN_DISCOVERY_<NAME>_REFRESH=manual) are fetched only when named.
    """
    state, as_json, offline = invocation(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    from rich.text import Text

    console = rich_console(stderr=True)
    names = list(sources) or None
    if console.is_terminal and not as_json:
        with console.status(Text("refreshing " + inert(", ".join(sources) or "all sources") + " ...")):
            reports = catalog.refresh(names, force=force)
    else:
        reports = catalog.refresh(names, force=force)
    # Exit 1 when a source tried failed (its old data, if any, still served): the README's table.
    failed = [r for r in reports if r.outcome in ("failed", "stale") and not _not_running(r)]
    if as_json:
        print_json([r.model_dump(mode="json") for r in reports])
    else:
        from .table import Column

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
        echo_lines(columns, rows)
    return 1 if failed else 0


@cli.command("providers")
@common_options
@click.pass_context
def providers_cmd(ctx: click.Context, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]) -> int:
    """Per provider: how it is listed, the env var it needs, last refresh, model count, last error."""
    from ..answers import providers_answer

    state, as_json, offline = invocation(ctx, as_json, offline, endpoints)
    catalog = state.catalog(offline)
    rows = providers_answer(catalog)
    shared_problem = rows[0]["shared_store_error"] if rows else None
    if as_json:
        print_json(rows)
        return 0
    from .table import Column

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
                ago(row["last_refresh"]),
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
    echo_lines(columns, table_rows)
    if catalog.shared_store:
        problem = shared_problem
        state_note = f" (unusable now: {inert(problem)}; answering from the local copy)" if problem else ""
        click.echo(f"shared with other machines on {inert(catalog.shared_store)}{state_note}")
    return 0
