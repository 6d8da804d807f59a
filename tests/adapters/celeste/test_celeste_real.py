"""celeste-ai 1.0.0 itself, from PyPI, with the catalog registered in its model registry.

celeste needs Python 3.12: it lives in ``.venv-celeste`` (``scripts/celeste-venv``, which the
README's test command runs). The driver registers from a loopback HF router and a loopback Ollama
serving captured listings, then calls celeste's own text client against the loopback router.

The router's listing is the captured one with two routes changed, to have each case the listing
can state: one route that says it has no tool support, and one that says nothing about tools.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug import Request, Response

from massgen_discovery.sources import BUNDLED, source_names

from ...orchestration.test_refresh_politeness import Upstream, as_json, upstream
from ...support import DEAD_URL, load_fixture
from ...support.servers import FakeOllama, running

pytestmark = pytest.mark.slow  # real processes and servers

ROOT = Path(__file__).resolve().parents[3]
CELESTE_PYTHON = ROOT / ".venv-celeste" / "bin" / "python"
DRIVER = Path(__file__).with_name("drive_celeste.py")


def _listing() -> dict[str, Any]:
    listing = copy.deepcopy(load_fixture("huggingface/router_v1_models.json"))
    kimi = next(m for m in listing["data"] if m["id"] == "moonshotai/Kimi-K3")
    for route in kimi["providers"]:
        if route["provider"] == "fireworks-ai":
            route["supports_tools"] = False  # a route that says no
    glm = next(m for m in listing["data"] if m["id"] == "zai-org/GLM-5.2")
    for route in glm["providers"]:
        route.pop("supports_tools", None)  # routes that say nothing
    return listing


def _chat(request: Request) -> Response:
    body = json.loads(request.get_data() or b"{}")
    message: dict[str, Any] = {"role": "assistant", "content": "ok"}
    return as_json({
        "id": "c1", "object": "chat.completion", "created": 1, "model": body.get("model", ""),
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    })  # fmt: skip


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Upstream]]:
    if not CELESTE_PYTHON.exists():
        pytest.fail(f"{CELESTE_PYTHON} is missing: run scripts/celeste-venv (the README's test command does)")
    listing = _listing()
    tags = load_fixture("ollama/api_tags.json")
    shows = {"qwen3:8b": load_fixture("ollama/api_show.qwen3-8b.json")}
    routes = {"/v1/models": lambda r: as_json(listing), "/v1/chat/completions": _chat}
    with upstream(routes) as router, running(FakeOllama(tags, shows)) as ollama:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update({f"MASSGEN_DISCOVERY_{n.upper()}_BASE_URL": DEAD_URL for n in source_names() if n != BUNDLED})
        env["MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL"] = router.url + "/v1"
        env["MASSGEN_DISCOVERY_OLLAMA_BASE_URL"] = ollama.url
        env["MASSGEN_DISCOVERY_CACHE_DIR"] = str(tmp_path_factory.mktemp("celeste-cache"))
        env["HF_TOKEN"] = "hf_fake"
        config = {
            "router": router.url,
            "inspect": ["moonshotai/Kimi-K3", "moonshotai/Kimi-K3:together", "moonshotai/Kimi-K3:fireworks-ai",
                        "zai-org/GLM-5.2:together", "Qwen/Qwen3-4B-Instruct-2507"],
            "inspect_ollama": ["qwen3:8b"],
            "route_with_tools": "moonshotai/Kimi-K3:together",
            "route_without_tools": "moonshotai/Kimi-K3:fireworks-ai",
            "route_silent": "zai-org/GLM-5.2:together",
            "empty_cache": str(tmp_path_factory.mktemp("empty-cache")),
        }  # fmt: skip
        out = subprocess.run(
            [str(CELESTE_PYTHON), str(DRIVER), json.dumps(config)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=ROOT,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        yield json.loads(out.stdout.strip().splitlines()[-1]), router


def test_hf_models_and_live_routes_are_registered(findings: tuple[dict[str, Any], Upstream]) -> None:
    data, _ = findings
    listing = _listing()
    expected = {m["id"] for m in listing["data"]}
    expected |= {f"{m['id']}:{p['provider']}" for m in listing["data"] for p in m["providers"] if p["status"] == "live"}
    assert expected <= set(data["hf"])
    assert set(data["static_hf"]) <= set(data["hf"])  # celeste's own HF model is still there
    assert data["ollama"] == sorted(m["name"] for m in load_fixture("ollama/api_tags.json")["models"])
    assert data["openai"] > 10  # LiteLLM's map: the other providers celeste knows
    assert data["registered"] > len(expected)
    assert data["duplicates"] == 0 and data["static_kept"]
    assert data["registered_again"] == data["registered"]  # replaced, not added


def test_constraints_say_what_the_catalog_knows_and_only_that(findings: tuple[dict[str, Any], Upstream]) -> None:
    data, _ = findings
    c = data["constraints"]
    assert c["moonshotai/Kimi-K3:together"]["tools"]["custom_tools"] is True
    assert c["moonshotai/Kimi-K3:fireworks-ai"]["tools"]["custom_tools"] is False
    assert "tools" not in c["zai-org/GLM-5.2:together"]  # unknown is not no
    assert c["moonshotai/Kimi-K3:together"]["max_tokens"]["max"] >= 1
    assert "output_schema" in c["moonshotai/Kimi-K3:together"]  # the route says it has structured output
    assert "output_schema" not in c["moonshotai/Kimi-K3:fireworks-ai"]
    temperature = c["moonshotai/Kimi-K3:together"]["temperature"]
    assert (temperature["type"], temperature["min"], temperature["max"]) == ("Range", 0.0, 2.0)
    # celeste's own model keeps its own constraints
    assert set(c["Qwen/Qwen3-4B-Instruct-2507"]) == {"temperature", "output_schema", "tools"}
    qwen = data["ollama_constraints"]["qwen3:8b"]
    assert qwen is not None and qwen["tools"]["custom_tools"] is True and qwen["max_tokens"]["max"] > 1000


def test_celeste_validates_calls_with_them(findings: tuple[dict[str, Any], Upstream]) -> None:
    data, router = findings
    calls = data["calls"]
    assert calls["no_tool_route_with_tool"].startswith("refused") and "Custom tools" in calls["no_tool_route_with_tool"]
    assert calls["tool_route_with_tool"] == "sent"
    assert calls["silent_route_with_tool"] == "sent"
    assert calls["max_tokens_past_limit"].startswith("refused")
    assert calls["max_tokens_within"] == "sent"
    sent = [p for p in router.paths() if p == "/v1/chat/completions"]
    assert len(sent) == 3  # the refused calls never left the process


def test_a_registered_id_needs_no_provider_and_validation_is_on(findings: tuple[dict[str, Any], Upstream]) -> None:
    data, _ = findings
    assert data["found_without_provider"] == "huggingface"
    assert data["client_provider"] == "huggingface"
    assert not [w for w in data["validation_warnings"] if "validation disabled" in w.lower()]


def test_offline_with_an_empty_cache_registers_what_there_is_without_raising(
    findings: tuple[dict[str, Any], Upstream],
) -> None:
    data, _ = findings
    # No fetch: what there is without one (LiteLLM's map, models.dev's bundled copy) registers.
    assert data["offline_empty_registered"] > 0


def test_importing_the_package_never_imports_celeste() -> None:
    code = "import sys, massgen_discovery; massgen_discovery.get_model; print('celeste' in sys.modules)"
    out = subprocess.run([str(CELESTE_PYTHON), "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr[-500:]
