"""The ``return`` family: paths that come back to places they have already seen, the cases a
revisit (persistence) benchmark and a loop-closing pose annotator must get right. Every one ends
exactly on its first pose (whole laps sized to the clip's duration, or a time-reversed walk).

* ``crossing_eight``: a figure-eight (lemniscate of Gerono) that crosses itself at the start,
  the two passes 90 deg apart in heading, looking along the path.
* ``out_and_back``: out along a gentle arc while the view pans, then the same walk in reverse
  (the camera faces the way it faced going out): every viewpoint is seen twice.
* ``orbit_return``: whole laps of a circle looking at its centre (an object-centric orbit).
* ``turned_revisit``: the shuttle of ``out_and_back`` (an even number of trips) while the view
  turns 45-60 deg aside and back over the clip: every place is revisited with another heading
  (halfway through, the start place with the full turn).
* ``pendulum``: swings back and forth along an arc while looking at the arc's centre, speeding
  up and slowing to rest at each end: each viewpoint is revisited from both directions of
  travel, and the motion reverses (keyframe selection and interpolation must follow it).

Conventions and helpers are those of :mod:`wmbench.worlds.trajectories` (which imports this
module at its end to register the family)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from wmbench.worlds.walks import LocalPath, circle_curve, level, walk_curve

MAX_SCALE = 0.45  # of the free-space reach: the largest loop a lap may take


def _lemniscate(size: float, samples: int = 4000) -> np.ndarray:
    """Bernoulli's figure-eight of half-width ``size`` through the origin, (x, z) =
    size * (sin p cos p, sin p) / (1 + cos^2 p): it leaves heading 45 deg and comes back
    through the origin heading 135 deg."""
    phase = np.linspace(0, 2 * np.pi, samples, endpoint=False)
    shape = np.stack([np.sin(phase) * np.cos(phase), np.sin(phase)], axis=1)
    return size * shape / (1 + np.cos(phase)[:, None] ** 2)


def _paced(curve: np.ndarray, progress: np.ndarray) -> np.ndarray:
    """Distance along the closed ``curve`` after ``progress`` laps, walked slower where it
    bends: the time per step grows with curvature + twice its mean, so the turn rate peaks at
    about 1.3x its mean instead of 1.7x (Bernoulli's lemniscate at constant speed)."""
    steps = np.diff(np.vstack([curve, curve[:2]]), axis=0)
    lengths = np.linalg.norm(steps, axis=1)
    heading = np.unwrap(np.arctan2(steps[:, 0], steps[:, 1]))
    bend = np.abs(np.diff(heading)) / lengths[:-1]
    lengths = lengths[:-1]
    cost = lengths * (bend + 2 * (bend * lengths).sum() / lengths.sum())
    lap_time = np.concatenate([[0.0], np.cumsum(cost)]) / cost.sum()
    lap_arc = np.concatenate([[0.0], np.cumsum(lengths)])
    whole = np.floor(progress)
    return whole * lap_arc[-1] + np.interp(progress - whole, lap_time, lap_arc)


def _length(curve: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(np.vstack([curve, curve[:1]]), axis=0), axis=1).sum())


def _laps(
    curve_of: Callable[[float], np.ndarray],
    rng: np.random.Generator,
    times: np.ndarray,
    reach: float,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Positions and headings of a walk of whole laps of ``curve_of(size)`` ending where it
    began; the walking speed is drawn, the size chosen to fit a whole number of laps no larger
    than ``MAX_SCALE * reach``. Also returns the number of laps."""
    duration = times[-1] if len(times) > 1 else 1.0
    walk = rng.uniform(0.5, 0.8) * duration
    unit = _length(curve_of(1.0))
    laps = max(int(np.ceil(walk / (unit * MAX_SCALE * reach))), 1)
    positions, heading = walk_curve(curve_of(walk / (laps * unit)), walk * times / duration)
    return positions, heading, laps


def crossing_eight(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    side = rng.choice([-1.0, 1.0])
    duration = max(times[-1], 1e-9)
    walk = rng.uniform(0.5, 0.8) * duration
    unit = _length(_lemniscate(1.0))
    laps = max(int(np.ceil(walk / (unit * 2 * MAX_SCALE * reach))), 1)
    curve = _lemniscate(walk / (laps * unit)) * [side, 1.0]
    positions, heading = walk_curve(curve, _paced(curve, laps * times / duration))
    wave = 3.0 * np.sin(2 * np.pi * laps * times / duration)
    return level(heading, wave, positions)


def _shuttle(
    rng: np.random.Generator, times: np.ndarray, reach: float, even: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trips out along a gentle arc and back on the same arc (progress 0 -> 1 -> 0 per trip,
    resting at both ends: a walk and its exact reverse), about 10-14 s per trip (an even
    number of them when ``even``). Positions, the arc's heading (deg) and the progress."""
    duration = max(times[-1], 1e-9)
    trips = max(int(round(duration / rng.uniform(10, 14))), 1)
    if even:
        trips = max(2, trips + trips % 2)
    progress = (1 - np.cos(2 * np.pi * trips * times / duration)) / 2
    length = min(0.9 * reach, rng.uniform(0.25, 0.35) * duration / trips)
    bend = np.radians(rng.uniform(20, 40) * rng.choice([-1.0, 1.0]))  # heading change out
    angle = bend * progress
    radius = length / bend
    positions = np.stack([radius * (1 - np.cos(angle)), 0 * angle, radius * np.sin(angle)], 1)
    return positions, np.degrees(angle), progress


def out_and_back(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    positions, heading, progress = _shuttle(rng, times, reach)
    pan = rng.uniform(20, 40) * np.sin(np.pi * progress) * rng.choice([-1.0, 1.0])
    return level(heading + pan, 4.0 * np.sin(np.pi * progress), positions)


def orbit_return(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    side = rng.choice([-1.0, 1.0])
    positions, heading, laps = _laps(lambda s: circle_curve(s) * [side, 1.0], rng, times, reach)
    wave = 3.0 * np.sin(2 * np.pi * laps * times / max(times[-1], 1e-9))
    return level(heading + side * 90.0, wave, positions)  # the circle's centre is to the side


def turned_revisit(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    positions, heading, progress = _shuttle(rng, times, reach, even=True)
    duration = max(times[-1], 1e-9)
    turn = rng.choice([-1.0, 1.0]) * rng.uniform(45, 60) * np.sin(np.pi * times / duration) ** 2
    return level(heading + turn, 4.0 * np.sin(np.pi * progress), positions)


def pendulum(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    duration = max(times[-1], 1e-9)
    swings = max(int(round(duration / rng.uniform(8, 12))), 1)  # there and back, each
    radius = reach * rng.uniform(0.6, 0.8)
    span = np.radians(rng.uniform(50, 70))
    angle = span * (1 - np.cos(2 * np.pi * swings * times / duration)) / 2
    side = rng.choice([-1.0, 1.0])
    # On a circle through the origin whose centre is at (side * radius, 0), heading +z at 0.
    x, z = side * radius * (1 - np.cos(angle)), radius * np.sin(angle)
    positions = np.stack([x, 0 * x, z], axis=1)
    yaw = side * (np.degrees(angle) + 90.0)  # looking at the centre
    wave = 4.0 * np.sin(2 * np.pi * swings * times / duration)
    return level(yaw, wave, positions)


RETURNING = {
    "crossing_eight": crossing_eight,
    "out_and_back": out_and_back,
    "orbit_return": orbit_return,
    "turned_revisit": turned_revisit,
    "pendulum": pendulum,
}
