"""The model-adapter contract: what a world model must do to be scored by wmbench."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from wmbench.data_model import Case, Trajectory, Video


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


@dataclass
class Generation:
    """A model's answer: the video, the seconds each stage took, and anything worth recording
    (sampler settings, quantization, the code path that ran). ``depth`` is metric z-depth per
    frame (T, H, W) float32, only from models that know it exactly (the synthetic oracles).
    ``series``: named 1-D measurements of the model's internals over the generation (e.g.
    ``gdn_state_norm/block0``, one value per streamed chunk)."""

    video: Video
    stage_seconds: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    depth: np.ndarray | None = None
    series: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelInfo:
    """What an adapter declares about itself."""

    name: str
    version: str
    device: str = "cpu"
    resolutions: tuple[tuple[int, int], ...] = ()  # empty: any resolution
    max_frames: int | None = None  # None: any length
    description: str = ""


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
        """Raise :class:`wmbench.errors.ModelUnavailable` with the reason if it cannot run here."""
        ...

    def generate(self, request: GenerationRequest) -> Generation:
        """Generate the video for one case."""
        ...
