"""Typed adapter options from ``--option KEY=VALUE`` strings (or suite files), validated
through the project's schema library (:mod:`wmbench.core.schema`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, ConfigDict, create_model

from wmbench.core.schema import Expected, Schema, validate


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


class Options(Schema):
    """The base of a model's options: each converted by its converter (no strict types, the
    values are command-line text); unknown names refused."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)
    KNOWN: ClassVar[str] = "options among"
    REQUIRED: ClassVar[str] = "a value (--option NAME=VALUE)"


def parse_options(
    model: str,
    options: dict[str, Any],
    schema: dict[str, tuple[Callable[[Any], Any], Any]],
) -> dict[str, Any]:
    """Convert ``options`` by ``schema`` (name -> (converter, default)); a default of
    ``REQUIRED`` makes the option mandatory. Unknown names and bad values raise InputError."""
    fields: dict[str, Any] = {
        name: (Annotated[Any, BeforeValidator(_converter(convert))],
               ... if default is REQUIRED else default)
        for name, (convert, default) in schema.items()
    }  # fmt: skip
    kind = create_model(f"{model} options", __base__=Options, **fields)
    return dict(validate(kind, dict(options), f"model '{model}'"))


def _converter(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert`` whose failure is an error expecting its kind of value."""

    def converted(value: Any) -> Any:
        try:
            return convert(value)
        except (TypeError, ValueError) as error:
            name = getattr(convert, "__name__", "valid")
            raise Expected(f"a {name} value") from error

    return converted


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
