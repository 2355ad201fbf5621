"""The baseline driver runs a script as __main__ with its arguments, times its loading apart
from its generation, answers repeated calls empty with --once, overrides module constants with
--set, and refuses a script that does not reach the callable it is told to time."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from wmbench.models.baselines.base import DRIVER

SCRIPT = """
import sys, time
LIMIT = 1
CALLS = []

def generate(step):
    CALLS.append(step)
    time.sleep(0.3)
    return step

if __name__ == "__main__":
    time.sleep(0.2)  # loading
    for step in range(3):
        generate(step)
    print(sys.argv[1:], LIMIT, CALLS, __name__)
"""


def run(tmp_path, *options):
    script = tmp_path / "entry.py"
    script.write_text(textwrap.dedent(SCRIPT))
    timings = tmp_path / "timings.json"
    done = subprocess.run(
        [sys.executable, str(DRIVER), "--timings", str(timings), *options, "--", str(script),
         "--flag", "x"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    return done, timings


def test_driver_times_loading_apart_and_keeps_the_script_main(tmp_path):
    done, timings = run(tmp_path, "--time", "generate", "--set", "LIMIT=5")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['--flag', 'x'] 5 [0, 1, 2] __main__"
    record = json.loads(timings.read_text())
    assert record["load_s"] >= 0.2 and record["generate_s"] >= 0.9  # 3 calls of 0.3 s
    assert record["calls"] == 3 and record["skipped"] == 0


def test_driver_once_answers_later_calls_empty(tmp_path):
    done, timings = run(tmp_path, "--time", "generate", "--once")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("[0] __main__")
    record = json.loads(timings.read_text())
    assert record["calls"] == 1 and record["skipped"] == 2


def test_driver_refuses_a_callable_the_script_does_not_reach(tmp_path):
    done, _ = run(tmp_path, "--time", "Pipeline.generate")
    assert done.returncode != 0 and "reaches no Pipeline.generate to time" in done.stderr
