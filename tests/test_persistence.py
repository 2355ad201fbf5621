"""``persistence`` and ``permanence``: the revisit geometry and region comparison against known
answers, and an object moved while out of view told apart from the clean world on the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wmbench.evaluators.permanence import (
    Permanence,
    region_dissimilarity,
    revisit_permanence,
)
from wmbench.evaluators.persistence import Persistence, agreement, loop_residual
from wmbench.evaluators.revisit_geometry import RevisitScene, Transfer, lift

K = np.array([[200.0, 0.0, 127.5], [0.0, 200.0, 71.5], [0.0, 0.0, 1.0]])
SIZE = (256, 144)


def _scene(second_c2w: np.ndarray, count: int = 200, seed: int = 0) -> RevisitScene:
    """First camera at the origin seeing random points 2-4 m ahead; their pixels there."""
    rng = np.random.default_rng(seed)
    pixels = rng.uniform([10, 10], [246, 134], (count, 2))
    depth = rng.uniform(2.0, 4.0, count)
    points = np.column_stack([pixels, np.ones(count)]) @ np.linalg.inv(K).T * depth[:, None]
    return RevisitScene(0, 40, np.eye(4), second_c2w, K, pixels, points)


def _pose(yaw_deg: float = 0.0, centre: tuple[float, float, float] = (0, 0, 0)) -> np.ndarray:
    c2w = np.eye(4)
    c2w[:3, :3] = Rotation.from_euler("y", yaw_deg, degrees=True).as_matrix()
    c2w[:3, 3] = centre
    return c2w


def test_lift_puts_a_first_visit_pixel_back_on_its_point():
    scene = _scene(_pose(3.0, (0.1, 0.0, 0.05)))
    points, found = lift(scene, scene.first_xy + 0.3, radius_px=1.0)
    assert found.all()
    projected, _ = scene.project_into_second(points)
    truth, _ = scene.project_into_second(scene.first_points)
    assert np.abs(projected - truth).max() < 2.0  # 0.3 px off along the ray, small parallax
    _, found = lift(scene, np.array([[-50.0, -50.0]]), radius_px=1.0)  # no point near
    assert not found.any()


def test_agreement_counts_errors_under_the_threshold_and_caps_the_mean():
    errors = np.array([0.0, 1.0, 2.0, 3.0, 100.0, 0.5, 0.5, 0.5])
    share, mean = agreement(errors, width=256)  # agree under 2.56 px, cap at 25.6 px
    assert share == pytest.approx(6 / 8)
    assert mean == pytest.approx((0 + 1 + 2 + 3 + 25.6 + 1.5) / 8)
    assert np.isnan(agreement(errors[:3], width=256)[0])


def _transfer(scene: RevisitScene, moved: int = 0, shift_px: float = 0.0) -> Transfer:
    second_xy, _ = scene.project_into_second(scene.first_points)
    second_xy[:moved] += shift_px
    predicted, _ = scene.project_into_second(scene.first_points)
    errors = np.linalg.norm(predicted - second_xy, axis=1)
    return Transfer(scene.first_xy, scene.first_points, second_xy, errors)


def test_loop_residual_is_zero_for_a_consistent_world_and_the_pose_gap_otherwise():
    truth = _pose(4.0, (0.2, 0.0, 0.1))
    scene = _scene(truth)
    angle, distance = loop_residual(scene, _transfer(scene, moved=30, shift_px=20.0), 256)
    assert angle < 1e-3 and distance < 1e-4  # RANSAC ignores the 30 moved points
    placed = RevisitScene(0, 40, np.eye(4), _pose(6.0, (0.2, 0.0, 0.1)), K, scene.first_xy,
                          scene.first_points)  # fmt: skip
    angle, _ = loop_residual(placed, _transfer(scene), 256)
    assert angle == pytest.approx(2.0, abs=1e-3)


def _texture(seed: int, shape: tuple[int, int] = (144, 256)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    grey = np.kron(rng.uniform(0, 255, (shape[0] // 4, shape[1] // 4)), np.ones((4, 4)))
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


def test_region_dissimilarity_ignores_gain_and_finds_a_changed_region():
    frame = _texture(0)
    mask = np.ones(frame.shape[:2], dtype=bool)
    np.testing.assert_allclose(region_dissimilarity(frame, frame, mask), 0.0, atol=1e-9)
    brighter = np.clip(frame * 0.8 + 20, 0, 255).astype(np.uint8)
    assert region_dissimilarity(frame, brighter, mask).max() < 0.01
    changed = frame.copy()
    changed[:48, :48] = _texture(1)[:48, :48]  # a 24 px region (1/6 of 144) and its neighbours
    values = region_dissimilarity(frame, changed, mask)
    assert (values > 0.5).sum() == 4 and np.sort(values)[-5] < 1e-9
    flat = frame.copy()
    flat[:24, :24] = 128
    assert region_dissimilarity(frame, flat, mask).max() == 1.0


def test_permanence_of_an_exact_revisit_is_zero():
    scene = _scene(_pose(0.0))
    frame = _texture(2)
    changed, mean, worst = revisit_permanence(scene, frame, frame)
    assert changed == 0.0 and mean == pytest.approx(0.0, abs=1e-9) and worst < 1e-9


def test_every_metric_is_declared_with_its_direction():
    for evaluator in (Persistence(), Permanence()):
        names = [spec.name for spec in evaluator.metric_specs()]
        assert len(names) == len(set(names)) >= 3


@pytest.mark.slow
def test_an_object_moved_while_out_of_view_is_told_apart_on_the_oracle_video():
    """The oracle's out-and-back through a room, clean and with the sofa moved 0.4 m while out of
    view (the study's clip): the persistence metrics separate them."""
    from wmbench.studies.validate_persistence import STUDY_CONFIG, defect_video, study_clip
    from wmbench.studies.validate_quality import eval_input, score

    clip = study_clip(0, 49, (256, 144))
    evaluators = [Persistence(config=STUDY_CONFIG), Permanence(config=STUDY_CONFIG)]
    clean = score(eval_input(clip.clean[0], clip.path, clip.clean[1]), evaluators)
    frames, depth = defect_video(clip, "object_moved", 0.4)
    moved = score(eval_input(frames, clip.path, depth), evaluators)
    assert clean["permanence_changed_fraction"] < moved["permanence_changed_fraction"]
    assert clean["permanence_worst_region"] + 0.2 < moved["permanence_worst_region"]
    assert clean["revisit_reproj_err_px"] < moved["revisit_reproj_err_px"]
    assert clean["revisit_match_agreement"] > moved["revisit_match_agreement"]
