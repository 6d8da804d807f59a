"""MassGen 0.1.97 itself, from PyPI, with massgen_discovery patched in.

MassGen lives in ``.venv-massgen`` (``scripts/massgen-venv``, which the README's test command runs):
it pins ``openai==2.2.0``, which litellm 1.82.6 does not accept, so pip resolves litellm 1.80.0
there. The driver runs MassGen's own functions and ``TokenCostCalculator`` before and after
``patch_massgen()``; the provider listings it reaches are served here on loopback from captured
payloads, and every other source points at a closed loopback port.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from massgen_discovery.sources import BUNDLED, source_names

from ...support import DEAD_URL, load_fixture

pytestmark = pytest.mark.slow  # real processes and servers; `pytest -m slow` runs them

ROOT = Path(__file__).resolve().parents[3]
MASSGEN_PYTHON = ROOT / ".venv-massgen" / "bin" / "python"
DRIVER = Path(__file__).with_name("drive_massgen.py")

# The Nebius verbose listing's documented shape (per-token decimal strings); no capture is public.
NEBIUS_LISTING = {
    "object": "list",
    "data": [{"id": "meta-llama/Llama-3.3-70B-Instruct", "object": "model", "created": 1733000000,
              "pricing": {"prompt": "0.00000013", "completion": "0.0000004"}}],
}  # fmt: skip
USAGE = {"prompt_tokens": 1000, "completion_tokens": 200}
ANTHROPIC_USAGE = {"input_tokens": 100, "output_tokens": 200, "cache_read_input_tokens": 900}

CASES: list[dict[str, Any]] = [
    # provider as MassGen's backend reports it, model as MassGen sends it, where the price lives
    {"provider": "OpenAI", "model": "gpt-4o", "usage": USAGE, "map": "gpt-4o"},
    {"provider": "Claude", "model": "claude-sonnet-4-5", "usage": ANTHROPIC_USAGE, "map": "claude-sonnet-4-5"},
    {"provider": "Groq", "model": "llama-3.3-70b-versatile", "usage": USAGE, "map": "groq/llama-3.3-70b-versatile",
     "context": 131072},  # Groq's own listing (served here) states the context; its prices come from the map
    {"provider": "Together AI", "model": "Austism/chronos-hermes-13b", "usage": USAGE, "per_token": (0.3e-6, 0.3e-6)},
    {"provider": "Cerebras AI", "model": "llama-3.3-70b", "usage": USAGE, "map": "cerebras/llama-3.3-70b"},
    {"provider": "Kimi", "model": "kimi-latest", "usage": USAGE, "map": "moonshot/kimi-latest"},
    {"provider": "Qwen", "model": "qwen-max", "usage": USAGE, "map": "dashscope/qwen-max"},
    {"provider": "Nebius AI Studio", "model": "meta-llama/Llama-3.3-70B-Instruct", "usage": USAGE, "per_token": (1.3e-7, 4e-7)},
    {"provider": "OpenRouter", "model": "anthropic/claude-3-5-haiku", "usage": USAGE, "map": "openrouter/anthropic/claude-3-5-haiku"},
]  # fmt: skip
LISTED = ["groq", "openai", "together"]


@pytest.fixture(scope="module")
def massgen_python() -> Path:
    if not MASSGEN_PYTHON.exists():
        pytest.fail(f"{MASSGEN_PYTHON} is missing: run scripts/massgen-venv (the README's test command does)")
    return MASSGEN_PYTHON


def _serve(httpserver: HTTPServer) -> dict[str, str]:
    listings = {
        "groq": load_fixture("groq/openai_v1_models.json"),
        "openai": load_fixture("openai/v1_models.json"),
        "together_ai": load_fixture("together/v1_models.docs-example.json"),
        "nebius": NEBIUS_LISTING,
    }
    env = {}
    for name, payload in listings.items():
        httpserver.expect_request(f"/{name}/v1/models").respond_with_json(payload)
        env[f"MASSGEN_DISCOVERY_{name.upper()}_BASE_URL"] = httpserver.url_for(f"/{name}/v1")
    return env


def _run(python: Path, tmp_path: Path, env_extra: dict[str, str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSGEN_DISCOVERY_") and not k.endswith("_API_KEY")}
    env.update({f"MASSGEN_DISCOVERY_{n.upper()}_BASE_URL": DEAD_URL for n in source_names() if n != BUNDLED})
    env.update(env_extra)
    env.update(
        {
            "HOME": str(tmp_path / "home"),  # MassGen's own model cache lives under ~/.massgen
            "MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path / "cache"),
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            # Anything that would leave the machine goes to a closed loopback port instead.
            "HTTP_PROXY": DEAD_URL.removesuffix("/v1"),
            "HTTPS_PROXY": DEAD_URL.removesuffix("/v1"),
            "NO_PROXY": "127.0.0.1,localhost",
            "GROQ_API_KEY": "gsk-test",
            "OPENAI_API_KEY": "sk-test",
            "TOGETHER_API_KEY": "tg-test",
            "NEBIUS_API_KEY": "nb-test",
        }
    )
    config = {"cases": CASES, "map_keys": [c["map"] for c in CASES if "map" in c], "listed": LISTED}
    done = subprocess.run(
        [str(python), str(DRIVER), json.dumps(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def driven(massgen_python: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        return _run(massgen_python, tmp_path_factory.mktemp("massgen"), _serve(server))
    finally:
        server.clear()
        server.stop()


def _expected(case: dict[str, Any], driven: dict[str, Any]) -> float:
    if "per_token" in case:
        inp, out = case["per_token"]
        cache_read = inp
    else:
        entry = driven["map"][case["map"]]
        inp, out = entry["input_cost_per_token"], entry["output_cost_per_token"]
        cache_read = entry.get("cache_read_input_token_cost", inp)
    usage = case["usage"]
    if "cache_read_input_tokens" in usage:
        return (
            usage["input_tokens"] * inp + usage["cache_read_input_tokens"] * cache_read + usage["output_tokens"] * out
        )
    return usage["prompt_tokens"] * inp + usage["completion_tokens"] * out


def test_patch_reaches_every_reference(driven: dict[str, Any]) -> None:
    """The module functions, the by-name import in config_builder and the calculator's methods."""
    patched = set(driven["patched"])
    for name in ("get_models_for_provider", "get_models_for_provider_sync", "get_model_metadata_for_provider",
                 "get_model_metadata_for_provider_sync"):  # fmt: skip
        assert f"massgen.utils.model_catalog.{name}" in patched
    assert "massgen.config_builder.get_model_metadata_for_provider_sync" in patched
    for name in ("get_model_pricing", "calculate_cost", "calculate_cost_with_usage_object"):
        assert f"TokenCostCalculator.{name}" in patched
    assert driven["patched_twice_same"]
    assert set(driven["restored"]) == patched and driven["module_function_restored"]
    assert driven["after_unpatch"] == driven["before"]


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{c['provider']}:{c['model']}" for c in CASES])
def test_costs_and_pricing_after_patch(driven: dict[str, Any], index: int) -> None:
    """MassGen's own cost paths price every provider at the catalog's rates, cache reads included."""
    case, after = CASES[index], driven["after"][index]
    expected = _expected(case, driven)
    assert expected > 0
    assert after["usage_cost"] == pytest.approx(expected, rel=1e-9)
    pricing = after["pricing"]
    assert pricing["massgen_class"]
    inp = expected_in = (
        case["per_token"][0] if "per_token" in case else driven["map"][case["map"]]["input_cost_per_token"]
    )
    assert pricing["input_cost_per_1k"] == pytest.approx(expected_in * 1000)
    out = case["per_token"][1] if "per_token" in case else driven["map"][case["map"]]["output_cost_per_token"]
    assert after["token_cost"] == pytest.approx(1000 * inp + 200 * out)
    if "map" in case:
        context = case.get("context", driven["map"][case["map"]].get("max_input_tokens"))
        assert pricing["context_window"] == context
        # An unknown context stays None here; MassGen's monitor then applies its own 128k default.
        assert driven["context_monitor"][f"{case['provider']}/{case['model']}"] == (context or 128000)


def test_before_the_patch_massgen_priced_some_at_zero(driven: dict[str, Any]) -> None:
    """The reason to patch: MassGen 0.1.97 alone prices some of these providers' calls at $0."""
    zero = [c["provider"] for c, b in zip(CASES, driven["before"], strict=True) if b["usage_cost"] == 0]
    assert {"Together AI", "Nebius AI Studio"} <= set(zero)


def test_listings_through_massgen(driven: dict[str, Any]) -> None:
    """MassGen's listing functions, sync and async, and its model matcher answer from the catalog."""
    groq_listed = {e["id"] for e in load_fixture("groq/openai_v1_models.json")["data"]}
    groq = driven["listing_sync"]["groq"]
    assert groq and groq[0] == "llama-3.3-70b-versatile" and set(groq) <= groq_listed
    assert not any(w in m for m in groq for w in ("whisper", "guard", "orpheus"))
    assert driven["listing_async"]["groq"] == groq and driven["matcher"]["groq"] == groq
    openai = driven["listing_sync"]["openai"]
    assert "o1-pro" in openai and "davinci-002" not in openai and "gpt-3.5-turbo-instruct" not in openai
    assert driven["listing_sync"]["together"] == ["Austism/chronos-hermes-13b"]
    meta = driven["metadata_sync"]
    assert [m["id"] for m in meta] == groq and driven["metadata_async"] == meta
    versatile = meta[0]
    assert versatile["context_length"] == 131072 and versatile["supported_reasoning_efforts"] == []
    assert isinstance(driven["copilot_untouched"], list)


def test_unknown_price_is_never_made_up(massgen_python: Path, tmp_path: Path) -> None:
    """A model the catalog knows without a price: NaN cost (MassGen shows $nan), context still known."""
    script = (
        "import json, math\n"
        "from massgen.token_manager import TokenCostCalculator\n"
        "from massgen_discovery import Catalog, ModelRecord\n"
        "from massgen_discovery.massgen_adapter import patch_massgen\n"
        "from massgen_discovery.testing import StaticSource\n"
        "record = ModelRecord(model='mylab/m', provider='mylab', model_id='m', mode='chat', max_input_tokens=32768)\n"
        "patch_massgen(Catalog(sources=[StaticSource('mylab', [record])]))\n"
        "calc = TokenCostCalculator()\n"
        "p = calc.get_model_pricing('mylab', 'm')\n"
        "cost = calc.calculate_cost_with_usage_object('m', {'prompt_tokens': 10, 'completion_tokens': 5}, 'mylab')\n"
        "print(json.dumps({'nan_in': math.isnan(p.input_cost_per_1k), 'ctx': p.context_window, 'cost_nan': math.isnan(cost),\n"
        "                  'shown': calc.format_cost(cost), 'none': calc.get_model_pricing('mylab', 'nope') is None}))\n"
    )
    env = {**os.environ, "HOME": str(tmp_path), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "HTTP_PROXY": DEAD_URL.removesuffix("/v1"), "HTTPS_PROXY": DEAD_URL.removesuffix("/v1")}  # fmt: skip
    done = subprocess.run([str(massgen_python), "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"nan_in": True, "ctx": 32768, "cost_nan": True, "shown": "$nan", "none": True}
