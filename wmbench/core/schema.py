"""The one schema library of the project (pydantic v2) and its one adapter to the project's
errors: :func:`validate` turns a ``ValidationError`` into an :class:`InputError` naming the file,
the dotted field (``entries[3].value``), the expected form and the value found.

Schemas are :class:`Schema` models (unknown keys refused, nothing coerced: ``"3"`` is not a
number, ``true`` is not ``1``) or dataclasses read from JSON. A field whose expected form is
more than a type says it in words with :func:`rule`, so the message reads like the file's
documentation ("a positive integer", "WIDTHxHEIGHT, ...").
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, TypeAdapter, ValidationError

from wmbench.core.errors import InputError

T = TypeVar("T")
TOP = "<top level>"
OPTIONS = "--"  # the source of command-line choices: each error names its option (--frames)
# the expected form of pydantic's own error types, in the project's words
_WORDS = {
    "string_type": "a str",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "dataclass_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "missing": "a value (required field)",
    "path_type": "a path",
}
_UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument")


def closed(cls: type[T]) -> type[T]:
    """A dataclass whose JSON or YAML form refuses unknown keys (set as its pydantic
    configuration, ``__pydantic_config__``, which pydantic reads on stdlib dataclasses)."""
    cls.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    return cls


class Schema(BaseModel):
    """A file's (or an option's) schema: frozen, strict, unknown keys refused (the message
    lists the known ones after ``KNOWN``; a missing one expects ``REQUIRED``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, protected_namespaces=())
    KNOWN: ClassVar[str] = "only the fields"
    REQUIRED: ClassVar[str] = "a value (required field)"
    SOURCE: ClassVar[str] = ""  # what a direct construction's errors name (default: the class)

    def __init__(self, **data: Any) -> None:
        """A direct construction (from the API) checked like a file: an InputError."""
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise input_error(error, type(self), self.SOURCE or type(self).__name__) from None

    # validation inside another schema builds this one without calling __init__, as for
    # pydantic's own BaseModel.__init__ and RootModel.__init__ (pydantic/root_model.py, 2.13)
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


class Expected(ValueError):
    """What a validator raises when a value is not of the ``form`` it expects: ``field`` names
    a part of the value (appended to the field path), ``found`` what to show instead of it."""

    def __init__(self, form: str, field: str | int | None = None, found: str | None = None):
        super().__init__(form)
        self.form, self.field, self.found = form, field, found


def rule(kind: Any, form: str, test: Callable[[Any], bool]) -> Any:
    """``kind`` whose values must pass ``test``; any other value is an error expecting ``form``."""

    def check(value: Any) -> Any:
        if not test(value):
            raise Expected(form)
        return value

    return Annotated[kind, BeforeValidator(check)]


def as_tuple(value: Any) -> Any:
    """A YAML list for a tuple field (strict validation takes only tuples)."""
    return tuple(value) if isinstance(value, list) else value


def validate(
    kind: type[T], data: Any, source: str | Path, context: Any = None, field: str = ""
) -> T:
    """``data`` (parsed YAML or JSON) as a ``kind``; an InputError naming ``source`` (and
    ``field`` when ``data`` is one field's value) otherwise. ``context`` reaches validators."""
    try:
        return TypeAdapter(kind).validate_python(data, context=context)
    except ValidationError as error:
        raise input_error(error, kind, source, field) from None


def validate_json(kind: type[T], text: str | bytes, source: str | Path) -> T:
    """The JSON ``text`` as a ``kind`` (dataclasses built from objects, strictly typed)."""
    try:
        return TypeAdapter(kind).validate_json(text, strict=True)
    except ValidationError as error:
        raise input_error(error, kind, source) from None


def validate_plain(kind: type[T], data: Any, source: str | Path) -> T:
    """Parsed YAML of plain values (numbers, text, lists, mappings) as a ``kind`` of
    dataclasses, strictly typed as :func:`validate_json` types JSON (lists for tuples)."""
    return validate_json(kind, json.dumps(data, default=str), source)


def input_error(
    error: ValidationError, kind: Any, source: str | Path, field: str = ""
) -> InputError:
    """The first problem of ``error`` (an unknown key before the others: a misspelt key
    explains a missing one) as an InputError: file, dotted field, expected, found."""
    problems = error.errors(include_url=False)
    first = min(problems, key=lambda problem: problem["type"] not in _UNKNOWN)
    kind_name, loc, ctx = first["type"], list(first["loc"]), first.get("ctx") or {}
    rule_error = ctx.get("error") if kind_name == "value_error" else None
    if isinstance(rule_error, Expected) and rule_error.field is not None:
        loc.append(rule_error.field)
    where = dotted(([field] if field else []) + loc)
    if source == OPTIONS:
        source = "--" + str(([field] if field else loc or ["option"])[0]).replace("_", "-")
    value = first.get("input")
    if kind_name == "json_invalid":
        name = getattr(kind, "__name__", "value")
        return InputError(source, "json", f"a {name} as JSON", ctx.get("error", first["msg"]))
    if kind_name in _UNKNOWN:
        record = record_at(kind, loc[:-1])
        known = sorted(field_names(record))
        words = getattr(record, "KNOWN", Schema.KNOWN)
        return InputError(source, where, f"{words} {known}", "an unknown field")
    if isinstance(rule_error, Expected):
        found = rule_error.found if rule_error.found is not None else _found(value)
        return InputError(source, where, rule_error.form, found)
    if kind_name == "missing":
        words = getattr(record_at(kind, loc[:-1]), "REQUIRED", _WORDS["missing"])
        return InputError(source, where, words, "nothing")
    if kind_name == "literal_error":
        return InputError(source, where, f"one of {ctx['expected']}", repr(value))
    words = _WORDS.get(kind_name, first["msg"].replace("Input should be ", ""))
    found = type(value).__name__ if words == "a mapping" else _found(value)
    return InputError(source, where, words, found)


def _found(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def dotted(loc: list[Any]) -> str:
    """``["entries", 3, "value"]`` -> ``entries[3].value`` (``<top level>`` when empty)."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or TOP


def record_at(kind: Any, loc: list[Any]) -> Any:
    """The model or dataclass at ``loc`` inside ``kind``."""
    for part in loc:
        kind = _inner(kind, part)
    return _record_type(kind)


def field_names(kind: Any) -> set[str]:
    """The field names of a model or dataclass."""
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return set(kind.model_fields)
    if dataclasses.is_dataclass(kind):
        return {f.name for f in dataclasses.fields(kind)}
    return set()


def _inner(kind: Any, part: Any) -> Any:
    kind = _record_type(kind)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return kind.model_fields[part].annotation if part in kind.model_fields else Any
    if dataclasses.is_dataclass(kind):
        return typing.get_type_hints(kind).get(part, Any)
    args = typing.get_args(kind)
    return args[-1] if args and args[-1] is not Ellipsis else (args[0] if args else Any)


def _record_type(kind: Any) -> Any:
    """The model or dataclass inside ``Annotated[...]`` / ``X | None``."""
    while typing.get_origin(kind) is Annotated:
        kind = typing.get_args(kind)[0]
    if typing.get_origin(kind) in (Union, types.UnionType):
        records = [a for a in typing.get_args(kind) if a is not type(None)]
        return records[0] if len(records) == 1 else kind
    return kind
