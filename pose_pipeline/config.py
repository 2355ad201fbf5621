"""The annotator's settings: everything that changes its output, recorded with every result."""

from __future__ import annotations

from dataclasses import asdict, dataclass

MAPPERS = ("incremental", "global")
# Bumped whenever the annotator's code changes what it returns for the same settings, so that
# scores computed from its poses are recomputed (2: the matching probe fails noise early).
ANNOTATOR_VERSION = "2"


@dataclass(frozen=True)
class AnnotatorConfig:
    """Settings of :func:`pose_pipeline.annotate`.

    Keyframes are taken every ``stride`` frames, and sooner where the image moves fast (once
    the accumulated image shift since the last keyframe reaches ``max_shift`` of the width) or
    where the motion changes (the image motion per frame differs from the segment's first by
    ``max_speed_change`` of the width), so interpolation only bridges steady motion.
    Frames between registered keyframes are interpolated when the gap is at most
    ``max_interpolation_gap`` frames, else they fail. SIFT sees frames scaled so their longer
    side is ``max_image_size`` (intrinsics scaled alike), and SIFT upsamples them first (first
    octave -1) when that side is under ``upsample_below``; each keyframe is matched with the next
    ``overlap`` keyframes, plus loop-closure candidates retrieved with a vocabulary tree built
    from the video's own descriptors. Two-view verification uses a RANSAC threshold of
    ``ransac_max_error_px`` (SIFT pixels): with COLMAP's 4 px a homography explains most matches
    of the short baselines between video keyframes, the pairs are classed planar/panoramic and
    poses break. A pair needs ``min_inliers`` verified matches (COLMAP: 15): retrieved pairs of
    look-alike places (repeated textures) pass 15 with wrong geometry and break the path.
    3D points need a triangulation angle of ``min_tri_angle_deg`` (COLMAP: 1.5 deg, made for
    photo collections): video keyframes a few frames apart see most points at 0.5-1.5 deg, and
    with 1.5 the map thins out wherever the camera turns or walks slowly; the mapper then fails
    to register the next keyframe and splits the video into several models (the global
    fallback or the largest piece then gives bursts of degrees of error).
    The incremental mapper starts from a pair of keyframes ``init_min_tri_angle_deg`` apart
    (COLMAP: 16 deg, which a walking video's keyframes with enough shared points rarely reach:
    COLMAP then searches all pairs again with the constraints halved, four times on a 961-frame
    out-and-back, ~20 s a search, before it starts from a 4 deg pair anyway). It runs a global
    bundle adjustment each time the model has grown by a factor ``ba_global_growth`` in frames
    or in points since the last one (COLMAP: 1.1, ~60 global adjustments on a 240-keyframe
    video, most of the mapping time), and with
    ``ba_prune_redundant_points`` those adjustments leave out 3D points that add no constraint
    coverage (COLMAP's ``ba_global_ignore_redundant_points3D``). On 961-frame oracle clips
    these cut the mapping time 2-3x with the scores unchanged (``reports/pose_bench.md``).
    ``mapper`` "incremental" is the default (the global mapper breaks on straight walks, where
    translation averaging is degenerate); when it cannot initialise (short, slow clips) the
    global mapper runs too (see :func:`pose_pipeline.mapping.reconstruct`)."""

    stride: int = 4
    max_shift: float = 0.1
    max_speed_change: float = 0.003
    max_interpolation_gap: int = 16
    max_image_size: int = 640
    max_features: int = 4096
    upsample_below: int = 480
    overlap: int = 8
    ransac_max_error_px: float = 2.0
    min_inliers: int = 30
    min_tri_angle_deg: float = 0.5
    init_min_tri_angle_deg: float = 4.0
    ba_global_growth: float = 1.4
    ba_prune_redundant_points: bool = True
    loop_closure: bool = True
    mapper: str = "incremental"
    num_threads: int = 2  # feature extraction (matching and mapping run on one, for repeatability)
    seed: int = 0
    min_keyframes: int = 3

    def __post_init__(self) -> None:
        if self.mapper not in MAPPERS:
            raise ValueError(f"mapper must be one of {MAPPERS}, got {self.mapper!r}")
        if self.stride < 1 or self.max_interpolation_gap < self.stride:
            raise ValueError("need stride >= 1 and max_interpolation_gap >= stride")
        if self.ba_global_growth <= 1:
            raise ValueError(f"ba_global_growth must exceed 1, got {self.ba_global_growth}")
        if not 0 < self.max_shift <= 1:
            raise ValueError(
                f"max_shift is a fraction of the width in (0, 1], got {self.max_shift}"
            )

    def to_dict(self) -> dict:
        return asdict(self)
