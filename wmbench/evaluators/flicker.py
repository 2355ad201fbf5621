"""``flicker``: temporal flickering as VBench defines it.

VBench (``temporal_flickering``) takes the mean absolute difference of consecutive frames,
averaged over pixels, channels and frame pairs (0-255 scale), and maps it to
``(255 - MAE) / 255``: 1 for a frozen video, lower for flicker. VBench applies it to static
scenes; under a moving camera the score also counts real motion, so compare models on the
same camera paths. Every consecutive pair is used (the definition does not subsample). This is
VBench's ``vbench/temporal_flickering.py`` (commit 45e79ec) exactly: its ``calculate_mae`` is
``np.mean(cv2.absdiff(...))`` over pixels and channels of each pair, ``cal_score`` maps the mean
over pairs to ``(255 - MAE) / 255``.
"""

from __future__ import annotations

import cv2
import numpy as np

from wmbench.core.types import Video
from wmbench.evaluators.base import (
    Accumulators,
    EvalInput,
    EvalResult,
    Evaluator,
    FrameAccumulator,
    MetricSpec,
    SharedKey,
    accumulate,
)
from wmbench.evaluators.vbench_dimensions import TEMPORAL_FLICKERING


def pair_mae(first: np.ndarray, second: np.ndarray) -> float:
    """Mean absolute difference (0-255) of two frames (H, W, 3) uint8, over pixels and channels."""
    return float(np.mean(cv2.mean(cv2.absdiff(first, second))[:3]))


class PairMae(FrameAccumulator[np.ndarray]):
    """:func:`pair_mae` of each consecutive pair, streamed: the state is the last frame seen."""

    def __init__(self) -> None:
        self.previous: np.ndarray | None = None
        self.values: list[float] = []

    def update(self, chunk: np.ndarray, start: int) -> None:
        for frame in chunk:
            if self.previous is not None:
                self.values.append(pair_mae(self.previous, frame))
            self.previous = frame

    def compute(self) -> np.ndarray:
        return np.array(self.values)


def consecutive_mae(frames: np.ndarray) -> np.ndarray:
    """Mean absolute difference (0-255) of each consecutive pair of ``frames`` (T, H, W, 3)
    uint8: an array of T - 1 values."""
    return accumulate(Video(frames, 1.0), {"mae": PairMae()})["mae"]


PAIR_MAE = SharedKey[np.ndarray]("flicker/pair_mae")


def vbench_flicker_score(pair_mae: np.ndarray) -> float:
    """VBench's mapping of the per-pair MAE to a score: ``(255 - mean MAE) / 255``; NaN for a
    single frame."""
    if len(pair_mae) == 0:
        return float("nan")
    return (255.0 - float(np.mean(pair_mae))) / 255.0


class Flicker(Evaluator):
    """VBench temporal flickering over all consecutive frame pairs."""

    name = "flicker"
    version = "1"

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                TEMPORAL_FLICKERING,
                True,
                "",
                "(255 - mean abs. difference of consecutive frames) / 255; 1 = no change",
            )
        ]

    def accumulators(self, inputs: EvalInput) -> Accumulators:
        return {PAIR_MAE: PairMae}

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        values = inputs.streamed(PAIR_MAE, PairMae)
        return EvalResult(
            metrics={TEMPORAL_FLICKERING: vbench_flicker_score(values)},
            series={"pair_mae_dn": values},
        )
