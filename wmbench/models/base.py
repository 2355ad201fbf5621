"""The model-adapter contract: what a world model must do to be scored by wmbench."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from wmbench.core.types import Case, Trajectory, Video


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


# Generation.info keys the evaluators read:
REFINED = "refined"  # True: frame 0 is the input image copied (a refiner's output; SANA-WM-Bench's
# scripts then drop it from camera scores, as ``sanawm`` does)
POSES_DIR = "poses_dir"  # a folder of poses estimated elsewhere (``<dir>/<case_id>.npz``, see
# pose_pipeline.estimators): the camera evaluator scores them with the ``file`` estimator
CONTROL_STEP = "control_step_frames"  # frames per control input the model conditions on (e.g. 4
# for one pose per latent frame): the ``local_control`` evaluator's second RPE step


@dataclass
class Generation:
    """A model's answer: the video, the seconds each stage took, and anything worth recording
    (sampler settings, quantization, the code path that ran). ``depth`` is metric z-depth per
    frame (T, H, W) float32, only from models that know it exactly (the synthetic oracles).
    ``series`` holds what the model measured of itself over time (its recurrent state per chunk,
    the error of the path its control can express); the run stores them as ``model/<name>``.
    ``info[REFINED]`` and ``info[POSES_DIR]`` change how the camera is scored (see above).
    ``is_ground_truth`` declares the video to be the exact render of the requested path (the
    oracle): the harness then uses it as the reference instead of rendering the path again."""

    video: Video
    stage_seconds: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    depth: np.ndarray | None = None
    series: dict[str, np.ndarray] = field(default_factory=dict)
    is_ground_truth: bool = False


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
