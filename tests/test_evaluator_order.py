"""Evaluator dependencies: each evaluator runs after the evaluators it ``requires`` that the
suite lists, otherwise in the suite's order; a cycle or a requirement that names no registered
evaluator is an error naming the suite's ``evaluators`` field."""

import pytest

from wmbench.core.errors import InputError
from wmbench.core.types import Suite
from wmbench.evaluators import EVALUATORS
from wmbench.evaluators.base import EvalInput, EvalResult, Evaluator, MetricSpec
from wmbench.harness.evaluator_setup import in_dependency_order, ready_evaluators


def fake(name: str, *requires: str) -> Evaluator:
    """An evaluator named ``name`` requiring ``requires`` (nothing else about it matters)."""

    class Fake(Evaluator):
        version = "1"

        def metric_specs(self) -> list[MetricSpec]:
            return []

        def evaluate(self, inputs: EvalInput) -> EvalResult:
            return EvalResult({})

    Fake.name, Fake.requires = name, requires
    return Fake()


def names(evaluators: list[Evaluator]) -> list[str]:
    return [evaluator.name for evaluator in evaluators]


def test_each_runs_after_what_it_requires_else_in_the_suites_order():
    suite = [fake("vbench_quality_score", "imaging_quality", "camera"), fake("throughput"),
             fake("local_control", "camera"), fake("imaging_quality"), fake("camera")]  # fmt: skip
    assert names(in_dependency_order(suite, "suite 's'")) == [
        "throughput", "imaging_quality", "camera", "vbench_quality_score", "local_control"
    ]  # fmt: skip
    ordered = [fake("camera"), fake("local_control", "camera"), fake("flicker")]
    assert names(in_dependency_order(ordered, "s")) == ["camera", "local_control", "flicker"]
    # a requirement the suite does not list: the evaluator computes it itself, order kept
    alone = [fake("local_control", "camera"), fake("flicker")]
    assert names(in_dependency_order(alone, "s")) == ["local_control", "flicker"]


def test_a_cycle_is_an_error_naming_the_suites_evaluators():
    cycle = [fake("flicker"), fake("camera", "drift"), fake("drift", "camera")]
    with pytest.raises(InputError, match=r"suite 'x'.*evaluators.*without a cycle") as error:
        in_dependency_order(cycle, "suite 'x'")
    assert "camera requires drift; drift requires camera" in str(error.value)


def test_a_requirement_that_is_no_evaluator_is_an_error_naming_it():
    with pytest.raises(InputError, match=r"suite 'x'.*evaluators.*'drift'.*camra \(not regis"):
        in_dependency_order([fake("drift", "camra")], "suite 'x'")


def test_every_declared_requirement_is_a_registered_evaluator():
    registered = set(EVALUATORS.names())
    declared = {}
    for name in registered:
        try:
            declared[name] = EVALUATORS.get(name).requires
        except ModuleNotFoundError:  # an extra not installed here
            continue
    assert set(declared["local_control"]) == {"camera"} == set(declared["persistence"])
    assert "imaging_quality" in declared["vbench_quality_score"]
    assert all(set(requires) <= registered for requires in declared.values())


def test_the_runner_orders_a_suites_evaluators():
    suite = Suite("s", (), 9, 16.0, (32, 32), ("persistence", "throughput", "camera"), ())
    evaluators, skipped, identities = ready_evaluators(suite, False, lambda line: None)
    assert names(evaluators) == ["throughput", "camera", "persistence"] and not skipped
    assert list(identities) == ["persistence", "throughput", "camera"]  # the suite's order
