"""The evaluator contract: named metrics with declared direction, computed per case, and
set-level metrics aggregated torchmetrics-style (``update`` per case, ``compute`` once).

Evaluators that look at every frame do it in one streamed pass: they declare
:class:`FrameAccumulator` s (state updated chunk by chunk, torchmetrics style) in
:meth:`Evaluator.accumulators`; the harness feeds every evaluator's accumulators from one
decoding pass (:meth:`EvalInput.prefetch`), so memory is bounded by the chunk, not the video."""

from __future__ import annotations

import gc
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from wmbench.core import weights
from wmbench.core.resources import ResourceUsage
from wmbench.core.types import Case, FrameSequence, Trajectory, frames_from
from wmbench.evaluators.identity import EvaluatorIdentity
from wmbench.models.base import Generation

T = TypeVar("T")


@dataclass(frozen=True)
class MetricSpec:
    """A metric's declaration. ``name`` carries protocol and unit where there is more than one
    (``rot_err_deg/wmbench``); ``higher_is_better`` is declared here, never guessed later."""

    name: str
    higher_is_better: bool
    unit: str = ""
    description: str = ""


@dataclass(frozen=True)
class SharedKey(Generic[T]):
    """The typed key of an artefact several evaluators of one case share (poses, flow)."""

    name: str


class FrameAccumulator(ABC, Generic[T]):
    """State over a video's frames in order: :meth:`update` with each chunk (frames
    ``start`` .. ``start + len(chunk) - 1``), then :meth:`compute` once."""

    @abstractmethod
    def update(self, chunk: np.ndarray, start: int) -> None:
        """Add the frames ``chunk`` (n, H, W, 3) uint8, the first being frame ``start``."""

    @abstractmethod
    def compute(self) -> T:
        """The result over every frame added."""


def accumulate(
    video: FrameSequence, accumulators: Mapping[Any, FrameAccumulator[Any]]
) -> dict[Any, Any]:
    """Feed ``accumulators`` from one pass over ``video``'s chunks; their results by key."""
    start = 0
    for chunk in video.chunks():
        for accumulator in accumulators.values():
            accumulator.update(chunk, start)
        start += len(chunk)
    return {key: accumulator.compute() for key, accumulator in accumulators.items()}


Accumulators = dict[SharedKey[Any], Callable[[], FrameAccumulator[Any]]]


@dataclass
class EvalInput:
    """Everything an evaluator may look at for one case.

    ``video`` holds the frames every evaluator scores and ``trajectory`` the requested camera
    path for them, in pixels of the video's own size; ``first_frame`` is the index in the
    written video (``generation.video``) of ``video``'s frame 0: 1 for a refined generation,
    whose frame 0 (the input image) no evaluator scores (SANA-WM-Bench's ``skip_first_frame
    auto``), else 0. ``reference`` is a ground-truth video of the same frames when the suite has
    one; ``usage`` is the measured wall time and peak memory of the generation. Expensive
    artefacts shared by several evaluators (estimated poses, optical flow) go through
    :meth:`shared`, computed once per case. :meth:`scoring` builds one from a generation.
    """

    case: Case
    trajectory: Trajectory
    video: FrameSequence
    generation: Generation
    reference: FrameSequence | None = None
    usage: ResourceUsage | None = None
    first_frame: int = 0
    written_trajectory: Trajectory | None = None
    _shared: dict[SharedKey[Any], Any] = field(default_factory=dict, repr=False)

    @classmethod
    def scoring(
        cls,
        case: Case,
        trajectory: Trajectory,
        generation: Generation,
        reference: FrameSequence | None = None,
        usage: ResourceUsage | None = None,
    ) -> EvalInput:
        """What evaluators score of ``generation``: the video as written, at its own size
        (``trajectory``, the requested path for every written frame, is scaled to it), without
        frame 0 when the generation is refined (``reference`` likewise)."""
        video = generation.video
        if trajectory.image_size != video.size:
            trajectory = trajectory.fitted(*video.size)
        first = 1 if generation.refined else 0
        written = trajectory
        if first:
            video = frames_from(video, first)
            trajectory = trajectory.tail(first)
            if reference is not None:
                reference = frames_from(reference, first)
        return cls(case, trajectory, video, generation, reference, usage, first, written)

    def written(self) -> tuple[FrameSequence, Trajectory]:
        """The video as written (frame 0 included) and the requested path for its frames."""
        if not self.first_frame:
            return self.video, self.trajectory
        if self.written_trajectory is None:
            raise ValueError("an EvalInput with first_frame > 0 needs written_trajectory")
        return self.generation.video, self.written_trajectory

    def shared(self, key: SharedKey[T], compute: Callable[[], T]) -> T:
        """The artefact ``key`` of this case, computed by ``compute`` the first time."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    def streamed(self, key: SharedKey[T], make: Callable[[], FrameAccumulator[T]]) -> T:
        """The artefact ``key``: a :meth:`prefetch` result, or one pass of ``make()`` now."""
        return self.shared(key, lambda: accumulate(self.video, {key: make()})[key])

    def prefetch(self, accumulators: Accumulators) -> None:
        """Compute every artefact of ``accumulators`` not yet shared in one pass over the video."""
        missing = {key: make() for key, make in accumulators.items() if key not in self._shared}
        if missing:
            self._shared.update(accumulate(self.video, missing))


@dataclass
class EvalResult:
    """Scalar metrics by name, optional per-frame (or per-window) series, and artefacts: named
    groups of arrays the store writes as ``<name>.npz`` in the case folder (e.g. ``poses``)."""

    metrics: dict[str, float]
    series: dict[str, np.ndarray] = field(default_factory=dict)
    artefacts: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


@dataclass(frozen=True)
class SetValue:
    """A set-level metric of one model and split: its value (None when it cannot be computed),
    how many items it pooled (``count``, e.g. clips), whether that is enough (``reliable``)
    and what to print beside it (``note``)."""

    value: float | None
    count: int
    reliable: bool = True
    note: str = ""


class SetMetric(ABC):
    """A metric over a set of cases (FVD): ``update`` with each case's stored series, then
    ``compute``. A fresh instance per model and split (:meth:`Evaluator.set_metrics`)."""

    spec: ClassVar[MetricSpec]

    @abstractmethod
    def update(self, series: Mapping[str, np.ndarray]) -> None:
        """Add one case, from the series its evaluator stored (names without the prefix)."""

    @abstractmethod
    def compute(self) -> SetValue:
        """The metric over every case added."""


class Evaluator(ABC):
    """Computes named metrics for one case. Knows nothing about the CLI or the run store.

    Capabilities are declared as class attributes: ``weight_entries`` (the weight-store
    entries a learned evaluator loads; :meth:`check_available` requires them),
    ``needs_reference`` (the ground-truth video of synthetic cases), ``requires`` (the
    evaluators whose results or shared artefacts this one reads: the harness runs those the
    suite lists before it, so it reads what they computed with the suite's options; one the
    suite does not list, it computes itself). Networks are loaded lazily into the instance
    (:meth:`network`) and freed by :meth:`release`.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    weight_entries: ClassVar[tuple[str, ...]] = ()
    needs_reference: ClassVar[bool] = False
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._networks: dict[str, Any] = {}

    @abstractmethod
    def metric_specs(self) -> list[MetricSpec]:
        """The metrics :meth:`evaluate` returns, with their direction and unit."""

    @abstractmethod
    def evaluate(self, inputs: EvalInput) -> EvalResult:
        """The metrics of one case."""

    def identity(self) -> EvaluatorIdentity:
        """What the model record files this evaluator's scores under: ``version``, plus the
        settings that change its numbers (e.g. the camera evaluator's pose estimator)."""
        return EvaluatorIdentity(self.version)

    def shared_evaluate(self, inputs: EvalInput) -> EvalResult:
        """:meth:`evaluate`, once per case: an evaluator that builds on another's result (the
        VBench quality score on its dimensions) reads the one the suite already computed."""
        key = SharedKey[EvalResult](f"result/{self.name}/{self.version}")
        return inputs.shared(key, lambda: self.evaluate(inputs))

    def accumulators(self, inputs: EvalInput) -> Accumulators:
        """The streamed artefacts :meth:`evaluate` reads (computed in the harness's one pass)."""
        return {}

    def check_available(self) -> None:
        """Raise :class:`MissingWeightsError` naming every missing file of ``weight_entries``."""
        weights.require_all(*self.weight_entries)

    def limitations(self) -> list[str]:
        """What this run's scores cannot stand for here, one line each (logged when the run
        starts; e.g. the camera's: no Table-2-comparable numbers without Pi3)."""
        return []

    def notes(self) -> str | None:
        """What to print beside this evaluator's scores (e.g. the annotator's floor)."""
        return None

    def set_metrics(self) -> list[SetMetric]:
        """Fresh set-level aggregators (none for most evaluators)."""
        return []

    def set_specs(self) -> list[MetricSpec]:
        """The declarations of :meth:`set_metrics`."""
        return [metric.spec for metric in self.set_metrics()]

    def network(self, key: str, load: Callable[[], T]) -> T:
        """The network ``key`` of this instance, loaded by ``load`` on first use."""
        if key not in self._networks:
            self._networks[key] = load()
        return self._networks[key]

    def release(self) -> None:
        """Free the networks this instance loaded (and CUDA's cached blocks)."""
        if not self._networks:
            return
        self._networks.clear()
        gc.collect()
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def evaluator_notes(evaluators: list[Evaluator]) -> dict[str, str]:
    """What evaluators ask to print beside their scores, by evaluator name."""
    return {e.name: note for e in evaluators if (note := e.notes())}
