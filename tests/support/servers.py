"""Loopback servers that emulate provider endpoints, for integration tests and benchmarks."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


class FakeOllama:
    """An Ollama server on 127.0.0.1: /api/tags, /api/show, /api/ps, with injectable latency and 404s.

    ``shows`` maps a model name to its /api/show answer; another listed name gets a minimal answer
    built from its tags entry (completion only, no model_info); a name in ``deleted`` (or not
    listed at all) answers 404, like a model deleted between /api/tags and /api/show.
    """

    def __init__(
        self,
        tags: dict[str, Any],
        shows: dict[str, Any],
        ps: dict[str, Any] | None = None,
        *,
        show_delay: float = 0.0,
        slow: dict[str, float] | None = None,
        deleted: set[str] | None = None,
    ) -> None:
        self.tags = tags
        self.shows = shows
        self.ps = ps if ps is not None else {"models": []}
        self.show_delay = show_delay
        self.slow = slow or {}
        self.deleted = deleted or set()
        self.show_calls: list[str] = []
        self._lock = threading.Lock()
        self.server = HTTPServer(host="127.0.0.1", threaded=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def _show(self, request: Request) -> Response:
        name = json.loads(request.get_data() or b"{}").get("model", "")
        with self._lock:
            self.show_calls.append(name)
        time.sleep(self.slow.get(name, self.show_delay))
        listed = {m.get("name"): m for m in self.tags.get("models", [])}
        if name in self.deleted or name not in listed:
            return Response(
                json.dumps({"error": f"model '{name}' not found"}), status=404, content_type="application/json"
            )
        answer = self.shows.get(name) or {
            "details": listed[name].get("details", {}),
            "model_info": {},
            "capabilities": ["completion"],
        }
        return Response(json.dumps(answer), content_type="application/json")

    def start(self) -> FakeOllama:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request is noise
        self.server.expect_request("/api/tags", method="GET").respond_with_handler(
            lambda r: Response(json.dumps(self.tags), content_type="application/json")
        )
        self.server.expect_request("/api/ps", method="GET").respond_with_handler(
            lambda r: Response(json.dumps(self.ps), content_type="application/json")
        )
        self.server.expect_request("/api/show", method="POST").respond_with_handler(self._show)
        # Not Ollama's: lets a client in another process ask how many /api/show calls were made.
        self.server.expect_request("/_show_calls").respond_with_handler(lambda r: Response(str(len(self.show_calls))))
        self.server.start()
        return self

    def stop(self) -> None:
        if self.server.is_running():
            self.server.stop()


@contextmanager
def running(server: FakeOllama) -> Iterator[FakeOllama]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
