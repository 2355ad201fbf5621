"""Fault corpus, a full disk and writers that do not raise: every file is checked on disk (its
size, and a re-open for images, arrays and media) before it replaces its target, so ``run`` and
``report`` on a full file system exit 2 naming the path and leave no partial file. The full disk
is a real tmpfs where this process may mount one (root), else the tests say why they skip."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest

import wmbench.core.files as files
from tests.faults import assert_names, error_text, finished_run, leftovers, make_bench, run
from wmbench.cli import main
from wmbench.core.errors import OutputError


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("disk")
    bench = make_bench(root / "bench")
    return bench, finished_run(bench, root / "run")


def _mount(folder: Path, kilobytes: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={kilobytes}k", f"wmbench-{uuid.uuid4().hex}",
         str(folder)], capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'})")


@pytest.fixture
def small_disk(tmp_path):
    """A factory of real tmpfs mounts of a given size, unmounted afterwards."""
    mounted: list[Path] = []

    def make(kilobytes: int) -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        _mount(folder, kilobytes)
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _whole(root: Path) -> None:
    """Every file under ``root`` is complete: JSON parses, media and images re-open."""
    assert not leftovers(root), leftovers(root)
    for path in root.rglob("*"):
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix.lower() in files.VERIFIERS:
            files.VERIFIERS[path.suffix.lower()](path)


@pytest.mark.parametrize("kilobytes", [12, 28, 44])
def test_run_on_a_full_disk_exits_2_and_leaves_no_partial_file(
    finished, small_disk, capsys, kilobytes
):
    disk = small_disk(kilobytes)
    out = disk / "run"
    assert run(finished[0], out, "--resolution", "96x96") == 2
    err = error_text(capsys)
    assert_names(err, "wmbench: error:", str(disk), "cannot write")
    _whole(disk)


def test_report_on_a_full_disk_exits_2_and_leaves_no_partial_file(finished, small_disk, capsys):
    disk = small_disk(24)
    assert main(["report", str(finished[1]), "--out", str(disk / "report")]) == 2
    err = error_text(capsys)
    assert_names(err, "wmbench: error:", str(disk / "report"), "No space left on device")
    _whole(disk)


def test_a_run_resumes_after_the_disk_is_freed(finished, small_disk, tmp_path, capsys):
    disk = small_disk(16)
    out = disk / "run"
    assert run(finished[0], out) == 2
    subprocess.run(["mount", "-o", "remount,size=400k", str(disk)], check=True)
    assert run(finished[0], out) == 0
    _whole(disk)


def test_writer_that_reports_failure_without_raising_leaves_nothing(tmp_path):
    target = tmp_path / "frame.png"
    with pytest.raises(OutputError, match="frame.png: cannot write"):
        files.atomic_write(target, lambda temporary: temporary.write_bytes(b"x") and False)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("suffix", [".png", ".npz", ".mp4"])
def test_truncated_media_is_caught_before_the_rename(tmp_path, suffix):
    """A writer that stops halfway without raising (OpenCV on a full disk) is caught by the
    re-open check; the previous file is kept."""
    whole = tmp_path / f"whole{suffix}"
    if suffix == ".png":
        from PIL import Image

        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(
            whole
        )
    elif suffix == ".npz":
        files.atomic_write_arrays(whole, {"a": np.arange(1000.0)})
    else:
        from wmbench.core.types import Video
        from wmbench.data.video_io import write_video

        write_video(whole, Video(np.zeros((9, 32, 32, 3), np.uint8), 16.0))
    data = whole.read_bytes()
    target = tmp_path / f"target{suffix}"
    target.write_bytes(data)
    with pytest.raises(OutputError, match="not whole"):
        files.atomic_write(target, lambda temporary: temporary.write_bytes(data[: len(data) // 2]))
    assert target.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([whole.name, target.name])


def test_text_that_did_not_all_reach_the_disk_is_caught(tmp_path, monkeypatch):
    def short(self, text, encoding=None):
        with self.open("w", encoding=encoding) as handle:
            handle.write(text[:-3])  # a writer that lost its tail without an error
        return len(text)

    monkeypatch.setattr(files.Path, "write_text", short)
    with pytest.raises(OutputError, match="bytes reached the disk"):
        files.atomic_write_text(tmp_path / "results.csv", "a,b\n1,2\n")
    assert not list(tmp_path.iterdir())


def test_plot_writer_that_dies_on_enospc_is_named_by_report(
    finished, tmp_path, monkeypatch, capsys
):
    from matplotlib.figure import Figure

    savefig = Figure.savefig

    def full(self, fname, *args, **kwargs):
        savefig(self, fname, *args, **kwargs)
        with open(fname, "r+b") as handle:  # what a full disk leaves: a cut file, then an error
            handle.truncate(100)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Figure, "savefig", full)
    out = tmp_path / "report"
    assert main(["report", str(finished[1]), "--out", str(out)]) == 2
    assert_names(error_text(capsys), str(out), ".png", "No space left on device")
    assert not list(out.glob("*.png")) and not leftovers(out)


# Folders staged whole and renamed into place (not files): the mirror cache and DCP checkpoints.
FOLDER_STAGING = {"wmbench/worlds/mirror.py", "reference_model/training/checkpoint.py"}


def test_every_atomic_writer_of_the_project_is_the_one_in_files():
    """No module writes a temporary file and moves it into place by itself (the unified write
    in wmbench/core/files.py is the only one)."""
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for package in ("wmbench", "pose_pipeline", "reference_model"):
        for path in (root / package).rglob("*.py"):
            name = str(path.relative_to(root))
            text = path.read_text()
            moves = ("mkstemp(", "os.replace(", '.partial"', ".partial.")
            if name != "wmbench/core/files.py" and name not in FOLDER_STAGING:
                offenders += [f"{name}: {m}" for m in moves if m in text]
    assert not offenders, offenders
