import numpy as np
import pytest

from tests.benchdata import straight_walk
from wmbench.core.errors import InputError
from wmbench.core.types import Trajectory, fit_image

K = np.array([[200.0, 0, 160], [0, 200.0, 90], [0, 0, 1]])


def test_trajectory_accepts_rigid_poses_and_broadcasts_intrinsics():
    trajectory = Trajectory(straight_walk(5), K, (320, 180), 16)
    assert trajectory.intrinsics.shape == (5, 3, 3)
    assert trajectory.path_length() == pytest.approx(0.08)
    assert trajectory.duration_s == pytest.approx(4 / 16)


@pytest.mark.parametrize(
    ("corrupt", "field", "expected"),
    [
        (lambda c2w: c2w[:, :3], "c2w", "(N, 4, 4)"),
        (lambda c2w: np.where(np.arange(16).reshape(4, 4) == 3, np.nan, c2w), "c2w", "finite"),
        (lambda c2w: c2w * np.diag([2.0, 1, 1, 1]), "c2w", "rigid"),
        (lambda c2w: c2w @ np.diag([-1.0, 1, 1, 1]), "c2w", "rigid"),
    ],
    ids=["shape", "nan", "scaled", "reflection"],
)
def test_bad_poses_name_the_field(corrupt, field, expected):
    with pytest.raises(InputError) as error:
        Trajectory(corrupt(straight_walk(4)), K, (320, 180), 16, source="cams.npz")
    assert error.value.field == field
    assert "cams.npz" in str(error.value) and expected in str(error.value)


def test_bad_intrinsics_and_fps():
    with pytest.raises(InputError, match="intrinsics"):
        Trajectory(straight_walk(4), np.zeros((3, 3, 3)), (320, 180), 16)
    with pytest.raises(InputError, match="fps"):
        Trajectory(straight_walk(4), K, (320, 180), 0)


def _dot_image(width: int, height: int, x: float, y: float) -> np.ndarray:
    """A bright disc centred on pixel (x, y)."""
    yy, xx = np.mgrid[:height, :width]
    disc = ((xx - x) ** 2 + (yy - y) ** 2) <= 9**2
    return np.repeat((disc * 255).astype(np.uint8)[..., None], 3, axis=2)


def _centroid(image: np.ndarray) -> np.ndarray:
    weights = image[..., 0].astype(float)
    yy, xx = np.mgrid[: image.shape[0], : image.shape[1]]
    return np.array([(xx * weights).sum(), (yy * weights).sum()]) / weights.sum()


@pytest.mark.parametrize("target", [(256, 144), (128, 128), (640, 352)], ids=str)
def test_fitted_intrinsics_follow_the_pixels(target):
    """A 3D point projects where fit_image moved its pixel, within a fraction of a pixel."""
    trajectory = Trajectory(straight_walk(1), K, (320, 180), 16)
    point = np.array([0.3, -0.1, 2.0])
    pixel = K @ point / point[2]
    fitted = trajectory.fitted(*target)
    expected = (fitted.intrinsics[0] @ point / point[2])[:2]
    image = fit_image(_dot_image(320, 180, pixel[0], pixel[1]), *target)
    assert image.shape == (target[1], target[0], 3)
    assert np.abs(_centroid(image) - expected).max() < 0.25
