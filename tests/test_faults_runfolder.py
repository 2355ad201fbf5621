"""Fault corpus, the run folder: a folder belongs to one run specification (suite, data, cases,
settings, models and their options, evaluators). A rerun with another one is exit 2 naming what
differs and changes nothing, unless ``--new-spec`` asks to replace it, and then the tables hold
only the new specification's cases; a folder that is not a run is never written into; the same
specification resumes (after a kill -9 too)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.faults import (
    CASES,
    SMALL,
    assert_names,
    copy,
    error_text,
    finished_run,
    make_bench,
    results,
    run,
    stamps,
    start_run,
    wait_for_results,
)
from wmbench.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp("runfolder")
    bench = make_bench(root / "bench")
    return bench, finished_run(bench, root / "run")


@pytest.fixture
def setup(pristine, tmp_path):
    bench, out = pristine
    return bench, copy(out, tmp_path / "run")


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _suite_copy(tmp_path: Path, name: str) -> Path:
    text = (ROOT / "suites" / "one_minute.yaml").read_text()
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace("name: one_minute", f"name: {name}"))
    return path


CHANGES = {
    "frames": (["--frames", "5"], ["frames (9 -> 5)"]),
    "split": (["--split", "hard_60s"], ["cases (-2 [simple_60s/indoor_001", "+0"]),
    "cases": (["--cases", CASES[0]], ["cases (-3"]),
    "resolution": (["--resolution", "48x32"], ["resolution ([32, 32] -> [48, 32])"]),
    "seed": (["--seed", "7"], ["seed (0 -> 7)"]),
    "model": (["--model", "perturbed"], ["models", "perturbed"]),
    "model-option": (["--model", "command", "-o", "cmd=true"], ["models", "cmd"]),
    "evaluators": (["--evaluators", "flicker"], ["evaluators", "flicker"]),
}


@pytest.mark.parametrize("extra, parts", CHANGES.values(), ids=CHANGES)
def test_rerun_with_another_specification_is_refused_and_changes_nothing(
    setup, capsys, extra, parts
):
    bench, out = setup
    before = _snapshot(out)
    args = ["run", *SMALL, "--data", str(bench), "--out", str(out), *extra]
    if "--model" not in extra:
        args += ["--model", "static"]
    capsys.readouterr()
    assert main(args) == 2
    err = error_text(capsys)
    assert_names(err, str(out / "run.json"), "run specification", "--new-spec", *parts)
    assert _snapshot(out) == before


def test_another_suite_into_the_folder_is_refused(setup, tmp_path, capsys):
    bench, out = setup
    before = _snapshot(out)
    other = _suite_copy(tmp_path, "other_suite")
    args = ["run", *SMALL, "--suite", str(other), "--data", str(bench), "--out", str(out)]
    assert main([*args, "--model", "static"]) == 2
    assert_names(error_text(capsys), 'suite ("one_minute" -> "other_suite")')
    assert _snapshot(out) == before


def test_new_spec_replaces_the_tables_with_the_new_selection_only(setup, capsys):
    bench, out = setup
    created = json.loads((out / "run.json").read_text())["created"]
    time.sleep(1.1)  # a new creation time is visible at one-second resolution
    assert run(bench, out, "--split", "hard_60s", "--frames", "5", "--new-spec") == 0
    table = results(out)
    assert sorted(table.index) == ["hard_60s/indoor_001", "hard_60s/outdoor_001"]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["models"]["static"]["splits"]) == {"hard_60s", "all"}
    assert summary["models"]["static"]["splits"]["all"]["cases"] == 2
    record = json.loads((out / "run.json").read_text())
    frames = record["resolved"]["frames"]
    assert frames == 5 and record["resumed"] == [] and record["created"] != created
    assert main(["show", str(out)]) == 0
    assert "simple_60s" not in capsys.readouterr().out


def test_new_spec_with_another_model_leaves_the_old_model_out(setup):
    bench, out = setup
    assert run(bench, out, "--model", "perturbed", "--new-spec") == 1  # no world: cases fail
    summary = json.loads((out / "summary.json").read_text())
    assert [key.split("-")[0] for key in summary["models"]] == ["perturbed"]
    assert set(pd.read_csv(out / "results.csv")["model"]) == {"perturbed"}


def test_rerun_of_the_same_specification_resumes(setup):
    bench, out = setup
    before = stamps(out)
    assert run(bench, out) == 0
    assert stamps(out) == before
    assert len(json.loads((out / "run.json").read_text())["resumed"]) == 1


def test_asking_for_what_the_specification_already_resolves_to_resumes(setup):
    """A selection or option that changes nothing the run resolves to (a limit above the
    cases, a split's every case named) is the same run: it resumes."""
    bench, out = setup
    before = stamps(out)
    assert run(bench, out, "--limit", "5", "--cases", ",".join(CASES)) == 0
    assert stamps(out) == before


@pytest.mark.parametrize(
    "content", ["file", "folder", "hidden-and-file"], ids=["a-file", "a-folder", "data"]
)
def test_folder_that_is_not_a_run_is_never_written_into(pristine, tmp_path, capsys, content):
    out = tmp_path / "data"
    out.mkdir()
    if content == "file":
        (out / "notes.txt").write_text("mine")
    elif content == "folder":
        (out / "images").mkdir()
    else:
        (out / ".hidden").write_text("x")
        (out / "run_manifest.jsonl").write_text("{}\n")
    before = sorted(p.name for p in out.rglob("*"))
    assert run(pristine[0], out) == 2
    assert_names(error_text(capsys), str(out), "--out", "not a wmbench run", "new or empty")
    assert sorted(p.name for p in out.rglob("*")) == before


def test_empty_folder_or_hidden_files_only_is_a_new_run(pristine, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    (out / ".keep").write_text("")
    assert run(pristine[0], out) == 0


def test_a_copied_run_json_of_another_run_is_not_merged(pristine, tmp_path, capsys):
    bench, source = pristine
    out = tmp_path / "fresh"
    out.mkdir()
    copied = json.loads((source / "run.json").read_text())
    (out / "run.json").write_text(json.dumps(copied))
    assert run(bench, out, "--frames", "5") == 2
    assert_names(error_text(capsys), "frames (9 -> 5)")
    time.sleep(1.1)
    assert run(bench, out, "--frames", "5", "--new-spec") == 0
    record = json.loads((out / "run.json").read_text())
    assert record["created"] != copied["created"] and record["resumed"] == []


def test_cases_left_from_another_specification_are_not_rows(setup):
    """A case folder of a model the specification does not name (left behind, or copied in)
    does not reach the tables."""
    bench, out = setup
    stray = out / "cases" / "oracle" / "simple_60s" / "indoor_001"
    stray.mkdir(parents=True)
    text = (out / "cases" / "static" / "simple_60s" / "indoor_001" / "result.json").read_text()
    stray.joinpath("result.json").write_text(text.replace('"static"', '"oracle"'))
    assert run(bench, out) == 0
    assert set(pd.read_csv(out / "results.csv")["model_key"]) == {"static"}


SLOW_MODEL = """
import argparse, time, numpy as np
from wmbench.core.types import Video
from wmbench.data.video_io import write_video
p = argparse.ArgumentParser()
for a in ['image', 'prompt-file', 'camera', 'out']: p.add_argument('--' + a)
for a in ['frames', 'width', 'height', 'seed']: p.add_argument('--' + a, type=int)
p.add_argument('--fps', type=float)
a = p.parse_args()
time.sleep(1.0)
write_video(a.out, Video(np.zeros((a.frames, a.height, a.width, 3), np.uint8), a.fps))
"""


def test_kill_9_then_the_same_specification_resumes(pristine, tmp_path):
    bench = pristine[0]
    program = tmp_path / "slow.py"
    program.write_text(SLOW_MODEL)
    out = tmp_path / "run"
    process = start_run(bench, out, program)
    wait_for_results(out, 1, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    before = stamps(out)
    assert 1 <= len(before) < 4
    assert run(bench, out, "--model", "command", "-o", f"cmd={sys.executable} {program}") == 0
    after = stamps(out)
    assert len(after) == 4 and {c: after[c] for c in before} == before


def _older_run_json(record: dict) -> dict:
    """``run.json`` as wmbench wrote it before the run specification was stored (format 1:
    the suite's fields flat beside the provenance, a free-form ``spec``)."""
    spec, resolved = record["spec"], record["resolved"]
    return {
        "suite": spec["suite"], "data": record["data"], "frames": resolved["frames"],
        "fps": resolved["fps"], "resolution": resolved["resolution"], "cases": resolved["cases"],
        "models": spec["models"], "evaluators": spec["evaluators"], "seed": spec["seed"],
        "created": record["created"], "spec": {"suite": spec["suite"]},
    }  # fmt: skip


@pytest.mark.parametrize("verb", ["show", "run"])
def test_a_run_folder_of_an_older_wmbench_is_named_and_left_alone(setup, tmp_path, capsys, verb):
    bench, out = setup
    path = out / "run.json"
    path.write_text(json.dumps(_older_run_json(json.loads(path.read_text()))))
    before = _snapshot(out)
    capsys.readouterr()
    arguments = ["show", str(out)] if verb == "show" else None
    code = main(arguments) if arguments else run(bench, out)
    assert code == 2
    assert_names(error_text(capsys), str(path), "format", "older wmbench", "new --out")
    assert _snapshot(out) == before
