"""``check``: stale model names in MassGen and LiteLLM proxy configs, as text, JSON or GitHub annotations."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from .base import PROG, cli, common_options, invocation
from .format import echo_err, inert

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..check import CheckReport, Finding


@cli.command("check")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="text (default), json (same as --json), or github (GitHub Actions annotations).",
)
@click.option("--quiet", "-q", is_flag=True, help="Leave out notes (names that could not be checked).")
@common_options
@click.pass_context
def check_cmd(
    ctx: click.Context,
    paths: tuple[str, ...],
    output_format: str | None,
    quiet: bool,
    as_json: bool | None,
    offline: bool | None,
    endpoints: dict[str, str],
) -> int:
    """Check the model names in MassGen and LiteLLM proxy configs (YAML or JSON, files or folders).

    Reports each name that is unknown (with suggestions), retired or deprecated (the date, and the
    successor a source names), no longer listed by its live source, or without a price. Exit 1 when
    a name is unknown or retired (or a file named cannot be read), 0 otherwise.
    """
    from ..check import check_configs

    state, as_json, offline = invocation(ctx, as_json, offline, endpoints)

    def open_catalog(servers: dict[str, str]) -> Catalog:
        state.command_endpoints = {**servers, **state.command_endpoints}
        return state.catalog(offline)

    try:
        report = check_configs(list(paths), open_catalog=open_catalog)
    except FileNotFoundError as exc:
        raise click.BadParameter(f"{exc.args[0]!r} does not exist", param_hint="PATH") from None
    shown = [f for f in report.findings if not (quiet and f.level == "note")]
    fmt = "json" if as_json and output_format is None else output_format or "text"
    if fmt == "json":
        _report_json(report, shown)
    elif fmt == "github":
        for finding in shown:
            click.echo(github_annotation(finding))
    else:
        _print_text(report, shown)
    return 1 if report.failed else 0


def _report_json(report: CheckReport, shown: list[Finding]) -> None:
    counts = _counts(shown)
    data: dict[str, object] = {"files": report.files, "models": report.models, "failed": report.failed, **counts}
    data["findings"] = [f.to_json() for f in shown]
    click.echo(json.dumps(data, indent=2))


def _counts(findings: list[Finding]) -> dict[str, int]:
    return {
        "errors": sum(f.level == "error" for f in findings),
        "warnings": sum(f.level == "warning" for f in findings),
        "notes": sum(f.level == "note" for f in findings),
    }


def _print_text(report: CheckReport, shown: list[Finding]) -> None:
    for f in shown:
        click.echo(inert(f"{f.path}:{f.line}:{f.column}: {f.level}[{f.code}] {f.message}"))
    counts = _counts(shown)
    summary = ", ".join(f"{n} {kind if n != 1 else kind[:-1]}" for kind, n in counts.items() if n) or "no findings"
    checked = f"{report.models:,} model name{'s' if report.models != 1 else ''} in {report.files:,} file"
    checked += "s" if report.files != 1 else ""
    line = f"{PROG} check: {checked}: {summary}"
    if report.failed:
        echo_err(line)
    else:
        click.echo(line, err=True)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(finding: Finding) -> str:
    """One GitHub Actions workflow command (``::error file=...,line=...::message``) for ``finding``."""
    kind = {"error": "error", "warning": "warning", "note": "notice"}[finding.level]
    props = ",".join(
        [
            f"file={_escape_property(finding.path)}",
            f"line={finding.line}",
            f"col={finding.column}",
            f"title={_escape_property(f'{PROG} {finding.code}')}",
        ]
    )
    return f"::{kind} {props}::{_escape_data(inert(finding.message))}"
