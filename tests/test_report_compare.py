"""`wmbench compare`: deltas by declared direction, noise bands, thresholds and the exit status."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.benchdata import write_bench
from wmbench.cli import main
from wmbench.core.errors import InputError
from wmbench.report.compare import Thresholds, load_thresholds

SMALL = [
    "--suite", "one_minute", "--frames", "17", "--resolution", "64x48", "--no-videos",
    "--evaluators", "throughput",
]  # fmt: skip


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    bench = write_bench(root / "bench")
    out = root / "base"
    assert main(["run", *SMALL, "--data", str(bench), "--out", str(out), "--model", "static"]) == 0
    return out


def _copy(base, tmp_path, name, edit=None):
    """A copy of the run with ``edit(result)`` applied to every case's result.json."""
    copy = tmp_path / name
    shutil.copytree(base, copy)
    for path in copy.glob("cases/*/*/*/result.json"):
        result = json.loads(path.read_text())
        if edit:
            edit(result)
        path.write_text(json.dumps(result))
    return copy


def _add(metric, amount):
    def edit(result):
        result["metrics"][metric] += amount

    return edit


def _compare(*runs, thresholds=None, csv=None):
    extra = ["--thresholds", str(thresholds)] if thresholds else []
    extra += ["--csv", str(csv)] if csv else []
    return main(["compare", *map(str, runs), *extra])


def test_identical_runs_pass(base, tmp_path, capsys):
    assert _compare(base, _copy(base, tmp_path, "same"), csv=tmp_path / "c.csv") == 0
    table = pd.read_csv(tmp_path / "c.csv")
    assert set(table["status"]) == {"ok"} and (table["delta"] == 0).all()
    assert {"videos_per_hour_60s", "peak_memory_gb", "cases_failed"} <= set(table["metric"])
    assert "0 failing" in capsys.readouterr().out


def test_a_worse_lower_is_better_metric_fails(base, tmp_path, capsys):
    new = _copy(base, tmp_path, "heavier", _add("peak_memory_gb", 1.0))
    assert _compare(base, new, csv=tmp_path / "c.csv") == 1
    row = pd.read_csv(tmp_path / "c.csv").set_index("metric").loc["peak_memory_gb"]
    assert row["status"] == "REGRESSED" and row["better"] == "lower"
    assert row["delta"] == pytest.approx(1.0) and row["noise"] == pytest.approx(0.0, abs=1e-9)
    assert "FAIL static peak_memory_gb: REGRESSED" in capsys.readouterr().out


def test_direction_decides_between_regression_and_improvement(base, tmp_path):
    faster = _copy(base, tmp_path, "faster", _add("frames_per_s", 1e9))
    assert _compare(base, faster, csv=tmp_path / "c.csv") == 0
    assert pd.read_csv(tmp_path / "c.csv").set_index("metric").loc["frames_per_s", "status"] == (
        "improved"
    )
    slower = _copy(base, tmp_path, "slower", lambda r: r["metrics"].update(videos_per_hour_60s=1.0))
    assert _compare(base, slower) == 1


def test_thresholds_allow_a_change_within_tolerance(base, tmp_path):
    new = _copy(base, tmp_path, "heavier", _add("peak_memory_gb", 1.0))
    loose = tmp_path / "loose.yaml"
    loose.write_text("metrics:\n  peak_memory_*: {abs: 1.5}\n")
    assert _compare(base, new, thresholds=loose) == 0
    relative = tmp_path / "relative.yaml"
    relative.write_text("default: {rel: 3.0}\n")  # peak memory is ~0.55 GiB: 3x covers +1
    assert _compare(base, new, thresholds=relative) == 0
    tight = tmp_path / "tight.yaml"
    tight.write_text("default: {rel: 3.0}\nmetrics:\n  peak_memory_gb: {abs: 0.5}\n")
    assert _compare(base, new, thresholds=tight) == 1  # a listed metric replaces the default
    ignored = tmp_path / "ignored.yaml"
    ignored.write_text("metrics:\n  peak_memory_gb: {ignore: true}\n")
    assert _compare(base, new, thresholds=ignored) == 0


def test_repeated_base_runs_give_the_noise_band(base, tmp_path, capsys):
    other = _copy(base, tmp_path, "other", _add("peak_memory_gb", 0.2))
    near = _copy(base, tmp_path, "near", _add("peak_memory_gb", 0.3))
    far = _copy(base, tmp_path, "far", _add("peak_memory_gb", 0.5))
    # base mean +0.1, run-to-run std 0.1414, band 2 x 0.1414 = 0.283
    assert _compare(base, other, near, csv=tmp_path / "c.csv") == 0
    row = pd.read_csv(tmp_path / "c.csv").set_index("metric").loc["peak_memory_gb"]
    assert row["noise"] == pytest.approx(0.2 / 2**0.5) and row["delta"] == pytest.approx(0.2)
    assert "std of the per-run means of the 2 BASE runs" in capsys.readouterr().out
    assert _compare(base, other, far) == 1


def test_missing_metrics_and_new_failures_fail(base, tmp_path):
    dropped = _copy(base, tmp_path, "dropped", lambda r: r["metrics"].pop("gen_seconds"))
    assert _compare(base, dropped, csv=tmp_path / "c.csv") == 1
    assert pd.read_csv(tmp_path / "c.csv").set_index("metric").loc["gen_seconds", "status"] == (
        "MISSING"
    )
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text("fail_on_missing: false\n")
    assert _compare(base, dropped, thresholds=lenient) == 0

    def fail_hard(result):
        if result["split"] == "hard_60s":
            result.update(status="failed", metrics={}, error="boom")

    broken = _copy(base, tmp_path, "broken", fail_hard)
    assert _compare(base, broken, thresholds=lenient, csv=tmp_path / "c.csv") == 1
    row = pd.read_csv(tmp_path / "c.csv").set_index("metric").loc["cases_failed"]
    assert (row["base"], row["new"], row["status"]) == (0, 2, "REGRESSED")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("sigma: -1\n", "sigma"),
        ("default: {rel: fast}\n", "default.rel"),
        ("metrics:\n  gen_seconds: {tolerance: 1}\n", "metrics.gen_seconds.tolerance"),
        ("fail_on_missing: maybe\n", "fail_on_missing"),
        ("limits: {}\n", "limits"),
    ],
    ids=["negative-sigma", "text-tolerance", "unknown-tolerance-key", "not-boolean", "unknown-key"],
)
def test_bad_thresholds_name_the_field(tmp_path, text, field):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_thresholds(path)
    assert error.value.field == field and str(path) in str(error.value)


def test_bad_input_exits_2(base, tmp_path, capsys):
    assert main(["compare", str(base)]) == 2
    assert "at least two run directories" in capsys.readouterr().err
    bad = tmp_path / "t.yaml"
    bad.write_text("sigma: x\n")
    assert _compare(base, base, thresholds=bad) == 2
    assert "field 'sigma'" in capsys.readouterr().err


def test_patterns_match_after_exact_names(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("metrics:\n  peak_*: {abs: 1}\n  peak_memory_gb: {}\n")
    thresholds = load_thresholds(path)
    assert thresholds.tolerance("peak_memory_gb").abs == 0
    assert thresholds.tolerance("peak_rss").abs == 1
    assert thresholds.tolerance("other") == Thresholds().default


def test_the_shipped_ci_thresholds_file_loads():
    thresholds = load_thresholds(Path(__file__).resolve().parents[1] / "suites/thresholds/ci.yaml")
    assert thresholds.sigma == 2.0


def test_paired_interval_of_a_known_offset(base, tmp_path):
    """NEW = BASE + 0.5 +- 0.05 per case: the paired bootstrap interval holds 0.5, and a
    threshold of 1.96 x noise (about its half-width) does not call it noise."""
    shifts = iter([0.45, 0.55, 0.5, 0.47, 0.53])

    def edit(result):
        result["metrics"]["peak_memory_gb"] += next(shifts)

    new = _copy(base, tmp_path, "shifted", edit)
    thresholds = tmp_path / "t.yaml"
    thresholds.write_text("sigma: 1.96\n")
    assert _compare(base, new, thresholds=thresholds, csv=tmp_path / "c.csv") == 1
    row = pd.read_csv(tmp_path / "c.csv").set_index("metric").loc["peak_memory_gb"]
    assert row["ci_low"] <= 0.5 <= row["ci_high"] and row["ci_high"] - row["ci_low"] < 0.1
    assert row["delta"] == pytest.approx(0.5, abs=0.01) and row["status"] == "REGRESSED"
    assert row["allowance"] == pytest.approx(1.96 * row["noise"])
