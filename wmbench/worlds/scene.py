"""A procedural world with exact metric ground truth: geometry, baked textures, rendering.

Frame: see :mod:`wmbench.worlds.primitives` (metres, y down, floor at y = 0). A world is
fully described by its JSON-able :meth:`World.spec`; :func:`world_from_spec` rebuilds it
exactly (textures are regenerated from the seeds in the spec).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from wmbench.core.types import Trajectory
from wmbench.worlds.atlas import TEXEL_MULTIPLE, MipAtlas
from wmbench.worlds.lighting import Occluders, bake
from wmbench.worlds.primitives import primitive_from_spec
from wmbench.worlds.raycast import Hits, SurfaceTable, cast
from wmbench.worlds.textures import make_texture, texture_shape

SPEC_VERSION = 1
MIN_COSINE = 0.05


@dataclass(frozen=True)
class FreeSpace:
    """An axis-aligned box of camera positions at least ``margin`` metres from all geometry."""

    lo: np.ndarray
    hi: np.ndarray
    margin: float

    def contains(self, points: np.ndarray) -> np.ndarray:
        """Whether each point (..., 3) lies in the box."""
        points = np.asarray(points)
        return np.all((points >= self.lo) & (points <= self.hi), axis=-1)

    @property
    def center(self) -> np.ndarray:
        return (self.lo + self.hi) / 2

    @property
    def half_extent(self) -> np.ndarray:
        return (self.hi - self.lo) / 2


class World:
    """Textured primitives with a free space for the camera, rendered by ray casting."""

    def __init__(self, spec: dict) -> None:
        if spec.get("version") != SPEC_VERSION:
            raise ValueError(f"world spec version {spec.get('version')!r}, expected {SPEC_VERSION}")
        self._spec = copy.deepcopy(spec)
        self.kind: str = spec["kind"]
        self.description: str = spec.get("description", "")
        free = spec["free_space"]
        self.free_space = FreeSpace(np.array(free["lo"]), np.array(free["hi"]), free["margin"])
        self.primitives = [primitive_from_spec(p) for p in spec["primitives"]]
        planar = [p for p in self.primitives if not p.surfaces[0].is_sphere]
        spheres = [p for p in self.primitives if p.surfaces[0].is_sphere]
        first, first_surface = 0, {}
        for primitive in planar + spheres:
            first_surface[id(primitive)] = first
            first += len(primitive.surfaces)
        # index in self.surfaces of each primitive's face 0 (planar primitives first)
        self.first_surface = [first_surface[id(p)] for p in self.primitives]
        self.surfaces = [s for p in planar + spheres for s in p.surfaces]
        self._owners = [(p, face) for p in planar + spheres for face in range(len(p.surfaces))]
        self._table = SurfaceTable(self.surfaces)
        self._density = np.array([s.material["density"] for s in self.surfaces], np.float32)

    @cached_property
    def atlas(self) -> MipAtlas:
        """The baked textures, built on first use (geometry alone needs none)."""
        occluders, light, textures = Occluders(self.primitives), self._spec["light"], []
        for (primitive, face), surface in zip(self._owners, self.surfaces, strict=True):
            shape = texture_shape(surface.material, surface.size, TEXEL_MULTIPLE)
            albedo = make_texture(surface.material, shape)
            textures.append(bake(surface, albedo, light, primitive, face, occluders))
        return MipAtlas(textures)

    def same_textures(self, spec: dict) -> World:
        """The world of ``spec``, whose surfaces are this world's moved or turned (the same
        surfaces, sizes and materials, in the same order), sharing this world's baked textures
        (their lighting stays as baked here) instead of baking them again."""
        world = World(spec)
        same = len(world.surfaces) == len(self.surfaces) and all(
            a.material == b.material and np.allclose(a.size, b.size, rtol=1e-9)
            for a, b in zip(world.surfaces, self.surfaces, strict=True)
        )
        if not same:
            raise ValueError("same_textures needs the same surfaces, sizes and materials")
        world.__dict__["atlas"] = self.atlas  # the cached_property's slot
        return world

    def spec(self) -> dict:
        """The JSON-able description this world was built from."""
        return copy.deepcopy(self._spec)

    def clearance(self, points: np.ndarray) -> np.ndarray:
        """Distance (...,) from each point (..., 3) to the nearest geometry (negative inside)."""
        points = np.asarray(points, float)
        return np.min([p.distance(points) for p in self.primitives], axis=0)

    def cast(self, c2w: np.ndarray, K: np.ndarray, width: int, height: int) -> Hits:
        """Geometry only: per-pixel depth, surface index and surface coordinates."""
        return cast(
            self.primitives,
            self.first_surface,
            self._table,
            np.asarray(c2w, float),
            np.asarray(K, float),
            width,
            height,
        )

    def render(
        self, c2w: np.ndarray, K: np.ndarray, width: int, height: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """RGB (H, W, 3) uint8 and z-depth (H, W) float32 in metres (distance along the optical
        axis) of the OpenCV camera ``c2w`` (4, 4) with intrinsics ``K`` (3, 3) in pixels of
        ``width`` x ``height``, one ray per pixel centre."""
        hits = self.cast(c2w, K, width, height)
        surface = hits.surface.ravel()
        density = self._density.take(surface)
        texels_per_pixel = np.maximum(hits.cosine.ravel(), np.float32(MIN_COSINE))
        np.sqrt(texels_per_pixel, out=texels_per_pixel)
        texels_per_pixel *= np.float32(np.sqrt(K[0, 0] * K[1, 1]))
        np.divide(density, texels_per_pixel, out=texels_per_pixel)
        texels_per_pixel *= hits.depth.ravel()
        rgb = self.atlas.sample(
            surface, hits.u.ravel() * density, hits.v.ravel() * density, texels_per_pixel
        )
        return rgb.reshape(height, width, 3), hits.depth

    def render_trajectory(
        self, trajectory: Trajectory, width: int, height: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Frames (T, H, W, 3) uint8 and depth (T, H, W) float32 along ``trajectory``, its
        intrinsics rescaled to ``width`` x ``height`` when its image size differs."""
        frames = np.empty((len(trajectory), height, width, 3), np.uint8)
        depth = np.empty((len(trajectory), height, width), np.float32)
        for i, (frame, z) in enumerate(self.render_frames(trajectory, width, height)):
            frames[i], depth[i] = frame, z
        return frames, depth

    def render_frames(
        self, trajectory: Trajectory, width: int, height: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Each frame (H, W, 3) uint8 and its depth (H, W) float32 along ``trajectory``, one at a
        time (as :meth:`render_trajectory`, without holding the video)."""
        if trajectory.image_size != (width, height):
            trajectory = trajectory.resized(width, height)
        for c2w, K in zip(trajectory.c2w, trajectory.intrinsics, strict=True):
            yield self.render(c2w, K, width, height)


def world_from_spec(spec: dict) -> World:
    """Rebuild the world that :meth:`World.spec` described."""
    return World(spec)
