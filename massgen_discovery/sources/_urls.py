"""Credentials inside URLs (userinfo, query parameters): taken off, fingerprinted, put back.

Kept apart from ``_http`` so that configuring a source (done on every cold lookup) does not import
httpx; a plain URL (every default) is not even parsed, so it does not import urllib either.
"""

from __future__ import annotations

import re

__all__ = [
    "CREDENTIAL_QUERY",
    "is_credential_name",
    "query_secret",
    "redact_url",
    "split_url_credentials",
    "url_secrets",
]

CREDENTIAL_QUERY = r"(key|token|secret|password|passwd|auth|signature|sig|credential)"
"""A query parameter whose name matches this (case-insensitively) carries a credential."""


_PLAIN_URL = re.compile(r"([a-z][a-z0-9+.-]*://[^/?#@\s\\]*)(/[^?#@\s\\]*)?\Z")
"""A URL ``urlsplit`` would give back as it is: lower-case scheme, no credentials, query or fragment."""


def is_credential_name(name: str) -> bool:
    """Whether a query parameter named ``name`` carries a credential."""
    return re.search(CREDENTIAL_QUERY, name, re.IGNORECASE) is not None


def split_url_credentials(url: str) -> tuple[str, str | None, dict[str, str]]:
    """``(clean_url, userinfo, query)``: a URL without credentials, and what it carried.

    Userinfo (``user:pass@``) and the query string are taken off (a query may carry
    ``api_key=...``); the clean URL is what is stored, keyed and shown. Requests send the query
    parameters again and the userinfo as Basic auth, so nothing is lost.
    """
    plain = _PLAIN_URL.match(url)
    if plain is not None:  # nothing to take off: what urlsplit and urlunsplit would give back
        return plain[1] + (plain[2] or "").rstrip("/"), None, {}
    from urllib.parse import parse_qsl, urlsplit, urlunsplit

    parts = urlsplit(url)
    userinfo = None
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    clean = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return clean, userinfo or None, query


def query_secret(query: dict[str, str]) -> str | None:
    """The query parameters that look like credentials, as one string to fingerprint, or None."""
    secret = [f"{k}={v}" for k, v in sorted(query.items()) if is_credential_name(k)]
    return "&".join(secret) or None


def redact_url(url: str) -> str:
    """A URL safe to print: its password, and every credential-like query value, shown as ``***``.

    ``redis://user:secret@host/0`` -> ``redis://user:***@host/0``; a bare ``user@`` (which Redis
    and others take as a password) -> ``:***@``; ``?password=x&db=1`` -> ``?password=***&db=1``
    (``api_key``, ``token``, ``auth``, ``secret`` ... likewise). A URL that cannot be parsed is
    not shown at all.
    """
    from urllib.parse import parse_qsl, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        _ = parts.port  # a malformed port raises here rather than later
    except ValueError:
        return "<unparsable url>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:***@{hostport}" if sep and user else f":***@{hostport}"
    query = "&".join(f"{k}={'***' if is_credential_name(k) else v}" for k, v in pairs)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def url_secrets(url: str) -> list[str]:
    """Every secret a URL carries (its password or bare username, credential-like query values)."""
    from urllib.parse import parse_qsl, urlsplit

    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return []
    found = [v for k, v in pairs if v and is_credential_name(k)]
    if "@" in parts.netloc:
        user, sep, password = parts.netloc.rpartition("@")[0].partition(":")
        found.append(password if sep else user)
    return sorted({s for s in found if s}, key=len, reverse=True)
