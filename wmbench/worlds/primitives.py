"""Scene primitives: textured surfaces, ray intersection in camera space, signed distance.

World frame (shared by the whole package): metres, y points DOWN (gravity is +y), the floor or
ground is the plane y = 0, so heights above it are negative y. x and z are horizontal. An
OpenCV camera with identity rotation is therefore upright and looks along +z.

Rays are cast in camera space: the ray through pixel (x, y) has direction
``(dx[x], dy[y], 1)``, so the hit parameter ``t`` is the z-depth. Every primitive transforms
itself into the camera frame once per frame, so each per-pixel quantity is an affine function
of ``dx`` (columns) and ``dy`` (rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DOWN = np.array([0.0, 1.0, 0.0])
MIN_DEPTH = 1e-4


@dataclass(frozen=True)
class Surface:
    """One textured face.

    Planar: ``origin`` is a corner, a point is ``origin + u * u_axis + v * v_axis`` with
    (u, v) in [0, size[0]] x [0, size[1]] metres, ``normal`` faces the viewer's side.
    Sphere (``radius`` > 0): ``origin`` is the centre; a point at polar angle ``theta`` from
    the top (-y) and azimuth ``phi`` (from +z towards +x) has u = (phi + pi) r, v = theta r.
    """

    origin: np.ndarray
    u_axis: np.ndarray
    v_axis: np.ndarray
    normal: np.ndarray
    size: tuple[float, float]
    material: dict
    radius: float = 0.0
    inside: bool = False

    @property
    def is_sphere(self) -> bool:
        return self.radius > 0

    def points_and_normals(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (..., 3) and unit normals (..., 3) at surface coordinates (u, v)."""
        if not self.is_sphere:
            points = self.origin + u[..., None] * self.u_axis + v[..., None] * self.v_axis
            return points, np.broadcast_to(self.normal, points.shape)
        phi, theta = u / self.radius - np.pi, v / self.radius
        outward = np.stack(
            [np.sin(theta) * np.sin(phi), -np.cos(theta), np.sin(theta) * np.cos(phi)], axis=-1
        )
        points = self.origin + self.radius * outward
        return points, (-outward if self.inside else outward)


def planar_surface(
    center: np.ndarray,
    normal: np.ndarray,
    u_axis: np.ndarray,
    size: tuple[float, float],
    material: dict,
) -> Surface:
    """A rectangle centred at ``center``; v_axis = u_axis x normal (downwards on walls)."""
    v_axis = np.cross(u_axis, normal)
    origin = center - size[0] / 2 * u_axis - size[1] / 2 * v_axis
    return Surface(origin, u_axis, v_axis, normal, (float(size[0]), float(size[1])), material)


def face_u_axis(normal: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Texture u axis of a face: horizontal and to the viewer's right on vertical faces, else
    ``reference``."""
    if abs(normal[1]) < 0.5:
        axis = np.cross(normal, DOWN)
        return axis / np.linalg.norm(axis)
    return reference


def yaw_matrix(yaw_deg: float) -> np.ndarray:
    """Rotation about the vertical (y) axis; positive yaw turns +z towards +x."""
    angle = np.radians(yaw_deg)
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


@dataclass
class CameraRays:
    """A pinhole camera's rays over a pixel window: origin (3,), rotation (3,3) camera-to-world,
    ``dx`` (W,) and ``dy`` (H,) the camera-space slopes, ``dd`` (H, W) = |d|^2."""

    origin: np.ndarray
    rotation: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    dd: np.ndarray

    @classmethod
    def pinhole(cls, c2w: np.ndarray, K: np.ndarray, width: int, height: int) -> CameraRays:
        if K[0, 1] != 0:
            raise ValueError("intrinsics with skew are not supported")
        dx = ((np.arange(width) - K[0, 2]) / K[0, 0]).astype(np.float32)
        dy = ((np.arange(height) - K[1, 2]) / K[1, 1]).astype(np.float32)
        dd = 1.0 + dx[None, :] ** 2 + dy[:, None] ** 2
        return cls(np.asarray(c2w[:3, 3], float), np.asarray(c2w[:3, :3], float), dx, dy, dd)

    def window(self, rows: slice, columns: slice) -> CameraRays:
        return CameraRays(
            self.origin, self.rotation, self.dx[columns], self.dy[rows], self.dd[rows, columns]
        )

    def affine(self, vector: np.ndarray, offset: float = 0.0) -> np.ndarray:
        """``world_vector . d + offset`` for every ray: an affine function of (dx, dy)."""
        a, b, c = (self.rotation.T @ vector).astype(np.float32)
        return (a * self.dx)[None, :] + (b * self.dy)[:, None] + np.float32(c + offset)


def _no_hit(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    return np.full(shape, np.inf, np.float32), np.zeros(shape, np.int32)


class Room:
    """The inside of an axis-aligned box (walls, floor, ceiling); faces in the order
    -x, +x, -y (ceiling), +y (floor), -z, +z, normals pointing inwards."""

    kind = "room"

    def __init__(self, lo, hi, materials: list[dict]) -> None:
        self.lo, self.hi = np.asarray(lo, float), np.asarray(hi, float)
        self.materials = materials
        center, half = (self.lo + self.hi) / 2, (self.hi - self.lo) / 2
        self.surfaces = []
        for face in range(6):
            axis, side = divmod(face, 2)
            outward = np.zeros(3)
            outward[axis] = 1.0 if side else -1.0
            face_center = center + outward * half
            u_axis = face_u_axis(-outward, np.array([1.0, 0.0, 0.0]))
            v_axis = np.cross(u_axis, -outward)
            size = (2 * np.abs(u_axis) @ half, 2 * np.abs(v_axis) @ half)
            self.surfaces.append(
                planar_surface(face_center, -outward, u_axis, size, materials[face])
            )

    def spec(self) -> dict:
        return {
            "type": self.kind,
            "lo": self.lo.tolist(),
            "hi": self.hi.tolist(),
            "materials": self.materials,
        }

    def corners(self) -> None:
        """None: seen from inside, the room covers the whole frame."""
        return None

    def bounding_sphere(self) -> None:
        """None: the room encloses everything."""
        return None

    def intersect(self, rays: CameraRays) -> tuple[np.ndarray, np.ndarray]:
        t, face = None, None
        for axis in range(3):
            slope = rays.affine(np.eye(3)[axis])
            positive = slope > 0
            bounds = self.hi[axis] - rays.origin[axis], self.lo[axis] - rays.origin[axis]
            t_axis = np.where(positive, *np.float32(bounds)) / slope
            face_axis = 2 * axis + positive.astype(np.int32)
            if t is None:
                t, face = t_axis, face_axis
            else:
                closer = t_axis < t
                t, face = np.where(closer, t_axis, t), np.where(closer, face_axis, face)
        return t, face

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Distance to the nearest face, positive inside."""
        return self.face_distances(points).min(axis=-1)

    def face_distances(self, points: np.ndarray) -> np.ndarray:
        """Distance (..., 6) from ``points`` (..., 3) to each face's plane, positive inside."""
        below, above = points - self.lo, self.hi - points
        return np.stack([below, above], axis=-1).reshape(*points.shape[:-1], 6)


class Box:
    """A solid box: ``center``, ``half_size`` (x, y, z) in its own frame, turned by ``yaw_deg``
    about the vertical. Faces in the order -x, +x, -y (top), +y (bottom), -z, +z of its frame,
    normals pointing outwards."""

    kind = "box"

    def __init__(self, center, half_size, yaw_deg: float, materials: list[dict], name: str = ""):
        self.center, self.half = np.asarray(center, float), np.asarray(half_size, float)
        self.yaw_deg, self.materials, self.name = float(yaw_deg), materials, name
        self.rotation = yaw_matrix(self.yaw_deg)
        self.surfaces = []
        for face in range(6):
            axis, side = divmod(face, 2)
            normal = self.rotation[:, axis] * (1.0 if side else -1.0)
            u_axis = face_u_axis(normal, self.rotation[:, 0])
            v_axis = np.cross(u_axis, normal)
            extents = np.abs(self.rotation.T @ np.stack([u_axis, v_axis], 1)).T @ self.half
            self.surfaces.append(
                planar_surface(
                    self.center + normal * self.half[axis],
                    normal,
                    u_axis,
                    tuple(2 * extents),
                    materials[face],
                )
            )

    def spec(self) -> dict:
        return {
            "type": self.kind,
            "name": self.name,
            "center": self.center.tolist(),
            "half_size": self.half.tolist(),
            "yaw_deg": self.yaw_deg,
            "materials": self.materials,
        }

    def corners(self) -> np.ndarray:
        signs = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).reshape(3, -1).T
        return self.center + (signs * self.half) @ self.rotation.T

    def bounding_sphere(self) -> tuple[np.ndarray, float]:
        return self.center, float(np.linalg.norm(self.half))

    def intersect(self, rays: CameraRays) -> tuple[np.ndarray, np.ndarray]:
        """Slab test; the face is the one of the axis entered last, on the side the ray
        comes from."""
        local_origin = self.rotation.T @ (rays.origin - self.center)
        t_near = t_far = face = None
        for axis in range(3):
            slope = rays.affine(self.rotation[:, axis])
            low, high = np.float32(np.array([-1, 1]) * self.half[axis] - local_origin[axis])
            t_low, t_high = low / slope, high / slope
            t_enter, t_leave = np.minimum(t_low, t_high), np.maximum(t_low, t_high)
            face_axis = 2 * axis + (t_high < t_low)
            if t_near is None:
                t_near, t_far, face = t_enter, t_leave, face_axis
            else:
                later = t_enter > t_near
                t_near = np.where(later, t_enter, t_near)
                face = np.where(later, face_axis, face)
                np.minimum(t_far, t_leave, out=t_far)
        hit = (t_near <= t_far) & (t_near > MIN_DEPTH)
        return np.where(hit, t_near, np.float32(np.inf)), face

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Signed distance (negative inside)."""
        local = np.abs((points - self.center) @ self.rotation) - self.half
        outside = np.linalg.norm(np.maximum(local, 0.0), axis=-1)
        return outside + np.minimum(local.max(axis=-1), 0.0)


class Sphere:
    """A sphere seen from outside, or from ``inside`` (a sky dome)."""

    kind = "sphere"

    def __init__(self, center, radius: float, material: dict, inside: bool = False, name=""):
        self.center, self.radius = np.asarray(center, float), float(radius)
        self.material, self.inside, self.name = material, bool(inside), name
        self.surfaces = [
            Surface(
                self.center,
                np.eye(3)[0],
                np.eye(3)[1],
                np.eye(3)[2],
                (2 * np.pi * self.radius, np.pi * self.radius),
                material,
                radius=self.radius,
                inside=self.inside,
            )
        ]

    def spec(self) -> dict:
        return {
            "type": self.kind,
            "name": self.name,
            "center": self.center.tolist(),
            "radius": self.radius,
            "inside": self.inside,
            "material": self.material,
        }

    def corners(self) -> np.ndarray | None:
        if self.inside:
            return None
        signs = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).reshape(3, -1).T
        return self.center + signs * self.radius

    def bounding_sphere(self) -> tuple[np.ndarray, float] | None:
        """None for a dome, which encloses everything."""
        return None if self.inside else (self.center, self.radius)

    def intersect(self, rays: CameraRays) -> tuple[np.ndarray, np.ndarray]:
        offset = rays.origin - self.center
        half_b = rays.affine(offset)
        c = np.float32(offset @ offset - self.radius**2)
        discriminant = half_b * half_b - rays.dd * c
        root = np.sqrt(np.maximum(discriminant, 0.0))
        t = (root - half_b if self.inside else -half_b - root) / rays.dd
        hit = (discriminant >= 0) & (t > MIN_DEPTH)
        return np.where(hit, t, np.float32(np.inf)), np.zeros(t.shape, np.int32)

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Signed distance to the surface, positive on the side the camera may be."""
        radial = np.linalg.norm(points - self.center, axis=-1) - self.radius
        return -radial if self.inside else radial


class Panel:
    """A one-sided-looking, two-sided-hit rectangle: ``center``, unit ``normal`` (towards the
    viewer), unit ``u_axis`` (perpendicular to it) and ``size`` (u, v) in metres."""

    kind = "panel"

    def __init__(self, center, normal, u_axis, size, material: dict, name: str = "") -> None:
        self.center, self.normal = np.asarray(center, float), np.asarray(normal, float)
        self.u_axis, self.size = np.asarray(u_axis, float), (float(size[0]), float(size[1]))
        self.material, self.name = material, name
        self.surfaces = [planar_surface(self.center, self.normal, self.u_axis, self.size, material)]

    def spec(self) -> dict:
        return {
            "type": self.kind,
            "name": self.name,
            "center": self.center.tolist(),
            "normal": self.normal.tolist(),
            "u_axis": self.u_axis.tolist(),
            "size": list(self.size),
            "material": self.material,
        }

    def corners(self) -> np.ndarray:
        surface = self.surfaces[0]
        return surface.origin + np.array(
            [
                a * surface.size[0] * surface.u_axis + b * surface.size[1] * surface.v_axis
                for a in (0, 1)
                for b in (0, 1)
            ]
        )

    def bounding_sphere(self) -> tuple[np.ndarray, float]:
        return self.center, float(np.hypot(*self.size) / 2)

    def intersect(self, rays: CameraRays) -> tuple[np.ndarray, np.ndarray]:
        surface = self.surfaces[0]
        t = np.float32(self.normal @ (self.center - rays.origin)) / rays.affine(self.normal)
        hit = t > MIN_DEPTH
        for axis, extent in ((surface.u_axis, self.size[0]), (surface.v_axis, self.size[1])):
            along = rays.affine(axis) * t + np.float32((rays.origin - self.center) @ axis)
            hit &= np.abs(along) <= extent / 2
        return np.where(hit, t, np.float32(np.inf)), np.zeros(t.shape, np.int32)

    def distance(self, points: np.ndarray) -> np.ndarray:
        local = points - self.center
        across = np.abs(local @ self.normal)
        along = np.stack(
            [
                np.abs(local @ self.surfaces[0].u_axis) - self.size[0] / 2,
                np.abs(local @ self.surfaces[0].v_axis) - self.size[1] / 2,
            ],
            -1,
        )
        return np.hypot(across, np.linalg.norm(np.maximum(along, 0.0), axis=-1))


Primitive = Room | Box | Sphere | Panel


def primitive_from_spec(spec: dict) -> Primitive:
    """Rebuild a primitive from its :meth:`spec` dict."""
    kind, name = spec["type"], spec.get("name", "")
    if kind == "room":
        return Room(spec["lo"], spec["hi"], spec["materials"])
    if kind == "box":
        return Box(spec["center"], spec["half_size"], spec["yaw_deg"], spec["materials"], name)
    if kind == "sphere":
        return Sphere(spec["center"], spec["radius"], spec["material"], spec["inside"], name)
    if kind == "panel":
        size, material = spec["size"], spec["material"]
        return Panel(spec["center"], spec["normal"], spec["u_axis"], size, material, name)
    raise ValueError(f"unknown primitive type {kind!r}")
