"""Camera paths through a world's free space, in the families of SANA-WM-Bench.

* ``smooth``: ``figure_eight`` (a forward walk on gentle arcs), ``orbit`` (spiral out, then
  circle the middle looking outwards), ``pan`` (dolly back and forth while sweeping the view),
  ``stadium`` (out along a straight, U-turn, back).
* ``hard``: ``sharp_turns``, ``fast_yaw`` (the head swings while walking), ``vertical`` (crane
  up and down while tilting), ``zigzag``.
* ``loop``: whole laps of a circle, ending at exactly its first pose.
* ``return``: paths that cross or retrace themselves and end on their first pose
  (:mod:`wmbench.worlds.returning`).
* ``long_return``: laps out and back in exact reverse, returning to earlier viewpoints minutes
  later, for clips of minutes (:mod:`wmbench.worlds.long_returns`).

Frame and units: see :mod:`wmbench.worlds.primitives` (metres, y down). Every path starts at
the free space's centre at eye height, facing a yaw drawn from ``seed`` alone with pitch
:data:`START_PITCH_DEG`, so all families of one seed share their first pose. The camera never
rolls (its up vector stays in the vertical plane); yaw is about the world's vertical axis
(positive turns +z towards +x, i.e. right), pitch about the camera's x axis (positive looks
up). Walking speeds are 0.3 to 1.3 m/s; rotation stays below :data:`MAX_DEG_PER_SECOND`.
"""

from __future__ import annotations

import numpy as np

from wmbench.core.types import Trajectory
from wmbench.worlds.long_returns import LONG_RETURNS
from wmbench.worlds.primitives import yaw_matrix
from wmbench.worlds.returning import RETURNING
from wmbench.worlds.scene import World
from wmbench.worlds.walks import LocalPath, circle_curve, level, walk_curve, wrap

FAMILIES = {
    "smooth": ("figure_eight", "orbit", "pan", "stadium"),
    "hard": ("sharp_turns", "fast_yaw", "vertical", "zigzag"),
    "loop": ("circle",),
}
EYE_HEIGHT_M = 1.6
MAX_DEG_PER_SECOND = 90.0
RETURNING_FAMILIES = ("loop", "return", "long_return")  # end exactly on their first pose
FIT_SLACK_M = 0.05


def make_trajectory(
    world: World,
    family: str,
    num_frames: int = 961,
    fps: float = 16.0,
    seed: int = 0,
    width: int = 1280,
    height: int = 720,
    fov_deg: float = 70.0,
    variant: str | None = None,
) -> Trajectory:
    """A ``family`` path (variant drawn from ``seed`` unless given) of ``num_frames`` poses at
    ``fps`` inside ``world.free_space``, with a pinhole of horizontal field of view
    ``fov_deg`` for ``width`` x ``height`` images."""
    if family not in FAMILIES:
        raise ValueError(f"unknown trajectory family {family!r}; expected one of {list(FAMILIES)}")
    start_yaw = float(np.random.default_rng(seed).uniform(0.0, 360.0))
    rng = np.random.default_rng([seed, list(FAMILIES).index(family)])
    variant = variant or FAMILIES[family][int(rng.integers(len(FAMILIES[family])))]
    if variant not in FAMILIES[family]:
        raise ValueError(
            f"unknown {family} variant {variant!r}; expected one of {FAMILIES[family]}"
        )
    times = np.arange(num_frames) / fps
    reach = float(world.free_space.half_extent[[0, 2]].min()) - FIT_SLACK_M
    position, yaw, pitch = VARIANTS[variant](rng, times, reach)
    c2w = _place(world, position, yaw + start_yaw, pitch)
    if family in RETURNING_FAMILIES:
        c2w[-1] = c2w[0]
    focal = width / 2 / np.tan(np.radians(fov_deg) / 2)
    intrinsics = np.array(
        [[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2], [0, 0, 1]]
    )
    source = f"synthetic:{world.kind}/{family}/{variant}/seed{seed}"
    return Trajectory(c2w, intrinsics, (width, height), fps, source=source)


def _place(world: World, position: np.ndarray, yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Poses (N, 4, 4) of a local path (starting at the origin, heading yaw 0) turned by its
    start yaw, moved to the free space's centre at eye height, and shrunk about its start
    where needed to stay inside the free space."""
    free = world.free_space
    start = np.array([free.center[0], -EYE_HEIGHT_M, free.center[2]])
    start[1] = np.clip(start[1], free.lo[1] + FIT_SLACK_M, free.hi[1] - FIT_SLACK_M)
    offset = position @ yaw_matrix(yaw[0]).T
    room = np.minimum(free.hi - FIT_SLACK_M - start, start - free.lo - FIT_SLACK_M)
    extent = np.abs(offset).max(axis=0)
    horizontal = min(1.0, *(room[[0, 2]] / np.maximum(extent[[0, 2]], 1e-9)))
    vertical = min(1.0, room[1] / max(extent[1], 1e-9))
    offset *= np.array([horizontal, vertical, horizontal])
    c2w = np.repeat(np.eye(4)[None], len(position), axis=0)
    c2w[:, :3, :3] = [yaw_matrix(a) @ _pitch_matrix(b) for a, b in zip(yaw, pitch, strict=True)]
    c2w[:, :3, 3] = start + offset
    return c2w


def _pitch_matrix(pitch_deg: float) -> np.ndarray:
    """Rotation about the camera x axis; positive pitch turns the view up (towards -y)."""
    angle = np.radians(pitch_deg)
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


# --- walking along curves ------------------------------------------------------------------


def _figure_eight(radius: float, samples: int = 4000) -> np.ndarray:
    """Two circles touching at the origin, walked clockwise then anticlockwise, starting at
    the origin along +z (an 8 lying on its side, constant curvature ``1 / radius``)."""
    phase = np.linspace(0, 4 * np.pi, samples, endpoint=False)
    side = np.where(phase < 2 * np.pi, 1.0, -1.0)
    return np.stack([side * radius * (1 - np.cos(phase)), radius * np.sin(phase)], axis=1)


def _stadium(half_length: float, radius: float, samples: int = 4000) -> np.ndarray:
    """Out along +z from the origin, a right U-turn, back past it, a U-turn, and home."""
    length = 4 * half_length + 2 * np.pi * radius
    s = np.linspace(0, length, samples, endpoint=False)
    points = np.empty((samples, 2))
    legs = np.cumsum([half_length, np.pi * radius, 2 * half_length, np.pi * radius])
    for i, d in enumerate(s):
        if d < legs[0]:
            points[i] = (0.0, d)
        elif d < legs[1]:
            a = (d - legs[0]) / radius
            points[i] = (radius - radius * np.cos(a), half_length + radius * np.sin(a))
        elif d < legs[2]:
            points[i] = (2 * radius, half_length - (d - legs[1]))
        elif d < legs[3]:
            a = (d - legs[2]) / radius
            points[i] = (radius + radius * np.cos(a), -half_length - radius * np.sin(a))
        else:
            points[i] = (0.0, -half_length + (d - legs[3]))
    return points


# --- smooth --------------------------------------------------------------------------------


def figure_eight(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    speed = rng.uniform(0.5, 0.8)
    positions, yaw = walk_curve(_figure_eight(reach * 0.45), speed * times)
    wave = 3.0 * np.sin(2 * np.pi * times / rng.uniform(10, 16))
    return level(yaw, wave, positions)


def orbit(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    period, radius = rng.uniform(24, 34), reach * rng.uniform(0.7, 0.9)
    ramp = 2 * radius / 0.6  # leaves the centre at 0.6 m/s
    direction = rng.choice([-1.0, 1.0])
    angle = direction * 2 * np.pi * times / period
    fraction = np.minimum(times / ramp, 1.0)
    distance = radius * (1 - (1 - fraction) ** 2)
    positions = np.stack([distance * np.sin(angle), 0 * angle, distance * np.cos(angle)], 1)
    yaw = np.degrees(angle) + direction * rng.uniform(20, 70)
    wave = 4.0 * np.sin(2 * np.pi * times / rng.uniform(9, 14))
    return level(yaw, wave, positions)


def pan(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    dolly = min(1.0, 0.5 * reach) * np.sin(2 * np.pi * times / rng.uniform(10, 14))
    sway = 0.3 * np.sin(2 * np.pi * times / rng.uniform(15, 20))
    positions = np.stack([sway, 0 * times, dolly], axis=1)
    yaw = rng.uniform(60, 100) * np.sin(2 * np.pi * times / rng.uniform(20, 30))
    wave = 6.0 * np.sin(2 * np.pi * times / rng.uniform(8, 12))
    return level(yaw, wave, positions)


def stadium(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    radius = reach * rng.uniform(0.25, 0.3)
    curve = _stadium(reach * rng.uniform(0.45, 0.55), radius)
    positions, yaw = walk_curve(
        curve * [rng.choice([-1.0, 1.0]), 1.0], rng.uniform(0.5, 0.8) * times
    )
    wave = 3.0 * np.sin(2 * np.pi * times / rng.uniform(10, 16))
    return level(yaw, wave, positions)


# --- hard ----------------------------------------------------------------------------------


def _steer(
    rng: np.random.Generator,
    times: np.ndarray,
    reach: float,
    speed: float,
    turn_range: tuple[float, float],
    straight_range: tuple[float, float],
    alternate: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Headings of a walker who goes straight, then turns (raised-cosine rate, at most
    :data:`MAX_DEG_PER_SECOND`) towards a random target inside ``0.5 * reach`` (or, with
    ``alternate``, zig-zags about that direction), slowing to half speed in turns."""
    dt = times[1] - times[0] if len(times) > 1 else 1.0
    heading, speeds = np.zeros(len(times)), np.full(len(times), speed)
    position, side, i = np.zeros(2), 1.0, 0
    while i < len(times):
        straight = int(rng.uniform(*straight_range) / dt)
        heading[i : i + straight] = heading[i - 1] if i else 0.0
        position = position + straight * dt * speed * _unit(heading[i - 1] if i else 0.0)
        i += straight
        if i >= len(times):
            break
        current = heading[i - 1]
        target = rng.uniform(-0.5, 0.5, 2) * reach
        aim = np.degrees(np.arctan2(*(target - position)))
        if alternate:
            side = -side
            turn = _wrap_deg(aim + side * rng.uniform(*turn_range) - current)
        else:
            turn = _wrap_deg(aim - current)
            turn = np.sign(turn or 1.0) * np.clip(abs(turn), *turn_range)
        duration = max(2 * abs(turn) / MAX_DEG_PER_SECOND, 0.5)
        steps = max(int(np.ceil(duration / dt)), 1)
        fraction = np.arange(1, steps + 1) / steps
        profile = fraction - np.sin(2 * np.pi * fraction) / (2 * np.pi)
        heading[i : i + steps] = (current + turn * profile)[: len(times) - i]
        speeds[i : i + steps] = speed / 2
        for angle in heading[i : i + steps]:
            position = position + dt * speed / 2 * _unit(angle)
        i += steps
    step = (
        speeds[:, None]
        * dt
        * np.stack([np.sin(np.radians(heading)), np.cos(np.radians(heading))], 1)
    )
    walked = np.vstack([[0.0, 0.0], np.cumsum(step[:-1], axis=0)])
    positions = np.stack([walked[:, 0], np.zeros(len(times)), walked[:, 1]], axis=1)
    return positions, heading


def _unit(angle_deg: float) -> np.ndarray:
    return np.array([np.sin(np.radians(angle_deg)), np.cos(np.radians(angle_deg))])


def _wrap_deg(angle: float) -> float:
    return float(np.degrees(wrap(np.radians(angle))))


def sharp_turns(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    positions, yaw = _steer(rng, times, reach, rng.uniform(1.0, 1.3), (70, 150), (1.0, 2.5))
    return level(yaw, 0 * times, positions)


def zigzag(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    positions, yaw = _steer(
        rng, times, reach, rng.uniform(0.8, 1.1), (35, 50), (0.4, 0.9), alternate=True
    )
    return level(yaw, 0 * times, positions)


def fast_yaw(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    positions, heading = walk_curve(_figure_eight(reach * 0.45), rng.uniform(0.5, 0.7) * times)
    swing = rng.uniform(25, 30) * np.sin(2 * np.pi * rng.uniform(0.22, 0.28) * times)
    wave = 5.0 * np.sin(2 * np.pi * times / rng.uniform(4, 6))
    return level(heading + swing, wave, positions)


def vertical(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    radius, period = reach * 0.6, rng.uniform(6, 9)
    positions, heading = walk_curve(circle_curve(radius), rng.uniform(0.5, 0.7) * times)
    lift = np.sin(2 * np.pi * times / period)
    positions[:, 1] = 0.8 * lift
    return level(heading, 30.0 * lift, positions)


# --- loop ----------------------------------------------------------------------------------


def circle(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    """Whole laps of a circle through the start, sized so that the walk at the chosen speed
    ends exactly where it began, looking along the path with a sway of whole cycles."""
    duration = times[-1] if len(times) > 1 else 1.0
    walk = rng.uniform(0.5, 0.8) * duration
    laps = max(int(np.ceil(walk / (2 * np.pi * reach * 0.45))), 1)
    radius = walk / (2 * np.pi * laps)
    positions, yaw = walk_curve(
        circle_curve(radius) * [rng.choice([-1.0, 1.0]), 1.0], walk * times / duration
    )
    sway = 12.0 * np.sin(2 * np.pi * 2 * laps * times / duration)
    wave = 3.0 * np.sin(2 * np.pi * laps * times / duration)
    return level(yaw + sway, wave, positions)


VARIANTS = {
    "figure_eight": figure_eight,
    "orbit": orbit,
    "pan": pan,
    "stadium": stadium,
    "sharp_turns": sharp_turns,
    "fast_yaw": fast_yaw,
    "vertical": vertical,
    "zigzag": zigzag,
    "circle": circle,
}

FAMILIES["return"] = tuple(RETURNING)
FAMILIES["long_return"] = tuple(LONG_RETURNS)
VARIANTS.update(RETURNING)
VARIANTS.update(LONG_RETURNS)
