"""The camera-metric formulas against predictions worked out by hand (no SfM)."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wmbench.evaluators import camera_metrics as cm

N = 48


def _poses(rotations: np.ndarray, centres: np.ndarray) -> np.ndarray:
    c2w = np.repeat(np.eye(4)[None], len(centres), axis=0)
    c2w[:, :3, :3] = rotations
    c2w[:, :3, 3] = centres
    return c2w


def orbit(num_frames: int = N, radius: float = 2.0, turns: float = 0.75) -> np.ndarray:
    """A camera on a horizontal arc (y down is up in OpenCV), yawing to face the centre."""
    angles = np.linspace(0.0, 2 * np.pi * turns, num_frames)
    centres = np.stack([radius * np.sin(angles), 0.1 * angles, -radius * np.cos(angles)], axis=1)
    rotations = Rotation.from_euler("y", -angles[:, None]).as_matrix()
    return _poses(rotations, centres)


def circle(num_frames: int = N, radius: float = 2.0) -> np.ndarray:
    """Identity orientations, centres on a full circle in the x-y plane."""
    angles = 2 * np.pi * np.arange(num_frames) / num_frames
    centres = np.stack([radius * np.cos(angles), radius * np.sin(angles), np.zeros_like(angles)], 1)
    return _poses(np.repeat(np.eye(3)[None], num_frames, axis=0), centres)


def with_local_rotation(c2w: np.ndarray, rotvecs: np.ndarray) -> np.ndarray:
    """Each camera turned about its own centre by ``rotvecs`` (camera frame)."""
    out = c2w.copy()
    out[:, :3, :3] = c2w[:, :3, :3] @ Rotation.from_rotvec(rotvecs).as_matrix()
    return out


def random_similarity(seed: int) -> cm.Sim3:
    rng = np.random.default_rng(seed)
    return cm.Sim3(float(rng.uniform(0.2, 5.0)), Rotation.random(random_state=seed).as_matrix(),
                   rng.normal(size=3))  # fmt: skip


def test_rotation_angle_matches_the_acos_formula():
    a = Rotation.random(50, random_state=1).as_matrix()
    b = Rotation.random(50, random_state=2).as_matrix()
    cosine = (np.trace(np.swapaxes(a, 1, 2) @ b, axis1=1, axis2=2) - 1) / 2
    np.testing.assert_allclose(cm.rotation_angle(a, b), np.arccos(cosine), atol=1e-9)
    small = Rotation.from_rotvec([[1e-7, 0, 0]]).as_matrix()
    assert cm.rotation_angle(np.eye(3)[None], small)[0] == pytest.approx(1e-7, rel=1e-6)


@pytest.mark.parametrize("make", [orbit, circle], ids=["orbit", "circle"])
def test_identical_trajectories_score_zero(make):
    gt = make()
    metrics, series = cm.score(gt, gt, None, fps=16)
    for name in ("rot_err_rad_sum/cami2v", "trans_err_sum/cami2v", "cammc_sum/cami2v",
                 "rot_err_deg/worldscore", "trans_err/worldscore", "rot_err_deg/wmbench",
                 "trans_err_m/wmbench", "cammc/wmbench"):  # fmt: skip
        assert metrics[name] == pytest.approx(0.0, abs=1e-9), name
    assert metrics["scale_factor/wmbench"] == pytest.approx(1.0)
    assert metrics["posed_fraction"] == 1.0
    assert np.all(series["rot_err_deg/wmbench"] < 1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_every_protocol_ignores_a_global_similarity(seed):
    """All protocols anchor at frame 0; CamI2V normalises, WorldScore fits a scale, wmbench
    fits a similarity and reports the scale it undid."""
    gt = orbit()
    moved = random_similarity(seed)
    metrics, _ = cm.score(moved.apply_to_poses(gt), gt, None, fps=16)
    for name in ("rot_err_rad_sum/cami2v", "trans_err_sum/cami2v", "rot_err_deg/worldscore",
                 "trans_err/worldscore", "rot_err_deg/wmbench", "trans_err_m/wmbench"):  # fmt: skip
        assert metrics[name] == pytest.approx(0.0, abs=1e-7), name
    assert metrics["scale_factor/wmbench"] == pytest.approx(1 / moved.scale)


@pytest.mark.parametrize("theta_deg", [1.0, 5.0, 10.0])
def test_linear_rotation_drift_gives_the_predicted_error(theta_deg):
    """Frame i turned by theta * i / (N-1) about its own axis: error theta_i in every protocol
    (centres unchanged, so the wmbench alignment stays the identity)."""
    gt = orbit()
    drift = np.radians(theta_deg) * np.arange(N) / (N - 1)
    axis = np.array([0.3, 0.9, -0.3]) / np.linalg.norm([0.3, 0.9, -0.3])
    est = with_local_rotation(gt, drift[:, None] * axis)
    metrics, _ = cm.score(est, gt, None, fps=16)
    assert metrics["rot_err_rad_sum/cami2v"] == pytest.approx(drift.sum(), rel=1e-6)
    assert metrics["rot_err_deg/worldscore"] == pytest.approx(theta_deg / 2, rel=1e-6)
    assert metrics["rot_err_deg/wmbench"] == pytest.approx(theta_deg / 2, rel=1e-6)
    assert metrics["trans_err_m/wmbench"] == pytest.approx(0.0, abs=1e-9)


def test_constant_offset_after_the_first_frame_is_measured_everywhere():
    """Frames after the first turned by theta about a fixed camera axis (an "offset" error):
    every protocol anchors at the first frame and sees theta on each later frame."""
    gt = orbit()
    theta = np.radians(4.0)
    axis = np.array([0.6, 0.0, 0.8])
    est = with_local_rotation(gt, np.outer(np.arange(N) > 0, theta * axis))
    metrics, _ = cm.score(est, gt, None, fps=16)
    assert metrics["rot_err_rad_sum/cami2v"] == pytest.approx(theta * (N - 1), rel=1e-6)
    assert metrics["rot_err_deg/worldscore"] == pytest.approx(4.0 * (N - 1) / N, rel=1e-6)
    assert metrics["rot_err_deg/wmbench"] == pytest.approx(4.0 * (N - 1) / N, rel=1e-6)


def test_translation_offset_of_known_size_relative_protocols():
    """Every frame after the anchor displaced by delta perpendicular to all relative
    translations: WorldScore error ~ delta, CamI2V error ~ delta / largest translation."""
    gt = circle()
    delta = 0.01
    est = gt.copy()
    est[1:, 2, 3] += delta
    metrics, _ = cm.score(est, gt, None, fps=16)
    largest = np.linalg.norm(gt[:, :3, 3] - gt[0, :3, 3], axis=1).max()
    assert metrics["trans_err/worldscore"] == pytest.approx(delta * (N - 1) / N, rel=1e-3)
    assert metrics["trans_err_sum/cami2v"] == pytest.approx((N - 1) * delta / largest, rel=1e-3)
    assert metrics["rot_err_deg/worldscore"] == 0.0


def test_translation_noise_of_known_size_wmbench():
    """Centres displaced by +-delta along the circle's normal, alternating: orthogonal to what
    the alignment can absorb, so the metric error is delta (to O(delta^2))."""
    gt = circle()
    delta = 0.01
    est = gt.copy()
    est[:, 2, 3] += delta * (-1.0) ** np.arange(N)
    metrics, _ = cm.score(est, gt, None, fps=16)
    assert metrics["trans_err_m/wmbench"] == pytest.approx(delta, rel=1e-3)
    assert metrics["rot_err_deg/wmbench"] == pytest.approx(0.0, abs=1e-9)


def test_centre_noise_does_not_tilt_the_wmbench_rotation():
    """Centres displaced by delta * cos(angle) out of their circle's plane (a 0.1 degree tilt of
    the path: what a centre-fitted rotation would follow) leave the rotation error at zero; the
    centre error is the displacement."""
    gt = circle()
    delta = 0.004
    est = gt.copy()
    displacement = delta * gt[:, 0, 3] / 2.0  # radius 2 m: delta * cos(angle)
    est[:, 2, 3] += displacement
    errors, alignment = cm.wmbench_errors(est, gt)
    assert errors.rot.max() == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(errors.trans, np.abs(displacement), atol=1e-5)
    assert alignment.scale == pytest.approx(1.0, abs=1e-5)


def test_failed_frames_score_the_static_camera_baseline():
    gt = orbit()
    valid = np.ones(N, dtype=bool)
    valid[30:] = False
    est = gt.copy()
    est[30:] = np.eye(4)  # garbage where the annotator failed: must not matter
    metrics, series = cm.score(est, gt, valid, fps=16)
    baseline_rot = np.degrees(cm.rotation_angle(gt[:1, :3, :3], gt[:, :3, :3]))
    baseline_trans = np.linalg.norm(gt[:, :3, 3] - gt[0, :3, 3], axis=1)
    np.testing.assert_allclose(series["rot_err_deg/wmbench"][30:], baseline_rot[30:], atol=1e-9)
    np.testing.assert_allclose(series["rot_err_deg/wmbench"][:30], 0.0, atol=1e-6)
    np.testing.assert_allclose(series["trans_err_m/wmbench"][30:], baseline_trans[30:])
    assert metrics["rot_err_deg/wmbench"] == pytest.approx(baseline_rot[30:].sum() / N, rel=1e-6)
    assert metrics["rot_err_rad_sum/cami2v"] == pytest.approx(
        np.radians(baseline_rot[30:]).sum(), rel=1e-6
    )
    assert metrics["posed_fraction"] == pytest.approx(30 / N)


def test_nothing_placed_scores_the_baseline_everywhere():
    gt = orbit()
    metrics, _ = cm.score(gt, gt, np.zeros(N, dtype=bool), fps=16)
    static = np.repeat(gt[:1], N, axis=0)
    baseline, _ = cm.score(static, gt, None, fps=16)
    assert metrics["rot_err_deg/wmbench"] == pytest.approx(baseline["rot_err_deg/wmbench"])
    assert metrics["rot_err_deg/wmbench"] > 10
    assert metrics["trans_err/worldscore"] == pytest.approx(baseline["trans_err/worldscore"])
    assert metrics["posed_fraction"] == 0.0


def test_a_late_first_valid_frame_becomes_the_anchor():
    gt = orbit()
    valid = np.arange(N) >= 5
    est = random_similarity(2).apply_to_poses(gt)
    errors = cm.cami2v_errors(est, gt, valid)
    np.testing.assert_allclose(errors.rot[5:], 0.0, atol=1e-7)
    assert (errors.rot[1:5] > 0).all()


def test_windows_cover_a_minute_in_six_parts():
    values = np.arange(961, dtype=float)
    means = cm.window_means(values, fps=16, window_s=10)
    assert len(means) == 6
    assert means[0] == pytest.approx(np.arange(160).mean())
    assert means[-1] == pytest.approx(np.arange(800, 961).mean())
    assert len(cm.window_means(np.ones(40), fps=16)) == 1
