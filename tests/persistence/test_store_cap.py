"""The store over months: a size cap across configurations, unused ones collected, nothing in use lost.

Real diskcache directories; configurations differ the way users' do (a source's base URL). Sizes
are asserted against the cap the test sets, never timings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery._persistence.store import Configuration, Store
from massgen_discovery.cli import run
from massgen_discovery.testing import StaticSource

from ..support import internals
from ..support import lab as record
from ..support.redis_server import RedisServer


def lab(model_id: str, **values: Any) -> ModelRecord:
    return record(model_id, provider="lab", **values)


def configured(cache: Path, n: int, **kwargs: Any) -> Catalog:
    """The n-th configuration: the same listing under another base URL (a new configuration)."""
    source = StaticSource("lab", [lab(f"m{n}", max_input_tokens=1000 + n)], base_url=f"static://box-{n}")
    return Catalog(cache_dir=cache, sources=["litellm", source], **kwargs)


def test_the_cap_collects_the_least_recently_used_configurations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Any
) -> None:
    cache = tmp_path / "c"
    first = configured(cache, 0)
    assert first.get_model("lab/m0") is not None
    base = Store(cache).live_bytes()
    first.close()
    second = configured(cache, 1)
    assert second.get_model("lab/m1") is not None
    second.close()
    # What one more configuration costs (what configurations share, LiteLLM's map, is stored once).
    one = Store(cache).live_bytes() - base
    assert 0 < one < base / 4
    cap = base + 2.5 * one
    monkeypatch.setenv("MASSGEN_DISCOVERY_CACHE_MAX_MB", str(cap / (1 << 20)))
    for n in range(2, 8):
        clock.advance(60)
        catalog = configured(cache, n)
        assert catalog.get_model(f"lab/m{n}") is not None  # the configuration in use is never collected
        catalog.close()
        store = Store(cache)
        configs = store.configurations()
        assert store.live_bytes() <= cap + one  # within the cap, but for the one just written
        assert len(configs) <= 3
        store.close()
    kept = {c.config for c in Store(cache).configurations()}
    newest = {internals.config_id(configured(cache, n)) for n in (5, 6, 7)}
    assert kept == newest  # the least recently used went first
    # An old configuration still answers: it builds again (and something else makes room).
    again = configured(cache, 0)
    assert again.get_model("lab/m0").max_input_tokens == 1000  # type: ignore[union-attr]
    again.close()


def test_configurations_unused_for_a_week_go_even_under_the_cap(tmp_path: Path, clock: Any) -> None:
    cache = tmp_path / "c"
    old = configured(cache, 0)
    assert old.get_model("lab/m0") is not None
    old.close()
    clock.advance(8 * 86400)
    recent = configured(cache, 1)
    assert recent.get_model("lab/m1") is not None
    recent.close()
    configs = Store(cache).configurations()
    assert [c.config for c in configs] == [internals.config_id(recent)]


def test_a_catalog_whose_generation_was_collected_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Any
) -> None:
    """Process A holds a view; B's build collects A's configuration; A's next lookups read a whole
    generation again (rebuilt or adopted), never half of one."""
    cache = tmp_path / "c"
    a = configured(cache, 0)
    assert a.get_model("lab/m0") is not None
    assert a.get_model("gpt-4o") is not None
    monkeypatch.setenv("MASSGEN_DISCOVERY_CACHE_MAX_MB", "0.001")  # everything but the one in use goes
    clock.advance(60)
    b = configured(cache, 1)
    assert b.get_model("lab/m1") is not None
    assert internals.config_id(a) not in {c.config for c in Store(cache).configurations()}
    clock.advance(2)  # past the pointer recheck
    record = a.get_model("claude-sonnet-4-5")
    assert record is not None and record.max_input_tokens
    assert len(a.list_models()) > 1000
    a.close()
    b.close()


def test_cache_info_reports_size_generations_configurations_and_the_oldest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cache_dir: Path, clock: Any
) -> None:
    for n in range(2):
        catalog = configured(cache_dir, n)
        catalog.refresh()  # one generation each: built with its listing
        catalog.get_model("gpt-4o")
        catalog.close()
        clock.advance(60)
    assert run(["cache", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["configurations"] == 2 and info["generations"] == 2
    assert 0 < info["bytes_used"] <= info["bytes_on_disk"] + 4096
    assert info["cap_bytes"] == 256 << 20
    assert info["oldest"]["config"] == internals.config_id(configured(cache_dir, 0))
    assert run(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "configurations  2" in out and "256 MB" in out
    monkeypatch.setenv("MASSGEN_DISCOVERY_CACHE_MAX_MB", "lots")
    assert run(["cache", "info", "--json"]) == 0  # an unusable cap warns and uses the default
    assert json.loads(capsys.readouterr().out)["cap_bytes"] == 256 << 20


@pytest.mark.slow
def test_the_fleet_bounds_redis_the_same_way(tmp_path: Path, redis_server: RedisServer) -> None:
    redis_server.flush()
    catalog = configured(tmp_path / "c", 0, redis_url=redis_server.url)
    assert catalog.get_model("lab/m0") is not None
    catalog.close()
    client = redis_server.client()
    keys = list(client.scan_iter(match="massgen_discovery:*"))
    assert keys
    ttls = {k.decode(): client.ttl(k) for k in keys if not k.decode().split(":")[2].startswith("lock")}
    assert all(0 < ttl <= 7 * 86400 for ttl in ttls.values()), ttls


def test_an_identical_listing_is_not_parsed_merged_or_rebuilt(tmp_path: Path) -> None:
    source = StaticSource("lab", [lab("m", max_input_tokens=1000)])
    catalog = Catalog(cache_dir=tmp_path / "c", sources=["litellm", source])
    catalog.refresh(["lab"])
    key = internals.envelope_key(source)
    before = internals.store(catalog).get(key)
    pointer = internals.store(catalog).get(internals.meta_key(catalog))
    (second,) = catalog.refresh(["lab"])
    after = internals.store(catalog).get(key)
    assert second.outcome == "ok" and second.changes == 0
    assert after is not None and before is not None and after["version"] == before["version"]
    assert after["fetched_at"] >= before["fetched_at"]
    assert (internals.store(catalog).get(internals.meta_key(catalog)) or {})["prefix"] == (pointer or {})["prefix"]
    assert catalog.changes() == []
    (forced,) = catalog.refresh(["lab"], force=True)  # force re-reads it
    assert (internals.store(catalog).get(key) or {})["version"] != before["version"] and forced.outcome == "ok"
    catalog.close()


def _rows(cache: Path) -> dict[str, tuple[float, int]]:
    """Every row of a cache directory: key -> (when it was stored, its length)."""
    import sqlite3

    con = sqlite3.connect(cache / "cache.db")
    try:
        return {
            key: (stored, size or 0)
            for key, stored, size in con.execute("SELECT key, store_time, length(value) FROM Cache")
        }
    finally:
        con.close()


def test_configurations_store_what_they_share_once(tmp_path: Path) -> None:
    """LiteLLM's map, the bulk of every catalog, is stored once however many configurations use it."""
    cache = tmp_path / "c"
    first = configured(cache, 0)
    assert first.get_model("lab/m0") is not None
    first.close()
    parts = {k for k in _rows(cache) if k.startswith("part:")}
    for n in range(1, 6):
        catalog = configured(cache, n)
        assert catalog.get_model(f"lab/m{n}") is not None
        catalog.close()
    added = {k for k in _rows(cache) if k.startswith("part:")} - parts
    assert len(parts) > 50  # the map's records, cut into parts
    assert len(added) <= 5 * 3  # each configuration adds its lab's part and its lower-case index
    assert len(Store(cache).configurations()) == 6
    for n in range(6):  # and every configuration still reads its whole catalog
        catalog = configured(cache, n)
        assert catalog.get_model(f"lab/m{n}") is not None and len(catalog.list_models()) > 1000
        catalog.close()


def test_an_identical_listing_writes_only_its_freshness(tmp_path: Path) -> None:
    records = [lab(f"m{n}", max_input_tokens=1000 + n, status="x" * 200) for n in range(3000)]
    source = StaticSource("lab", records)
    cache = tmp_path / "c"
    catalog = Catalog(cache_dir=cache, sources=["litellm", source])
    catalog.refresh(["lab"])
    catalog.close()
    before = _rows(cache)
    catalog = Catalog(cache_dir=cache, sources=["litellm", source])
    (again,) = catalog.refresh(["lab"])
    catalog.close()
    after = _rows(cache)
    assert again.outcome == "ok" and again.changes == 0
    rewritten = {k: after[k][1] for k in after if k not in before or after[k][0] != before[k][0]}
    assert rewritten, "the envelope's freshness is written"
    assert sum(rewritten.values()) < 16 << 10, rewritten  # a 1 MB listing is not written again
    assert not any(k.startswith(("payload:", "part:")) for k in rewritten)


def test_history_still_reports_each_changed_value(tmp_path: Path) -> None:
    source = StaticSource("lab", [lab(f"m{n}", max_input_tokens=1000 + n) for n in range(500)])
    catalog = Catalog(cache_dir=tmp_path / "c", sources=["litellm", source])
    catalog.refresh(["lab"])
    source.records = [lab(f"m{n}", max_input_tokens=1000 + n + (7 if n == 250 else 0)) for n in range(1, 501)]
    catalog.refresh(["lab"])
    changes = {(c.model, c.kind, c.field): (c.old, c.new) for c in catalog.changes()}
    assert changes == {
        ("lab/m250", "changed", "max_input_tokens"): (1250, 1257),
        ("lab/m0", "removed", None): (None, None),
        ("lab/m500", "added", None): (None, None),
    }
    catalog.close()


def test_under_the_cap_ages_are_looked_at_hourly_and_over_it_at_once(tmp_path: Path) -> None:
    """Every build collects; reading every configuration's age each time cost more than a small build."""
    cache = tmp_path / "c"
    for n in range(2):
        catalog = configured(cache, n)
        assert catalog.get_model(f"lab/m{n}") is not None
        catalog.close()
    store = Store(cache)
    reads: list[int] = []
    real = store.configurations

    def counted() -> list[Configuration]:
        reads.append(1)
        return real()

    store.configurations = counted  # type: ignore[method-assign]
    big, now = 1 << 40, 1e9
    assert store.collect("none", cap_bytes=big, unused_seconds=86400.0, now=now) == []
    assert store.collect("none", cap_bytes=big, unused_seconds=86400.0, now=now + 60) == []
    assert len(reads) == 1  # under the cap, a minute later: not read again
    assert store.collect("none", cap_bytes=big, unused_seconds=86400.0, now=now + 7200) == []
    assert len(reads) == 2  # two hours later
    dropped = store.collect("none", cap_bytes=1, unused_seconds=86400.0, now=now + 7260)
    assert len(reads) == 3 and len(dropped) == 2  # over the cap: at once, and it goes
