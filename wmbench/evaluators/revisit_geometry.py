"""Returns to an earlier viewpoint, judged with the annotator's own reconstruction.

A revisit is a pair of frames (first, second) where the requested path returns
(:func:`wmbench.evaluators.revisit.find_revisits`: cameras within ``REVISIT_DISTANCE_M`` and
``REVISIT_ANGLE_DEG`` although the camera left that neighbourhood in between) and the video did
too: both frames posed by the annotator and their estimated cameras (in metres: the
annotation's metric scale, else the ``wmbench`` Sim(3) scale against the request) within the
same limits; at most ``MAX_REVISITS``, evenly spaced. Taking the pairs from the request keeps
them the same for every video of one path, so two models are judged on the same returns. The
first visit's scene is the reconstruction's 3D points observed in the registered keyframe
nearest the first frame (:class:`pose_pipeline.sparse.SparseModel`, no SfM solved again),
seen through the first frame's pose.

For each revisit, SIFT features of the two frames are matched (OpenCV SIFT, Lowe's ratio test
``RATIO``); a match whose first-visit keypoint lies within ``LIFT_RADIUS`` of the width of a
first-visit observation is lifted to 3D at that point's depth and projected into the second
frame through the reconstructed poses: its *transfer error* is the pixel distance to the
second-visit keypoint. A world that came back the same gives errors at the annotator's noise;
a moved, reshaped or bent surface gives large ones. Everything here is weight-free.

Frames are read in one place (:func:`revisit_frames`); the per-revisit work is in small
functions on two frames (:func:`match_features`, :func:`transfer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.spatial import cKDTree

from pose_pipeline.result import Annotation, FrameStatus
from pose_pipeline.sparse import SparseModel
from wmbench.core.types import FrameSequence
from wmbench.evaluators import camera_metrics
from wmbench.evaluators.base import EvalInput, EvalResult, SharedKey
from wmbench.evaluators.camera import CameraEvaluator
from wmbench.evaluators.local_control import metric_scale
from wmbench.evaluators.revisit import find_revisits
from wmbench.evaluators.sampling import finite_mean, sample_indices

REVISIT_DISTANCE_M = 0.3
REVISIT_ANGLE_DEG = 20.0
MAX_REVISITS = 8
RATIO = 0.8  # Lowe's ratio test
SIFT_FEATURES = 2048
LIFT_RADIUS = 0.008  # of the width: how near a first-visit observation a keypoint must lie
MIN_MATCHES = 8  # lifted matches a revisit needs to be judged


@dataclass(frozen=True)
class RevisitScene:
    """One revisit: keyframes ``first`` and ``second``, their camera-to-world poses (4, 4) and
    intrinsics ``K`` (3, 3) from the annotation, and the first visit's observations: pixels
    ``first_xy`` (K, 2) of 3D points ``first_points`` (K, 3)."""

    first: int
    second: int
    first_c2w: np.ndarray
    second_c2w: np.ndarray
    K: np.ndarray
    first_xy: np.ndarray
    first_points: np.ndarray

    def project_into_second(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels (M, 2) and depths (M,) of world ``points`` (M, 3) in the second keyframe."""
        w2c = np.linalg.inv(self.second_c2w)
        camera = points @ w2c[:3, :3].T + w2c[:3, 3]
        with np.errstate(divide="ignore", invalid="ignore"):
            pixels = (camera @ self.K.T)[:, :2] / camera[:, 2:]
        return pixels, camera[:, 2]


@dataclass(frozen=True)
class Transfer:
    """Lifted matches of one revisit: first-visit pixels (M, 2), their 3D points (M, 3),
    second-visit pixels (M, 2) and transfer errors (M,) in pixels."""

    first_xy: np.ndarray
    points: np.ndarray
    second_xy: np.ndarray
    errors: np.ndarray


def returns(annotation: Annotation, requested: np.ndarray, scale: float) -> np.ndarray:
    """(first, second) video frames (K, 2) of the revisits: returns of the ``requested`` path
    (N, 4, 4) (:func:`find_revisits`) that the video made too (both frames posed by the
    annotation, their estimated cameras, translations times ``scale``, within the same limits);
    at most ``MAX_REVISITS``, evenly spaced."""
    pairs = find_revisits(requested, REVISIT_DISTANCE_M, REVISIT_ANGLE_DEG)
    if not len(pairs):
        return pairs
    first, second = pairs.T
    posed = annotation.valid[first] & annotation.valid[second]
    first, second = first[posed], second[posed]
    est_first, est_second = annotation.c2w[first], annotation.c2w[second]
    distance = scale * np.linalg.norm(est_first[:, :3, 3] - est_second[:, :3, 3], axis=1)
    angle = np.degrees(camera_metrics.rotation_angle(est_first[:, :3, :3], est_second[:, :3, :3]))
    close = (distance <= REVISIT_DISTANCE_M) & (angle <= REVISIT_ANGLE_DEG)
    pairs = np.stack([first[close], second[close]], axis=1)
    return pairs[sample_indices(len(pairs), MAX_REVISITS)] if len(pairs) else pairs


def first_visit(
    annotation: Annotation, sparse: SparseModel, frame: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first visit's scene at ``frame``: the points the nearest registered keyframe
    observes, projected into ``frame`` by its pose; pixels (K, 2) and world points (K, 3) of
    those in front of it."""
    keyframes = np.flatnonzero(annotation.status == FrameStatus.REGISTERED)
    nearest = int(keyframes[np.argmin(np.abs(keyframes - frame))])
    _, points = sparse.observed_in(nearest)
    w2c = np.linalg.inv(annotation.c2w[frame])
    camera = points @ w2c[:3, :3].T + w2c[:3, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        pixels = (camera @ annotation.intrinsics.T)[:, :2] / camera[:, 2:]
    inside = camera[:, 2] > 0
    return pixels[inside], points[inside]


def revisit_scenes(
    annotation: Annotation, sparse: SparseModel, requested: np.ndarray, scale: float
) -> list[RevisitScene]:
    """The :class:`RevisitScene` of every revisit (:func:`returns`) of ``annotation``."""
    scenes = []
    for first, second in returns(annotation, requested, scale):
        xy, points = first_visit(annotation, sparse, int(first))
        poses = annotation.c2w[first], annotation.c2w[second]
        scenes.append(
            RevisitScene(int(first), int(second), *poses, annotation.intrinsics, xy, points)
        )
    return scenes


def match_features(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SIFT matches (pixels (M, 2) in each frame) between two RGB frames, Lowe's ratio test."""
    sift = cv2.SIFT_create(nfeatures=SIFT_FEATURES)
    found = [
        sift.detectAndCompute(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), None) for f in (first, second)
    ]
    (points_a, describe_a), (points_b, describe_b) = found
    if describe_a is None or describe_b is None or len(points_b) < 2:
        return np.zeros((0, 2)), np.zeros((0, 2))
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(describe_a, describe_b, k=2)
    kept = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    first_xy = np.array([points_a[m.queryIdx].pt for m in kept]).reshape(-1, 2)
    second_xy = np.array([points_b[m.trainIdx].pt for m in kept]).reshape(-1, 2)
    return first_xy, second_xy


def lift(
    scene: RevisitScene, pixels: np.ndarray, radius_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """World points (M, 3) of first-visit ``pixels`` (M, 2): each at the depth of the nearest
    first-visit observation within ``radius_px``; and which pixels had one (M,) bool."""
    if not len(scene.first_xy) or not len(pixels):
        return np.zeros((len(pixels), 3)), np.zeros(len(pixels), dtype=bool)
    distance, nearest = cKDTree(scene.first_xy).query(pixels)
    found = distance <= radius_px
    w2c = np.linalg.inv(scene.first_c2w)
    depth = (scene.first_points[nearest] @ w2c[:3, :3].T + w2c[:3, 3])[:, 2]
    rays = np.column_stack([pixels, np.ones(len(pixels))]) @ np.linalg.inv(scene.K).T
    camera = rays * depth[:, None]
    world = camera @ scene.first_c2w[:3, :3].T + scene.first_c2w[:3, 3]
    return world, found & (depth > 0)


def transfer(scene: RevisitScene, first: np.ndarray, second: np.ndarray) -> Transfer:
    """The lifted matches of the revisit's two frames and their transfer errors."""
    first_xy, second_xy = match_features(first, second)
    points, found = lift(scene, first_xy, LIFT_RADIUS * first.shape[1])
    projected, depth = scene.project_into_second(points[found])
    errors = np.linalg.norm(projected - second_xy[found], axis=1)
    errors[~(depth > 0)] = np.inf
    return Transfer(first_xy[found], points[found], second_xy[found], errors)


def revisit_frames(video: FrameSequence, scenes: list[RevisitScene]) -> dict[int, np.ndarray]:
    """The frames of ``video`` the revisits need, by index: the one place frames are read."""
    wanted = sorted({s.first for s in scenes} | {s.second for s in scenes})
    return dict(zip(wanted, video.take(wanted), strict=True)) if wanted else {}


@dataclass(frozen=True)
class CaseRevisits:
    """The revisits of one case with their frames and transfers; ``scale`` takes the poses'
    translations to metres; empty when the estimator gave no reconstruction."""

    scenes: list[RevisitScene]
    frames: dict[int, np.ndarray]
    transfers: list[Transfer]
    scale: float


REVISITS = SharedKey[CaseRevisits]("revisit_geometry")


def case_revisits(camera: CameraEvaluator, inputs: EvalInput) -> CaseRevisits:
    """The case's revisits, computed once per case (shared by ``persistence`` and
    ``permanence``) from the pose estimate ``camera`` shares."""

    def compute() -> CaseRevisits:
        poses = camera.estimate_poses(inputs)
        annotation = poses.annotation
        if not isinstance(annotation, Annotation) or annotation.sparse is None:
            return CaseRevisits([], {}, [], 1.0)
        video, trajectory = inputs.written()  # the annotation indexes the written video
        valid = annotation.valid[: len(trajectory)]
        count = len(valid)
        scale = 1.0 if annotation.metric else metric_scale(
            np.where(valid[:, None, None], annotation.c2w[:count], np.eye(4)),
            trajectory.c2w[:count], valid)  # fmt: skip
        scenes = [
            s
            for s in revisit_scenes(annotation, annotation.sparse, trajectory.c2w[:count], scale)
            if s.first >= inputs.first_frame
        ]  # a refined video's frame 0 is not scored
        frames = revisit_frames(video, scenes)
        transfers = [transfer(s, frames[s.first], frames[s.second]) for s in scenes]
        return CaseRevisits(scenes, frames, transfers, scale)

    return inputs.shared(REVISITS, compute)


def per_revisit_result(
    names: tuple[str, ...], rows: list[tuple], scenes: list[RevisitScene]
) -> EvalResult:
    """The case's means of ``names`` over its revisits (``rows``: one tuple of values per scene)
    and the per-revisit series, with each revisit's two frames."""
    values = np.array(rows, dtype=float).reshape(-1, len(names))
    metrics = {name: finite_mean(values[:, i]) for i, name in enumerate(names)}
    series = {f"revisits/{name}": values[:, i] for i, name in enumerate(names)}
    series["revisits/first_frame"] = np.array([s.first for s in scenes], dtype=int)
    series["revisits/second_frame"] = np.array([s.second for s in scenes], dtype=int)
    return EvalResult(metrics, series)
