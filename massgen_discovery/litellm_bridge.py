"""Use the catalog from LiteLLM: register models, price responses, build Router deployments.

The public import path; the implementation lives in :mod:`massgen_discovery._adapters.litellm`.
"""

from ._adapters.litellm import *  # noqa: F403 - the public path re-exports the implementation
from ._adapters.litellm import __all__ as __all__
