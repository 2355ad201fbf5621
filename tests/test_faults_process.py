"""Fault corpus, external programs (the ``command`` model; the baselines share run_program): a
program that fails, hangs, prints bytes that are not UTF-8 or writes a wrong video is a failed
case with its output; a timeout kills the whole process group."""

from __future__ import annotations

import os
import sys
import time

import pytest

from tests.faults import CASES, assert_names, make_bench, record, run, statuses
from wmbench.models.baselines.pose_driven import LingBotWorld
from wmbench.models.command import CommandModel
from wmbench.models.process import DEFAULT_TIMEOUT_S

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


def test_default_timeout_is_six_hours_for_command_and_baselines():
    assert DEFAULT_TIMEOUT_S == 6 * 3600
    assert CommandModel(cmd="true").timeout == DEFAULT_TIMEOUT_S
    assert LingBotWorld().options["timeout"] == DEFAULT_TIMEOUT_S
