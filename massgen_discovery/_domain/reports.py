"""What refreshes, sources and the history report: pydantic models, off the lookup path.

Re-exported by :mod:`massgen_discovery.records`; kept apart so reading a record never imports
pydantic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Change", "ChangeKind", "Disagreement", "RefreshOutcome", "RefreshReport", "SourceStatus"]

_FROZEN = ConfigDict(frozen=True, extra="ignore")


RefreshOutcome = Literal["ok", "stale", "failed", "skipped", "not_running"]


class RefreshReport(BaseModel):
    """What one source did during a refresh."""

    model_config = _FROZEN

    source: str
    """Source name."""
    outcome: RefreshOutcome
    """``ok`` fresh data stored; ``stale`` the refresh failed or was suspect and the last good data
    is served; ``failed`` it failed and there is nothing to serve; ``skipped`` not attempted
    (offline, or backing off after a failure); ``not_running`` a local server (Ollama) is not
    running, which is a state, not a failure."""
    count: int = 0
    """Records the source now contributes."""
    seconds: float = 0.0
    """Wall time spent on this source."""
    error: str | None = None
    """One-line reason when the outcome is not ``ok``."""
    changes: int | None = None
    """Changes (added, removed, changed fields) this refresh brought from this source, or held back
    for a suspect listing; None when no history was kept (no new generation)."""


class SourceStatus(BaseModel):
    """The state of one source as the store knows it."""

    model_config = _FROZEN

    source: str
    """Source name."""
    live: bool
    """True for sources fetched over the network, False for bundled data."""
    base_url: str | None = None
    """Where the source is fetched from."""
    fetched_at: datetime | None = None
    """When the data being served was fetched."""
    expires_at: datetime | None = None
    """When the data being served is due for a refresh."""
    count: int = 0
    """Records the source contributes."""
    stale: bool = False
    """True when the data being served is older than its TTL or the last refresh failed."""
    degraded: bool = False
    """True when the last refresh was suspect (much smaller listing, 10x jumps) and was not applied."""
    error: str | None = None
    """The last refresh's error, one line."""
    retry_at: datetime | None = None
    """Automatic refreshes leave the source alone until then (negative cache)."""
    notes: list[str] = Field(default_factory=list)
    """Values the last accepted listing sent that no real model can have, kept as unknown (why)."""
    shared_store: str | None = None
    """The Redis URL this source's data is shared on with other machines (password redacted)."""
    refresh: Literal["auto", "manual"] = "auto"
    """``manual``: lookups never contact the source; only an explicit refresh does."""


ChangeKind = Literal["added", "removed", "changed"]


class Change(BaseModel):
    """One difference between two accepted generations, or one a guard rail held back."""

    model_config = _FROZEN

    at: datetime
    """When the generation was accepted (or the listing held back)."""
    model: str
    """The record's ``model`` string."""
    provider: str
    """Its provider."""
    kind: ChangeKind
    """``added`` a new model; ``removed`` a model gone; ``changed`` one field moved."""
    field: str | None = None
    """The field that changed (``changed`` only)."""
    old: Any = None
    """The value before (None: unknown)."""
    new: Any = None
    """The value after (None: unknown)."""
    source: str | None = None
    """The source of the new value (of the old one when the value became unknown, of the model
    for ``added`` and ``removed``)."""
    held: bool = False
    """True when a guard rail kept this change out (the listing was suspect); see ``reason``."""
    reason: str | None = None
    """Why a held change was held."""
    generation: str | None = None
    """The generation that brought it (None when held)."""


class Disagreement(BaseModel):
    """Two or more sources state different values for one field of one model (``audit``)."""

    model_config = _FROZEN

    model: str
    """The record's ``model`` string."""
    provider: str
    """Its provider."""
    field: str
    """The field (a limit, a price in LiteLLM's names, or a capability flag)."""
    kind: Literal["limit", "price", "flag"]
    """What kind of value: limits that differ, prices more than 1% apart, flags that contradict."""
    values: dict[str, Any]
    """Each source's value."""
    kept_source: str
    """The source whose value the record keeps (by precedence)."""
    kept_value: Any
    """The value the record keeps."""
