"""A LiteLLM Router over every live HuggingFace route of a model with tools and 128k context.

python examples/hf_router.py
"""

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm

from massgen_discovery import Catalog
from massgen_discovery.litellm_bridge import router_model_list

catalog = Catalog(sources=["litellm", "huggingface"])
deployments = router_model_list(
    catalog, model_name="kimi", provider="huggingface", pinned=True, query="/moonshotai/Kimi-K3",
    tools=True, min_context=128_000, available=True, sort="price",
)  # fmt: skip
if not deployments:
    print("no live HuggingFace routes of Kimi-K3 in the catalog (offline, or the router was not reached).")
    print("online, this builds a LiteLLM Router over each route with tools and 128k context, cheapest first,")
    print("and prices every response from the route's own prices.")
    raise SystemExit(0)
for d in deployments:
    info = d["model_info"]
    print(d["litellm_params"]["model"], info.get("max_input_tokens"), info.get("input_cost_per_token"))
    d["litellm_params"].update(api_key=os.environ.get("HF_TOKEN", "hf_placeholder"), mock_response="routed")

router = litellm.Router(model_list=deployments)
response = router.completion(model="kimi", messages=[{"role": "user", "content": "hi"}])
print(response.choices[0].message.content)
print(f"response cost: ${response._hidden_params['response_cost']:.8f}")
