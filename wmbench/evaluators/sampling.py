"""Sampling helpers shared by the quality evaluators: which frames, at what size, what mean."""

from __future__ import annotations

import numpy as np

from wmbench.core.types import FrameSequence, Video


def all_frames(video: FrameSequence) -> np.ndarray:
    """Every frame (T, H, W, 3) in memory: for the learned evaluators that look at all of them
    at once (memory grows with the video; the weight-free ones stream instead)."""
    if isinstance(video, Video):
        return video.frames
    return np.concatenate(list(video.chunks()))


def sample_indices(num_frames: int, max_frames: int) -> np.ndarray:
    """At most ``max_frames`` evenly spaced frame indices, first and last included."""
    count = min(num_frames, max_frames)
    return np.unique(np.linspace(0, num_frames - 1, count).round().astype(int))


def short_side_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """(width, height) scaled so that the short side is ``short_side`` px (never upscaled)."""
    scale = min(1.0, short_side / min(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def finite_mean(values: np.ndarray) -> float:
    """Mean of the finite entries; NaN when there are none."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")
