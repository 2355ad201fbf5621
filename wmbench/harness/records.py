"""The typed records of a run directory (``run.json``, ``models/*.json``, ``result.json``,
``summary.json``), with their JSON form.

Each record is a dataclass; :func:`to_json` writes it and :func:`from_json` reads it back,
checking every field's type, so a damaged or hand-edited file is an InputError naming the file
and the field instead of a KeyError deep in a report.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, Union

import numpy as np

from wmbench.core.errors import InputError

R = TypeVar("R")
OK, PARTIAL, FAILED, SKIPPED = "ok", "partial", "failed", "skipped"


@dataclass(frozen=True)
class DeclaredMetric:
    """A metric's declaration as stored: direction, unit, description and its evaluator."""

    higher_is_better: bool
    unit: str = ""
    description: str = ""
    evaluator: str = ""


@dataclass(frozen=True)
class ModelChoiceRecord:
    """A model the run was asked for, by registry name, with its options."""

    name: str
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    """``run.json``: what the run is (suite, data, settings, code, hardware)."""

    suite: str
    data: str
    frames: int
    fps: float
    resolution: list[int]
    cases: list[str]
    models: list[ModelChoiceRecord]
    evaluators: list[str]
    seed: int
    created: str
    evaluator_notes: dict[str, str] = field(default_factory=dict)
    evaluator_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    evaluator_weights: dict[str, dict[str, str]] = field(default_factory=dict)
    world_size: int = 1
    git_commit: str = "unknown"
    packages: dict[str, str] = field(default_factory=dict)
    hardware: dict[str, Any] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    spec: dict[str, Any] = field(default_factory=dict)  # see wmbench.harness.identity

    def setting(self) -> str:
        """Data, size and generation settings of the run, in one line."""
        width, height = self.resolution
        return (
            f"{self.data}; {len(self.cases)} cases; {self.frames} frames @ {self.fps:g} fps; "
            f"{width}x{height}"
        )

    def video_seconds(self) -> float:
        return (self.frames - 1) / self.fps


@dataclass(frozen=True)
class ModelRecord:
    """``models/<model_key>.json``: a model's options and configuration, whether it ran (and
    why not), the evaluators it was scored with and the metrics they declare."""

    name: str
    status: str
    options: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    version: str = ""
    device: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    evaluators: dict[str, str] = field(default_factory=dict)
    skipped_evaluators: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, DeclaredMetric] = field(default_factory=dict)
    set_metrics: dict[str, DeclaredMetric] = field(default_factory=dict)


@dataclass(frozen=True)
class CaseRecord:
    """``result.json`` of one model and case. ``metrics`` holds None where a metric does not
    apply to the case (an empty CSV cell)."""

    model: str
    model_key: str
    case_id: str
    fingerprint: str
    split: str
    status: str
    category: str = ""
    stage: str = ""
    error: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float | None] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    generation_info: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Aggregate:
    """Mean, population std (ddof 0) and count of a metric over cases."""

    mean: float
    std: float
    count: int


@dataclass(frozen=True)
class SetRecord:
    """A set-level metric of one model and split (see ``evaluators.base.SetValue``)."""

    value: float | None
    count: int
    reliable: bool = True
    note: str = ""


@dataclass(frozen=True)
class SplitSummary:
    cases: int
    failures: int
    metrics: dict[str, Aggregate] = field(default_factory=dict)
    set_metrics: dict[str, SetRecord] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSummary:
    model: str
    status: str
    reason: str = ""
    skipped_evaluators: dict[str, str] = field(default_factory=dict)
    splits: dict[str, SplitSummary] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """``summary.json``: per model and split (and ``all``) the aggregates of every metric and
    the set-level metrics, with the metrics' declarations."""

    suite: str
    data: str
    metrics: dict[str, DeclaredMetric] = field(default_factory=dict)
    set_metrics: dict[str, DeclaredMetric] = field(default_factory=dict)
    models: dict[str, ModelSummary] = field(default_factory=dict)


def to_json(record: Any) -> str:
    """The JSON text of a record (NaN and inf as null, numpy values as numbers)."""
    return json.dumps(_plain(record), indent=2, sort_keys=True) + "\n"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_record(kind: type[R], path: Path) -> R:
    """The record of type ``kind`` stored at ``path``; an InputError naming the file (and the
    field) when it is unreadable, not JSON, or does not hold such a record."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(path, kind.__name__, "a readable file", str(error)) from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(path, "json", f"a {kind.__name__} as JSON", str(error)) from error
    return from_json(kind, data, path)


def from_json(kind: type[R], data: Any, source: Path | str, where: str = "") -> R:
    """Build ``kind`` from parsed JSON, checking types field by field."""
    return _build(kind, data, source, where or "<top level>")


def _build(kind: Any, data: Any, source: Path | str, where: str) -> Any:
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise InputError(source, where, f"an object ({kind.__name__})", type(data).__name__)
        hints = typing.get_type_hints(kind)
        fields = {f.name: f for f in dataclasses.fields(kind)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise InputError(source, f"{where}.{unknown[0]}", f"a field of {kind.__name__}")
        values = {}
        for name, spec in fields.items():
            if name not in data:
                has_default = spec.default is not dataclasses.MISSING
                if has_default or spec.default_factory is not dataclasses.MISSING:
                    continue
                raise InputError(source, _join(where, name), "a value (required field)")
            values[name] = _build(hints[name], data[name], source, _join(where, name))
        return kind(**values)
    if origin in (Union, types.UnionType):
        options = typing.get_args(kind)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _build(option, data, source, where)
            except InputError as error:
                errors.append(error)
        raise errors[0]
    if origin is dict:
        key_type, value_type = typing.get_args(kind)
        if not isinstance(data, dict):
            raise InputError(source, where, "an object", type(data).__name__)
        return {k: _build(value_type, v, source, _join(where, k)) for k, v in data.items()}
    if origin is list:
        (item_type,) = typing.get_args(kind)
        if not isinstance(data, list):
            raise InputError(source, where, "a list", type(data).__name__)
        return [_build(item_type, v, source, f"{where}[{i}]") for i, v in enumerate(data)]
    if kind is Any:
        return data
    if kind is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise InputError(source, where, "a number", repr(data))
        return float(data)
    if kind is int and (isinstance(data, bool) or not isinstance(data, int)):
        raise InputError(source, where, "an integer", repr(data))
    if kind in (str, bool) and not isinstance(data, kind):
        raise InputError(source, where, f"a {kind.__name__}", repr(data))
    return data


def _join(where: str, name: str) -> str:
    return name if where == "<top level>" else f"{where}.{name}"
