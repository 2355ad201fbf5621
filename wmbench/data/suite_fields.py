"""The field types of suite files and command-line choices, as pydantic types of the project's
schema library (:mod:`wmbench.core.schema`): each error names the source (file or option), the
field and the expected form."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo

from wmbench.core.schema import Expected, rule, validate
from wmbench.data.sanawm_bench import MIRROR_SPLITS

# pixels per side: below 16 encoders and 11x11 SSIM windows fail; above 8192, memory does
MIN_SIDE, MAX_SIDE = 16, 8192
MAX_SEED = 2**32 - 1  # the largest seed numpy's legacy, torch and OpenCV generators all accept
RESOLUTION_FORM = f"WIDTHxHEIGHT, each side {MIN_SIDE} to {MAX_SIDE} pixels, e.g. 1280x704"


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


Text = rule(str, "a str", lambda v: isinstance(v, str))
PositiveInt = rule(int, "a positive integer", lambda v: _integer(v) and v > 0)
PositiveNumber = rule(float, "a positive number", lambda v: _number(v) and v > 0)
Seed = rule(int, f"an integer from 0 to {MAX_SEED}", lambda v: _integer(v) and 0 <= v <= MAX_SEED)
Scalar = rule(Any, "a scalar value", lambda v: isinstance(v, str | int | float | bool))
Options = rule(dict[str, Any], "a mapping of options", lambda v: isinstance(v, dict))
Plan = Literal[tuple(MIRROR_SPLITS)]  # type: ignore[valid-type]


def _resolution(value: Any) -> tuple[int, int]:
    """``"1280x704"`` (or a (width, height) tuple, from the API) -> (1280, 704)."""
    text = "x".join(map(str, value)) if isinstance(value, tuple) else value
    try:
        width, height = (int(part) for part in str(text).lower().split("x"))
    except ValueError:
        raise Expected(RESOLUTION_FORM) from None
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise Expected(RESOLUTION_FORM)
    return width, height


# written as the suite files write it ("1280x704"), so a stored one reads back
Resolution = Annotated[
    tuple[int, int],
    BeforeValidator(_resolution),
    PlainSerializer(lambda size: "x".join(map(str, size)), when_used="json"),
]


def parse_resolution(
    text: Any, source: str = "--resolution", field: str = "resolution"
) -> tuple[int, int]:
    """``"1280x704"`` -> (1280, 704); each side from 16 to 8192 pixels."""
    return validate(Resolution, text, source, field=field)


@dataclass(frozen=True)
class Registered:
    """The registered model and evaluator names a suite may use, given by the layer that owns
    the registries (``wmbench.api``) as the validation context; this layer imports no model or
    evaluator."""

    models: tuple[str, ...]
    evaluators: tuple[str, ...]

    def of(self, kind: str) -> tuple[str, ...]:
        return self.models if kind == "model" else self.evaluators


def _registered(info: ValidationInfo) -> Registered | None:
    return info.context if isinstance(info.context, Registered) else None


def _names(kind: str) -> Any:
    """A list of distinct names registered as ``kind`` (any names without a context)."""

    def check(value: Any, info: ValidationInfo) -> tuple[str, ...]:
        if not isinstance(value, list | tuple):
            raise Expected("a list")
        registered = _registered(info)
        known = registered.of(kind) if registered is not None else ()
        for index, name in enumerate(value):
            if not isinstance(name, str) or (registered is not None and name not in known):
                form = (f"a registered {kind} name: {', '.join(known)}" if registered is not None
                        else f"a {kind} name")  # fmt: skip
                raise Expected(form, field=index, found=repr(name))
            if list(value).index(name) != index:
                raise Expected(f"distinct {kind} names", field=index, found=repr(name))
        return tuple(value)

    return Annotated[tuple[str, ...], BeforeValidator(check)]


ModelNames = _names("model")
EvaluatorNames = _names("evaluator")


def _model_options(value: Any, info: ValidationInfo) -> Any:
    """``{model name: {option: scalar}}``: the names registered models (any without a context)."""
    registered = _registered(info)
    if registered is not None and isinstance(value, dict):
        for name in value:
            if name not in registered.models:
                form = f"a registered model name: {', '.join(registered.models)}"
                raise Expected(form, field=name, found=repr(name))
    return value


ModelOptions = Annotated[dict[str, dict[str, Scalar]], BeforeValidator(_model_options)]
