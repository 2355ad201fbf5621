"""The headline table: the publication's rows and columns, measured rows beside them under the
metric-name contract, intervals, paired differences, and one model behind every rendering."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from wmbench.harness.records import DeclaredMetric
from wmbench.report import headline, reported
from wmbench.report.measured import aggregate

TABLE2 = ["Infinite-World", "LingBot-World", "HY-WorldPlay", "Matrix-Game 3.0", "SANA-WM",
          "SANA-WM + refiner"]  # fmt: skip
CASES = [f"{split}/scene_{i:03d}" for split in ("simple_60s", "hard_60s") for i in range(20)]
SPECS = {
    "rot_err_deg/sanawm": DeclaredMetric(False, "deg", evaluator="camera"),
    "rot_err_deg/sanawm@pycolmap": DeclaredMetric(False, "deg", evaluator="camera"),
    "peak_memory_gb": DeclaredMetric(False, "GiB", evaluator="throughput"),
    "failed_cases/sanawm@pycolmap": DeclaredMetric(False, "cases", evaluator="camera"),
}
CASE_METRICS = [name for name in SPECS if not name.startswith("failed_cases/")]


def _run(label: str, models: dict[str, float]) -> SimpleNamespace:
    """A run whose models score RotErr = base + offset per case (base shared by all models),
    a pycolmap twin of it, and memory in GiB."""
    base = np.random.default_rng(0).normal(8.0, 3.0, size=len(CASES))
    rows = []
    for key, offset in models.items():
        for case, value in zip(CASES, base, strict=True):
            rows.append({
                "model": key, "model_key": key, "case_id": case, "split": case.split("/")[0],
                "category": "", "status": "ok", "error": "",
                "rot_err_deg/sanawm": value + offset,
                "rot_err_deg/sanawm@pycolmap": value + offset + 1.0,
                "peak_memory_gb": 10.0,
            })  # fmt: skip
    results = pd.DataFrame(rows)
    record = SimpleNamespace(resolution=[640, 360], hardware={"gpu": "H100"})
    return SimpleNamespace(label=label, results=results, metrics=CASE_METRICS, record=record)


def _measured_long(runs: list[SimpleNamespace]) -> pd.DataFrame:
    """Per-case means, and the set-level failure count (1 of 20 scenes per model and split)."""
    table = aggregate(runs)  # type: ignore[arg-type]
    keys = table[table["metric"] == "rot_err_deg/sanawm"][["run", "model_key", "split"]]
    failures = keys.assign(metric="failed_cases/sanawm@pycolmap", mean=1.0, count=20)
    table = pd.concat([table, failures], ignore_index=True)
    return table.assign(source="measured", model=table["model_key"], note="")


@pytest.fixture(scope="module")
def board() -> tuple[headline.Headline, list[SimpleNamespace]]:
    runs = [_run("default", {"sana-wm": 0.0, "static": 5.0})]
    files = reported.resolve(["reported"])
    built = headline.build(runs, files, _measured_long(runs), SPECS)  # type: ignore[arg-type]
    assert built is not None
    return built, runs


def test_the_reference_is_table_2_with_its_columns_in_order(board):
    built, _ = board
    assert built.title == "SANA-WM (arXiv 2605.15178), Table 2"
    assert built.splits == ("simple_60s", "hard_60s")
    labels = [column.label for column in built.columns]
    assert labels == ["RotErr", "TransErr", "CamMC", "VBench Overall", "peak memory",
                      "peak_memory_gb", "videos/hour", "failed_cases/sanawm"]  # fmt: skip
    memory = {column.label: column for column in built.columns}
    assert memory["peak memory"].unit == "GB" and not memory["peak memory"].comparable
    assert memory["peak_memory_gb"].unit == "GiB" and memory["peak_memory_gb"].measured_only


def test_every_table_2_row_per_split_then_the_measured_rows(board):
    built, _ = board
    simple = headline.frame(built, "simple_60s")
    assert list(simple["model"])[:6] == TABLE2
    assert list(simple["model"])[6:] == [
        "Matrix-Game 3.5 (matrix_game_3_5)", "sana-wm", "sana-wm [pycolmap]", "static",
        "static [pycolmap]",
    ]  # fmt: skip
    hard = headline.frame(built, "hard_60s")
    assert list(hard["model"])[:7] == [*TABLE2, "SANA-WM bidirectional (Table 9)"]
    published = simple.set_index("model").loc["SANA-WM"]
    assert published["↓ RotErr [deg]"] == "7.59" and published["params"] == "2.6B"
    assert published["resolution"] == "720p" and published["GPUs"] == "1 GPU"
    assert published["↑ videos/hour [videos/h]"] == "24.1"
    assert set(simple["source"]) == {"reported", "measured"}


def test_measured_cells_follow_the_name_contract(board):
    built, _ = board
    simple = headline.frame(built, "simple_60s").set_index("model")
    rot, gb, gib = "↓ RotErr [deg]", "↓ peak memory [GB]", "↓ peak_memory_gb [GiB]"
    failed = "↓ failed_cases/sanawm [cases]"  # the pycolmap row's count
    exact, twin = simple.loc["sana-wm"], simple.loc["sana-wm [pycolmap]"]
    mean, interval = exact[rot].split(" [")
    assert float(mean) == pytest.approx(np.random.default_rng(0).normal(8, 3, 40)[:20].mean(),
                                        abs=1e-3)  # fmt: skip
    low, high = (float(x) for x in interval.rstrip("]").split(", "))
    assert low < float(mean) < high
    assert float(twin[rot].split(" [")[0]) == pytest.approx(float(mean) + 1.0, abs=1e-3)
    assert exact[gb] == "" and exact[gib] == "10 [10, 10]" and exact["cases"] == "20"
    assert twin[failed] == "1" and exact[failed] == "" and twin[gib] == ""


def test_paired_difference_recovers_the_offset(board):
    built, runs = board
    found = headline.differences(built, runs)  # type: ignore[arg-type]
    exact = next(d for d in found if (d.base, d.new, d.split) == ("sana-wm", "static",
                                                                   "simple_60s"))  # fmt: skip
    rot = exact.cells["↓ RotErr [deg]"]
    assert rot.mean == pytest.approx(5.0) and rot.count == 20
    assert "↓ peak memory [GB]" not in exact.cells  # not comparable with the publication
    table = headline.differences_frame(found, built, "simple_60s").set_index("new - base")
    assert table.loc["static - sana-wm", "↓ RotErr [deg]"] == "5 [5, 5] (n=20)"


def test_csv_holds_the_same_numbers(board, tmp_path: Path):
    built, _ = board
    numbers = headline.csv_frame(built)
    row = numbers[(numbers["model"] == "SANA-WM") & (numbers["split"] == "hard_60s")
                  & (numbers["column"] == "RotErr")]  # fmt: skip
    assert row["mean"].tolist() == [10.02] and row["ci_low"].isna().all()
    measured = numbers[(numbers["model"] == "sana-wm") & (numbers["column"] == "RotErr")]
    assert (measured["ci_low"] < measured["mean"]).all() and (measured["count"] == 20).all()
