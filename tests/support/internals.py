"""What tests read inside a catalog, in one place: its state (store, keys, sources, view) and its background.

Tests that check what a catalog stores, or that plant a forged row, go through these rather than
through the catalog's private attributes: only ``_state`` and ``_bg`` are read, here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from massgen_discovery._orchestration.state import State

if TYPE_CHECKING:
    from massgen_discovery import Catalog
    from massgen_discovery._orchestration.background import Background
    from massgen_discovery.sources import Source

__all__ = [
    "background",
    "config_id",
    "envelope_key",
    "forget_view",
    "meta_key",
    "sources",
    "specs",
    "state",
    "store",
]


def state(catalog: Catalog) -> State:
    """The catalog's shared state."""
    return catalog._state


def store(catalog: Catalog) -> Any:
    """The store the catalog reads and writes (the local one, or the fleet's in front of it)."""
    return catalog._state.store


def meta_key(catalog: Catalog) -> str:
    """The key of the catalog's generation pointer."""
    return catalog._state.meta_key()


def config_id(catalog: Catalog) -> str:
    """The catalog's configuration id."""
    return catalog._state.config_id()


def envelope_key(source: Source) -> str:
    """Where a source's stored listing lives."""
    return State.envelope_key(source)


def sources(catalog: Catalog) -> tuple[bool, dict[str, Source]]:
    """(bundled map included?, the live sources by name)."""
    return catalog._state.sources()


def specs(catalog: Catalog) -> list[Any]:
    """The source names and objects the catalog was configured with."""
    return catalog._state.specs


def forget_view(catalog: Catalog) -> None:
    """Drop the generation the catalog reads, as if the pointer re-check interval had passed."""
    with catalog._state.mutex:
        catalog._state.view = None


def background(catalog: Catalog) -> Background:
    """The catalog's background work."""
    return catalog._bg
