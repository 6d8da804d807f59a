"""Captured payloads, the dead URL, the fake clock and the records tests build: shared test data."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from massgen_discovery import ModelRecord

FIXTURES = Path(__file__).parents[1] / "fixtures"
DEAD_URL = "http://127.0.0.1:9/v1"
"""Nothing listens on the discard port: connection refused at once."""


def load_fixture(path: str) -> Any:
    """A real captured payload from tests/fixtures/."""
    return json.loads((FIXTURES / path).read_text())


def lab(model_id: str, provider: str = "mylab", **values: Any) -> ModelRecord:
    """A record of a made-up provider (``mylab/<id>`` unless another provider is named)."""
    return ModelRecord(model=f"{provider}/{model_id}", provider=provider, model_id=model_id, **values)


class FakeClock:
    """The catalog's clock, moved forward by tests instead of sleeping (real time plus an offset)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
