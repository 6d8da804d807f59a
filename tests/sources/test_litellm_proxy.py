"""Against a real LiteLLM proxy started on loopback (fake upstream keys, no database)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from massgen_discovery import Catalog
from massgen_discovery.sources.endpoint import EndpointSource

pytestmark = pytest.mark.slow  # real processes and servers; `pytest -m slow` runs them

MASTER_KEY = "sk-master-test-SECRET"
CONFIG = """
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-fake-upstream-SECRET
  - model_name: claude-sonnet
    litellm_params:
      model: anthropic/claude-sonnet-4-5-20250929
      api_key: sk-ant-fake-SECRET
  - model_name: local-qwen
    litellm_params:
      model: ollama_chat/qwen3:8b
      api_base: http://127.0.0.1:9
  - model_name: shared
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: sk-fake-upstream-SECRET
      mock_response: "from the proxy"
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
  - model_name: shared
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: sk-fake-upstream-SECRET
      mock_response: "from the proxy"
      input_cost_per_token: 0.000003
      output_cost_per_token: 0.000004
general_settings:
  master_key: {master}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def proxy_cli() -> str:
    """The `litellm` command of the proxy's own virtualenv (scripts/test-venv builds .venv-proxy)."""
    # The proxy runs from a virtualenv of its own, so the litellm under test stays the one a user
    # gets; a development venv that has the proxy extras works too.
    own = Path(__file__).parents[2] / ".venv-proxy" / "bin"
    litellm_cli = shutil.which("litellm", path=str(own)) or shutil.which(
        "litellm", path=str(Path(sys.executable).parent)
    )
    assert litellm_cli, "scripts/test-venv builds .venv-proxy with litellm[proxy]"
    return litellm_cli


def wait_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    """Wait (120 s at most) until the proxy at ``base`` says it is alive; fail with its log if it exits."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"proxy exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/health/liveliness", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("proxy did not start in 120 s")


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A LiteLLM proxy process on 127.0.0.1; yields its /v1 base URL."""
    litellm_cli = proxy_cli()
    workdir = tmp_path_factory.mktemp("proxy")
    config = workdir / "config.yaml"
    config.write_text(CONFIG.format(master=MASTER_KEY))
    port = _free_port()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False"}
    log = (workdir / "proxy.log").open("w")
    process = subprocess.Popen(
        [litellm_cli, "--config", str(config), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=workdir,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, base, workdir / "proxy.log")
        yield f"{base}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_real_proxy_models_and_model_info(proxy: str, cache_dir: Path) -> None:
    """/v1/models and /model/info of a real proxy become proxy/<model_group> records with prices and limits."""
    catalog = Catalog(sources=["litellm", EndpointSource("proxy", proxy, api_key=MASTER_KEY)], timeout=20)
    reports = catalog.refresh(["proxy"])
    assert [(r.source, r.outcome, r.count) for r in reports] == [("proxy", "ok", 4)], reports
    gpt = catalog.get_model("proxy/gpt-4o")
    bundled = catalog.get_model("openai/gpt-4o")
    assert gpt is not None and bundled is not None
    assert gpt.api_base == proxy and gpt.provider == "proxy" and gpt.mode == "chat"
    assert gpt.max_input_tokens == bundled.max_input_tokens  # the proxy reports LiteLLM's own figure
    assert gpt.input_cost_per_token == pytest.approx(bundled.input_cost_per_token)
    assert gpt.provenance["input_cost_per_token"] == "proxy"
    assert catalog.get_model("proxy/local-qwen") is not None
    for path in cache_dir.rglob("*"):
        if path.is_file():
            assert b"SECRET" not in path.read_bytes(), path


def test_real_proxy_wrong_key_is_a_clear_error(proxy: str) -> None:
    """A wrong master key: one line naming the status and the variable to check, key not shown."""
    catalog = Catalog(sources=[EndpointSource("proxy", proxy, api_key="sk-wrong-SECRET")], timeout=20)
    (report,) = catalog.refresh()
    assert report.outcome == "failed" and report.error is not None
    assert "\n" not in report.error and "SECRET" not in report.error
    assert "HTTP 4" in report.error or "HTTP 5" in report.error
    assert "MASSGEN_DISCOVERY_PROXY_API_KEY" in report.error


def test_real_proxy_model_group_price_and_a_call_through_it(proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two deployments share a name: the record carries the group's figures; completion_kwargs reach the proxy."""
    import httpx

    from massgen_discovery.litellm_bridge import completion_kwargs

    monkeypatch.setenv("MASSGEN_DISCOVERY_PROXY_API_KEY", MASTER_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-users-own-openai-key")
    catalog = Catalog(sources=["litellm", EndpointSource("proxy", proxy)], timeout=20)
    (report,) = catalog.refresh(["proxy"])
    assert report.outcome == "ok", report
    root = proxy.removesuffix("/v1")
    groups = httpx.get(f"{root}/model_group/info", headers={"Authorization": f"Bearer {MASTER_KEY}"}).json()["data"]
    group = next(g for g in groups if g["model_group"] == "shared")
    record = catalog.get_model("proxy/shared")
    assert record is not None
    assert group["input_cost_per_token"] is not None
    assert record.input_cost_per_token == pytest.approx(group["input_cost_per_token"])
    kwargs = completion_kwargs("proxy/shared", catalog=catalog)
    assert kwargs == {"model": "openai/shared", "api_base": proxy, "api_key": MASTER_KEY}
    import litellm

    response = litellm.completion(**kwargs, messages=[{"role": "user", "content": "hi"}])
    assert response.choices[0].message.content == "from the proxy"


def test_real_proxy_router_deployments_complete_and_price(proxy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """router_model_list(provider="proxy") completes through litellm.Router, priced at the record's rates."""
    import litellm

    from massgen_discovery.litellm_bridge import router_model_list

    monkeypatch.setenv("MASSGEN_DISCOVERY_PROXY_API_KEY", MASTER_KEY)
    catalog = Catalog(sources=["litellm", EndpointSource("proxy", proxy)], timeout=20)
    catalog.refresh(["proxy"])
    deployments = router_model_list(catalog, model_name="shared", provider="proxy", query="proxy/shared")
    assert [d["litellm_params"]["model"] for d in deployments] == ["openai/shared"]
    assert deployments[0]["litellm_params"]["api_key"] == "os.environ/MASSGEN_DISCOVERY_PROXY_API_KEY"
    record = catalog.get_model("proxy/shared")
    assert record is not None and record.input_cost_per_token and record.output_cost_per_token
    assert record.served_by == "openai/gpt-4o-mini"  # the upstream deployment, kept on the record
    response = litellm.Router(model_list=deployments).completion(
        model="shared", messages=[{"role": "user", "content": "hi"}]
    )
    assert response.choices[0].message.content == "from the proxy"
    usage = response.usage
    # The group's record carries the dearer deployment's rates (3e-6/4e-6). The proxy reports what
    # the deployment that served the call costs, and LiteLLM's client takes that figure.
    assert record.input_cost_per_token == pytest.approx(3e-6) and record.output_cost_per_token == pytest.approx(4e-6)
    served = {round(usage.prompt_tokens * i + usage.completion_tokens * o, 12) for i, o in ((1e-6, 2e-6), (3e-6, 4e-6))}
    assert round(response._hidden_params["response_cost"], 12) in served
