"""Compilers to the camera-pose conventions of pose-driven models (per-frame c2w + K files).

Both models take a pose per video frame but condition on one per latent frame (every 4th frame,
their VAE's temporal stride), so the path they express is the latent-rate poses interpolated
back to every frame; the files themselves decode to the request exactly.
"""

from __future__ import annotations

import io
import itertools
import json

import numpy as np

from wmbench.models.controls.geometry import sample_poses
from wmbench.models.controls.record import Ignored, NativeControl, Scale

LATENT_STRIDE = 4  # Wan / HunyuanVideo VAE temporal compression: latent i>=1 holds frames 4i-3..4i


def four_n_plus_one(minimum: int) -> int:
    """The smallest frame count 4n+1 >= ``minimum`` (Wan-style video lengths)."""
    return -(-(minimum - 1) // LATENT_STRIDE) * LATENT_STRIDE + 1


# LingBot-World (Robbyant/lingbot-world @ 6ca87d4, README "Inference", wan/image2video.py,
# wan/utils/cam_utils.py): --action_path DIR holding poses.npy (N,4,4) OpenCV camera-to-world and
# intrinsics.npy (N,4) [fx, fy, cx, cy] in pixels of 832x480 (image2video.py rescales from
# height_org=480, width_org=832 and uses frame 0's for every frame). It keeps (N-1)//4*4+1 poses,
# resamples them to one per latent, makes them latent-to-latent relative and divides the
# translations by their largest norm (compute_relative_poses(framewise=True)): the fastest latent
# step of every path becomes 1 unit, so the requested speed never reaches the model. wmbench
# takes that unit as a 1 m/s walk over one latent at 16 fps (0.25 m) and expresses the path the
# model is told: each latent step divided by the largest, times 0.25 m.
LINGBOT_INTRINSICS_SIZE = (832, 480)
LINGBOT_UNIT_M = 1.0 * LATENT_STRIDE / 16.0
LINGBOT_SOURCE = "Robbyant/lingbot-world@6ca87d4 wan/utils/cam_utils.py compute_relative_poses"


def lingbot_world(c2w: np.ndarray, intrinsics: np.ndarray) -> NativeControl:
    """``poses.npy`` / ``intrinsics.npy`` for poses (N,4,4) and intrinsics (N,3,3) in pixels of
    832x480. Written as float64 so the files decode to the request exactly."""
    files = {
        "poses.npy": _npy(np.asarray(c2w, dtype=np.float64)),
        "intrinsics.npy": _npy(intrinsics[:, [0, 1, 0, 1], [0, 1, 2, 2]].astype(np.float64)),
    }
    decoded_c2w, _ = read_lingbot_world(files)
    steps = latent_steps(decoded_c2w)
    largest = float(np.linalg.norm(steps[:, :3, 3], axis=1).max())
    if largest > 0:
        steps[:, :3, 3] *= LINGBOT_UNIT_M / largest
    latents = decoded_c2w[0] @ np.array(list(itertools.accumulate(steps, np.matmul)))
    ignored = Ignored("scale", f"largest latent step {largest:.4g} m",
                      f"1 unit, taken as {LINGBOT_UNIT_M:g} m", LINGBOT_SOURCE)  # fmt: skip
    return NativeControl(
        files=files,
        expressed=sample_poses(latents, np.arange(len(c2w)) / LATENT_STRIDE),
        details={"largest_latent_step_m": largest},
        scale=Scale(1 / LINGBOT_UNIT_M, "each path's largest latent step is 1 unit; taken as a "
                    "1 m/s walk over one latent at 16 fps", assumed=True),
        ignored=(ignored,) if largest > 0 else (),
    )  # fmt: skip


def latent_steps(c2w: np.ndarray) -> np.ndarray:
    """LingBot-World's latent poses (one per 4 frames of (N-1)//4*4+1) as latent-to-latent
    relative steps, the first the identity, before its translation normalisation."""
    latents = c2w[: (len(c2w) - 1) // LATENT_STRIDE * LATENT_STRIDE + 1 : LATENT_STRIDE]
    relative = np.linalg.inv(latents[0]) @ latents
    steps = np.tile(np.eye(4), (len(latents), 1, 1))
    steps[1:] = np.linalg.inv(relative[:-1]) @ relative[1:]
    return steps


def read_lingbot_world(files: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Poses (N,4,4) and intrinsics (N,3,3) back from LingBot-World's two files."""
    c2w = np.load(io.BytesIO(files["poses.npy"]))
    fx, fy, cx, cy = np.load(io.BytesIO(files["intrinsics.npy"])).T
    intrinsics = np.zeros((len(fx), 3, 3))
    intrinsics[:, 0, 0], intrinsics[:, 1, 1] = fx, fy
    intrinsics[:, 0, 2], intrinsics[:, 1, 2], intrinsics[:, 2, 2] = cx, cy, 1.0
    return c2w, intrinsics


# HY-WorldPlay (Tencent-Hunyuan/HY-WorldPlay @ da2d0c2, hyvideo/generate.py pose_to_input and
# hyvideo/generate_custom_trajectory.py): --pose FILE.json, {"0": {"extrinsic": 4x4 c2w, "K": 3x3},
# ...}, one entry per latent ((video_length-1)//4+1 of them; 4 divides that count for the
# autoregressive model), the first pose the identity. It reads the focal as fx / (2 cx), i.e. it
# assumes the principal point at the image centre, so K is written with cx = W/2, cy = H/2.
# Translations are in its own pose units: its pose strings (generate.py parse_pose_string) move
# 0.08 units per latent (4 frames at 24 fps) for "w"; wmbench reads that as a 1 m/s walk, so a
# metre is written as 0.48 units.
HY_UNITS_PER_METRE = 0.08 / (1.0 * LATENT_STRIDE / 24.0)
HY_SCALE = Scale(HY_UNITS_PER_METRE, "its pose strings' forward step (0.08 units per latent at "
                 "24 fps) read as a 1 m/s walk", assumed=True)  # fmt: skip


def hy_worldplay_frames(minimum: int) -> int:
    """The smallest video_length >= ``minimum`` the autoregressive model accepts: 4n+1 frames
    whose latent count n+1 is a multiple of 4."""
    latents = -(-((four_n_plus_one(minimum) - 1) // LATENT_STRIDE + 1) // 4) * 4
    return (latents - 1) * LATENT_STRIDE + 1


def hy_worldplay(c2w: np.ndarray, intrinsics: np.ndarray, size: tuple[int, int]) -> NativeControl:
    """The pose JSON for poses (N,4,4) with N = 4L-3 and intrinsics (N,3,3) in pixels of
    ``size`` = (width, height): entry i holds latent i's pose (frame 4i) relative to frame 0."""
    width, height = size
    frames = np.arange(0, len(c2w), LATENT_STRIDE)
    relative = np.linalg.inv(c2w[0]) @ c2w[frames]
    relative[:, :3, 3] *= HY_UNITS_PER_METRE
    entries = {}
    for latent, (frame, pose) in enumerate(zip(frames, relative, strict=True)):
        fx, fy = intrinsics[frame, 0, 0], intrinsics[frame, 1, 1]
        camera = [[fx, 0.0, width / 2], [0.0, fy, height / 2], [0.0, 0.0, 1.0]]
        entries[str(latent)] = {"extrinsic": pose.tolist(), "K": camera}
    files = {"pose.json": json.dumps(entries, indent=1).encode()}
    latent_poses = read_hy_worldplay(files)[0]
    latent_poses[:, :3, 3] /= HY_UNITS_PER_METRE
    offsets = intrinsics[:, :2, 2] - np.array([width / 2, height / 2])
    return NativeControl(
        files=files,
        expressed=sample_poses(c2w[0] @ latent_poses, np.arange(len(c2w)) / LATENT_STRIDE),
        details={"principal_point_offset_px_max": float(np.abs(offsets).max())},
        scale=HY_SCALE,
    )


def read_hy_worldplay(files: dict[str, bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Latent poses (L,4,4) relative to frame 0 and intrinsics (L,3,3) from the pose JSON."""
    entries = json.loads(files["pose.json"])
    keys = sorted(entries, key=int)
    return (
        np.array([entries[key]["extrinsic"] for key in keys], dtype=np.float64),
        np.array([entries[key]["K"] for key in keys], dtype=np.float64),
    )


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()
