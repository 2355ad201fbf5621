"""The annotator's sparse reconstruction as a typed record: 3D points and where the registered
keyframes observe them, in the frame and unit of the annotation's poses, for evaluators that
judge the scene's geometry (``persistence``, ``permanence``) without solving SfM again."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pycolmap

from pose_pipeline.features import frame_index


@dataclass(frozen=True)
class SparseModel:
    """``points`` (P, 3): 3D points in the annotation's world frame (the first posed frame's
    camera, metres when the annotation is metric). Observation m: video frame ``obs_frame[m]``
    (a registered keyframe) sees point ``obs_point[m]`` at ``obs_xy[m]`` (OpenCV pixels of the
    input frames: pixel centres at integers)."""

    points: np.ndarray
    obs_frame: np.ndarray
    obs_point: np.ndarray
    obs_xy: np.ndarray

    def observed_in(self, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """The observations of keyframe ``frame``: pixels (K, 2) and world points (K, 3)."""
        rows = self.obs_frame == frame
        return self.obs_xy[rows], self.points[self.obs_point[rows]]


def sparse_model(
    reconstruction: pycolmap.Reconstruction, pixel_scale: float, world_from_model: np.ndarray
) -> SparseModel:
    """The record of ``reconstruction`` (SIFT images ``pixel_scale`` times the input size):
    points moved by ``world_from_model`` (4, 4; the annotation's scale and re-anchoring, as
    applied to its poses)."""
    ids = np.array(sorted(reconstruction.points3D), dtype=np.int64)
    row = {int(point_id): i for i, point_id in enumerate(ids)}
    xyz = np.array([reconstruction.points3D[int(i)].xyz for i in ids]).reshape(-1, 3)
    points = xyz @ world_from_model[:3, :3].T + world_from_model[:3, 3]
    frames, point_rows, pixels = [], [], []
    for image_id in reconstruction.reg_image_ids():
        image = reconstruction.image(image_id)
        observations = image.get_observation_points2D()
        frames += [frame_index(image.name)] * len(observations)
        point_rows += [row[p.point3D_id] for p in observations]
        pixels += [p.xy for p in observations]
    obs_xy = np.array(pixels, dtype=np.float64).reshape(-1, 2) / pixel_scale - 0.5  # COLMAP +0.5
    return SparseModel(points, np.array(frames, dtype=int), np.array(point_rows, dtype=int), obs_xy)
