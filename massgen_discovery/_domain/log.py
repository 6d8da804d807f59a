"""A module logger that imports :mod:`logging` on its first message, not at import.

``logging`` (with ``traceback``, ``linecache`` and ``tokenize``) is about 7 ms of a cold lookup
that logs nothing. Records carry the caller's location, as with ``logging.getLogger(name)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

__all__ = ["get_logger"]


class _LazyLogger:
    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: logging.Logger | None = None

    def _get(self) -> logging.Logger:
        if self._logger is None:
            import logging

            self._logger = logging.getLogger(self._name)
        return self._logger

    def debug(self, msg: object, *args: Any) -> None:
        self._get().debug(msg, *args, stacklevel=2)

    def info(self, msg: object, *args: Any) -> None:
        self._get().info(msg, *args, stacklevel=2)

    def warning(self, msg: object, *args: Any) -> None:
        self._get().warning(msg, *args, stacklevel=2)

    def error(self, msg: object, *args: Any) -> None:
        self._get().error(msg, *args, stacklevel=2)


def get_logger(name: str) -> _LazyLogger:
    """The logger named ``name`` (a module's ``__name__``), created on first use."""
    return _LazyLogger(name)
