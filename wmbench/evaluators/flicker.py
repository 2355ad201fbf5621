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

from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.vbench_dimensions import TEMPORAL_FLICKERING


def consecutive_mae(frames: np.ndarray) -> np.ndarray:
    """Mean absolute difference (0-255) of each consecutive pair of ``frames`` (T, H, W, 3)
    uint8: an array of T - 1 values."""
    pairs = range(len(frames) - 1)
    return np.array([np.mean(cv2.mean(cv2.absdiff(frames[t], frames[t + 1]))[:3]) for t in pairs])


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

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        pair_mae = consecutive_mae(inputs.video.frames)
        return EvalResult(
            metrics={TEMPORAL_FLICKERING: vbench_flicker_score(pair_mae)},
            series={"pair_mae_dn": pair_mae},
        )
