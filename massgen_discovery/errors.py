"""Exceptions raised by massgen_discovery.

The default lookup APIs never raise these for an upstream failure: they serve the last good data.
They surface from ``refresh(raise_on_error=True)``, from a source's ``fetch``, and for misuse.

Hierarchy::

    DiscoveryError
    ├── ConfigError            you misused the API (unknown source, bad option)
    └── SourceError            an upstream listing failed (carries source, status_code, body)
        ├── SourceUnreachable  connection refused, unresolvable host
        ├── SourceTimeout      connect or read timeout
        ├── SourceHTTPError    a non-2xx answer
        │   └── SourceAuthError    401 / 403: check the credential env var
        └── SourceFormatError  not JSON, truncated JSON, or not the expected shape

Usage::

    try:
        catalog.refresh(raise_on_error=True)
    except massgen_discovery.SourceError as exc:
        print(exc.source, exc.status_code, exc)
"""

from __future__ import annotations

__all__ = [
    "CacheError",
    "ConfigError",
    "DiscoveryError",
    "NotRunning",
    "SourceAuthError",
    "SourceError",
    "SourceFormatError",
    "SourceHTTPError",
    "SourceTimeout",
    "SourceUnreachable",
]


class DiscoveryError(Exception):
    """Base class of every exception this package raises."""


class ConfigError(DiscoveryError, ValueError):
    """The caller asked for something that cannot work (unknown source name, bad option)."""


class SourceError(DiscoveryError):
    """A source could not produce a listing.

    The message is one line and never contains a credential.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        status_code: int | None = None,
        body: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        """Name of the source that failed."""
        self.status_code = status_code
        """HTTP status, when there was an answer."""
        self.body = body
        """The start of the answer's body, when there was one."""
        self.retry_after = retry_after
        """Seconds the upstream asked us to wait (``Retry-After``), when it said."""


class SourceUnreachable(SourceError):
    """The server could not be reached (refused, unresolvable, reset)."""


class NotRunning(SourceUnreachable):
    """A local server (Ollama) refused the connection: it is not running, a state and not a failure."""


class SourceTimeout(SourceError):
    """The server did not answer within the timeout."""


class SourceHTTPError(SourceError):
    """The server answered with a non-success status."""


class SourceAuthError(SourceHTTPError):
    """The server refused the credential (401 or 403)."""


class SourceFormatError(SourceError):
    """The answer was not the JSON document the source expects."""


class CacheError(DiscoveryError, OSError):
    """The cache could not do what was asked (``cache clear`` on a read-only or broken disk)."""
