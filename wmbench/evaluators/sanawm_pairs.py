"""The ``sanawm`` revisit protocol: SANA-WM-Bench's ``evaluation_pairs``, compared as its scripts
compare them (NVlabs/Sana ``tools/metrics/sana_wm/eval_unified.py``:
``eval_revisit_consistency``, ``_psnr``, ``_ssim_channel``, ``compute_lpips``,
``_remap_frame_index``; read from the public fork HaoyiZhu/NVlabs-Sana at 006a401).

A scene's pairs (``scene_trajectories_v2.json``, read into ``Case.evaluation_pairs``: frames
``frame_a``, ``frame_b`` and optionally a ``quality_score``) are frames at ``REFERENCE_FPS`` where
the path returns to a viewpoint. The scripts sort them by ``quality_score`` (999 when absent; lower
first), keep ``MAX_PAIRS``, map each frame to the video's rate through time when the rates differ,
drop pairs that become one frame, and compare the two generated frames whole, unwarped: PSNR of
uint8 pixels (100 dB when the mean squared error is under 1e-10), SSIM per RGB channel with an 11 x
11 uniform window (``scipy.ndimage.uniform_filter``, reflected borders, constants (0.01 * 255)^2
and (0.03 * 255)^2, the map's mean) averaged over channels, and LPIPS (AlexNet) on [-1, 1] images.
A scene's value is the mean over its pairs.

A frame past the video's end is clamped to the last frame (``min(frame, n_frames - 1)``, as
``_remap_frame_index``). Pairs index the video as written: the scripts read the raw mp4 for
revisits even for refined outputs (the pairs never name frame 0). The scripts' overall number
pools the pairs of all scenes into one mean (``all_psnr.extend(scene_psnr)``, then
``np.mean(all_psnr)``): :class:`PooledPairs` does that per model and split
(``revisit_*_pooled/sanawm``); the per-case values are each scene's mean.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.ndimage import uniform_filter

from wmbench.core.types import Case, FrameSequence
from wmbench.evaluators.base import MetricSpec, SetMetric, SetValue

MAX_PAIRS = 5
REFERENCE_FPS = 16.0
SSIM_WINDOW = 11
NO_QUALITY = 999.0


def evaluation_pairs(case: Case, video_fps: float, num_frames: int) -> np.ndarray:
    """The case's pairs (K, 2) as frames of a video of ``num_frames`` at ``video_fps``; (0, 2)
    when it has none (the reader checked them)."""
    pairs = sorted(  # stable, as Python's sorted in the scripts
        case.evaluation_pairs,
        key=lambda pair: NO_QUALITY if pair.quality_score is None else pair.quality_score,
    )
    kept = []
    for pair in pairs[:MAX_PAIRS]:
        frames = (pair.frame_a, pair.frame_b)
        a, b = (min(_video_frame(frame, video_fps), num_frames - 1) for frame in frames)
        if a != b:
            kept.append((a, b))
    return np.array(kept, dtype=int).reshape(-1, 2)


def _video_frame(frame: int, video_fps: float) -> int:
    """``_remap_frame_index`` before its clamp: the same frame when the rates agree within
    0.1 fps, else the frame at the same time."""
    if abs(video_fps - REFERENCE_FPS) < 0.1:
        return frame
    return max(round(frame / REFERENCE_FPS * video_fps), 0)


def psnr_uint8(first: np.ndarray, second: np.ndarray) -> float:
    """PSNR (dB) of two uint8 images; 100 when they (almost) agree, as the scripts cap it."""
    mse = np.mean((first.astype(np.float64) - second.astype(np.float64)) ** 2)
    return 100.0 if mse < 1e-10 else float(10 * np.log10(255.0**2 / mse))


def ssim_uniform(first: np.ndarray, second: np.ndarray) -> float:
    """SSIM of two uint8 RGB images (H, W, 3): per channel with an 11 x 11 uniform window, the
    mean over the map, then over the channels."""
    values = []
    for channel in range(3):
        x = first[..., channel].astype(np.float64)
        y = second[..., channel].astype(np.float64)
        mu_x, mu_y = uniform_filter(x, SSIM_WINDOW), uniform_filter(y, SSIM_WINDOW)
        var_x = uniform_filter(x * x, SSIM_WINDOW) - mu_x**2
        var_y = uniform_filter(y * y, SSIM_WINDOW) - mu_y**2
        cov = uniform_filter(x * y, SSIM_WINDOW) - mu_x * mu_y
        c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
        ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
            (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
        )
        values.append(float(ssim_map.mean()))
    return float(np.mean(values))


def pair_frames(video: FrameSequence, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two frames of every pair: (K, H, W, 3) each (one random-access read)."""
    frames = video.take(pairs.reshape(-1))
    return frames[0::2], frames[1::2]


class PooledPairs(SetMetric):
    """One mean over every pair of every scene of a model and split, as the scripts' overall
    ``np.mean(all_psnr)``: fed with each case's per-pair series ``series``."""

    def __init__(self, spec: MetricSpec, series: str) -> None:
        self.spec = spec
        self.series = series
        self._values: list[np.ndarray] = []

    def update(self, series: Mapping[str, np.ndarray]) -> None:
        if self.series in series:
            self._values.append(np.asarray(series[self.series], dtype=np.float64).ravel())

    def compute(self) -> SetValue:
        values = np.concatenate(self._values) if self._values else np.zeros(0)
        if not len(values):
            return SetValue(None, 0, False, "no revisit pairs")
        return SetValue(float(values.mean()), len(values), note=f"{len(values)} pairs")
