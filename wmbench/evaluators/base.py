"""The evaluator contract: named metrics with declared direction, computed per case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from wmbench.core.types import Case, Trajectory, Video
from wmbench.models.base import Generation
from wmbench.core.resources import ResourceUsage


@dataclass(frozen=True)
class MetricSpec:
    """A metric's declaration. ``name`` carries protocol and unit where there is more than one
    (``rot_err_deg/wmbench``); ``higher_is_better`` is declared here, never guessed later."""

    name: str
    higher_is_better: bool
    unit: str = ""
    description: str = ""


@dataclass
class EvalInput:
    """Everything an evaluator may look at for one case.

    ``trajectory`` is the requested camera path (as given to the model); ``reference`` is a
    ground-truth video when the suite has one; ``usage`` is the measured wall time and peak
    memory of the generation. Expensive artefacts shared by several
    evaluators (estimated poses, optical flow) go through :meth:`cached`, computed once per case.
    """

    case: Case
    trajectory: Trajectory
    video: Video
    generation: Generation
    reference: Video | None = None
    usage: ResourceUsage | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


@dataclass
class EvalResult:
    """Scalar metrics by name, plus optional per-frame (or per-window) series."""

    metrics: dict[str, float]
    series: dict[str, np.ndarray] = field(default_factory=dict)


@runtime_checkable
class Evaluator(Protocol):
    """Computes named metrics for one case. Knows nothing about the CLI or the run store."""

    name: str
    version: str

    def metric_specs(self) -> list[MetricSpec]:
        """The metrics :meth:`evaluate` returns, with their direction and unit."""
        ...

    def check_available(self) -> None:
        """Raise :class:`wmbench.core.errors.MissingWeightsError` naming the file to place when a
        learned evaluator's weights are absent; weight-free evaluators do nothing. Learned
        evaluators also declare the weight-store entries they load, ``weight_entries``
        (:func:`weight_entries`)."""
        ...

    def evaluate(self, inputs: EvalInput) -> EvalResult: ...


def weight_entries(evaluator: Evaluator) -> tuple[str, ...]:
    """The weight-store entries ``evaluator`` loads (none for a weight-free one)."""
    return tuple(getattr(evaluator, "weight_entries", ()))


def evaluator_notes(evaluators: list[Evaluator]) -> dict[str, str]:
    """What evaluators ask to print beside their scores (an optional ``notes()`` method, e.g.
    the camera annotator's measured floor), by evaluator name."""
    return {e.name: e.notes() for e in evaluators if callable(getattr(e, "notes", None))}
