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
    from massgen_discovery._domain.names import SECOND_OPINION
    from massgen_discovery.providers import PROVIDERS
    from massgen_discovery.sources import BUNDLED, create_source, source_names

    live = {info.live_source: info for info in PROVIDERS.values() if info.live_source}
    # Every live source is a provider's, but models.dev: a catalog of many providers' models.
    assert set(source_names()) - {BUNDLED, SECOND_OPINION} == set(live)
    for name, info in live.items():
        source = create_source(name)
        assert source.name == name
        assert tuple(getattr(source, "env_vars", info.env_vars)) == info.env_vars, name
