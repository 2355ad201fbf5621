"""Known camera paths for the control-compiler tests (OpenCV c2w, metres, per frame)."""

from __future__ import annotations

import numpy as np

from wmbench.models.controls.geometry import poses_from


def _path(yaw, pitch, positions):
    world = np.eye(4)
    world[:3, 3] = [1.0, -2.0, 0.5]  # an arbitrary world origin: compilers work relative
    return world @ poses_from(np.asarray(yaw, float), np.asarray(pitch, float), positions)


def yaw_turn(n, degrees=90.0):
    return _path(np.linspace(0, degrees, n), np.zeros(n), np.zeros((n, 3)))


def pitch_tilt(n, degrees=20.0):
    return _path(np.zeros(n), np.linspace(0, degrees, n), np.zeros((n, 3)))


def dolly(n, metres=3.0):
    positions = np.zeros((n, 3))
    positions[:, 2] = np.linspace(0, metres, n)
    return _path(np.zeros(n), np.zeros(n), positions)


def strafe(n, metres=-1.5):
    positions = np.zeros((n, 3))
    positions[:, 0] = np.linspace(0, metres, n)
    return _path(np.zeros(n), np.zeros(n), positions)


def circle(n, radius=2.0):
    """Walk forward while turning right: one full circle."""
    theta = np.linspace(0, 360, n)
    rad = np.deg2rad(theta)
    positions = np.stack([radius * (1 - np.cos(rad)), np.zeros(n), radius * np.sin(rad)], 1)
    return _path(theta, np.zeros(n), positions)


def out_and_back(n, metres=2.0):
    positions = np.zeros((n, 3))
    positions[:, 2] = metres * (1 - np.abs(np.linspace(-1, 1, n)))
    return _path(np.zeros(n), np.zeros(n), positions)


def yaw_wiggle(n, degrees=3.0):
    return _path(degrees * (np.arange(n) % 2), np.zeros(n), np.zeros((n, 3)))


FAMILIES = {f.__name__: f for f in (yaw_turn, pitch_tilt, dolly, strafe, circle, out_and_back,
                                     yaw_wiggle)}  # fmt: skip


def intrinsics_for(n, size):
    width, height = size
    k = np.array([[0.9 * width, 0, width / 2 - 0.5], [0, 0.9 * width, height / 2 - 0.5], [0, 0, 1]])
    return np.tile(k, (n, 1, 1))


# The decoding tests' cases, per frame at ``fps`` (the issue's walk-then-turn: 3 s forward at
# 1 m/s, then a 90 degree turn to the left in 2 s).
def walk_then_turn(fps=16.0):
    walk, turn = round(3 * fps), round(2 * fps)
    forward = np.concatenate([np.arange(walk + 1) / fps, np.full(turn, walk / fps)])
    yaw = np.concatenate([np.zeros(walk + 1), np.linspace(0, -90, turn + 1)[1:]])
    positions = np.stack([np.zeros_like(forward), np.zeros_like(forward), forward], 1)
    return _path(yaw, np.zeros_like(yaw), positions)


def pitch_up(fps=16.0, degrees=20.0, seconds=3.0):
    n = round(seconds * fps) + 1
    return _path(np.zeros(n), np.linspace(0, degrees, n), np.zeros((n, 3)))


def slow_walk(fps=16.0, speed=0.5, seconds=4.0):
    n = round(seconds * fps) + 1
    positions = np.zeros((n, 3))
    positions[:, 2] = np.arange(n) * speed / fps
    return _path(np.zeros(n), np.zeros(n), positions)


def decoding_cases(fps=16.0):
    """The four paths every compiler's decoding test runs."""
    return {
        "walk_then_turn": walk_then_turn(fps),
        "pitch_up": pitch_up(fps),
        "slow_walk": slow_walk(fps),
        "circle": circle(round(5 * fps) + 1, radius=1.0),
    }
