"""Pose helpers for the control compilers, all in wmbench's OpenCV camera-to-world convention
(x right, y down, z forward, metres).

Yaw is a turn about the camera-0 down axis (+y), positive to the right; pitch a tilt about the
camera's x axis, positive up; so a pose's rotation is ``Ry(yaw) @ Rx(pitch) @ Rz(roll)``.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation, Slerp


def relative_to_first(c2w: np.ndarray) -> np.ndarray:
    """Poses (N,4,4) re-expressed in the frame of pose 0: inv(c2w_0) @ c2w_i."""
    return np.linalg.inv(c2w[0]) @ c2w


def rotation_y(degrees: np.ndarray | float) -> np.ndarray:
    """Rotation(s) about +y (down): positive turns the camera's forward axis to the right."""
    a = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    c, s, zero, one = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([c, zero, s], -1), np.stack([zero, one, zero], -1),
                     np.stack([-s, zero, c], -1)], -2)  # fmt: skip


def rotation_x(degrees: np.ndarray | float) -> np.ndarray:
    """Rotation(s) about +x: positive tilts the forward axis up (towards -y)."""
    a = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    c, s, zero, one = np.cos(a), np.sin(a), np.zeros_like(a), np.ones_like(a)
    return np.stack([np.stack([one, zero, zero], -1), np.stack([zero, c, -s], -1),
                     np.stack([zero, s, c], -1)], -2)  # fmt: skip


def yaw_pitch_roll(rotations: np.ndarray) -> np.ndarray:
    """(N,3) yaw, pitch, roll in degrees with ``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)``; yaw is
    unwrapped along the sequence so a turn past 180 degrees keeps counting."""
    angles = Rotation.from_matrix(rotations).as_euler("YXZ", degrees=True)
    angles[:, 0] = np.rad2deg(np.unwrap(np.deg2rad(angles[:, 0])))
    return angles


def poses_from(yaw: np.ndarray, pitch: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Camera-to-world poses (N,4,4) with ``R = Ry(yaw) @ Rx(pitch)`` and the given centres."""
    poses = np.tile(np.eye(4), (len(yaw), 1, 1))
    poses[:, :3, :3] = rotation_y(yaw) @ rotation_x(pitch)
    poses[:, :3, 3] = positions
    return poses


def sample_poses(c2w: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Poses at fractional indices ``positions`` of ``c2w``: rotations by slerp, centres
    linearly; whole indices give the pose itself and indices past either end the end pose."""
    indices = np.arange(len(c2w), dtype=np.float64)
    clipped = np.clip(np.asarray(positions, dtype=np.float64), 0.0, indices[-1])
    out = np.tile(np.eye(4), (len(clipped), 1, 1))
    if len(c2w) == 1:
        out[:] = c2w[0]
        return out
    out[:, :3, :3] = Slerp(indices, Rotation.from_matrix(c2w[:, :3, :3]))(clipped).as_matrix()
    for axis in range(3):
        out[:, axis, 3] = np.interp(clipped, indices, c2w[:, axis, 3])
    whole = clipped == np.rint(clipped)  # at a given pose: that pose, bit for bit
    out[whole] = c2w[np.rint(clipped[whole]).astype(int)]
    return out


def geodesic_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pose angle (degrees) of the rotation between the rotation blocks of ``a`` and ``b``."""
    relative = np.einsum("nji,njk->nik", a[:, :3, :3], b[:, :3, :3])
    return np.rad2deg(Rotation.from_matrix(relative).magnitude())  # precise near 0, unlike acos
