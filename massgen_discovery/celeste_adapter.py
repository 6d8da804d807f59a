"""Fill celeste's model registry from the catalog: HF routes, Ollama tags, every provider celeste knows.

The public import path; the implementation lives in :mod:`massgen_discovery._adapters.celeste`.
"""

from ._adapters.celeste import (
    CELESTE_PROVIDERS,
    celeste_models,
    register_with_celeste,
)

__all__ = [
    "CELESTE_PROVIDERS",
    "celeste_models",
    "register_with_celeste",
]
