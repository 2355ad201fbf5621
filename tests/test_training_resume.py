"""Kill-and-resume: a two-stage run killed (SIGKILL) after a checkpoint and started again with the
same ``--out`` logs the same losses, step for step, and exports the same weights, bit for bit, as
a run never interrupted."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from reference_model.loading import DIT_FILE  # noqa: E402
from reference_model.training.config import load_config  # noqa: E402
from reference_model.training.trainer import train  # noqa: E402
from tests.test_training_data import (  # noqa: E402, F401
    ALONE,
    config_file,
    one_thread,
    stage,
    write_clips,
)
from wmbench.core.errors import InputError  # noqa: E402

REPOSITORY = Path(__file__).parents[1]
STEPS = 4  # per stage; a checkpoint every 2 steps


def _rows(run: Path) -> list[tuple[str, str, str]]:
    with open(run / "metrics.csv") as handle:
        return [(row["stage"], row["step"], row["loss"]) for row in csv.DictReader(handle)]


def test_killed_run_resumes_to_the_same_losses_and_weights(tmp_path: Path) -> None:
    write_clips(tmp_path / "clips", 4)
    stages = [stage("short", 9, (64, 32), STEPS), stage("long", 17, (128, 64), STEPS)]
    path = config_file(tmp_path, tmp_path / "clips", stages, checkpoint_every=2)
    config = load_config(str(path))
    cache = tmp_path / "cache"
    train(config, tmp_path / "whole", cache, ALONE)

    # The same run from the command line, SIGKILLed once its second stage has checkpointed,
    # mid-way through its next step or checkpoint.
    out = tmp_path / "killed"
    arguments = f"train --config {path} --out {out} --cache {cache}".split()
    command = [sys.executable, "-m", "reference_model", *arguments]
    environment = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    process = subprocess.Popen(
        command, cwd=REPOSITORY, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    checkpoint = out / "checkpoints" / "1-long" / "step-0000002"
    deadline = time.monotonic() + 300
    while not checkpoint.is_dir() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    _, stderr = process.communicate()
    assert process.returncode == -signal.SIGKILL, stderr.decode()[-3000:]
    assert checkpoint.is_dir() and not (out / DIT_FILE).exists()

    train(config, out, cache, ALONE)
    assert _rows(out) == _rows(tmp_path / "whole")
    assert (out / DIT_FILE).read_bytes() == (tmp_path / "whole" / DIT_FILE).read_bytes()
    assert not list(out.glob("checkpoints/*/*.partial"))


def test_an_out_folder_of_another_config_is_refused(tmp_path: Path) -> None:
    write_clips(tmp_path / "clips", 1)
    one = stage("one", 9, (64, 32), 1, batch=1, micro_batch=1)
    config = load_config(str(config_file(tmp_path, tmp_path / "clips", [one])))
    train(config, tmp_path / "run", tmp_path / "cache", ALONE)
    other = load_config(str(config_file(tmp_path, tmp_path / "clips", [one], seed=1)))
    with pytest.raises(InputError, match="use a new --out"):
        train(other, tmp_path / "run", tmp_path / "cache", ALONE)
