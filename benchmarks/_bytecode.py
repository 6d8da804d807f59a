"""Compile the package's bytecode before fresh-process measurements.

An installed wheel has its ``.pyc`` files; an editable checkout under ``PYTHONDONTWRITEBYTECODE=1``
would compile every module on every start and measure the compiler, not the package.
"""

from __future__ import annotations

import compileall
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "massgen_discovery"


def compile_package() -> None:
    """Write the package's ``.pyc`` files (as installing it would)."""
    compileall.compile_dir(str(PACKAGE), quiet=1)
