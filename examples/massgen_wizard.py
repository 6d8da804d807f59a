"""What MassGen's setup wizard shows: models per provider with context, price and capabilities.

python examples/massgen_wizard.py
"""

from massgen_discovery.massgen_adapter import (
    get_context_window,
    get_model_pricing,
    get_models_for_provider_sync,
    wizard_choices,
)

for model_id, line in wizard_choices("HuggingFace")[:5]:
    print(f"{model_id:50} {line}")
print("openrouter models:", len(get_models_for_provider_sync("openrouter")))
print("context of claude-opus-5 on OpenRouter:", get_context_window("openrouter", "anthropic/claude-opus-5"))
print("pricing:", get_model_pricing("OpenRouter", "anthropic/claude-opus-5"))
print("unknown stays unknown:", get_context_window("openrouter", "no-such/model"))
