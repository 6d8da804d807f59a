"""The model names a MassGen or LiteLLM proxy configuration file names, each with its line.

MassGen: every ``backend`` mapping with a ``model`` (``type`` says the provider; ``base_url`` a
server of its own), and AG2's ``llm_config`` entries (``api_type`` + ``model``). LiteLLM proxy:
``model_list[].litellm_params.model`` (with its ``api_base``). YAML or JSON; the line numbers are
the YAML composer's, so a finding points at the line that names the model.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from yaml.nodes import MappingNode, Node

__all__ = ["CONFIG_SUFFIXES", "ConfigFile", "ModelRef", "config_files", "read_config"]

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
"""The files a folder walk reads."""

MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""A configuration file is a few kilobytes; a bigger file is not one (and is not read whole)."""

_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages"})


@dataclass(frozen=True)
class ModelRef:
    """One model name in one configuration file."""

    path: str
    """The file, as the user named it (or as found under the folder they named)."""
    line: int
    """1-based line of the model value."""
    column: int
    """1-based column of the model value."""
    model: str
    """The model string as written."""
    kind: Literal["massgen", "litellm"]
    """Which tool reads it: a MassGen backend or a LiteLLM proxy ``model_list`` entry."""
    backend_type: str | None = None
    """MassGen's backend ``type`` (or AG2's ``api_type``); None for LiteLLM."""
    base_url: str | None = None
    """The server the entry talks to when the config names one (``base_url``, ``api_base``)."""
    base_model: str | None = None
    """LiteLLM's ``model_info.base_model`` / ``litellm_params.base_model``: what a deployment name is."""


@dataclass(frozen=True)
class ConfigFile:
    """What one file yielded: its model names, or why it could not be read."""

    path: str
    refs: tuple[ModelRef, ...] = ()
    error: str | None = None
    """One line: why the file could not be read or parsed (None when it was)."""


def config_files(paths: list[str]) -> Iterator[tuple[str, bool]]:
    """Each file to read, once, in order: ``(path, named)``; ``named`` when the user named the file itself.

    Folders are walked (sorted, hidden folders and virtualenv internals left out) for
    ``.yaml``/``.yml``/``.json`` files. A path that does not exist raises ``FileNotFoundError``.
    """
    seen: set[str] = set()
    for given in paths:
        root = Path(given)
        if not root.exists():
            raise FileNotFoundError(given)
        if root.is_file():
            found: list[tuple[str, bool]] = [(given, True)]
        else:
            found = [(str(p), False) for p in _walk(root)]
        for path, named in found:
            key = os.path.realpath(path)
            if key not in seen:
                seen.add(key)
                yield path, named


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIPPED_DIRS)
        for name in sorted(filenames):
            if name.endswith(CONFIG_SUFFIXES) and not name.startswith("."):
                yield Path(dirpath) / name


def read_config(path: str) -> ConfigFile:
    """The model names ``path`` holds; an unreadable or malformed file yields its one-line error."""
    import yaml

    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        return ConfigFile(path, error=f"cannot read: {exc.strerror or exc}")
    if len(data) > MAX_CONFIG_BYTES:
        return ConfigFile(path, error=f"larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MB: not a configuration file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ConfigFile(path, error="not UTF-8 text")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        nodes = list(yaml.compose_all(text, Loader=loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return ConfigFile(path, error=f"not valid YAML or JSON{where}: {problem}")
    refs: list[ModelRef] = []
    for node in nodes:
        if node is not None:
            refs.extend(_refs(path, node))
    refs.sort(key=lambda r: (r.line, r.column))
    return ConfigFile(path, tuple(refs))


def _scalar(node: Node | None) -> str | None:
    from yaml.nodes import ScalarNode

    if isinstance(node, ScalarNode) and isinstance(node.value, str) and node.value.strip():
        return node.value.strip()
    return None


def _get(mapping: MappingNode, key: str) -> Node | None:
    pairs: list[tuple[Node, Node]] = mapping.value
    for k, v in pairs:
        if _scalar(k) == key:
            return v
    return None


def _text(mapping: MappingNode, key: str) -> str | None:
    return _scalar(_get(mapping, key))


def _ref(path: str, node: Node, model: str, kind: Literal["massgen", "litellm"], **extra: str | None) -> ModelRef:
    mark = node.start_mark
    return ModelRef(path, mark.line + 1, mark.column + 1, model, kind, **extra)


def _refs(path: str, root: Node) -> Iterator[ModelRef]:
    from yaml.nodes import MappingNode, SequenceNode

    if isinstance(root, MappingNode):
        yield from _litellm_refs(path, root)
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
            continue
        if not isinstance(node, MappingNode):
            continue
        for key, value in node.value:
            name = _scalar(key)
            if name == "backend" and isinstance(value, MappingNode):
                yield from _massgen_backend(path, value)
            elif name == "llm_config":  # AG2 inside a MassGen backend: one entry or a list of them
                entries = value.value if isinstance(value, SequenceNode) else [value]
                for entry in entries:
                    if isinstance(entry, MappingNode):
                        yield from _massgen_backend(path, entry, "api_type", "openai")
            if name != "model_list":  # LiteLLM's list is read above, as LiteLLM reads it
                stack.append(value)


def _massgen_backend(
    path: str, backend: MappingNode, type_key: str = "type", default: str | None = None
) -> Iterator[ModelRef]:
    """A MassGen ``backend`` (its ``type``), or an AG2 ``llm_config`` entry (its ``api_type``, else openai)."""
    model_node = _get(backend, "model")
    model = _scalar(model_node)
    if model is None or model_node is None:
        return
    kind = _text(backend, type_key) or default
    yield _ref(path, model_node, model, "massgen", backend_type=kind, base_url=_text(backend, "base_url"))


def _litellm_refs(path: str, root: MappingNode) -> Iterator[ModelRef]:
    from yaml.nodes import MappingNode, SequenceNode

    model_list = _get(root, "model_list")
    if not isinstance(model_list, SequenceNode):
        return
    for entry in model_list.value:
        if not isinstance(entry, MappingNode):
            continue
        params = _get(entry, "litellm_params")
        info = _get(entry, "model_info")
        if not isinstance(params, MappingNode):
            continue
        model_node = _get(params, "model")
        model = _scalar(model_node)
        if model is None or model_node is None:
            continue
        base_model = _text(params, "base_model")
        if base_model is None and isinstance(info, MappingNode):
            base_model = _text(info, "base_model")
        yield _ref(path, model_node, model, "litellm", base_url=_text(params, "api_base"), base_model=base_model)
