"""The ``massgen-discovery`` command line: one module per command group, formatting in its own.

``run(argv)`` runs a command and returns its exit code; ``main()`` is the console script.
"""

from .._domain.display import format_price, format_tokens
from .app import main, run
from .base import Invocation
from .format import inert, records_json

__all__ = ["Invocation", "format_price", "format_tokens", "inert", "main", "records_json", "run"]
