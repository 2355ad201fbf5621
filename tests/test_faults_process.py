"""Fault corpus, external programs (the ``command`` model; the baselines share run_program): a
program that fails, hangs, prints bytes that are not UTF-8 or writes a wrong video is a failed
case with its output; a timeout kills the whole process group."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

import wmbench.models.command as command_module
from tests.faults import (
    CASES,
    assert_names,
    leftovers,
    make_bench,
    record,
    run,
    stamps,
    start_run,
    statuses,
)
from wmbench.core.errors import InputError
from wmbench.models import process
from wmbench.models.baselines.pose_driven import LingBotWorld
from wmbench.models.command import CommandModel
from wmbench.models.process import MIN_TIMEOUT_S, default_timeout

WRITER = """
import argparse, numpy as np
from wmbench.core.types import Video
from wmbench.data.video_io import write_video
p = argparse.ArgumentParser()
for a in ['image', 'prompt-file', 'camera', 'out']: p.add_argument('--' + a)
for a in ['frames', 'width', 'height', 'seed']: p.add_argument('--' + a, type=int)
p.add_argument('--fps', type=float)
a = p.parse_args()
frames, width = a.frames + FRAMES_DELTA, a.width + WIDTH_DELTA
write_video(a.out, Video(np.zeros((frames, a.height, width, 3), np.uint8), a.fps))
"""
PROGRAMS = {
    "exit-3": ("import sys; print('out of memory'); sys.exit(3)", ["exit status", "out of memory"]),
    "not-utf8-output": (
        "import sys; sys.stdout.buffer.write(b'\\xff\\xfe bad bytes'); sys.exit(1)",
        ["exit status", "bad bytes"],
    ),
    "writes-nothing": ("pass", ["out.mp4", "video", "nothing there"]),
    "writes-garbage": (
        "import sys; a = sys.argv; open(a[a.index('--out') + 1], 'wb').write(b'junk')",
        ["out.mp4", "no frames"],
    ),
    "too-few-frames": (
        WRITER.replace("FRAMES_DELTA", "-4").replace("WIDTH_DELTA", "0"),
        ["--out", "9 frames of 32x32", "5 frames"],
    ),
    "wrong-size": (
        WRITER.replace("FRAMES_DELTA", "0").replace("WIDTH_DELTA", "16"),
        ["--out", "9 frames of 32x32", "of 48x32"],
    ),
}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return make_bench(tmp_path_factory.mktemp("process") / "bench")


def _command(program, *options):
    return ["--model", "command", "-o", f"cmd={sys.executable} {program}", *options]


@pytest.mark.parametrize("code, parts", PROGRAMS.values(), ids=PROGRAMS)
def test_failing_program_is_a_failed_case_with_its_output(bench, tmp_path, code, parts):
    program = tmp_path / "model.py"
    program.write_text(code)
    out = tmp_path / "run"
    assert run(bench, out, *_command(program), "--cases", CASES[0]) == 1
    assert statuses(out) == {CASES[0]: "failed"}
    assert_names(record(out, CASES[0])["error"], *parts)


def test_missing_program_is_a_failed_case(bench, tmp_path):
    out = tmp_path / "run"
    missing = ["--model", "command", "-o", "cmd=/nonexistent/model --fast"]
    assert run(bench, out, *missing, "--cases", CASES[0]) == 1
    assert_names(record(out, CASES[0])["error"], "/nonexistent/model", "program", "starts")


SPAWNER = """
import subprocess, sys, time
a = sys.argv
child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
open(PID_FILE, 'w').write(str(child.pid))
time.sleep(60)
"""


def test_timeout_kills_the_grandchild_and_fails_the_case(bench, tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    program = tmp_path / "hang.py"
    program.write_text(SPAWNER.replace("PID_FILE", repr(str(pid_file))))
    out = tmp_path / "run"
    started = time.perf_counter()
    assert run(bench, out, *_command(program, "-o", "timeout=2"), "--cases", CASES[0]) == 1
    assert time.perf_counter() - started < 30
    assert_names(record(out, CASES[0])["error"], "timeout", "to finish within 2 s")
    pid = int(pid_file.read_text())
    for _ in range(50):  # the group was SIGKILLed; give the kernel a moment to reap it
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        if _zombie(pid):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"grandchild {pid} outlived the timeout")


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_default_timeout_fits_the_video_asked_for():
    """Twice the slowest published rate (~3680 s for a 60 s clip), at least 10 minutes; not
    six hours whatever the clip."""
    assert default_timeout(961, 16.0) == pytest.approx(2 * 3680.0)
    assert default_timeout(9, 16.0) == MIN_TIMEOUT_S == 600.0
    assert default_timeout(16 * 600 + 1, 16.0) == pytest.approx(20 * 3680.0)  # ten minutes
    assert CommandModel(cmd="true").timeout is None and LingBotWorld().options["timeout"] is None


def test_command_model_waits_the_fitted_default(bench, tmp_path, monkeypatch):
    seen = []

    def fake(argv, source, timeout, **kwargs):
        seen.append(timeout)
        raise InputError(source, "exit status", "0", "1")

    monkeypatch.setattr(command_module, "run_program", fake)
    assert run(bench, tmp_path / "run", *_command("model.py"), "--cases", CASES[0]) == 1
    assert seen == [default_timeout(9, 16.0)]


def test_a_running_program_prints_progress(bench, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(process, "PROGRESS_EVERY_S", 0.3)
    program = tmp_path / "sleepy.py"
    program.write_text("import time; time.sleep(1.5)")
    out = tmp_path / "run"
    assert run(bench, out, *_command(program), "--cases", CASES[0]) == 1  # writes no video
    err = capsys.readouterr().err
    assert_names(err, str(sys.executable), "still running after", "timeout option")
    assert err.count("still running after") >= 2


HANGS_AFTER_ONE = """
import os, subprocess, sys, time, numpy as np
from wmbench.core.types import Video
from wmbench.data.video_io import write_video
a = sys.argv
out = a[a.index('--out') + 1]
marker = MARKER
if not os.path.exists(marker):
    open(marker, 'w').close()
    n, w, h = (int(a[a.index(k) + 1]) for k in ('--frames', '--width', '--height'))
    write_video(out, Video(np.zeros((n, h, w, 3), np.uint8), 16.0))
    sys.exit(0)
child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])
open(STATE + '.tmp', 'w').write(f'{child.pid} {os.path.dirname(out)}')
os.replace(STATE + '.tmp', STATE)
time.sleep(120)
"""


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGINT"])  # fmt: skip
def test_signal_stops_the_run_cleanly_and_it_resumes(bench, tmp_path, signum, status):
    state = tmp_path / "state"
    program = tmp_path / "model.py"
    program.write_text(
        HANGS_AFTER_ONE.replace("MARKER", repr(str(tmp_path / "marker"))).replace(
            "STATE", repr(str(state))
        )
    )
    out = tmp_path / "run"
    process = start_run(bench, out, program)
    for _ in range(3000):  # a cold start imports torch: up to a minute on a loaded machine
        if state.exists():
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    else:
        pytest.fail("the second case never started")
    grandchild, folder = state.read_text().split(" ", 1)
    os.kill(process.pid, signum)  # the run only, as a scheduler or Ctrl-C in a shell would
    _, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    assert "Traceback" not in err
    assert_names(err, f"interrupted by {signal.Signals(signum).name}", "rerun")
    assert _gone(int(grandchild)), f"grandchild {grandchild} outlived the run"
    assert not os.path.exists(folder), f"{folder} was left behind"
    assert statuses(out) == {CASES[0]: "ok"} and not leftovers(out)
    before = stamps(out)
    (tmp_path / "marker").unlink()  # the model is fixed: it finishes every case now
    program.write_text(program.read_text().replace("if not os.path.exists(marker):", "if True:"))
    assert run(bench, out, *_command(program)) == 0
    assert len(statuses(out)) == 4 and stamps(out)[CASES[0]] == before[CASES[0]]


def _gone(pid: int) -> bool:
    for _ in range(50):  # give the kernel a moment to reap it
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if _zombie(pid):
            return True
        time.sleep(0.1)
    return False
