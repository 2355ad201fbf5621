"""``flow_consistency``: temporal consistency, smoothness and dynamics from classical optical flow.

Dense flow comes from OpenCV's DIS (medium preset) between every pair of consecutive frames, in
both directions, on frames resized (area averaging) to a short side of ``FLOW_SHORT_SIDE`` px.
It is computed once per case (:func:`cached_flow_stats`) and reduced at once to per-pair
summaries, which the ``drift`` evaluator shares. Flow magnitudes are expressed in % of the short
side per frame, so they do not depend on the video's resolution.

* warp error (Lai et al. 2018, "Learning Blind Video Temporal Consistency", with DIS flow in
  place of FlowNet2): frame t+1 warped back onto frame t by the forward flow, squared RGB error
  (colours in [0, 1], averaged over channels) over pixels that pass the forward-backward
  consistency check (Sundaram et al. 2010), averaged over pairs.
* motion jerk ratio (motion smoothness): at frame t the flows to t+1 and to t-1 cancel under
  constant velocity, so ``|F(t->t+1) + F(t->t-1)|`` is the acceleration at each pixel; the
  ratio of its mean to the mean flow magnitude is 0 for uniform motion and grows with stutter.
* dynamic degree (VBench protocol, DIS in place of RAFT): a pair moves when the mean of its top
  5 % flow magnitudes exceeds 6 px at a 256-px short side per VBench step (VBench keeps every
  ``round(fps / 8)``-th frame; our per-frame flow is multiplied by that step, which assumes
  steady motion within it); VBench calls a video dynamic when at least a quarter of its pairs
  move.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

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
from wmbench.evaluators.sampling import finite_mean, short_side_size

FLOW_SHORT_SIDE = 180
VBENCH_THRESHOLD_PCT = 100.0 * 6.0 / 256.0  # 6 px at a 256-px short side, per VBench step
VBENCH_FPS = 8.0
VBENCH_TOP_FRACTION = 0.05
VBENCH_MOVING_FRACTION = 0.25  # VBench: count_num = round(4 * frames / 16)
MIN_MOTION_PCT = 0.1  # below this mean motion, smoothness is not judged (NaN)
FLOW_WORKERS = 2  # threads computing the pairs of a chunk


@dataclass(frozen=True)
class FlowStats:
    """Per-pair summaries of the flow of a T-frame video.

    ``warp_error`` (T-1,): masked squared warp error of pair (t, t+1); ``motion_pct`` (T-1,):
    mean forward flow magnitude; ``motion_top5_pct`` (T-1,): mean of its top 5 %;
    ``acceleration_pct`` (T-2,): mean ``|F(t->t+1) + F(t->t-1)|`` at frames 1..T-2.
    Magnitudes in % of the short side per frame."""

    warp_error: np.ndarray
    motion_pct: np.ndarray
    motion_top5_pct: np.ndarray
    acceleration_pct: np.ndarray


def dis_flow(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Dense flow (H, W, 2) float32 in px from grey ``source`` to grey ``target`` (uint8):
    ``source(x) ~ target(x + flow(x))``."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(source, target, None)


def warp_back(image: np.ndarray, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``image`` sampled at ``x + flow(x)`` (bilinear) and the mask of samples inside it."""
    height, width = flow.shape[:2]
    map_x = flow[..., 0] + np.arange(width, dtype=np.float32)
    map_y = flow[..., 1] + np.arange(height, dtype=np.float32)[:, None]
    warped = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inside = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
    return warped, inside


def magnitude(flow: np.ndarray) -> np.ndarray:
    """Per-pixel length (H, W) of a flow field (H, W, 2)."""
    return cv2.magnitude(*cv2.split(flow))


def consistent_mask(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Pixels of the source frame whose forward flow lands inside the target and is undone by
    the backward flow there: ``|F + B'|^2 < 0.01 (|F|^2 + |B'|^2) + 0.5`` (Sundaram et al.)."""
    backward_at, inside = warp_back(backward, forward)
    mismatch = magnitude(forward + backward_at) ** 2
    bound = 0.01 * (magnitude(forward) ** 2 + magnitude(backward_at) ** 2) + 0.5
    return inside & (mismatch < bound)


def warp_error(
    source: np.ndarray, target: np.ndarray, forward: np.ndarray, mask: np.ndarray
) -> float:
    """Mean over ``mask`` of the squared RGB difference (colours in [0, 1], mean over channels)
    between ``source`` and ``target`` warped back by ``forward``; NaN for an empty mask."""
    if not mask.any():
        return float("nan")
    warped, _ = warp_back(target, forward)
    squared = np.square(cv2.absdiff(source, warped).astype(np.float32))
    return float(np.mean(cv2.mean(squared, mask=mask.astype(np.uint8))[:3])) / 255.0**2


def top_mean(values: np.ndarray, fraction: float) -> float:
    """Mean of the largest ``fraction`` of ``values`` (at least one)."""
    flat = values.ravel()
    count = max(1, int(flat.size * fraction))
    return float(np.mean(np.partition(flat, flat.size - count)[-count:]))


@dataclass(frozen=True)
class PairFlow:
    """One pair's summaries and the backward flow the next pair's acceleration needs."""

    warp_error: float
    motion_pct: float
    motion_top5_pct: float
    forward: np.ndarray
    backward: np.ndarray


def pair_flow(
    small: np.ndarray, grey: np.ndarray, next_small: np.ndarray, next_grey: np.ndarray,
    to_percent: float,
) -> PairFlow:  # fmt: skip
    """Flow both ways between two resized frames and the pair's summaries."""
    forward, backward = dis_flow(grey, next_grey), dis_flow(next_grey, grey)
    motion_map = magnitude(forward) * to_percent
    error = warp_error(small, next_small, forward, consistent_mask(forward, backward))
    top5 = top_mean(motion_map, VBENCH_TOP_FRACTION)
    return PairFlow(error, float(motion_map.mean()), top5, forward, backward)


class FlowAccumulator(FrameAccumulator[FlowStats]):
    """:class:`FlowStats` streamed: the state is the previous frame (resized, grey) and its
    backward flow, plus the per-pair summaries so far. The pairs of a chunk are independent,
    so ``workers`` threads compute them at once (OpenCV releases the GIL); ``workers=1`` is the
    plain sequential twin, with the same results."""

    def __init__(self, short_side: int = FLOW_SHORT_SIDE, workers: int = FLOW_WORKERS) -> None:
        self.short_side, self.workers = short_side, workers
        self.errors: list[float] = []
        self.motion: list[float] = []
        self.top5: list[float] = []
        self.acceleration: list[float] = []
        self._previous: tuple[np.ndarray, np.ndarray] | None = None  # (small, grey)
        self._previous_backward: np.ndarray | None = None
        self._size = (0, 0)

    def update(self, chunk: np.ndarray, start: int) -> None:
        if not len(chunk):
            return
        if self._previous is None:
            self._size = short_side_size(chunk.shape[2], chunk.shape[1], self.short_side)
        to_percent = 100.0 / min(self._size)
        resized = [self._previous] if self._previous is not None else []
        for frame in chunk:
            small = cv2.resize(frame, self._size, interpolation=cv2.INTER_AREA)
            resized.append((small, cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)))
        pairs = [(*a, *b, to_percent) for a, b in zip(resized, resized[1:], strict=False)]
        if self.workers > 1 and len(pairs) > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                flows = list(pool.map(lambda args: pair_flow(*args), pairs))
        else:
            flows = [pair_flow(*args) for args in pairs]
        for flow in flows:
            self.errors.append(flow.warp_error)
            self.motion.append(flow.motion_pct)
            self.top5.append(flow.motion_top5_pct)
            if self._previous_backward is not None:
                jerk = magnitude(flow.forward + self._previous_backward) * to_percent
                self.acceleration.append(float(jerk.mean()))
            self._previous_backward = flow.backward
        self._previous = resized[-1]

    def compute(self) -> FlowStats:
        return FlowStats(
            np.array(self.errors), np.array(self.motion), np.array(self.top5),
            np.array(self.acceleration),
        )  # fmt: skip


def flow_stats(frames: np.ndarray, short_side: int = FLOW_SHORT_SIDE) -> FlowStats:
    """:class:`FlowStats` of ``frames`` (T, H, W, 3) uint8 in memory, flow at ``short_side`` px."""
    return accumulate(Video(frames, 1.0), {"flow": FlowAccumulator(short_side)})["flow"]


FLOW_STATS = SharedKey[FlowStats](f"flow_stats/dis_short{FLOW_SHORT_SIDE}")


def cached_flow_stats(inputs: EvalInput) -> FlowStats:
    """The case's :class:`FlowStats`, computed once (in the harness's streamed pass) and shared
    by the evaluators."""
    return inputs.streamed(FLOW_STATS, FlowAccumulator)


def jerk_ratio(stats: FlowStats) -> float:
    """Mean flow acceleration over mean flow magnitude; NaN when the video barely moves."""
    if len(stats.acceleration_pct) == 0 or np.mean(stats.motion_pct) < MIN_MOTION_PCT:
        return float("nan")
    return float(np.mean(stats.acceleration_pct) / np.mean(stats.motion_pct))


def moving_pair_fraction(stats: FlowStats, fps: float) -> float:
    """Fraction of pairs whose top-5 % motion, times VBench's frame step, passes its threshold."""
    if len(stats.motion_top5_pct) == 0:
        return float("nan")
    per_vbench_step = stats.motion_top5_pct * max(1, round(fps / VBENCH_FPS))
    return float(np.mean(per_vbench_step > VBENCH_THRESHOLD_PCT))


class FlowConsistency(Evaluator):
    """Warp error, motion jerk ratio and dynamic degree from DIS optical flow (all pairs)."""

    name = "flow_consistency"
    version = "1"

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec(
                "warp_error/dis_mse",
                False,
                "",
                "squared RGB error ([0,1] colours) of each frame vs the next warped back by "
                f"DIS flow, non-occluded pixels, {FLOW_SHORT_SIDE}-px short side",
            ),
            MetricSpec(
                "motion_jerk_ratio",
                False,
                "",
                "motion smoothness: mean |flow acceleration| / mean |flow|; 0 = uniform motion "
                "(a weight-free proxy; VBench's AMT-S score is motion_smoothness/vbench)",
            ),
            MetricSpec(
                "dynamic_pair_fraction",
                True,
                "",
                "fraction of frame pairs moving by VBench's dynamic-degree threshold (DIS flow)",
            ),
            MetricSpec(
                "dynamic_degree/vbench_dis",
                True,
                "",
                "1 when at least a quarter of the pairs move (VBench's per-video decision); a "
                "weight-free proxy of dynamic_degree/vbench, DIS flow in place of RAFT",
            ),
        ]

    def accumulators(self, inputs: EvalInput) -> Accumulators:
        return {FLOW_STATS: FlowAccumulator}

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        stats = cached_flow_stats(inputs)
        moving = moving_pair_fraction(stats, inputs.video.fps)
        return EvalResult(
            metrics={
                "warp_error/dis_mse": finite_mean(stats.warp_error),
                "motion_jerk_ratio": jerk_ratio(stats),
                "dynamic_pair_fraction": moving,
                "dynamic_degree/vbench_dis": float(moving >= VBENCH_MOVING_FRACTION)
                if np.isfinite(moving)
                else float("nan"),
            },
            series={
                "warp_error": stats.warp_error,
                "motion_pct": stats.motion_pct,
                "acceleration_pct": stats.acceleration_pct,
            },
        )
