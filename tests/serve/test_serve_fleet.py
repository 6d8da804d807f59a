"""Real `massgen-discovery serve` processes: two on one Redis serve one catalog; 32 clients at once, no error."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import load_fixture
from tests.support.serving import as_json, listing, serve_process

pytestmark = pytest.mark.slow  # real processes, a real Redis

HF = load_fixture("huggingface/router_v1_models.json")
TOKEN = "fleet-token-SECRET"
HF_MODELS = "/v1/models?provider=huggingface&mode=all"


def wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_two_servers_on_one_redis_serve_one_catalog(redis_server: Any, tmp_path: Path) -> None:
    redis_server.flush()
    current = {"listing": HF}
    with listing({"/v1/models": lambda r: as_json(current["listing"])}) as hf:
        shared = {
            "MASSGEN_DISCOVERY_REDIS_URL": redis_server.url,
            "MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL": hf.url_for("/v1"),
            "MASSGEN_DISCOVERY_SERVE_TOKEN": TOKEN,
        }
        env_a = {**shared, "MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path / "a")}
        env_b = {**shared, "MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path / "b")}
        with (
            serve_process(env_a, log=tmp_path / "a.log") as a,
            serve_process(env_b, log=tmp_path / "b.log") as b,
        ):
            first = httpx.get(a + HF_MODELS, timeout=30)
            assert first.json()["total"] == len({m["id"] for m in HF["data"]}) or first.json()["total"] > 1

            def same() -> bool:
                return httpx.get(a + HF_MODELS).headers["etag"] == httpx.get(b + HF_MODELS).headers["etag"]

            wait_for(same, 15, "the two servers never served the same catalog")
            before = httpx.get(b + HF_MODELS).json()["total"]
            current["listing"] = {**HF, "data": HF["data"][2:]}
            refreshed = httpx.post(
                a + "/v1/refresh",
                params={"source": "huggingface", "force": "true"},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=30,
            )
            assert refreshed.status_code == 200 and refreshed.json()[0]["outcome"] == "ok", refreshed.text
            new_tag = httpx.get(a + HF_MODELS).headers["etag"]
            started = time.monotonic()
            wait_for(lambda: httpx.get(b + HF_MODELS).headers["etag"] == new_tag, 10, "B never served A's refresh")
            lag = time.monotonic() - started
            after = httpx.get(b + HF_MODELS).json()["total"]
    assert after < before
    assert lag < 5, lag


async def _client(base: str, paths: list[str], until: float, seen: Counter[str], errors: list[str], n: int) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        i = n
        tags: dict[str, str] = {}
        while time.monotonic() < until:
            path = paths[i % len(paths)]
            i += 1
            headers = {"If-None-Match": tags[path]} if path in tags and i % 3 == 0 else {}
            try:
                answer = await client.get(path, headers=headers)
            except httpx.HTTPError as exc:
                errors.append(f"{path}: {exc!r}")
                continue
            seen[str(answer.status_code)] += 1
            if answer.status_code >= 400 and not path.startswith("/v1/models/no"):
                errors.append(f"{path}: {answer.status_code} {answer.text[:200]}")
            if answer.status_code == 200:
                tags[path] = answer.headers["etag"]


def test_32_clients_at_once_get_no_error(tmp_path: Path) -> None:
    """Every endpoint, 32 concurrent clients for 8 seconds against a real serve process: no error, no 5xx."""
    env = {"MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path / "cache")}
    paths = [
        "/v1/models?tools=true&min_context=128000",
        "/v1/models?provider=groq&sort=price",
        "/v1/models?q=llama&limit=20&offset=5",
        "/v1/models/gpt-4o",
        "/v1/models/no/such-model",
        "/v1/cost?model=gpt-4o&input=1000&output=100",
        "/v1/providers",
        "/v1/audit?field=max_input_tokens",
        "/v1/changes",
        "/health",
        "/?tools=true",
        "/models/gpt-4o?input=1000&output=10",
        "/compare?models=gpt-4o,claude-sonnet-4-5",
        "/changes.atom",
        "/openrouter/api/v1/models",
    ]
    with serve_process(env, "--offline", log=tmp_path / "serve.log") as url:
        seen: Counter[str] = Counter()
        errors: list[str] = []

        async def main() -> None:
            until = time.monotonic() + 8
            await asyncio.gather(*(_client(url, paths, until, seen, errors, n) for n in range(32)))

        asyncio.run(main())
        assert httpx.get(url + "/health").status_code == 200  # still up
    assert not errors, errors[:5]
    assert seen["200"] > 100 and seen["304"] > 0 and not any(code.startswith("5") for code in seen), seen
