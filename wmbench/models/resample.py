"""Bringing a model's own frames to the suite's size, as the harness asks for them."""

from __future__ import annotations

import numpy as np

from wmbench.core.types import fit_image


def fit_frames(frames: np.ndarray, width: int, height: int) -> tuple[np.ndarray, bool]:
    """Frames (T,H,W,3) scaled and centre-cropped to ``width`` x ``height`` like the
    conditioning image, and whether they had to be."""
    if frames.shape[1:3] == (height, width):
        return frames, False
    return np.stack([fit_image(frame, width, height) for frame in frames]), True
