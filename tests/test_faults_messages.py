"""Fault corpus, inputs and messages: a prompt neither file gives, a key written twice in any
YAML the project reads, bad intrinsics and counts of the pose annotator, a damaged scene file or
an empty manifest, a short camera path, a weight store that is a file, runs of different
settings given to ``compare``; and the output rules: the user's umask, a closed pipe, the
``error`` column of partial cases, failure rows only inside the selection."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pose_pipeline import cli as pose_cli
from tests.faults import (
    CASES,
    EXPORT,
    assert_names,
    copy,
    error_text,
    finished_run,
    make_bench,
    npz_path,
    record,
    run,
    statuses,
)
from wmbench.cli import main
from wmbench.core.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp("messages")
    bench = make_bench(root / "bench")
    return bench, finished_run(bench, root / "run")


@pytest.fixture
def bench(pristine, tmp_path):
    return copy(pristine[0], tmp_path / "bench")


def _manifest(bench: Path, split: str = "hard_60s") -> Path:
    return bench / EXPORT[split] / "sanawm_export_v2" / "run_manifest.jsonl"


def _edit_rows(bench: Path, change, split: str = "hard_60s") -> None:
    manifest = _manifest(bench, split)
    rows = [json.loads(line) for line in manifest.read_text().splitlines()]
    for row in rows:
        change(row)
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows))


# --- a prompt neither the manifest nor scene_trajectories_v2.json gives -----------------------

PROMPTS = {
    "no-key-empty-scene-file": (lambda row: row.pop("prompt"), "{}"),
    "empty-both": (lambda row: row.update(prompt=""),
                   json.dumps({"scenes": [{"scene_id": "indoor_001", "prompt": ""},
                                          {"scene_id": "outdoor_001", "prompt": ""}]})),
    "null-no-scene-file": (lambda row: row.update(prompt=None), None),
}  # fmt: skip


@pytest.mark.parametrize("change, scenes", PROMPTS.values(), ids=PROMPTS)
def test_missing_prompt_fails_the_case_naming_both_files(bench, tmp_path, change, scenes):
    _edit_rows(bench, change)
    scene_file = bench / EXPORT["hard_60s"] / "scene_trajectories_v2.json"
    if scenes is None:
        scene_file.unlink()
    else:
        scene_file.write_text(scenes)
    out = tmp_path / "run"
    assert run(bench, out) == 1
    assert statuses(out) == {CASES[0]: "ok", CASES[1]: "ok", CASES[2]: "failed", CASES[3]: "failed"}
    assert_names(record(out, CASES[2])["error"], "run_manifest.jsonl:1",
                 "scene_trajectories_v2.json", "prompt", "neither has one")  # fmt: skip


# --- a key written twice in a YAML file ------------------------------------------------------

SUITE = (
    "name: tiny\ndata: {layout: sanawm-bench}\nframes: 9\nfps: 16\nresolution: 32x32\n"
    "evaluators: [throughput]\nmodels: [static]\n"
)
DUPLICATES = {
    "top-level": (SUITE + "frames: 5\n", "frames", "line 8", "line 3"),
    "flow-mapping": (SUITE.replace("{layout: sanawm-bench}", "{layout: sanawm-bench, layout: x}"),
                     "layout", "line 2", "line 2"),
    "nested": (SUITE + "model_options:\n  static: {}\n  static: {}\n", "static", "line 10",
               "line 9"),
}  # fmt: skip


@pytest.mark.parametrize("text, key, again, first", DUPLICATES.values(), ids=DUPLICATES)
def test_duplicate_key_in_a_suite_file_is_named(bench, tmp_path, capsys, text, key, again, first):
    suite = tmp_path / "tiny.yaml"
    suite.write_text(text)
    args = ["run", "--suite", str(suite), "--data", str(bench), "--out", str(tmp_path / "run")]
    assert main(args) == 2
    assert_names(error_text(capsys), str(suite), f"'{key}'", "each key once", again, first)
    assert not (tmp_path / "run").exists()


def test_duplicate_key_in_a_thresholds_file_is_named(pristine, tmp_path, capsys):
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text("sigma: 2\nmetrics:\n  fps: {abs: 1}\n  fps: {rel: 0.5}\n")
    args = ["compare", str(pristine[1]), str(pristine[1]), "--thresholds", str(thresholds)]
    assert main(args) == 2
    assert_names(error_text(capsys), str(thresholds), "'fps'", "line 4", "line 3")


def test_duplicate_key_in_a_reported_results_file_is_named(pristine, tmp_path, capsys):
    reported = tmp_path / "paper.yaml"
    from wmbench.report.reported import REPORTED_DIR

    bundled = sorted(REPORTED_DIR.glob("*.yaml"))[0]
    reported.write_text(bundled.read_text() + "\nschema: 1\n")
    args = ["report", str(pristine[1]), "--against", str(reported), "--out", str(tmp_path / "r")]
    assert main(args) == 2
    assert_names(error_text(capsys), str(reported), "'schema'", "each key once")


def test_duplicate_key_in_a_training_config_is_named(tmp_path):
    from reference_model.training.config import CONFIG_DIR, load_config

    source = sorted(CONFIG_DIR.glob("*.yaml"))[0].read_text()
    key = next(line.split(":")[0] for line in source.splitlines() if line and line[0].isalpha())
    path = tmp_path / "twice.yaml"
    path.write_text(source + f"\n{key}: again\n")
    with pytest.raises(InputError, match="each key once") as caught:
        load_config(str(path))
    assert_names(str(caught.value), str(path), f"'{key}'")


# --- pose_pipeline annotate: intrinsics and counts ------------------------------------------


@pytest.fixture
def frames(tmp_path):
    from PIL import Image

    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(3):
        Image.fromarray(np.full((32, 32, 3), index, np.uint8)).save(folder / f"{index}.png")
    return folder


def _garbage_npz(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04" + os.urandom(300))


def _npz(**arrays):
    return lambda path: np.savez(path, **arrays)


INTRINSICS = {
    "nan-focal": ("nan,30,16,16", ["--intrinsics", "finite", "nan"]),
    "inf-focal": ("inf,30,16,16", ["--intrinsics", "finite", "inf"]),
    "nan-centre": ("30,30,nan,16", ["--intrinsics", "finite"]),
    "negative-focal": ("-30,30,16,16", ["--intrinsics", "positive focal lengths", "-30"]),
    "garbage-npz": (_garbage_npz, ["intrinsics", "a readable numpy .npz archive"]),
    "text-npz": (_npz(intrinsics=np.array(["a"] * 9)), ["intrinsics", "real numbers", "dtype"]),
    "nan-npz": (_npz(intrinsics=np.full((3, 3), np.nan)), ["intrinsics", "finite numbers"]),
    "five-values-npz": (_npz(intrinsics=np.ones(5)), ["intrinsics", "(3,3) or (N,3,3)", "(5,)"]),
    "zero-focal-npz": (_npz(intrinsics=np.zeros((3, 3))), ["intrinsics", "positive focal"]),
    "bad-size-npz": (
        _npz(intrinsics=np.eye(3), image_size=np.array([0, 32])),
        ["image_size", "(width, height) in pixels"],
    ),
}


@pytest.mark.parametrize("spec, parts", INTRINSICS.values(), ids=INTRINSICS)
def test_annotate_bad_intrinsics_is_a_message(frames, tmp_path, capsys, spec, parts):
    if callable(spec):
        path = tmp_path / "intrinsics.npz"
        spec(path)
        spec = str(path)
    out = tmp_path / "poses.npz"
    assert pose_cli.main(["annotate", str(frames), f"--intrinsics={spec}", "--out", str(out)]) == 2
    assert_names(error_text(capsys), "error:", *parts)
    assert not out.exists()


@pytest.mark.parametrize(
    "option, value",
    [("--stride", "0"), ("--stride", "-2"), ("--max-image-size", "0"), ("--threads", "0"),
     ("--seed", "-1")],
)  # fmt: skip
def test_annotate_bad_count_is_a_message(frames, tmp_path, capsys, option, value):
    args = ["annotate", str(frames), "--intrinsics", "30,30,16,16", "--out",
            str(tmp_path / "poses.npz"), option, value]  # fmt: skip
    assert pose_cli.main(args) == 2
    assert_names(error_text(capsys), "error:", option, value)


# --- data messages that blamed the wrong thing -----------------------------------------------


@pytest.mark.parametrize("content", ["{not json", '"a string"'], ids=["truncated", "wrong-type"])
def test_damaged_scene_file_is_not_a_bad_split(bench, tmp_path, capsys, content):
    _edit_rows(bench, lambda row: row.pop("prompt"))
    scene_file = bench / EXPORT["hard_60s"] / "scene_trajectories_v2.json"
    scene_file.write_text(content)
    out = tmp_path / "run"
    assert run(bench, out, "--split", "hard_60s") == 1
    err = error_text(capsys)
    assert "--split" not in err
    assert statuses(out) == {CASES[2]: "failed", CASES[3]: "failed"}
    assert_names(record(out, CASES[2])["error"], str(scene_file))


@pytest.mark.parametrize("content", ["", "\n\n  \n"], ids=["empty", "blank-lines"])
def test_empty_manifest_is_named_not_a_bad_split(bench, tmp_path, capsys, content):
    _manifest(bench).write_text(content)
    assert run(bench, tmp_path / "run", "--split", "hard_60s") == 2
    err = error_text(capsys)
    assert_names(err, str(_manifest(bench)), "run_manifest", "at least one row")
    assert "--split" not in err


def _shorten(path: Path, frames: int) -> None:
    data = dict(np.load(path))
    data.update(c2w=data["c2w"][:frames], intrinsics=data["intrinsics"][:frames],
                num_frames=frames)  # fmt: skip
    np.savez(path, **data)


@pytest.mark.parametrize("select", [[], ["--cases", CASES[3]], ["--split", "hard_60s"]],
                         ids=["all", "that-case", "its-split"])  # fmt: skip
def test_short_camera_path_is_blamed_on_its_file_not_on_frames(bench, tmp_path, capsys, select):
    _shorten(npz_path(bench, CASES[3]), 5)
    out = tmp_path / "run"
    assert run(bench, out, *select) == 1
    assert "--frames" not in error_text(capsys)
    assert statuses(out)[CASES[3]] == "failed"
    assert_names(record(out, CASES[3])["error"], str(npz_path(bench, CASES[3])),
                 "camera path", "at least the 9 frames", "5 poses")  # fmt: skip


def test_frames_beyond_every_path_is_still_blamed_on_frames(bench, tmp_path, capsys):
    assert run(bench, tmp_path / "run", "--frames", "50") == 2
    assert_names(error_text(capsys), "--frames", "at most 9", "50")


def test_weight_store_that_is_a_file_says_so(pristine, tmp_path, monkeypatch, capsys):
    store = tmp_path / "weights.tar"
    store.write_text("not a folder")
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(store))
    assert main(["weights", "list"]) == 2
    assert_names(error_text(capsys), "$WMBENCH_WEIGHTS", str(store), "which is a file", "a folder")
    out = tmp_path / "run"
    assert run(pristine[0], out, "--evaluators", "lpips") == 2
    err = error_text(capsys)
    assert_names(err, str(store), "which is a file")
    assert "Place the files there" not in err


@pytest.mark.parametrize(
    "extra, parts",
    [(["--frames", "5"], ["frames (9 -> 5)"]),
     (["--resolution", "48x32"], ["resolution ([32, 32] -> [48, 32])"])],
    ids=["frames", "resolution"],
)  # fmt: skip
def test_compare_refuses_runs_of_different_settings(pristine, tmp_path, capsys, extra, parts):
    other = tmp_path / "other"
    assert run(pristine[0], other, *extra) == 0
    capsys.readouterr()
    assert main(["compare", str(pristine[1]), str(other)]) == 2
    assert_names(error_text(capsys), str(other), "run settings", "--allow-different-settings",
                 *parts)  # fmt: skip
    assert main(["compare", str(pristine[1]), str(other), "--allow-different-settings"]) in (0, 1)


def test_compare_refuses_runs_of_different_suites(pristine, tmp_path, capsys):
    suite = tmp_path / "renamed.yaml"
    text = (ROOT / "suites" / "one_minute.yaml").read_text()
    suite.write_text(text.replace("name: one_minute", "name: renamed"))
    other = tmp_path / "other"
    assert run(pristine[0], other, "--suite", str(suite)) == 0
    capsys.readouterr()
    assert main(["compare", str(pristine[1]), str(other)]) == 2
    assert_names(error_text(capsys), 'suite ("one_minute" -> "renamed")')


# --- output rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("mask, mode", [(0o002, 0o664), (0o027, 0o640), (0o077, 0o600)])
def test_files_are_created_with_the_users_umask(pristine, tmp_path, mask, mode):
    previous = os.umask(mask)
    try:
        out = tmp_path / "run"
        assert run(pristine[0], out) == 0
    finally:
        os.umask(previous)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".json", ".csv", ".mp4"}
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {oct(mode)}


def test_show_into_a_closed_pipe_ends_quietly(pristine):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "wmbench", "show", str(pristine[1])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    process.stdout.close()  # the reader is gone before anything is written (`| head -0`)
    err = process.stderr.read().decode()
    assert process.wait() == 0, err
    assert "Broken pipe" not in err and "Traceback" not in err


def test_partial_case_fills_the_error_column(pristine, tmp_path, monkeypatch):
    from wmbench.evaluators.throughput import Throughput

    def fails(self, inputs):
        raise RuntimeError("the evaluator broke")

    monkeypatch.setattr(Throughput, "evaluate", fails)
    out = tmp_path / "run"
    assert run(pristine[0], out) == 1
    table = pd.read_csv(out / "results.csv")
    assert set(table["status"]) == {"partial"}
    assert table["error"].str.contains("throughput: RuntimeError: the evaluator broke").all()


@pytest.mark.parametrize(
    "select, rows",
    [(["--split", "hard_60s"], CASES[2:]), (["--cases", CASES[3]], [CASES[3]]),
     (["--cases", f"{CASES[0]},{CASES[3]}"], [CASES[0], CASES[3]]),
     (["--split", "simple_60s", "--limit", "1"], [CASES[1]])],
    ids=["split", "one-case", "failed-case-chosen", "limit"],
)  # fmt: skip
def test_read_failures_stay_inside_the_selection(bench, tmp_path, select, rows):
    npz_path(bench, CASES[0]).write_bytes(b"truncated")  # simple_60s/indoor_001 cannot be read
    out = tmp_path / "run"
    assert run(bench, out, *select) in (0, 1)
    table = pd.read_csv(out / "results.csv")
    assert sorted(table["case_id"]) == sorted(rows)
    assert sorted(statuses(out)) == sorted(rows)
