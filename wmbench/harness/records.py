"""The typed records of a run directory (``run.json``, ``models/*.json``, ``result.json``,
``summary.json``), with their JSON form.

Each record is a dataclass; :func:`to_json` writes it and :func:`from_json` reads it back,
checking every field's type (:mod:`wmbench.core.schema`), so a damaged or hand-edited file is
an InputError naming the file and the field instead of a KeyError deep in a report.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel

from wmbench.core.errors import InputError
from wmbench.core.schema import closed, validate_json
from wmbench.harness.spec import RunSpec

R = TypeVar("R")
OK, PARTIAL, FAILED, SKIPPED = "ok", "partial", "failed", "skipped"
RUN_FORMAT = 2  # run.json's layout: 2 holds the validated specification (wmbench.harness.spec)


@closed
@dataclass(frozen=True)
class DeclaredMetric:
    """A metric's declaration as stored: direction, unit, description and its evaluator."""

    higher_is_better: bool
    unit: str = ""
    description: str = ""
    evaluator: str = ""


@closed
@dataclass(frozen=True)
class ResolvedModel:
    """A model of the run: its name, folder key (name and configuration) and options (the
    suite's merged with the user's)."""

    name: str
    key: str
    options: dict[str, Any] = field(default_factory=dict)


@closed
@dataclass(frozen=True)
class Resolved:
    """What a specification resolved to when it ran: the kind of data, the selected cases, the
    generation settings, the models' folder keys and the evaluators' identities (version and
    the settings that change their numbers). Compared on resume beside the specification."""

    data: str
    cases: list[str]
    frames: int
    fps: float
    resolution: list[int]
    models: list[ResolvedModel]
    evaluator_identities: dict[str, str]


@closed
@dataclass(frozen=True)
class RunRecord:
    """``run.json``: the run's specification and what it resolved to (compared on resume),
    beside its provenance (where the data was, code, packages, hardware, command, times)."""

    spec: RunSpec
    resolved: Resolved
    data: str
    created: str
    format: int = RUN_FORMAT
    evaluator_notes: dict[str, str] = field(default_factory=dict)
    evaluator_weights: dict[str, dict[str, str]] = field(default_factory=dict)
    world_size: int = 1
    git_commit: str = "unknown"
    packages: dict[str, str] = field(default_factory=dict)
    hardware: dict[str, Any] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)

    @property
    def suite(self) -> str:
        return self.spec.suite

    @property
    def frames(self) -> int:
        return self.resolved.frames

    @property
    def fps(self) -> float:
        return self.resolved.fps

    @property
    def resolution(self) -> list[int]:
        return self.resolved.resolution

    @property
    def cases(self) -> list[str]:
        return self.resolved.cases

    @property
    def evaluators(self) -> tuple[str, ...]:
        return self.spec.evaluators

    @property
    def evaluator_options(self) -> dict[str, dict[str, Any]]:
        return self.spec.evaluator_options

    def compared(self) -> dict[str, Any]:
        """What a resume compares: the specification and what it resolved to."""
        return {**self.spec.compared(), **_plain(self.resolved)}

    def setting(self) -> str:
        """Data, size and generation settings of the run, in one line."""
        width, height = self.resolution
        return (
            f"{self.data}; {len(self.cases)} cases; {self.frames} frames @ {self.fps:g} fps; "
            f"{width}x{height}"
        )

    def video_seconds(self) -> float:
        return (self.frames - 1) / self.fps


@closed
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


@closed
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


@closed
@dataclass(frozen=True)
class Aggregate:
    """Mean, population std (ddof 0) and count of a metric over cases."""

    mean: float
    std: float
    count: int


@closed
@dataclass(frozen=True)
class SetRecord:
    """A set-level metric of one model and split (see ``evaluators.base.SetValue``)."""

    value: float | None
    count: int
    reliable: bool = True
    note: str = ""


@closed
@dataclass(frozen=True)
class SplitSummary:
    cases: int
    failures: int
    metrics: dict[str, Aggregate] = field(default_factory=dict)
    set_metrics: dict[str, SetRecord] = field(default_factory=dict)


@closed
@dataclass(frozen=True)
class ModelSummary:
    model: str
    status: str
    reason: str = ""
    skipped_evaluators: dict[str, str] = field(default_factory=dict)
    splits: dict[str, SplitSummary] = field(default_factory=dict)


@closed
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
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
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
        text = Path(path).read_bytes()
    except OSError as error:
        raise InputError(path, kind.__name__, "a readable file", str(error)) from error
    if kind is RunRecord:
        _refuse_older_run(text, path)
    return validate_json(kind, text, path)


class OlderRun(InputError):
    """A run folder written by an older wmbench (its ``run.json`` has another layout)."""


def _refuse_older_run(text: bytes, path: Path) -> None:
    """A ``run.json`` of an older wmbench (no ``format``) is an InputError saying so."""
    try:
        data = json.loads(text)
    except ValueError:
        return  # not JSON: the schema names it
    if isinstance(data, dict) and "format" not in data and "suite" in data:
        raise OlderRun(
            path, "format",
            f"a run folder of this wmbench (run.json format {RUN_FORMAT})",
            "a run folder written by an older wmbench (before the run specification was "
            "stored): its case files stay as they are, but it cannot be shown, compared or "
            "resumed by this version; rerun into a new --out",
        )  # fmt: skip
