"""Fakes for tests of code that uses massgen_discovery: sources that need no network.

from . import Catalog, ModelRecord
from .testing import StaticSource

source = StaticSource("mylab", [ModelRecord(model="mylab/m1", provider="mylab", model_id="m1")])
catalog = Catalog(cache_dir=tmp_path, sources=["litellm", source])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import SourceError, SourceUnreachable
from .records import ModelRecord, known_fields
from .sources import SourceBase

if TYPE_CHECKING:
    import httpx

__all__ = ["FailingSource", "StaticSource"]


class StaticSource(SourceBase):
    """A live source whose listing is a fixed list of records; counts its fetches.

    Records are stored as their JSON, so they go through the store like any fetched payload.
    ``records`` may be replaced between refreshes to simulate an upstream change.
    """

    def __init__(
        self,
        name: str,
        records: Sequence[ModelRecord],
        *,
        ttl: float = 3600.0,
        base_url: str = "static://local",
        credential: str | None = None,
    ) -> None:
        self.name = name
        """Source name."""
        self.ttl = ttl
        """Seconds a fetch stays fresh."""
        self.records = list(records)
        """What the next fetch returns."""
        self.fetches = 0
        """How many times :meth:`fetch` ran."""
        super().__init__(base_url, credential)

    async def fetch(self, client: httpx.AsyncClient, previous: Any = None) -> Any:
        """Return the records as JSON documents."""
        self.fetches += 1
        return [r.model_dump(mode="json", exclude_defaults=True) for r in self.records]

    def to_records(self, payload: Any, fetched_at: datetime) -> list[ModelRecord]:
        """Re-read the JSON documents, crediting known fields to this source."""
        out = []
        for doc in payload:
            record = ModelRecord.model_validate(doc)
            known = dict.fromkeys(known_fields(record), self.name)
            out.append(
                record.model_copy(update={"sources": [self.name], "provenance": known, "fetched_at": fetched_at})
            )
        return out


class FailingSource(StaticSource):
    """A live source whose every fetch raises ``error`` (default: connection refused)."""

    def __init__(self, name: str, error: SourceError | None = None, **kwargs: Any) -> None:
        super().__init__(name, [], **kwargs)
        self.error = error or SourceUnreachable(f"{name}: cannot reach {self.base_url}", source=name)
        """What every fetch raises."""

    async def fetch(self, client: httpx.AsyncClient, previous: Any = None) -> Any:
        """Raise :attr:`error`."""
        self.fetches += 1
        raise self.error
