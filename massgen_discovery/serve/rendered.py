"""Rendered answers: bytes, ``ETag``, gzip and ``304``, kept per generation of the catalog.

An answer is rendered once per (generation, path, query) and served from memory until the catalog
answers from another generation; its ``ETag`` is a digest of its bytes, so every process serving
the same generation (two servers on one Redis) gives the same tag for the same answer.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import blake2b
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["GZIP_MIN_BYTES", "Answer", "AnswerCache", "json_bytes", "respond"]

GZIP_MIN_BYTES = 1024
"""Smaller answers are sent as they are (gzip would save little and cost a round of work)."""


def json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON; NaN and infinities as null (JSON has neither), datetimes in ISO form."""
    from pydantic_core import to_json

    return to_json(data, inf_nan_mode="null")


@dataclass
class Answer:
    """One rendered answer: its bytes, media type, status and tag (gzip made on first ask)."""

    body: bytes
    media_type: str = "application/json"
    status: int = 200
    cache_control: str = "public, max-age=60"
    etag: str = ""
    _gzipped: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.etag:
            self.etag = 'W/"' + blake2b(self.body, digest_size=16).hexdigest() + '"'

    def gzipped(self) -> bytes:
        """The body gzip-compressed (made once)."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


def _matches(header: str, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 asks for GET)."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def respond(request: Request, answer: Answer) -> Response:
    """The HTTP response for ``answer``: 304 when the client has it, gzip when it takes it."""
    headers = {"ETag": answer.etag, "Cache-Control": answer.cache_control, "Vary": "Accept-Encoding"}
    if answer.status == 200:
        inm = request.headers.get("if-none-match")
        if inm is not None and _matches(inm, answer.etag):
            return Response(status_code=304, headers=headers)
    body = answer.body
    if len(body) >= GZIP_MIN_BYTES and "gzip" in request.headers.get("accept-encoding", "").lower():
        body = answer.gzipped()
        headers["Content-Encoding"] = "gzip"
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=answer.status, headers=headers, media_type=answer.media_type)
    return Response(body, status_code=answer.status, headers=headers, media_type=answer.media_type)


class AnswerCache:
    """Answers by key, for one generation at a time, at most ``size`` of them (least recently used go).

    A miss renders under a lock, so 32 clients asking the same new question render it once.
    """

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._generation: str | None = None
        self._items: OrderedDict[tuple[str, ...], Answer] = OrderedDict()
        self._mutex = threading.Lock()
        self._render = threading.Lock()

    def get(self, generation: str, key: tuple[str, ...], render: Callable[[], Answer]) -> Answer:
        """The answer for ``key`` in ``generation``, rendered by ``render`` when not kept."""
        found = self._lookup(generation, key)
        if found is not None:
            return found
        with self._render:
            found = self._lookup(generation, key)
            if found is not None:
                return found
            answer = render()
            if answer.status == 200:
                with self._mutex:
                    if self._generation == generation:
                        self._items[key] = answer
                        while len(self._items) > self._size:
                            self._items.popitem(last=False)
            return answer

    def _lookup(self, generation: str, key: tuple[str, ...]) -> Answer | None:
        with self._mutex:
            if self._generation != generation:
                self._generation = generation
                self._items.clear()
                return None
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found
