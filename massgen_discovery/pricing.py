"""One price engine: what one call costs, on every dimension a price has.

The public import path; the implementation lives in :mod:`massgen_discovery._domain.pricing`.
"""

from ._domain.pricing import *  # noqa: F403 - the public path re-exports the implementation
from ._domain.pricing import __all__ as __all__
