"""`wmbench report`: leaderboard files, figures, protocol labels, a self-contained HTML file."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from tests.benchdata import write_bench
from wmbench.cli import main
from wmbench.core.types import Video
from wmbench.evaluators import EVALUATORS, EvalResult, Evaluator, MetricSpec
from wmbench.harness.identity import model_key
from wmbench.models import MODELS
from wmbench.models.base import Generation, ModelInfo
from wmbench.report.measured import (
    WINDOW,
    load_runs,
    series_metric,
    window_seconds,
    window_series,
)
from wmbench.report.tables import entries_table, long_table, reported_table, wide_table

WINDOWS = 4
SMALL = [
    "--suite", "one_minute", "--frames", "17", "--resolution", "64x48", "--no-videos",
    "--evaluators", "throughput",
]  # fmt: skip


class FadeModel:
    """The first frame, darkened by ``speed`` percent per frame: a video that drifts away."""

    def __init__(self, speed: str = "2") -> None:
        self.speed = int(speed)

    def info(self) -> ModelInfo:
        return ModelInfo(name="fade", version="1")

    def config(self) -> dict:
        return {"speed": self.speed}

    def check_available(self) -> None:
        return None

    def generate(self, request) -> Generation:
        gain = np.clip(1 - self.speed / 100 * np.arange(request.num_frames), 0, 1)
        frames = (request.image[None] * gain[:, None, None, None]).astype(np.uint8)
        return Generation(video=Video(frames, request.fps))


class WindowDrift(Evaluator):
    """A stand-in camera evaluator: mean |frame - frame 0| / 10 per 0.25 s window (17 frames at
    16 fps: 4 windows), stored as the camera evaluator names its series, and its mean."""

    name = "fakecam"
    version = "1"

    def metric_specs(self):
        return [MetricSpec("rot_err_deg/sanawm", False, "deg", "stand-in rotation error")]

    def evaluate(self, inputs) -> EvalResult:
        frames = np.concatenate(list(inputs.video.chunks())).astype(float)  # a FrameSequence
        error = np.abs(frames - frames[:1]).mean(axis=(1, 2, 3)) / 10
        windows = np.array([part.mean() for part in np.array_split(error, WINDOWS)])
        return EvalResult(
            metrics={"rot_err_deg/sanawm": float(windows.mean())},
            series={"rot_err_deg/sanawm/window_0.25s": windows},
        )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs: static and fade with the stand-in camera evaluator, and a throughput-only one."""
    root = tmp_path_factory.mktemp("report")
    bench = write_bench(root / "bench")
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(MODELS._loaded, "fade", FadeModel)
        patch.setitem(EVALUATORS._loaded, "fakecam", WindowDrift)
        for name, speed in (("camera_a", "2"), ("camera_b", "5")):
            command = [
                "run",
                *SMALL,
                "--data",
                str(bench),
                "--out",
                str(root / name),
                "--evaluators",
                "throughput,fakecam",
                "--model",
                "static",
                "--model",
                "fade",
                "--option",
                f"fade:speed={speed}",
            ]
            assert main(command) == 0
    plain = ["run", *SMALL, "--data", str(bench), "--out", str(root / "plain"), "--model", "static"]
    assert main(plain) == 0
    return root


def test_report_writes_markdown_html_csv_and_figures(runs, tmp_path, capsys):
    out = tmp_path / "board"
    command = ["report", str(runs / "camera_a"), str(runs / "camera_b"), "--against", "reported"]
    assert main([*command, "--out", str(out)]) == 0
    names = {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()}
    figures = [  # the publication's figures, then one figure per evaluator family
        "paper_quality_vs_throughput",
        "paper_drift",
        "over_time_fakecam",
        "split_bars_fakecam",
        "split_bars_throughput",
    ]
    pages = {name for name in names if name.startswith("cases/")}
    assert names - pages == {
        "leaderboard.md",
        "leaderboard.html",
        "leaderboard.csv",
        "headline.csv",
        *(f"plots/{figure}.png" for figure in figures),
    }
    model_pages = {name for name in pages if name.count("/") == 3}  # cases/<run>/<key>/index
    assert len(model_pages) == 4  # 2 runs x (static, fade)
    case_pages = {name for name in pages if name.endswith("index.html")} - model_pages
    assert len(case_pages) == 4 * 4
    for png in out.glob("plots/*.png"):
        width, height = Image.open(png).size
        assert 400 < width <= 2400 and 300 < height <= 2400  # readable at 100 % zoom

    markdown = (out / "leaderboard.md").read_text()
    for figure in figures:
        assert f"(plots/{figure}.png)" in markdown
    lines = markdown.splitlines()
    header = next(line for line in lines if line.startswith("| evaluator | metric |"))
    assert "| static (run camera_a) |" in header and "| static (run camera_b) |" in header
    row = next(line for line in lines if "| ↓ rot_err_deg/sanawm [deg] |" in line)
    assert row.startswith("| fakecam |")  # Table 2's RotErr, both splits, share the row:
    assert all(f"| {value:g} |" in row for value in (16.55, 7.59, 4.5, 41.31, 10.02, 8.34))
    assert any(line.startswith("| throughput | ↑ videos_per_hour_60s") for line in lines)
    assert "Skipped" not in markdown

    page = (out / "leaderboard.html").read_text()
    assert page.count("data:image/png;base64,") == len(figures)
    assert not re.search(r'src="(?!data:)', page) and "<link" not in page  # nothing external

    table = pd.read_csv(out / "leaderboard.csv")
    assert set(table["source"]) == {"measured", "reported"}
    reported = table[table["source"] == "reported"]
    cited = reported["reference"].str.contains("arXiv|publication not in our sources")
    assert reported["protocol"].notna().all() and cited.all()
    measured = table[(table["source"] == "measured") & (table["split"] == "all")]
    fades = {model_key("fade", {"speed": speed}) for speed in (2, 5)}
    assert set(measured["model"]) == {"static", *fades}
    version = EVALUATORS.get("throughput").version
    assert set(measured["protocol"]) == {f"wmbench: fakecam v1, throughput v{version}"}


def test_reported_numbers_share_a_column_only_with_the_same_unit(runs):
    from wmbench.report import reported
    from wmbench.report.measured import merged_specs

    loaded = load_runs([runs / "camera_a"])
    long = long_table(loaded, reported.resolve(["sana_wm"]), merged_specs(loaded))
    reported_rows = long[long["source"] == "reported"].set_index("mean")["metric"]
    assert reported_rows[24.1] == "videos_per_hour_60s"  # same quantity, same unit
    assert reported_rows[74.7] == "peak memory"  # GB reported, GiB measured: a column of its own
    assert reported_rows[4.5] == "rot_err_deg/sanawm"  # the stand-in declares deg
    notes = reported_table(reported.resolve(["sana_wm"]), merged_specs(loaded)).set_index("value")
    assert notes.loc["4.5", "row"] == "beside `rot_err_deg/sanawm` (the same formulas)"
    assert notes.loc["74.7", "row"] == "own row: `peak_memory_gb` is in GiB, this in GB"
    pooled = "revisit_psnr_db_pooled/sanawm"
    assert notes.loc["14.8", "row"] == f"own row: no run given measures `{pooled}`"
    board = wide_table(long).set_index("metric")
    assert board.columns[0] == "evaluator" and board.columns[1].endswith("(run camera_a)")
    assert board.loc["↓ peak memory [GB]", "evaluator"] == "(reported only)"
    assert board.loc["↓ peak_memory_gb [GiB]", "evaluator"] == "throughput"
    groups = list(board["evaluator"])
    assert set(groups[groups.index("(reported only)") :]) == {"(reported only)"}  # last
    columns = entries_table(long).set_index("column")
    assert list(columns.index) == list(board.columns[1:])
    reported_cells = board.loc[
        "↓ rot_err_deg/sanawm [deg]", columns.index[columns["source"] == "reported"]
    ]
    reported_values = long[
        (long["source"] == "reported") & (long["metric"] == "rot_err_deg/sanawm")
    ]
    assert sorted(float(v) for v in reported_cells if v) == sorted(reported_values["mean"])
    sources = list(columns["source"])
    assert sources == sorted(sources) and set(sources) == {"measured", "reported"}  # runs first
    assert columns["protocol"].str.len().min() > 0


def test_direction_comes_from_the_declarations(runs, tmp_path):
    record = runs / "plain" / "models" / "static.json"
    text = record.read_text()
    try:
        record.write_text(text.replace('"higher_is_better": true', '"higher_is_better": false'))
        loaded = load_runs([runs / "plain"])
        board = wide_table(long_table(loaded, [], loaded[0].specs))
        assert "↓ videos_per_hour_60s [videos/h]" in set(board["metric"])
    finally:
        record.write_text(text)


def test_window_series_are_read_per_case(runs):
    series = window_series(load_runs([runs / "camera_a"]))
    assert set(series["series"]) == {"fakecam/rot_err_deg/sanawm/window_0.25s"}
    counts = series.groupby(["model_key", "case_id"])["window"].count()
    assert (counts == WINDOWS).all() and len(counts) == 8
    static = series[series["model_key"] == "static"]["value"]
    assert (static == 0).all()  # the first frame repeated never drifts


def test_figures_needing_absent_data_are_skipped_with_a_note(runs, tmp_path, capsys):
    out = tmp_path / "plain"
    assert main(["report", str(runs / "plain"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no per-window series" in printed and "no published table given" in printed
    assert [p.name for p in out.glob("plots/*.png")] == ["split_bars_throughput.png"]
    markdown = (out / "leaderboard.md").read_text()
    assert "**Metrics over the video, per window.** Skipped" in markdown
    assert "No reported numbers" in markdown


def test_report_without_runs_or_with_unknown_source_is_a_clear_error(runs, tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "x")]) == 2
    assert "at least one run directory" in capsys.readouterr().err
    assert main(["report", str(runs / "plain"), "--against", "nope"]) == 2
    assert "'nope'" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    assert "not a wmbench run directory" in capsys.readouterr().err


def test_report_defaults_to_reports_folder_named_after_the_run(runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(runs / "plain")]) == 0
    assert Path("reports/plain/leaderboard.html").is_file()


@pytest.mark.parametrize(
    ("stored", "metric", "seconds"),
    [
        ("camera/rot_err_deg/wmbench/window_10s", "rot_err_deg/wmbench", 10.0),
        ("camera/cammc/wmbench/window_2.5s", "cammc/wmbench", 2.5),
        ("camera/rot_err_deg_window/wmbench", "rot_err_deg/wmbench", None),
        ("camera/rot_err_deg/wmbench/window", "rot_err_deg/wmbench", None),
    ],
)
def test_window_series_names_map_to_their_metric(stored, metric, seconds):
    assert WINDOW.search(stored)
    assert series_metric(stored) == metric and window_seconds(stored) == seconds


@pytest.mark.parametrize("stored", ["camera/rot_err_deg/wmbench", "flow/windowed_warp"])
def test_per_frame_series_are_not_window_series(stored):
    assert not WINDOW.search(stored)


def test_show_and_report_print_identical_cells(runs, tmp_path, capsys):
    """The terminal summary and the Markdown report come from one table model and one
    formatter: every headline cell of ``show`` appears, identically, in the report's table."""
    from wmbench.report import headline, reported
    from wmbench.report.measured import merged_specs

    run = runs / "camera_a"
    assert main(["show", str(run)]) == 0
    shown = capsys.readouterr().out
    assert main(["report", str(run), "--against", "reported", "--out", str(tmp_path / "b")]) == 0
    markdown = (tmp_path / "b" / "leaderboard.md").read_text()
    loaded = load_runs([run])
    files, specs = reported.resolve(["reported"]), merged_specs(loaded)
    board = headline.build(loaded, files, long_table(loaded, files, specs), specs)
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    for split in board.splits:
        table = headline.frame(board, split)
        measured = table[table["source"] == "measured"]
        cells = [cell for column in table.columns[5:] for cell in measured[column] if cell]
        assert any("[" in cell for cell in cells)  # intervals over the 2 cases per split
        assert cells and all(cell in shown for cell in cells)
        for values in measured.itertuples(index=False):
            assert any(all(f"| {value} |" in row or not value for value in values) for row in rows)
    assert len(shown.splitlines()) < 40  # a summary, not every metric
