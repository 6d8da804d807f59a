"""Reading model names out of MassGen and LiteLLM proxy configs, with their lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from massgen_discovery.check.configs import config_files, read_config

MASSGEN = """\
orchestrator:
  timeout: 60
agents:
  - id: a
    backend:
      type: "openai"
      model: "gpt-4o"   # a comment
  - id: b
    backend:
      type: chatcompletion
      base_url: "http://127.0.0.1:1234/v1"
      model: qwen/qwen3-4b
  # - id: c
  #   backend: {type: openai, model: commented-out}
  - id: ag2
    backend:
      type: ag2
      agent_config:
        llm_config:
          - api_type: "google"
            model: "gemini-2.5-pro"
"""

LITELLM = """\
model_list:
  - model_name: fast
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_key: os.environ/GROQ_API_KEY
  - model_name: mine
    litellm_params:
      model: azure/my-deployment
    model_info:
      base_model: azure/gpt-4o
  - model_name: wild
    litellm_params: {model: "openai/*"}
litellm_settings:
  drop_params: true
"""


def test_massgen_backends_and_ag2_entries_with_their_lines(tmp_path: Path) -> None:
    """Each backend's model (and AG2's llm_config entries) with the line and column of the value; comments are not names."""
    path = tmp_path / "massgen.yaml"
    path.write_text(MASSGEN)
    read = read_config(str(path))
    assert read.error is None
    got = [(r.line, r.column, r.model, r.backend_type, r.base_url, r.kind) for r in read.refs]
    assert got == [
        (7, 14, "gpt-4o", "openai", None, "massgen"),
        (12, 14, "qwen/qwen3-4b", "chatcompletion", "http://127.0.0.1:1234/v1", "massgen"),
        (21, 20, "gemini-2.5-pro", "google", None, "massgen"),
    ]


def test_litellm_model_list_with_base_model(tmp_path: Path) -> None:
    """LiteLLM's model_list: litellm_params.model, its api_base and model_info.base_model."""
    path = tmp_path / "config.yaml"
    path.write_text(LITELLM)
    refs = read_config(str(path)).refs
    assert [(r.line, r.model, r.base_model, r.kind) for r in refs] == [
        (4, "groq/llama-3.3-70b-versatile", None, "litellm"),
        (8, "azure/my-deployment", "azure/gpt-4o", "litellm"),
        (12, "openai/*", None, "litellm"),
    ]


def test_json_configs_are_read_with_lines(tmp_path: Path) -> None:
    """A JSON config is read the same way, lines included."""
    data = {"agents": [{"id": "x", "backend": {"type": "claude", "model": "claude-sonnet-4-5"}}]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data, indent=2))
    (ref,) = read_config(str(path)).refs
    assert (ref.model, ref.backend_type, ref.line) == ("claude-sonnet-4-5", "claude", 7)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"agents: [\n  - {backend: {", "not valid YAML or JSON (line"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    ],
)
def test_a_malformed_file_is_one_line_not_an_exception(tmp_path: Path, content: bytes, needle: str) -> None:
    """Half a document or binary bytes: one line saying why, no exception."""
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    read = read_config(str(path))
    assert read.refs == () and read.error is not None and needle in read.error and "\n" not in read.error


def test_folders_are_walked_once_in_order(tmp_path: Path) -> None:
    """Folders give their .yaml/.yml/.json files sorted, hidden folders left out, each file once."""
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("b/z.yml", "a.yaml", "c.json", "notes.txt", ".git/x.yaml"):
        (tmp_path / name).write_text("{}")
    found = list(config_files([str(tmp_path), str(tmp_path / "a.yaml")]))
    assert [Path(p).name for p, _ in found] == ["a.yaml", "c.json", "z.yml"]
    assert all(not named for _, named in found)
    with pytest.raises(FileNotFoundError):
        list(config_files([str(tmp_path / "missing")]))
