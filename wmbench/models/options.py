"""Typed adapter options from ``--option KEY=VALUE`` strings (or suite files)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wmbench.core.errors import InputError


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def parse_options(
    model: str,
    options: dict[str, Any],
    schema: dict[str, tuple[Callable[[Any], Any], Any]],
) -> dict[str, Any]:
    """Convert ``options`` by ``schema`` (name -> (converter, default)); a default of
    ``REQUIRED`` makes the option mandatory. Unknown names and bad values raise InputError."""
    unknown = sorted(set(options) - set(schema))
    if unknown:
        raise InputError(
            f"model '{model}'", ", ".join(unknown), f"options among {sorted(schema) or 'none'}"
        )
    parsed = {}
    for name, (convert, default) in schema.items():
        if name not in options:
            if default is REQUIRED:
                raise InputError(f"model '{model}'", name, "a value (--option NAME=VALUE)", "none")
            parsed[name] = default
            continue
        try:
            parsed[name] = convert(options[name])
        except (TypeError, ValueError) as error:
            raise InputError(
                f"model '{model}'",
                name,
                f"a {getattr(convert, '__name__', 'valid')} value",
                repr(options[name]),
            ) from error
    return parsed


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
