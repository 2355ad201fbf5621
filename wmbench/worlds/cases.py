"""The world of a synthetic case, and its ground-truth video along a path."""

from __future__ import annotations

import json
from functools import lru_cache

from wmbench.core.errors import InputError
from wmbench.core.types import Case, Trajectory, Video
from wmbench.worlds.scene import World


@lru_cache(maxsize=2)  # a case is rendered by the oracle model and for the reference
def _world(spec_json: str) -> World:
    return World(json.loads(spec_json))


def is_synthetic(case: Case) -> bool:
    """Whether the case carries a synthetic world spec (a ground truth can be rendered)."""
    return isinstance(case.extras.get("world"), dict)


def world_of(case: Case) -> World:
    """The world of a synthetic case (its ``extras["world"]`` spec)."""
    if not is_synthetic(case):
        raise InputError(
            case.id,
            "extras['world']",
            "a synthetic world spec (only synthetic-mirror cases have one)",
            "none",
        )
    return _world(json.dumps(case.extras["world"], sort_keys=True))


def ground_truth_video(case: Case, trajectory: Trajectory, fps: float) -> Video:
    """The exact render of the case's world along ``trajectory`` at its image size."""
    width, height = trajectory.image_size
    frames, _ = world_of(case).render_trajectory(trajectory, width, height)
    return Video(frames, fps)
