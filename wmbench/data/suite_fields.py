"""Field checks for suite files and command-line choices: each raises an InputError naming the
source (file or option), the field and the expected form."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wmbench.core.errors import InputError
from wmbench.data.sanawm_bench import MIRROR_SPLITS

# pixels per side: below 16 encoders and 11x11 SSIM windows fail; above 8192, memory does
MIN_SIDE, MAX_SIDE = 16, 8192
MAX_SEED = 2**32 - 1  # the largest seed numpy's legacy, torch and OpenCV generators all accept
DATA_FIELDS = {"layout": str, "env": str, "mirror": dict}
MIRROR_FIELDS = ("scenes_per_category", "seed", "plan")


def typed(value: Any, kind: type, source: str | Path, field: str) -> Any:
    """``value`` when it is a ``kind`` (a bool never counts as a number)."""
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InputError(source, field, f"a {kind.__name__}", repr(value))
    return value


def positive_int(value: Any, source: str | Path, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(source, field, "a positive integer", repr(value))
    return value


def positive_number(value: Any, source: str | Path, field: str) -> float:
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if not valid or not math.isfinite(value) or value <= 0:
        raise InputError(source, field, "a positive number", repr(value))
    return float(value)


def check_seed(value: Any, source: str | Path = "--seed", field: str = "seed") -> int:
    """A generation seed: an integer in [0, 2**32 - 1]."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise InputError(source, field, f"an integer from 0 to {MAX_SEED}", repr(value))
    return value


def parse_resolution(
    text: Any, source: str = "--resolution", field: str = "resolution"
) -> tuple[int, int]:
    """``"1280x704"`` -> (1280, 704); each side from 16 to 8192 pixels."""
    expected = f"WIDTHxHEIGHT, each side {MIN_SIDE} to {MAX_SIDE} pixels, e.g. 1280x704"
    try:
        width, height = (int(part) for part in str(text).lower().split("x"))
    except ValueError as error:
        raise InputError(source, field, expected, repr(text)) from error
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise InputError(source, field, expected, repr(text))
    return width, height


def mapping(value: Any, source: str | Path, field: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(source, field, "a mapping", repr(value))
    return value


def check_data(value: Any, source: str | Path) -> dict:
    """The ``data`` field: ``layout``, optional ``env`` (a variable name) and ``mirror``
    (``scenes_per_category`` a positive integer, ``seed`` an integer >= 0, ``plan`` one of
    :data:`~wmbench.data.sanawm_bench.MIRROR_SPLITS`)."""
    data = mapping(value, source, "data")
    for key, item in data.items():
        if key not in DATA_FIELDS:
            raise InputError(source, f"data.{key}", f"one of {sorted(DATA_FIELDS)}")
        typed(item, DATA_FIELDS[key], source, f"data.{key}")
    for key, item in data.get("mirror", {}).items():
        if key not in MIRROR_FIELDS:
            raise InputError(source, f"data.mirror.{key}", f"one of {list(MIRROR_FIELDS)}")
        if key == "scenes_per_category":
            positive_int(item, source, f"data.mirror.{key}")
        elif key == "plan":
            if item not in MIRROR_SPLITS:
                raise InputError(
                    source, f"data.mirror.{key}", f"one of {list(MIRROR_SPLITS)}", repr(item)
                )
        else:
            check_seed(item, source, f"data.mirror.{key}")
    return data


@dataclass(frozen=True)
class Registered:
    """The registered model and evaluator names a suite may use, given by the layer that owns
    the registries (``wmbench.api``); this layer imports no model or evaluator."""

    models: tuple[str, ...]
    evaluators: tuple[str, ...]

    def of(self, kind: str) -> tuple[str, ...]:
        return self.models if kind == "model" else self.evaluators


def check_names(
    value: Any, kind: str, source: str | Path, field: str, registered: Registered | None
) -> tuple[str, ...]:
    """A list of distinct names registered as ``kind`` (``model`` or ``evaluator``); without
    ``registered``, distinct names of any value."""
    names = typed(value, list, source, field)
    known = registered.of(kind) if registered is not None else ()
    for index, name in enumerate(names):
        if not isinstance(name, str) or (registered is not None and name not in known):
            expected = (f"a registered {kind} name: {', '.join(known)}" if registered is not None
                        else f"a {kind} name")  # fmt: skip
            raise InputError(source, f"{field}[{index}]", expected, repr(name))
        if names.index(name) != index:
            raise InputError(source, f"{field}[{index}]", f"distinct {kind} names", repr(name))
    return tuple(names)


def check_options(
    value: Any, source: str | Path, field: str, registered: Registered | None
) -> dict[str, dict[str, Any]]:
    """``{model name: {option: scalar}}`` for registered models (any name without
    ``registered``)."""
    options = mapping(value if value is not None else {}, source, field)
    for name, values in options.items():
        if registered is not None and name not in registered.models:
            raise InputError(
                source,
                f"{field}.{name}",
                f"a registered model name: {', '.join(registered.models)}",
            )
        for key, item in mapping(values, source, f"{field}.{name}").items():
            if not isinstance(item, str | int | float | bool):
                raise InputError(source, f"{field}.{name}.{key}", "a scalar value", repr(item))
    return options
