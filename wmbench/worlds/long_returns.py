"""The ``long_return`` family: minute-scale paths that leave a place and come back to the same
viewpoint minutes later, the cases that show drift and persistence over a ten-minute clip.

A trip walks laps of a circle through the start while the view turns steadily against the
walking direction (:data:`VIEW_TURN_PER_LAP_DEG` more each lap, so a place passed again one lap
later is seen from another heading), then walks the same route back in exact reverse, facing the
way it faced going out, slowing to rest at the far end and at home. The pose at time ``t`` of a
trip is the pose at ``trip - t``: every viewpoint of the way out is seen again on the way back,
the start at the end of the trip.

* ``away_and_back``: one trip over the whole clip: the first minute's viewpoints come back after
  eight to ten minutes (on a 10-minute clip).
* ``long_shuttle``: trips of about :data:`SHUTTLE_TRIP_S` seconds (two at least): the start is
  revisited at the end of every trip, minutes apart.

Both end exactly on their first pose. Conventions and helpers are those of
:mod:`wmbench.worlds.trajectories` (which registers this family)."""

from __future__ import annotations

import numpy as np

from wmbench.worlds.walks import LocalPath, level

MAX_SCALE = 0.45  # of the free-space reach: the largest circle a lap may take
VIEW_TURN_PER_LAP_DEG = 45.0  # beyond the revisit limit (20 deg) of the place one lap later
SHUTTLE_TRIP_S = 150.0
MEAN_SPEED_M_S = (0.35, 0.5)  # the peak is pi / 2 times the mean (rest at both ends of a trip)


def _trips(rng: np.random.Generator, times: np.ndarray, reach: float, trips: int) -> LocalPath:
    """``trips`` trips out along laps of a circle and back, over the clip (see the module)."""
    duration = max(times[-1], 1e-9)
    length = rng.uniform(*MEAN_SPEED_M_S) * duration / (2 * trips)  # one way
    laps = max(int(np.ceil(length / (2 * np.pi * MAX_SCALE * reach))), 1)
    radius = length / (2 * np.pi * laps)
    progress = (1 - np.cos(2 * np.pi * trips * times / duration)) / 2  # 0 -> 1 -> 0 per trip
    angle = 2 * np.pi * laps * progress
    side, turn = rng.choice([-1.0, 1.0], size=2)
    # On a circle through the origin heading +z there, its centre at (side * radius, 0).
    positions = np.stack([side * radius * (1 - np.cos(angle)), 0 * angle, radius * np.sin(angle)])
    heading = side * np.degrees(angle)
    view = heading + turn * VIEW_TURN_PER_LAP_DEG * laps * progress
    return level(view, 3.0 * np.sin(np.pi * progress), positions.T)


def away_and_back(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    return _trips(rng, times, reach, 1)


def long_shuttle(rng: np.random.Generator, times: np.ndarray, reach: float) -> LocalPath:
    duration = max(times[-1], 1e-9)
    return _trips(rng, times, reach, max(2, int(round(duration / SHUTTLE_TRIP_S))))


LONG_RETURNS = {"away_and_back": away_and_back, "long_shuttle": long_shuttle}
