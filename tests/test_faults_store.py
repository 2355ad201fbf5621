"""Fault corpus, run directories and output files: damaged records are recomputed by ``run`` and
named by ``show``/``report``/``compare``/``history``; a write that fails (disk full, permission
denied, an interrupted replace) names the path, leaves no partial or empty file and loses no
finished result."""

from __future__ import annotations

import errno
import json
import os

import numpy as np
import pytest

import wmbench.core.files as files
from pose_pipeline import cli as pose_cli
from pose_pipeline.result import Annotation, load
from pose_pipeline.summary import AnnotationSummary
from tests.faults import (
    CASES,
    assert_names,
    copy,
    error_text,
    finished_run,
    leftovers,
    make_bench,
    run,
    stamps,
    statuses,
)
from wmbench.cli import main

CASE = "cases/static/simple_60s/indoor_001/result.json"
RECORDS = {
    "run": "run.json",
    "summary": "summary.json",
    "model": "models/static.json",
    "case": CASE,
}
FIELD = {"run": "created", "summary": "suite", "model": "name", "case": "status"}


def _damage(path, how, field):
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:  # a field of the wrong type
        data = json.loads(path.read_text())
        data[field] = 3
        path.write_text(json.dumps(data))


EXPECTED = {"empty": ["json", "as JSON"], "truncated": ["json", "as JSON"], "typed": ["a str", "3"]}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    bench = make_bench(root / "bench")
    return bench, finished_run(bench, root / "run")


@pytest.fixture
def setup(pristine, tmp_path):
    bench, out = pristine
    return bench, copy(out, tmp_path / "run")


READERS = {
    "show": lambda run_dir, tmp: ["show", str(run_dir)],
    "report": lambda run_dir, tmp: ["report", str(run_dir), "--out", str(tmp / "report")],
    "compare": lambda run_dir, tmp: ["compare", str(tmp / "base"), str(run_dir)],
    "history": lambda run_dir, tmp: ["history", "add", str(run_dir), "--db", str(tmp / "h.db")],
}


@pytest.mark.parametrize("how", EXPECTED)
@pytest.mark.parametrize("which", RECORDS)
@pytest.mark.parametrize("verb", READERS)
def test_damaged_record_is_named_by_every_reader(
    pristine, setup, tmp_path, capsys, verb, which, how
):
    _, out = setup
    copy(pristine[1], tmp_path / "base")
    path = out / RECORDS[which]
    _damage(path, how, FIELD[which])
    capsys.readouterr()
    assert main(READERS[verb](out, tmp_path)) == 2
    parts = [str(path), *EXPECTED[how]] + ([FIELD[which]] if how == "typed" else [])
    assert_names(error_text(capsys), "wmbench: error:", *parts)


@pytest.mark.parametrize("how", EXPECTED)
@pytest.mark.parametrize("which", RECORDS)
def test_run_resumes_over_a_damaged_record(setup, capsys, which, how):
    bench, out = setup
    before = stamps(out)
    _damage(out / RECORDS[which], how, FIELD[which])
    assert run(bench, out) == 0
    recomputed = {c for c in CASES if stamps(out)[c] != before[c]}
    assert recomputed == ({"simple_60s/indoor_001"} if which == "case" else set())
    assert set(statuses(out).values()) == {"ok"}
    assert main(["show", str(out)]) == 0


def _refuse(monkeypatch, name, number=errno.ENOSPC, calls=None):
    """``os.replace`` onto a file called ``name`` fails with ``number`` (disk full, ...)."""
    replace = os.replace

    def failing(source, target):
        if os.path.basename(target) == name and (calls is None or calls.pop(0)):
            raise OSError(number, os.strerror(number), str(target))
        return replace(source, target)

    monkeypatch.setattr(files.os, "replace", failing)


def test_disk_full_on_a_result_names_it_and_keeps_what_finished(
    pristine, tmp_path, monkeypatch, capsys
):
    bench, out = pristine[0], tmp_path / "run"
    _refuse(monkeypatch, "result.json", calls=[False, False, True, True])  # the 3rd case
    assert run(bench, out) == 2
    assert_names(error_text(capsys), "result.json", "cannot write", "No space left on device")
    assert len(statuses(out)) == 2 and not leftovers(out)
    before = stamps(out)
    monkeypatch.undo()
    assert run(bench, out) == 0
    assert set(statuses(out).values()) == {"ok"} and len(statuses(out)) == 4
    assert {c: stamps(out)[c] for c in before} == before


def test_disk_full_on_a_video_fails_that_case_only(pristine, tmp_path, monkeypatch):
    bench, out = pristine[0], tmp_path / "run"
    _refuse(monkeypatch, "video.mp4", calls=[True, False, False, False])
    assert run(bench, out) == 1
    assert sorted(statuses(out).values()) == ["failed", "ok", "ok", "ok"]
    records = [json.loads(p.read_text()) for p in out.rglob("result.json")]
    (failed,) = [stored for stored in records if stored["status"] == "failed"]
    assert failed["stage"] == "store"
    assert_names(failed["error"], "video.mp4", "No space left on device")
    assert not leftovers(out)


def test_interrupted_replace_keeps_the_previous_result(setup, monkeypatch, capsys):
    bench, out = setup
    target = out / CASE
    previous = target.read_text()
    _refuse(monkeypatch, "result.json", errno.EIO)
    assert run(bench, out, "--seed", "1", "--new-spec") == 2  # every case is recomputed
    assert_names(error_text(capsys), str(target), "cannot write")
    assert target.read_text() == previous and not leftovers(out)


def test_write_that_dies_halfway_leaves_nothing(tmp_path, monkeypatch):
    def half(self, text, encoding=None):
        self.open("w").write(text[: len(text) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.Path, "write_text", half)
    path = tmp_path / "summary.json"
    with pytest.raises(OSError, match="summary.json: cannot write"):
        files.atomic_write_text(path, '{"a": 1}')
    assert not path.exists() and not list(tmp_path.iterdir())


def test_permission_denied_on_the_run_folder_is_exit_2(pristine, tmp_path, monkeypatch, capsys):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.tempfile, "mkstemp", denied)
    out = tmp_path / "run"
    assert run(pristine[0], out) == 2
    assert_names(error_text(capsys), str(out / "run.json"), "Permission denied")
    assert not (out / "cases").exists()


def test_unwritable_tables_keep_the_cases(setup, monkeypatch, capsys):
    bench, out = setup
    (out / "results.csv").unlink()
    before = stamps(out)
    _refuse(monkeypatch, "results.csv", errno.EROFS)
    assert run(bench, out) == 2
    assert_names(error_text(capsys), "results.csv", "Read-only file system")
    monkeypatch.undo()
    assert run(bench, out) == 0 and stamps(out) == before


def test_compare_csv_into_a_file_names_it(pristine, setup, tmp_path, capsys):
    _, out = setup
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    assert main(["compare", str(pristine[1]), str(out), "--csv", str(blocker / "x.csv")]) == 2
    assert_names(error_text(capsys), "blocker")


@pytest.mark.parametrize("content", [b"not a database at all" * 10, b"\x00" * 512])
def test_history_database_that_is_not_one_is_named(tmp_path, capsys, content):
    db = tmp_path / "history.sqlite"
    db.write_bytes(content)
    assert main(["history", "show", "--db", str(db)]) == 2
    assert_names(error_text(capsys), str(db), "history database")


@pytest.mark.parametrize("content", [None, b"default: {abs: \xff}\n"], ids=["missing", "not-utf8"])
def test_thresholds_file_is_named(pristine, setup, tmp_path, capsys, content):
    thresholds = tmp_path / "thresholds.yaml"
    if content is not None:
        thresholds.write_bytes(content)
    args = ["compare", str(pristine[1]), str(setup[1]), "--thresholds", str(thresholds)]
    assert main(args) == 2
    assert_names(error_text(capsys), str(thresholds), "thresholds")


@pytest.fixture
def annotated(tmp_path, monkeypatch):
    """``pose_pipeline annotate`` on a 3-frame folder, the annotator replaced by a finished
    result (the pipeline's own tests cover it)."""
    from PIL import Image

    frames = tmp_path / "frames"
    frames.mkdir()
    for index in range(3):
        Image.fromarray(np.full((32, 32, 3), index, np.uint8)).save(frames / f"{index}.png")
    result = Annotation(
        np.repeat(np.eye(4)[None], 3, 0), np.ones(3, int), np.zeros(3), np.arange(3),
        np.eye(3), metric=True, summary=AnnotationSummary(registration_rate=1.0),
    )  # fmt: skip
    monkeypatch.setattr(pose_cli, "annotate", lambda *args, **kwargs: result)
    return frames


def _annotate(frames, out):
    return pose_cli.main(["annotate", str(frames), "--intrinsics", "30,30,16,16", "--out", out])


def test_annotate_keeps_the_poses_when_out_cannot_be_written(annotated, tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    out = blocker / "poses.npz"
    assert _annotate(annotated, str(out)) == 2
    err = capsys.readouterr().err
    assert_names(err, str(out), "cannot write", "saved at")
    fallback = err.rsplit("saved at ", 1)[1].split(" instead")[0]
    assert np.array_equal(load(fallback).c2w, np.repeat(np.eye(4)[None], 3, 0))
    os.unlink(fallback)


def test_annotate_writes_out_atomically_and_wants_npz(annotated, tmp_path, capsys):
    assert _annotate(annotated, str(tmp_path / "poses")) == 2
    assert_names(capsys.readouterr().err, "--out", "a path ending in .npz")
    assert _annotate(annotated, str(tmp_path / "poses.npz")) == 0
    assert load(tmp_path / "poses.npz").metric
    assert sorted(os.listdir(tmp_path)) == ["frames", "poses.npz"]  # no temporary file left
