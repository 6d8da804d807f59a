"""Run celeste-ai 1.0.0 itself with the catalog registered (in .venv-celeste; see test_celeste_real.py).

Reads a JSON config from argv[1], prints one JSON document of findings on stdout. The catalog's
sources point at the loopback servers the test started; celeste's text client calls the loopback
router. Nothing here asserts: the test does, on what is printed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import warnings
from typing import Any

import celeste
from celeste.core import Modality, Provider
from celeste.exceptions import ConstraintViolationError
from celeste.models import get_model, list_models

from massgen_discovery import Catalog
from massgen_discovery.celeste_adapter import register_with_celeste

TOOL = {"type": "function", "function": {"name": "get_weather", "description": "weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}  # fmt: skip


def constraints(model_id: str, provider: Provider) -> dict[str, Any] | None:
    model = get_model(model_id, provider)
    if model is None:
        return None
    return {name: c.model_dump(mode="json") for name, c in model.parameter_constraints.items()}


async def call(router: str, model_id: str, **parameters: Any) -> str:
    """What celeste does with one call: 'refused: ...', 'sent', or the error it ended with."""
    client = celeste.create_client(
        modality=Modality.TEXT, provider=Provider.HUGGINGFACE, model=model_id, base_url=router, api_key="hf_fake"
    )
    try:
        await client.generate("hi", **parameters)
    except ConstraintViolationError as exc:
        return f"refused: {exc}"
    except Exception as exc:  # the loopback router answers; anything else is reported as is
        return f"error: {type(exc).__name__}: {exc}"
    return "sent"


def main() -> None:
    config = json.loads(sys.argv[1])
    out: dict[str, Any] = {}
    static_before = {(m.id, str(m.provider)): m.display_name for m in list_models()}
    out["static_hf"] = [m.id for m in list_models(provider=Provider.HUGGINGFACE)]
    catalog = Catalog(sources=["litellm", "huggingface", "ollama"], timeout=10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out["registered"] = register_with_celeste(catalog)
        out["registered_again"] = register_with_celeste(catalog)
        threads = [threading.Thread(target=register_with_celeste, args=(catalog,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    out["warnings"] = [str(w.message) for w in caught]
    keys = [(m.id, str(m.provider)) for m in list_models()]
    out["duplicates"] = len(keys) - len(set(keys))
    out["static_kept"] = all(
        (get_model(i, Provider(p)) is not None and get_model(i, Provider(p)).display_name == name)
        for (i, p), name in static_before.items()
    )
    out["hf"] = sorted(m.id for m in list_models(provider=Provider.HUGGINGFACE))
    out["ollama"] = sorted(m.id for m in list_models(provider=Provider.OLLAMA))
    out["openai"] = len(list_models(provider=Provider.OPENAI))
    out["constraints"] = {i: constraints(i, Provider.HUGGINGFACE) for i in config["inspect"]}
    out["ollama_constraints"] = {i: constraints(i, Provider.OLLAMA) for i in config["inspect_ollama"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = get_model(config["route_with_tools"])  # no provider named
        out["found_without_provider"] = None if found is None else str(found.provider)
        client = celeste.create_client(modality=Modality.TEXT, model=config["route_with_tools"])
        out["client_provider"] = str(client.model.provider)
    out["validation_warnings"] = [str(w.message) for w in caught]
    router = config["router"]
    out["calls"] = {
        "no_tool_route_with_tool": asyncio.run(call(router, config["route_without_tools"], tools=[TOOL])),
        "tool_route_with_tool": asyncio.run(call(router, config["route_with_tools"], tools=[TOOL])),
        "silent_route_with_tool": asyncio.run(call(router, config["route_silent"], tools=[TOOL])),
        "max_tokens_past_limit": asyncio.run(call(router, config["route_with_tools"], max_tokens=10**9)),
        "max_tokens_within": asyncio.run(call(router, config["route_with_tools"], max_tokens=100)),
    }
    # Offline, with the router down or an empty cache: what is cached registers, nothing raises.
    empty = Catalog(cache_dir=config["empty_cache"], sources=["litellm", "huggingface"], offline=True)
    out["offline_empty_registered"] = register_with_celeste(empty)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
