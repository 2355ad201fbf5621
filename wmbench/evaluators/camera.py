"""``camera``: how well the generated video follows the requested camera path.

The video's cameras are estimated with :mod:`pose_pipeline` (pycolmap SfM with the requested
intrinsics fixed; metric scale from the generation's exact depth when a synthetic oracle gives
it, else from the metric monocular depth model when its weights are in the local store) and
compared with the requested trajectory under three protocols, defined in
:mod:`wmbench.evaluators.camera_metrics`: ``cami2v`` (sums, radians, per-trajectory normalisation),
``worldscore`` (per-frame means, degrees, one fitted translation scale) and ``wmbench`` (the
default: Sim(3)-aligned per-frame means in degrees and metres, plus 10 s windows as series).

Frames the annotator could not place are scored as the static-camera baseline (the camera
frozen at the first frame's pose), never dropped; a video that cannot be reconstructed at all
scores that baseline everywhere, with ``annotation_failed`` = 1. The annotator's own floor
(its error on oracle videos of synthetic worlds) is measured by ``benchmarks/bench_pose.py`` and
read back by :meth:`CameraEvaluator.notes` to print beside scores.
"""

from __future__ import annotations

import json

import numpy as np

from pose_pipeline import Annotation, AnnotationFailure, AnnotatorConfig, ExactDepth, annotate
from pose_pipeline.scale import DepthSource
from wmbench.core import weights
from wmbench.core.paths import REPO_ROOT
from wmbench.evaluators import camera_metrics
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec, SharedKey

FLOOR_REPORT = REPO_ROOT / "reports" / "pose_floor.json"
MONOCULAR_SCENE = "indoor"


POSES = SharedKey[Annotation | AnnotationFailure]("poses")


class CameraEvaluator(Evaluator):
    """Camera-control accuracy under the ``cami2v``, ``worldscore`` and ``wmbench`` protocols."""

    name = "camera"
    version = "1"

    def __init__(
        self,
        config: AnnotatorConfig | None = None,
        window_s: float = camera_metrics.DEFAULT_WINDOW_S,
        monocular_depth: bool = True,
    ) -> None:
        super().__init__()
        self.config = config or AnnotatorConfig()
        self.window_s = window_s
        self.monocular_depth = monocular_depth

    def metric_specs(self) -> list[MetricSpec]:
        rad, deg, m = "rad", "deg", "m"
        return [
            MetricSpec("rot_err_rad_sum/cami2v", False, rad, "sum over frames of the rotation "
                       "error relative to frame 0 (CamI2V)"),
            MetricSpec("trans_err_sum/cami2v", False, "", "sum over frames of the translation "
                       "error, each path divided by its largest translation (CamI2V)"),
            MetricSpec("cammc_sum/cami2v", False, "", "sum over frames of ||[R|t]_est - "
                       "[R|t]_gt||_F, CamI2V normalisation"),
            MetricSpec("rot_err_deg/worldscore", False, deg, "mean rotation error relative to "
                       "frame 0, no alignment (WorldScore)"),
            MetricSpec("trans_err/worldscore", False, m, "mean translation error after one "
                       "least-squares scale (WorldScore)"),
            MetricSpec("rot_err_deg/wmbench", False, deg, "mean rotation error after Sim(3) "
                       "alignment of camera centres"),
            MetricSpec("trans_err_m/wmbench", False, m, "mean camera-centre error after Sim(3) "
                       "alignment"),
            MetricSpec("cammc/wmbench", False, "", "mean ||[R|c]_est - [R|c]_gt||_F after "
                       "Sim(3) alignment"),
            MetricSpec("scale_factor/wmbench", True, "", "Sim(3) scale taking the metric "
                       "estimate to the truth (1 is right; only when the estimate is metric)"),
            MetricSpec("posed_fraction", True, "", "frames with an estimated pose"),
            MetricSpec("registration_rate", True, "", "keyframes registered by SfM"),
            MetricSpec("annotation_failed", False, "", "1 when no reconstruction was possible"),
            MetricSpec("annotator_reproj_err_px", False, "px", "mean SfM reprojection error"),
            MetricSpec("annotator_seconds", False, "s", "time spent annotating the video"),
            MetricSpec("annotator_low_confidence_fraction", False, "", "share of frames whose "
                       "pose the reconstruction supports weakly (confidence < 0.5; failed frames "
                       "count)"),
            MetricSpec("annotator_depth_spread", False, "", "median relative deviation of "
                       "metric/SfM depth ratios: large when the reconstruction disagrees with the "
                       "depth (only with metric scale)"),
        ]  # fmt: skip

    def notes(self) -> str:
        """The annotator's measured floor (``reports/pose_floor.json``), printed beside scores:
        camera errors near it are at the limit of what the annotator can resolve."""
        oracle = ("On synthetic data the oracle model's camera scores are the floor at this "
                  "run's own resolution and length.")  # fmt: skip
        if not FLOOR_REPORT.is_file():
            return f"annotator floor not measured (run benchmarks/bench_pose.py). {oracle}"
        floor = json.loads(FLOOR_REPORT.read_text())
        families = [
            f"{family} {row['rot_err_deg/wmbench']:.3f} deg, {row['trans_err_m/wmbench']:.4f} m"
            for family, row in floor.items()
            if isinstance(row, dict) and "rot_err_deg/wmbench" in row
        ]
        return (
            f"annotator floor (rot_err_deg/wmbench, trans_err_m/wmbench on exact renders, "
            f"{floor.get('clips', '?')}): {'; '.join(families)}. {oracle}"
        )

    def _depth_source(self, inputs: EvalInput) -> DepthSource | None:
        if inputs.generation.depth is not None:
            return ExactDepth(inputs.generation.depth)
        entry = f"depth-anything-v2-metric-{MONOCULAR_SCENE}-small"
        if self.monocular_depth and not weights.missing_files(entry):
            from pose_pipeline.depth_model import MonocularDepth

            return MonocularDepth(MONOCULAR_SCENE, self.config.num_threads)
        return None

    def estimate_poses(self, inputs: EvalInput) -> Annotation | AnnotationFailure:
        """The generated video's cameras, computed once per case (:data:`POSES`)."""

        def compute() -> Annotation | AnnotationFailure:
            trajectory = inputs.trajectory
            frames = inputs.video.frames[: len(trajectory)]
            if trajectory.image_size != inputs.video.size:
                trajectory = trajectory.resized(*inputs.video.size)
            return annotate(
                frames, trajectory.intrinsics[0], self.config, self._depth_source(inputs)
            )

        return inputs.shared(POSES, compute)

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        gt = inputs.trajectory.c2w
        annotation = self.estimate_poses(inputs)
        est = np.repeat(np.eye(4)[None], len(gt), axis=0)
        valid = np.zeros(len(gt), dtype=bool)
        if isinstance(annotation, Annotation):
            placed = len(annotation.c2w)
            valid[:placed] = annotation.valid
            est[:placed][annotation.valid] = annotation.c2w[annotation.valid]
        metrics, series = camera_metrics.score(est, gt, valid, inputs.trajectory.fps, self.window_s)
        metric_scale = isinstance(annotation, Annotation) and annotation.metric
        if metric_scale:
            metrics["annotator_depth_spread"] = float(annotation.summary["scale"]["spread"])
        else:
            metrics.pop("scale_factor/wmbench")
        summary = annotation.summary
        metrics.update(
            registration_rate=float(summary.get("registration_rate", 0.0)),
            annotation_failed=float(isinstance(annotation, AnnotationFailure)),
            annotator_reproj_err_px=float(summary.get("mean_reproj_err_px", np.nan)),
            annotator_seconds=float(summary.get("total_s", 0.0)),
            annotator_low_confidence_fraction=float(
                summary.get("low_confidence_frames", len(gt)) / len(gt)
            ),
        )
        if isinstance(annotation, AnnotationFailure):
            metrics.pop("annotator_reproj_err_px")
        return EvalResult(metrics, series)
