"""Round 3 of hardening: the content-addressed store, conditional GETs and the price API under hostile input.

Each test names the defect it closes; each failed before its fix.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from massgen_discovery import Catalog
from massgen_discovery.pricing import CallTokens, InvalidTokens, call_tokens, price_call
from massgen_discovery.testing import StaticSource
from tests.support import lab

# -- 9. the price API takes only token counts ------------------------------------------------------

GARBAGE = [-5, float("nan"), float("inf"), 1.5, 10**400, "abc", "-3", "1e3", True, None, [1], 10**12 + 1]


@pytest.fixture
def priced() -> Catalog:
    return Catalog(sources=[StaticSource("mylab", [lab("m", input_cost_per_token=1e-6, output_cost_per_token=2e-6)])])


@pytest.mark.parametrize("bad", [b for b in GARBAGE if b is not None])
def test_garbage_counts_are_refused_by_every_price_surface(priced: Catalog, bad: Any) -> None:
    from massgen_discovery.litellm_bridge import completion_cost
    from massgen_discovery.massgen_adapter import calculate_cost, calculate_cost_with_usage_object

    record = priced.get_model("mylab/m")
    assert record is not None
    with pytest.raises(InvalidTokens):
        CallTokens(input=bad)
    with pytest.raises(InvalidTokens):
        call_tokens({"prompt_tokens": bad, "completion_tokens": 10})
    usage = {"prompt_tokens": bad, "completion_tokens": 10}
    assert completion_cost({"usage": usage}, model="mylab/m", catalog=priced) is None
    assert math.isnan(calculate_cost_with_usage_object("m", usage, "mylab", catalog=priced))
    assert math.isnan(calculate_cost(bad, 10, "mylab", "m", catalog=priced))


def test_numeric_strings_are_counts_not_zero(priced: Catalog) -> None:
    from massgen_discovery.massgen_adapter import calculate_cost, calculate_cost_with_usage_object

    record = priced.get_model("mylab/m")
    assert record is not None
    expected = 1000 * 1e-6 + 500 * 2e-6
    assert calculate_cost("1000", 500, "mylab", "m", catalog=priced) == pytest.approx(expected)  # type: ignore[arg-type]
    usage = {"prompt_tokens": "1000", "completion_tokens": "500"}
    assert calculate_cost_with_usage_object("m", usage, "mylab", catalog=priced) == pytest.approx(expected)
    assert price_call(record, CallTokens(input="1,000", output=500.0)).total == pytest.approx(expected)  # type: ignore[arg-type]
    assert price_call(record, CallTokens(input=10**12)).total == pytest.approx(1e6)


# -- 8. a typo in a refresh-mode variable -----------------------------------------------------------


def test_a_bad_refresh_mode_warns_and_falls_back_in_the_library_and_exits_2_in_the_cli(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    from massgen_discovery.cli import run
    from massgen_discovery.litellm_bridge import completion_cost
    from massgen_discovery.massgen_adapter import calculate_cost

    monkeypatch.setenv("MASSGEN_DISCOVERY_HUGGINGFACE_REFRESH", "manuel")
    catalog = Catalog()
    record = catalog.get_model("gpt-4o")  # never raises
    assert record is not None and record.input_cost_per_token
    assert catalog.manual("huggingface") is False  # the default, auto
    assert calculate_cost(1000, 100, "openai", "gpt-4o", catalog=catalog) > 0
    usage = {"prompt_tokens": 1000, "completion_tokens": 100}
    assert completion_cost({"usage": usage}, model="gpt-4o", catalog=catalog)
    warned = [r for r in caplog.records if "MASSGEN_DISCOVERY_HUGGINGFACE_REFRESH" in r.getMessage()]
    assert len(warned) == 1 and "using auto" in warned[0].getMessage()
    capsys.readouterr()
    assert run(["show", "gpt-4o", "--offline"]) == 2
    err = capsys.readouterr().err
    assert "MASSGEN_DISCOVERY_HUGGINGFACE_REFRESH" in err and "'manuel'" in err and len(err.strip().splitlines()) == 1
