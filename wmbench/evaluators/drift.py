"""``drift``: how colour, sharpness and motion change from the start of a video to its end.

Two windows are compared: the first and the last ``WINDOW_SECONDS`` of the video, or its first
and last third when it is shorter than three windows. Within them:

* colour: CIELAB mean of the window's frames (resized to the flow resolution and at most
  ``COLOR_FRAMES`` per window, evenly spaced; a mean allows it), compared as CIE76 Delta E;
* sharpness: mean variance of the Laplacian (the ``sharpness`` evaluator's frames);
* motion: mean optical-flow magnitude (the ``flow_consistency`` evaluator's flow).

Sharpness and motion are compared as a symmetric relative change, ``100 |b - a| / max(a, b)``
(0 = unchanged, 100 = vanished), so both a decay and a surge count.
"""

from __future__ import annotations

import cv2
import numpy as np

from wmbench.evaluators.base import (
    Accumulators,
    EvalInput,
    EvalResult,
    Evaluator,
    FrameAccumulator,
    MetricSpec,
    SharedKey,
)
from wmbench.evaluators.flow import FLOW_SHORT_SIDE, FLOW_STATS, FlowAccumulator, cached_flow_stats
from wmbench.evaluators.sampling import sample_indices, short_side_size
from wmbench.evaluators.sharpness import cached_sharpness, sharpness_accumulators

WINDOW_SECONDS = 10.0
COLOR_FRAMES = 32


def window_frames(num_frames: int, fps: float) -> int:
    """Frames per window: ``WINDOW_SECONDS`` of video, at most a third of it, at least one."""
    return max(1, min(round(WINDOW_SECONDS * fps), num_frames // 3))


def mean_lab(frames: np.ndarray) -> np.ndarray:
    """CIELAB mean (L*, a*, b*) of ``frames`` (N, H, W, 3) uint8 sRGB, at the flow resolution."""
    size = short_side_size(frames.shape[2], frames.shape[1], FLOW_SHORT_SIDE)
    total = np.zeros(3)
    for frame in frames:
        small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
        total += cv2.cvtColor(small, cv2.COLOR_RGB2Lab).reshape(-1, 3).mean(axis=0)
    return total / len(frames)


def relative_change_pct(first: float, last: float) -> float:
    """``100 |last - first| / max(first, last)`` for non-negative values; 0 when both are 0."""
    largest = max(first, last)
    return 0.0 if largest == 0 else 100.0 * abs(last - first) / largest


def color_shift_delta_e(frames: np.ndarray, window: int) -> float:
    """CIE76 Delta E between the mean colours of the first and last ``window`` frames."""
    first = sample_indices(window, COLOR_FRAMES)
    last = len(frames) - window + first
    return float(np.linalg.norm(mean_lab(frames[last]) - mean_lab(frames[first])))


class WindowColorShift(FrameAccumulator[float]):
    """:func:`color_shift_delta_e` streamed: the CIELAB sums of the sampled frames of the first
    and last ``window`` frames of a ``num_frames``-frame video, added as they pass."""

    def __init__(self, num_frames: int, window: int) -> None:
        self.first = sample_indices(window, COLOR_FRAMES)
        self.last = num_frames - window + self.first
        self.sums = {"first": np.zeros(3), "last": np.zeros(3)}

    def update(self, chunk: np.ndarray, start: int) -> None:
        for name, index in (("first", self.first), ("last", self.last)):
            for i in index[(index >= start) & (index < start + len(chunk))]:
                self.sums[name] += mean_lab(chunk[i - start][None])

    def compute(self) -> float:
        first, last = self.sums["first"] / len(self.first), self.sums["last"] / len(self.last)
        return float(np.linalg.norm(last - first))


COLOR_SHIFT = SharedKey[float]("drift/color_shift")


class Drift(Evaluator):
    """First-vs-last-window change of colour (Delta E), sharpness and motion (%)."""

    name = "drift"
    version = "1"

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                "color_shift_delta_e76",
                False,
                "Delta E",
                "CIE76 distance of the mean CIELAB colour, first vs last window",
            ),
            MetricSpec(
                "sharpness_change_pct",
                False,
                "%",
                "symmetric relative change of the Laplacian variance, first vs last window",
            ),
            MetricSpec(
                "motion_change_pct",
                False,
                "%",
                "symmetric relative change of the mean flow magnitude, first vs last window",
            ),
        ]

    def accumulators(self, inputs: EvalInput) -> Accumulators:
        count = len(inputs.video)
        window = window_frames(count, inputs.video.fps)
        return {
            COLOR_SHIFT: lambda: WindowColorShift(count, window),
            FLOW_STATS: FlowAccumulator,
            **sharpness_accumulators(inputs),
        }

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        count = len(inputs.video)
        window = window_frames(count, inputs.video.fps)
        sharpness = cached_sharpness(inputs)
        early = sharpness.frame_index < window
        late = sharpness.frame_index >= count - window
        motion = cached_flow_stats(inputs).motion_pct  # pair t joins frames t and t + 1
        pairs = np.arange(len(motion))
        return EvalResult(
            metrics={
                "color_shift_delta_e76": inputs.streamed(
                    COLOR_SHIFT, self.accumulators(inputs)[COLOR_SHIFT]
                ),
                "sharpness_change_pct": relative_change_pct(
                    float(sharpness.values[early].mean()), float(sharpness.values[late].mean())
                ),
                "motion_change_pct": relative_change_pct(
                    float(motion[pairs < window - 1].mean()),
                    float(motion[pairs >= count - window].mean()),
                )
                if window > 1
                else float("nan"),
            }
        )
