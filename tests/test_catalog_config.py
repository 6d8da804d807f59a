"""A catalog's configuration is checked when it is built; a catalog closes as a context manager."""

from __future__ import annotations

import pytest

from massgen_discovery import Catalog
from massgen_discovery.errors import ConfigError


def test_overrides_are_checked_when_the_catalog_is_built() -> None:
    """An unknown field or a bad value raises ConfigError naming it, before any lookup."""
    with pytest.raises(ConfigError, match="max_input_tokenz"):
        Catalog(offline=True, overrides={"gpt-4o": {"max_input_tokenz": 1}})
    with pytest.raises(ConfigError, match="max_input_tokens"):
        Catalog(offline=True, overrides={"gpt-4o": {"max_input_tokens": "lots"}})
    with pytest.raises(ConfigError, match="must map"):
        Catalog(offline=True, overrides={"gpt-4o": 5})  # type: ignore[dict-item]
    catalog = Catalog(offline=True, overrides={"gpt-4o": {"max_input_tokens": 100_000}})
    record = catalog.get_model("gpt-4o")
    assert record is not None and record.max_input_tokens == 100_000


def test_override_raises_config_error_and_keeps_what_was_set() -> None:
    """`override()` raises ConfigError (a ValueError) for a bad field; the catalog answers as before."""
    catalog = Catalog(offline=True)
    with pytest.raises(ConfigError, match="not a record field"):
        catalog.override("gpt-4o", context=1)
    with pytest.raises(ValueError):
        catalog.override("gpt-4o", input_cost_per_token="cheap")
    catalog.override("gpt-4o", max_output_tokens=1234)
    record = catalog.get_model("gpt-4o")
    assert record is not None and record.max_output_tokens == 1234
    assert catalog.list_models("openai")


def test_a_catalog_is_a_context_manager() -> None:
    """`with Catalog(...) as c:` answers inside and closes on the way out (its worker stopped)."""
    with Catalog(offline=True) as catalog:
        assert catalog.get_model("gpt-4o") is not None
    assert catalog.wait_background(timeout=1.0)
