"""Walking along curves: the shared pieces of the camera-path families (a local path is
positions (N, 3), yaw and pitch (N,) in degrees, started at yaw 0; see
:mod:`wmbench.worlds.trajectories`)."""

from __future__ import annotations

import numpy as np

from wmbench.worlds.primitives import yaw_matrix

START_PITCH_DEG = -5.0
LocalPath = tuple[np.ndarray, np.ndarray, np.ndarray]  # positions (N, 3), yaw, pitch (N,) deg


def walk_curve(curve: np.ndarray, distance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (N, 3) and headings (N,) in degrees after walking ``distance`` metres along a
    densely sampled closed ``curve`` (M, 2) of (x, z) points, wrapping around."""
    closed = np.vstack([curve, curve[:1]])
    steps = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    along = np.mod(distance, arc[-1])
    x, z = np.interp(along, arc, closed[:, 0]), np.interp(along, arc, closed[:, 1])
    tangent = np.diff(closed, axis=0)
    heading = np.unwrap(np.arctan2(tangent[:, 0], tangent[:, 1]))
    middle = (arc[:-1] + arc[1:]) / 2
    laps = np.floor_divide(distance, arc[-1])
    turn_per_lap = heading[-1] - heading[0] + wrap(heading[0] - heading[-1])
    yaw = np.interp(along, middle, heading) + laps * turn_per_lap
    return np.stack([x, np.zeros_like(x), z], axis=1), np.degrees(yaw)


def wrap(angle: np.ndarray | float) -> np.ndarray | float:
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi


def level(yaw: np.ndarray, pitch_wave: np.ndarray, positions: np.ndarray) -> LocalPath:
    """Turn a local path so it starts heading yaw 0, and add the start pitch."""
    turn = yaw_matrix(-yaw[0])
    return positions @ turn.T, yaw - yaw[0], START_PITCH_DEG + pitch_wave


def circle_curve(radius: float, samples: int = 4000) -> np.ndarray:
    phase = np.linspace(0, 2 * np.pi, samples, endpoint=False)
    return np.stack([radius * (1 - np.cos(phase)), radius * np.sin(phase)], axis=1)
