"""PSNR and SSIM of one frame against another, as torchmetrics computes them (PSNR with data
range 1; SSIM with its defaults: Gaussian window 11 px, sigma 1.5, K = (0.01, 0.03)) on RGB in
[0, 1]. :func:`ssim` computes SSIM by OpenCV's separable filters, about 10x faster than
torchmetrics; :func:`ssim_torchmetrics` is its plain twin. PSNR is capped at ``MAX_PSNR_DB`` so
that identical frames do not make a mean infinite. The masked forms serve the ``revisit``
evaluator: PSNR over the masked pixels, SSIM as the mean of its map over them.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

from wmbench.evaluators.functional.threads import single_torch_thread

MAX_PSNR_DB = 100.0  # identical frames: +inf in theory, capped so that means stay finite
SSIM_TAPS, SSIM_SIGMA = 11, 1.5  # torchmetrics' defaults: int(3.5 * 1.5 + 0.5) * 2 + 1 taps


def _tensor(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (1, 3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255.0


def psnr_db(image: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR in dB of ``image`` against ``target`` (H, W, 3) uint8, over the pixels of ``mask``
    (H, W) bool when given; capped at ``MAX_PSNR_DB`` (identical pixels)."""
    if mask is not None:
        image, target = image[mask], target[mask]
    with single_torch_thread():
        preds = torch.from_numpy(np.ascontiguousarray(image)).float() / 255.0
        reference = torch.from_numpy(np.ascontiguousarray(target)).float() / 255.0
        value = float(peak_signal_noise_ratio(preds, reference, data_range=1.0))
    return min(MAX_PSNR_DB, value)


def ssim_torchmetrics(
    image: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None
) -> float:
    """SSIM of ``image`` against ``target`` (H, W, 3) uint8 through torchmetrics: the mean of
    its SSIM map over all pixels, or over ``mask`` (H, W) bool when given. The plain twin of
    :func:`ssim` (about 1 s per 720p frame on a CPU core)."""
    with single_torch_thread():
        if mask is None:
            return float(
                structural_similarity_index_measure(_tensor(image), _tensor(target), data_range=1.0)
            )
        _, full = structural_similarity_index_measure(
            _tensor(image), _tensor(target), data_range=1.0, return_full_image=True
        )
        return float(full[0].mean(dim=0)[torch.from_numpy(mask)].mean())


def _gaussian_taps() -> np.ndarray:
    """torchmetrics' 1-D window: ``exp(-(d / sigma)^2 / 2)`` at d = -5..5, normalised (float32)."""
    distance = np.arange(-(SSIM_TAPS // 2), SSIM_TAPS // 2 + 1, dtype=np.float32)
    taps = np.exp(-np.square(distance / np.float32(SSIM_SIGMA)) / 2)
    return (taps / taps.sum()).astype(np.float32)


def ssim_map(image: np.ndarray, target: np.ndarray) -> np.ndarray:
    """torchmetrics' SSIM map (H, W, 3) float32 (``structural_similarity_index_measure`` 1.9,
    data range 1, ``return_full_image``): the 11x11 Gaussian window (sigma 1.5) applied
    separably by OpenCV with the same reflection at the border (torch's ``reflect`` is OpenCV's
    ``BORDER_REFLECT_101``), variances clamped at 0, K = (0.01, 0.03)."""
    taps = _gaussian_taps()
    x = image.astype(np.float32) / np.float32(255)
    y = target.astype(np.float32) / np.float32(255)

    def window(values: np.ndarray) -> np.ndarray:
        return cv2.sepFilter2D(values, -1, taps, taps, borderType=cv2.BORDER_REFLECT_101)

    mu_x, mu_y = window(x), window(y)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    var_x = np.maximum(window(x * x) - mu_xx, 0)
    var_y = np.maximum(window(y * y) - mu_yy, 0)
    cov = window(x * y) - mu_xy
    c1, c2 = np.float32(0.01**2), np.float32(0.03**2)
    return ((2 * mu_xy + c1) * (2 * cov + c2)) / ((mu_xx + mu_yy + c1) * (var_x + var_y + c2))


def ssim(image: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
    """SSIM of ``image`` against ``target`` (H, W, 3) uint8: the mean of the SSIM map over all
    pixels, or over ``mask`` (H, W) bool when given. :func:`ssim_torchmetrics` within float32
    error (both compute in float32, where ``E[x^2] - mu^2`` cancels: about 1e-4 per pixel, under
    5e-5 on the mean; this one is the closer to the float64 value), about 10x faster."""
    full = ssim_map(image, target)
    if mask is None:
        return float(full.mean(dtype=np.float64))
    return float(full.mean(axis=2)[mask].mean(dtype=np.float64))
