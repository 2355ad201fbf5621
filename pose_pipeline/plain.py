"""Plain pycolmap, the yardstick the annotator is measured against on the same keyframes: SIFT
with the known intrinsics fixed, sequential matching with ``overlap`` (no loop detection, COLMAP's
own verification settings), the incremental mapper, the largest model; frames between
keyframes slerped. None of the annotator's choices (keyframe selection, loop closure, verification
thresholds, fallbacks) are involved, so a gap between the two is the annotator's own doing.
It shares the annotator's mapper settings (triangulation angle, global bundle-adjustment
schedule): with COLMAP's 1.5 deg it splits these videos, and the schedule changes the time,
not the poses (``reports/pose_bench.md``)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pycolmap

from pose_pipeline.camera import PinholeCamera
from pose_pipeline.confidence import frame_confidence, keyframe_support
from pose_pipeline.config import AnnotatorConfig
from pose_pipeline.features import extract, write_keyframes
from pose_pipeline.frames import FrameSource
from pose_pipeline.mapping import largest_model
from pose_pipeline.pipeline import quiet_colmap
from pose_pipeline.registration import keyframe_poses, register_all_frames
from pose_pipeline.result import Annotation, AnnotationFailure
from pose_pipeline.summary import AnnotationSummary

PLAIN_OVERLAP = 10


def plain_pycolmap(
    frames: np.ndarray,
    intrinsics: np.ndarray,
    stride: int = 4,
    overlap: int = PLAIN_OVERLAP,
    max_image_size: int = 640,
    ransac_max_error_px: float = AnnotatorConfig.ransac_max_error_px,
    seed: int = 0,
) -> Annotation | AnnotationFailure:
    """Poses of ``frames`` (T,H,W,3) from every ``stride``-th frame (and the last), up to
    scale, relative to the first frame; the keyframes' gaps interpolated. Two-view
    verification takes the annotator's RANSAC threshold (COLMAP's 4 px classes most short-
    baseline video pairs as planar and splits the model), all else is COLMAP's default."""
    start = time.perf_counter()
    count = len(frames)
    keyframes = np.unique(np.r_[np.arange(0, count, stride), count - 1])
    camera = PinholeCamera.from_matrix(intrinsics, (frames.shape[2], frames.shape[1]))
    sift = camera.fitted(max_image_size)
    config = AnnotatorConfig(stride=stride, max_image_size=max_image_size, seed=seed,
                             max_interpolation_gap=max(stride, 16))  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="plain-pycolmap-") as folder, quiet_colmap():
        work = Path(folder)
        images, database = work / "images", work / "database.db"
        names = write_keyframes(FrameSource(frames), keyframes, sift, images)
        extract(database, images, names, sift, config)
        pairing = pycolmap.SequentialPairingOptions()
        pairing.overlap = overlap
        pairing.num_threads = 1
        matching = pycolmap.FeatureMatchingOptions()
        matching.num_threads = 1
        verification = pycolmap.TwoViewGeometryOptions()
        verification.ransac.random_seed = seed
        verification.ransac.max_error = ransac_max_error_px
        pycolmap.match_sequential(database, matching_options=matching, pairing_options=pairing,
                                  verification_options=verification,
                                  device=pycolmap.Device.cpu)  # fmt: skip
        model = largest_model("incremental", database, images, work / "sparse", config)
    total_s = round(time.perf_counter() - start, 3)
    if model is None or model.num_reg_images() < 3:
        summary = AnnotationSummary(num_keyframes=len(keyframes), total_s=total_s)
        return AnnotationFailure("plain pycolmap registered too few keyframes", "mapping",
                                 count, summary)  # fmt: skip
    poses = {i: (c2w, err * camera.width / sift.width) for i, (c2w, err) in
             keyframe_poses(model).items()}  # fmt: skip
    c2w, status, errors = register_all_frames(count, poses, config.max_interpolation_gap)
    confidence = frame_confidence(status, errors, keyframe_support(model), stride)
    valid = np.isfinite(c2w).all(axis=(1, 2))
    first = int(np.argmax(valid))
    c2w = np.where(valid[:, None, None], np.linalg.inv(c2w[first]) @ c2w, np.nan)
    summary = AnnotationSummary(
        num_keyframes=len(keyframes),
        registered_keyframes=model.num_reg_images(),
        registration_rate=model.num_reg_images() / len(keyframes),
        total_s=total_s,
    )
    return Annotation(c2w, status, errors, keyframes, camera.matrix(), False, summary, confidence)
