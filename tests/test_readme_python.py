"""Every Python block of the README runs as written, each in a fresh interpreter, against loopback servers.

The servers stand where the README's readers have theirs: Ollama (``OLLAMA_HOST``), the HF router
(listing and chat completions), a LiteLLM proxy at ``http://127.0.0.1:4000/v1`` and a vLLM server
at ``http://127.0.0.1:8000/v1`` (the test serves those two on free ports and points the blocks'
URLs at them). The MassGen blocks run in ``.venv-massgen`` with MassGen itself, the celeste block
in ``.venv-celeste``; the rest in this interpreter.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from .support import load_fixture
from .support.servers import FakeOllama

pytestmark = pytest.mark.slow  # real processes, three virtualenvs

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PROXY_URL = "http://127.0.0.1:4000/v1"
VLLM_URL = "http://127.0.0.1:8000/v1"


def python_blocks() -> list[str]:
    """The README's ```python blocks, in order."""
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def _chat_answer(model: str) -> dict[str, object]:
    return {
        "id": "chatcmpl-readme",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
    }


def _openai_chat(request: Request) -> Response:
    body = json.loads(request.get_data() or b"{}")
    return Response(json.dumps(_chat_answer(str(body.get("model")))), content_type="application/json")


def _ollama_chat(request: Request) -> Response:
    body = json.loads(request.get_data() or b"{}")
    answer = {
        "model": body.get("model"),
        "created_at": "2026-12-07T00:00:00Z",
        "message": {"role": "assistant", "content": "hello"},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 9,
        "eval_count": 3,
    }
    return Response(json.dumps(answer), content_type="application/json")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Ollama, the HF router, a LiteLLM proxy and a vLLM server on loopback; the env the blocks run with."""
    ollama = FakeOllama(
        load_fixture("ollama/api_tags.json"), {"qwen3:8b": load_fixture("ollama/api_show.qwen3-8b.json")}
    )
    ollama.server.expect_request("/api/chat", method="POST").respond_with_handler(_ollama_chat)
    ollama.start()
    router, proxy, vllm = (HTTPServer(host="127.0.0.1") for _ in range(3))
    router.expect_request("/v1/models").respond_with_json(load_fixture("huggingface/router_v1_models.json"))
    proxy.expect_request("/v1/models").respond_with_json({"object": "list", "data": [{"id": "gpt-4o"}]})
    vllm.expect_request("/v1/models").respond_with_json(
        {"object": "list", "data": [{"id": "Qwen/Qwen3-8B", "object": "model", "max_model_len": 32768}]}
    )
    for server in (router, proxy):
        server.expect_request("/v1/chat/completions", method="POST").respond_with_handler(_openai_chat)
    for server in (router, proxy, vllm):
        server.start()
    env = {
        **os.environ,
        "MASSGEN_DISCOVERY_CACHE_DIR": str(tmp_path / "cache"),
        "MASSGEN_DISCOVERY_HUGGINGFACE_BASE_URL": router.url_for("/v1"),
        "MASSGEN_DISCOVERY_OLLAMA_BASE_URL": ollama.url,
        "OLLAMA_HOST": ollama.url,
        "HF_TOKEN": "hf_readme_test",
        "MASSGEN_DISCOVERY_PROXY_API_KEY": "sk-readme-test",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "PROXY_URL": proxy.url_for("/v1"),
        "VLLM_URL": vllm.url_for("/v1"),
    }
    try:
        yield env
    finally:
        ollama.stop()
        for server in (router, proxy, vllm):
            server.stop()


def _interpreter(block: str) -> str:
    """Which virtualenv a block runs in: MassGen's, celeste's, or this one."""
    if "massgen_adapter" in block:
        return str(ROOT / ".venv-massgen" / "bin" / "python")
    if "celeste_adapter" in block:
        return str(ROOT / ".venv-celeste" / "bin" / "python")
    return sys.executable


def test_the_readme_has_the_blocks_this_test_runs() -> None:
    """The LiteLLM, MassGen and celeste blocks are there, and name the servers this test stands up."""
    blocks = python_blocks()
    assert len(blocks) >= 5
    assert any("litellm.completion" in b and PROXY_URL in b for b in blocks)
    assert any("massgen_adapter" in b and VLLM_URL in b for b in blocks)
    assert any("celeste_adapter" in b for b in blocks)


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_each_block_runs_as_written(index: int, servers: dict[str, str]) -> None:
    """The block, with only the proxy's and vLLM's addresses moved to this test's ports, exits 0."""
    block = python_blocks()[index]
    code = block.replace(PROXY_URL, servers["PROXY_URL"]).replace(VLLM_URL, servers["VLLM_URL"])
    python = _interpreter(block)
    assert Path(python).exists(), f"{python}: the README's test command builds it"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, env=servers, timeout=300)
    assert proc.returncode == 0, f"block {index + 1}:\n{block}\n{proc.stderr[-3000:]}"
