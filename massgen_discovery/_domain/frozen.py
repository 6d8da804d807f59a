"""Frozen records that cost nothing to import or construct, with pydantic where data enters.

A :class:`FrozenRecord` subclass declares its fields as annotated class attributes. Calling the
class validates with pydantic (a twin ``BaseModel`` built from the same annotations on first use);
:meth:`~FrozenRecord.model_construct` builds without validation, for rows this package wrote
itself. Dumping, copying, JSON and JSON schema go through the twin, so the output is pydantic's.
The record also tells pydantic how to validate and serialise it, so ``TypeAdapter(list[Record])``
and pydantic models with record fields work as with a ``BaseModel``.

The point: a lookup that reads a stored record never imports pydantic (45 to 80 ms of a cold
process).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from pydantic import BaseModel, GetCoreSchemaHandler
    from pydantic_core import CoreSchema

    # For the checker only: a string bound makes a forward reference, compiled at import.
    _R = TypeVar("_R", bound="FrozenRecord")

__all__ = ["FrozenRecord", "factory"]


class _Factory:
    """A default made fresh for every record (``factory(list)``)."""

    __slots__ = ("make",)

    def __init__(self, make: Any) -> None:
        self.make = make


def factory(make: Any) -> Any:
    """A field default built by calling ``make()`` for each record, like ``Field(default_factory=...)``."""
    return _Factory(make)


_REQUIRED = object()
# model_dump / model_dump_json arguments the pydantic-free path answers itself.
_FAST_DUMP = frozenset({"mode", "exclude_defaults"})
_FAST_DUMP_JSON = frozenset({"indent", "exclude_defaults"})


class _RecordType(type):
    """Collects the declared fields of each record class; ``model_fields`` comes from the twin."""

    _fields: tuple[str, ...]
    _defaults: dict[str, Any]

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> _RecordType:
        fields: dict[str, Any] = {}
        for base in reversed(bases):
            fields.update(getattr(base, "_defaults", {}))
        for field in namespace.get("__annotations__", {}):
            if field.startswith("_"):
                continue
            value = namespace.pop(field, _REQUIRED)
            fields[field] = value
        namespace["_fields"] = tuple(fields)
        namespace["_defaults"] = fields
        # Field order is kept: required fields hold a placeholder until a value replaces it.
        namespace["_plain"] = {k: (None if v is _REQUIRED or isinstance(v, _Factory) else v) for k, v in fields.items()}
        namespace["_factories"] = tuple((k, v.make) for k, v in fields.items() if isinstance(v, _Factory))
        namespace["_plain"].update((k, v.make()) for k, v in fields.items() if isinstance(v, _Factory))
        namespace["_required"] = frozenset(k for k, v in fields.items() if v is _REQUIRED)
        namespace["_order"] = tuple(fields)
        annotations: dict[str, str] = {}
        for base in reversed(bases):
            annotations.update(getattr(base, "_annotation_text", {}))
        annotations.update({k: str(v) for k, v in namespace.get("__annotations__", {}).items() if k in fields})
        namespace["_annotation_text"] = annotations
        namespace["_containers"] = tuple(k for k, text in annotations.items() if "list[" in text or "dict[" in text)
        # For stating(): fields whose None is worth keeping, and the defaults that are not None.
        namespace["_keep_none"] = frozenset(k for k, v in fields.items() if v is _REQUIRED or v is not None)
        namespace["_set_defaults"] = {k: v for k, v in namespace["_plain"].items() if v is not None}
        namespace["_twin_model"] = None
        return super().__new__(mcs, name, bases, namespace)

    @property
    def model_fields(cls) -> dict[str, Any]:
        """Pydantic's field infos (from the twin model)."""
        return dict(cls._twin().model_fields)  # type: ignore[attr-defined]


class FrozenRecord(metaclass=_RecordType):
    """Base of the frozen, typed records; see the module docstring."""

    _fields: ClassVar[tuple[str, ...]]
    _defaults: ClassVar[dict[str, Any]]
    _plain: ClassVar[dict[str, Any]]
    _factories: ClassVar[tuple[tuple[str, Any], ...]]
    _required: ClassVar[frozenset[str]]
    _order: ClassVar[tuple[str, ...]]
    _containers: ClassVar[tuple[str, ...]]
    _keep_none: ClassVar[frozenset[str]]
    _set_defaults: ClassVar[dict[str, Any]]
    _annotation_text: ClassVar[dict[str, str]]
    _twin_model: ClassVar[Any]  # type[BaseModel] | None; Any so get_type_hints needs no pydantic

    def __init__(self, **data: Any) -> None:
        validated = type(self)._twin().model_validate(data)
        object.__setattr__(self, "__dict__", _fields_of(validated, type(self)._fields))

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def model_construct(cls: type[_R], **values: Any) -> _R:
        """A record from trusted values, without validation (unknown keys are ignored)."""
        # The cold path of a lookup: a copy of the plain defaults, fresh lists and dicts, the values.
        return cls.trusted(values)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every field with its default (fresh lists and dicts), in order: to fill and pass to :meth:`trusted`."""
        data = cls._plain.copy()
        for name, make in cls._factories:
            data[name] = make()
        return data

    @classmethod
    def trusted(cls: type[_R], values: dict[str, Any]) -> _R:
        """A record from a dict of trusted values, which it takes over (the caller lets go of it).

        What :meth:`model_construct` does without keyword arguments, for the tens of thousands of
        records a big listing makes: a dict that names every field, in order, becomes the record's
        own; any other gets the defaults of the fields it lacks.
        """
        if len(values) == len(cls._order) and tuple(values) == cls._order:
            record = object.__new__(cls)
            object.__setattr__(record, "__dict__", values)
            return record
        data = cls._plain.copy()
        for name, make in cls._factories:
            data[name] = make()
        data.update(values)
        if len(data) != len(cls._plain):  # unknown keys: dropped
            data = {k: data[k] for k in cls._plain}
        record = object.__new__(cls)
        object.__setattr__(record, "__dict__", data)
        return record

    @classmethod
    def model_validate(cls: type[_R], obj: Any) -> _R:
        """Validate a mapping (or a record) into a record."""
        if isinstance(obj, cls):
            return obj
        return cls._from_twin(cls._twin().model_validate(obj))

    @classmethod
    def model_validate_json(cls: type[_R], data: str | bytes) -> _R:
        """Validate a JSON document into a record."""
        return cls._from_twin(cls._twin().model_validate_json(data))

    @classmethod
    def model_json_schema(cls, **kwargs: Any) -> dict[str, Any]:
        """The record's JSON schema (pydantic's)."""
        return cls._twin().model_json_schema(**kwargs)

    def model_copy(self: _R, *, update: dict[str, Any] | None = None, deep: bool = False) -> _R:
        """A copy with ``update`` applied (not validated, as in pydantic)."""
        if deep:
            import copy

            data = copy.deepcopy(self.__dict__)
        else:
            data = dict(self.__dict__)
        if update:
            data.update({k: v for k, v in update.items() if k in type(self)._defaults})
        record = object.__new__(type(self))
        object.__setattr__(record, "__dict__", data)
        return record

    # -- output --------------------------------------------------------------------------------

    def _as_twin(self) -> BaseModel:
        return type(self)._twin().model_construct(**self.__dict__)

    def plain(self, *, exclude_defaults: bool = False) -> dict[str, Any]:
        """The fields as a new dict, nested records as dicts (datetimes stay datetimes).

        What ``model_dump()`` returns, built without pydantic; ``pydantic_core.to_json`` of it is
        the record's JSON. ``exclude_defaults`` leaves out fields equal to their default.
        """
        if exclude_defaults and len(self._required) < len(self._fields):
            plain, required = self._plain, self._required
            out = {k: v for k, v in self.__dict__.items() if k in required or v != plain[k]}
        else:
            out = self.__dict__.copy()
        if not self._containers:
            return out
        for name in self._containers:  # copies, as pydantic's model_dump makes
            value = out.get(name)
            if isinstance(value, list):
                out[name] = [
                    v.plain(exclude_defaults=exclude_defaults) if isinstance(v, FrozenRecord) else v for v in value
                ]
            elif isinstance(value, dict):
                out[name] = dict(value)
        return out

    @classmethod
    def stating(cls) -> tuple[frozenset[str], dict[str, Any]]:
        """(fields whose None differs from their default, the defaults that are not None).

        What ``plain(exclude_defaults=True)`` keeps, for an encoder that states tens of thousands
        of records inline: a value when it is None and its field is in the first, or when it is not
        None and not its field's default.
        """
        return cls._keep_none, cls._set_defaults

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        """The record as a dict; ``mode="json"`` gives its JSON types (pydantic's ``model_dump``)."""
        if kwargs.keys() <= _FAST_DUMP:
            data = self.plain(exclude_defaults=bool(kwargs.get("exclude_defaults")))
            if kwargs.get("mode", "python") == "python":
                return data
            if kwargs["mode"] == "json":
                from pydantic_core import to_jsonable_python

                return dict(to_jsonable_python(data))
        return self._as_twin().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        """The record's JSON (pydantic's ``model_dump_json``)."""
        if kwargs.keys() <= _FAST_DUMP_JSON:
            from pydantic_core import to_json

            data = self.plain(exclude_defaults=bool(kwargs.get("exclude_defaults")))
            return to_json(data, indent=kwargs.get("indent"), inf_nan_mode="null").decode()
        return self._as_twin().model_dump_json(**kwargs)

    # -- object protocol -----------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        from pydantic_core import ValidationError

        raise ValidationError.from_exception_data(
            type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": value}]
        )

    def __delattr__(self, name: str) -> None:
        self.__setattr__(name, None)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """``(field, value)`` pairs, as iterating a pydantic model gives (``dict(record)`` works)."""
        return iter(self.__dict__.items())

    @property
    def model_fields_set(self) -> set[str]:
        """The fields that hold a value (every field: records are built whole)."""
        return set(self.__dict__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({inner})"

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "__dict__", dict(state))

    def __copy__(self: _R) -> _R:
        return self.model_copy()

    def __deepcopy__(self: _R, memo: dict[int, Any]) -> _R:
        return self.model_copy(deep=True)

    # -- pydantic ------------------------------------------------------------------------------

    @classmethod
    def _twin(cls) -> type[BaseModel]:
        """The pydantic model with the same fields, built on first use."""
        twin = cls.__dict__.get("_twin_model")
        if twin is None:
            from pydantic import BaseModel, ConfigDict, Field, create_model

            hints = typing.get_type_hints(cls, include_extras=True)
            fields: dict[str, Any] = {}
            for name, default in cls._defaults.items():
                if default is _REQUIRED:
                    fields[name] = (hints[name], ...)
                elif isinstance(default, _Factory):
                    fields[name] = (hints[name], Field(default_factory=default.make))
                else:
                    fields[name] = (hints[name], default)
            twin = create_model(
                cls.__name__,
                __config__=ConfigDict(frozen=True, extra="ignore"),
                __doc__=cls.__doc__,
                __base__=None,
                __module__=cls.__module__,
                **fields,
            )
            assert isinstance(twin, type) and issubclass(twin, BaseModel)
            cls._twin_model = twin
        return twin

    @classmethod
    def _from_twin(cls: type[_R], validated: Any) -> _R:
        record = object.__new__(cls)
        object.__setattr__(record, "__dict__", _fields_of(validated, cls._fields))
        return record

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        from pydantic_core import core_schema

        twin_schema = handler.generate_schema(cls._twin())

        def to_record(value: Any) -> Any:
            return value if isinstance(value, cls) else cls._from_twin(value)

        def to_plain(value: Any, info: Any) -> Any:
            if not isinstance(value, FrozenRecord):
                return value
            return value.plain(exclude_defaults=bool(getattr(info, "exclude_defaults", False)))

        from_twin = core_schema.no_info_after_validator_function(to_record, twin_schema)
        return core_schema.json_or_python_schema(
            json_schema=from_twin,
            python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), from_twin]),
            serialization=core_schema.plain_serializer_function_ser_schema(
                to_plain, info_arg=True, return_schema=core_schema.any_schema()
            ),
        )


def _fields_of(validated: Any, names: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = validated.__dict__
    # The twin holds exactly the declared fields, in order (extra="ignore"): copy them as they are.
    return values.copy() if len(values) == len(names) else {name: values[name] for name in names}
