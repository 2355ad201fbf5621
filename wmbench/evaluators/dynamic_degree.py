"""``dynamic_degree``: VBench's dynamic degree, RAFT flow and VBench's per-video decision.

VBench (Vchitect/VBench at 45e79ec, ``vbench/dynamic_degree.py``, the mp4 path):

* frames: every ``max(1, round(fps / 8))``-th frame from frame 0, at full resolution;
* each consecutive pair of them: RAFT's flow (:mod:`wmbench.evaluators.raft_flow`: 20
  iterations, frames padded to multiples of 8) and its score, the mean of the largest
  ``int(h * w * 0.05)`` flow magnitudes in px over the padded h x w image (``get_score``);
* ``thres = 6 * min(H, W) / 256`` px (H, W of the unpadded frames) and ``count_num =
  round(4 * n / 16)`` for n sampled frames, Python's rounding (``set_params``);
* the video is dynamic (1) when at least ``count_num`` pairs score above ``thres``, else 0
  (``check_move``; with ``count_num`` 0 any pair makes it dynamic). VBench's dimension score is
  the mean of this boolean over videos.

A video with fewer than two sampled frames gives NaN (VBench: False). The weight-free proxy on
DIS flow stays in ``flow_consistency`` as ``dynamic_degree/vbench_dis``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.raft_flow import WEIGHTS, pair_batch, raft_flow, raft_model
from wmbench.evaluators.sampling import all_frames
from wmbench.evaluators.vbench_dimensions import DYNAMIC_DEGREE

SAMPLE_FPS = 8.0
TOP_FRACTION = 0.05
THRESHOLD_PX_AT_256 = 6.0

FlowFn = Callable[[np.ndarray, np.ndarray], torch.Tensor]
"""(N, H, W, 3) uint8 first and second frames -> their flows (N, 2, h, w) in px."""


@dataclass(frozen=True)
class DynamicDegreeResult:
    """VBench's decision for one video: the sampled ``frame_index`` (n,), each pair's
    ``score_px`` (n - 1,), the threshold ``threshold_px``, the pair count ``count_num`` and the
    verdict ``dynamic`` (1.0, 0.0, or NaN for fewer than two sampled frames)."""

    frame_index: np.ndarray
    score_px: np.ndarray
    threshold_px: float
    count_num: int
    dynamic: float


def sampled_frames(num_frames: int, fps: float) -> np.ndarray:
    """VBench's frames: every ``max(1, round(fps / 8))``-th from frame 0."""
    return np.arange(0, num_frames, max(1, round(fps / SAMPLE_FPS)))


def top_flow_magnitude(flow: torch.Tensor) -> torch.Tensor:
    """Per pair, the mean of the largest ``int(h * w * 0.05)`` magnitudes of ``flow`` (N, 2, h,
    w): VBench's ``get_score``."""
    magnitude = flow.double().square().sum(dim=1).sqrt().flatten(1)
    count = int(magnitude.shape[1] * TOP_FRACTION)
    return magnitude.topk(count, dim=1).values.mean(dim=1)


def vbench_params(height: int, width: int, num_sampled: int) -> tuple[float, int]:
    """VBench's ``set_params``: (``thres`` px, ``count_num``)."""
    return THRESHOLD_PX_AT_256 * min(height, width) / 256.0, round(4 * (num_sampled / 16.0))


def vbench_dynamic_degree(
    frames: np.ndarray, fps: float, flow: FlowFn, batch: int = 1
) -> DynamicDegreeResult:
    """VBench's dynamic degree of ``frames`` (T, H, W, 3) uint8 at ``fps``, pairs' flow from
    ``flow``, ``batch`` pairs per call (1: VBench's own loop, the reference for batching)."""
    index = sampled_frames(len(frames), fps)
    threshold, count_num = vbench_params(frames.shape[1], frames.shape[2], len(index))
    pairs = len(index) - 1
    scores = []
    for start in range(0, pairs, batch):
        stop = min(start + batch, pairs)
        first, second = frames[index[start:stop]], frames[index[start + 1 : stop + 1]]
        scores.append(top_flow_magnitude(flow(first, second)))
    score = torch.cat(scores).cpu().numpy() if scores else np.zeros(0)
    dynamic = float(np.sum(score > threshold) >= count_num) if len(score) else float("nan")
    return DynamicDegreeResult(index, score, threshold, count_num, dynamic)


class DynamicDegree(Evaluator):
    """VBench dynamic degree with RAFT (torchvision ``raft_large``, VBench's raft-things)."""

    name = "dynamic_degree"
    version = "1"
    weight_entries = (WEIGHTS,)

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                DYNAMIC_DEGREE,
                True,
                "",
                "VBench dynamic degree: 1 when at least round(n / 4) of the n - 1 pairs of frames "
                f"about 1/{SAMPLE_FPS:g} s apart move more than 6 px per 256 px of short side "
                "(mean of the top 5 % RAFT flow magnitudes), else 0; VBench's score is its mean",
            )
        ]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        model = self.network("raft", raft_model)
        video = inputs.video
        result = vbench_dynamic_degree(
            all_frames(video), video.fps, lambda a, b: raft_flow(model, a, b), pair_batch()
        )
        return EvalResult(
            metrics={DYNAMIC_DEGREE: result.dynamic},
            series={
                "frame_index": result.frame_index[1:],
                "flow_top5_px": result.score_px,
            },
        )
