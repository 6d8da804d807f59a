"""No lookup waits on the network for what it already knows; a question only an untried source answers waits for it alone."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from massgen_discovery import Catalog
from massgen_discovery.testing import StaticSource
from tests.support import lab

HANG = 3.0
"""A hanging source's timeout: a lookup that waited for it takes at least this long."""


class Hanging(StaticSource):
    """A source whose fetch never ends (an upstream that accepts and never answers)."""

    async def fetch(self, client: httpx.AsyncClient, previous: Any = None) -> Any:
        self.fetches += 1
        await asyncio.sleep(60)


def took(started: float) -> float:
    return time.monotonic() - started


@pytest.mark.usefixtures("any_store")
def test_a_known_model_never_waits_and_the_untried_source_comes_in_the_background() -> None:
    slow = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    hanging = Hanging("otherlab", [])
    catalog = Catalog(sources=["litellm", slow, hanging], timeout=HANG)
    started = time.monotonic()
    assert catalog.get_model("gpt-4o") is not None
    assert took(started) < HANG  # neither mylab nor the hanging otherlab was waited for
    catalog.wait_background(HANG + 10)
    assert slow.fetches == 1 and hanging.fetches == 1  # both tried, in the background
    assert catalog.get_model("mylab/m1") is not None  # the next lookup sees what came in


@pytest.mark.usefixtures("any_store")
def test_a_name_only_an_untried_source_knows_waits_for_that_source_alone() -> None:
    mylab = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    hanging = Hanging("otherlab", [])
    catalog = Catalog(sources=["litellm", mylab, hanging], timeout=HANG)
    started = time.monotonic()
    record = catalog.get_model("mylab/m1")
    assert record is not None and record.max_input_tokens == 1000  # found on the first try
    assert took(started) < HANG  # the hanging source serves another provider: not waited for
    assert catalog.find_models(providers=["mylab"]) == [record]
    assert catalog.list_models("mylab") == [record]


@pytest.mark.usefixtures("any_store")
def test_a_question_about_an_untried_silent_source_waits_its_timeout_once_and_says_why() -> None:
    hanging = Hanging("otherlab", [])
    catalog = Catalog(sources=["litellm", hanging], timeout=1.0)
    started = time.monotonic()
    assert catalog.list_models("otherlab") == []
    assert 1.0 <= took(started) < 1.0 + 10
    (status,) = [s for s in catalog.status() if s.source == "otherlab"]
    assert status.error == "otherlab: no answer within 1 s"
    started = time.monotonic()
    assert catalog.get_model("otherlab/anything") is None
    assert took(started) < 1.0  # tried once: the failure is remembered, not waited for again
    assert hanging.fetches == 1


@pytest.mark.usefixtures("any_store")
def test_other_providers_questions_do_not_wait_for_an_untried_source() -> None:
    hanging = Hanging("otherlab", [])
    catalog = Catalog(sources=["litellm", hanging], timeout=HANG)
    started = time.monotonic()
    assert catalog.find_models(providers=["groq"], tools=True)
    assert catalog.find_models(tools=True, min_context=128_000)  # every provider: answered from what is known
    assert catalog.get_model("no-such-provider/model") is None
    assert took(started) < HANG


async def test_the_async_twins_wait_the_same_way() -> None:
    mylab = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    hanging = Hanging("otherlab", [])
    catalog = Catalog(sources=["litellm", mylab, hanging], timeout=HANG)
    started = time.monotonic()
    assert await catalog.aget_model("gpt-4o") is not None
    record = await catalog.aget_model("mylab/m1")
    assert record is not None and record.max_input_tokens == 1000
    assert [r.model for r in await catalog.alist_models("mylab")] == ["mylab/m1"]
    assert await catalog.afind_models(providers=["groq"])
    assert took(started) < HANG


def test_a_one_shot_catalog_does_not_prefetch() -> None:
    mylab = StaticSource("mylab", [lab("m1", max_input_tokens=1000)])
    catalog = Catalog(sources=["litellm", mylab], prefetch=False)
    assert catalog.get_model("gpt-4o") is not None
    assert catalog.wait_background(5) and mylab.fetches == 0
    assert catalog.get_model("mylab/m1") is not None and mylab.fetches == 1  # asked for: fetched


@pytest.fixture
def silent_upstream() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for conn in held:
        conn.close()


def test_the_first_online_show_after_the_main_command_does_not_wait_for_silent_upstreams(
    silent_upstream: str, cache_dir: Path
) -> None:
    env = {**os.environ, "MASSGEN_DISCOVERY_CACHE_DIR": str(cache_dir)}
    for name in ("HUGGINGFACE", "OPENROUTER", "MODELSDEV"):
        env[f"MASSGEN_DISCOVERY_{name}_BASE_URL"] = silent_upstream + "/v1"
    env["MASSGEN_DISCOVERY_OLLAMA_BASE_URL"] = silent_upstream
    cli = [sys.executable, "-m", "massgen_discovery"]
    main = subprocess.run(
        [*cli, "list", "--offline", "--tools", "--min-context", "128000"], env=env, capture_output=True, timeout=120
    )
    assert main.returncode == 0
    started = time.monotonic()
    show = subprocess.run([*cli, "show", "gpt-4o", "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert show.returncode == 0 and '"openai/gpt-4o"' in show.stdout
    assert took(started) < 5.0  # the sources' timeout: nothing waited on the silent upstreams
    started = time.monotonic()
    hf = subprocess.run([*cli, "list", "-p", "huggingface"], env=env, capture_output=True, text=True, timeout=120)
    assert 5.0 <= took(started) < 60  # only the router can answer: it is waited for, once, bounded
    assert hf.returncode == 1 and "huggingface: no answer within 5" in hf.stderr, hf.stderr
