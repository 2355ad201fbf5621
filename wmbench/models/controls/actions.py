"""Compiling a camera path into keyboard / mouse actions, and integrating actions back to poses.

Axes, per frame: yaw (degrees, + right), pitch (degrees, + up), forward and right (metres in
the heading frame, the camera's yaw without its pitch). Actions move on these axes only; roll
and vertical motion are what WASD-and-mouse controls cannot say, and they show in the error.

The kinematics are Matrix-Game 3.0's (SkyworkAI/Matrix-Game @ 20e033e, Matrix-Game-3/utils/
utils.py compute_next_pose_from_action): yaw and pitch add up, and each frame's step is taken
along the heading at the mean of its start and end yaw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wmbench.models.controls.geometry import (
    poses_from,
    relative_to_first,
    rotation_y,
    yaw_pitch_roll,
)

YAW, PITCH, FORWARD, RIGHT = range(4)


@dataclass(frozen=True)
class Alphabet:
    """A set of actions a model accepts for some axes: ``names`` and their per-frame effects
    (n, len(axes)) on ``axes`` (indices into YAW, PITCH, FORWARD, RIGHT)."""

    names: tuple[str, ...]
    effects: np.ndarray
    axes: tuple[int, ...]


def ternary(names: dict[tuple[int, int], str], axes: tuple[int, int], steps: tuple[float, float]):
    """An alphabet of independent keys: ``names[(a, b)]`` moves ``a * steps[0]`` on the first
    axis and ``b * steps[1]`` on the second, a and b in {-1, 0, 1}."""
    keys = tuple(names)
    effects = np.array([[a * steps[0], b * steps[1]] for a, b in keys], dtype=np.float64)
    return Alphabet(tuple(names[key] for key in keys), effects, axes)


@dataclass(frozen=True)
class PathState:
    """A path as the action axes see it: per-frame yaw, pitch, roll (degrees), the heading-frame
    increments (N-1, 4) on the action axes, and the vertical motion (N-1,) actions cannot make."""

    angles: np.ndarray
    increments: np.ndarray
    vertical: np.ndarray

    @classmethod
    def of(cls, c2w: np.ndarray) -> PathState:
        relative = relative_to_first(c2w)
        angles = yaw_pitch_roll(relative[:, :3, :3])
        steps = np.diff(relative[:, :3, 3], axis=0)
        heading = rotation_y((angles[:-1, 0] + angles[1:, 0]) / 2)
        local = np.einsum("nji,nj->ni", heading, steps)  # (right, down, forward)
        increments = np.stack(
            [np.diff(angles[:, 0]), np.diff(angles[:, 1]), local[:, 2], local[:, 0]], axis=1
        )
        return cls(angles=angles, increments=increments, vertical=local[:, 1])


def integrate(increments: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Poses (N,4,4) in ``origin``'s world from per-frame increments (N-1, 4), starting at
    ``origin`` (4,4): the Matrix-Game kinematics in wmbench axes."""
    yaw = np.concatenate([[0.0], np.cumsum(increments[:, YAW])])
    pitch = np.concatenate([[0.0], np.cumsum(increments[:, PITCH])])
    heading = rotation_y((yaw[:-1] + yaw[1:]) / 2)
    local = np.stack(
        [increments[:, RIGHT], np.zeros(len(increments)), increments[:, FORWARD]], axis=1
    )
    positions = np.concatenate([np.zeros((1, 3)), np.cumsum(heading @ local[..., None], 0)[..., 0]])
    return origin @ poses_from(yaw, pitch, positions)


def period_targets(increments: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per-period sums (K, 4) of per-frame increments, periods of ``lengths`` frames each."""
    edges = np.concatenate([[0], np.cumsum(lengths)])
    spans = zip(edges[:-1], edges[1:], strict=True)
    return np.stack([increments[a:b].sum(axis=0) for a, b in spans])


def quantise(targets: np.ndarray, lengths: np.ndarray, alphabet: Alphabet) -> np.ndarray:
    """Error-feedback quantisation: for each period (``targets`` (K, 4), ``lengths`` frames)
    the action whose effect over the period lands nearest the requested motion plus what
    earlier periods left undone, in units of each axis's largest step. Returns indices (K,)."""
    columns = list(alphabet.axes)
    scale = np.abs(alphabet.effects).max(axis=0)
    scale[scale == 0] = 1.0
    residual = np.zeros(len(columns))
    choices = np.empty(len(targets), dtype=int)
    for period, (target, length) in enumerate(zip(targets[:, columns], lengths, strict=True)):
        residual = residual + target
        cost = (((residual - length * alphabet.effects) / (length * scale)) ** 2).sum(axis=1)
        choices[period] = int(np.argmin(cost))
        residual = residual - length * alphabet.effects[choices[period]]
    return choices


def apply(choices: np.ndarray, lengths: np.ndarray, alphabet: Alphabet, out: np.ndarray) -> None:
    """Write the per-frame effects of the chosen actions into ``out`` (N-1, 4)."""
    frames = np.repeat(choices, lengths)
    out[:, list(alphabet.axes)] = alphabet.effects[frames]
