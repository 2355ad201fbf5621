"""``local_control``: relative pose error pinned to hand-derived answers and to evo's own RPE."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pose_pipeline.estimators import EstimatedPoses
from wmbench.core.types import Case, Trajectory, Video
from wmbench.evaluators.base import EvalInput
from wmbench.evaluators.camera import POSES
from wmbench.evaluators.local_control import (
    LocalControl,
    pair_indices,
    relative_pose_errors,
    score_rpe,
    window_means,
)
from wmbench.models.base import Generation

FPS = 16.0


def yaw_path(rate_deg_s: float, num_frames: int, speed: tuple[float, float, float] = (0, 0, 0)):
    """Camera-to-world poses turning about y at a constant rate, walking at ``speed`` m/s."""
    times = np.arange(num_frames) / FPS
    c2w = np.repeat(np.eye(4)[None], num_frames, axis=0)
    c2w[:, :3, :3] = Rotation.from_euler(
        "y", (rate_deg_s * times)[:, None], degrees=True
    ).as_matrix()
    c2w[:, :3, 3] = np.outer(times, speed)
    return c2w


def test_evo_pairs_are_consecutive_steps():
    start, end = pair_indices(10, 3)
    assert start.tolist() == [0, 3, 6] and end.tolist() == [3, 6, 9]
    with pytest.raises(ValueError):
        pair_indices(10, 0)


def test_constant_yaw_rate_error_is_the_rate_difference_times_the_step():
    ref, est = yaw_path(12.0, 161), yaw_path(10.0, 161)
    errors = relative_pose_errors(est, ref, 16)
    np.testing.assert_allclose(errors.rot_deg, 2.0, atol=1e-9)  # 2 deg/s over 1 s
    np.testing.assert_allclose(errors.trans, 0.0, atol=1e-12)
    np.testing.assert_allclose(relative_pose_errors(est, ref, 4).rot_deg, 0.5, atol=1e-9)


def test_a_single_jump_shows_in_the_one_pair_that_spans_it():
    ref = yaw_path(0.0, 161, speed=(1.0, 0.0, 0.0))
    est = ref.copy()
    est[40:, :3, :3] = est[40:, :3, :3] @ Rotation.from_euler("y", 5, degrees=True).as_matrix()
    errors = relative_pose_errors(est, ref, 16)
    spans = (errors.start < 40) & (errors.end >= 40)
    np.testing.assert_allclose(errors.rot_deg[spans], 5.0, atol=1e-9)
    np.testing.assert_allclose(errors.rot_deg[~spans], 0.0, atol=1e-6)
    est = ref.copy()
    est[40:, :3, 3] += [0.0, 0.0, 0.3]  # a 0.3 m side step
    errors = relative_pose_errors(est, ref, 16)
    spans = (errors.start < 40) & (errors.end >= 40)
    np.testing.assert_allclose(errors.trans[spans], 0.3, atol=1e-12)
    np.testing.assert_allclose(errors.trans[~spans], 0.0, atol=1e-12)


def test_translations_are_scaled_to_metres_and_failed_pairs_score_the_static_camera():
    ref = yaw_path(12.0, 161, speed=(0.5, 0.0, 0.2))
    est = ref.copy()
    est[:, :3, 3] *= 0.25  # the SfM unit: the wmbench Sim(3) scale takes it back to metres
    valid = np.ones(161, dtype=bool)
    metrics, series = score_rpe(est, ref, valid, {"1s": 16}, FPS, 5.0)
    assert metrics["rpe_trans_m/1s"] == pytest.approx(0.0, abs=1e-9)
    assert metrics["rpe_rot_deg/1s"] == pytest.approx(0.0, abs=1e-6)
    valid[20] = False  # pair (16, 32): the static camera, which misses a 12 deg turn
    metrics, series = score_rpe(est, ref, valid, {"1s": 16}, FPS, 5.0)
    assert series["1s/rot_deg"][1] == pytest.approx(0.0, abs=1e-6)
    valid[20], valid[32] = True, False
    metrics, series = score_rpe(est, ref, valid, {"1s": 16}, FPS, 5.0)
    assert series["1s/rot_deg"][1] == pytest.approx(12.0)
    assert series["1s/rot_deg"][2] == pytest.approx(12.0)
    assert metrics["rpe_rot_deg/1s"] == pytest.approx(24.0 / 10)
    assert metrics["rpe_rot_deg_rmse/1s"] == pytest.approx(np.sqrt(2 * 144.0 / 10))
    np.testing.assert_allclose(series["1s/window_rot_deg"], [24.0 / 5, 0.0], atol=1e-9)  # 5 s


def test_window_means_group_by_start_time():
    np.testing.assert_allclose(window_means(np.arange(6.0), np.arange(6.0), 2.0), [0.5, 2.5, 4.5])


def test_matches_evo_rpe_on_the_same_poses():
    evo_metrics = pytest.importorskip("evo.core.metrics")
    evo_trajectory = pytest.importorskip("evo.core.trajectory")
    rng = np.random.default_rng(0)
    ref = yaw_path(20.0, 200, speed=(0.3, 0.0, 0.8))
    est = ref.copy()
    noise = Rotation.from_rotvec(rng.normal(0, 0.02, (200, 3))).as_matrix()
    est[:, :3, :3] = est[:, :3, :3] @ noise
    est[:, :3, 3] += rng.normal(0, 0.05, (200, 3))
    for delta in (16, 4):
        ours = relative_pose_errors(est, ref, delta)
        for relation, values in (("rotation_angle_deg", ours.rot_deg),
                                 ("translation_part", ours.trans)):  # fmt: skip
            rpe = evo_metrics.RPE(
                getattr(evo_metrics.PoseRelation, relation), delta, evo_metrics.Unit.frames
            )
            rpe.process_data(
                (evo_trajectory.PosePath3D(poses_se3=list(ref)),
                 evo_trajectory.PosePath3D(poses_se3=list(est)))
            )  # fmt: skip
            np.testing.assert_allclose(values, np.asarray(rpe.error), rtol=1e-7, atol=1e-9)
            assert float(values.mean()) == pytest.approx(
                rpe.get_statistic(evo_metrics.StatisticsType.mean), rel=1e-9
            )


def _inputs(est: np.ndarray, ref: np.ndarray, control_step: int | None) -> EvalInput:
    trajectory = Trajectory(ref, np.diag([100.0, 100.0, 1.0]), (64, 36), FPS)
    video = Video(np.zeros((len(ref), 36, 64, 3), np.uint8), FPS)
    case = Case("synthetic", Path("<synthetic>"), "", trajectory, "synthetic")
    inputs = EvalInput(case, trajectory, video, Generation(video, control_step_frames=control_step))
    count = len(ref)
    inputs.shared(POSES, lambda: EstimatedPoses(
        est, np.arange(count), np.ones(count, dtype=bool), np.ones(count), "file", {}))  # fmt: skip
    return inputs


def test_evaluator_uses_the_generation_control_step_and_declares_every_metric():
    ref, est = yaw_path(12.0, 161), yaw_path(10.0, 161)
    evaluator = LocalControl(estimator="file", poses="/nonexistent")
    result = evaluator.evaluate(_inputs(est, ref, 8))
    assert set(result.metrics) == {spec.name for spec in evaluator.metric_specs()}
    assert result.metrics["rpe_rot_deg/1s"] == pytest.approx(2.0)
    assert result.metrics["rpe_rot_deg/control_step"] == pytest.approx(1.0)  # 8 frames
    assert result.series["control_step/step_frames"].tolist() == [8]
    result = evaluator.evaluate(_inputs(est, ref, None))
    assert result.metrics["rpe_rot_deg/control_step"] == pytest.approx(0.5)  # 4 frames
