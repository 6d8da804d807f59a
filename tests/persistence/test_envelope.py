"""A listing's envelope, its payload and the guard rails' view of it, written together."""

from __future__ import annotations

import json
from pathlib import Path

from massgen_discovery._persistence.envelope import Envelope, read_guard, read_payload, write_payload
from massgen_discovery._persistence.pointer import SourceMeta
from massgen_discovery._persistence.store import Store

from ..support.fake_store import FakeStore

KEY = "envelope:mylab:static://local:anon"


def test_the_guard_view_reads_back_whole_and_stores_only_the_values_that_left_the_baseline() -> None:
    """Values equal to their anchors are not written twice; a model absent from the baseline is kept."""
    store = FakeStore()
    baseline = {"mylab/a": (8192, None, 1e-6, 2e-6), "mylab/b": (4096, None, None, None)}
    values = {**baseline, "mylab/b": (40960, None, None, None), "mylab/c": (None, None, None, None)}
    envelope = write_payload(
        store, KEY, Envelope(source="mylab"), Envelope(), '{"data": []}', "d1" * 16, baseline, values
    )
    assert store.get(KEY) is not None and read_payload(store, KEY, envelope) == {"data": []}
    stored = json.loads(store.rows[f"{envelope.payload_key}:baseline"])
    assert set(stored["moved"]) == {"mylab/b", "mylab/c"}
    got_baseline, got_values = read_guard(store, KEY, envelope)
    assert got_baseline == {m: list(v) for m, v in baseline.items()}
    assert got_values == {m: list(v) for m, v in values.items()}


def test_the_payload_two_listings_back_goes_with_the_third() -> None:
    """Nobody can hold an envelope naming it; the one just replaced stays for readers mid-read."""
    store = FakeStore()
    first = write_payload(store, KEY, Envelope(), Envelope(), "[1]", "a" * 32, None, None)
    second = write_payload(store, KEY, Envelope(), first, "[2]", "b" * 32, None, None)
    third = write_payload(store, KEY, Envelope(), second, "[3]", "c" * 32, None, None)
    assert first.payload_key not in store.rows and f"{first.payload_key}:baseline" not in store.rows
    assert second.payload_key in store.rows and third.previous_payload_key == second.payload_key
    assert read_guard(store, KEY, third) == (None, None)


def test_an_envelope_goes_through_its_states_and_reads_back_as_written(cache_dir: Path) -> None:
    """fresh -> failed (listing kept, backoff) -> held -> confirmed, each written to a real store and read back."""
    store = Store(cache_dir)
    fresh = Envelope.fresh(
        "mylab", "https://lab.test/v1", ttl=600, at=1.7e9, count=3, notes=["n1"], validators={"etag": '"a"'}, digest="d"
    )
    assert fresh.has_payload is False and fresh.expired(1.7e9 + 599) is False and fresh.expired(1.7e9 + 600)
    assert fresh.version is not None and fresh.full_listing_age(1.7e9 + 5) == 5
    written = write_payload(store, KEY, fresh, Envelope(), "[]", "d" * 32, None, None)
    assert Envelope.read(store, KEY) == written and written.has_payload
    failed = written.failed(
        "mylab", "https://lab.test/v1", error="boom", retry_at=1.7e9 + 60, at=1.7e9 + 1, degraded=False
    )
    assert (failed.failures, failed.error, failed.payload_key, failed.count) == (1, "boom", written.payload_key, 3)
    again = failed.failed(
        "mylab", "https://lab.test/v1", error="boom", retry_at=1.7e9 + 180, at=1.7e9 + 2, degraded=True
    )
    assert again.failures == 2 and again.degraded and again.held().degraded
    store.put(KEY, again.encode())
    assert Envelope.read(store, KEY) == again
    confirmed = again.confirmed(ttl=600, at=1.7e9 + 3, validators={})
    assert (confirmed.failures, confirmed.error, confirmed.degraded, confirmed.retry_at) == (0, None, False, None)
    assert confirmed.validators == {"etag": '"a"'} and confirmed.version == fresh.version  # the same listing
    assert confirmed.meta(3) == SourceMeta(fresh.version, 1.7e9 + 3, 1.7e9 + 603, None, None, 3)


def test_a_stored_envelope_the_gate_refuses_reads_as_none_stored(cache_dir: Path) -> None:
    """A forged row (a count that is text, notes that are not strings) is an empty envelope, never a crash."""
    store = Store(cache_dir)
    for forged in ({"count": "many", "payload_key": "x"}, {"notes": [1, 2]}, {"fetched_at": "yesterday"}):
        store.put(KEY, forged)
        assert Envelope.read(store, KEY) == Envelope()
    assert Envelope.read(store, "envelope:never:written") == Envelope()
    assert Envelope.decode(None).has_payload is False and Envelope().expired(0.0)
