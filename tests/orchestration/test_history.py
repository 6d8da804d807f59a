"""Snapshot history: what each accepted generation changed, held changes, and the ``changes`` command.

Each catalog test runs on the machine-local store and on the fleet store (a real Redis).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from massgen_discovery import Catalog, Change, ConfigError
from massgen_discovery._domain.changes import HISTORY_KEEP, diff, summarize
from massgen_discovery.cli import run
from massgen_discovery.testing import StaticSource

from ..support import lab

pytestmark = pytest.mark.usefixtures("any_store")


def test_first_generation_is_a_baseline_without_changes() -> None:
    catalog = Catalog(sources=[StaticSource("mylab", [lab("m1", max_input_tokens=1000)])])
    assert catalog.changes() == []
    (report,) = catalog.refresh()
    assert report.outcome == "ok" and report.changes == 0


def test_added_removed_and_changed_fields_with_their_source_newest_first() -> None:
    source = StaticSource("mylab", [lab("m1", max_input_tokens=1000, input_cost_per_token=1e-6), lab("m2")])
    catalog = Catalog(sources=[source])
    catalog.refresh()
    source.records = [
        lab("m1", max_input_tokens=1000, input_cost_per_token=2e-6, supports_function_calling=True),
        lab("m3"),
        lab("m2"),
    ]
    (report,) = catalog.refresh()
    assert report.changes == 3
    source.records = [lab("m1", max_input_tokens=1000, input_cost_per_token=2e-6, supports_function_calling=True)]
    catalog.refresh(force=True)  # 3 -> 1 models is suspect; the user says it is real
    changes = catalog.changes()
    assert [(c.kind, c.model, c.field, c.old, c.new) for c in changes] == [
        ("removed", "mylab/m2", None, None, None),
        ("removed", "mylab/m3", None, None, None),
        ("changed", "mylab/m1", "input_cost_per_token", 1e-6, 2e-6),
        ("changed", "mylab/m1", "supports_function_calling", None, True),
        ("added", "mylab/m3", None, None, None),
    ]
    assert {c.source for c in changes} == {"mylab"}
    assert changes[0].at >= changes[-1].at and changes[0].generation != changes[-1].generation
    assert [c.kind for c in catalog.changes(last=1)] == ["removed", "removed"]
    assert catalog.changes(provider="openai") == []
    assert catalog.changes(since=datetime.now(timezone.utc) + timedelta(days=1)) == []
    assert len(catalog.changes(since="2020-01-01")) == 5


def test_a_rebuild_from_the_same_listings_records_nothing() -> None:
    source = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    Catalog(sources=[source]).refresh()
    source.records = [lab("m1", max_input_tokens=1200)]
    Catalog(sources=[source]).refresh()
    Catalog(sources=[source]).refresh(["mylab"])  # the same listing again
    assert len(Catalog(sources=[source]).changes()) == 1


def test_held_changes_are_listed_with_the_reason() -> None:
    source = StaticSource("mylab", [lab(f"m{i}", max_input_tokens=1000) for i in range(10)])
    catalog = Catalog(sources=[source])
    catalog.refresh()
    source.records = [lab("m0", max_input_tokens=1000)]
    (report,) = catalog.refresh()
    assert report.outcome == "stale" and report.changes == 9
    held = catalog.changes()
    assert len(held) == 9 and all(c.held and c.kind == "removed" for c in held)
    assert held[0].reason is not None and "shrank from 10 to 1" in held[0].reason
    assert len(catalog.list_models("mylab")) == 10  # held means not applied


def test_history_keeps_the_last_entries_only() -> None:
    source = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    catalog = Catalog(sources=[source])
    for i in range(HISTORY_KEEP + 5):
        source.records = [lab("m1", max_input_tokens=1000 + i)]
        catalog.refresh()
    changes = catalog.changes()
    assert len(changes) == HISTORY_KEEP
    assert changes[0].new == 1000 + HISTORY_KEEP + 4


def test_bad_since_and_last_are_config_errors() -> None:
    catalog = Catalog(sources=[StaticSource("mylab", [lab("m1")])])
    with pytest.raises(ConfigError, match="not a date"):
        catalog.changes(since="last tuesday")
    with pytest.raises(ConfigError):
        catalog.changes(last=0)


def test_changes_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``changes`` prints a table (or JSON) of what the refreshes brought; bad usage exits 2."""
    from massgen_discovery import sources

    records = {"v": [lab("m1", max_input_tokens=128_000, output_cost_per_token=4e-6)]}

    class Lab(StaticSource):
        name = "histlab"

        def __init__(self) -> None:
            super().__init__("histlab", records["v"])

    monkeypatch.setitem(sources._REGISTRY, "histlab", Lab)
    monkeypatch.setattr("massgen_discovery.catalog.source_names", lambda: ["histlab"])
    assert run(["refresh", "histlab"]) == 0
    capsys.readouterr()
    assert run(["changes"]) == 0
    assert "no changes recorded yet" in capsys.readouterr().out
    records["v"] = [lab("m1", max_input_tokens=200_000, output_cost_per_token=4e-6), lab("m2")]
    assert run(["refresh", "histlab"]) == 0
    table = capsys.readouterr().out
    assert "changes" in table.splitlines()[0]
    assert run(["changes"]) == 0
    out = capsys.readouterr().out
    assert "mylab/m2" in out and "added" in out and "128,000 -> 200,000" in out
    assert run(["changes", "--json", "--provider", "mylab"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["model"]) for r in rows] == [("changed", "mylab/m1"), ("added", "mylab/m2")]
    assert all(Change.model_validate(r) for r in rows)
    assert run(["changes", "--since", "nope"]) == 2
    assert run(["changes", "--since", "2020-01-01", "--last", "2"]) == 2
    capsys.readouterr()


def test_diff_is_pure_and_symmetric() -> None:
    old = summarize([lab("a", max_input_tokens=1), lab("b")])
    new = summarize([lab("a", max_input_tokens=2), lab("c")])
    forward = diff(old, new)
    back = diff(new, old)
    assert {(c["kind"], c["model"]) for c in forward} == {
        ("changed", "mylab/a"),
        ("removed", "mylab/b"),
        ("added", "mylab/c"),
    }
    assert {(c["kind"], c["model"]) for c in back} == {
        ("changed", "mylab/a"),
        ("added", "mylab/b"),
        ("removed", "mylab/c"),
    }
    assert diff(new, new) == []
