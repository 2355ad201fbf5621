"""``local_control``: how well each second's motion follows the request (relative pose error).

RPE as evo defines it (MichaelGrupp/evo ``evo/core/metrics.py`` class ``RPE`` with
``delta_unit=Unit.frames``, ``all_pairs=False``, and ``evo/core/filters.py``
``filter_pairs_by_index``, read at 8df82fb / 02751b2): frames ``0, d, 2d, ...`` taken in
consecutive pairs ``(i, i + d)``; for each pair the relative motions of the reference ``Q`` and
the estimate ``P``, ``Q_rel = inv(Q_i) Q_j`` and ``P_rel = inv(P_i) P_j``, give the error pose
``E = inv(Q_rel) P_rel``; ``PoseRelation.rotation_angle_deg`` is the angle of ``E``'s rotation
in degrees and ``PoseRelation.translation_part`` the norm of ``E``'s translation.

Here the reference is the requested path and the estimate the generated video's cameras (the
``camera`` evaluator's pose estimator, shared per case), its translations multiplied by the
``wmbench`` protocol's Sim(3) scale (:func:`wmbench.evaluators.camera_metrics.sim3_alignment`),
so translations are in metres; relative poses do not depend on the alignment's rotation and
offset. Two steps: ``1s`` (d = the video's frames per second, rounded) and ``control_step``
(d = the frames per control input the model conditions on: ``Generation.control_step_frames``,
else the evaluator's ``control_step_frames``, 4 by default: one pose per latent frame of the
Wan / HunyuanVideo / LTX-style VAEs). A pair with an endpoint the estimator could not place
scores the static camera (``P_rel`` = identity), never dropped. Per step: mean and RMSE over
pairs (evo's ``mean`` and ``rmse`` statistics), the per-pair series with each pair's start time
and the means over consecutive windows of ``window_s`` seconds (by start frame).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from wmbench.evaluators import camera_metrics
from wmbench.evaluators.base import EvalInput, EvalResult, MetricSpec, SetMetric
from wmbench.evaluators.camera import CameraEvaluator
from wmbench.evaluators.camera_scoring import placed
from wmbench.evaluators.identity import EvaluatorIdentity
from wmbench.models.controls.poses import LATENT_STRIDE

STEPS = ("1s", "control_step")


@dataclass(frozen=True)
class RelativePoseErrors:
    """Per pair (K,): start and end frames, rotation error in degrees, translation error in
    the units of the poses."""

    start: np.ndarray
    end: np.ndarray
    rot_deg: np.ndarray
    trans: np.ndarray


def pair_indices(num_frames: int, delta: int) -> tuple[np.ndarray, np.ndarray]:
    """evo's consecutive pairs for an index step ``delta``: ids 0, d, 2d, ... paired in turn."""
    if delta < 1:
        raise ValueError(f"the RPE step must be a positive number of frames, got {delta}")
    ids = np.arange(0, num_frames, delta)
    return ids[:-1], ids[1:]


def relative_pose_errors(
    est: np.ndarray, ref: np.ndarray, delta: int, valid: np.ndarray | None = None
) -> RelativePoseErrors:
    """RPE of camera-to-world ``est`` against ``ref`` (N, 4, 4) at step ``delta`` frames; pairs
    with an endpoint not ``valid`` take the static camera's relative motion (identity)."""
    start, end = pair_indices(len(ref), delta)
    ref_rel = np.linalg.inv(ref[start]) @ ref[end]
    est_rel = np.linalg.inv(est[start]) @ est[end]
    if valid is not None:
        placed = valid[start] & valid[end]
        est_rel[~placed] = np.eye(4)
    error = np.linalg.inv(ref_rel) @ est_rel
    rot = np.degrees(camera_metrics.rotation_angle(np.eye(3), error[:, :3, :3]))
    return RelativePoseErrors(start, end, rot, np.linalg.norm(error[:, :3, 3], axis=1))


def window_means(values: np.ndarray, start_s: np.ndarray, window_s: float) -> np.ndarray:
    """Means of ``values`` over consecutive windows of ``window_s`` seconds by start time."""
    window = np.floor(start_s / window_s).astype(int)
    count = int(window.max()) + 1 if len(window) else 0
    sums = np.bincount(window, weights=values, minlength=count)
    counts = np.bincount(window, minlength=count)
    with np.errstate(invalid="ignore"):
        return sums / counts


def metric_scale(est: np.ndarray, ref: np.ndarray, valid: np.ndarray) -> float:
    """The ``wmbench`` protocol's Sim(3) scale of the valid estimate (1 with fewer than two)."""
    if valid.sum() < 2:
        return 1.0
    return camera_metrics.sim3_alignment(est[valid], ref[valid]).scale


def score_rpe(
    est: np.ndarray,
    ref: np.ndarray,
    valid: np.ndarray,
    steps: dict[str, int],
    fps: float,
    window_s: float,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Metrics and series of every step (name -> frames), the estimate's translations scaled by
    :func:`metric_scale` first."""
    scaled = est.copy()
    scaled[:, :3, 3] *= metric_scale(est, ref, valid)
    metrics: dict[str, float] = {}
    series: dict[str, np.ndarray] = {}
    for name, delta in steps.items():
        errors = relative_pose_errors(scaled, ref, delta, valid)
        start_s = errors.start / fps
        for kind, values in (("rot_deg", errors.rot_deg), ("trans_m", errors.trans)):
            empty = not len(values)
            metrics[f"rpe_{kind}/{name}"] = np.nan if empty else float(values.mean())
            metrics[f"rpe_{kind}_rmse/{name}"] = (
                np.nan if empty else float(np.sqrt((values**2).mean()))
            )
            series[f"{name}/{kind}"] = values
            series[f"{name}/window_{kind}"] = window_means(values, start_s, window_s)
        series[f"{name}/start_s"] = start_s
        series[f"{name}/step_frames"] = np.array([delta])
    return metrics, series


class CameraPoses(CameraEvaluator):
    """Base of the evaluators built on the ``camera`` evaluator's poses: its options (the pose
    estimator), its identity and the case's shared estimate, without its set metrics or notes
    (those stay with ``camera``)."""

    requires = ("camera",)  # its poses (:data:`camera.POSES`), estimated with the suite's options

    def set_metrics(self) -> list[SetMetric]:
        return []

    def notes(self) -> str | None:  # type: ignore[override]
        return None


class LocalControl(CameraPoses):
    """Relative pose error at 1 s and at the model's control step (see the module); takes the
    ``camera`` evaluator's options (the pose estimator) and shares its poses per case."""

    name = "local_control"
    version = "1"

    def __init__(self, control_step_frames: int = LATENT_STRIDE, **camera_options: object) -> None:
        super().__init__(**camera_options)  # type: ignore[arg-type]
        self.control_step_frames = int(control_step_frames)

    def metric_specs(self) -> list[MetricSpec]:
        steps = {"1s": "1 s", "control_step": "the model's control step"}
        specs = []
        for step, words in steps.items():
            specs += [
                MetricSpec(f"rpe_rot_deg/{step}", False, "deg", f"mean rotation RPE over {words} "
                           "(evo RPE, rotation angle in degrees)"),
                MetricSpec(f"rpe_trans_m/{step}", False, "m", f"mean translation RPE over {words} "
                           "(evo RPE, translation part, after the wmbench Sim(3) scale)"),
                MetricSpec(f"rpe_rot_deg_rmse/{step}", False, "deg", f"RMS rotation RPE over "
                           f"{words}"),
                MetricSpec(f"rpe_trans_m_rmse/{step}", False, "m", f"RMS translation RPE over "
                           f"{words}"),
            ]  # fmt: skip
        return specs

    def identity(self) -> EvaluatorIdentity:
        return replace(super().identity(), control_step_frames=self.control_step_frames)

    def steps(self, inputs: EvalInput) -> dict[str, int]:
        """Frames per step: ``1s`` and ``control_step`` (the generation's own, when it says)."""
        control = inputs.generation.control_step_frames or self.control_step_frames
        return {"1s": max(1, round(inputs.trajectory.fps)), "control_step": control}

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        requested = inputs.trajectory.c2w
        first = inputs.first_frame  # poses index the written video; frame 0 of a refined one
        # is not scored
        est, valid, covered = placed(self.estimate_poses(inputs), first + len(requested), first)
        if not covered:  # the estimator gives every k-th frame only (pi3)
            return EvalResult({spec.name: float("nan") for spec in self.metric_specs()})
        fps = inputs.trajectory.fps
        metrics, series = score_rpe(est, requested, valid, self.steps(inputs), fps, self.window_s)
        return EvalResult(metrics, series)
