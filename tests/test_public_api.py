from __future__ import annotations

import pkgutil

import massgen_discovery


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, every name in it resolves, and nothing public is missing from it."""
    names = massgen_discovery.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(massgen_discovery, name) is not None
    public = {n for n in dir(massgen_discovery) if not n.startswith("_")} - {
        "annotations",
        "threading",
        "import_module",
        "TYPE_CHECKING",
        "Any",
    }
    submodules = {m.name for m in pkgutil.iter_modules(massgen_discovery.__path__)}
    assert public - submodules <= set(names) | {"__version__"}


def test_public_symbols_have_docstrings() -> None:
    """Every public name has a docstring."""
    for name in massgen_discovery.__all__:
        if name == "__version__":
            continue
        assert getattr(massgen_discovery, name).__doc__, name


def test_no_import_cycle_between_reconcile_and_sources() -> None:
    """Shared names live below both: importing one never loads the other."""
    import subprocess
    import sys

    code = "import sys, importlib; importlib.import_module(sys.argv[1]); print(sys.argv[2] in sys.modules)"
    for first, other in (("massgen_discovery.sources._listing", "massgen_discovery._domain.reconcile"),
                         ("massgen_discovery._domain.reconcile", "massgen_discovery.sources")):  # fmt: skip
        out = subprocess.run([sys.executable, "-c", code, first, other], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "False", (first, other)


def test_each_provider_is_declared_once() -> None:
    """The source registry and each hosted source's credential variables come from PROVIDERS."""
    from massgen_discovery._domain.identifiers import SECOND_OPINION
    from massgen_discovery.providers import PROVIDERS
    from massgen_discovery.sources import BUNDLED, create_source, source_names

    live = {info.live_source: info for info in PROVIDERS.values() if info.live_source}
    # Every live source is a provider's, but models.dev: a catalog of many providers' models.
    assert set(source_names()) - {BUNDLED, SECOND_OPINION} == set(live)
    for name, info in live.items():
        source = create_source(name)
        assert source.name == name
        assert tuple(getattr(source, "env_vars", info.env_vars)) == info.env_vars, name


def _package_imports() -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere (top level, TYPE_CHECKING, inside functions)."""
    import ast
    from pathlib import Path

    root = Path(massgen_discovery.__file__).parent
    names: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for module, path in names.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
                target = ".".join([*base, node.module] if node.module else base) if node.level else (node.module or "")
                for alias in node.names:
                    edges.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in names else target)
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names)
        graph[module] = {e for e in edges if e in names and e != module}
    return graph


def test_the_import_graph_has_no_cycle() -> None:
    """No cycle among the package's modules, TYPE_CHECKING and function-level imports included."""
    graph = _package_imports()
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            assert state.get(target) != 1, " -> ".join([*path, module, target])
            if target not in state:
                visit(target, [*path, module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_layers_import_only_what_is_below_them() -> None:
    """The domain imports no other layer; orchestration never the catalog; nothing below the CLI imports it."""
    graph = _package_imports()
    for module, targets in graph.items():
        if ".__init__" in module or module == "massgen_discovery.__main__":
            continue
        if module.startswith("massgen_discovery._domain"):
            assert not {t for t in targets if t.startswith(("massgen_discovery._orch", "massgen_discovery._pers"))}, (
                module
            )
        if module.startswith(("massgen_discovery._orchestration", "massgen_discovery._persistence")):
            assert "massgen_discovery.catalog" not in targets, module
        if not module.startswith("massgen_discovery.cli"):
            assert not {t for t in targets if t.startswith("massgen_discovery.cli")}, module


def test_modules_stay_small_and_the_root_stays_short() -> None:
    from pathlib import Path

    root = Path(massgen_discovery.__file__).parent
    sizes = {str(p.relative_to(root)): len(p.read_text().splitlines()) for p in root.rglob("*.py")}
    assert {p: n for p, n in sizes.items() if n > 500} == {}
    assert len([p for p in root.glob("*.py")]) <= 14
    for package in ("_domain", "_orchestration", "_persistence", "_adapters"):
        assert (root / package / "__init__.py").read_text() == "", package  # cold imports stay where they are
