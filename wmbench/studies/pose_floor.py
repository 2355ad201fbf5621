"""The annotator measured against exact ground truth: oracle renders of synthetic worlds.

* floor: annotate an exact render and score it against its own path (what any model's camera
  score cannot go below);
* injected errors: render along a path with a known rotation drift, score against the
  unperturbed path, and regress the measured error on the error the protocol gives the exact
  perturbed path (slope 1 and R^2 near 1 when the annotator measures errors faithfully);
* metric scale: the Sim(3) scale and the metric path length against the truth;
* repeatability: the same input twice gives the same poses (to ``REPEAT_ATOL``).

Renders are cached under ``<cache>/pose_validation`` (``$WMBENCH_CACHE``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose_pipeline.config import AnnotatorConfig
from pose_pipeline.pipeline import annotate
from pose_pipeline.result import Annotation, AnnotationFailure
from pose_pipeline.scale import ExactDepth
from wmbench.core.files import atomic_path
from wmbench.core.paths import cache_dir
from wmbench.core.types import Trajectory
from wmbench.evaluators import camera_metrics


@dataclass(frozen=True)
class OracleClip:
    """Frames and exact depth rendered along ``rendered``; ``truth`` is the path a model was
    asked for (``rendered`` itself unless an error was injected)."""

    frames: np.ndarray
    depth: np.ndarray
    truth: Trajectory
    rendered: Trajectory


def oracle_clip(
    kind: str,
    family: str,
    seed: int,
    num_frames: int,
    width: int,
    height: int,
    rotation_drift_deg: float = 0.0,
    variant: str | None = None,
) -> OracleClip:
    """The render of world ``(seed, kind)`` along its ``family`` path (``variant``, else the
    seed's), optionally with a rotation drift (yaw, camera frame, growing linearly to
    ``rotation_drift_deg``)."""
    from wmbench.worlds.layout import make_world
    from wmbench.worlds.perturb import perturb_trajectory
    from wmbench.worlds.trajectories import make_trajectory

    world = make_world(seed, kind)
    truth = make_trajectory(world, family, num_frames, 16.0, seed, width, height, variant=variant)
    rendered = perturb_trajectory(truth, rotation_drift_deg=rotation_drift_deg)
    key = json.dumps([world.spec(), rendered.c2w.round(9).tolist(), width, height])
    path = cache_dir() / "pose_validation" / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.npz"
    if path.is_file():
        with np.load(path) as data:
            return OracleClip(data["frames"], data["depth"], truth, rendered)
    frames, depth = world.render_trajectory(rendered, width, height)
    with atomic_path(path) as temporary:
        np.savez(temporary, frames=frames, depth=depth)
    return OracleClip(frames, depth, truth, rendered)


def measure(clip: OracleClip, config: AnnotatorConfig) -> dict:
    """Annotate ``clip`` with its exact depth and score the result against ``clip.truth``:
    all protocol metrics plus translation error as a share of the path, the metric path-length
    ratio, and the annotator's own summary."""
    result = annotate(clip.frames, clip.truth.intrinsics[0], config, ExactDepth(clip.depth))
    return score_annotation(result, clip.truth)


def score_annotation(result: Annotation | AnnotationFailure, truth: Trajectory) -> dict:
    est = np.repeat(np.eye(4)[None], len(truth), axis=0)
    valid = result.valid
    if isinstance(result, Annotation):
        est[valid] = result.c2w[valid]
    metrics, _ = camera_metrics.score(est, truth.c2w, valid, truth.fps)
    path = truth.path_length()
    metrics["trans_err_pct_of_path/wmbench"] = 100 * metrics["trans_err_m/wmbench"] / path
    if isinstance(result, Annotation) and result.metric and valid.all():
        travelled = float(np.linalg.norm(np.diff(est[:, :3, 3], axis=0), axis=1).sum())
        metrics["metric_path_length_ratio"] = travelled / path
    summary = {k: v for k, v in result.summary.to_dict().items() if k != "config"}
    return {"metrics": metrics, "annotator": summary, "path_length_m": path}


def linear_fit(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Least-squares ``y = intercept + slope * x`` and its coefficient of determination."""
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (intercept + slope * x)
    total = ((y - y.mean()) ** 2).sum()
    r2 = 1.0 - (residual**2).sum() / total if total > 0 else float("nan")
    return {"slope": float(slope), "intercept": float(intercept), "r2": float(r2)}


def drift_recovery(
    kind: str,
    family: str,
    seed: int,
    num_frames: int,
    width: int,
    height: int,
    drifts_deg: tuple[float, ...],
    config: AnnotatorConfig,
    metrics: tuple[str, ...] = ("rot_err_deg/wmbench", "rot_err_rad_sum/cami2v"),
    variant: str | None = None,
) -> dict:
    """Measured against predicted error for renders with each rotation drift, per metric."""
    points = []
    for drift in drifts_deg:
        clip = oracle_clip(kind, family, seed, num_frames, width, height, drift, variant)
        predicted, _ = camera_metrics.score(clip.rendered.c2w, clip.truth.c2w, None, 16.0)
        measured = measure(clip, config)["metrics"]
        points.append({"drift_deg": drift, **{
            name: {"predicted": predicted[name], "measured": measured[name]} for name in metrics
        }})  # fmt: skip
    fits = {
        name: linear_fit(
            np.array([p[name]["predicted"] for p in points]),
            np.array([p[name]["measured"] for p in points]),
        )
        for name in metrics
    }
    return {"points": points, "fits": fits}


# Poses of two runs on the same input agree to this (metres; rotation entries): far below the
# annotator's floor. Not bit for bit: SIFT matching is approximate (FLANN trees are randomised)
# and exact matching costs 3-5x the matching time.
REPEAT_ATOL = 1e-5


def rerun_gap(a: Annotation | AnnotationFailure, b: Annotation | AnnotationFailure) -> float:
    """How far two annotations of the same input are apart: the largest pose-entry difference
    when both succeeded with the same frame statuses, 0 when both failed for the same reason,
    and inf otherwise. A gap above ``REPEAT_ATOL`` means the pipeline is not reproducible."""
    if isinstance(a, AnnotationFailure) or isinstance(b, AnnotationFailure):
        same = isinstance(a, AnnotationFailure) and isinstance(b, AnnotationFailure)
        return 0.0 if same and a.reason == b.reason else float("inf")
    if not np.array_equal(a.status, b.status):
        return float("inf")
    both = a.valid & b.valid
    return float(np.abs(a.c2w[both] - b.c2w[both]).max(initial=0.0))


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=float) + "\n")
