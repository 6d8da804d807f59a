"""``run(argv)`` and the console script: every command group registered on the group."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..errors import ConfigError
from . import cache, check, cost, history, lookup, prices, serve, sources  # noqa: F401 - registers the commands
from .base import PROG, Invocation, cli
from .format import echo_err


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    state = Invocation()
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
        echo_err(f"{where}{message}")
        return 2
    except ConfigError as exc:
        echo_err(f"{PROG}: {exc}")
        return 2
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    finally:
        # The answer is printed; let a background revalidation it started finish (bounded by the
        # timeout) so the next run finds fresh data.
        if state.opened is not None:
            state.opened.wait_background()
            # The worker thread ends before the interpreter does: an exit never meets it mid-work.
            state.opened.close(wait=False)
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
