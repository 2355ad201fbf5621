"""Stage 7, metric scale: the SfM reconstruction rescaled to metres by the median ratio of metric
depth to SfM depth at the reconstructed points' observations.

Depth sources are pluggable: exact depth arrays (synthetic worlds), depth maps on disk, or a
metric monocular depth model loaded from the local weight store (:mod:`pose_pipeline.depth_model`).
A source returns metric z-depth covering the whole frame at any resolution."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import pycolmap

from pose_pipeline.features import frame_index
from wmbench.core.errors import InputError

MAX_SCALE_FRAMES = 24
MIN_SAMPLES = 20


class DepthSource(Protocol):
    name: str

    def depth(self, frame: int, image: np.ndarray) -> np.ndarray:
        """Metric z-depth (h, w) of frame ``frame`` (``image``: the keyframe as SIFT saw it)."""
        ...


class ExactDepth:
    """Depth known exactly, e.g. rendered by a synthetic world: (T, H, W) metres, an array or
    anything indexable by frame with a ``shape`` (a spool on disk: read one map at a time)."""

    name = "exact"

    def __init__(self, depth: np.ndarray) -> None:
        self._depth = depth if hasattr(depth, "shape") else np.asarray(depth)
        if self._depth.ndim != 3:
            raise InputError("<depth>", "depth", "an array (T, H, W)", f"shape {self._depth.shape}")

    def depth(self, frame: int, image: np.ndarray) -> np.ndarray:
        if frame >= len(self._depth):
            raise InputError(
                "<depth>", "depth", f"a map for frame {frame}", f"{len(self._depth)} maps"
            )
        return self._depth[frame]


class DepthFolder:
    """Depth maps on disk, one per frame in name order: ``.npy`` (H, W) or ``.npz`` with a
    ``depth`` array, in metres."""

    name = "folder"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._files = sorted(p for p in self.folder.glob("*") if p.suffix in (".npy", ".npz"))
        if not self._files:
            raise InputError(self.folder, "depth", ".npy or .npz depth maps, one per frame", "none")

    def depth(self, frame: int, image: np.ndarray) -> np.ndarray:
        if frame >= len(self._files):
            raise InputError(
                self.folder, "depth", f"a map for frame {frame}", f"{len(self._files)} files"
            )
        path = self._files[frame]
        if path.suffix == ".npy":
            return np.load(path)
        with np.load(path) as data:
            if "depth" not in data:
                raise InputError(path, "depth", "a 'depth' array", f"keys {list(data)}")
            return data["depth"]


@dataclass(frozen=True)
class ScaleEstimate:
    """``scale`` multiplies SfM lengths into metres; ``spread`` is the median absolute deviation
    of the per-point ratios relative to the scale; ``samples`` the observations used."""

    scale: float
    spread: float
    samples: int
    frames: int
    source: str


def _sample(depth: np.ndarray, xy: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear samples of ``depth`` at COLMAP pixel positions ``xy`` of an image of ``size``."""
    height, width = depth.shape
    map_x = (xy[:, 0] / size[0] * width - 0.5).astype(np.float32)[None]
    map_y = (xy[:, 1] / size[1] * height - 0.5).astype(np.float32)[None]
    values = cv2.remap(depth.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_CONSTANT, borderValue=float("nan"))  # fmt: skip
    return values[0]


def estimate_scale(
    reconstruction: pycolmap.Reconstruction, source: DepthSource, images: Path
) -> ScaleEstimate | None:
    """The median metric/SfM depth ratio over up to ``MAX_SCALE_FRAMES`` registered keyframes
    (evenly spread); None when fewer than ``MIN_SAMPLES`` observations have valid depth."""
    image_ids = sorted(reconstruction.reg_image_ids(), key=lambda i: reconstruction.image(i).name)
    chosen = np.unique(
        np.linspace(0, len(image_ids) - 1, min(MAX_SCALE_FRAMES, len(image_ids))).round()
    )
    ratios = []
    for position in chosen.astype(int):
        image = reconstruction.image(image_ids[position])
        observations = image.get_observation_points2D()
        if not len(observations):
            continue
        xy = np.array([p.xy for p in observations])
        xyz = np.array([reconstruction.points3D[p.point3D_id].xyz for p in observations])
        w2c = image.cam_from_world().matrix()
        sfm_depth = xyz @ w2c[2, :3] + w2c[2, 3]
        pixels = cv2.cvtColor(cv2.imread(str(images / image.name)), cv2.COLOR_BGR2RGB)
        metric = _sample(
            np.asarray(source.depth(frame_index(image.name), pixels), dtype=np.float32),
            xy,
            (image.camera.width, image.camera.height),
        )
        keep = np.isfinite(metric) & (metric > 0) & (sfm_depth > 0)
        ratios.append(metric[keep] / sfm_depth[keep])
    ratios = np.concatenate(ratios) if ratios else np.zeros(0)
    if len(ratios) < MIN_SAMPLES:
        return None
    scale = float(np.median(ratios))
    spread = float(np.median(np.abs(ratios - scale)) / scale)
    return ScaleEstimate(scale, spread, len(ratios), len(chosen), source.name)
