"""The annotator: video in, per-frame camera-to-world poses out (metres when a depth source is
given), through the stages frames -> features -> matching -> mapping -> registration -> scale.

Poses are expressed relative to the first frame that has one (its pose is the identity), so the
output does not depend on the reconstruction's arbitrary frame. Work files live in a temporary
folder removed afterwards. Videos that cannot be reconstructed (blank, too short, textureless)
return an :class:`AnnotationFailure` with the reason instead of raising."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pycolmap

from pose_pipeline.camera import PinholeCamera
from pose_pipeline.confidence import LOW_CONFIDENCE, frame_confidence, keyframe_support
from pose_pipeline.config import ANNOTATOR_VERSION, AnnotatorConfig
from pose_pipeline.features import extract, keypoint_counts, write_keyframes
from pose_pipeline.frames import FrameSource, scan, select_keyframes
from pose_pipeline.mapping import reconstruct
from pose_pipeline.matching import PROBE_MIN_VERIFIED, match, probe
from pose_pipeline.registration import keyframe_poses, register_all_frames
from pose_pipeline.result import Annotation, AnnotationFailure, FrameStatus
from pose_pipeline.scale import DepthSource, estimate_scale
from pose_pipeline.sparse import sparse_model
from pose_pipeline.summary import AnnotationSummary, ProbePairs
from wmbench.core.errors import InputError
from wmbench.core.types import FrameSequence

MIN_KEYPOINTS = 64
Progress = Callable[[str], None]


class _Failed(Exception):
    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(reason)
        self.stage, self.reason = stage, reason


class _Stages:
    """Times each stage and reports it through ``progress``."""

    def __init__(self, progress: Progress | None) -> None:
        self.seconds: dict[str, float] = {}
        self._progress = progress

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, str]]:
        note: dict[str, str] = {}
        start = time.perf_counter()
        outcome = "done"
        try:
            yield note
        except _Failed as failure:
            outcome = f"FAILED: {failure.reason}"
            raise
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 3)
            if self._progress:
                text = note.get("text", "") if outcome == "done" else outcome
                self._progress(f"[{name}] {text or outcome} ({self.seconds[name]:.1f} s)")


@contextmanager
def quiet_colmap() -> Iterator[None]:
    previous = pycolmap.logging.minloglevel
    pycolmap.logging.minloglevel = 3
    try:
        yield
    finally:
        pycolmap.logging.minloglevel = previous


def annotate(
    video: np.ndarray | FrameSequence | str | Path,
    intrinsics: PinholeCamera | np.ndarray,
    config: AnnotatorConfig | None = None,
    depth: DepthSource | None = None,
    progress: Progress | None = None,
) -> Annotation | AnnotationFailure:
    """Annotate ``video`` (frames (T,H,W,3) uint8, a :class:`FrameSequence`, a video file or a frame
    folder) whose camera has pinhole ``intrinsics`` (3,3) in pixels of the frames."""
    config = config or AnnotatorConfig()
    stages = _Stages(progress)
    source = FrameSource(video)
    # the summary's fields as the stages find them; the record is built once, at the end
    found: dict[str, Any] = {"config": config.to_dict(), "version": ANNOTATOR_VERSION,
                             "pycolmap": pycolmap.__version__}  # fmt: skip
    num_frames = 0
    start = time.perf_counter()
    try:
        with stages.stage("frames") as note:
            num_frames, size, motion = scan(source)
            camera = _camera(intrinsics, size, source.description)
            if num_frames < config.min_keyframes:
                raise _Failed(
                    "frames", f"too short: {num_frames} frames, need {config.min_keyframes}"
                )
            keyframes = select_keyframes(
                motion, config.stride, config.max_shift, config.max_speed_change
            )
            note["text"] = f"{len(keyframes)} keyframes of {num_frames} frames"
        with tempfile.TemporaryDirectory(prefix="pose_pipeline-") as folder, quiet_colmap():
            annotation = _reconstruct(Path(folder), source, camera, keyframes, num_frames, config,
                                      depth, stages, found)  # fmt: skip
    except _Failed as failure:
        summary = AnnotationSummary(**found, timings_s=dict(stages.seconds),
                                    total_s=round(time.perf_counter() - start, 3))  # fmt: skip
        return AnnotationFailure(failure.reason, failure.stage, num_frames, summary)
    summary = AnnotationSummary(**found, timings_s=dict(stages.seconds),
                                total_s=round(time.perf_counter() - start, 3))  # fmt: skip
    return replace(annotation, summary=summary)


def _camera(
    intrinsics: PinholeCamera | np.ndarray, size: tuple[int, int], where: str
) -> PinholeCamera:
    if isinstance(intrinsics, PinholeCamera):
        if (intrinsics.width, intrinsics.height) != size:
            raise InputError(where, "intrinsics", f"a camera for {size[0]}x{size[1]} frames",
                             f"{intrinsics.width}x{intrinsics.height}")  # fmt: skip
        return intrinsics
    return PinholeCamera.from_matrix(intrinsics, size)


def _reconstruct(
    work: Path,
    source: FrameSource,
    camera: PinholeCamera,
    keyframes: np.ndarray,
    num_frames: int,
    config: AnnotatorConfig,
    depth: DepthSource | None,
    stages: _Stages,
    found: dict[str, Any],
) -> Annotation:
    """The stages after ``frames``: an annotation without its summary, whose fields are put in
    ``found`` as each stage finds them (those of the stages before a failure stay there)."""
    images, database = work / "images", work / "database.db"
    sift_camera = camera.fitted(config.max_image_size)
    with stages.stage("features") as note:
        names = write_keyframes(source, keyframes, sift_camera, images)
        extract(database, images, names, sift_camera, config)
        counts = keypoint_counts(database)
        textured = sum(count >= MIN_KEYPOINTS for count in counts.values())
        found["mean_keypoints"] = float(np.mean(list(counts.values()) or [0]))
        note["text"] = (f"{len(names)} keyframes at {sift_camera.width}x{sift_camera.height}, "
                        f"{found['mean_keypoints']:.0f} keypoints each")  # fmt: skip
        if textured < config.min_keyframes:
            raise _Failed("features", f"blank or textureless: {textured} of {len(names)} keyframes "
                          f"have {MIN_KEYPOINTS} or more SIFT keypoints")  # fmt: skip
    with stages.stage("matching") as note:
        verified, probed = probe(database, work, names, config)
        found["probe_pairs"] = ProbePairs(verified, probed)
        if verified < PROBE_MIN_VERIFIED * probed:
            raise _Failed(
                "matching",
                f"no scene geometry: {verified} of {probed} pairs of "
                "consecutive keyframes verified (noise, or a cut at every keyframe)",
            )
        found["matching"] = matching = match(database, work, len(names), config)
        note["text"] = f"{matching.verified_pairs} verified pairs of {matching.matched_pairs}"
        if matching.verified_pairs == 0:
            raise _Failed("matching", "no pair of keyframes could be matched and verified")
    with stages.stage("mapping") as note:
        reconstruction, found["mapper"] = reconstruct(
            database, images, work / "sparse", len(names), config
        )
        registered = 0 if reconstruction is None else reconstruction.num_reg_images()
        note["text"] = f"{registered} of {len(names)} keyframes registered ({found['mapper']})"
        if reconstruction is None or registered < config.min_keyframes:
            raise _Failed("mapping", f"{registered} of {len(names)} keyframes registered, "
                          f"need {config.min_keyframes}")  # fmt: skip
    with stages.stage("registration") as note:
        pixel_scale = sift_camera.width / camera.width
        poses = {
            i: (c2w, err / pixel_scale) for i, (c2w, err) in keyframe_poses(reconstruction).items()
        }
        c2w, status, errors = register_all_frames(num_frames, poses, config.max_interpolation_gap)
        confidence = frame_confidence(status, errors, keyframe_support(reconstruction),
                                      config.stride)  # fmt: skip
        valid = status != FrameStatus.FAILED
        note["text"] = (f"{(status == FrameStatus.REGISTERED).sum()} registered, "
                        f"{(status == FrameStatus.INTERPOLATED).sum()} interpolated, "
                        f"{(~valid).sum()} failed")  # fmt: skip
    scale = None
    if depth is not None:
        with stages.stage("scale") as note:
            scale = estimate_scale(reconstruction, depth, images)
            note["text"] = "no usable depth" if scale is None else (
                f"x{scale.scale:.4g} from {scale.samples} points ({depth.name})")  # fmt: skip
    factor = 1.0 if scale is None else scale.scale
    c2w[:, :3, 3] *= factor
    first = int(np.argmax(valid))
    world_from_model = np.linalg.inv(c2w[first]) @ np.diag([factor, factor, factor, 1.0])
    c2w = np.where(valid[:, None, None], np.linalg.inv(c2w[first]) @ c2w, np.nan)
    found.update(
        num_frames=num_frames,
        num_keyframes=len(keyframes),
        registered_keyframes=registered,
        registration_rate=registered / len(keyframes),
        posed_fraction=float(valid.mean()),
        mean_reproj_err_px=float(np.nanmean(errors)),
        num_points3d=reconstruction.num_points3D(),
        scale=scale,
        scale_requested=depth is not None,
        mean_confidence=float(confidence.mean()),
        low_confidence_frames=int((confidence < LOW_CONFIDENCE).sum()),
    )
    sparse = sparse_model(reconstruction, pixel_scale, world_from_model)
    return Annotation(c2w, status, errors, keyframes, camera.matrix(), scale is not None,
                      confidence=confidence, sparse=sparse)  # fmt: skip
