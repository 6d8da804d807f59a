"""One price engine: what one call costs, on every dimension a price has.

The public import path; the implementation lives in :mod:`massgen_discovery._domain.pricing`.
"""

from ._domain.pricing import *  # noqa: F403 - the public path re-exports the implementation
from ._domain.pricing import __all__ as _engine
from ._domain.usage import call_tokens as call_tokens

__all__ = [*_engine, "call_tokens"]
