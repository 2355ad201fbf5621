"""Trajectories stay in free space at walking speeds, turn gently enough for SfM, never roll,
and loops end exactly where they began."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wmbench.worlds.layout import KINDS, world_spec
from wmbench.worlds.scene import World
from wmbench.worlds.trajectories import FAMILIES, MAX_DEG_PER_SECOND, make_trajectory

MAX_SPEED = 1.5  # m/s
MIN_MEAN_SPEED = 0.25  # m/s


@pytest.fixture(scope="module")
def worlds() -> dict[str, World]:
    """Geometry only (textures are built on first render, which these tests never do)."""
    return {kind: World(world_spec(index, kind)) for index, kind in enumerate(KINDS)}


CASES = [(family, variant) for family, variants in FAMILIES.items() for variant in variants]


@pytest.mark.parametrize(("family", "variant"), CASES, ids=[v for _, v in CASES])
def test_paths_are_walkable_and_well_conditioned(worlds, family, variant):
    for world in worlds.values():
        for seed in range(2):
            trajectory = make_trajectory(world, family, seed=seed, variant=variant)
            assert len(trajectory) == 961 and trajectory.fps == 16.0
            centres = trajectory.c2w[:, :3, 3]
            assert world.free_space.contains(centres).all()
            assert world.clearance(centres).min() >= world.free_space.margin
            speed = np.linalg.norm(np.diff(centres, axis=0), axis=1) * trajectory.fps
            assert speed.max() <= MAX_SPEED and speed.mean() >= MIN_MEAN_SPEED
            rotations = trajectory.c2w[:, :3, :3]
            steps = Rotation.from_matrix(np.einsum("nji,njk->nik", rotations[:-1], rotations[1:]))
            assert np.degrees(steps.magnitude()).max() <= MAX_DEG_PER_SECOND / trajectory.fps
            assert np.abs(rotations[:, 1, 0]).max() < 1e-9  # camera x stays horizontal: no roll
            assert rotations[:, 1, 1].min() > np.cos(np.radians(40))  # camera down ~ world down


def test_loop_ends_exactly_at_its_start_pose(worlds):
    for num_frames in (161, 961):
        trajectory = make_trajectory(worlds["room"], "loop", num_frames=num_frames, seed=4)
        assert np.array_equal(trajectory.c2w[-1], trajectory.c2w[0])
        last_step = np.linalg.norm(trajectory.c2w[-1, :3, 3] - trajectory.c2w[-2, :3, 3])
        assert 0 < last_step < MAX_SPEED / trajectory.fps  # it walks in, it does not jump
        assert trajectory.path_length() > 0.25 * trajectory.duration_s


def test_families_of_one_seed_share_the_first_pose_and_are_reproducible(worlds):
    world = worlds["garden"]
    first = [make_trajectory(world, family, seed=7).c2w[0] for family in FAMILIES]
    for pose in first[1:]:
        np.testing.assert_allclose(pose, first[0], atol=1e-12)
    again = make_trajectory(world, "hard", seed=7)
    assert np.array_equal(again.c2w, make_trajectory(world, "hard", seed=7).c2w)
    assert not np.allclose(again.c2w, make_trajectory(world, "hard", seed=8).c2w)


def test_intrinsics_follow_the_field_of_view(worlds):
    trajectory = make_trajectory(
        worlds["plaza"], "smooth", num_frames=5, width=640, height=352, fov_deg=90.0
    )
    assert trajectory.image_size == (640, 352)
    np.testing.assert_allclose(
        trajectory.intrinsics[0], [[320, 0, 319.5], [0, 320, 175.5], [0, 0, 1]]
    )


def test_unknown_family_or_variant_is_refused(worlds):
    with pytest.raises(ValueError, match="family"):
        make_trajectory(worlds["room"], "wobbly")
    with pytest.raises(ValueError, match="variant"):
        make_trajectory(worlds["room"], "smooth", variant="zigzag")


@pytest.mark.parametrize("variant", FAMILIES["return"])
@pytest.mark.parametrize("num_frames", [161, 961])
def test_returning_paths_come_back_within_limits(worlds, variant, num_frames):
    """Short clips too: whole laps or retraced walks end on the first pose, walkable, and the
    camera passes an earlier place again later in the clip."""
    trajectory = make_trajectory(worlds["room"], "return", num_frames, seed=3, variant=variant)
    c2w = trajectory.c2w
    assert np.array_equal(c2w[-1], c2w[0])
    np.testing.assert_allclose(c2w[-2, :3, 3], c2w[0, :3, 3], atol=MAX_SPEED / 16)
    rotations = c2w[:, :3, :3]
    steps = Rotation.from_matrix(np.einsum("nji,njk->nik", rotations[:-1], rotations[1:]))
    assert np.degrees(steps.magnitude()).max() <= MAX_DEG_PER_SECOND / trajectory.fps
    speed = np.linalg.norm(np.diff(c2w[:, :3, 3], axis=0), axis=1) * trajectory.fps
    assert speed.max() <= MAX_SPEED and speed.mean() >= MIN_MEAN_SPEED
    assert worlds["room"].free_space.contains(c2w[:, :3, 3]).all()


def test_crossing_eight_crosses_its_start_with_another_heading(worlds):
    trajectory = make_trajectory(worlds["room"], "return", 161, seed=3, variant="crossing_eight")
    centres, forward = trajectory.c2w[:, :3, 3], trajectory.c2w[:, :3, 2]
    later = np.arange(len(centres)) > 16
    at_start = later & (np.linalg.norm(centres - centres[0], axis=1) < 0.05)
    headings = np.degrees(np.arccos(np.clip(forward[at_start] @ forward[0], -1, 1)))
    assert headings.max() == pytest.approx(90.0, abs=5.0)  # the crossing, halfway
    assert headings.min() < 1.0  # and home at the end
