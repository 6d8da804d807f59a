"""Stale model names in MassGen and LiteLLM proxy configs, found before a run fails.

``check_configs(paths, catalog)`` reads the files (folders are walked), resolves each model name
the way MassGen or LiteLLM would, and reports what is wrong with it: unknown (with suggestions),
retired or deprecated (the date, and the successor a source names), no longer listed by the live
source that serves it, price unknown. ``massgen-discovery check`` prints the same findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .configs import ConfigFile, ModelRef, config_files, read_config
from .findings import FAILING_CODES, Finding, assess, endpoint_names, target_of

if TYPE_CHECKING:
    from ..catalog import Catalog

__all__ = ["CheckReport", "Finding", "ModelRef", "check_configs", "read_configs", "servers_named"]


@dataclass(frozen=True)
class CheckReport:
    """What one check found."""

    findings: tuple[Finding, ...]
    files: int
    """Files read."""
    models: int
    """Model names found in them."""

    @property
    def failed(self) -> bool:
        """True when a name is unknown or retired, or a config named by the user could not be read."""
        return any(f.code in FAILING_CODES for f in self.findings)


def read_configs(paths: list[str]) -> tuple[list[ConfigFile], list[Finding]]:
    """Every config file under ``paths`` and the findings for those that could not be read.

    A file the user named that cannot be parsed is an error; one found in a folder walk that is not
    a config (any YAML/JSON file may sit there) is a note. ``FileNotFoundError`` for a missing path.
    """
    files: list[ConfigFile] = []
    problems: list[Finding] = []
    for path, named in config_files(paths):
        read = read_config(path)
        files.append(read)
        if read.error is not None:
            if named:
                problems.append(Finding(path, 1, 1, "error", "unreadable", f"{path}: {read.error}"))
            else:
                problems.append(Finding(path, 1, 1, "note", "not-checked", f"{path}: {read.error}"))
    return files, problems


def servers_named(files: list[ConfigFile]) -> dict[str, str]:
    """``{base_url: endpoint name}`` for the servers of the user's own the configs talk to."""
    return endpoint_names((ref, target_of(ref)) for f in files for ref in f.refs)


def check_configs(
    paths: list[str],
    catalog: Catalog | None = None,
    *,
    open_catalog: Callable[[dict[str, str]], Catalog] | None = None,
    now: datetime | None = None,
) -> CheckReport:
    """Check every model name in the configs under ``paths``.

    The names are looked up in ``catalog``; without one, ``open_catalog(endpoints)`` (default:
    ``Catalog(endpoints=endpoints)``) opens a catalog that also lists the servers of the user's own
    the configs talk to (a local ``base_url``, LM Studio, vLLM), so their names are checked against
    what each server serves when it answers; otherwise each gets a note. Never raises for a bad
    file or a failed source; ``FileNotFoundError`` for a path that does not exist.
    """
    files, problems = read_configs(paths)
    servers = servers_named(files)
    if catalog is None:
        endpoints = {name: url for url, name in servers.items()}
        if open_catalog is None:
            from ..catalog import Catalog

            catalog = Catalog(endpoints=endpoints)
        else:
            catalog = open_catalog(endpoints)
    refs = [ref for f in files for ref in f.refs]
    findings = assess(catalog, refs, servers=servers, offline=catalog.offline, now=now)
    ordered = sorted([*problems, *findings], key=lambda f: (f.path, f.line, f.column))
    return CheckReport(tuple(ordered), files=len(files), models=len(refs))
