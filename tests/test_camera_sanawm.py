"""The ``sanawm`` camera protocol: hand-derived answers, and an independent plain-numpy twin of
SANA-WM-Bench's published alignment (``tools/metrics/sana_wm/pose_utils.py``: ``metric``,
``align_camera_extrinsics``, ``apply_transformation``, ``relative_pose``) on random paths."""

import numpy as np
import pytest

from wmbench.evaluators import camera_metrics as cm


def _rot_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def _pose(rotation: np.ndarray, centre) -> np.ndarray:
    pose = np.eye(4)
    pose[:3, :3], pose[:3, 3] = rotation, centre
    return pose


def _random_path(rng: np.random.Generator, count: int) -> np.ndarray:
    """A smooth-ish walk: rotations a random-axis drift, centres a random walk (metres)."""
    poses, rotation, centre = [], _random_rotation(rng), rng.normal(size=3)
    for _ in range(count):
        axis = rng.normal(size=3)
        angle = rng.normal(scale=0.05)
        k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
        k /= np.linalg.norm(axis)
        rotation = rotation @ (np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k)
        centre = centre + rng.normal(scale=0.1, size=3)
        poses.append(_pose(rotation, centre))
    return np.array(poses)


def twin_sanawm(est: np.ndarray, gt: np.ndarray, refined: bool = False) -> tuple[float, ...]:
    """The published scoring of one scene, written independently: every 4th frame, frame 0
    dropped when refined, both relative to their first kept frame, w2c alignment, means."""
    keep = list(range(0, len(gt), 4))[1 if refined else 0 :]
    e = [np.linalg.inv(est[keep[0]]) @ est[i] for i in keep]
    g = [np.linalg.inv(gt[keep[0]]) @ gt[i] for i in keep]
    we = [np.linalg.inv(p) for p in e]
    wg = [np.linalg.inv(p) for p in g]
    cov = sum(wg[i][:3, :3].T @ we[i][:3, :3] for i in range(len(we))) / len(we)
    u, _, vh = np.linalg.svd(cov)  # torch.svd's v is vh.T
    align_r = vh.T @ u.T
    a = np.array([we[i][:3, 3] @ we[i][:3, :3] for i in range(len(we))])
    b = np.array([wg[i][:3, 3] @ we[i][:3, :3] for i in range(len(we))])
    ac, bc = a - a.mean(0), b - b.mean(0)
    s = (ac * bc).mean() / max((ac**2).mean(), 1e-9) if len(a) > 1 else 1.0
    align_t = b.mean(0) - s * a.mean(0)
    rot, trans, cammc = [], [], []
    for i in range(len(we)):
        w2c = np.eye(4)
        w2c[:3, :3] = we[i][:3, :3] @ align_r
        w2c[:3, 3] = we[i][:3, :3] @ align_t + s * we[i][:3, 3]
        c2w = np.linalg.inv(w2c)
        cosine = (np.trace(g[i][:3, :3].T @ c2w[:3, :3]) - 1) / 2
        rot.append(np.degrees(np.arccos(np.clip(cosine, -1, 1))))
        trans.append(np.linalg.norm(g[i][:3, 3] - c2w[:3, 3]))
        cammc.append(np.linalg.norm((c2w[:3, :4] - g[i][:3, :4]).ravel()))
    return float(np.mean(rot)), float(np.mean(trans)), float(np.mean(cammc))


def _ours(est, gt, valid=None, refined=False) -> tuple[float, float, float, float]:
    metrics, _ = cm.sanawm_score(est, gt, valid, refined)
    names = ("rot_err_deg/sanawm", "trans_err_rel/sanawm", "cammc_rel/sanawm")
    return (*(metrics[name] for name in names), metrics["pose_failures/sanawm"])


def test_kept_frames_are_every_fourth_and_refined_outputs_drop_frame_0():
    np.testing.assert_array_equal(cm.sanawm_frames(9, False), [0, 4, 8])
    np.testing.assert_array_equal(cm.sanawm_frames(9, True), [4, 8])
    np.testing.assert_array_equal(cm.sanawm_frames(961, False)[[0, -1]], [0, 960])
    assert len(cm.sanawm_frames(961, False)) == 241


def test_a_static_estimate_of_a_straight_walk_collapses_onto_the_mean_centre():
    # gt: identity rotations at x = 0 (frame 0) and x = 2 (frame 4); est: the camera never moves.
    # w2c of est has t = 0, so a = 0, the scale is 0 and the offset puts both estimated cameras at
    # the mean centre x = 1: each is 1 m off, rotations exact.
    gt = np.array([_pose(np.eye(3), [2.0 * i / 4, 0, 0]) for i in range(5)])
    est = np.repeat(np.eye(4)[None], 5, axis=0)
    rot, trans, cammc, failures = _ours(est, gt)
    assert (rot, failures) == (0.0, 0.0)
    assert trans == pytest.approx(1.0) and cammc == pytest.approx(1.0)


def test_symmetric_rotation_errors_are_not_aligned_away():
    # est turns +theta and -theta about z where gt does not turn: the mean of R_gt^T R_est is
    # diag(cos, cos, 1), its fitted rotation the identity, so each frame keeps theta of error.
    theta = np.radians(3.0)
    gt = np.array([_pose(np.eye(3), [0, 0, i / 4]) for i in range(5)])
    est = gt.copy()
    est[0, :3, :3], est[4, :3, :3] = _rot_z(theta), _rot_z(-theta)
    rot, *_ = _ours(est, gt)
    # relative to frame 0 the second estimate is turned by -2 theta; the fit splits it evenly
    assert rot == pytest.approx(3.0, abs=1e-9)


@pytest.mark.parametrize("refined", [False, True], ids=["plain", "refined"])
@pytest.mark.parametrize("seed", range(4))
def test_a_similarity_transformed_path_scores_zero(seed, refined):
    rng = np.random.default_rng(seed)
    gt = _random_path(rng, 41)
    scale, rotation, offset = rng.uniform(0.2, 5.0), _random_rotation(rng), rng.normal(size=3)
    est = gt.copy()
    est[:, :3, :3] = rotation @ gt[:, :3, :3]
    est[:, :3, 3] = scale * gt[:, :3, 3] @ rotation.T + offset
    rot, trans, cammc, failures = _ours(est, gt, refined=refined)
    assert max(rot, trans, cammc) < 1e-6 and failures == 0
    np.testing.assert_allclose(twin_sanawm(est, gt, refined), 0.0, atol=1e-5)


@pytest.mark.parametrize("refined", [False, True], ids=["plain", "refined"])
@pytest.mark.parametrize("seed", range(6))
def test_perturbed_paths_match_the_numpy_twin(seed, refined):
    rng = np.random.default_rng(100 + seed)
    gt = _random_path(rng, 61)
    est = gt.copy()
    est[:, :3, 3] = 0.7 * gt[:, :3, 3] + rng.normal(scale=0.05, size=(61, 3))
    for i in range(61):
        est[i, :3, :3] = _rot_z(rng.normal(scale=0.03)) @ gt[i, :3, :3]
    ours = _ours(est, gt, refined=refined)
    np.testing.assert_allclose(ours[:3], twin_sanawm(est, gt, refined), rtol=1e-7, atol=1e-7)
    assert ours[0] > 0.1  # the perturbation is seen


def test_failed_kept_frames_score_the_static_camera_and_are_counted():
    rng = np.random.default_rng(7)
    gt = _random_path(rng, 21)  # kept frames 0, 4, 8, 12, 16, 20
    valid = np.ones(21, dtype=bool)
    valid[[8, 9, 20]] = False  # two kept frames fail (frame 9 is not kept)
    errors, frames = cm.sanawm_errors(gt.copy(), gt, valid)
    gt_rel = cm.relative_to(gt[frames], 0)
    static = cm.rotation_angle(np.broadcast_to(np.eye(3), (6, 3, 3)), gt_rel[:, :3, :3])
    failed = np.isin(frames, [8, 20])
    np.testing.assert_allclose(errors.rot[failed], np.degrees(static[failed]))
    np.testing.assert_allclose(errors.trans[failed], np.linalg.norm(gt_rel[failed, :3, 3], axis=1))
    assert np.abs(errors.rot[~failed]).max() < 1e-6
    assert _ours(gt.copy(), gt, valid)[3] == 2.0
    nothing = np.zeros(21, dtype=bool)
    assert _ours(gt.copy(), gt, nothing)[3] == 6.0  # all kept frames: the static baseline
