"""Compiling a camera path into GEN3C's camera presets (one preset for the whole video).

GEN3C's single-image entry point (nv-tlabs/GEN3C @ db2ffe1, cosmos_predict1/diffusion/inference/
gen3c_single_image.py with camera_utils.py generate_camera_trajectory) takes no path, only
``--trajectory`` (left right up down zoom_in zoom_out clockwise counterclockwise),
``--camera_rotation`` (center_facing no_rotation trajectory_aligned) and ``--movement_distance``,
with a look-at centre 1 unit ahead (center_depth=1.0). Its units are MoGe v1's: the depth map
it predicts for the image is affine-invariant, so a unit is scene-relative and no metric scale
reaches the model. wmbench reads the README's default motion (--movement_distance 0.3 over the
default 121 frames at 24 fps) as a 1 m/s walk: a metre is 0.06 units (``units_per_metre``). The
compiler ports those trajectories and picks the preset and distance (in those units) whose path
lies nearest the request by CamMC (mean Frobenius norm of the 3x4 camera-to-world difference,
SANA-WM-Bench's definition), and expresses the chosen preset back in metres.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.optimize import minimize_scalar

from wmbench.models.controls.geometry import relative_to_first
from wmbench.models.controls.record import Ignored, NativeControl, Scale

LINES = {"left": (0, -1), "right": (0, 1), "up": (1, -1), "down": (1, 1),
         "zoom_in": (2, 1), "zoom_out": (2, -1)}  # fmt: skip  # axis, sign (camera_utils.py)
SPIRALS = ("clockwise", "counterclockwise")
ROTATIONS = ("center_facing", "no_rotation", "trajectory_aligned")
CENTER_DEPTH = 1.0
GEN3C_UNITS_PER_METRE = 0.3 / (121 / 24.0)  # the default motion read as a 1 m/s walk
SOURCE = "nv-tlabs/GEN3C@db2ffe1 gen3c_single_image.py (MoGe v1 depth, center_depth=1.0)"


def gen3c_frames(minimum: int) -> int:
    """121, 241, 361, ... (N * 120 + 1) frames covering ``minimum``."""
    return 120 * max(1, math.ceil((minimum - 1) / 120)) + 1


def preset_path(trajectory: str, rotation: str, distance: float, frames: int) -> np.ndarray:
    """Camera-to-world poses (frames,4,4) relative to the first, as camera_utils.py builds the
    world-to-camera matrices (look_at_matrix keeps its translation as minus the position)."""
    look_at = np.array([0.0, 0.0, CENTER_DEPTH])
    steps = np.arange(frames, dtype=np.float64)
    positions = np.zeros((frames, 3))
    if trajectory in LINES:
        axis, sign = LINES[trajectory]
        positions[:, axis] = steps * distance * CENTER_DEPTH / frames * sign
    else:
        theta = 2 * math.pi * steps / (frames - 1)
        sign = 1 if trajectory == "clockwise" else -1
        positions[:, 0] = distance * (np.cos(theta) - 1) * sign * CENTER_DEPTH
        positions[:, 1] = distance * np.sin(theta) * CENTER_DEPTH
    targets = {"center_facing": look_at + 0 * positions, "no_rotation": look_at + positions,
               "trajectory_aligned": look_at + 2 * positions}[rotation]  # fmt: skip
    return relative_to_first(np.linalg.inv(_look_at(positions, targets)))


def _look_at(positions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """look_at_matrix per frame (N,4,4): rows right, up, forward; translation minus the
    position (tests/model_decoders.py holds the per-frame transcription it is checked against)."""
    forward = targets - positions
    forward /= np.linalg.norm(forward, axis=1, keepdims=True)
    right = np.cross([0.0, 1.0, 0.0], forward)
    right /= np.linalg.norm(right, axis=1, keepdims=True)
    matrix = np.tile(np.eye(4), (len(positions), 1, 1))
    matrix[:, :3, :3] = np.stack([right, np.cross(forward, right), forward], axis=1)
    matrix[:, :3, 3] = -positions
    return matrix


def cam_mc(a: np.ndarray, b: np.ndarray) -> float:
    """Mean Frobenius norm of the 3x4 difference of camera-to-world poses."""
    return float(np.linalg.norm((a - b)[:, :3, :], axis=(1, 2)).mean())


def gen3c(c2w: np.ndarray, units_per_metre: float = GEN3C_UNITS_PER_METRE) -> NativeControl:
    """The preset arguments for poses (N,4,4), N = 120 k + 1, nearest the request once its
    metres are written in GEN3C's units (``units_per_metre``)."""
    requested = relative_to_first(c2w)
    requested[:, :3, 3] *= units_per_metre
    reach = 2.0 * float(np.linalg.norm(requested[:, :3, 3], axis=1).max()) / CENTER_DEPTH + 1e-6
    best = None
    for trajectory, rotation in itertools.product([*LINES, *SPIRALS], ROTATIONS):
        fit = minimize_scalar(
            lambda d, t=trajectory, r=rotation: cam_mc(preset_path(t, r, d, len(c2w)), requested),
            bounds=(0.0, reach),
            method="bounded",
        )
        distance = float(f"{fit.x:.6g}")  # what the command line carries
        score = cam_mc(preset_path(trajectory, rotation, distance, len(c2w)), requested)
        if best is None or score < best[0]:
            best = (score, trajectory, rotation, distance)
    _, trajectory, rotation, distance = best
    expressed = preset_path(trajectory, rotation, distance, len(c2w))
    expressed[:, :3, 3] /= units_per_metre
    scale = Scale(
        units_per_metre,
        "MoGe v1 depth units (scene-relative); the README's default "
        "--movement_distance 0.3 over 121 frames at 24 fps read as a 1 m/s walk",
        assumed=True,
    )
    ignored = Ignored(
        "scale",
        "a metric path",
        "MoGe depth units: metres per unit depend on the depth it predicts for the image",
        SOURCE,
    )
    return NativeControl(
        files={},
        expressed=c2w[0] @ expressed,
        args=("--trajectory", trajectory, "--camera_rotation", rotation,
              "--movement_distance", repr(distance)),
        details={"trajectory": trajectory, "camera_rotation": rotation,
                 "movement_distance": distance, "cam_mc_units": best[0]},
        scale=scale,
        ignored=(ignored,),
    )  # fmt: skip
