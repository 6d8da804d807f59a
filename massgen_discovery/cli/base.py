"""The command group, its shared options (``--json``, ``--offline``, ``--endpoint``) and token arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ..catalog import Catalog


PROG = "massgen-discovery"


_F = TypeVar("_F", bound=Callable[..., Any])


def _parse_tokens(text: str) -> int:
    """A whole, finite, non-negative token count (``128k``), or click's usage error naming it."""
    from ..answers import parse_token_count

    try:
        return parse_token_count(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def tokens_option(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """A click callback: ``128000``, ``128k`` or ``1M`` as a token count (None when not given)."""
    return None if value is None else _parse_tokens(value)


def _endpoints(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise click.BadParameter(f"{value!r} is not NAME=URL (e.g. vllm=http://localhost:8000/v1)")
        out[name.strip()] = url.strip()
    return out


def common_options(func: _F) -> _F:
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


class Invocation:
    """One run of the command line: the group's options, and the catalog the command opened."""

    def __init__(
        self, as_json: bool = False, offline: bool | None = None, endpoints: dict[str, str] | None = None
    ) -> None:
        self.as_json = as_json
        self.offline = offline
        self.endpoints = endpoints or {}
        self.command_endpoints: dict[str, str] = {}
        self.opened: Catalog | None = None
        self.prefetch = False
        """Whether the command's catalog fetches sources never tried in the background (serve does)."""

    def catalog(self, offline: bool | None) -> Catalog:
        """The command's catalog (ConfigError when a refresh-mode variable holds neither mode)."""
        import os

        from .._orchestration.state import refresh_mode_problems
        from ..catalog import Catalog
        from ..errors import ConfigError

        problems = refresh_mode_problems(os.environ)
        if problems:  # the library warns and uses auto; a command says so and stops (exit 2)
            raise ConfigError(problems[0])

        endpoints = {**self.endpoints, **self.command_endpoints}
        # A command answers and exits: a background first fetch would die with it (a question that
        # needs a source never tried waits for it all the same).
        self.opened = Catalog(
            offline=True if (offline or self.offline) else None, endpoints=endpoints, prefetch=self.prefetch
        )
        return self.opened


def invocation(
    ctx: click.Context, as_json: bool | None, offline: bool | None, endpoints: dict[str, str] | None = None
) -> tuple[Invocation, bool, bool | None]:
    """The invocation, and whether the command prints JSON and runs offline (its own options or the group's)."""
    state: Invocation = ctx.find_object(Invocation) or Invocation(False, None)
    state.command_endpoints = endpoints or {}
    return state, bool(as_json or state.as_json), True if (offline or state.offline) else None


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
    state = ctx.ensure_object(Invocation)
    state.as_json, state.offline, state.endpoints = as_json, offline, endpoints


def count_option(ctx: click.Context, param: click.Parameter, value: str | None) -> int:
    """A click callback: a token count as :func:`tokens_option` reads it, 0 when not given."""
    return 0 if value is None else _parse_tokens(value)
