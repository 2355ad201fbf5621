"""perturb_trajectory injects exactly the stated error (checked with scipy's Rotation)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from tests.benchdata import straight_walk
from wmbench.core.types import Trajectory
from wmbench.worlds.perturb import perturb_trajectory

K = np.array([[200.0, 0, 159.5], [0, 200.0, 89.5], [0, 0, 1]])


def turning_walk(num_frames: int) -> Trajectory:
    c2w = straight_walk(num_frames)
    c2w[:, :3, :3] = Rotation.from_euler(
        "yx",
        np.stack([np.linspace(0, 90, num_frames), np.linspace(0, -20, num_frames)], 1),
        degrees=True,
    ).as_matrix()
    return Trajectory(c2w, K, (320, 180), 16.0)


@pytest.mark.parametrize("axis", [(0, 1, 0), (1, 0, 0), (0.3, -0.5, 0.8)])
def test_drift_rotation_is_exact_about_the_camera_axis(axis):
    truth = turning_walk(41)
    perturbed = perturb_trajectory(truth, rotation_drift_deg=5.0, axis=axis)
    error = Rotation.from_matrix(
        np.einsum("nji,njk->nik", truth.c2w[:, :3, :3], perturbed.c2w[:, :3, :3])
    )
    expected = 5.0 * np.arange(41) / 40
    np.testing.assert_allclose(np.degrees(error.magnitude()), expected, atol=1e-9)
    unit = np.asarray(axis) / np.linalg.norm(axis)
    np.testing.assert_allclose(
        error.as_rotvec()[1:], np.outer(np.radians(expected[1:]), unit), atol=1e-12
    )
    relative_truth, relative = truth.relative_to_first(), perturbed.relative_to_first()
    relative_error = Rotation.from_matrix(
        np.einsum("nji,njk->nik", relative_truth[:, :3, :3], relative[:, :3, :3])
    )
    np.testing.assert_allclose(np.degrees(relative_error.magnitude()), expected, atol=1e-9)
    np.testing.assert_array_equal(perturbed.c2w[:, :3, 3], truth.c2w[:, :3, 3])


def test_offset_translation_is_constant_after_the_first_frame():
    truth = turning_walk(9)
    perturbed = perturb_trajectory(
        truth, translation_drift_m=0.3, mode="offset", direction=(0, 0, 2)
    )
    shift = perturbed.c2w[:, :3, 3] - truth.c2w[:, :3, 3]
    np.testing.assert_allclose(shift[0], 0.0)
    np.testing.assert_allclose(shift[1:], np.tile([0, 0, 0.3], (8, 1)), atol=1e-12)
    np.testing.assert_array_equal(perturbed.c2w[:, :3, :3], truth.c2w[:, :3, :3])


def test_drift_translation_grows_linearly_and_nothing_else_changes():
    truth = turning_walk(5)
    perturbed = perturb_trajectory(truth, translation_drift_m=1.0)
    np.testing.assert_allclose(
        np.linalg.norm(perturbed.c2w[:, :3, 3] - truth.c2w[:, :3, 3], axis=1),
        [0, 0.25, 0.5, 0.75, 1.0],
        atol=1e-12,
    )
    assert perturbed.image_size == truth.image_size and perturbed.fps == truth.fps
    assert np.array_equal(perturb_trajectory(truth).c2w, truth.c2w)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        perturb_trajectory(turning_walk(3), rotation_drift_deg=1.0, mode="wobble")
