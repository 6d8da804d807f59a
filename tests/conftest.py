from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from massgen_discovery.providers import PROVIDERS
from massgen_discovery.sources import BUNDLED, source_names

from .support import DEAD_URL, FakeClock

# litellm, when a test imports it, must use its bundled map and never fetch the remote one.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

CREDENTIAL_VARS = sorted({v for p in PROVIDERS.values() for v in p.env_vars})


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own cache dir and starts online with no credentials."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("MASSGEN_DISCOVERY_CACHE_DIR", str(cache))
    monkeypatch.delenv("MASSGEN_DISCOVERY_OFFLINE", raising=False)
    monkeypatch.delenv("MASSGEN_DISCOVERY_REDIS_URL", raising=False)
    # Tables read by tests keep whole model strings; tests/cli/test_cli_layout.py checks 80 columns.
    monkeypatch.setenv("COLUMNS", "200")
    for var in CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    # Every live source points at a closed loopback port unless a test serves it: nothing a test
    # does can reach a real provider, and an unserved source fails fast with "connection refused".
    for name in source_names():
        if name != BUNDLED:
            monkeypatch.setenv(f"MASSGEN_DISCOVERY_{name.upper()}_BASE_URL", DEAD_URL)
    yield cache


@pytest.fixture(autouse=True)
def _background_settles() -> Iterator[None]:
    """Each test's catalogs finish their background work (first fetches too) before the next test.

    A lookup leaves live sources never tried to the background; left running, that work would
    write into a finished test's cache while the next test runs.
    """
    from massgen_discovery._orchestration.background import Background

    made: list[Background] = []
    original = Background.__init__

    def tracked(self: Background, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    Background.__init__ = tracked  # type: ignore[method-assign]
    try:
        yield
    finally:
        Background.__init__ = original  # type: ignore[method-assign]
        for background in made:
            background.wait(30)
            background.stop()


@pytest.fixture
def cache_dir(_isolated_cache: Path) -> Path:
    return _isolated_cache


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Freshness time for this test: ``clock.advance(s)`` makes TTLs and re-check intervals pass."""
    import massgen_discovery._domain.clock as clock_module

    fake = FakeClock()
    monkeypatch.setattr(clock_module, "CLOCK", fake)
    return fake


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One real redis-server on loopback for the session (flushed by the tests that use it)."""
    from tests.support.redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.kill()


@pytest.fixture(params=["local", "redis"])
def any_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test on the machine-local store and again on the fleet store (a real Redis)."""
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        server.flush()
        monkeypatch.setenv("MASSGEN_DISCOVERY_REDIS_URL", server.url)
    return str(request.param)
