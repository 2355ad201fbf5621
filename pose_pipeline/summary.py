"""The annotator's own figures about one annotation (registration rate, mean reprojection error
and confidence, scale details, timings per stage, the configuration), as one typed record built
once when the annotation ends. A field is None where its stage did not run: a failure stops the
stages after it, and plain pycolmap records fewer. Saved as JSON under the same keys the
annotator wrote before it was typed, so earlier files still load."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from pose_pipeline.scale import ScaleEstimate
from wmbench.core.errors import InputError


@dataclass(frozen=True)
class ProbePairs:
    """The probe before full matching: pairs of consecutive keyframes verified of those tried."""

    verified: int
    probed: int


@dataclass(frozen=True)
class MatchCounts:
    """Full matching: pairs matched, verified, and verified across more than the overlap."""

    matched_pairs: int
    verified_pairs: int
    loop_pairs: int


NESTED = {
    "probe_pairs": ProbePairs,
    "matching": MatchCounts,
    "scale": ScaleEstimate,
}


@dataclass(frozen=True)
class AnnotationSummary:
    """What one annotation found and cost. ``timings_s``: seconds per stage; ``total_s``: the
    whole call; ``mapper``: the mapper whose model was kept; ``scale``: None when no depth was
    given or none was usable (``scale_requested`` tells which); ``config``: the settings as the
    annotator of ``version`` recorded them (``AnnotatorConfig.to_dict()``: a file from an older
    annotator keeps the settings it had, never today's defaults)."""

    config: Mapping[str, Any] | None = None
    version: str | None = None
    pycolmap: str | None = None
    mean_keypoints: float | None = None
    probe_pairs: ProbePairs | None = None
    matching: MatchCounts | None = None
    mapper: str | None = None
    num_frames: int | None = None
    num_keyframes: int | None = None
    registered_keyframes: int | None = None
    registration_rate: float | None = None
    posed_fraction: float | None = None
    mean_reproj_err_px: float | None = None
    num_points3d: int | None = None
    scale: ScaleEstimate | None = None
    scale_requested: bool | None = None
    mean_confidence: float | None = None
    low_confidence_frames: int | None = None
    timings_s: Mapping[str, float] | None = None
    total_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The recorded fields as plain JSON values (fields that are None left out)."""
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: object) -> AnnotationSummary:
        """The record :meth:`to_dict` wrote; an InputError naming ``where`` for a key or a
        nested value it does not know."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(where, "summary", f"the annotator's summary keys {sorted(known)}",
                             f"unknown keys {unknown}")  # fmt: skip
        values = dict(data)
        for key, kind in NESTED.items():
            if values.get(key) is not None:
                try:
                    values[key] = kind(**values[key])
                except TypeError as error:
                    raise InputError(where, f"summary.{key}", f"the fields of {kind.__name__}",
                                     str(error)) from error  # fmt: skip
        return cls(**values)
