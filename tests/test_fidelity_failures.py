"""Failure policy per protocol. SANA-WM-Bench's ``eval_benchmark_poses.py`` (HaoyiZhu/NVlabs-Sana
at 28bfab0) skips a scene whose Pi3 estimate fails (``if pi3_res is None: print(...);
continue``) and prints ``np.mean`` over the scenes it kept; wmbench's ``sanawm`` does the same
and counts the skipped scene in ``failed_cases/sanawm``, while the ``wmbench`` protocol keeps
penalising it (a failed scene scores the static camera). Names carry the instrument: poses that
are not Pi3's give ``sanawm@<instrument>``."""

import numpy as np
import pandas as pd
import pytest

from pose_pipeline.estimators import EstimatedPoses
from tests.test_camera_sanawm import _random_path, twin_sanawm
from wmbench.evaluators import camera_metrics as cm
from wmbench.evaluators.camera_scoring import FailedCases, protocol_label, score_poses
from wmbench.harness.summary import aggregates

FRAMES = 41


def _estimate(c2w: np.ndarray | None, estimator: str) -> EstimatedPoses:
    count = FRAMES
    if c2w is None:  # the estimator gave nothing (SANA: pi3_res is None)
        nan = np.full((count, 4, 4), np.nan)
        return EstimatedPoses(nan, np.arange(count), np.zeros(count, bool), np.full(count, np.nan),
                              estimator, {}, failure="mapping: no model")  # fmt: skip
    return EstimatedPoses(c2w, np.arange(count), np.ones(count, bool), np.full(count, np.nan),
                          estimator, {})  # fmt: skip


def sana_overall_mean(scenes: list[tuple[np.ndarray | None, np.ndarray]]) -> tuple[float, int]:
    """Transcription of the script's loop and summary: skip failed scenes, mean the rest."""
    rot = []
    for est, gt in scenes:
        if est is None:
            continue  # print(f"Pi3 failed for {scene_id}, skipping")
        rot.append(twin_sanawm(est, gt)[0])
    return float(np.mean(rot)), len(scenes) - len(rot)


@pytest.fixture(scope="module")
def scenes() -> list[tuple[np.ndarray | None, np.ndarray]]:
    rng = np.random.default_rng(5)
    out = []
    for index in range(5):
        gt = _random_path(rng, FRAMES)
        est = gt.copy()
        est[:, :3, 3] += rng.normal(0, 0.05, (FRAMES, 3))
        out.append((None if index == 2 else est, gt))
    return out


@pytest.mark.parametrize("instrument", ["pi3", "pycolmap"])
def test_one_failed_scene_sana_mean_over_the_others_and_wmbench_penalises(scenes, instrument):
    label = protocol_label("sanawm", instrument)
    assert label == ("sanawm" if instrument == "pi3" else "sanawm@pycolmap")
    rows, counter = [], FailedCases(label)
    for est, gt in scenes:
        metrics, series = score_poses(_estimate(est, instrument), gt, 16.0, 0)
        rows.append(metrics)
        counter.update(series)
    table = pd.DataFrame(rows)
    summary = aggregates(table, list(table.columns))
    expected, failures = sana_overall_mean(scenes)
    assert summary[f"rot_err_deg/{label}"].count == 4
    assert summary[f"rot_err_deg/{label}"].mean == pytest.approx(expected, abs=1e-6)
    assert counter.compute().value == failures == 1
    # wmbench: five scenes, the failed one scored as the static camera
    penalised = []
    for est, gt in scenes:
        valid = np.zeros(FRAMES, bool) if est is None else np.ones(FRAMES, bool)
        errors, _ = cm.wmbench_errors(gt if est is None else est, gt, valid)
        penalised.append(errors.rot.mean())
    assert summary["rot_err_deg/wmbench"].count == 5
    assert summary["rot_err_deg/wmbench"].mean == pytest.approx(np.mean(penalised), abs=1e-9)
    static = cm.wmbench_errors(scenes[2][1], scenes[2][1], np.zeros(FRAMES, bool))[0].rot.mean()
    assert static > 0 and penalised[2] == pytest.approx(static)


def test_the_published_estimator_keeps_the_plain_name_and_others_carry_theirs():
    assert protocol_label("sanawm", "pi3") == "sanawm"
    assert protocol_label("sanawm", "file") == "sanawm@file"
    assert protocol_label("wmbench", "pycolmap") == "wmbench"  # ours: no publication to match
