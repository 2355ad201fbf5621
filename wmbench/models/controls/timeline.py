"""Which of a model's own frames stands for which frame of a case, both ways.

``frames`` timing (the default) drives the model frame for frame: its frame i is the case's
frame i, whatever rate it plays at (SANA-WM-Bench pairs generated and requested frames by index).
``seconds`` timing samples the case's path at the model's own frame times and picks, for each
case frame, the model frame nearest in time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wmbench.core.errors import InputError
from wmbench.core.types import Video
from wmbench.models.controls.geometry import sample_poses
from wmbench.models.controls.record import CompiledControl, NativeControl, PathError

TIMINGS = ("frames", "seconds")


@dataclass(frozen=True)
class Timeline:
    """``native_frames`` model frames at ``native_fps`` standing for ``case_frames`` case
    frames at ``case_fps``."""

    case_frames: int
    case_fps: float
    native_fps: float
    native_frames: int
    timing: str

    @property
    def ratio(self) -> float:
        """Model frames per case frame."""
        return self.native_fps / self.case_fps if self.timing == "seconds" else 1.0

    def native_positions(self) -> np.ndarray:
        """The case frame (fractional) each model frame stands for."""
        return np.arange(self.native_frames) / self.ratio

    def case_positions(self) -> np.ndarray:
        """The model frame (fractional) each case frame stands for."""
        return np.arange(self.case_frames) * self.ratio


def plan(
    case_frames: int,
    case_fps: float,
    native_fps: float,
    timing: str,
    frame_rule: Callable[[int], int],
) -> Timeline:
    """The timeline whose model frame count is ``frame_rule(minimum)``, the model's smallest
    allowed length covering the case."""
    if timing not in TIMINGS:
        raise InputError("model options", "timing", f"one of {TIMINGS}", repr(timing))
    ratio = native_fps / case_fps if timing == "seconds" else 1.0
    minimum = math.ceil((case_frames - 1) * ratio - 1e-9) + 1
    return Timeline(case_frames, case_fps, native_fps, frame_rule(minimum), timing)


def native_path(c2w: np.ndarray, timeline: Timeline) -> np.ndarray:
    """The case's poses at the model's frames (past the case's end: its last pose)."""
    return sample_poses(c2w, timeline.native_positions())


def finish(
    model: str, convention: str, native: NativeControl, c2w: np.ndarray, timeline: Timeline
) -> CompiledControl:
    """The compiled control with its expressed path brought back to the case's frames."""
    expressed = sample_poses(native.expressed, timeline.case_positions())
    return CompiledControl(model, convention, native, expressed, PathError.between(expressed, c2w))


def case_frames_of(video: Video, timeline: Timeline, source: str) -> np.ndarray:
    """The model's frames that stand for the case's frames (nearest in time)."""
    picks = np.rint(timeline.case_positions()).astype(int)
    if len(video) <= picks[-1]:
        raise InputError(
            source, "frames", f"at least {picks[-1] + 1} frames", f"{len(video)} frames"
        )
    return video.frames[picks]
