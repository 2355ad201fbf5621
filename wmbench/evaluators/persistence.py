"""``persistence``: does the geometry come back the same when the camera returns?

On each revisit of :mod:`wmbench.evaluators.revisit_geometry` (the annotator's reconstruction
of the generated video; weight-free), from the lifted SIFT matches between the two visits:

* ``revisit_match_agreement``: the share of matches whose transfer error (first-visit 3D point
  projected through the reconstructed second-visit camera, against the matched keypoint) is
  under ``AGREE`` of the frame width: matches that agree with the reconstructed geometry;
* ``revisit_reproj_err_px``: the mean transfer error, each capped at ``CAP`` of the width (one
  mismatch cannot dominate), in pixels of the video;
* ``revisit_loop_residual_deg`` / ``_m``: the loop residual, how far the second-visit camera
  that the first visit's points imply (RANSAC PnP on the matches, threshold ``AGREE``) lies from
  the one the reconstruction placed: rotation angle in degrees, camera-centre distance in metres
  (the annotation's metric scale, else the ``wmbench`` Sim(3) scale).

Per case the mean over revisits; per revisit as series. NaN when the estimator gives no
reconstruction (``file``, ``pi3``), the path has no revisit, or a revisit has fewer than
``MIN_MATCHES`` lifted matches (the count of judged revisits is in the series).
"""

from __future__ import annotations

import cv2
import numpy as np

from wmbench.evaluators import camera_metrics
from wmbench.evaluators.base import EvalInput, EvalResult, MetricSpec
from wmbench.evaluators.local_control import CameraPoses
from wmbench.evaluators.revisit_geometry import (
    MIN_MATCHES,
    RevisitScene,
    Transfer,
    case_revisits,
    per_revisit_result,
)

AGREE = 0.01  # of the width: transfer errors under it agree with the geometry
CAP = 0.1  # of the width: each transfer error capped at it in the mean
PNP_ITERATIONS = 500
METRICS = ("revisit_match_agreement", "revisit_reproj_err_px", "revisit_loop_residual_deg",
           "revisit_loop_residual_m")  # fmt: skip


def agreement(errors: np.ndarray, width: int) -> tuple[float, float]:
    """Share of transfer ``errors`` under ``AGREE * width`` and their mean capped at
    ``CAP * width`` (NaN with fewer than ``MIN_MATCHES``)."""
    if len(errors) < MIN_MATCHES:
        return float("nan"), float("nan")
    return float((errors < AGREE * width).mean()), float(np.minimum(errors, CAP * width).mean())


def loop_residual(scene: RevisitScene, matches: Transfer, width: int) -> tuple[float, float]:
    """Rotation (deg) and centre distance (pose units) between the reconstructed second-visit
    camera and the one RANSAC PnP finds from the first visit's points (NaN when it fails)."""
    if len(matches.errors) < MIN_MATCHES:
        return float("nan"), float("nan")
    cv2.setRNGSeed(0)
    found, rvec, tvec, inliers = cv2.solvePnPRansac(
        matches.points.astype(np.float64), matches.second_xy.astype(np.float64), scene.K, None,
        iterationsCount=PNP_ITERATIONS, reprojectionError=AGREE * width,
        flags=cv2.SOLVEPNP_EPNP,
    )  # fmt: skip
    if not found or inliers is None or len(inliers) < MIN_MATCHES:
        return float("nan"), float("nan")
    rotation = cv2.Rodrigues(rvec)[0]
    w2c = np.linalg.inv(scene.second_c2w)
    angle = np.degrees(camera_metrics.rotation_angle(rotation[None], w2c[None, :3, :3]))[0]
    centre = -rotation.T @ tvec.ravel()
    return float(angle), float(np.linalg.norm(centre - scene.second_c2w[:3, 3]))


def revisit_metrics(scene: RevisitScene, matches: Transfer, width: int, scale: float) -> tuple:
    """The four metrics of one revisit (see the module), centre distance in metres."""
    agree, error = agreement(matches.errors, width)
    angle, distance = loop_residual(scene, matches, width)
    return agree, error, angle, distance * scale


class Persistence(CameraPoses):
    """Geometric persistence on return (see the module); takes the ``camera`` evaluator's
    options (the pose estimator) and shares its poses and the revisits per case."""

    name = "persistence"
    version = "1"

    def metric_specs(self) -> list[MetricSpec]:
        return [
            MetricSpec("revisit_match_agreement", True, "", "share of SIFT matches between the "
                       "two visits of a place that agree with the annotator's reconstruction "
                       f"(transfer error under {AGREE:g} of the width)"),
            MetricSpec("revisit_reproj_err_px", False, "px", "mean reprojection error of "
                       "first-visit points at the matched second-visit keypoints (each capped at "
                       f"{CAP:g} of the width)"),
            MetricSpec("revisit_loop_residual_deg", False, "deg", "rotation between the "
                       "reconstructed second-visit camera and the one the first visit's points "
                       "imply (PnP)"),
            MetricSpec("revisit_loop_residual_m", False, "m", "camera-centre distance between "
                       "the reconstructed second-visit camera and the one the first visit's "
                       "points imply (PnP)"),
        ]  # fmt: skip

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        revisits = case_revisits(self, inputs)
        width = inputs.video.size[0]
        rows = [
            revisit_metrics(s, t, width, revisits.scale)
            for s, t in zip(revisits.scenes, revisits.transfers, strict=True)
        ]
        result = per_revisit_result(METRICS, rows, revisits.scenes)
        result.series["revisits/matches"] = np.array([len(t.errors) for t in revisits.transfers])
        return result
