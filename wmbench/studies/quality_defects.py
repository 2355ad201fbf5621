"""The defects of the quality-degradation study: what each injects, at which severities, and
the metrics it must move (their own defect); and the record of a learned evaluator's weights."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wmbench.core.types import Trajectory
from wmbench.evaluators.vbench_dimensions import MOTION_SMOOTHNESS
from wmbench.studies import degrade

PASS_RHO = 0.95
PROMPT = "a furnished room, the camera moves through it and returns"  # for CLIPSIM


@dataclass(frozen=True)
class Clip:
    """An oracle clip: exact ``frames`` (T, H, W, 3) and z-``depth`` (T, H, W) along
    ``trajectory``."""

    name: str
    frames: np.ndarray
    depth: np.ndarray
    trajectory: Trajectory


Degraded = tuple[np.ndarray, np.ndarray]  # frames, depth


@dataclass(frozen=True)
class Defect:
    """A defect at rising ``severities`` (in ``unit``) and the metrics it must move."""

    name: str
    unit: str
    severities: tuple[float, ...]
    apply: Callable[[Clip, float], Degraded]
    targets: tuple[str, ...]


def _frames_only(
    function: Callable[..., np.ndarray], **options
) -> Callable[[Clip, float], Degraded]:
    return lambda clip, level: (function(clip.frames, level, **options), clip.depth)


def _retimed(function: Callable[..., np.ndarray]) -> Callable[[Clip, float], Degraded]:
    """Defects that show other frames: the exact depth follows the frames shown."""
    return lambda clip, level: (function(clip.frames, level), function(clip.depth, level))


def _morph(clip: Clip, level: float) -> Degraded:
    return degrade.morph(clip.frames, clip.depth, clip.trajectory, level), clip.depth


REVISIT = tuple(
    f"{kind}/{p}"
    for kind in ("revisit_psnr_db", "revisit_ssim", "revisit_lpips")
    for p in ("depth_warp", "near_identity", "sanawm")
)
# learned metrics: own defects expected from the definitions (see LEARNED_NOTES)
LEARNED_IMAGE_QUALITY = (
    "lpips/reference",
    "aesthetic_quality/vbench_16frames",
    "aesthetic_quality/vbench",
    "imaging_quality/vbench",
    "aesthetic_score/laion_v1",
    "fvd/mean_feature_sq_dist",
)
DEFECTS = (
    Defect("blur", "sigma px", (0, 0.5, 1, 1.5, 2, 3), _frames_only(degrade.blur),
           ("laplacian_variance", "psnr_db", "ssim", *LEARNED_IMAGE_QUALITY)),
    Defect("noise", "sigma DN", (0, 2, 4, 8, 12, 16), _frames_only(degrade.noise),
           ("psnr_db", "ssim", *LEARNED_IMAGE_QUALITY, "clipsim/vit_l_14",
            "vbench_quality_score")),
    Defect("flicker", "gain amplitude", (0, 0.02, 0.04, 0.06, 0.08, 0.1),
           _frames_only(degrade.flicker),
           ("temporal_flickering/vbench", "warp_error/dis_mse",
            "subject_consistency/vbench_8fps", "subject_consistency/vbench",
            "background_consistency/vbench")),
    Defect("color_drift", "gain at end", (0, 0.05, 0.1, 0.15, 0.2, 0.3),
           _frames_only(degrade.color_drift), ("color_shift_delta_e76",)),
    Defect("blur_ramp", "sigma px at end", (0, 0.5, 1, 1.5, 2, 3),
           _frames_only(degrade.blur, ramp=True),
           ("sharpness_change_pct", "delta_iq/vbench_musiq")),
    Defect("freeze", "fraction of frames", (0, 0.1, 0.2, 0.3, 0.4, 0.5), _retimed(degrade.freeze),
           ("motion_jerk_ratio", "dynamic_pair_fraction", MOTION_SMOOTHNESS)),
    Defect("slowdown", "speed lost at end", (0, 0.1, 0.2, 0.3, 0.4, 0.5),
           _retimed(degrade.slowdown), ("motion_change_pct",)),
    Defect("morph", "blend at end", (0, 0.2, 0.4, 0.6, 0.8, 1.0), _morph, REVISIT),
)  # fmt: skip


@dataclass(frozen=True)
class LearnedEvaluator:
    """A learned evaluator of the study and its metrics: measured with the weight files of
    ``sha256`` (:func:`wmbench.core.weights.digests`), or not, for lack of the files ``missing``
    (never empty then)."""

    name: str
    metrics: tuple[str, ...]
    sha256: dict[str, str]
    missing: tuple[str, ...] = ()
