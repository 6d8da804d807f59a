from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# litellm, when a test imports it, must use its bundled map and never fetch the remote one.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(path: str) -> Any:
    """A real captured payload from tests/fixtures/."""
    return json.loads((FIXTURES / path).read_text())


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own cache dir and starts online with no credentials."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("MASSGEN_DISCOVERY_CACHE_DIR", str(cache))
    monkeypatch.delenv("MASSGEN_DISCOVERY_OFFLINE", raising=False)
    yield cache


@pytest.fixture
def cache_dir(_isolated_cache: Path) -> Path:
    return _isolated_cache
