"""``serve``: the catalog over HTTP (the extra ``massgen_discovery[serve]``)."""

from __future__ import annotations

import click

from .base import PROG, cli, common_options, invocation
from .format import echo_err, inert


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless told).")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port to bind.")
@common_options
@click.pass_context
def serve_cmd(
    ctx: click.Context, host: str, port: int, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]
) -> int:
    """Serve the catalog: a JSON API, LiteLLM / models.dev / OpenRouter mirrors, pages and a feed.

    The same catalog and store as every other command (refresh rules, background refresh, the
    fleet store on Redis). POST /v1/refresh needs MASSGEN_DISCOVERY_SERVE_TOKEN.
    """
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        echo_err(f"{PROG}: serve needs the serve extra: pip install 'massgen_discovery[serve]'")
        return 2
    from ..serve import create_app

    state, _as_json, offline = invocation(ctx, as_json, offline, endpoints)
    state.prefetch = True  # a long-lived process: sources never tried are fetched in the background
    catalog = state.catalog(offline)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving the catalog on http://{inert(shown)}:{port}/ (Ctrl-C stops)", err=True)
    config = uvicorn.Config(
        create_app(catalog), host=host, port=port, log_level="warning", access_log=False, server_header=False
    )
    server = uvicorn.Server(config)
    server.run()
    catalog.close()
    return 0 if server.started else 1
