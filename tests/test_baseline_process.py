"""The shared runner: a timed-out program is killed with its whole process group."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from wmbench.core.errors import InputError
from wmbench.models.process import run_program

SPAWNER = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
open(sys.argv[1], "w").write(str(child.pid))
print("started", flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        return False
    return "State:\tZ" not in status.read_text()  # a zombie waiting for its reaper is dead


def test_timeout_kills_the_whole_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    with pytest.raises(InputError, match="timeout") as caught:
        run_program([sys.executable, "-c", SPAWNER, str(pid_file)], "spawner", timeout=3.0)
    assert "started" in str(caught.value)
    child = int(pid_file.read_text())
    deadline = time.time() + 5
    while _alive(child) and time.time() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def test_exit_status_and_stdin(tmp_path):
    echo = run_program([sys.executable, "-c", "print(input()[::-1])"], "echo", 30, stdin="abc\n")
    assert echo.output.strip() == "cba"
    with pytest.raises(InputError, match="exit status"):
        run_program([sys.executable, "-c", "raise SystemExit(3)"], "fails", 30)
