"""The ``Source`` protocol and the name -> factory registry that live sources plug into.

A source turns one upstream listing into canonical :class:`~massgen_discovery.ModelRecord` s. It is
fetched with an injected ``httpx.AsyncClient`` and converted separately, so the raw payload can be
cached and re-read without the network. Nothing in this module is vendor-specific.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

from .._domain.identifiers import BUNDLED
from ..errors import ConfigError
from ..providers import PROVIDERS

if TYPE_CHECKING:
    import httpx

    from ..records import ModelRecord

__all__ = [
    "BUNDLED",
    "Source",
    "SourceBase",
    "SourceHooks",
    "create_source",
    "hooks",
    "register_source",
    "source_aliases",
    "source_names",
]


@runtime_checkable
class Source(Protocol):
    """A live listing: fetch a JSON payload over HTTP, then turn it into records."""

    @property
    def name(self) -> str:
        """Unique source name (``huggingface``, ``ollama``); used in ``provenance`` and cache keys."""
        ...

    @property
    def ttl(self) -> float:
        """Seconds a fetched payload stays fresh."""
        ...

    @property
    def base_url(self) -> str:
        """The API root the source fetches from (part of the cache key)."""
        ...

    @property
    def credential(self) -> str | None:
        """The secret sent upstream, if any. Only its fingerprint is ever stored."""
        ...

    async def fetch(self, client: httpx.AsyncClient, previous: Any = None) -> Any:
        """Fetch the raw payload (JSON-serialisable). Raises :class:`~massgen_discovery.SourceError`.

        ``previous`` is the last good payload, for sources that can reuse parts of it (Ollama
        keeps ``/api/show`` answers by model digest); None on a first fetch.
        """
        ...

    def to_records(self, payload: Any, fetched_at: datetime) -> list[ModelRecord]:
        """Convert a payload from :meth:`fetch` into records; one bad entry is skipped, not fatal."""
        ...


class SourceHooks(Protocol):
    """The optional members of a :class:`Source`: define any of them to change the default.

    Read through :func:`hooks` (and :func:`source_aliases` for the two alias methods).
    """

    enabled: bool
    """False skips the source (a key-gated listing without its key). Default: True."""
    env_vars: tuple[str, ...]
    """Credential variables, named when a disabled source is asked for. Default: none."""
    authoritative_for: str | None
    """A provider whose availability this listing decides (models it omits are unavailable).
    Default: None."""
    cache_credential: str | None
    """Everything secret about the configuration, for the cache key's fingerprint.
    Default: :attr:`Source.credential`."""
    provider: str
    """The LiteLLM provider id of the records. Default: the source name."""
    reuses_previous: bool
    """Whether :meth:`Source.fetch` uses its ``previous`` payload; False spares reading a big
    listing back before each fetch. Default: True."""
    conditional_get: bool
    """Whether :meth:`Source.fetch` takes ``validators=`` (the stored listing's ETag and
    Last-Modified, for ``sources._http.get_json``) and asks conditionally. Default: False."""

    def aliases(self, records: list[ModelRecord]) -> dict[str, str]:
        """Extra lookup strings -> record keys, from the records. Default: none."""
        ...

    def payload_aliases(self, payload: Any) -> dict[str, str]:
        """Extra lookup strings -> record keys, from the raw listing. Default: none."""
        ...


# The functional form (kept from ruff's UP014): its field types are evaluated expressions, where the
# class form would compile a forward reference per field (this module's annotations are strings).
Hooks = NamedTuple(  # noqa: UP014
    "Hooks",
    [
        ("enabled", bool),
        ("env_vars", tuple[str, ...]),
        ("authoritative_for", str | None),
        ("cache_credential", str | None),
        ("provider", str),
        ("reuses_previous", bool),
        ("conditional_get", bool),
    ],
)
Hooks.__doc__ = """A source's optional members with their defaults filled in (see :class:`SourceHooks`)."""


def hooks(source: Source) -> Hooks:
    """The optional members of ``source`` (:class:`SourceHooks`), defaults where it has none."""
    enabled = getattr(source, "enabled", True)
    authoritative = getattr(source, "authoritative_for", None)
    provider = getattr(source, "provider", None)
    return Hooks(
        enabled=bool(enabled),
        env_vars=tuple(getattr(source, "env_vars", ())),
        authoritative_for=authoritative if isinstance(authoritative, str) else None,
        cache_credential=getattr(source, "cache_credential", source.credential),
        provider=provider if isinstance(provider, str) else source.name,
        reuses_previous=getattr(source, "reuses_previous", True) is not False,
        conditional_get=getattr(source, "conditional_get", False) is True,
    )


def source_aliases(source: Source, records: list[ModelRecord], payload: Any = None) -> dict[str, str]:
    """Extra lookup strings a source defines, else none.

    Two optional hooks (:class:`SourceHooks`): ``aliases(records)`` and ``payload_aliases(payload)``
    (names a listing gives a model beside its id, such as OpenRouter's ``canonical_slug``).
    """
    out: dict[str, str] = {}
    for name, arg in (("aliases", records), ("payload_aliases", payload)):
        method = getattr(source, name, None)
        if callable(method) and arg is not None:
            result = method(arg)
            if isinstance(result, dict):
                out.update({str(k): str(v) for k, v in result.items()})
    return out


class SourceBase:
    """What every source is keyed by: its API root and the credential it sends (never stored).

    Credentials written into the base URL (``http://user:pass@host/v1``, ``...?api_key=...``) are
    taken off it: :attr:`base_url` is the clean URL that is stored and shown, :meth:`_url` puts
    them back for the request, and :attr:`cache_credential` folds them into the fingerprint.
    """

    def __init__(self, base_url: str, credential: str | None = None) -> None:
        from ._urls import split_url_credentials

        clean, userinfo, query = split_url_credentials(base_url.strip())
        self._base_url = clean
        self._url_userinfo = userinfo
        self._url_query = query
        self._credential = credential or None
        # A query a base URL carries is configuration that may hold a key: fingerprinted, never kept.
        self._url_secret: str | None = None
        if userinfo or query:
            from urllib.parse import urlencode

            self._url_secret = "|".join(p for p in (userinfo, urlencode(sorted(query.items()))) if p) or None

    @property
    def base_url(self) -> str:
        """The API root the source fetches from, without any credential it carried."""
        return self._base_url

    @property
    def credential(self) -> str | None:
        """The secret sent upstream, if any; only its fingerprint is stored."""
        return self._credential

    @property
    def cache_credential(self) -> str | None:
        """Everything secret about this configuration (key and URL credentials), for the fingerprint."""
        parts = [p for p in (self._credential, self._url_secret) if p]
        return "\n".join(parts) or None

    def _url(self, path: str = "", base: str | None = None) -> str:
        """``base_url + path`` (or ``base + path``) with the URL's own credentials put back."""
        from urllib.parse import urlencode, urlsplit, urlunsplit

        url = f"{self._base_url if base is None else base}{path}"
        if not (self._url_userinfo or self._url_query):
            return url
        parts = urlsplit(url)
        netloc = f"{self._url_userinfo}@{parts.netloc}" if self._url_userinfo else parts.netloc
        query = "&".join(q for q in (parts.query, urlencode(self._url_query)) if q)
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


SourceFactory = Callable[[], Source]
"""Builds a source from the environment (base URL, credential)."""

# name -> "module:attribute" (imported on first use, so the registry costs nothing at import) or a
# factory registered at run time. The built-in sources are the providers' (declared once there).
_REGISTRY: dict[str, str | SourceFactory] = {
    info.live_source: info.source for info in PROVIDERS.values() if info.live_source and info.source
}
_REGISTRY["modelsdev"] = "massgen_discovery.sources.modelsdev:ModelsDevSource"  # a catalog, not a provider


def register_source(name: str, factory: str | SourceFactory) -> None:
    """Register a live source under ``name``: a zero-argument factory or ``"module:attribute"``."""
    if name == BUNDLED:
        raise ConfigError(f"{BUNDLED!r} is the bundled LiteLLM map and cannot be replaced")
    _REGISTRY[name] = factory


def source_names() -> list[str]:
    """Every source name a catalog accepts: the bundled map first, then the live sources."""
    return [BUNDLED, *sorted(_REGISTRY)]


def create_source(name: str) -> Source:
    """Build the registered live source ``name`` from the environment."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        known = ", ".join(source_names())
        raise ConfigError(f"unknown source {name!r} (known: {known})") from None
    if isinstance(factory, str):
        module_name, _, attr = factory.partition(":")
        factory = getattr(importlib.import_module(module_name), attr)
        _REGISTRY[name] = factory
    assert callable(factory)
    return factory()
