"""What the annotator returns: per-frame poses with a status, or a failure with its reason."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import numpy as np

from pose_pipeline.sparse import SparseModel
from pose_pipeline.summary import AnnotationSummary


class FrameStatus(IntEnum):
    FAILED = 0
    REGISTERED = 1  # a keyframe placed by SfM
    INTERPOLATED = 2  # between two registered keyframes


@dataclass
class Annotation:
    """Camera-to-world poses ``c2w`` (N,4,4), OpenCV convention, in metres when ``metric``
    (else in the reconstruction's arbitrary unit); NaN where ``status`` is FAILED.
    ``reproj_err_px`` (N,) is the mean reprojection error of a registered keyframe's
    observations in input-frame pixels (NaN elsewhere). ``confidence`` (N,) in [0, 1] is how
    well the reconstruction supports each pose (:mod:`pose_pipeline.confidence`; 0 where
    failed). ``summary`` is the annotator's own figures (:class:`AnnotationSummary`).
    ``sparse`` is the reconstruction's points and observations in the same frame and unit
    (kept in memory for the evaluators that judge the scene's geometry; :meth:`save` leaves it
    out)."""

    c2w: np.ndarray
    status: np.ndarray
    reproj_err_px: np.ndarray
    keyframes: np.ndarray
    intrinsics: np.ndarray
    metric: bool
    summary: AnnotationSummary = field(default_factory=AnnotationSummary)
    confidence: np.ndarray | None = None
    sparse: SparseModel | None = field(default=None, repr=False)

    @property
    def valid(self) -> np.ndarray:
        """Frames with a pose (registered or interpolated)."""
        return self.status != FrameStatus.FAILED

    def save(self, path: Path) -> None:
        np.savez(
            path,
            c2w=self.c2w,
            status=self.status,
            reproj_err_px=self.reproj_err_px,
            keyframes=self.keyframes,
            intrinsics=self.intrinsics,
            metric=self.metric,
            summary=json.dumps(self.summary.to_dict()),
            **({} if self.confidence is None else {"confidence": self.confidence}),
        )


@dataclass
class AnnotationFailure:
    """No usable reconstruction: ``reason`` says why, ``stage`` where it was found."""

    reason: str
    stage: str
    num_frames: int
    summary: AnnotationSummary = field(default_factory=AnnotationSummary)

    @property
    def valid(self) -> np.ndarray:
        return np.zeros(self.num_frames, dtype=bool)

    def save(self, path: Path) -> None:
        np.savez(
            path,
            failed=True,
            reason=self.reason,
            stage=self.stage,
            num_frames=self.num_frames,
            summary=json.dumps(self.summary.to_dict()),
        )


def load(path: Path) -> Annotation | AnnotationFailure:
    """Read what :meth:`Annotation.save` or :meth:`AnnotationFailure.save` wrote."""
    with np.load(path) as data:
        summary = AnnotationSummary.from_dict(json.loads(str(data["summary"])), path)
        if "failed" in data:
            return AnnotationFailure(
                str(data["reason"]), str(data["stage"]), int(data["num_frames"]), summary
            )
        return Annotation(
            data["c2w"],
            data["status"],
            data["reproj_err_px"],
            data["keyframes"],
            data["intrinsics"],
            bool(data["metric"]),
            summary,
            data.get("confidence"),
        )
