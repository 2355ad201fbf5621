"""Evaluators' notes (the camera annotator's measured floor) reach run.json, the terminal
summary and the markdown leaderboard."""

import json

import pytest

from tests.benchdata import write_bench
from wmbench.cli import main
from wmbench.evaluators import camera
from wmbench.evaluators.base import evaluator_notes
from wmbench.evaluators.camera import CameraEvaluator
from wmbench.evaluators.flicker import Flicker

FLOOR = {
    "settings": {},
    "clips": "room seed 0, 961 frames, 640x360 oracle renders",
    "stadium@640x360": {"rot_err_deg/wmbench": 0.05, "trans_err_m/wmbench": 0.004},
    "vertical@640x360": {"rot_err_deg/wmbench": 0.13, "trans_err_m/wmbench": 0.001},
    "pendulum@640x360": {"rot_err_deg/wmbench": 0.07, "trans_err_m/wmbench": 0.002},
}


@pytest.fixture
def floor_file(tmp_path, monkeypatch):
    path = tmp_path / "pose_floor.json"
    path.write_text(json.dumps(FLOOR))
    monkeypatch.setattr(camera, "FLOOR_REPORT", path)
    return path


def test_camera_notes_give_the_median_and_the_worst_floor_path(floor_file):
    text = CameraEvaluator().notes()
    assert "3 paths" in text and FLOOR["clips"] in text
    assert "rot_err_deg/wmbench median 0.07 deg, worst 0.13 deg (vertical@640x360)" in text
    assert "trans_err_m/wmbench median 0.002 m, worst 0.004 m (stadium@640x360)" in text


def test_camera_notes_say_when_the_floor_was_not_measured(floor_file):
    floor_file.unlink()
    assert "not measured (run benchmarks/bench_pose.py)" in CameraEvaluator().notes()


def test_only_evaluators_with_notes_are_listed(floor_file):
    assert set(evaluator_notes([Flicker(), CameraEvaluator()])) == {"camera"}


def test_a_run_prints_and_records_the_floor_beside_its_scores(floor_file, tmp_path, capsys):
    bench, out = write_bench(tmp_path / "bench"), tmp_path / "run"
    args = ["run", "--suite", "one_minute", "--data", str(bench), "--out", str(out),
            "--frames", "9", "--resolution", "64x48", "--limit", "1", "--split", "simple_60s",
            "--model", "static", "--evaluators", "flicker,camera"]  # fmt: skip
    assert main(args) == 0
    notes = json.loads((out / "run.json").read_text())["evaluator_notes"]
    # one_minute names Pi3 for sanawm; without its weights the run says so, once, up front
    assert notes == {"camera": CameraEvaluator(sanawm_estimator="pi3").notes()}
    assert notes["camera"].startswith("SANA-WM-Bench Table 2 / Table 8-comparable camera numbers")
    captured = capsys.readouterr()  # the terminal summary is short: notes live in the files
    assert captured.err.count("Table 8-comparable camera numbers need pi3") == 1
    assert main(["report", str(out), "--out", str(tmp_path / "board")]) == 0
    board = (tmp_path / "board" / "leaderboard.md").read_text()
    assert "worst 0.13 deg (vertical@640x360)" in board
