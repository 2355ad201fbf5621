"""``sharpness``: an imaging-quality proxy, the variance of the Laplacian.

The grey frame (OpenCV's BT.601 luma, 0-255) is filtered with the 3x3 Laplacian at full
resolution (downscaling would hide blur) and the variance of the response is taken: it falls
as blur grows. Noise raises it too, so it reads as sharpness only beside a noise-sensitive
metric. The per-video value is the mean over frames; since a mean allows it, at most
``MAX_FRAMES`` evenly spaced frames are measured (the ``drift`` evaluator shares them).
"""

from __future__ import annotations

from dataclasses import dataclass

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
from wmbench.evaluators.sampling import sample_indices

MAX_FRAMES = 240


@dataclass(frozen=True)
class SharpnessSeries:
    """Variance of the Laplacian ``values`` (DN^2) at ``frame_index``."""

    frame_index: np.ndarray
    values: np.ndarray


def laplacian_variance(frame: np.ndarray) -> float:
    """Variance of the 3x3 Laplacian of the grey version of ``frame`` (H, W, 3) uint8."""
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    _, std = cv2.meanStdDev(cv2.Laplacian(grey, cv2.CV_32F))
    return float(std[0, 0] ** 2)


class SampledLaplacian(FrameAccumulator[SharpnessSeries]):
    """:func:`laplacian_variance` of at most ``max_frames`` evenly spaced frames of a
    ``num_frames``-frame video, streamed (the sampled frames are measured as they pass)."""

    def __init__(self, num_frames: int, max_frames: int = MAX_FRAMES) -> None:
        self.index = sample_indices(num_frames, max_frames)
        self.values = np.full(len(self.index), np.nan)

    def update(self, chunk: np.ndarray, start: int) -> None:
        inside = np.flatnonzero((self.index >= start) & (self.index < start + len(chunk)))
        for k in inside:
            self.values[k] = laplacian_variance(chunk[self.index[k] - start])

    def compute(self) -> SharpnessSeries:
        return SharpnessSeries(self.index, self.values)


def sharpness_series(frames: np.ndarray, max_frames: int = MAX_FRAMES) -> SharpnessSeries:
    """:func:`laplacian_variance` of at most ``max_frames`` evenly spaced ``frames``."""
    index = sample_indices(len(frames), max_frames)
    return SharpnessSeries(index, np.array([laplacian_variance(frames[i]) for i in index]))


SHARPNESS = SharedKey[SharpnessSeries](f"sharpness/max{MAX_FRAMES}")


def sharpness_accumulators(inputs: EvalInput) -> Accumulators:
    """The streamed :class:`SharpnessSeries` of the case (shared with ``drift``)."""
    return {SHARPNESS: lambda: SampledLaplacian(len(inputs.video))}


def cached_sharpness(inputs: EvalInput) -> SharpnessSeries:
    """The case's :class:`SharpnessSeries`, computed once and shared."""
    return inputs.streamed(SHARPNESS, sharpness_accumulators(inputs)[SHARPNESS])


class Sharpness(Evaluator):
    """Mean variance of the Laplacian over (up to ``MAX_FRAMES`` evenly spaced) frames."""

    name = "sharpness"
    version = "1"

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                "laplacian_variance",
                True,
                "DN^2",
                "variance of the 3x3 Laplacian of the grey frame at full resolution",
            )
        ]

    def accumulators(self, inputs: EvalInput) -> Accumulators:
        return sharpness_accumulators(inputs)

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        series = cached_sharpness(inputs)
        return EvalResult(
            metrics={"laplacian_variance": float(series.values.mean())},
            series={"frame_index": series.frame_index, "laplacian_variance": series.values},
        )
