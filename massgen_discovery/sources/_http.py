"""GET + JSON with an injected client; httpx errors become ``SourceError`` here, once."""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import unquote

import httpx

from .._runtime import collector_paused
from ..errors import (
    SourceAuthError,
    SourceError,
    SourceFormatError,
    SourceHTTPError,
    SourceTimeout,
    SourceUnreachable,
)
from ._urls import is_credential_name, query_secret, redact_url, split_url_credentials

__all__ = [
    "MAX_BODY_BYTES",
    "NotModified",
    "ConditionalGet",
    "auth_headers",
    "get_json",
    "redact",
]

MAX_BODY_BYTES = 32 * 1024 * 1024
"""Answers larger than this are refused: a listing is kilobytes to a few MB, never this."""
_SNIPPET = 200


_KEYISH = re.compile(r"key|auth|token|credential|no connected db|unauthori[sz]ed|permission", re.I)


class NotModified(Exception):
    """The upstream answered 304 to a conditional GET: the listing is the one stored."""


MAX_VALIDATOR = 1024
"""Longest ``ETag`` / ``Last-Modified`` (or URL) kept for a conditional GET; longer ones are dropped."""


class ConditionalGet:
    """What one fetch sends back and learns for conditional GETs (``ETag``, ``Last-Modified``).

    ``sent`` is what the upstream gave for ``url`` last time; ``seen`` what it gave this time, kept
    only when the fetch was one request (the listing): a fetch of several requests cannot be
    judged unchanged from one of them.
    """

    def __init__(self, sent: Any = None) -> None:
        pairs = sent.items() if isinstance(sent, dict) else ()
        self.sent: dict[str, str] = {k: v for k, v in pairs if isinstance(k, str) and isinstance(v, str)}
        self.seen: dict[str, str] = {}
        self.requests = 0
        self._answer: tuple[Any, bytes] | None = None

    def learned(self) -> dict[str, str]:
        """What to store for next time (nothing when the fetch made several requests).

        A validator longer than :data:`MAX_VALIDATOR` characters is not kept (the next fetch is
        then unconditional); the listing is stored all the same.
        """
        if self.requests != 1:
            return {}
        kept = {k: v for k, v in self.seen.items() if len(v) <= MAX_VALIDATOR}
        return kept if "url" in kept and (kept.get("etag") or kept.get("last_modified")) else {}

    def keep_body(self, parsed: Any, body: bytes) -> None:
        """Remember the JSON body a GET of this fetch answered, with what it parsed to."""
        self._answer = (parsed, body)

    def body_of(self, payload: Any) -> bytes | None:
        """The body ``payload`` was parsed from, when the fetch was that one GET; else None.

        The listing is then stored and hashed as the upstream sent it, not written out again.
        """
        if self.requests != 1 or self._answer is None or self._answer[0] is not payload:
            return None
        return self._answer[1]


def _conditional_headers(jar: ConditionalGet | None, key: str) -> dict[str, str]:
    if jar is None:
        return {}
    jar.requests += 1
    if jar.sent.get("url") != key:
        return {}
    headers = {}
    if jar.sent.get("etag"):
        headers["If-None-Match"] = jar.sent["etag"]
    if jar.sent.get("last_modified"):
        headers["If-Modified-Since"] = jar.sent["last_modified"]
    return headers


def auth_headers(credential: str | None) -> dict[str, str]:
    """``Authorization: Bearer`` for a credential, or no header."""
    return {"Authorization": f"Bearer {credential}"} if credential else {}


def redact(text: str, secret: str | None) -> str:
    """Remove a secret from a text before it goes into a message."""
    return text.replace(secret, "***") if secret else text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import datetime, timezone

        when = parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


def _snippet(body: bytes) -> str:
    return " ".join(body[:_SNIPPET].decode("utf-8", "replace").split())


_REDIRECTS = {301, 302, 303, 307, 308}
_MAX_REDIRECTS = 5


class _TooLarge(Exception):
    pass


class _Decoder:
    """One ``Content-Encoding`` stage, decoded incrementally with its total output capped."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.encoding = encoding
        self.cap = cap
        self.total = 0
        self.raw_deflate = False
        self.started = False
        self.zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        while data and not self.zlib.eof:
            try:
                chunk = self.zlib.decompress(data, self.cap - self.total + 1)
            except zlib.error:
                if self.encoding == "deflate" and not self.started and not self.raw_deflate:
                    # Servers send "deflate" both zlib-wrapped (as specified) and raw.
                    self.raw_deflate = True
                    self.zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise
            self.started = True
            self.total += len(chunk)
            if self.total > self.cap:
                raise _TooLarge
            if chunk:
                out.append(chunk)
            data = self.zlib.unconsumed_tail
        return out


def _decoders(response: httpx.Response, cap: int) -> list[_Decoder]:
    """Decoders for the response's encodings, outermost first (the reverse of the order applied)."""
    names = [n.strip().lower() for n in response.headers.get("content-encoding", "").split(",") if n.strip()]
    names = [n for n in names if n != "identity"]
    unsupported = [n for n in names if n not in ("gzip", "x-gzip", "deflate")]
    if unsupported:
        raise ValueError(", ".join(unsupported))
    return [_Decoder(n, cap) for n in reversed(names)]


def _decode(decoders: list[_Decoder], data: bytes) -> list[bytes]:
    pieces = [data]
    for decoder in decoders:
        pieces = [out for piece in pieces for out in decoder.feed(piece)]
    return pieces


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _parse(body: bytes) -> Any:
    """JSON by pydantic's core (twice as fast on a big listing); :mod:`json` judges what it refuses.

    The standard parser reads what the core does not (UTF-16, say) and words the errors.
    """
    from pydantic_core import from_json

    try:
        return from_json(body)
    except ValueError:
        return json.loads(body)


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    *,
    source: str,
    credential: str | None = None,
    env_var: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    method: str = "GET",
    json_body: Any = None,
    max_bytes: int | None = None,
    bearer: bool = True,
    validators: ConditionalGet | None = None,
) -> Any:
    """Request ``url`` and parse its JSON body, translating every failure to a ``SourceError``.

    The credential is sent as a Bearer token (unless ``bearer=False``: the caller's ``headers``
    carry it another way) and is scrubbed from any message. A URL's own credentials (userinfo,
    query) are used for the request and never appear in a message. The body is decoded here,
    stage by stage, with the decoded size capped while streaming (a compression bomb stops at the
    cap, whatever the nesting). Redirects are followed within the same origin; a redirect to
    another origin is followed without any credential header. A GET with ``validators`` (those
    of the listing stored last time) is conditional, and they learn what the answer says.
    """
    cap = MAX_BODY_BYTES if max_bytes is None else max_bytes
    clean, userinfo, url_query = split_url_credentials(url)
    secrets = [s for s in (credential, userinfo, query_secret(url_query)) if s]
    secrets += [v for k, v in url_query.items() if is_credential_name(k) and v]
    where = redact_url(clean)

    def scrub(text: str) -> str:
        for secret in secrets:
            text = redact(text, secret)
        return text

    request_headers = _request_headers(credential if bearer else None, userinfo, headers)
    target = httpx.URL(clean, params={**url_query, **(params or {})})
    jar = validators if method == "GET" else None
    key = redact_url(str(target))  # no credential is ever stored with a validator
    asked = _conditional_headers(jar, key)
    request_headers.update(asked)
    response, body = await _exchange(
        client, _Request(method, target, request_headers, json_body), cap, source=source, where=where, scrub=scrub
    )
    status = response.status_code
    if status == 304 and asked:
        raise NotModified(where)
    if jar is not None and 200 <= status < 300:
        etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        if etag or modified:
            jar.seen = {"url": key, "etag": etag or "", "last_modified": modified or ""}
    snippet = scrub(_snippet(body))
    _raise_for_status(response, snippet, source=source, where=where, env_var=env_var)
    parsed = _json_of(body, snippet, status, source=source, where=where)
    if jar is not None:
        jar.keep_body(parsed, body)
    return parsed


_PLAIN = {"Accept": "application/json", "Accept-Encoding": "gzip, deflate"}


def _request_headers(bearer: str | None, userinfo: str | None, headers: dict[str, str] | None) -> dict[str, str]:
    """What a request sends: JSON, compression, then its credential (Bearer, else the URL's as Basic)."""
    auth_header = auth_headers(bearer)
    if userinfo and not auth_header:
        user, _, password = userinfo.partition(":")
        token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()
        auth_header = {"Authorization": f"Basic {token}"}
    return {**_PLAIN, **auth_header, **(headers or {})}


class _Request(NamedTuple):
    method: str
    target: httpx.URL
    headers: dict[str, str]
    json_body: Any


async def _exchange(
    client: httpx.AsyncClient, request: _Request, cap: int, *, source: str, where: str, scrub: Callable[[str], str]
) -> tuple[httpx.Response, bytes]:
    """The response and its decoded body, redirects followed; every transport failure as a ``SourceError``.

    A redirect to another origin is followed without the credential headers.
    """
    method, target, headers, body_json = request
    try:
        for _hop in range(_MAX_REDIRECTS + 1):
            async with client.stream(method, target, headers=headers, json=body_json) as response:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    following = target.join(location)
                    if not _same_origin(target, following):
                        headers = dict(_PLAIN)  # never hand a credential to another origin
                    if response.status_code == 303:
                        method, body_json = "GET", None
                    target = following
                    continue
                return response, await _read_body(response, cap, source=source, where=where)
        raise SourceError(f"{source}: more than {_MAX_REDIRECTS} redirects from {where}", source=source)
    except httpx.TimeoutException as exc:
        raise SourceTimeout(f"{source}: timed out reaching {where}", source=source) from exc
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        reason = scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise SourceUnreachable(f"{source}: cannot reach {where} ({reason})", source=source) from exc
    except httpx.HTTPError as exc:
        reason = scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        raise SourceError(f"{source}: request to {where} failed ({reason})", source=source) from exc


def _raise_for_status(response: httpx.Response, snippet: str, *, source: str, where: str, env_var: str | None) -> None:
    """A refused key (401, 403) or any other HTTP error as its ``SourceError``, naming the key's variable."""
    status = response.status_code
    if status in (401, 403):
        hint = f"; check {env_var}" if env_var else ""
        raise SourceAuthError(
            f"{source}: HTTP {status} from {where}{hint}", source=source, status_code=status, body=snippet
        )
    if status >= 400:
        # A LiteLLM proxy answers a wrong key with 400 ("No connected db.") or 500: name the
        # variable when the body speaks of keys or auth.
        keyish = env_var is not None and status in (400, 500) and _KEYISH.search(snippet or "") is not None
        hint = f" (check {env_var})" if keyish else ""
        raise SourceHTTPError(
            f"{source}: HTTP {status} from {where}{hint}: {snippet}"[:300],
            source=source,
            status_code=status,
            body=snippet,
            retry_after=_retry_after(response),
        )


def _json_of(body: bytes, snippet: str, status: int, *, source: str, where: str) -> Any:
    """The body's JSON; HTML, broken or too deeply nested JSON as a ``SourceFormatError``."""
    try:
        with collector_paused():  # a big listing is a hundred thousand containers, none in a cycle
            return _parse(body)
    except RecursionError as exc:
        raise SourceFormatError(
            f"{source}: invalid JSON from {where} (nested too deeply)", source=source, status_code=status
        ) from exc
    except ValueError as exc:
        kind = "HTML" if snippet.lstrip().lower().startswith(("<!doctype", "<html")) else "invalid JSON"
        raise SourceFormatError(
            f"{source}: {kind} from {where} (status {status})", source=source, status_code=status, body=snippet
        ) from exc


async def _read_body(response: httpx.Response, cap: int, *, source: str, where: str) -> bytes:
    """The decoded body, refused as soon as it passes ``cap`` bytes (on the wire or decoded)."""

    def too_large() -> SourceFormatError:
        return SourceFormatError(
            f"{source}: answer from {where} is over the {cap} byte cap", source=source, status_code=response.status_code
        )

    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise SourceFormatError(
            f"{source}: answer of {int(declared)} bytes from {where} is over the {cap} byte cap",
            source=source,
            status_code=response.status_code,
        )
    try:
        decoders = _decoders(response, cap)
    except ValueError as exc:
        message = f"{source}: unsupported Content-Encoding {exc} from {where}"
        raise SourceFormatError(message, source=source, status_code=response.status_code) from None
    chunks: list[bytes] = []
    size = wire = 0
    if response.is_stream_consumed:
        # An in-memory response (httpx.MockTransport) arrives read and decoded already.
        if len(response.content) > cap:
            raise too_large()
        return response.content
    try:
        async for raw in response.aiter_raw():
            wire += len(raw)
            if wire > cap:
                raise _TooLarge
            for piece in _decode(decoders, raw) if decoders else [raw]:
                size += len(piece)
                if size > cap:
                    raise _TooLarge
                chunks.append(piece)
    except _TooLarge:
        raise too_large() from None
    except zlib.error as exc:
        raise SourceFormatError(
            f"{source}: corrupt compressed answer from {where} ({exc})", source=source, status_code=response.status_code
        ) from None
    return b"".join(chunks)
