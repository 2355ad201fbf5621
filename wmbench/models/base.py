"""The model-adapter contract: what a world model must do to be scored by wmbench."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from wmbench.core.types import Case, FrameSequence, Trajectory


@dataclass(frozen=True)
class GenerationRequest:
    """What the harness asks for: ``image`` (the case's first frame, already scaled and
    centre-cropped to ``resolution`` = (width, height)) and the case's prompt, driven along
    ``trajectory`` (cut to ``num_frames``, intrinsics expressed for ``resolution``)."""

    case: Case
    image: np.ndarray
    trajectory: Trajectory
    num_frames: int
    resolution: tuple[int, int]
    fps: float
    seed: int


@dataclass(frozen=True)
class PoseSource:
    """Poses of the generated videos estimated elsewhere: ``folder/<case_id>.npz`` (the layout
    of :mod:`pose_pipeline.estimators`' ``file`` estimator) and the ``estimator`` that produced
    them as the provider declares it (``pi3``; "" when undeclared). A metric computed from them
    counts as that estimator's (``rot_err_deg/sanawm`` with declared Pi3 poses)."""

    folder: Path
    estimator: str = ""


@dataclass
class Generation:
    """A model's answer: the video, the seconds each stage took, and anything worth recording
    (sampler settings, quantization, the code path that ran). ``video`` is in memory
    (:class:`Video`) or, for any length, on disk as produced (a :class:`FrameSequence` such as
    :class:`wmbench.data.spool.FrameSpool`; evaluators stream it). ``depth`` is metric z-depth per
    frame (T, H, W) float32 (an array or maps on disk indexed by frame), only from models that
    know it exactly (the synthetic oracles).
    ``series`` holds what the model measured of itself over time (its recurrent state per chunk,
    the error of the path its control can express); the run stores them as ``model/<name>``.
    ``refined`` declares frame 0 a copy of the input image (a refiner's output): every evaluator
    then scores frames 1.. only, as SANA-WM-Bench's ``skip_first_frame auto`` does. ``poses``
    names poses estimated elsewhere, which the camera evaluator scores instead of estimating.
    ``control_step_frames`` is the number of frames per control input the model conditions on
    (e.g. 4 for one pose per latent frame), the ``local_control`` evaluator's second RPE step.
    ``is_ground_truth`` declares the video to be the exact render of the requested path (the
    oracle): the harness then uses it as the reference instead of rendering the path again."""

    video: FrameSequence
    stage_seconds: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    depth: Any = None  # (T, H, W) float32 indexable by frame: np.ndarray or FrameSpool
    series: dict[str, np.ndarray] = field(default_factory=dict)
    is_ground_truth: bool = False
    refined: bool = False
    poses: PoseSource | None = None
    control_step_frames: int | None = None


@dataclass(frozen=True)
class ModelInfo:
    """What an adapter declares about itself."""

    name: str
    version: str
    device: str = "cpu"
    resolutions: tuple[tuple[int, int], ...] = ()  # empty: any resolution
    max_frames: int | None = None  # None: any length
    description: str = ""
    control: str = ""  # how it is driven: camera-poses, actions, camera-presets, video-files, ...
    native_resolution: tuple[int, int] | None = None  # (width, height) it generates at
    native_fps: float | None = None  # frame rate of its own output
    native_frames: str = ""  # its frame-count rule, e.g. "4n+1" or "1041"


@runtime_checkable
class ModelAdapter(Protocol):
    """A world model as wmbench sees it.

    Adapters are constructed with keyword options (from ``--option KEY=VALUE`` and the
    shortcut flags) and must reject options they do not know.
    """

    def info(self) -> ModelInfo:
        """Name, version, device and supported sizes."""
        ...

    def config(self) -> dict[str, Any]:
        """Everything that changes the output (options, checkpoint identity); recorded and hashed
        into the run's per-case cache key."""
        ...

    def check_available(self) -> None:
        """Raise :class:`wmbench.core.errors.ModelUnavailable` with the reason if it cannot
        run here."""
        ...

    def generate(self, request: GenerationRequest) -> Generation:
        """Generate the video for one case."""
        ...
