"""``camera``: how well the generated video follows the requested camera path.

The video's cameras come from a pose estimator (:mod:`pose_pipeline.estimators`): ``pycolmap``
by default (pycolmap SfM with the requested intrinsics fixed; metric scale from the generation's
exact depth when a synthetic oracle gives it, else from the metric monocular depth model when
its weights are in the local store), ``file`` (poses computed elsewhere; used for a case whenever
the model's generation names a folder of them, ``Generation.info[POSES_DIR]``) or ``pi3``. The
suite chooses it (``evaluator_options: {camera: {estimator: NAME, ...options}}``); the estimator
and its settings are part of the evaluator's identity (:meth:`CameraEvaluator.identity`, filed
with every model's metrics) and of its note in ``run.json``. The estimate is compared with the
requested trajectory under four protocols, defined in :mod:`wmbench.evaluators.camera_metrics`:
``cami2v`` (sums, radians, per-trajectory normalisation), ``worldscore`` (per-frame means,
degrees, one fitted translation scale), ``wmbench`` (the default: Sim(3)-aligned per-frame means
in degrees and metres, plus 10 s windows as series) and ``sanawm`` (SANA-WM-Bench's scripts:
every 4th frame, all-frame extrinsic alignment; frame 0 dropped for refined outputs,
``Generation.info[REFINED]``). The first three need a pose for every frame: for an estimator
that gives fewer (``pi3``: every 4th) they are blank.

Frames the estimator could not place are scored as the static-camera baseline (the camera
frozen at the first frame's pose), never dropped; a video that cannot be reconstructed at all
scores that baseline everywhere, with ``annotation_failed`` = 1, and ``pose_failures/sanawm``
counts the failed frames ``sanawm`` scores. Every case saves its estimate as the artefact
``poses`` (``poses.npz``: :meth:`EstimatedPoses.to_arrays` plus the requested path, fps and the
refined flag), from which :func:`score_saved` recomputes every protocol (``wmbench rescore``).
The annotator's own floor (its error on oracle videos of synthetic worlds) is measured by
``benchmarks/bench_pose.py`` and read back by :meth:`CameraEvaluator.notes`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from pose_pipeline import AnnotatorConfig, ExactDepth
from pose_pipeline.estimators import (
    DEFAULT,
    EstimatedPoses,
    FileEstimator,
    PoseEstimator,
    PoseRequest,
    build,
)
from pose_pipeline.scale import DepthSource
from wmbench.core import weights
from wmbench.core.errors import InputError
from wmbench.core.paths import shipped
from wmbench.evaluators import camera_metrics
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec, SharedKey
from wmbench.models.base import POSES_DIR, REFINED

FLOOR_REPORT = shipped("pose_floor.json")
MONOCULAR_SCENE = "indoor"
POSES = SharedKey[EstimatedPoses]("poses")
ARTEFACT = "poses"


def score_poses(
    poses: EstimatedPoses,
    requested: np.ndarray,
    fps: float,
    refined: bool,
    window_s: float = camera_metrics.DEFAULT_WINDOW_S,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Every protocol's pose-error metrics and series of ``poses`` against the requested
    camera-to-world path (N, 4, 4): what :meth:`CameraEvaluator.evaluate` and rescoring share."""
    count = len(requested)
    est = np.repeat(np.eye(4)[None], count, axis=0)
    valid, covered = np.zeros(count, dtype=bool), np.zeros(count, dtype=bool)
    inside = poses.frame_index < count
    index, placed = poses.frame_index[inside], poses.valid[inside]
    covered[index] = True
    est[index[placed]] = poses.c2w[inside][placed]
    valid[index[placed]] = True
    if covered.all():
        metrics, series = camera_metrics.score(est, requested, valid, fps, window_s)
    else:
        metrics = dict.fromkeys(camera_metrics.PER_FRAME_METRICS, float("nan"))
        metrics["posed_fraction"] = float(valid[covered].mean()) if covered.any() else 0.0
        series = {}
    if not poses.metric:
        metrics.pop("scale_factor/wmbench")
    sanawm, sanawm_series = camera_metrics.sanawm_score(est, requested, valid, refined)
    return {**metrics, **sanawm}, {**series, **sanawm_series}


def saved_arrays(
    poses: EstimatedPoses, requested: np.ndarray, fps: float, refined: bool, window_s: float
) -> dict[str, np.ndarray]:
    """The ``poses`` artefact: the estimate and everything :func:`score_saved` needs."""
    return {
        **poses.to_arrays(),
        "requested_c2w": requested,
        "fps": np.array(fps),
        "refined": np.array(refined),
        "window_s": np.array(window_s),
    }


def score_saved(
    arrays: dict[str, np.ndarray], source: str | Path
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """:func:`score_poses` from a saved ``poses`` artefact (InputError naming ``source``)."""
    for key in ("requested_c2w", "fps", "refined", "window_s"):
        if key not in arrays:
            raise InputError(source, key, "a poses artefact written by the camera evaluator")
    poses = EstimatedPoses.from_arrays(arrays, source)
    return score_poses(
        poses, np.asarray(arrays["requested_c2w"], dtype=np.float64), float(arrays["fps"]),
        bool(arrays["refined"]), float(arrays["window_s"]),
    )  # fmt: skip


def _digest(settings: dict[str, Any]) -> str:
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


class CameraEvaluator(Evaluator):
    """Camera-control accuracy under the ``cami2v``, ``worldscore``, ``wmbench`` and
    ``sanawm`` protocols, from the poses of a pose estimator."""

    name = "camera"
    version = "2"

    def __init__(
        self,
        config: AnnotatorConfig | None = None,
        window_s: float = camera_metrics.DEFAULT_WINDOW_S,
        monocular_depth: bool = True,
        estimator: str = DEFAULT,
        **estimator_options: Any,
    ) -> None:
        super().__init__()
        if config is not None:
            estimator_options = {**estimator_options, "config": config}
        self.estimator: PoseEstimator = build(estimator, estimator_options)
        self.window_s = window_s
        self.monocular_depth = monocular_depth

    def identity(self) -> str:
        settings = self.estimator.settings()
        return f"{self.version}; poses {self.estimator.name} {_digest(settings)}"

    def check_available(self) -> None:
        self.estimator.check_available()

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
            MetricSpec("rot_err_deg/sanawm", False, deg, "mean geodesic rotation error over "
                       "every 4th frame after SANA-WM-Bench's all-frame extrinsic alignment"),
            MetricSpec("trans_err_rel/sanawm", False, m, "mean distance of camera-to-world "
                       "translations after that alignment (SANA-WM-Bench's TransErr_rel)"),
            MetricSpec("cammc_rel/sanawm", False, "", "mean ||[R|t]_est - [R|t]_gt||_F of "
                       "camera-to-world poses after that alignment (SANA-WM-Bench's CamMC_rel)"),
            MetricSpec("pose_failures/sanawm", False, "frames", "frames sanawm scores that have "
                       "no estimate (scored as the static camera; SANA-WM-Bench skips the scene)"),
        ]  # fmt: skip

    def notes(self) -> str:
        """The pose estimator and its settings, and the annotator's measured floor
        (``reports/pose_floor.json``), printed beside scores: camera errors near it are at the
        limit of what the annotator can resolve."""
        estimator = (f"poses from the `{self.estimator.name}` estimator "
                     f"({json.dumps(self.estimator.settings(), sort_keys=True, default=str)}; "
                     f"`file` poses wherever a model gives a folder of them). ")  # fmt: skip
        return estimator + self._floor()

    def _floor(self) -> str:
        oracle = ("On synthetic data the oracle model's camera scores are the floor at this "
                  "run's own resolution and length.")  # fmt: skip
        if not FLOOR_REPORT.is_file():
            return f"annotator floor not measured (run benchmarks/bench_pose.py). {oracle}"
        floor = json.loads(FLOOR_REPORT.read_text())
        rows = {name: row for name, row in floor.items()
                if isinstance(row, dict) and "rot_err_deg/wmbench" in row}  # fmt: skip
        parts = []
        for metric, unit in (("rot_err_deg/wmbench", "deg"), ("trans_err_m/wmbench", "m")):
            worst = max(rows, key=lambda name: rows[name][metric])
            median = float(np.median([row[metric] for row in rows.values()]))
            parts.append(f"{metric} median {median:.3g} {unit}, worst {rows[worst][metric]:.3g} "
                         f"{unit} ({worst})")  # fmt: skip
        return (
            f"annotator floor on exact renders ({floor.get('clips', '?')}; {len(rows)} paths, "
            f"reports/pose_floor.json): {'; '.join(parts)}. {oracle}"
        )

    def _depth_source(self, inputs: EvalInput) -> DepthSource | None:
        if inputs.generation.depth is not None:
            return ExactDepth(inputs.generation.depth)
        entry = f"depth-anything-v2-metric-{MONOCULAR_SCENE}-small"
        if self.monocular_depth and not weights.missing_files(entry):
            from pose_pipeline.depth_model import MonocularDepth

            threads = getattr(self.estimator, "config", AnnotatorConfig()).num_threads
            return self.network("depth", lambda: MonocularDepth(MONOCULAR_SCENE, threads))
        return None

    def estimator_for(self, inputs: EvalInput) -> PoseEstimator:
        """The suite's estimator, or ``file`` where the generation names a folder of poses."""
        folder = inputs.generation.info.get(POSES_DIR)
        return FileEstimator(folder) if folder else self.estimator

    def estimate_poses(self, inputs: EvalInput) -> EstimatedPoses:
        """The generated video's cameras, computed once per case (:data:`POSES`)."""

        def compute() -> EstimatedPoses:
            estimator = self.estimator_for(inputs)
            trajectory = inputs.trajectory
            frames = inputs.video.frames[: len(trajectory)]
            if trajectory.image_size != inputs.video.size:
                trajectory = trajectory.resized(*inputs.video.size)
            depth = self._depth_source(inputs) if estimator.uses_depth else None
            request = PoseRequest(inputs.case.id, frames, trajectory.intrinsics[0], depth)
            return estimator.estimate(request)

        return inputs.shared(POSES, compute)

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        requested, fps = inputs.trajectory.c2w, inputs.trajectory.fps
        poses = self.estimate_poses(inputs)
        refined = bool(inputs.generation.info.get(REFINED, False))
        metrics, series = score_poses(poses, requested, fps, refined, self.window_s)
        metrics.update(_estimator_metrics(poses))
        artefact = saved_arrays(poses, requested, fps, refined, self.window_s)
        return EvalResult(metrics, series, {ARTEFACT: artefact})


def _estimator_metrics(poses: EstimatedPoses) -> dict[str, float]:
    """``annotation_failed``, and the annotator's own figures where ``pycolmap`` estimated."""
    failed = bool(poses.failure) or not poses.valid.any()
    annotation = poses.annotation
    if annotation is None:
        return {"annotation_failed": float(failed)}
    summary = annotation.summary
    metrics = {
        "registration_rate": float(summary.get("registration_rate", 0.0)),
        "annotation_failed": float(failed),
        "annotator_seconds": float(summary.get("total_s", 0.0)),
        "annotator_low_confidence_fraction": float(
            summary.get("low_confidence_frames", len(poses.valid)) / len(poses.valid)
        ),
    }
    if not poses.failure:
        metrics["annotator_reproj_err_px"] = float(summary.get("mean_reproj_err_px", np.nan))
    if poses.metric:
        metrics["annotator_depth_spread"] = float(summary["scale"]["spread"])
    return metrics
