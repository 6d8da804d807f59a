"""A catalog's own values: ``{model: {field: value}}`` that win over every source.

Checked when they are given (an unknown field or a value its field cannot hold raises
:class:`~massgen_discovery.errors.ConfigError` naming it), applied on every read: a lookup merges
the model's override record over the stored one, a listing merges them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..records import ModelRecord
    from .state import View

__all__ = ["Overrides"]


class Overrides:
    """The override values of a catalog, and their records per generation.

    Args:
        values: ``{model: {field: value}}``.
        resolve: finds the stored record a model string names in a view (its canonical key).
    """

    def __init__(
        self, values: Mapping[str, Mapping[str, Any]] | None, resolve: Callable[[View, str], ModelRecord | None]
    ) -> None:
        self._values: dict[str, dict[str, Any]] = {}
        self._resolve = resolve
        self._records: dict[str, ModelRecord] | None = None
        self.version = 0
        """Raised by every :meth:`set`: a catalog's generation tag includes it."""
        for model, fields in (values or {}).items():  # checked now: a typo fails here, not on a lookup
            if not isinstance(fields, Mapping):
                raise ConfigError(f"overrides[{model!r}] must map field names to values")
            self._add(model, fields)

    def __bool__(self) -> bool:
        return bool(self._values)

    def set(self, model: str, fields: Mapping[str, Any]) -> None:
        """Add values for ``model``; ConfigError for an unknown field or a value it cannot hold."""
        self._add(model, fields)
        self.version += 1

    def _add(self, model: str, fields: Mapping[str, Any]) -> None:
        from .._domain.reconcile import override_record

        override_record(None, model, fields)  # checks every field and value
        self._values.setdefault(model, {}).update(fields)
        self._records = None

    def records(self, view: View) -> dict[str, ModelRecord]:
        """Override records keyed by the canonical model they apply to."""
        if self._records is None:
            from .._domain.reconcile import override_record

            out: dict[str, ModelRecord] = {}
            for name, fields in self._values.items():
                base = self._resolve(view, name)
                model = base.model if base is not None else name
                out[model] = override_record(base, model, fields)
            self._records = out
        return self._records

    def apply(self, view: View, record: ModelRecord | None, name: str) -> ModelRecord | None:
        """``record`` (looked up as ``name``) with its overrides merged over it."""
        if not self._values:
            return record
        extra = self.records(view).get(record.model if record is not None else name)
        if extra is None:
            return record
        from .._domain.reconcile import merge_records

        return extra if record is None else merge_records([record, extra])

    def over(self, view: View, records: Mapping[str, ModelRecord]) -> list[ModelRecord]:
        """Every record with the overrides merged over it, and the overridden models nothing knows, by key."""
        if not self._values:
            return list(records.values())
        from .._domain.reconcile import merge_records

        merged = dict(records)
        for model, extra in self.records(view).items():
            base = merged.get(model)
            merged[model] = extra if base is None else merge_records([base, extra])
        return [merged[k] for k in sorted(merged)]
