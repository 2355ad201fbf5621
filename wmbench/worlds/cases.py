"""The world of a synthetic case, and its ground-truth video along a path."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from wmbench.core.errors import InputError
from wmbench.core.types import Case, Trajectory, WorldSpec
from wmbench.data.spool import FrameSpool
from wmbench.worlds.scene import World


@lru_cache(maxsize=2)  # a case is rendered by the oracle model and for the reference
def _world(spec: WorldSpec) -> World:
    return World(spec.as_dict())


def is_synthetic(case: Case) -> bool:
    """Whether the case carries a synthetic world spec (a ground truth can be rendered)."""
    return case.world is not None


def world_of(case: Case) -> World:
    """The world of a synthetic case (its ``world`` spec)."""
    if case.world is None:
        raise InputError(
            case.id, "world", "a synthetic world spec (only mirror cases have one)", "none"
        )
    return _world(case.world)


def render_to_disk(
    world: World, trajectory: Trajectory, width: int, height: int, fps: float
) -> tuple[FrameSpool, FrameSpool]:
    """The frames and depth maps of ``world`` along ``trajectory``, spooled to disk as they are
    rendered (memory holds one frame, not the video)."""
    frames = FrameSpool((height, width, 3), np.uint8, fps)
    depth = FrameSpool((height, width), np.float32)
    for frame, z in world.render_frames(trajectory, width, height):
        frames.write(frame)
        depth.write(z)
    return frames, depth


def ground_truth_video(case: Case, trajectory: Trajectory, fps: float) -> FrameSpool:
    """The exact render of the case's world along ``trajectory`` at its image size, on disk."""
    width, height = trajectory.image_size
    frames, depth = render_to_disk(world_of(case), trajectory, width, height, fps)
    depth.close()
    return frames
