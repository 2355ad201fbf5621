"""Moving a request to the model's frame size and frame count, and the frames back.

In: the first frame is scaled to cover the model's (width, height) and centre-cropped
(:func:`wmbench.core.types.fit_image`), the cameras follow (:meth:`Trajectory.fitted`), and the
path is held at its last pose up to the frame count the VAE accepts. Out: the model's frames go
back to the request's size by the inverse pixel map, so every pixel keeps the request's
intrinsics; what the model's crop never saw stays black.
"""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np

from wmbench.core.types import Trajectory, fit_image


def fit_transform(size: tuple[int, int], target: tuple[int, int]) -> np.ndarray:
    """The 3x3 map from pixels of an image of ``size`` (width, height) to pixels of it fitted to
    ``target``. Fitting left-multiplies intrinsics by this map, so it is the fitted intrinsics of
    an identity camera: one definition of the fit, :meth:`Trajectory.fitted`'s."""
    identity = Trajectory(c2w=np.eye(4)[None], intrinsics=np.eye(3), image_size=size, fps=1.0)
    return identity.fitted(*target).intrinsics[0]


def model_frame_count(num_frames: int, stride: int) -> int:
    """The fewest frames ``stride * k + 1`` (the counts the VAE encodes) covering ``num_frames``."""
    return stride * math.ceil((num_frames - 1) / stride) + 1


def held_to(trajectory: Trajectory, num_frames: int) -> Trajectory:
    """``trajectory`` extended to ``num_frames`` poses by holding its last camera."""
    extra = num_frames - len(trajectory)
    if extra <= 0:
        return trajectory.head(num_frames)
    return replace(
        trajectory,
        c2w=np.concatenate([trajectory.c2w, np.repeat(trajectory.c2w[-1:], extra, axis=0)]),
        intrinsics=np.concatenate(
            [trajectory.intrinsics, np.repeat(trajectory.intrinsics[-1:], extra, axis=0)]
        ),
    )


def to_model(
    image: np.ndarray, trajectory: Trajectory, size: tuple[int, int], num_frames: int
) -> tuple[np.ndarray, Trajectory]:
    """The first frame fitted to ``size`` and the cameras for it, held to ``num_frames`` poses."""
    width, height = size
    return fit_image(image, width, height), held_to(trajectory.fitted(width, height), num_frames)


def to_request(
    frames: np.ndarray, model_size: tuple[int, int], request_size: tuple[int, int]
) -> np.ndarray:
    """Frames (T, h, w, 3) the model made at ``model_size`` for a request fitted from
    ``request_size``, resampled onto the request's pixel grid (black where the crop cut)."""
    transform = fit_transform(request_size, model_size)[:2]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return np.stack(
        [
            cv2.warpAffine(frame, transform, request_size, flags=flags, borderValue=0)
            for frame in frames
        ]
    )
