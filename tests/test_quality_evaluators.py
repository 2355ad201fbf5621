"""The weight-free quality evaluators through the evaluator contract, on simple clips."""

import numpy as np
import pytest

from tests.test_quality_metrics import panning
from wmbench.core.errors import InputError
from wmbench.core.types import Trajectory
from wmbench.evaluators import flow as flow_module
from wmbench.evaluators.base import Evaluator
from wmbench.evaluators.drift import Drift
from wmbench.evaluators.flow import FlowConsistency
from wmbench.evaluators.functional.image import MAX_PSNR_DB
from wmbench.evaluators.reference import Reference
from wmbench.evaluators.revisit import Revisit
from wmbench.studies.validate_quality import eval_input, weight_free_evaluators

SIZE = (240, 136)
K = np.array([[200.0, 0, 119.5], [0, 200.0, 67.5], [0, 0, 1]])


def out_and_back(num_frames: int, step_m: float = 0.05) -> Trajectory:
    """Sideways out and back to the exact start: x = 0, s, 2s, ..., back to 0."""
    half = num_frames // 2
    x = np.concatenate([np.arange(half + 1), np.arange(num_frames - half - 2, -1, -1)]) * step_m
    c2w = np.repeat(np.eye(4)[None], num_frames, axis=0)
    c2w[:, 0, 3] = x[:num_frames]
    return Trajectory(c2w, K, SIZE, 16.0)


def out_and_back_frames(num_frames: int) -> np.ndarray:
    """A far textured wall seen while moving sideways out and back: the last frame is the
    first."""
    out = panning(num_frames // 2 + 1, (2, 0))
    return np.concatenate([out, out[-2::-1]])[:num_frames]


@pytest.fixture(scope="module")
def clip():
    return out_and_back_frames(17), out_and_back(17)


def test_evaluators_declare_what_they_return(clip):
    frames, trajectory = clip
    inputs = eval_input(frames, trajectory, reference=frames)
    for evaluator in weight_free_evaluators():
        assert isinstance(evaluator, Evaluator)
        evaluator.check_available()
        result = evaluator.evaluate(inputs)
        declared = {spec.name for spec in evaluator.metric_specs()}
        assert set(result.metrics) == declared, evaluator.name
        expected_nan = {
            "revisit_psnr_db/depth_warp",
            "revisit_ssim/depth_warp",  # no depth
            "revisit_psnr_db/sanawm",
            "revisit_ssim/sanawm",
        }  # no evaluation_pairs
        assert all(np.isfinite(v) for k, v in result.metrics.items() if k not in expected_nan)


def test_flow_is_computed_once_per_case(clip, monkeypatch):
    frames, trajectory = clip
    calls = []
    original = flow_module.FlowAccumulator.compute
    monkeypatch.setattr(
        flow_module.FlowAccumulator, "compute", lambda self: calls.append(1) or original(self)
    )
    inputs = eval_input(frames, trajectory)
    FlowConsistency().evaluate(inputs)
    Drift().evaluate(inputs)
    assert len(calls) == 1


def test_reference_of_the_reference_is_perfect_and_none_does_not_apply(clip):
    frames, trajectory = clip
    metrics = Reference().evaluate(eval_input(frames, trajectory, reference=frames)).metrics
    assert metrics == {"psnr_db": MAX_PSNR_DB, "ssim": pytest.approx(1.0)}
    bare = Reference().evaluate(eval_input(frames, trajectory))
    assert set(bare.metrics) == {"psnr_db", "ssim"} and np.isnan(list(bare.metrics.values())).all()
    with pytest.raises(InputError, match="video's size"):
        Reference().evaluate(eval_input(frames, trajectory, reference=frames[:, :-2]))


def test_revisit_of_an_exact_loop_is_perfect_and_a_changed_revisit_is_not(clip):
    frames, trajectory = clip
    result = Revisit().evaluate(eval_input(frames, trajectory))
    later = result.series["near_identity/later_frame"]
    assert later.tolist() == list(range(9, 17))  # the way back revisits the way out
    assert result.series["near_identity/earlier_frame"].tolist() == (16 - later).tolist()
    assert result.metrics["revisit_psnr_db/near_identity"] == MAX_PSNR_DB
    assert result.metrics["revisit_ssim/near_identity"] == pytest.approx(1.0)

    morphed = frames.copy()
    morphed[9:, 40:100, 60:180] = 255 - morphed[9:, 40:100, 60:180]  # changed on the way back
    changed = Revisit().evaluate(eval_input(morphed, trajectory)).metrics
    assert changed["revisit_psnr_db/near_identity"] < 30
    assert changed["revisit_ssim/near_identity"] < 0.9


def test_revisit_checks_the_aspect_ratio(clip):
    frames, trajectory = clip
    with pytest.raises(InputError, match="aspect"):
        Revisit().evaluate(eval_input(frames[:, :, :120], trajectory))
