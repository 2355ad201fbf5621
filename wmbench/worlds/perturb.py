"""Known, exact camera errors injected into a trajectory (to test camera metrics)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation

from wmbench.core.types import Trajectory

MODES = ("drift", "offset")


def error_fraction(num_frames: int, mode: str) -> np.ndarray:
    """The share f_i of the full error at each frame: ``drift`` grows linearly,
    f_i = i / (N - 1); ``offset`` is f_0 = 0 and f_i = 1 after."""
    if mode not in MODES:
        raise ValueError(f"unknown perturbation mode {mode!r}; expected one of {MODES}")
    if mode == "offset":
        return (np.arange(num_frames) > 0).astype(float)
    return np.arange(num_frames) / max(num_frames - 1, 1)


def perturb_trajectory(
    trajectory: Trajectory,
    rotation_drift_deg: float = 0.0,
    translation_drift_m: float = 0.0,
    axis: tuple[float, float, float] = (0.0, 1.0, 0.0),
    mode: str = "drift",
    direction: tuple[float, float, float] = (1.0, 0.0, 0.0),
) -> Trajectory:
    """``trajectory`` with an exact error. For frame i with share f_i (see
    :func:`error_fraction`), rotation R_i and camera centre t_i:

    * R'_i = R_i @ Rot(axis, f_i * rotation_drift_deg): a rotation about the unit ``axis``
      given in the CAMERA frame (default y: a yaw error), applied on the right. The geodesic
      angle between R_i and R'_i is exactly f_i * rotation_drift_deg, also between the
      poses re-expressed relative to frame 0 (frame 0 is unchanged).
    * t'_i = t_i + f_i * translation_drift_m * direction: a shift along the unit
      ``direction`` given in the WORLD frame, so ||t'_i - t_i|| = f_i * translation_drift_m
      (relative to frame 0 the shift is R_0^T of it, of the same length).

    So in ``drift`` mode the error is 0 at frame 0 and the stated value at the last frame;
    CamI2V's RotErr (sum over frames) then gains N / 2 * rotation_drift_deg in radians
    before any alignment. Intrinsics, image size and fps are unchanged."""
    fraction = error_fraction(len(trajectory), mode)
    axis_unit = np.asarray(axis, float) / np.linalg.norm(axis)
    direction_unit = np.asarray(direction, float) / np.linalg.norm(direction)
    rotation = Rotation.from_rotvec(
        np.outer(fraction * np.radians(rotation_drift_deg), axis_unit)
    ).as_matrix()
    c2w = trajectory.c2w.copy()
    c2w[:, :3, :3] = trajectory.c2w[:, :3, :3] @ rotation
    c2w[:, :3, 3] += np.outer(fraction * translation_drift_m, direction_unit)
    return replace(trajectory, c2w=c2w, source=f"{trajectory.source} (perturbed)")
