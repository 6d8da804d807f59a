from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from massgen_discovery.sources.litellm_map import bundled_map_path, load_litellm_map, normalize_provider, to_records


def _bundled() -> dict[str, object]:
    path = bundled_map_path()
    assert path is not None, "litellm must be installed for the test suite"
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


def test_every_entry_of_the_bundled_map_is_a_record_or_an_alias(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each key of the installed litellm's map names a record, directly or through an alias."""
    monkeypatch.delitem(sys.modules, "litellm", raising=False)  # read the file even if a test imported litellm
    raw = _bundled()
    loaded = load_litellm_map()
    models = {r.model for r in loaded.records}
    for key, value in raw.items():
        if key == "sample_spec" or not isinstance(value, dict) or not isinstance(value.get("litellm_provider"), str):
            continue
        assert key in models or loaded.aliases.get(key) in models, key
    assert len(models) > 1000
    assert loaded.stamp.startswith("file:")


def test_values_are_whatever_the_installed_litellm_says() -> None:
    """Limits, prices and flags are copied from the map with provenance 'litellm'; absent stays None."""
    raw = _bundled()
    by_model = {r.model: r for r in load_litellm_map().records}
    checked = 0
    for key, entry in raw.items():
        if not isinstance(entry, dict) or "/" in key or entry.get("litellm_provider") != "openai":
            continue
        record = by_model[f"openai/{key}"]
        for field in ("max_input_tokens", "input_cost_per_token", "supports_function_calling", "supports_vision"):
            expected = entry.get(field)
            if field == "max_input_tokens" and not expected:
                expected = None
            assert getattr(record, field) == expected, (key, field)
            assert (record.provenance.get(field) == "litellm") == (expected is not None)
        checked += 1
    assert checked > 20


def test_prefixed_keys_keep_their_own_id() -> None:
    """A key like groq/openai/gpt-oss-120b becomes model_id openai/gpt-oss-120b under provider groq."""
    loaded = to_records(
        {
            "groq/openai/gpt-oss-120b": {"litellm_provider": "groq", "max_input_tokens": 131072, "mode": "chat"},
            "gpt-4o": {"litellm_provider": "openai", "max_input_tokens": 128000},
            "gemini-1.5-pro": {"litellm_provider": "vertex_ai-language-models"},
        }
    )
    by_model = {r.model: r for r in loaded.records}
    assert by_model["groq/openai/gpt-oss-120b"].model_id == "openai/gpt-oss-120b"
    assert by_model["groq/openai/gpt-oss-120b"].provider == "groq"
    assert by_model["openai/gpt-4o"].model_id == "gpt-4o"
    assert by_model["vertex_ai/gemini-1.5-pro"].provider == "vertex_ai"
    assert loaded.aliases == {"gpt-4o": "openai/gpt-4o", "gemini-1.5-pro": "vertex_ai/gemini-1.5-pro"}


def test_malformed_entries_are_skipped_with_one_debug_line(caplog: pytest.LogCaptureFixture) -> None:
    """A broken entry is dropped with one debug log line; the others survive."""
    caplog.set_level(logging.DEBUG, logger="massgen_discovery.sources.litellm_map")
    loaded = to_records(
        {
            "sample_spec": {"litellm_provider": "x"},
            "good": {"litellm_provider": "openai", "max_input_tokens": 1000, "input_cost_per_token": 1e-6},
            "not-a-dict": "oops",
            "no-provider": {"max_input_tokens": 5},
            "bad-type": {"litellm_provider": "openai", "input_cost_per_token": "cheap"},
            "zero-limit": {"litellm_provider": "openai", "max_input_tokens": 0, "max_output_tokens": 4096.0},
        }
    )
    assert sorted(r.model for r in loaded.records) == ["openai/good", "openai/zero-limit"]
    zero = next(r for r in loaded.records if r.model == "openai/zero-limit")
    assert zero.max_input_tokens is None  # 0 means "not filled in", never a real limit
    assert zero.max_output_tokens == 4096
    skipped = [r for r in caplog.records if "skipping LiteLLM map entry" in r.getMessage()]
    assert len(skipped) == 3


def test_provider_categories_are_normalized() -> None:
    """LiteLLM's category ids map to the provider id users route with."""
    assert normalize_provider("vertex_ai-anthropic_models") == "vertex_ai"
    assert normalize_provider("fireworks_ai-embedding-models") == "fireworks_ai"
    assert normalize_provider("bedrock_converse") == "bedrock"
    assert normalize_provider("groq") == "groq"


def test_imported_litellm_model_cost_is_read_with_registered_models(tmp_path: object) -> None:
    """With litellm already imported, register_model entries show up, and no remote map is fetched."""
    script = textwrap.dedent(
        """
        import json, os, socket
        def refuse(*a, **k):
            raise OSError("network disabled in this test")
        socket.socket.connect = refuse
        import litellm
        litellm.register_model({"mylab/secret-model": {"litellm_provider": "mylab", "max_input_tokens": 4242,
                                "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "mode": "chat"}})
        from massgen_discovery import Catalog
        c = Catalog(offline=True)
        r = c.get_model("mylab/secret-model")
        print(json.dumps({"ctx": r.max_input_tokens if r else None, "src": r.sources if r else None}))
        """
    )
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"ctx": 4242, "src": ["litellm"]}


def test_the_map_is_located_once_and_again_only_when_it_is_gone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every build asks where the map is; scanning sys.path for litellm each time cost a millisecond."""
    from massgen_discovery.sources import litellm_map

    where = tmp_path / "model_prices_and_context_window_backup.json"
    where.write_text("{}")
    looked: list[int] = []

    def find() -> Path | None:
        looked.append(1)
        return where if where.is_file() else None

    monkeypatch.setattr(litellm_map, "_find_map", find)
    monkeypatch.setattr(litellm_map, "_found_map", [])
    assert bundled_map_path() == where and bundled_map_path() == where and len(looked) == 1
    where.unlink()  # litellm uninstalled under a running process
    assert bundled_map_path() is None and len(looked) == 2
