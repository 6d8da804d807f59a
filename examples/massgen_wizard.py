"""What MassGen's setup wizard shows: models per provider with context, price and capabilities.

python examples/massgen_wizard.py
"""

from massgen_discovery.massgen_adapter import (
    get_context_window,
    get_model_pricing,
    get_models_for_provider_sync,
    wizard_choices,
)

choices = wizard_choices("HuggingFace")
for model_id, line in choices[:5]:
    print(f"{model_id:50} {line}")
if not choices:
    print("no HuggingFace listing in the catalog (offline, or the router was not reached): online, the")
    print("router's live listing fills the wizard with each model's context, prices and capabilities.")
print("openrouter models:", len(get_models_for_provider_sync("openrouter")))
print("context of claude-opus-5 on OpenRouter:", get_context_window("openrouter", "anthropic/claude-opus-5"))
print("pricing:", get_model_pricing("OpenRouter", "anthropic/claude-opus-5"))
print("unknown stays unknown:", get_context_window("openrouter", "no-such/model"))
