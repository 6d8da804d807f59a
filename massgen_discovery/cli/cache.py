"""``cache path``, ``cache info`` and ``cache clear``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import click

from ..errors import CacheError
from .base import PROG, cli, common_options, invocation
from .format import echo_err, inert, print_json


@cli.group("cache")
def cache_group() -> None:
    """Where the cache lives, what it holds, and clearing it."""


@cache_group.command("path")
@common_options
@click.pass_context
def cache_path_cmd(ctx: click.Context, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]) -> int:
    """Print the cache directory."""
    from .._persistence.disk import default_cache_dir

    _, as_json, _ = invocation(ctx, as_json, offline, endpoints)
    path = str(default_cache_dir())
    if as_json:
        print_json({"path": path})
    else:
        click.echo(path)
    return 0


@cache_group.command("info")
@common_options
@click.pass_context
def cache_info_cmd(ctx: click.Context, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]) -> int:
    """Size, generations, configurations and the least recently used one, against the cap."""
    from .._orchestration.generations import UNUSED_SECONDS
    from .._persistence.disk import cache_cap_bytes
    from .._persistence.store import Store

    _, as_json, _ = invocation(ctx, as_json, offline, endpoints)
    store = Store()
    info = {**store.info(), "cap_bytes": cache_cap_bytes(), "unused_after_days": UNUSED_SECONDS / 86400}
    store.close()
    if as_json:
        print_json(info)
        return 0
    oldest = info["oldest"]
    used = datetime.fromtimestamp(oldest["used"], tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if oldest else "-"
    mb = 1 << 20
    click.echo(f"path            {inert(info['path'])}")
    click.echo(
        f"size            {info['bytes_used'] / mb:,.1f} MB in use, {info['bytes_on_disk'] / mb:,.1f} MB on disk"
    )
    click.echo(f"cap             {info['cap_bytes'] / mb:,.0f} MB (MASSGEN_DISCOVERY_CACHE_MAX_MB)")
    click.echo(f"configurations  {info['configurations']}")
    click.echo(f"generations     {info['generations']}")
    if oldest:
        made_of = ", ".join(oldest.get("sources") or []) or "no sources"
        click.echo(inert(f"oldest          {made_of} (id {oldest['config']}, last used {used})"))
    else:
        click.echo("oldest          -")
    return 0


@cache_group.command("clear")
@click.option("--shared", is_flag=True, help="Also delete the fleet's copy on Redis (MASSGEN_DISCOVERY_REDIS_URL).")
@common_options
@click.pass_context
def cache_clear_cmd(
    ctx: click.Context, shared: bool, as_json: bool | None, offline: bool | None, endpoints: dict[str, str]
) -> int:
    """Delete everything cached (the next lookup rebuilds from LiteLLM's map and the sources).

    With MASSGEN_DISCOVERY_REDIS_URL set, the local copy is cleared and the fleet's is kept (the
    next lookup copies it back) unless --shared says to delete it too.
    """
    import os

    from .._persistence.store import Store

    _, as_json, _ = invocation(ctx, as_json, offline, endpoints)
    url = os.environ.get("MASSGEN_DISCOVERY_REDIS_URL", "").strip()
    if shared and not url:
        raise click.UsageError("--shared needs MASSGEN_DISCOVERY_REDIS_URL")
    store = Store()
    try:
        removed = store.clear()
    except CacheError as exc:
        echo_err(f"{PROG}: {exc}")
        return 1
    shown = None
    removed_shared: int | None = None
    if url:
        from .._persistence.fleet import SharedStore, redact_url

        shown = redact_url(url)
        if shared:
            fleet = SharedStore(store.directory, url)
            removed_shared = fleet.clear_shared()
            fleet.close()
            if removed_shared is None:
                echo_err(f"{PROG}: cleared {store.directory}, but {shown} did not answer: the fleet's copy is kept")
                return 1
    if as_json:
        out: dict[str, Any] = {"path": str(store.directory), "removed": removed}
        if shown is not None:
            out.update(shared_store=shown, removed_shared=removed_shared)
        print_json(out)
    else:
        click.echo(f"cleared {removed} entries from {store.directory}")
        if removed_shared is not None:
            click.echo(f"cleared {removed_shared} keys from {inert(shown)}")
        elif shown is not None:
            click.echo(f"the fleet's copy on {inert(shown)} is kept (cache clear --shared deletes it too)")
    return 0
