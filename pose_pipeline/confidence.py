"""Per-frame confidence in [0, 1]: how well the reconstruction supports each frame's pose.

* A registered keyframe: its reprojection support (3D points it observes, against half the
  video's median; fewer means a weakly constrained pose) times its reprojection error
  (``1 / (1 + (err / REPROJ_SCALE_PX)^2)``, input-frame pixels).
* An interpolated frame: the lower confidence of its two keyframes, decaying with its distance
  in frames to the nearer one beyond half the stride (``exp(-(d - s / 2) / (s / 2))``): the
  usual gap of a keyframe every ``stride`` frames keeps it, a long bridge over frames SfM could
  not place loses it.
* A failed frame: 0.

A burst of wrong poses (keyframes SfM placed on few points, or a stretch it could not place and
interpolation bridged) therefore shows as a dip, not as silently scored poses."""

from __future__ import annotations

import numpy as np
import pycolmap

from pose_pipeline.features import frame_index
from pose_pipeline.result import FrameStatus

REPROJ_SCALE_PX = 1.0
LOW_CONFIDENCE = 0.5  # frames below it are counted in the summary


def keyframe_support(reconstruction: pycolmap.Reconstruction) -> dict[int, int]:
    """Frame index -> number of 3D points observed, for every registered image."""
    return {
        frame_index(reconstruction.image(i).name): reconstruction.image(i).num_points3D
        for i in reconstruction.reg_image_ids()
    }


def keyframe_confidence(support: np.ndarray, reproj_err_px: np.ndarray) -> np.ndarray:
    """Confidence of registered keyframes from their observed points and reprojection errors."""
    support = np.asarray(support, dtype=float)
    reference = 0.5 * np.median(support) if len(support) else 1.0
    by_support = np.minimum(1.0, support / max(reference, 1.0))
    error = np.nan_to_num(np.asarray(reproj_err_px, dtype=float), nan=np.inf)
    return by_support / (1.0 + (error / REPROJ_SCALE_PX) ** 2)


def frame_confidence(
    status: np.ndarray, reproj_err_px: np.ndarray, support: dict[int, int], stride: int
) -> np.ndarray:
    """Confidence (N,) of every frame from the statuses (N,) and errors (N,) of
    :func:`pose_pipeline.registration.register_all_frames` and :func:`keyframe_support`."""
    confidence = np.zeros(len(status))
    registered = np.flatnonzero(status == FrameStatus.REGISTERED)
    if not len(registered):
        return confidence
    counts = np.array([support.get(int(i), 0) for i in registered])
    confidence[registered] = keyframe_confidence(counts, reproj_err_px[registered])
    between = np.flatnonzero(status == FrameStatus.INTERPOLATED)
    after = np.searchsorted(
        registered, between
    )  # registered[after - 1] < frame < registered[after]
    before_frame, after_frame = registered[after - 1], registered[after]
    distance = np.minimum(between - before_frame, after_frame - between)
    neighbours = np.minimum(confidence[before_frame], confidence[after_frame])
    decay = np.exp(-np.maximum(0.0, distance - stride / 2) / (stride / 2))
    confidence[between] = neighbours * decay
    return confidence
