"""The catalog's server on loopback for tests: uvicorn in a thread, or ``massgen-discovery serve`` as a process."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def served(app: Any) -> Iterator[str]:
    """Run an ASGI app on uvicorn on 127.0.0.1 in a thread; yields its base URL (no trailing slash)."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="error", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def listing(routes: dict[str, Callable[[Request], Response]]) -> Iterator[HTTPServer]:
    """A loopback HTTP server answering ``routes`` (path -> handler)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = HTTPServer(host="127.0.0.1", threaded=True)
    for path, handler in routes.items():
        server.expect_request(path).respond_with_handler(handler)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def as_json(body: Any) -> Response:
    return Response(json.dumps(body), content_type="application/json")


@contextmanager
def serve_process(env: dict[str, str], *args: str, log: Path) -> Iterator[str]:
    """``massgen-discovery serve`` as a real process on a free loopback port; yields its base URL."""
    port = free_port()
    handle = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "massgen_discovery", "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"serve exited: {log.read_text()[-2000:]}"
            try:
                if httpx.get(url + "/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"serve did not answer in 60 s: {log.read_text()[-2000:]}"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        handle.close()
