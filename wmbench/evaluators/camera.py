"""``camera``: how well the generated video follows the requested camera path.

The video's cameras come from a pose estimator (:mod:`pose_pipeline.estimators`): ``pycolmap``
by default (pycolmap SfM with the requested intrinsics fixed; metric scale from the generation's
exact depth when a synthetic oracle gives it, else from the metric monocular depth model when
its weights are in the local store), ``file`` (poses computed elsewhere; used for a case whenever
the model's generation names them, ``Generation.poses``) or ``pi3``. The suite chooses it
(``evaluator_options: {camera: {estimator: NAME, ...options}}``), and may name a separate
estimator for ``sanawm`` (``sanawm_estimator: pi3``, used when it can run here; otherwise the
run says once that Table-2-comparable numbers need it). The estimators and their settings are
part of the evaluator's identity (:meth:`CameraEvaluator.identity`, filed with every model's
metrics) and of its note in ``run.json``. The estimate is compared with the requested trajectory
under four protocols, defined in :mod:`wmbench.evaluators.camera_metrics`: ``cami2v`` (sums,
radians, per-trajectory normalisation), ``worldscore`` (per-frame means, degrees, one fitted
translation scale), ``wmbench`` (the default: Sim(3)-aligned per-frame means in degrees and
metres, plus 10 s windows as series) and ``sanawm`` (SANA-WM-Bench's scripts: every 4th frame,
all-frame extrinsic alignment). The first three need a pose for every frame: for an estimator
that gives fewer (``pi3``: every 4th) they are blank. A ``sanawm`` number from another
estimator than Pi3 is named ``*/sanawm@<estimator>`` (:mod:`wmbench.evaluators.camera_scoring`).

Refined generations: poses are estimated on the written video; every protocol drops frame 0.
Failures: frames the estimator could not place score the static-camera baseline (the camera
frozen at the first frame's pose) in every protocol. A video that cannot be reconstructed at all
scores that baseline everywhere in ``wmbench``, ``cami2v`` and ``worldscore`` (penalised, with
``annotation_failed`` = 1), while ``sanawm`` leaves it out and counts it in
``failed_cases/sanawm*``, as SANA's script does. Every case saves its estimate(s) as the artefact
``poses`` (``poses.npz``), from which
:func:`~wmbench.evaluators.camera_scoring.score_saved` recomputes every protocol
(``wmbench rescore``). The annotator's own floor (its error on oracle videos of synthetic
worlds) is measured by ``benchmarks/bench_pose.py`` and read back by
:meth:`CameraEvaluator.notes`.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from pose_pipeline import AnnotatorConfig, ExactDepth
from pose_pipeline.estimators import (
    DEFAULT,
    ESTIMATORS,
    EstimatedPoses,
    FileEstimator,
    PoseEstimator,
    PoseRequest,
    build,
)
from pose_pipeline.scale import DepthSource
from wmbench.core import weights
from wmbench.core.digest import digest
from wmbench.core.errors import MissingWeightsError
from wmbench.core.paths import shipped
from wmbench.core.types import Video
from wmbench.evaluators import camera_metrics
from wmbench.evaluators.base import (
    EvalInput,
    EvalResult,
    Evaluator,
    MetricSpec,
    SetMetric,
    SharedKey,
)
from wmbench.evaluators.camera_scoring import (
    PUBLISHED_ESTIMATOR,
    SANAWM,
    FailedCases,
    protocol_label,
    saved_arrays,
    score_poses,
)
from wmbench.evaluators.identity import EstimatorIdentity, EvaluatorIdentity

FLOOR_REPORT = shipped("pose_floor.json")
MONOCULAR_SCENE = "indoor"
POSES = SharedKey[EstimatedPoses]("poses")
SANAWM_POSES = SharedKey[EstimatedPoses]("poses/sanawm")
ARTEFACT = "poses"


class CameraEvaluator(Evaluator):
    """Camera-control accuracy under the ``cami2v``, ``worldscore``, ``wmbench`` and
    ``sanawm`` protocols, from the poses of a pose estimator."""

    name = "camera"
    version = "3"

    def __init__(
        self,
        config: AnnotatorConfig | None = None,
        window_s: float = camera_metrics.DEFAULT_WINDOW_S,
        monocular_depth: bool = True,
        estimator: str = DEFAULT,
        sanawm_estimator: str = "",
        **estimator_options: Any,
    ) -> None:
        super().__init__()
        if config is not None:
            estimator_options = {**estimator_options, "config": config}
        self.estimator: PoseEstimator = build(estimator, estimator_options)
        self.window_s = window_s
        self.monocular_depth = monocular_depth
        self.sanawm_estimator: PoseEstimator | None = None
        self.limitation = ""
        if sanawm_estimator and sanawm_estimator != self.estimator.name:
            self._choose_sanawm(build(sanawm_estimator))

    def _choose_sanawm(self, candidate: PoseEstimator) -> None:
        """Use ``candidate`` for ``sanawm`` where it can run; else say once what that costs."""
        try:
            candidate.check_available()
        except MissingWeightsError as error:
            published = PUBLISHED_ESTIMATOR[SANAWM]
            self.limitation = (
                f"SANA-WM-Bench Table 2 / Table 8-comparable camera numbers need {published} "
                f"({error}); this run reports `{self.estimator.name}` ones as "
                f"`*/{protocol_label(SANAWM, self.estimator.name)}`, in a row of their own"
            )
            return
        self.sanawm_estimator = candidate

    def identity(self) -> EvaluatorIdentity:
        poses = EstimatorIdentity(self.estimator.name, digest(self.estimator.settings(), 8))
        sanawm = self.sanawm_estimator
        return EvaluatorIdentity(
            self.version,
            poses,
            None
            if sanawm is None
            else EstimatorIdentity(sanawm.name, digest(sanawm.settings(), 8)),
        )

    def limitations(self) -> list[str]:
        return [self.limitation] if self.limitation else []

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
                       "sum-of-norms scale (WorldScore)"),
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
            *self._sanawm_specs(protocol_label(SANAWM, self.sanawm_instrument())),
        ]  # fmt: skip

    def _sanawm_specs(self, label: str) -> list[MetricSpec]:
        deg, m = "deg", "m"
        return [
            MetricSpec(f"rot_err_deg/{label}", False, deg, "mean geodesic rotation error over "
                       "every 4th frame after SANA-WM-Bench's all-frame extrinsic alignment"),
            MetricSpec(f"trans_err_rel/{label}", False, m, "mean distance of camera-to-world "
                       "translations after that alignment (SANA-WM-Bench's TransErr_rel)"),
            MetricSpec(f"cammc_rel/{label}", False, "", "mean ||[R|t]_est - [R|t]_gt||_F of "
                       "camera-to-world poses after that alignment (SANA-WM-Bench's CamMC_rel)"),
            MetricSpec(f"pose_failures/{label}", False, "frames", "frames sanawm scores that "
                       "have no estimate in a scene whose estimate did not fail as a whole "
                       "(scored as the static camera)"),
        ]  # fmt: skip

    def sanawm_instrument(self) -> str:
        """The estimator behind ``sanawm`` where no model gives its own poses."""
        return (self.sanawm_estimator or self.estimator).name

    def set_metrics(self) -> list[SetMetric]:
        """``failed_cases/<label>`` for every label ``sanawm`` can take here (each estimator;
        only those a case used are recorded)."""
        labels = dict.fromkeys(protocol_label(SANAWM, name) for name in ESTIMATORS.names())
        return [FailedCases(label) for label in labels]

    def notes(self) -> str:
        """The pose estimator and its settings, and the annotator's measured floor
        (``reports/pose_floor.json``), printed beside scores: camera errors near it are at the
        limit of what the annotator can resolve."""
        estimator = (f"poses from the `{self.estimator.name}` estimator "
                     f"({json.dumps(self.estimator.settings(), sort_keys=True, default=str)}; "
                     f"`file` poses wherever a model gives a folder of them); `sanawm` from "
                     f"`{self.sanawm_instrument()}`. ")  # fmt: skip
        policy = ("Failures: `sanawm` leaves a scene whose estimate failed out of its means and "
                  "counts it in `failed_cases/sanawm*` (as SANA-WM-Bench's scripts skip it); "
                  "`wmbench`, `cami2v` and `worldscore` penalise it, scoring the static camera "
                  "(a failure costs as much as not moving). ")  # fmt: skip
        limitation = f"{self.limitation}. " if self.limitation else ""
        return limitation + estimator + policy + self._floor()

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
        given = inputs.generation.poses
        return FileEstimator(given.folder) if given else self.estimator

    def _estimate(self, inputs: EvalInput, estimator: PoseEstimator) -> EstimatedPoses:
        """``estimator``'s poses of the written video (frame 0 included: the protocols drop
        it for refined outputs)."""
        video, trajectory = inputs.written()
        frames = video  # read lazily by the estimator
        if len(frames) > len(trajectory):  # a model that gave more frames than asked for
            frames = Video(frames.take(np.arange(len(trajectory))), frames.fps)
        depth = self._depth_source(inputs) if estimator.uses_depth else None
        request = PoseRequest(inputs.case.id, frames, trajectory.intrinsics[0], depth)
        return estimator.estimate(request)

    def estimate_poses(self, inputs: EvalInput) -> EstimatedPoses:
        """The generated video's cameras, computed once per case (:data:`POSES`)."""
        return inputs.shared(POSES, lambda: self._estimate(inputs, self.estimator_for(inputs)))

    def sanawm_poses(self, inputs: EvalInput) -> tuple[EstimatedPoses | None, str]:
        """The poses ``sanawm`` scores (None: the same as :meth:`estimate_poses`) and their
        instrument: a model's own poses count as the estimator it declares (``file`` when it
        declares none); else the suite's ``sanawm_estimator`` when it can run here."""
        given = inputs.generation.poses
        if given is not None:
            return None, given.estimator or FileEstimator.name
        if self.sanawm_estimator is None:
            return None, self.estimator.name
        sanawm = self.sanawm_estimator
        return inputs.shared(SANAWM_POSES, lambda: self._estimate(inputs, sanawm)), sanawm.name

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        _, written = inputs.written()
        requested, fps, first = written.c2w, written.fps, inputs.first_frame
        poses = self.estimate_poses(inputs)
        sanawm, instrument = self.sanawm_poses(inputs)
        metrics, series = score_poses(
            poses, requested, fps, first, self.window_s, sanawm, instrument
        )
        metrics.update(_estimator_metrics(poses))
        artefact = saved_arrays(poses, requested, fps, first, self.window_s, sanawm, instrument)
        return EvalResult(metrics, series, {ARTEFACT: artefact})


def _estimator_metrics(poses: EstimatedPoses) -> dict[str, float]:
    """``annotation_failed``, and the annotator's own figures where ``pycolmap`` estimated."""
    failed = bool(poses.failure) or not poses.valid.any()
    annotation = poses.annotation
    if annotation is None:
        return {"annotation_failed": float(failed)}
    summary = annotation.summary
    low_confidence = summary.low_confidence_frames
    metrics = {
        "registration_rate": float(summary.registration_rate or 0.0),
        "annotation_failed": float(failed),
        "annotator_seconds": float(summary.total_s or 0.0),
        "annotator_low_confidence_fraction": float(
            (len(poses.valid) if low_confidence is None else low_confidence) / len(poses.valid)
        ),
    }
    if not poses.failure:
        reproj = summary.mean_reproj_err_px
        metrics["annotator_reproj_err_px"] = float(np.nan if reproj is None else reproj)
    if poses.metric:
        metrics["annotator_depth_spread"] = float(summary.scale.spread)
    return metrics
