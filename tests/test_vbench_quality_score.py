"""VBench's quality score: the formula against a plain copy of VBench's scripts, blank with the
missing dimensions and files named on an empty store, present on the tiny test-made weights.

Motion smoothness (AMT-S) and the RAFT dynamic degree are evaluators of another branch; until
they are merged, the tests that need all seven dimensions register stand-ins for them."""

import numpy as np
import pytest

from tests.test_quality_evaluators import out_and_back
from tests.test_quality_metrics import panning
from tests.test_vbench_raft_amt import AMT_FILE, RAFT_FILE
from tests.vbench_store import (
    FILES,
    empty_store_fixture,  # noqa: F401 - the fixtures
    filled_store_fixture,  # noqa: F401
    tiny_clip_architecture_fixture,  # noqa: F401
    tiny_networks_fixture,  # noqa: F401
)
from wmbench.core.errors import MissingWeightsError
from wmbench.evaluators import EVALUATORS
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.evaluators.vbench_dimensions import (
    DIMENSIONS,
    DYNAMIC_DEGREE,
    MOTION_SMOOTHNESS,
    quality_score,
)
from wmbench.evaluators.vbench_quality import SCORE, SCORE_PCT, VBenchQualityScore
from wmbench.studies.validate_quality import eval_input

# VBench's scripts/constant.py and cal_final_score.py (Vchitect/VBench 45e79ec), copied by hand
NORMALIZE_DIC = {
    "subject consistency": {"Min": 0.1462, "Max": 1.0},
    "background consistency": {"Min": 0.2615, "Max": 1.0},
    "temporal flickering": {"Min": 0.6293, "Max": 1.0},
    "motion smoothness": {"Min": 0.706, "Max": 0.9975},
    "dynamic degree": {"Min": 0.0, "Max": 1.0},
    "aesthetic quality": {"Min": 0.0, "Max": 1.0},
    "imaging quality": {"Min": 0.0, "Max": 1.0},
}
DIM_WEIGHT = {key: 1 for key in NORMALIZE_DIC} | {"dynamic degree": 0.5}
QUALITY_LIST = ["subject consistency", "background consistency", "temporal flickering",
                "motion smoothness", "aesthetic quality", "imaging quality",
                "dynamic degree"]  # fmt: skip


def vbench_quality_score(upload_data: dict[str, float]) -> float:
    """get_nomalized_score then get_quality_score, as VBench writes them."""
    normalized_score = {}
    for key in QUALITY_LIST:
        min_val, max_val = NORMALIZE_DIC[key]["Min"], NORMALIZE_DIC[key]["Max"]
        normalized_score[key] = (upload_data[key] - min_val) / (max_val - min_val)
        normalized_score[key] = normalized_score[key] * DIM_WEIGHT[key]
    quality = [normalized_score[key] for key in QUALITY_LIST]
    return sum(quality) / sum(DIM_WEIGHT[i] for i in QUALITY_LIST)


EXAMPLE = {  # VBench key -> value
    "subject consistency": 0.9,
    "background consistency": 0.95,
    "temporal flickering": 0.97,
    "motion smoothness": 0.99,
    "aesthetic quality": 0.6,
    "imaging quality": 0.7,
    "dynamic degree": 0.4,
}
# by hand: (0.9-0.1462)/0.8538 = 0.882877; (0.95-0.2615)/0.7385 = 0.932295;
# (0.97-0.6293)/0.3707 = 0.919072; (0.99-0.706)/0.2915 = 0.974271; 0.6; 0.7; 0.5 x 0.4 = 0.2;
# sum 5.208515 / (6 + 0.5) = 0.801310
EXAMPLE_SCORE = 0.801310


def by_metric(values: dict[str, float]) -> dict[str, float]:
    return {d.metric: values[d.key] for d in DIMENSIONS}


def test_the_dimensions_are_vbench_s_quality_list_with_its_constants():
    assert [d.key for d in DIMENSIONS] == QUALITY_LIST
    for d in DIMENSIONS:
        assert (d.minimum, d.maximum) == (NORMALIZE_DIC[d.key]["Min"], NORMALIZE_DIC[d.key]["Max"])
        assert d.weight == DIM_WEIGHT[d.key]
    assert len({d.metric for d in DIMENSIONS}) == 7


def test_quality_score_known_answer_and_vbench_s_formula():
    assert vbench_quality_score(EXAMPLE) == pytest.approx(EXAMPLE_SCORE, abs=1e-6)
    assert quality_score(by_metric(EXAMPLE)) == pytest.approx(EXAMPLE_SCORE, abs=1e-6)
    top = {key: NORMALIZE_DIC[key]["Max"] for key in QUALITY_LIST}
    bottom = {key: NORMALIZE_DIC[key]["Min"] for key in QUALITY_LIST}
    assert quality_score(by_metric(top)) == pytest.approx(1.0)
    assert quality_score(by_metric(bottom)) == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        values = {key: float(rng.uniform(0, 1)) for key in QUALITY_LIST}
        assert quality_score(by_metric(values)) == pytest.approx(vbench_quality_score(values))


def test_quality_score_refuses_a_subset():
    values = by_metric(EXAMPLE)
    del values[DYNAMIC_DEGREE]
    with pytest.raises(KeyError, match="dynamic_degree/vbench"):
        quality_score(values)


def test_blank_on_a_store_without_weights_naming_the_dimensions_and_files(empty_store):
    inputs = eval_input(panning(3, (1, 0)), out_and_back(3))
    score = VBenchQualityScore()
    for call in (score.check_available, lambda: score.evaluate(inputs)):
        with pytest.raises(MissingWeightsError) as error:
            call()
        message = str(error.value)
        every = [*FILES.values(), AMT_FILE, RAFT_FILE]
        for file in every:
            assert str(empty_store / file) in message
        for metric in ("subject_consistency/vbench", "background_consistency/vbench",
                       "aesthetic_quality/vbench", "imaging_quality/vbench"):  # fmt: skip
            assert metric in message
        assert "temporal_flickering/vbench" not in message  # weight-free: available
        assert set(error.value.missing) == {empty_store / file for file in every}


class StandIn(Evaluator):
    """A stand-in for one of the other branch's dimensions: a constant value, counted."""

    name = "stand-in"
    version = "1"
    calls = 0

    def __init__(self, name: str, metric: str, value: float) -> None:
        super().__init__()
        self.name, self.metric, self.value = name, metric, value

    def metric_specs(self) -> list[MetricSpec]:
        return [MetricSpec(self.metric, True)]

    def evaluate(self, inputs: EvalInput) -> EvalResult:
        StandIn.calls += 1
        return EvalResult({self.metric: self.value})


@pytest.fixture
def other_branch_dimensions(monkeypatch):
    StandIn.calls = 0
    stand_ins = {
        "motion_smoothness": (MOTION_SMOOTHNESS, 0.98),
        "dynamic_degree": (DYNAMIC_DEGREE, 0.4),
    }
    for name, (metric, value) in stand_ins.items():
        monkeypatch.setitem(
            EVALUATORS._loaded, name, lambda n=name, m=metric, v=value: StandIn(n, m, v)
        )


def test_an_unregistered_dimension_is_named(filled_store, monkeypatch):
    monkeypatch.setattr(
        "wmbench.evaluators.vbench_quality.dimension_evaluator",
        lambda d: None if d.evaluator == "dynamic_degree" else EVALUATORS.get(d.evaluator)(),
    )
    with pytest.raises(MissingWeightsError) as error:
        VBenchQualityScore().check_available()
    message = str(error.value)
    assert "dynamic_degree/vbench: no evaluator 'dynamic_degree'" in message
    assert "motion_smoothness/vbench (motion_smoothness): missing" in message  # no AMT-S here


def test_present_on_the_test_made_weights_and_reusing_the_dimensions(
    filled_store, other_branch_dimensions
):
    frames = panning(6, (2, 0), size=(96, 64))
    inputs = eval_input(frames, out_and_back(6))
    evaluator = VBenchQualityScore()
    evaluator.check_available()
    assert set(evaluator.weight_entries) == {file.parts[0] for file in FILES.values()}
    values = {}
    for d in DIMENSIONS:  # each dimension's evaluator first, as a suite runs them
        values[d.key] = EVALUATORS.get(d.evaluator)().shared_evaluate(inputs).metrics[d.metric]
    calls = StandIn.calls
    result = evaluator.evaluate(inputs)
    assert StandIn.calls == calls == 2  # the suite's results are read, not recomputed
    assert set(result.metrics) == {spec.name for spec in evaluator.metric_specs()}
    assert result.metrics[SCORE] == pytest.approx(vbench_quality_score(values), abs=1e-12)
    assert result.metrics[SCORE_PCT] == pytest.approx(100 * result.metrics[SCORE])
    assert np.isfinite(result.metrics[SCORE])
    fresh = VBenchQualityScore().evaluate(eval_input(frames, out_and_back(6)))  # nothing cached
    assert fresh.metrics[SCORE] == pytest.approx(result.metrics[SCORE], abs=1e-6)
