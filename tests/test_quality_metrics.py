"""Weight-free quality formulas against cases whose answer is known."""

import cv2
import numpy as np
import pytest

from wmbench.evaluators.drift import color_shift_delta_e, relative_change_pct, window_frames
from wmbench.evaluators.flicker import consecutive_mae, vbench_flicker_score
from wmbench.evaluators.flow import (
    consistent_mask,
    dis_flow,
    flow_stats,
    jerk_ratio,
    moving_pair_fraction,
    warp_back,
)
from wmbench.evaluators.functional.image import MAX_PSNR_DB, psnr_db, ssim
from wmbench.evaluators.revisit import source_coordinates
from wmbench.evaluators.sampling import sample_indices, short_side_size
from wmbench.evaluators.sharpness import laplacian_variance
from wmbench.studies.degrade import blur, noise
from wmbench.worlds.revisit_pairs import find_revisits, pose_distances

RNG = np.random.default_rng(0)
TEXTURE = cv2.GaussianBlur(RNG.integers(0, 256, (360, 520, 3), dtype=np.uint8), (0, 0), 2.0)


def panning(num_frames: int, step_xy: tuple[int, int], size=(240, 136)) -> np.ndarray:
    """Crops of a smooth texture sliding by ``step_xy`` px per frame: content moves by -step."""
    width, height = size
    return np.stack(
        [
            TEXTURE[20 + t * step_xy[1] : 20 + t * step_xy[1] + height,
                    20 + t * step_xy[0] : 20 + t * step_xy[0] + width]
            for t in range(num_frames)
        ]
    )  # fmt: skip


def grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


# --- flicker ---------------------------------------------------------------------------------


def test_flicker_of_identical_frames_is_perfect():
    frames = np.repeat(TEXTURE[None, :64, :64], 5, axis=0)
    assert np.all(consecutive_mae(frames) == 0)
    assert vbench_flicker_score(consecutive_mae(frames)) == 1.0


def test_flicker_of_alternating_levels_is_their_difference():
    frames = np.zeros((4, 8, 8, 3), np.uint8)
    frames[1::2] = 51  # 0, 51, 0, 51: every pair differs by 51 = 255 / 5
    np.testing.assert_allclose(consecutive_mae(frames), [51, 51, 51])
    assert vbench_flicker_score(consecutive_mae(frames)) == pytest.approx(0.8)


def test_flicker_of_one_frame_does_not_apply():
    assert np.isnan(vbench_flicker_score(consecutive_mae(TEXTURE[None, :8, :8])))


# --- optical flow ----------------------------------------------------------------------------


def test_constant_shift_gives_that_flow_and_no_acceleration():
    frames = panning(2, (3, 2))
    flow = dis_flow(grey(frames[0]), grey(frames[1]))
    interior = flow[16:-16, 16:-16].reshape(-1, 2)
    np.testing.assert_allclose(np.median(interior, axis=0), [-3, -2], atol=0.05)
    backward = dis_flow(grey(frames[1]), grey(frames[0]))
    assert consistent_mask(flow, backward)[16:-16, 16:-16].mean() > 0.95


def test_warp_back_by_a_known_flow_reproduces_the_source():
    frames = panning(2, (4, 0))
    flow = np.zeros((*frames.shape[1:3], 2), np.float32)
    flow[..., 0] = -4.0
    warped, inside = warp_back(frames[1], flow)
    assert np.array_equal(warped[:, 4:], frames[0][:, 4:])
    assert not inside[:, :4].any() and inside[:, 4:].all()


def test_flow_stats_of_uniform_pan():
    frames = panning(8, (3, 2))
    stats = flow_stats(frames, short_side=136)  # no resizing: flow in the crops' pixels
    expected_pct = 100 * np.hypot(3, 2) / 136
    np.testing.assert_allclose(stats.motion_pct, expected_pct, rtol=0.02)
    assert np.all(stats.warp_error < 1e-4)
    assert jerk_ratio(stats) < 0.05


def test_identical_frames_give_zero_flow_and_warp_error():
    frames = np.repeat(panning(1, (0, 0)), 4, axis=0)
    stats = flow_stats(frames)
    assert np.all(stats.warp_error == 0) and np.all(stats.motion_pct == 0)
    assert np.isnan(jerk_ratio(stats))  # no motion, nothing to judge
    assert moving_pair_fraction(stats, fps=16) == 0.0


def test_frozen_frames_raise_jerk_and_lower_dynamic_fraction():
    frames = panning(9, (6, 0))
    stutter = frames[[0, 0, 2, 2, 4, 4, 6, 6, 8]]
    smooth, jerky = flow_stats(frames), flow_stats(stutter)
    assert jerk_ratio(jerky) > 1.5 > 0.05 > jerk_ratio(smooth)
    assert moving_pair_fraction(smooth, 16) == 1.0
    assert moving_pair_fraction(jerky, 16) == 0.5


def test_dynamic_threshold_follows_vbench_step():
    stats = flow_stats(panning(3, (1, 0)), short_side=136)  # top-5 % motion 0.74 % per frame
    threshold_pct = 100 * 6 / 256  # 2.34 % per VBench step
    assert moving_pair_fraction(stats, fps=8) == 0.0  # step 1: 0.74 < 2.34
    assert moving_pair_fraction(stats, fps=32) == 1.0  # step 4: 2.94 > 2.34
    assert 4 * stats.motion_top5_pct.min() > threshold_pct


# --- sharpness -------------------------------------------------------------------------------


def test_laplacian_variance_of_flat_image_is_zero_and_falls_with_blur():
    assert laplacian_variance(np.full((32, 32, 3), 90, np.uint8)) == 0.0
    values = [laplacian_variance(blur(TEXTURE[None], s)[0]) for s in (0, 0.5, 1, 2, 3)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


def test_laplacian_variance_of_a_checkerboard():
    # 3x3 Laplacian of a +-a checkerboard is -+8a everywhere inside: variance (8a)^2
    board = (np.indices((34, 34)).sum(axis=0) % 2 * 20 + 100).astype(np.uint8)
    image = np.repeat(board[..., None], 3, axis=-1)
    assert laplacian_variance(image) == pytest.approx(80.0**2, rel=0.07)  # borders reflect


def test_sample_indices_spans_the_video():
    assert sample_indices(5, 10).tolist() == [0, 1, 2, 3, 4]
    index = sample_indices(961, 240)
    assert index[0] == 0 and index[-1] == 960 and len(index) == 240


def test_short_side_size_scales_down_only():
    assert short_side_size(1280, 720, 180) == (320, 180)
    assert short_side_size(256, 144, 180) == (256, 144)


# --- reference PSNR / SSIM -------------------------------------------------------------------


def test_psnr_of_known_noise_level():
    image = np.full((128, 128, 3), 128, np.uint8)
    noisy = noise(image[None], 8.0, seed=1)[0]
    # rounding to 8 bits adds 1/12 DN^2 of variance
    expected = 10 * np.log10(255**2 / (8.0**2 + 1 / 12))
    assert psnr_db(noisy, image) == pytest.approx(expected, abs=0.1)


def test_psnr_and_ssim_of_identical_images():
    assert psnr_db(TEXTURE, TEXTURE) == MAX_PSNR_DB
    assert ssim(TEXTURE, TEXTURE) == pytest.approx(1.0)


def test_masked_psnr_and_ssim_see_only_the_mask():
    damaged = TEXTURE.copy()
    damaged[:, :100] = 0
    mask = np.zeros(TEXTURE.shape[:2], bool)
    mask[:, 120:] = True
    assert psnr_db(damaged, TEXTURE, mask) == MAX_PSNR_DB
    assert ssim(damaged, TEXTURE, mask) == pytest.approx(1.0)
    assert ssim(damaged, TEXTURE) < 0.9


def test_ssim_falls_with_noise():
    values = [ssim(noise(TEXTURE[None], s, seed=2)[0], TEXTURE) for s in (0, 2, 5, 10, 20)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


# --- drift -----------------------------------------------------------------------------------


def test_window_is_ten_seconds_or_a_third():
    assert window_frames(961, 16) == 160
    assert window_frames(97, 16) == 32
    assert window_frames(2, 16) == 1


def test_relative_change_is_symmetric_and_bounded():
    assert relative_change_pct(2.0, 1.0) == relative_change_pct(1.0, 2.0) == 50.0
    assert relative_change_pct(0.0, 0.0) == 0.0
    assert relative_change_pct(3.0, 0.0) == 100.0


def test_color_shift_of_a_known_change():
    frames = np.zeros((6, 16, 16, 3), np.uint8)
    assert color_shift_delta_e(frames, 2) == 0.0
    frames[4:] = 255  # black to white: L* from 0 to 100
    assert color_shift_delta_e(frames, 2) == pytest.approx(100.0, abs=0.1)


# --- revisit geometry ------------------------------------------------------------------------


def _poses(centres: list[tuple[float, float, float]], yaw_deg=None) -> np.ndarray:
    c2w = np.repeat(np.eye(4)[None], len(centres), axis=0)
    c2w[:, :3, 3] = centres
    for pose, yaw in zip(c2w, yaw_deg or [0] * len(centres), strict=True):
        pose[:3, :3] = cv2.Rodrigues(np.array([0.0, np.radians(yaw), 0.0]))[0]
    return c2w


def test_pose_distances_in_metres_and_degrees():
    distance, angle = pose_distances(_poses([(0, 0, 0), (3, 4, 0)], yaw_deg=[0, 30]))
    assert distance[0, 1] == pytest.approx(5.0)
    assert angle[0, 1] == pytest.approx(30.0)


def test_revisits_need_the_camera_to_leave():
    # out along x and back: frame 6 returns to frame 0, frame 5 to frame 1
    centres = [(x, 0, 0) for x in (0, 1, 2, 3, 2, 1, 0)]
    pairs = find_revisits(_poses(centres), max_distance_m=0.1, max_angle_deg=10)
    assert pairs.tolist() == [[2, 4], [1, 5], [0, 6]]
    assert len(find_revisits(_poses([(0, 0, 0)] * 5), 0.1, 10)) == 0  # static: never left


def _find_revisits_dense(c2w: np.ndarray, max_distance_m: float, max_angle_deg: float):
    """The plain twin of ``find_revisits``: the (N, N) form of its definition in one piece."""
    distance, angle = pose_distances(c2w)
    close = (distance <= max_distance_m) & (angle <= max_angle_deg)
    count = len(c2w)
    later = np.arange(count)[None, :] > np.arange(count)[:, None]
    departed = ~close & later
    left_at = np.where(departed.any(axis=1), departed.argmax(axis=1), count)
    valid = close & (np.arange(count)[None, :] > left_at[:, None])
    score = np.where(valid, distance / max_distance_m + angle / max_angle_deg, np.inf)
    targets = np.flatnonzero(valid.any(axis=0))
    return np.stack([score[:, targets].argmin(axis=0), targets], axis=1).reshape(-1, 2)


@pytest.mark.parametrize("block_rows", [1, 7, 64, 1000])
@pytest.mark.parametrize("path", ["shuttle", "orbit", "random_walk", "repeated_poses"])
def test_revisits_in_row_blocks_equal_the_dense_definition(path, block_rows):
    rng = np.random.default_rng(3)
    t = np.arange(150)
    if path == "shuttle":  # out and back three times: many revisits, ties between trips
        centres = np.stack([np.abs((t % 50) - 25) * 0.1, 0 * t, 0 * t], axis=1)
        yaw = np.zeros(len(t))
    elif path == "orbit":  # a circle walked twice, facing its centre
        phase = t / 75 * 2 * np.pi
        centres = np.stack([np.cos(phase), 0 * t, np.sin(phase)], axis=1) * 2
        yaw = np.degrees(phase)
    elif path == "random_walk":
        centres = np.cumsum(rng.normal(0, 0.05, (len(t), 3)), axis=0)
        yaw = np.cumsum(rng.normal(0, 3, len(t)))
    else:  # exact repeats: equal scores everywhere, ties must go to the earliest frame
        centres = np.repeat(np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0]]), 50, axis=0) * 1.0
        centres = np.concatenate([centres[:75], centres[:75]])
        yaw = np.zeros(len(t))
    c2w = _poses([tuple(c) for c in centres], yaw_deg=list(yaw))
    blocked = find_revisits(c2w, 0.15, 12.0, block_rows=block_rows)
    np.testing.assert_array_equal(blocked, _find_revisits_dense(c2w, 0.15, 12.0))


def test_identity_pose_maps_pixels_to_themselves():
    k = np.array([[100.0, 0, 31.5], [0, 100.0, 23.5], [0, 0, 1]])
    map_x, map_y, z = source_coordinates(k, k, np.eye(4), np.full((48, 64), 2.0), (64, 48))
    grid_x, grid_y = np.meshgrid(np.arange(64), np.arange(48))
    np.testing.assert_allclose(map_x, grid_x, atol=1e-4)
    np.testing.assert_allclose(map_y, grid_y, atol=1e-4)
    np.testing.assert_allclose(z, 2.0)


def test_sideways_step_shifts_by_the_disparity():
    # the later camera sits 0.1 m right of the earlier one; a plane at 2 m appears
    # f * b / Z = 100 * 0.1 / 2 = 5 px further right in the earlier view
    k = np.array([[100.0, 0, 31.5], [0, 100.0, 23.5], [0, 0, 1]])
    later_to_earlier = np.eye(4)
    later_to_earlier[0, 3] = 0.1
    map_x, _, _ = source_coordinates(k, k, later_to_earlier, np.full((48, 64), 2.0), (64, 48))
    np.testing.assert_allclose(map_x - np.arange(64), 5.0, atol=1e-4)
    rotation_only, _, _ = source_coordinates(k, k, later_to_earlier, None, (64, 48))
    np.testing.assert_allclose(rotation_only - np.arange(64), 0.0, atol=1e-4)
