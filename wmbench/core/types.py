"""The typed data model: trajectories, cases, suites and videos.

Conventions (the one place they are stated; readers and adapters convert at the edges):

* Cameras are camera-to-world 4x4 matrices in the OpenCV convention: x right, y down,
  z forward. Translations are in metres.
* Intrinsics are 3x3 pinhole matrices in pixels of a stated image size (``image_size``,
  width x height), pixel centres at integer coordinates (OpenCV). Resizing or cropping a
  frame transforms them with :meth:`Trajectory.resized` / :meth:`Trajectory.cropped` /
  :meth:`Trajectory.fitted`.
* Angles a person reads are in degrees; only the CamI2V protocol keeps radians, and its
  metric names say so.
* Videos are uint8 arrays (T, H, W, 3), RGB.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from wmbench.core.errors import InputError

RIGIDITY_TOLERANCE = 1e-3
CHUNK_FRAMES = 32  # frames per chunk of a streamed pass (memory: CHUNK_FRAMES decoded frames)


def check_poses(c2w: np.ndarray, source: str, field_name: str) -> None:
    """Raise InputError unless ``c2w`` is (N,4,4) finite rigid poses (N >= 1)."""
    if c2w.ndim != 3 or c2w.shape[1:] != (4, 4):
        raise InputError(source, field_name, "an array of shape (N, 4, 4)", f"shape {c2w.shape}")
    if len(c2w) == 0:
        raise InputError(source, field_name, "at least one pose", "none")
    if not np.isfinite(c2w).all():
        bad = int(np.flatnonzero(~np.isfinite(c2w).reshape(len(c2w), -1).all(axis=1))[0])
        raise InputError(source, field_name, "finite values", f"NaN or inf in pose {bad}")
    if not np.allclose(c2w[:, 3], [0, 0, 0, 1], atol=RIGIDITY_TOLERANCE):
        raise InputError(source, field_name, "a last row of [0, 0, 0, 1] in every pose")
    rotations = c2w[:, :3, :3]
    gram = np.einsum("nji,njk->nik", rotations, rotations)
    orthogonality = np.abs(gram - np.eye(3)).max(axis=(1, 2))
    determinant = np.linalg.det(rotations)
    bad = np.flatnonzero((orthogonality > RIGIDITY_TOLERANCE) | (determinant < 0))
    if len(bad):
        raise InputError(
            source,
            field_name,
            "rigid poses (rotation blocks orthonormal with determinant +1)",
            f"a non-rigid pose at frame {int(bad[0])}",
        )


def _check_intrinsics(intrinsics: np.ndarray, n: int, source: str, field_name: str) -> None:
    if intrinsics.shape != (n, 3, 3):
        raise InputError(
            source, field_name, f"an array of shape ({n}, 3, 3)", f"shape {intrinsics.shape}"
        )
    if not np.isfinite(intrinsics).all():
        raise InputError(source, field_name, "finite values", "NaN or inf")
    focal = intrinsics[:, [0, 1], [0, 1]]
    if (focal <= 0).any():
        raise InputError(source, field_name, "positive focal lengths fx, fy")


@dataclass(frozen=True)
class Trajectory:
    """A camera path: ``c2w`` (N,4,4) OpenCV camera-to-world in metres, ``intrinsics``
    (N,3,3) in pixels of ``image_size`` = (width, height), sampled at ``fps``."""

    c2w: np.ndarray
    intrinsics: np.ndarray
    image_size: tuple[int, int]
    fps: float
    source: str = "<memory>"

    def __post_init__(self) -> None:
        c2w = np.asarray(self.c2w, dtype=np.float64)
        intrinsics = np.asarray(self.intrinsics, dtype=np.float64)
        check_poses(c2w, self.source, "c2w")
        if intrinsics.shape == (3, 3):
            intrinsics = np.broadcast_to(intrinsics, (len(c2w), 3, 3)).copy()
        _check_intrinsics(intrinsics, len(c2w), self.source, "intrinsics")
        if not self.fps > 0:
            raise InputError(self.source, "fps", "a positive number", repr(self.fps))
        width, height = self.image_size
        if width <= 0 or height <= 0:
            raise InputError(self.source, "image_size", "positive (width, height)")
        object.__setattr__(self, "c2w", c2w)
        object.__setattr__(self, "intrinsics", intrinsics)
        object.__setattr__(self, "image_size", (int(width), int(height)))

    def __len__(self) -> int:
        return len(self.c2w)

    @property
    def duration_s(self) -> float:
        return (len(self) - 1) / self.fps

    def head(self, num_frames: int) -> Trajectory:
        """The first ``num_frames`` poses; a shorter path is an InputError naming its file."""
        if num_frames > len(self):
            raise InputError(
                self.source, "camera path",
                f"at least the {num_frames} frames the run generates", f"{len(self)} poses",
            )  # fmt: skip
        return replace(self, c2w=self.c2w[:num_frames], intrinsics=self.intrinsics[:num_frames])

    def tail(self, first: int) -> Trajectory:
        """The poses from frame ``first`` on."""
        if not 0 <= first < len(self):
            raise InputError(self.source, "first", f"a frame in 0..{len(self) - 1}", str(first))
        return replace(self, c2w=self.c2w[first:], intrinsics=self.intrinsics[first:])

    def resized(self, width: int, height: int) -> Trajectory:
        """The same cameras for frames resized (stretched) to ``width`` x ``height``.

        Pixel centres sit at integer coordinates (OpenCV), so a principal point maps as
        ``c' = (c + 0.5) * s - 0.5``, matching ``cv2.resize``."""
        sx, sy = width / self.image_size[0], height / self.image_size[1]
        transform = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0, 0, 1]])
        return replace(self, intrinsics=transform @ self.intrinsics, image_size=(width, height))

    def cropped(self, left: int, top: int, width: int, height: int) -> Trajectory:
        """The same cameras for frames cropped to the window at (left, top) of that size."""
        intrinsics = self.intrinsics.copy()
        intrinsics[:, 0, 2] -= left
        intrinsics[:, 1, 2] -= top
        return replace(self, intrinsics=intrinsics, image_size=(width, height))

    def fitted(self, width: int, height: int) -> Trajectory:
        """The cameras for frames scaled uniformly to cover ``width`` x ``height``, then
        centre-cropped to it (what :func:`fit_image` does to the pixels)."""
        scale, left, top = _fit_window(self.image_size, (width, height))
        scaled_w, scaled_h = _scaled_size(self.image_size, scale)
        return self.resized(scaled_w, scaled_h).cropped(left, top, width, height)

    def relative_to_first(self) -> np.ndarray:
        """Poses re-expressed relative to frame 0: inv(c2w_0) @ c2w_i."""
        return np.linalg.inv(self.c2w[0]) @ self.c2w

    def path_length(self) -> float:
        """Total distance travelled by the camera centre, in metres."""
        return float(np.linalg.norm(np.diff(self.c2w[:, :3, 3], axis=0), axis=1).sum())


def _scaled_size(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))


def _fit_window(source: tuple[int, int], target: tuple[int, int]) -> tuple[float, int, int]:
    """Uniform scale covering ``target`` and the (left, top) of the centred crop."""
    scale = max(target[0] / source[0], target[1] / source[1])
    scaled_w, scaled_h = _scaled_size(source, scale)
    return scale, (scaled_w - target[0]) // 2, (scaled_h - target[1]) // 2


def fit_image(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale ``image`` (H, W, 3) uniformly to cover ``width`` x ``height`` and centre-crop it;
    :meth:`Trajectory.fitted` applies the same transform to intrinsics."""
    import cv2

    source = (image.shape[1], image.shape[0])
    scale, left, top = _fit_window(source, (width, height))
    scaled_w, scaled_h = _scaled_size(source, scale)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(image, (scaled_w, scaled_h), interpolation=interpolation)
    return np.ascontiguousarray(scaled[top : top + height, left : left + width])


@dataclass(frozen=True)
class EvaluationPair:
    """A SANA-WM-Bench revisit pair: frames ``frame_a`` and ``frame_b`` (at the benchmark's
    16 fps) where the path returns to a viewpoint; ``quality_score`` ranks the pairs (lower
    first); the optional fields are None where the dataset gives none."""

    frame_a: int
    frame_b: int
    quality_score: float | None = None
    distance_m: float | None = None
    angle_diff_deg: float | None = None


@dataclass(frozen=True)
class WorldSpec:
    """A synthetic world's spec (the JSON object ``wmbench.worlds.scene.World`` is built from),
    held as canonical JSON text so that a case stays immutable."""

    text: str

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> WorldSpec:
        return cls(json.dumps(spec, sort_keys=True))

    def as_dict(self) -> dict[str, Any]:
        return json.loads(self.text)


@dataclass(frozen=True)
class Case:
    """One benchmark item: a first frame, a prompt and the camera path to follow; ``world`` is
    the synthetic world of a mirror case (a ground truth can be rendered), ``evaluation_pairs``
    the dataset's revisit pairs."""

    id: str
    image_path: Path
    prompt: str
    trajectory: Trajectory
    split: str
    category: str = ""
    tags: tuple[str, ...] = ()
    world: WorldSpec | None = field(default=None, compare=False)
    evaluation_pairs: tuple[EvaluationPair, ...] = field(default=(), compare=False)

    def load_image(self) -> np.ndarray:
        """The first frame as uint8 (H, W, 3) RGB."""
        from PIL import Image

        if not self.image_path.is_file():
            raise InputError(self.image_path, "image_path", "an existing image file", "no file")
        try:
            with Image.open(self.image_path) as image:
                return np.asarray(image.convert("RGB"))
        except OSError as error:
            raise InputError(self.image_path, "image", "a readable image", str(error)) from error


@dataclass(frozen=True)
class Suite:
    """A named set of cases with the generation settings and the evaluators and models to run."""

    name: str
    cases: tuple[Case, ...]
    frames: int
    fps: float
    resolution: tuple[int, int]
    evaluators: tuple[str, ...]
    models: tuple[str, ...]
    model_options: dict[str, dict[str, str]] = field(default_factory=dict)
    evaluator_options: dict[str, dict[str, object]] = field(default_factory=dict)
    description: str = ""
    data_label: str = ""
    failures: tuple[tuple[str, str], ...] = ()

    def select(
        self,
        split: str | None = None,
        case_ids: list[str] | None = None,
        limit: int | None = None,
    ) -> Suite:
        """The subset of cases in ``split`` and/or ``case_ids``, at most ``limit`` per split;
        the cases that could not be read (``failures``) are narrowed the same way (readable
        cases fill the limit first), so a split whose cases all failed to read is still known."""
        cases = list(self.cases)
        failures = list(self.failures)
        if split:
            splits = {case.split for case in cases} | {f[0].split("/", 1)[0] for f in failures}
            if split not in splits:
                raise InputError(self.name, "--split", f"one of {sorted(splits)}", split)
            cases = [case for case in cases if case.split == split]
            failures = [f for f in failures if f[0].split("/", 1)[0] == split]
        if case_ids:
            known = {case.id for case in cases} | {f[0] for f in failures}
            unknown = [case_id for case_id in case_ids if case_id not in known]
            if unknown:
                raise InputError(self.name, "--cases", "ids of cases in the suite", str(unknown))
            cases = [case for case in cases if case.id in set(case_ids)]
            failures = [f for f in failures if f[0] in set(case_ids)]
        if limit is not None:
            per_split: dict[str, int] = {}

            def room(case_split: str) -> bool:
                per_split[case_split] = per_split.get(case_split, 0) + 1
                return per_split[case_split] <= limit

            cases = [case for case in cases if room(case.split)]
            failures = [f for f in failures if room(f[0].split("/", 1)[0])]
        return replace(self, cases=tuple(cases), failures=tuple(failures))


@dataclass
class Video:
    """Generated frames (T, H, W, 3) uint8 RGB at ``fps``."""

    frames: np.ndarray
    fps: float

    def __post_init__(self) -> None:
        frames = np.asarray(self.frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise InputError(
                "<video>",
                "frames",
                "uint8 array (T, H, W, 3)",
                f"{frames.dtype} array of shape {frames.shape}",
            )
        self.frames = frames

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return (self.frames.shape[2], self.frames.shape[1])

    def chunks(self, size: int = CHUNK_FRAMES) -> Iterator[np.ndarray]:
        """The frames in order, ``size`` at a time (views, no copy)."""
        for start in range(0, len(self.frames), size):
            yield self.frames[start : start + size]

    def take(self, indices: np.ndarray | list[int]) -> np.ndarray:
        """The frames at ``indices`` (K, H, W, 3), in the order given."""
        return self.frames[np.asarray(indices, dtype=int)]


@runtime_checkable
class FrameSequence(Protocol):
    """Frames (H, W, 3) uint8 RGB at ``fps`` that need not be in memory: a :class:`Video`, or a
    lazy handle on a file (:mod:`wmbench.data.video_io`). Streaming consumers read them in
    ``chunks`` (one pass, bounded memory); a few chosen frames come from ``take``."""

    fps: float

    def __len__(self) -> int: ...

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        ...

    def chunks(self, size: int = CHUNK_FRAMES) -> Iterator[np.ndarray]:
        """The frames in order, as arrays (n, H, W, 3) of at most ``size`` frames."""
        ...

    def take(self, indices: np.ndarray | list[int]) -> np.ndarray:
        """The frames at ``indices`` (K, H, W, 3), in the order given."""
        ...


@dataclass(frozen=True)
class FramesFrom:
    """The frames of ``source`` from index ``first`` on, read lazily through ``source`` (a
    refined generation's scored frames: frame 0, the input image, left out)."""

    source: FrameSequence
    first: int

    @property
    def fps(self) -> float:
        return self.source.fps

    def __len__(self) -> int:
        return max(0, len(self.source) - self.first)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return self.source.size

    def chunks(self, size: int = CHUNK_FRAMES) -> Iterator[np.ndarray]:
        """The frames in order, as arrays (n, H, W, 3) of at most ``size`` frames."""
        skip = self.first
        for chunk in self.source.chunks(size):
            if skip >= len(chunk):
                skip -= len(chunk)
                continue
            yield chunk[skip:]
            skip = 0

    def take(self, indices: np.ndarray | list[int]) -> np.ndarray:
        """The frames at ``indices`` (K, H, W, 3), in the order given."""
        return self.source.take(np.asarray(indices, dtype=int) + self.first)


def frames_from(video: FrameSequence, first: int) -> FrameSequence:
    """``video`` without its first ``first`` frames: a :class:`Video` view in memory, else a
    lazy :class:`FramesFrom`."""
    if not first:
        return video
    if isinstance(video, Video):
        return Video(video.frames[first:], video.fps)
    return FramesFrom(video, first)
