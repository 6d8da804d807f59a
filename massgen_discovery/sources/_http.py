"""GET + JSON with an injected client; httpx errors become ``SourceError`` here, once."""

from __future__ import annotations

import json
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..errors import (
    SourceAuthError,
    SourceError,
    SourceFormatError,
    SourceHTTPError,
    SourceTimeout,
    SourceUnreachable,
)

__all__ = ["MAX_BODY_BYTES", "auth_headers", "get_json", "redact"]

MAX_BODY_BYTES = 32 * 1024 * 1024
"""Answers larger than this are refused: a listing is kilobytes to a few MB, never this."""
_SNIPPET = 200


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
) -> Any:
    """Request ``url`` and parse its JSON body, translating every failure to a ``SourceError``.

    The credential is sent as a Bearer token (unless ``bearer=False``: the caller's ``headers``
    carry it another way) and is scrubbed from any message.
    """
    cap = MAX_BODY_BYTES if max_bytes is None else max_bytes
    auth = auth_headers(credential) if bearer else {}
    all_headers = {"Accept": "application/json", **auth, **(headers or {})}
    where = redact(url, credential)
    try:
        async with client.stream(method, url, headers=all_headers, params=params, json=json_body) as response:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise SourceFormatError(
                    f"{source}: answer of {int(declared)} bytes from {where} is over the {cap} byte cap",
                    source=source,
                    status_code=response.status_code,
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise SourceFormatError(
                        f"{source}: answer from {where} is over the {cap} byte cap",
                        source=source,
                        status_code=response.status_code,
                    )
                chunks.append(chunk)
            body = b"".join(chunks)
    except httpx.TimeoutException as exc:
        raise SourceTimeout(f"{source}: timed out reaching {where}", source=source) from exc
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        reason = redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, credential)
        raise SourceUnreachable(f"{source}: cannot reach {where} ({reason})", source=source) from exc
    except httpx.HTTPError as exc:
        reason = redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, credential)
        raise SourceError(f"{source}: request to {where} failed ({reason})", source=source) from exc

    status = response.status_code
    snippet = redact(_snippet(body), credential)
    if status in (401, 403):
        hint = f"; check {env_var}" if env_var else ""
        raise SourceAuthError(
            f"{source}: HTTP {status} from {where}{hint}", source=source, status_code=status, body=snippet
        )
    if status >= 400:
        raise SourceHTTPError(
            f"{source}: HTTP {status} from {where}: {snippet}"[:300],
            source=source,
            status_code=status,
            body=snippet,
            retry_after=_retry_after(response),
        )
    try:
        return json.loads(body)
    except RecursionError as exc:
        raise SourceFormatError(
            f"{source}: invalid JSON from {where} (nested too deeply)", source=source, status_code=status
        ) from exc
    except ValueError as exc:
        kind = "HTML" if snippet.lstrip().lower().startswith(("<!doctype", "<html")) else "invalid JSON"
        raise SourceFormatError(
            f"{source}: {kind} from {where} (status {status})", source=source, status_code=status, body=snippet
        ) from exc
