"""MassGen-shaped helpers: the functions MassGen's model listing, pricing and setup wizard call.

The public import path; the implementation lives in :mod:`massgen_discovery._adapters.massgen`.
"""

from ._adapters.massgen import *  # noqa: F403 - the public path re-exports the implementation
from ._adapters.massgen import __all__ as __all__
