"""Defects a world model makes, injected into a synthetic world at a stated strength, to prove
that the persistence metrics notice them. Each renders a clip of a world along a path in which
one object (:func:`pick_object`: the box most in view at the first frame that leaves the view
later) changes:

* ``object_moved`` (m): shifted sideways by ``level`` metres while out of view;
* ``object_removed`` (fraction): shrunk about its base by ``level`` while out of view (1 gone);
* ``object_reshaped`` (fraction): its height scaled by ``1 + level`` while out of view (base
  kept);
* ``surface_bend`` (deg): its faces turn steadily about the vertical, from 0 at the first frame
  to ``level`` degrees at the last (geometry that shifts over time, in and out of view);
* ``texture_swap`` (blend): on return its texture is blended towards another object's, ``level``
  of the way (1 swapped).

"While out of view" starts at :func:`hidden_frame`, a frame in the middle third of the clip
where the object is out of the picture (the fewest of its pixels there). Level 0 is the clean
clip. The depth returned is the exact depth of what is shown.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from wmbench.core.types import Trajectory
from wmbench.worlds.scene import World

DEFECTS = ("object_moved", "object_removed", "object_reshaped", "surface_bend", "texture_swap")
UNITS = {"object_moved": "m", "object_removed": "fraction shrunk", "object_reshaped":
         "height gained", "surface_bend": "deg at end", "texture_swap": "blend"}  # fmt: skip
MIN_HALF_M = 1e-3  # a box shrunk away keeps this half size (far under a pixel)


def object_pixels(
    world: World, trajectory: Trajectory, index: int, frames: np.ndarray
) -> np.ndarray:
    """Pixels (len(frames),) of primitive ``index`` in view at ``frames`` (``trajectory``'s
    image size)."""
    width, height = trajectory.image_size
    first = world.first_surface[index]
    count = len(world.primitives[index].surfaces)
    hits = [world.cast(trajectory.c2w[f], trajectory.intrinsics[f], width, height) for f in frames]
    return np.array([((h.surface >= first) & (h.surface < first + count)).sum() for h in hits])


def pick_object(world: World, trajectory: Trajectory) -> int:
    """The box with the most pixels at frame 0 among those absent from some frame of the middle
    third (any box, the most in view, when none leaves the view)."""
    boxes = [i for i, p in enumerate(world.primitives) if p.kind == "box"]
    middle = _middle_third(len(trajectory))
    seen = {i: object_pixels(world, trajectory, i, np.array([0]))[0] for i in boxes}
    leaving = [i for i in boxes if seen[i] > 0
               and object_pixels(world, trajectory, i, middle).min() == 0]  # fmt: skip
    return max(leaving or boxes, key=lambda i: seen[i])


def hidden_frame(world: World, trajectory: Trajectory, index: int) -> int:
    """The frame of the middle third with the fewest pixels of primitive ``index``."""
    middle = _middle_third(len(trajectory))
    return int(middle[np.argmin(object_pixels(world, trajectory, index, middle))])


def _middle_third(count: int) -> np.ndarray:
    return np.arange(count // 3, max(count // 3 + 1, 2 * count // 3))


def _with_object(spec: dict, index: int, change: Callable[[dict], None]) -> dict:
    spec = copy.deepcopy(spec)
    change(spec["primitives"][index])
    return spec


def changed_world(world: World, name: str, index: int, level: float) -> World:
    """The world after the out-of-view change ``name`` of primitive ``index`` at ``level``."""
    spec, box = world.spec(), world.primitives[index].spec()
    half = np.array(box["half_size"])
    base = box["center"][1] + half[1]  # y of the bottom face (y is down)
    if name == "object_moved":
        sideways = world.primitives[index].rotation[:, 0]
        centre = np.array(box["center"]) + level * sideways
        return world.same_textures(
            _with_object(spec, index, lambda p: p.update(center=centre.tolist()))
        )
    if name == "object_removed":
        shrunk = np.maximum(half * (1.0 - level), MIN_HALF_M)
        centre = [box["center"][0], base - shrunk[1], box["center"][2]]
        return World(
            _with_object(spec, index, lambda p: p.update(half_size=shrunk.tolist(), center=centre))
        )
    if name == "object_reshaped":
        taller = half * [1.0, 1.0 + level, 1.0]
        centre = [box["center"][0], base - taller[1], box["center"][2]]
        return World(
            _with_object(spec, index, lambda p: p.update(half_size=taller.tolist(), center=centre))
        )
    if name == "texture_swap":
        others = [p.spec() for p in world.primitives if p.kind == "box"
                  and p.materials[0]["pattern"] != box["materials"][0]["pattern"]]  # fmt: skip
        materials = others[0]["materials"] if others else box["materials"][::-1]
        return World(_with_object(spec, index, lambda p: p.update(materials=materials)))
    raise ValueError(f"unknown defect {name!r}; expected one of {DEFECTS}")


def _turned(world: World, index: int, degrees: float) -> World:
    spec = world.spec()
    yaw = spec["primitives"][index]["yaw_deg"] + degrees
    return world.same_textures(_with_object(spec, index, lambda p: p.update(yaw_deg=yaw)))


def render_defect(
    world: World,
    trajectory: Trajectory,
    clean: tuple[np.ndarray, np.ndarray],
    name: str,
    level: float,
    index: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Frames (T, H, W, 3) and depth (T, H, W) of ``world`` along ``trajectory`` with defect
    ``name`` at ``level`` applied to primitive ``index`` (:func:`pick_object` when None);
    ``clean`` is the clean render (its frames before the change are reused)."""
    frames, depth = clean[0].copy(), clean[1].copy()
    if level == 0:
        return frames, depth
    index = pick_object(world, trajectory) if index is None else index
    width, height = trajectory.image_size
    if name == "surface_bend":
        progress = np.arange(len(trajectory)) / max(len(trajectory) - 1, 1)
        for t in range(1, len(trajectory)):
            turned = _turned(world, index, level * progress[t])
            frames[t], depth[t] = turned.render(
                trajectory.c2w[t], trajectory.intrinsics[t], width, height
            )
        return frames, depth
    changed = changed_world(world, name, index, level if name != "texture_swap" else 1.0)
    for t in range(hidden_frame(world, trajectory, index), len(trajectory)):
        rgb, z = changed.render(trajectory.c2w[t], trajectory.intrinsics[t], width, height)
        if name == "texture_swap":  # same geometry: blend the two renders
            rgb = np.rint((1 - level) * frames[t] + level * rgb.astype(np.float64)).astype(np.uint8)
        frames[t], depth[t] = rgb, z
    return frames, depth
