"""WorldScore's translation scale: the sum of norms, as ``get_cameras_accuracy`` in
``worldscore/benchmark/metrics/third_party/camera_error_metrics.py`` (haoyi-duan/WorldScore at
344983c) fits it with cvxpy, not least squares. wmbench's exact bisection is checked against
that cvxpy problem (when cvxpy is installed) and against a brute-force grid, always."""

import numpy as np
import pytest

from wmbench.evaluators import camera_metrics as cm


def worldscore_cvxpy_scale(pred: np.ndarray, gt: np.ndarray) -> float:
    """Transcription of WorldScore's fit: ``c_opt = cp.Variable(); obj = cp.Minimize(cp.sum(
    cp.norm(gt_ts - (c_opt * pred_ts), axis=1))); cp.Problem(obj, []).solve()``."""
    cp = pytest.importorskip("cvxpy")
    c_opt = cp.Variable()
    problem = cp.Problem(cp.Minimize(cp.sum(cp.norm(gt - (c_opt * pred), axis=1))), [])
    problem.solve()
    return float(c_opt.value)


def brute_force_scale(pred: np.ndarray, gt: np.ndarray) -> float:
    """The minimiser of sum ||gt - c pred|| on a fine grid, refined twice around the best."""
    objective = lambda c: np.linalg.norm(gt[None] - c[:, None, None] * pred[None], axis=2).sum(1)  # noqa: E731
    grid = np.linspace(-10, 10, 20001)
    for _ in range(3):
        best = grid[np.argmin(objective(grid))]
        step = grid[1] - grid[0]
        grid = np.linspace(best - 2 * step, best + 2 * step, 2001)
    return float(grid[np.argmin(objective(grid))])


def _jump_path(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A path and an estimate off by 0.5 scale, with a jump in the last 10 % of frames."""
    rng = np.random.default_rng(seed)
    gt = np.cumsum(rng.normal(0, 0.05, (100, 3)), axis=0)
    pred = 0.5 * gt + rng.normal(0, 0.002, gt.shape)
    pred[90:] += np.array([2.0, 0.0, 0.0])
    return pred, gt


@pytest.mark.parametrize("seed", range(4))
def test_the_scale_minimises_the_sum_of_norms_like_worldscore(seed):
    pred, gt = _jump_path(seed)
    ours = cm.sum_of_norms_scale(pred, gt)
    assert ours == pytest.approx(brute_force_scale(pred, gt), abs=2e-6)
    objective = lambda c: np.linalg.norm(gt - c * pred, axis=1).sum()  # noqa: E731
    assert objective(ours) <= objective(worldscore_cvxpy_scale(pred, gt)) + 1e-7


def test_the_jump_pulls_a_least_squares_scale_but_not_the_sum_of_norms():
    pred, gt = _jump_path(0)
    least_squares = float((pred * gt).sum() / (pred**2).sum())
    ours = cm.sum_of_norms_scale(pred, gt)
    assert abs(ours - 2.0) < abs(least_squares - 2.0)  # the true scale is 2


def test_exact_and_degenerate_cases():
    pred = np.array([[1.0, 0, 0], [0, 2.0, 0], [0, 0, 3.0]])
    assert cm.sum_of_norms_scale(pred, 1.7 * pred) == pytest.approx(1.7, abs=1e-12)
    assert cm.sum_of_norms_scale(np.zeros((3, 3)), pred) == 1.0


def test_worldscore_errors_use_it():
    rng = np.random.default_rng(1)
    gt = np.repeat(np.eye(4)[None], 40, axis=0)
    gt[:, :3, 3] = np.cumsum(rng.normal(0, 0.1, (40, 3)), axis=0)
    est = gt.copy()
    est[:, :3, 3] *= 0.25
    est[36:, :3, 3] += 1.0
    _, scale = cm.worldscore_errors(est, gt)
    relative = np.linalg.inv(est[0]) @ est, np.linalg.inv(gt[0]) @ gt
    assert scale == pytest.approx(
        brute_force_scale(relative[0][:, :3, 3], relative[1][:, :3, 3]), abs=2e-6
    )
