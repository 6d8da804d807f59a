"""Run inside .venv-massgen: MassGen 0.1.97's own code paths before and after patch_massgen().

Prints one JSON document for tests/adapters/massgen/test_massgen_real.py to judge. It reads the cases from
argv[1] (JSON); the listings it reaches are loopback servers the test started.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from typing import Any

import litellm
import massgen.config_builder  # imported first: it holds get_model_metadata_for_provider_sync by name
from massgen.memory._context_monitor import ContextWindowMonitor
from massgen.token_manager import TokenCostCalculator
from massgen.token_manager.token_manager import ModelPricing
from massgen.utils import model_catalog, model_matcher

from massgen_discovery import default_catalog
from massgen_discovery.massgen_adapter import patch_massgen, unpatch_massgen


def number(value: float) -> Any:
    return "nan" if isinstance(value, float) and math.isnan(value) else value


def pricing(calc: TokenCostCalculator, provider: str, model: str) -> Any:
    found = calc.get_model_pricing(provider, model)
    if found is None:
        return None
    return {
        "massgen_class": isinstance(found, ModelPricing),
        "input_cost_per_1k": number(found.input_cost_per_1k),
        "output_cost_per_1k": number(found.output_cost_per_1k),
        "context_window": found.context_window,
        "max_output_tokens": found.max_output_tokens,
        "source": found.source,
    }


def costs(calc: TokenCostCalculator, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for case in cases:
        out.append(
            {
                "usage_cost": number(
                    calc.calculate_cost_with_usage_object(case["model"], case["usage"], case["provider"])
                ),
                "token_cost": number(calc.calculate_cost(1000, 200, case["provider"], case["model"])),
                "pricing": pricing(calc, case["provider"], case["model"]),
            }
        )
    return out


def main() -> None:
    config = json.loads(sys.argv[1])
    cases = config["cases"]
    calc = TokenCostCalculator()
    before = costs(calc, cases)
    patched = patch_massgen()
    again = patch_massgen()
    # A first lookup answers from the bundled data at once and fetches the live listings in the
    # background; this run reads what they say, so it lets them land first.
    default_catalog().get_model("gpt-4o")
    default_catalog().wait_background(60)
    after = costs(calc, cases)
    result: dict[str, Any] = {
        "patched": patched,
        "patched_twice_same": again == patched,
        "before": before,
        "after": after,
        "map": {key: litellm.model_cost.get(key) for key in config["map_keys"]},
        "listing_sync": {p: model_catalog.get_models_for_provider_sync(p) for p in config["listed"]},
        "listing_async": {
            p: asyncio.run(model_catalog.get_models_for_provider(p, use_cache=False)) for p in config["listed"]
        },
        "matcher": {p: model_matcher.get_all_models_for_provider(p) for p in config["listed"]},
        "metadata_sync": massgen.config_builder.get_model_metadata_for_provider_sync(config["listed"][0]),
        "metadata_async": asyncio.run(model_catalog.get_model_metadata_for_provider(config["listed"][0])),
        "copilot_untouched": model_catalog.get_models_for_provider_sync("copilot"),
        "context_monitor": {
            f"{c['provider']}/{c['model']}": ContextWindowMonitor(
                c["model"], c["provider"], enabled=False
            ).context_window
            for c in cases
        },
    }
    restored = unpatch_massgen()
    result["restored"] = restored
    result["after_unpatch"] = costs(calc, cases)
    result["module_function_restored"] = (
        model_catalog.get_models_for_provider_sync.__module__ == "massgen.utils.model_catalog"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
