"""A damaged, unusable or full cache never breaks a lookup: rebuild or run uncached, one warning."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import diskcache
import pytest

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery.testing import StaticSource

from ..support import internals


def lab_source() -> StaticSource:
    return StaticSource(
        "mylab", [ModelRecord(model="mylab/m1", provider="mylab", model_id="m1", max_input_tokens=1000)]
    )


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("damage", ["truncate", "zero", "garbage"])
def test_damaged_database_between_processes(cache_dir: Path, caplog: pytest.LogCaptureFixture, damage: str) -> None:
    """A cache.db truncated, zeroed or overwritten while no one had it open: rebuilt, one warning."""
    Catalog(sources=["litellm", lab_source()]).get_model("mylab/m1")
    db = cache_dir / "cache.db"
    size = db.stat().st_size
    if damage == "truncate":
        with db.open("r+b") as handle:
            handle.truncate(size // 3)
    elif damage == "zero":
        db.write_bytes(b"\0" * size)
    else:
        db.write_bytes(b"this is not a database" * 500)
    caplog.set_level(logging.WARNING)
    catalog = Catalog(sources=["litellm", lab_source()])
    assert catalog.get_model("gpt-4o") is not None
    record = catalog.get_model("mylab/m1")
    assert record is not None and record.max_input_tokens == 1000
    assert len(warnings_in(caplog)) <= 1
    assert internals.store(catalog).persistent


def test_damage_under_a_running_catalog(cache_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The database destroyed while a catalog has it open: lookups keep answering."""
    catalog = Catalog(sources=["litellm", lab_source()])
    assert catalog.get_model("mylab/m1") is not None
    internals.store(catalog).close()
    (cache_dir / "cache.db").write_bytes(b"\0" * 8192)
    internals.forget_view(catalog)  # as if the pointer re-check interval had passed
    caplog.set_level(logging.WARNING)
    assert catalog.get_model("gpt-4o") is not None
    assert catalog.get_model("mylab/m1") is not None
    assert len(warnings_in(caplog)) <= 1


def test_cache_dir_that_cannot_be_created(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A cache path under a regular file: uncached, one warning, answers still right."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    caplog.set_level(logging.WARNING)
    catalog = Catalog(cache_dir=blocker / "cache", sources=["litellm", lab_source()])
    assert catalog.get_model("gpt-4o") is not None
    assert catalog.get_model("mylab/m1") is not None
    assert len(catalog.list_models("mylab")) == 1
    messages = warnings_in(caplog)
    assert len(messages) == 1 and "running uncached" in messages[0]


def test_full_disk(cache_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Every write failing with 'disk is full': the catalog runs uncached with one warning."""

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(diskcache.Cache, "set", full)
    caplog.set_level(logging.WARNING)
    catalog = Catalog(sources=["litellm", lab_source()])
    assert catalog.get_model("gpt-4o") is not None
    assert catalog.get_model("mylab/m1") is not None
    messages = warnings_in(caplog)
    assert len(messages) == 1 and "running uncached" in messages[0]


def test_foreign_rows_are_misses(cache_dir: Path) -> None:
    """Rows another program or version wrote under our keys are ignored, not crashed on."""
    catalog = Catalog(sources=["litellm", lab_source()])
    catalog.get_model("mylab/m1")
    cache = diskcache.Cache(str(cache_dir))
    for key in list(cache.iterkeys()):
        if isinstance(key, str) and (key.endswith(":index") or key.startswith("envelope:")):
            cache.set(key, b"\x80\x04 pickled bytes, not our JSON")
    cache.close()
    fresh = Catalog(sources=["litellm", lab_source()])
    assert fresh.get_model("GPT-4O") is not None
    assert fresh.get_model("mylab/m1") is not None
