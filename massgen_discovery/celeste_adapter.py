"""Fill celeste's model registry from the catalog: HF routes, Ollama tags, every provider celeste knows.

The public import path; the implementation lives in :mod:`massgen_discovery._adapters.celeste`.
"""

from ._adapters.celeste import *  # noqa: F403 - the public path re-exports the implementation
from ._adapters.celeste import __all__ as __all__
