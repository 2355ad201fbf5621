"""The annotator's targets on 10 s oracle renders (slow: run with --runslow): its floor on both
trajectory families, metric scale from exact depth, and injected drift measured back.
``benchmarks/bench_pose.py`` measures the same on 961-frame clips, the loop family included (a
10 s loop turns a full circle at 36 deg/s with centimetres of baseline per frame: no floor)."""

import pytest

from pose_pipeline import AnnotatorConfig
from wmbench.studies.pose_floor import drift_recovery, measure, oracle_clip

pytestmark = pytest.mark.slow

CONFIG = AnnotatorConfig()


@pytest.mark.parametrize("family", ["smooth", "hard"])
def test_floor_on_oracle_renders(family):
    clip = oracle_clip("room", family, 0, 161, 320, 180)
    measured = measure(clip, CONFIG)
    metrics = measured["metrics"]
    assert metrics["posed_fraction"] == 1.0
    assert metrics["rot_err_deg/wmbench"] <= 0.3
    assert metrics["trans_err_pct_of_path/wmbench"] <= 1.0
    assert metrics["scale_factor/wmbench"] == pytest.approx(1.0, abs=0.03)
    assert metrics["metric_path_length_ratio"] == pytest.approx(1.0, abs=0.03)


def test_injected_rotation_drift_is_measured_back():
    result = drift_recovery("room", "smooth", 0, 161, 320, 180, (0.0, 1.0, 2.0, 5.0, 10.0), CONFIG)
    for name, fit in result["fits"].items():
        assert fit["slope"] == pytest.approx(1.0, abs=0.05), name
        assert fit["r2"] >= 0.99, name
