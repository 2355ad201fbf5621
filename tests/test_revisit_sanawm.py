"""The ``sanawm`` revisit protocol: PSNR and SSIM (11x11 uniform window) pinned to hand-derived
values and a plain numpy twin, the pair selection of SANA-WM-Bench's scripts, the evaluators'
new metrics (NaN without pairs), and the reader typing the pairs (``Case.evaluation_pairs``)."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.benchdata import straight_walk, write_bench
from wmbench.core.errors import InputError
from wmbench.core.types import Case, EvaluationPair, Trajectory, Video
from wmbench.data.sanawm_bench import SPLIT_DIRS, read_benchmark, read_evaluation_pairs
from wmbench.evaluators.base import EvalInput
from wmbench.evaluators.revisit import Revisit
from wmbench.evaluators.sanawm_pairs import evaluation_pairs, psnr_uint8, ssim_uniform
from wmbench.models.base import Generation


def _case(pairs) -> Case:
    trajectory = Trajectory(straight_walk(40), np.eye(3) * 50 + np.diag([0, 0, -49]), (64, 48), 16)
    typed = read_evaluation_pairs(pairs, "hard_60s/indoor_001")
    return Case("hard_60s/indoor_001", Path("x.png"), "", trajectory, "hard_60s",
                evaluation_pairs=typed)  # fmt: skip


def twin_ssim(first: np.ndarray, second: np.ndarray, k: int = 11) -> float:
    """SSIM with a k x k mean over a reflected border (scipy's 'reflect': d c b a | a b c d),
    written with explicit padding and a loop over window offsets."""
    pad = k // 2

    def mean(image):
        padded = np.pad(image, pad, mode="symmetric")
        total = np.zeros_like(image)
        for dy in range(k):
            for dx in range(k):
                total += padded[dy : dy + image.shape[0], dx : dx + image.shape[1]]
        return total / k**2

    values = []
    for c in range(3):
        x, y = first[..., c].astype(float), second[..., c].astype(float)
        mx, my = mean(x), mean(y)
        vx, vy, cxy = mean(x * x) - mx**2, mean(y * y) - my**2, mean(x * y) - mx * my
        c1, c2 = 6.5025, 58.5225
        values.append(np.mean((2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) *
                                                                     (vx + vy + c2))))  # fmt: skip
    return float(np.mean(values))


def test_psnr_is_capped_at_100_and_follows_the_mean_squared_error():
    image = np.full((4, 4, 3), 100, dtype=np.uint8)
    assert psnr_uint8(image, image) == 100.0
    assert psnr_uint8(image, image + 1) == pytest.approx(10 * np.log10(255**2))  # mse 1
    assert psnr_uint8(image, image + 10) == pytest.approx(10 * np.log10(255**2 / 100))


def test_ssim_is_one_for_equal_images_and_matches_the_numpy_twin():
    rng = np.random.default_rng(0)
    first = rng.integers(0, 255, (30, 41, 3), dtype=np.uint8)
    second = np.clip(first + rng.normal(0, 20, first.shape), 0, 255).astype(np.uint8)
    assert ssim_uniform(first, first) == pytest.approx(1.0)
    assert ssim_uniform(first, second) == pytest.approx(twin_ssim(first, second), rel=1e-10)
    assert ssim_uniform(first, second) < 0.99
    # constant images: means are the pixels, variances 0: SSIM = (2ab + c1) / (a^2 + b^2 + c1)
    a, b = np.full((12, 12, 3), 10, np.uint8), np.full((12, 12, 3), 20, np.uint8)
    assert ssim_uniform(a, b) == pytest.approx((2 * 200 + 6.5025) / (100 + 400 + 6.5025))


def test_pairs_are_the_five_best_by_quality_mapped_to_the_video_frames():
    pairs = [
        {"frame_a": 1, "frame_b": 30, "quality_score": 0.5},
        {"frame_a": 2, "frame_b": 31, "quality_score": 0.1},
        {"frame_a": 3, "frame_b": 32},  # no score: 999, last
        {"frame_a": 4, "frame_b": 33, "quality_score": 0.3},
        {"frame_a": 5, "frame_b": 34, "quality_score": 0.2},
        {"frame_a": 6, "frame_b": 35, "quality_score": 0.4},
    ]
    np.testing.assert_array_equal(
        evaluation_pairs(_case(pairs), 16.0, 40), [[2, 31], [5, 34], [4, 33], [6, 35], [1, 30]]
    )
    # at 8 fps frame f of 16 fps is frame round(f / 2); pairs landing on one frame are dropped
    np.testing.assert_array_equal(evaluation_pairs(_case([[4, 20], [4, 5]]), 8.0, 40), [[2, 10]])
    # a frame past the video's end is clamped to the last one, as the scripts clamp it
    np.testing.assert_array_equal(
        evaluation_pairs(_case([[1, 39], [1, 40], [39, 45]]), 16.0, 40), [[1, 39], [1, 39]]
    )
    assert evaluation_pairs(_case(None), 16.0, 40).shape == (0, 2)


def test_malformed_pairs_are_named_where_they_are_read():
    with pytest.raises(InputError, match=r"evaluation_pairs\[0\]"):
        read_evaluation_pairs([{"frame_a": 1}], "scenes.json")
    with pytest.raises(InputError, match=r"evaluation_pairs\[1\]\.quality_score.*'best'"):
        read_evaluation_pairs([[1, 2], {"frame_a": 1, "frame_b": 3, "quality_score": "best"}], "s")
    with pytest.raises(InputError, match="a list of pairs"):
        read_evaluation_pairs({"frame_a": 1}, "scenes.json")


def test_the_revisit_evaluator_scores_the_pairs_and_leaves_cases_without_them_blank():
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 255, (40, 48, 64, 3), dtype=np.uint8)
    frames[30] = frames[2]  # a perfect revisit
    video = Video(frames, 16)
    for pairs in ([[2, 30], [3, 31]], None):
        case = _case(pairs)
        result = Revisit().evaluate(EvalInput(case, case.trajectory, video, Generation(video)))
        if pairs is None:
            assert np.isnan(result.metrics["revisit_psnr_db/sanawm"])
            assert np.isnan(result.metrics["revisit_ssim/sanawm"])
            assert "sanawm/pairs" not in result.series
            continue
        expected = np.mean([100.0, psnr_uint8(frames[3], frames[31])])
        assert result.metrics["revisit_psnr_db/sanawm"] == pytest.approx(expected)
        expected = np.mean([1.0, ssim_uniform(frames[3], frames[31])])
        assert result.metrics["revisit_ssim/sanawm"] == pytest.approx(expected)
        np.testing.assert_array_equal(result.series["sanawm/pairs"], pairs)


def test_the_reader_puts_the_scenes_evaluation_pairs_in_the_case(tmp_path):
    root = write_bench(tmp_path / "bench")
    pairs = [{"frame_a": 3, "frame_b": 40, "distance_m": 0.1, "quality_score": 0.2}]
    meta = {"scenes": [{"scene_id": "indoor_001", "prompt": "p", "evaluation_pairs": pairs}]}
    (root / SPLIT_DIRS["hard_60s"] / "scene_trajectories_v2.json").write_text(json.dumps(meta))
    cases = {case.id: case for case in read_benchmark(root)[0]}
    assert cases["hard_60s/indoor_001"].evaluation_pairs == (
        EvaluationPair(3, 40, quality_score=0.2, distance_m=0.1),
    )
    assert cases["hard_60s/outdoor_001"].evaluation_pairs == ()
    assert cases["simple_60s/indoor_001"].evaluation_pairs == ()
