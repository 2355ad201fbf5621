"""``revisit``: does the world look the same when the camera comes back?

Revisits are found on the requested camera path (``EvalInput.trajectory``): a later frame j and
an earlier frame i whose cameras are close (centre distance and relative rotation angle under
thresholds) although the camera left that neighbourhood in between (this excludes temporally
adjacent and static stretches). For each later frame the closest such earlier frame is kept,
and at most ``MAX_PAIRS`` later frames, evenly spaced, are compared, at a short side of
``WORK_SHORT_SIDE`` px. The earlier view is warped into the later one with the known relative
pose, then PSNR and SSIM (the ``reference`` evaluator's masked forms) are taken over the pixels
the warp covers (eroded by SSIM's window, 11 px).

Two protocols, named in the metrics since their pairs differ:

* ``depth_warp``: with exact depth (``Generation.depth``, synthetic oracles) each pixel of the
  later view is lifted to 3D and projected into the earlier one; pixels the earlier view sees
  at another depth (occlusion) are masked. Pairs within ``DEPTH_DISTANCE_M`` and
  ``MAX_ANGLE_DEG``.
* ``near_identity``: for every model, only pairs whose cameras lie within
  ``NEAR_IDENTITY_DISTANCE_M`` (up to ``MAX_ANGLE_DEG`` of rotation): there the rotation
  homography ``K_i R K_j^-1`` is exact up to the parallax of that small translation.

A third protocol, ``sanawm``, compares the dataset's own ``evaluation_pairs`` unwarped, as
SANA-WM-Bench's scripts do (:mod:`wmbench.evaluators.sanawm_pairs`); NaN for cases without pairs.

The warped pairs are a shared artefact (:func:`cached_revisit_views`): a learned perceptual
distance (LPIPS, once its weights are in the weight store) scores the same pairs from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from wmbench.core.errors import InputError
from wmbench.core.types import FrameSequence, Trajectory
from wmbench.evaluators.base import (
    EvalInput,
    EvalResult,
    Evaluator,
    MetricSpec,
    SetMetric,
    SharedKey,
)
from wmbench.evaluators.functional.image import psnr_db, ssim
from wmbench.evaluators.sampling import finite_mean, sample_indices, short_side_size
from wmbench.evaluators.sanawm_pairs import (
    PooledPairs,
    evaluation_pairs,
    pair_frames,
    psnr_uint8,
    ssim_uniform,
)
from wmbench.worlds.revisit_pairs import find_revisits

MAX_ANGLE_DEG = 20.0
DEPTH_DISTANCE_M = 0.3
NEAR_IDENTITY_DISTANCE_M = 0.01
MAX_PAIRS = 16
WORK_SHORT_SIDE = 360
SSIM_WINDOW = 11
DEPTH_TOLERANCE = 0.05  # relative depth mismatch above which a pixel counts as occluded
MIN_VALID_FRACTION = 0.05  # pairs whose warp covers less of the view are dropped
PROTOCOLS = ("depth_warp", "near_identity")
DepthMaps = Any  # (T, H, W) float32 metres indexable by frame: an array or a spool on disk


@dataclass(frozen=True)
class RevisitViews:
    """Warped revisit pairs: for pair k, ``later[k]`` (H, W, 3) uint8 is frame
    ``later_frame[k]``, ``warped[k]`` frame ``earlier_frame[k]`` warped into its view, and
    ``mask[k]`` (H, W) bool the pixels to compare."""

    earlier_frame: np.ndarray
    later_frame: np.ndarray
    later: list[np.ndarray]
    warped: list[np.ndarray]
    mask: list[np.ndarray]


def source_coordinates(
    k_later: np.ndarray,
    k_earlier: np.ndarray,
    later_to_earlier: np.ndarray,
    depth: np.ndarray | None,
    size: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Where each pixel of the later view (``size`` = (W, H)) lands in the earlier view:
    ``(map_x, map_y, z)`` with ``z`` the depth there. ``later_to_earlier`` is the 4x4 transform
    from later-camera to earlier-camera coordinates; without ``depth`` only its rotation is
    applied (points at infinity) and ``z`` is None."""
    width, height = size
    u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    rays = np.stack([u, v, np.ones_like(u)], axis=-1) @ np.linalg.inv(k_later).T
    rotation, translation = later_to_earlier[:3, :3], later_to_earlier[:3, 3]
    if depth is None:
        points = rays @ rotation.T
    else:
        points = (rays * depth[..., None]) @ rotation.T + translation
    z = points[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        projected = points @ k_earlier.T
        map_x = (projected[..., 0] / z).astype(np.float32)
        map_y = (projected[..., 1] / z).astype(np.float32)
    behind = ~(z > 0)
    map_x[behind], map_y[behind] = -1.0, -1.0
    return map_x, map_y, (z if depth is not None else None)


def warp_into_later(
    earlier: np.ndarray,
    map_x: np.ndarray,
    map_y: np.ndarray,
    z: np.ndarray | None = None,
    earlier_depth: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``earlier`` sampled at the maps (bilinear) and the mask of pixels to compare: inside the
    earlier view, seen there at the same depth (when depths are given), eroded by the SSIM
    window."""
    height, width = earlier.shape[:2]
    warped = cv2.remap(earlier, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask = (map_x >= 0) & (map_x <= width - 1) & (map_y >= 0) & (map_y <= height - 1)
    if z is not None and earlier_depth is not None:
        seen = cv2.remap(earlier_depth, map_x, map_y, cv2.INTER_NEAREST)
        mask &= np.isfinite(z) & (np.abs(seen - z) <= DEPTH_TOLERANCE * z)
    kernel = np.ones((SSIM_WINDOW, SSIM_WINDOW), np.uint8)
    return warped, cv2.erode(mask.astype(np.uint8), kernel).astype(bool)


def revisit_views(
    frames: FrameSequence, trajectory: Trajectory, depth: DepthMaps | None
) -> RevisitViews:
    """Warped revisit pairs of ``frames`` (at least T, read by index) along ``trajectory`` (T
    poses, same field of view); the ``depth_warp`` protocol when ``depth`` (T, H', W'), an
    array or maps read one at a time) is given, else ``near_identity``."""
    limit = DEPTH_DISTANCE_M if depth is not None else NEAR_IDENTITY_DISTANCE_M
    c2w = trajectory.c2w
    pairs = find_revisits(c2w, limit, MAX_ANGLE_DEG)
    pairs = pairs[sample_indices(len(pairs), MAX_PAIRS)] if len(pairs) else pairs
    size = short_side_size(*frames.size, WORK_SHORT_SIDE)
    intrinsics = trajectory.resized(*size).intrinsics
    needed = np.unique(pairs)
    small = dict(zip(needed.tolist(), (_resize(f, size) for f in frames.take(needed)), strict=True))
    kept: list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]] = []
    for earlier, later in pairs:
        z_later, z_earlier = (
            (_resize_depth(depth[later], size), _resize_depth(depth[earlier], size))
            if depth is not None
            else (None, None)
        )
        later_to_earlier = np.linalg.inv(c2w[earlier]) @ c2w[later]
        map_x, map_y, z = source_coordinates(
            intrinsics[later], intrinsics[earlier], later_to_earlier, z_later, size
        )
        warped, mask = warp_into_later(small[int(earlier)], map_x, map_y, z, z_earlier)
        if mask.mean() >= MIN_VALID_FRACTION:
            kept.append((earlier, later, small[int(later)], warped, mask))
    return RevisitViews(
        np.array([k[0] for k in kept], dtype=int),
        np.array([k[1] for k in kept], dtype=int),
        [k[2] for k in kept],
        [k[3] for k in kept],
        [k[4] for k in kept],
    )


def score_views(views: RevisitViews) -> tuple[np.ndarray, np.ndarray]:
    """Masked PSNR (dB) and SSIM of each warped pair."""
    triples = list(zip(views.later, views.warped, views.mask, strict=True))
    psnr = np.array([psnr_db(later, warped, mask) for later, warped, mask in triples])
    similarity = np.array([ssim(later, warped, mask) for later, warped, mask in triples])
    return psnr, similarity


def _resize(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def _resize_depth(depth: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(depth.astype(np.float32), size, interpolation=cv2.INTER_NEAREST)


def cached_revisit_views(inputs: EvalInput, protocol: str) -> RevisitViews:
    """The case's :class:`RevisitViews` under ``protocol`` (one of ``PROTOCOLS``), computed once."""
    video = inputs.video
    trajectory = inputs.trajectory
    width, height = trajectory.image_size
    if abs(width / height - video.size[0] / video.size[1]) > 0.01:
        raise InputError(
            inputs.case.id,
            "video",
            f"the trajectory's aspect ratio ({width}x{height})",
            f"{video.size[0]}x{video.size[1]}",
        )
    count = min(len(video), len(trajectory))
    depth = inputs.generation.depth if protocol == "depth_warp" else None
    return inputs.shared(
        SharedKey[RevisitViews](f"revisit_views/{protocol}"),
        lambda: revisit_views(video, trajectory.head(count), depth),
    )


class Revisit(Evaluator):
    """PSNR and SSIM between revisits of the same place, per protocol (see the module)."""

    name = "revisit"
    version = "1"

    def metric_specs(self) -> list[MetricSpec]:
        specs = []
        for protocol in PROTOCOLS:
            specs += [
                MetricSpec(
                    f"revisit_psnr_db/{protocol}",
                    True,
                    "dB",
                    f"PSNR of revisits after warping the earlier view ({protocol})",
                ),
                MetricSpec(
                    f"revisit_ssim/{protocol}",
                    True,
                    "",
                    f"SSIM of revisits after warping the earlier view ({protocol})",
                ),
            ]
        return specs + [
            MetricSpec("revisit_psnr_db/sanawm", True, "dB", "PSNR of the dataset's revisit "
                       "pairs, whole frames (SANA-WM-Bench's evaluation_pairs)"),
            MetricSpec("revisit_ssim/sanawm", True, "", "SSIM (11x11 uniform window) of the "
                       "dataset's revisit pairs, whole frames (SANA-WM-Bench's evaluation_pairs)"),
        ]  # fmt: skip

    def set_metrics(self) -> list[SetMetric]:
        """SANA-WM-Bench's overall revisit PSNR and SSIM: all pairs pooled."""
        return [
            PooledPairs(MetricSpec("revisit_psnr_db_pooled/sanawm", True, "dB", "PSNR of every "
                        "evaluation pair of the split pooled into one mean (SANA-WM-Bench's "
                        "overall_mean_psnr)"), "sanawm/psnr_db"),
            PooledPairs(MetricSpec("revisit_ssim_pooled/sanawm", True, "", "SSIM of every "
                        "evaluation pair of the split pooled into one mean (SANA-WM-Bench's "
                        "overall_mean_ssim)"), "sanawm/ssim"),
        ]  # fmt: skip

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        metrics: dict[str, float] = {}
        series: dict[str, np.ndarray] = {}
        for protocol in PROTOCOLS:
            if protocol == "depth_warp" and inputs.generation.depth is None:
                metrics[f"revisit_psnr_db/{protocol}"] = float("nan")
                metrics[f"revisit_ssim/{protocol}"] = float("nan")
                continue
            views = cached_revisit_views(inputs, protocol)
            psnr, similarity = score_views(views)
            metrics[f"revisit_psnr_db/{protocol}"] = finite_mean(psnr)
            metrics[f"revisit_ssim/{protocol}"] = finite_mean(similarity)
            series |= {
                f"{protocol}/earlier_frame": views.earlier_frame,
                f"{protocol}/later_frame": views.later_frame,
                f"{protocol}/psnr_db": psnr,
                f"{protocol}/ssim": similarity,
            }
        video, _ = inputs.written()  # the scripts read the raw mp4 for revisits
        pairs = evaluation_pairs(inputs.case, video.fps, len(video))
        firsts, seconds = pair_frames(video, pairs) if len(pairs) else ([], [])
        psnr = np.array([psnr_uint8(a, b) for a, b in zip(firsts, seconds, strict=True)])
        similarity = np.array([ssim_uniform(a, b) for a, b in zip(firsts, seconds, strict=True)])
        metrics["revisit_psnr_db/sanawm"] = finite_mean(psnr)
        metrics["revisit_ssim/sanawm"] = finite_mean(similarity)
        if len(pairs):
            series |= {"sanawm/pairs": pairs, "sanawm/psnr_db": psnr, "sanawm/ssim": similarity}
        return EvalResult(metrics=metrics, series=series)
