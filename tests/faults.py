"""Shared pieces of the fault corpus (``tests/test_faults_*.py``): a tiny benchmark, a finished
run to damage, and the checks every fault makes (no traceback, the message names the file and
field, nothing finished is lost)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.benchdata import write_bench
from wmbench.cli import main

ROOT = Path(__file__).resolve().parents[1]
FRAMES, SIZE = 9, (32, 32)
SMALL = ["--suite", "one_minute", "--frames", str(FRAMES), "--resolution", "32x32",
         "--evaluators", "throughput"]  # fmt: skip
CASES = [f"{split}/{scene}" for split in ("simple_60s", "hard_60s")
         for scene in ("indoor_001", "outdoor_001")]  # fmt: skip
EXPORT = {"simple_60s": "benchmark_v2_smooth_60s", "hard_60s": "benchmark_v2_hard_60s"}


def make_bench(root: Path) -> Path:
    """Two scenes in both splits, 9 frames at 32x32."""
    return write_bench(root, num_frames=FRAMES, size=SIZE)


def npz_path(bench: Path, case_id: str) -> Path:
    split, scene = case_id.split("/")
    return bench / EXPORT[split] / "sanawm_export_v2" / f"{scene}.npz"


def image_path(bench: Path, case_id: str) -> Path:
    return bench / "images" / f"{case_id.split('/')[1]}.png"


def run(bench: Path, out: Path, *extra: str, model: str = "static") -> int:
    """``wmbench run`` of the small setting (``model`` unless ``extra`` names one)."""
    models = [] if "--model" in extra else ["--model", model]
    return main(["run", *SMALL, "--data", str(bench), "--out", str(out), *models, *extra])


def finished_run(bench: Path, out: Path) -> Path:
    """A run of every case, all ok."""
    assert run(bench, out) == 0
    assert set(statuses(out).values()) == {"ok"}
    return out


def copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def statuses(out: Path) -> dict[str, str]:
    """case id -> status, from the stored result files."""
    return {
        json.loads(p.read_text())["case_id"]: json.loads(p.read_text())["status"]
        for p in (out / "cases").glob("*/*/*/result.json")
    }


def record(out: Path, case_id: str) -> dict:
    """The stored result of ``case_id`` (of the one model the run has)."""
    (path,) = (out / "cases").glob(f"*/{case_id}/result.json")
    return json.loads(path.read_text())


def stamps(out: Path) -> dict[str, int]:
    """case id -> modification time of its result.json (unchanged: not recomputed)."""
    return {
        json.loads(p.read_text())["case_id"]: p.stat().st_mtime_ns
        for p in (out / "cases").glob("*/*/*/result.json")
    }


def results(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "results.csv").set_index("case_id")


def error_text(capsys) -> str:
    """What the command printed to stderr; never a traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return err


def assert_names(text: str, *parts: str) -> None:
    """``text`` mentions every part (file, field, expected form)."""
    missing = [part for part in parts if part not in text]
    assert not missing, f"{missing} not in: {text}"


def leftovers(root: Path) -> list[Path]:
    """Temporary or empty files a write left behind."""
    return [
        p
        for p in root.rglob("*")
        if p.is_file() and (p.name.startswith(".") or p.stat().st_size == 0)
    ]


def start_run(bench: Path, out: Path, program: Path) -> subprocess.Popen:
    """``wmbench run`` of the small setting with a model that takes a second per case, as a
    child process in its own group."""
    args = [sys.executable, "-m", "wmbench", "run", *SMALL, "--data", str(bench), "--out",
            str(out), "--model", "command", "-o", f"cmd={sys.executable} {program}"]  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


def wait_for_results(out: Path, count: int, process: subprocess.Popen) -> None:
    for _ in range(3000):  # a cold start imports torch: up to a minute on a loaded machine
        if len(list((out / "cases").glob("*/*/*/result.json"))) >= count:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    pytest.fail("no case finished in time")
