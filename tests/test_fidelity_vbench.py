"""SANA-WM-Bench's "VBench Overall": ``normalize_score`` clips each normalised dimension to
[0, 1] and ``compute_vbench_total`` takes VBench's weighted mean of the dimension scores VBench
computed over all of a split's videos (``tools/metrics/sana_wm/eval_unified.py``,
HaoyiZhu/NVlabs-Sana at 006a401). VBench's own ``cal_final_score.py`` does not clip."""

import numpy as np
import pytest

from tests.test_vbench_quality_score import vbench_quality_score
from wmbench.evaluators.vbench_dimensions import DIMENSIONS, quality_score, sanawm_quality_score
from wmbench.evaluators.vbench_quality import RAW, SanawmVBenchOverall

# eval_unified.py, transcribed: the quality part of NORMALIZE_DIC, VBENCH_DIM_WEIGHTS, and
# normalize_score / compute_vbench_total's quality branch
SANA_QUALITY_DIMS = ["subject_consistency", "background_consistency", "temporal_flickering",
                     "motion_smoothness", "aesthetic_quality", "imaging_quality",
                     "dynamic_degree"]  # fmt: skip
SANA_NORMALIZE = {
    "subject_consistency": {"Min": 0.1462, "Max": 1.0},
    "background_consistency": {"Min": 0.2615, "Max": 1.0},
    "temporal_flickering": {"Min": 0.6293, "Max": 1.0},
    "motion_smoothness": {"Min": 0.7060, "Max": 0.9975},
    "dynamic_degree": {"Min": 0.0, "Max": 1.0},
    "aesthetic_quality": {"Min": 0.0, "Max": 1.0},
    "imaging_quality": {"Min": 0.0, "Max": 1.0},
}
SANA_WEIGHTS = {d: 1.0 for d in SANA_QUALITY_DIMS} | {"dynamic_degree": 0.5}


def sana_normalize_score(dim: str, raw: float) -> float:
    mn, mx = SANA_NORMALIZE[dim]["Min"], SANA_NORMALIZE[dim]["Max"]
    if mx - mn < 1e-8:
        return raw
    return max(0.0, min(1.0, (raw - mn) / (mx - mn)))


def sana_quality(scores: dict[str, float]) -> float:
    norm = {d: sana_normalize_score(d, s) for d, s in scores.items()}
    q_dims = [d for d in SANA_QUALITY_DIMS if d in norm]
    total_w = sum(SANA_WEIGHTS.get(d, 1.0) for d in q_dims)
    return sum(norm[d] * SANA_WEIGHTS.get(d, 1.0) for d in q_dims) / total_w


# wmbench dimension (in DIMENSIONS order) -> SANA's key
SANA_KEY = dict(zip([d.metric for d in DIMENSIONS], SANA_QUALITY_DIMS, strict=True))
VBENCH_KEY = {d.metric: d.key for d in DIMENSIONS}


def _values(rng: np.random.Generator) -> dict[str, float]:
    """Dimensions partly outside VBench's ranges (motion smoothness above 0.9975, flickering
    below 0.6293), where clipping matters."""
    raw = rng.uniform(0.55, 1.0, len(DIMENSIONS))
    raw[2] = rng.uniform(0.55, 0.6)
    raw[3] = rng.uniform(0.998, 1.0)
    return {d.metric: float(v) for d, v in zip(DIMENSIONS, raw, strict=True)}


@pytest.mark.parametrize("seed", range(5))
def test_the_sanawm_score_clips_as_sana_and_vbench_does_not(seed):
    values = _values(np.random.default_rng(seed))
    sana = sana_quality({SANA_KEY[k]: v for k, v in values.items()})
    assert sanawm_quality_score(values) == pytest.approx(sana, abs=1e-12)
    vbench = vbench_quality_score({VBENCH_KEY[k]: v for k, v in values.items()})
    assert quality_score(values) == pytest.approx(vbench, abs=1e-12)


def test_the_set_score_pools_dimensions_over_cases_then_clips():
    rng = np.random.default_rng(9)
    cases = [_values(rng) for _ in range(6)]
    metric = SanawmVBenchOverall()
    for values in cases:
        metric.update({RAW: np.array([values[d.metric] for d in DIMENSIONS])})
    # eval_vbench: one VBench score per dimension over all videos (their mean), then the total
    pooled = {SANA_KEY[k]: float(np.mean([c[k] for c in cases])) for k in cases[0]}
    result = metric.compute()
    assert result.count == 6
    assert result.value == pytest.approx(100 * sana_quality(pooled), abs=1e-10)
    per_case = np.mean([100 * quality_score(c) for c in cases])  # wmbench's per-case mean
    assert abs(result.value - per_case) > 0.01  # clipping makes them differ here
