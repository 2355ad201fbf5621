"""Controlled defects for videos, at a stated severity, to prove that metrics notice them.

Each function takes frames (T, H, W, 3) uint8 and returns a degraded copy; severity 0 returns
the frames unchanged. Random defects take a seed and draw nested choices, so a higher severity
only adds to a lower one. The retiming defects (:func:`freeze`, :func:`slowdown`) only pick
which frame is shown, so they apply alike to any per-frame array (depth maps included).
"""

from __future__ import annotations

import cv2
import numpy as np

from wmbench.core.types import Trajectory


def _progress(num_frames: int) -> np.ndarray:
    """0 at the first frame, 1 at the last."""
    return np.linspace(0.0, 1.0, num_frames) if num_frames > 1 else np.zeros(1)


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def blur(frames: np.ndarray, sigma_px: float, ramp: bool = False) -> np.ndarray:
    """Gaussian blur of standard deviation ``sigma_px``; with ``ramp`` it grows linearly from 0
    at the first frame to ``sigma_px`` at the last (a long-horizon loss of detail)."""
    sigmas = sigma_px * (_progress(len(frames)) if ramp else np.ones(len(frames)))
    return np.stack(
        [
            cv2.GaussianBlur(f, (0, 0), s) if s > 0 else f
            for f, s in zip(frames, sigmas, strict=True)
        ]
    )


def noise(frames: np.ndarray, sigma_dn: float, seed: int = 0) -> np.ndarray:
    """Additive white Gaussian noise of ``sigma_dn`` (0-255 scale), new in every frame."""
    if sigma_dn == 0:
        return frames.copy()
    rng = np.random.default_rng(seed)
    return np.stack([_to_uint8(f + rng.normal(0.0, sigma_dn, f.shape)) for f in frames])


def flicker(frames: np.ndarray, amplitude: float, seed: int = 0) -> np.ndarray:
    """Global brightness flicker: frame t scaled by ``1 + amplitude * s_t``, s_t = +-1 at
    random."""
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=len(frames))
    return np.stack(
        [_to_uint8(f * (1.0 + amplitude * s)) for f, s in zip(frames, signs, strict=True)]
    )


def color_drift(frames: np.ndarray, strength: float) -> np.ndarray:
    """A warm tint growing over time: red gain ``1 + strength * p``, blue ``1 - strength * p``,
    with p from 0 (first frame) to 1 (last)."""
    out = []
    for frame, p in zip(frames, _progress(len(frames)), strict=True):
        gains = np.array([1.0 + strength * p, 1.0, 1.0 - strength * p])
        out.append(_to_uint8(frame * gains))
    return np.stack(out)


def freeze(frames: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """Stutter: a random ``fraction`` of the frames (never the first) repeat the last frame
    shown before them."""
    order = np.random.default_rng(seed).permutation(np.arange(1, len(frames)))
    frozen = set(order[: round(fraction * len(frames))].tolist())
    shown = np.zeros(len(frames), dtype=int)
    for t in range(1, len(frames)):
        shown[t] = shown[t - 1] if t in frozen else t
    return frames[shown]


def slowdown(frames: np.ndarray, strength: float) -> np.ndarray:
    """Motion dying out: playback speed falls linearly from 1 to ``1 - strength``; frame t
    shows the source frame nearest to the slowed time (the clip keeps its length)."""
    speed = 1.0 - strength * _progress(len(frames))
    source_time = np.concatenate([[0.0], np.cumsum(speed[:-1])])
    return frames[np.rint(source_time).astype(int)]


def morph(
    frames: np.ndarray,
    depth: np.ndarray,
    trajectory: Trajectory,
    strength: float,
    radius_fraction: float = 0.25,
) -> np.ndarray:
    """A region of the scene changing between visits: the world points within a ball around
    the surface seen at the centre of frame 0 (radius ``radius_fraction`` x its depth) take
    the colours of their channel permutation (RGB -> BRG), blended in by ``strength * p``,
    p from 0 (first frame) to 1 (last). The change is attached to the scene and gradual, so
    frame-to-frame metrics barely see it; a revisit sees all of it. ``depth`` (T, H, W) is
    z-depth in metres, ``trajectory`` the frames' cameras."""
    height, width = frames.shape[1:3]
    cameras = trajectory.resized(width, height)
    centre_depth = float(depth[0, height // 2, width // 2])
    centre = _world_points(depth[0], cameras.c2w[0], cameras.intrinsics[0])[height // 2, width // 2]
    radius = radius_fraction * centre_depth
    out = frames.copy()
    for t, p in enumerate(_progress(len(frames))):
        alpha = strength * p
        if alpha == 0:
            continue
        points = _world_points(depth[t], cameras.c2w[t], cameras.intrinsics[t])
        inside = np.linalg.norm(points - centre, axis=-1) <= radius
        region = frames[t][inside].astype(np.float64)
        out[t][inside] = _to_uint8((1 - alpha) * region + alpha * region[:, [2, 0, 1]])
    return out


def _world_points(depth: np.ndarray, c2w: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """World coordinates (H, W, 3) of every pixel of a z-depth map."""
    height, width = depth.shape
    u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    rays = np.stack([u, v, np.ones_like(u)], axis=-1) @ np.linalg.inv(intrinsics).T
    return (rays * depth[..., None]) @ c2w[:3, :3].T + c2w[:3, 3]
