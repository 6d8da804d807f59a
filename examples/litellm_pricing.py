"""Price HuggingFace and OpenRouter calls made through LiteLLM with the catalog's live data.

    python examples/litellm_pricing.py

Offline-safe: the completions use LiteLLM's mock_response; the listings come from wherever
MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL / MASSGEN_DISCOVERY_OPENROUTER_BASE_URL point (the real
services by default).
"""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm

from massgen_discovery import Catalog
from massgen_discovery.litellm_bridge import completion_cost, litellm_cost_kwargs, register_with_litellm

catalog = Catalog(sources=["litellm", "huggingface", "openrouter"])
catalog.refresh()

if catalog.get_model("openrouter/anthropic/claude-opus-5") is None:
    print("no live OpenRouter or HuggingFace listing in the catalog (offline, or they were not reached).")
    print("online, this registers OpenRouter models newer than LiteLLM into litellm.model_cost and prices")
    print("an OpenRouter and a HuggingFace call with the listings' own prices.")
    raise SystemExit(0)

# OpenRouter models newer than the installed LiteLLM: register them, then LiteLLM prices them itself.
print("registered:", register_with_litellm(catalog, providers=["openrouter"]))
prompt_cost, output_cost = litellm.cost_per_token(
    model="openrouter/anthropic/claude-opus-5", prompt_tokens=1000, completion_tokens=100
)
print(f"openrouter cost by litellm: ${prompt_cost + output_cost:.6f}")
response = litellm.completion(
    model="openrouter/anthropic/claude-opus-5", messages=[{"role": "user", "content": "hi"}],
    mock_response="hello", api_key="sk-or-placeholder",
)  # fmt: skip
# litellm.completion_cost(completion_response=response) works on newer LiteLLM; 1.82.6 reads the
# stripped response.model as an anthropic model and raises. This works on both:
cost = completion_cost(response, model="openrouter/anthropic/claude-opus-5", catalog=catalog)
print(f"openrouter response cost: ${cost:.6f}")

# HuggingFace routes: LiteLLM prices them at $0, so price with the catalog instead.
model = "huggingface/together/moonshotai/Kimi-K3"
response = litellm.completion(
    model=model, messages=[{"role": "user", "content": "hi"}], mock_response="hello", api_key="hf_placeholder"
)
print("custom_cost_per_token:", litellm_cost_kwargs(model, catalog))
print(f"huggingface cost by massgen_discovery: ${completion_cost(response, model=model, catalog=catalog):.6f}")
