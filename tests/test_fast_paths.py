"""Fast paths of the weight-free evaluators against their plain twins."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from wmbench.evaluators.functional.image import _gaussian_taps, ssim, ssim_map, ssim_torchmetrics


def _pair(height: int, width: int, noise: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    image = cv2.GaussianBlur(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), (0, 0), 2)
    shifted = image.astype(int) + rng.integers(-noise, noise + 1, image.shape)
    return image, np.clip(shifted, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("size", [(11, 11), (36, 64), (181, 321)])
@pytest.mark.parametrize("noise", [0, 3, 40])
def test_ssim_equals_torchmetrics_within_float32_error(size, noise):
    image, target = _pair(*size, noise)
    mask = np.random.default_rng(1).random(size) > 0.3
    assert ssim(image, target) == pytest.approx(ssim_torchmetrics(image, target), abs=5e-5)
    assert ssim(image, target, mask) == pytest.approx(
        ssim_torchmetrics(image, target, mask), abs=5e-5
    )


def test_ssim_map_is_the_float64_ssim_to_float32_rounding():
    """Against a float64 transcription of torchmetrics' formula (reflect padding, clamped
    variances): the fast map is closer to it than torchmetrics' own float32 map."""
    image, target = _pair(60, 80, 20)
    taps = _gaussian_taps().astype(np.float64)
    x, y = image / 255.0, target / 255.0

    def window(values):
        return cv2.sepFilter2D(values, -1, taps, taps, borderType=cv2.BORDER_REFLECT_101)

    mx, my = window(x), window(y)
    vx, vy = np.maximum(window(x * x) - mx**2, 0), np.maximum(window(y * y) - my**2, 0)
    cov = window(x * y) - mx * my
    exact = ((2 * mx * my + 1e-4) * (2 * cov + 9e-4)) / ((mx**2 + my**2 + 1e-4) * (vx + vy + 9e-4))
    np.testing.assert_allclose(ssim_map(image, target), exact, atol=2e-4)
    assert ssim(image, image) == pytest.approx(1.0, abs=1e-6)


def test_flow_pairs_in_threads_equal_the_sequential_twin():
    from tests.test_quality_metrics import panning
    from wmbench.evaluators.flow import FlowAccumulator

    frames = panning(12, (2, 1))
    threaded, plain = FlowAccumulator(workers=2), FlowAccumulator(workers=1)
    for start in range(0, len(frames), 5):
        threaded.update(frames[start : start + 5], start)
    plain.update(frames, 0)
    for name in ("warp_error", "motion_pct", "motion_top5_pct", "acceleration_pct"):
        np.testing.assert_array_equal(
            getattr(threaded.compute(), name), getattr(plain.compute(), name)
        )
    assert len(plain.compute().acceleration_pct) == 10
