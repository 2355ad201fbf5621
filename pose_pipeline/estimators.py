"""Pose estimators: where a video's cameras come from, by name (:data:`ESTIMATORS`).

* ``pycolmap`` (the default): this package's annotator (:func:`pose_pipeline.annotate`), every
  frame, metric when a depth source is given.
* ``file``: poses computed elsewhere (Pi3, ViPE, VGGT, ...), one npz per case at
  ``<poses>/<case_id>.npz`` (``<poses>/hard_60s/indoor_001.npz``) holding

  - ``c2w`` (N, 4, 4): camera-to-world, OpenCV convention (x right, y down, z forward), rigid
    and finite; any world frame and scale (the protocols align them);
  - ``frame_index`` (N,): the video frame of each pose, strictly increasing, within the video
    (frames left out count as failed estimates);
  - ``confidence`` (N,), optional: any finite per-frame confidence (recorded, not scored).

  A missing or malformed file is an InputError naming the file and the field.
* ``pi3``: Pi3 (yyfz233/Pi3), as SANA-WM-Bench's scripts run it (:mod:`pose_pipeline.pi3`);
  needs the ``pi3`` package and its checkpoint in the weight store.

Every estimator returns :class:`EstimatedPoses`, which the camera evaluator saves per case
(``poses.npz``, :meth:`EstimatedPoses.to_arrays`) so a result can be re-scored without
estimating again. Third parties add estimators through the ``wmbench.pose_estimators`` entry
points.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from pose_pipeline.config import ANNOTATOR_VERSION, AnnotatorConfig
from pose_pipeline.pipeline import annotate
from pose_pipeline.result import Annotation, AnnotationFailure
from pose_pipeline.scale import DepthSource
from wmbench.core.errors import InputError
from wmbench.core.registry import Registry
from wmbench.core.types import FrameSequence, check_poses

DEFAULT = "pycolmap"
ESTIMATORS = Registry(
    "pose estimator",
    "wmbench.pose_estimators",
    {
        "pycolmap": "pose_pipeline.estimators:PycolmapEstimator",
        "file": "pose_pipeline.estimators:FileEstimator",
        "pi3": "pose_pipeline.pi3:Pi3Estimator",
    },
)
ARRAY_KEYS = ("c2w", "valid", "confidence", "frame_index", "estimator", "settings")


@dataclass(frozen=True)
class PoseRequest:
    """One video to estimate: ``frames`` (T, H, W, 3) uint8 in memory or read lazily (a
    :class:`FrameSequence`), the requested camera's pinhole ``intrinsics`` (3, 3) in pixels of
    the frames, ``case_id`` (names a ``file`` estimate) and, for the annotator's metric scale, a
    ``depth`` source."""

    case_id: str
    frames: np.ndarray | FrameSequence
    intrinsics: np.ndarray
    depth: DepthSource | None = None


@dataclass(frozen=True, eq=False)
class EstimatedPoses:
    """Poses of the video frames ``frame_index`` (M,): ``c2w`` (M, 4, 4), NaN where ``valid``
    (M,) is False; ``confidence`` (M,), NaN where the estimator gives none; who estimated them
    (``estimator``, ``settings``); ``metric`` when in metres; ``failure`` the reason when nothing
    could be estimated; ``annotation`` the ``pycolmap`` annotator's full output."""

    c2w: np.ndarray
    frame_index: np.ndarray
    valid: np.ndarray
    confidence: np.ndarray
    estimator: str
    settings: dict[str, Any]
    metric: bool = False
    failure: str = ""
    annotation: Annotation | AnnotationFailure | None = field(default=None, compare=False)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays of ``poses.npz`` (strings as 0-d unicode arrays; no pickles)."""
        return {
            "c2w": self.c2w,
            "valid": self.valid,
            "confidence": self.confidence,
            "frame_index": self.frame_index,
            "estimator": np.array(self.estimator),
            "settings": np.array(json.dumps(self.settings, sort_keys=True, default=str)),
            "metric": np.array(self.metric),
            "failure": np.array(self.failure),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], source: str | Path) -> EstimatedPoses:
        """Read back :meth:`to_arrays`; an InputError naming ``source`` and the missing field."""
        for key in ARRAY_KEYS:
            if key not in arrays:
                raise InputError(source, key, f"saved poses with {list(ARRAY_KEYS)}", "absent")
        return cls(
            c2w=np.asarray(arrays["c2w"], dtype=np.float64),
            frame_index=np.asarray(arrays["frame_index"], dtype=int),
            valid=np.asarray(arrays["valid"], dtype=bool),
            confidence=np.asarray(arrays["confidence"], dtype=np.float64),
            estimator=str(arrays["estimator"]),
            settings=json.loads(str(arrays["settings"])),
            metric=bool(arrays.get("metric", False)),
            failure=str(arrays.get("failure", "")),
        )


class PoseEstimator(ABC):
    """Estimates the cameras of a video. Constructed with keyword options (suite files, the
    ``videos`` adapter); unknown or bad options raise InputError."""

    name: ClassVar[str]
    uses_depth: ClassVar[bool] = False  # takes PoseRequest.depth (metric scale)

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """Everything that changes the estimate: recorded with every score."""

    def check_available(self) -> None:
        """Raise (MissingWeightsError, InputError) when it cannot run here (by default it
        always can)."""
        return None

    @abstractmethod
    def estimate(self, request: PoseRequest) -> EstimatedPoses:
        """The cameras of ``request.frames``."""


def build(name: str, options: dict[str, Any] | None = None) -> PoseEstimator:
    """The estimator ``name`` with ``options``; an InputError for unknown names or options."""
    factory = ESTIMATORS.get(name)
    try:
        return factory(**(options or {}))
    except TypeError as error:
        raise InputError(
            f"pose estimator '{name}'", "options", "the options it takes", str(error)
        ) from error


class PycolmapEstimator(PoseEstimator):
    """:func:`pose_pipeline.annotate` on every frame; options are :class:`AnnotatorConfig`
    fields (or a whole ``config``)."""

    name = "pycolmap"
    uses_depth = True

    def __init__(self, config: AnnotatorConfig | None = None, **fields: Any) -> None:
        try:
            self.config = config or AnnotatorConfig(**fields)
        except (TypeError, ValueError) as error:
            raise InputError("pose estimator 'pycolmap'", ", ".join(fields), "AnnotatorConfig "
                             "fields with valid values", str(error)) from error  # fmt: skip

    def settings(self) -> dict[str, Any]:
        return {"annotator_version": ANNOTATOR_VERSION, **self.config.to_dict()}

    def estimate(self, request: PoseRequest) -> EstimatedPoses:
        annotation = annotate(request.frames, request.intrinsics, self.config, request.depth)
        count = len(request.frames)
        if isinstance(annotation, AnnotationFailure):
            return EstimatedPoses(
                np.full((count, 4, 4), np.nan), np.arange(count), np.zeros(count, dtype=bool),
                np.full(count, np.nan), self.name, self.settings(),
                failure=f"{annotation.stage}: {annotation.reason}", annotation=annotation,
            )  # fmt: skip
        confidence = getattr(
            annotation, "confidence", None
        )  # per-frame, where the annotator has it
        return EstimatedPoses(
            annotation.c2w, np.arange(len(annotation.c2w)), annotation.valid,
            np.full(len(annotation.c2w), np.nan) if confidence is None else confidence,
            self.name, self.settings(), metric=annotation.metric, annotation=annotation,
        )  # fmt: skip


class FileEstimator(PoseEstimator):
    """Poses computed elsewhere, read from ``<poses>/<case_id>.npz`` (see the module)."""

    name = "file"

    def __init__(self, poses: str | Path) -> None:
        self.folder = Path(poses).expanduser()

    def settings(self) -> dict[str, Any]:
        return {"poses": str(self.folder.resolve())}

    def check_available(self) -> None:
        if not self.folder.is_dir():
            raise InputError(self.folder, "poses", "a folder of <case_id>.npz pose files", "none")

    def path(self, case_id: str) -> Path:
        return self.folder / f"{case_id}.npz"

    def estimate(self, request: PoseRequest) -> EstimatedPoses:
        c2w, frame_index, confidence = read_pose_file(
            self.path(request.case_id), len(request.frames)
        )
        valid = np.ones(len(c2w), dtype=bool)
        return EstimatedPoses(c2w, frame_index, valid, confidence, self.name, self.settings())


def read_pose_file(path: Path, num_frames: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``c2w``, ``frame_index`` and ``confidence`` (NaN when absent) of a pose file for a video
    of ``num_frames`` frames, validated (InputError naming ``path`` and the field)."""
    if not path.is_file():
        raise InputError(path, "poses", "a pose file <poses>/<case_id>.npz for this case", "none")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError) as error:
        raise InputError(path, "npz", "a readable numpy .npz archive", str(error)) from error
    for key in ("c2w", "frame_index"):
        if key not in arrays:
            raise InputError(path, key, "an array (required)", f"keys {sorted(arrays)}")
    c2w = np.asarray(arrays["c2w"], dtype=np.float64)
    check_poses(c2w, str(path), "c2w")
    index = np.asarray(arrays["frame_index"])
    if index.shape != (len(c2w),) or not np.issubdtype(index.dtype, np.integer):
        raise InputError(path, "frame_index", f"{len(c2w)} integers, one per pose in c2w",
                         f"{index.dtype} array of shape {index.shape}")  # fmt: skip
    if (np.diff(index) <= 0).any() or index.min() < 0 or index.max() >= num_frames:
        raise InputError(path, "frame_index", f"strictly increasing frames in 0..{num_frames - 1} "
                         "(the video's)", f"{index.min()}..{index.max()}")  # fmt: skip
    confidence = np.full(len(c2w), np.nan)
    if "confidence" in arrays:
        confidence = np.asarray(arrays["confidence"], dtype=np.float64)
        if confidence.shape != (len(c2w),) or not np.isfinite(confidence).all():
            raise InputError(path, "confidence", f"{len(c2w)} finite values",
                             f"shape {confidence.shape}")  # fmt: skip
    return c2w, index.astype(int), confidence
