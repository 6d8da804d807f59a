"""A listing's envelope, its payload and the guard rails' view of it, written together."""

from __future__ import annotations

import json

from massgen_discovery._persistence.envelope import read_guard, read_payload, write_payload

from ..support.fake_store import FakeStore

KEY = "envelope:mylab:static://local:anon"


def test_the_guard_view_reads_back_whole_and_stores_only_the_values_that_left_the_baseline() -> None:
    """Values equal to their anchors are not written twice; a model absent from the baseline is kept."""
    store = FakeStore()
    baseline = {"mylab/a": (8192, None, 1e-6, 2e-6), "mylab/b": (4096, None, None, None)}
    values = {**baseline, "mylab/b": (40960, None, None, None), "mylab/c": (None, None, None, None)}
    envelope = write_payload(store, KEY, {"source": "mylab"}, {}, '{"data": []}', "d1" * 16, baseline, values)
    assert store.get(KEY) is not None and read_payload(store, KEY, envelope) == {"data": []}
    stored = json.loads(store.rows[f"{envelope['payload_key']}:baseline"])
    assert set(stored["moved"]) == {"mylab/b", "mylab/c"}
    got_baseline, got_values = read_guard(store, KEY, envelope)
    assert got_baseline == {m: list(v) for m, v in baseline.items()}
    assert got_values == {m: list(v) for m, v in values.items()}


def test_the_payload_two_listings_back_goes_with_the_third() -> None:
    """Nobody can hold an envelope naming it; the one just replaced stays for readers mid-read."""
    store = FakeStore()
    first = write_payload(store, KEY, {}, {}, "[1]", "a" * 32, None, None)
    second = write_payload(store, KEY, {}, first, "[2]", "b" * 32, None, None)
    third = write_payload(store, KEY, {}, second, "[3]", "c" * 32, None, None)
    assert first["payload_key"] not in store.rows and f"{first['payload_key']}:baseline" not in store.rows
    assert second["payload_key"] in store.rows and third["previous_payload_key"] == second["payload_key"]
    assert read_guard(store, KEY, third) == (None, None)
