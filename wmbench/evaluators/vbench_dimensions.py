"""VBench's seven quality dimensions: canonical metric names, the evaluator producing each,
VBench's normalisation and weights, and its quality score.

Every evaluator that reports one of these dimensions uses the names defined here, computed as
VBench computes it (Vchitect/VBench, ``vbench/<dimension>.py``). The constants are VBench's
``scripts/constant.py`` (``NORMALIZE_DIC``, ``DIM_WEIGHT``, ``QUALITY_LIST``) and the formula
its ``scripts/cal_final_score.py`` (``get_nomalized_score``, ``get_quality_score``), both read at
commit 45e79ec14e69a2187202c675d2dbce1a71843d53:

    quality = sum_d w_d (x_d - min_d) / (max_d - min_d) / sum_d w_d

with w_d = 1 except dynamic degree (0.5). The SANA-WM-Bench tables' "VBench Overall" is this
quality score x 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SUBJECT_CONSISTENCY = "subject_consistency/vbench"
BACKGROUND_CONSISTENCY = "background_consistency/vbench"
TEMPORAL_FLICKERING = "temporal_flickering/vbench"
MOTION_SMOOTHNESS = "motion_smoothness/vbench"
DYNAMIC_DEGREE = "dynamic_degree/vbench"
AESTHETIC_QUALITY = "aesthetic_quality/vbench"
IMAGING_QUALITY = "imaging_quality/vbench"


@dataclass(frozen=True)
class Dimension:
    """One quality dimension: VBench's ``key`` (as in ``constant.py``), our ``metric`` name,
    the registered ``evaluator`` that reports it, and VBench's ``minimum`` / ``maximum``
    (``NORMALIZE_DIC``) and ``weight`` (``DIM_WEIGHT``)."""

    key: str
    metric: str
    evaluator: str
    minimum: float
    maximum: float
    weight: float = 1.0

    def normalised(self, value: float) -> float:
        """VBench's min-max normalisation of ``value`` (not clipped, as VBench's is not)."""
        return (value - self.minimum) / (self.maximum - self.minimum)


# VBench's QUALITY_LIST, in its order
DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("subject consistency", SUBJECT_CONSISTENCY, "subject_consistency_vbench",
              0.1462, 1.0),
    Dimension("background consistency", BACKGROUND_CONSISTENCY, "background_consistency",
              0.2615, 1.0),
    Dimension("temporal flickering", TEMPORAL_FLICKERING, "flicker", 0.6293, 1.0),
    Dimension("motion smoothness", MOTION_SMOOTHNESS, "motion_smoothness", 0.706, 0.9975),
    Dimension("aesthetic quality", AESTHETIC_QUALITY, "aesthetic_vbench", 0.0, 1.0),
    Dimension("imaging quality", IMAGING_QUALITY, "imaging_quality", 0.0, 1.0),
    Dimension("dynamic degree", DYNAMIC_DEGREE, "dynamic_degree", 0.0, 1.0, weight=0.5),
)  # fmt: skip


def quality_score(values: Mapping[str, float]) -> float:
    """VBench's quality score (0-1 for values inside VBench's ranges) from every dimension's
    value in ``values`` (by metric name); a KeyError names any dimension that is absent, so a
    score is never made from a subset."""
    absent = [d.metric for d in DIMENSIONS if d.metric not in values]
    if absent:
        raise KeyError(f"VBench's quality score needs every dimension; absent: {absent}")
    total = sum(d.weight * d.normalised(values[d.metric]) for d in DIMENSIONS)
    return total / sum(d.weight for d in DIMENSIONS)


def sanawm_quality_score(values: Mapping[str, float]) -> float:
    """The quality score as SANA-WM-Bench's ``eval_unified.py`` computes it (``normalize_score``
    then ``compute_vbench_total``, HaoyiZhu/NVlabs-Sana at 006a401): each normalised dimension
    clipped to [0, 1] before the weighted mean (VBench's own formula does not clip)."""
    quality_score(values)  # the same refusal of a subset
    total = sum(d.weight * min(1.0, max(0.0, d.normalised(values[d.metric]))) for d in DIMENSIONS)
    return total / sum(d.weight for d in DIMENSIONS)
