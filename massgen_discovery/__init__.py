"""Which LLMs exist, where they are served, what they can do and what they cost.

LiteLLM's bundled model map merged with live listings, one record per model, cached with
diskcache. ``import massgen_discovery`` is cheap: the public names load on first use.

    >>> from massgen_discovery import Catalog
    >>> Catalog().get_model("gpt-4o").max_input_tokens  # doctest: +SKIP
    128000
"""

from __future__ import annotations

import _thread
from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Each public name, and the module it loads from on first use.
_LAZY = {
    "Catalog": "catalog",
    "Change": "records",
    "ConfigError": "errors",
    "Conflict": "records",
    "DiscoveryError": "errors",
    "ModelRecord": "records",
    "RefreshReport": "records",
    "Source": "sources",
    "SourceAuthError": "errors",
    "SourceError": "errors",
    "SourceFormatError": "errors",
    "SourceHTTPError": "errors",
    "SourceStatus": "records",
    "SourceTimeout": "errors",
    "SourceUnreachable": "errors",
    "register_source": "sources",
}

if TYPE_CHECKING:  # the same names, for type checkers (``X as X``: an explicit re-export)
    from collections.abc import Sequence

    from .catalog import Catalog as Catalog
    from .errors import ConfigError as ConfigError
    from .errors import DiscoveryError as DiscoveryError
    from .errors import SourceAuthError as SourceAuthError
    from .errors import SourceError as SourceError
    from .errors import SourceFormatError as SourceFormatError
    from .errors import SourceHTTPError as SourceHTTPError
    from .errors import SourceTimeout as SourceTimeout
    from .errors import SourceUnreachable as SourceUnreachable
    from .records import Change as Change
    from .records import Conflict as Conflict
    from .records import ModelRecord as ModelRecord
    from .records import RefreshReport as RefreshReport
    from .records import SourceStatus as SourceStatus
    from .sources import Source as Source
    from .sources import register_source as register_source

__all__ = sorted([*_LAZY, "__version__", "default_catalog", "find_models", "get_model", "list_models", "refresh"])


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


_default: Catalog | None = None
_default_lock = _thread.allocate_lock()


def default_catalog() -> Catalog:
    """The shared catalog behind the module-level shortcuts (created on first use, no I/O)."""
    global _default
    with _default_lock:
        if _default is None:
            from .catalog import Catalog

            _default = Catalog()
        return _default


def get_model(model: str) -> ModelRecord | None:
    """:meth:`Catalog.get_model` on the default catalog."""
    return default_catalog().get_model(model)


def list_models(provider: str | None = None) -> list[ModelRecord]:
    """:meth:`Catalog.list_models` on the default catalog."""
    return default_catalog().list_models(provider)


def find_models(**criteria: Any) -> Sequence[ModelRecord]:
    """:meth:`Catalog.find_models` on the default catalog."""
    return default_catalog().find_models(**criteria)


def refresh(
    names: list[str] | None = None, *, raise_on_error: bool = False, force: bool = False
) -> list[RefreshReport]:
    """:meth:`Catalog.refresh` on the default catalog."""
    return default_catalog().refresh(names, raise_on_error=raise_on_error, force=force)
