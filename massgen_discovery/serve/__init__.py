"""``massgen-discovery serve``: the catalog over HTTP (extra ``massgen_discovery[serve]``).

:func:`create_app` is an ASGI app (Starlette) over one :class:`~massgen_discovery.Catalog`: the
JSON API (``/v1/models``, ``/v1/cost`` ...), mirrors in LiteLLM's, models.dev's and OpenRouter's
shapes, pages people browse and an Atom feed of changes. :func:`serve` runs it on uvicorn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ..catalog import Catalog

__all__ = ["create_app", "serve"]


def create_app(catalog: Catalog | None = None, *, token: str | None = None) -> Starlette:
    """The ASGI app serving ``catalog``; see :func:`massgen_discovery.serve.app.create_app`."""
    from .app import create_app as build

    return build(catalog, token=token)


def serve(
    catalog: Catalog | None = None, *, host: str = "127.0.0.1", port: int = 8765, log_level: str = "warning"
) -> None:
    """Serve ``catalog`` on ``host:port`` with uvicorn until interrupted (binds loopback unless told)."""
    import uvicorn

    uvicorn.run(create_app(catalog), host=host, port=port, log_level=log_level, access_log=False, server_header=False)
