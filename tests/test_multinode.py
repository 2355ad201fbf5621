"""Two torchrun "nodes" on this machine (two ``torchrun --nnodes 2`` processes meeting through
the c10d rendezvous on localhost, gloo on the CPU) fill one run directory with the results of a
single-process run; after one node (its agent, worker and model) is killed with SIGKILL while it
generates a case, the other stops with an error, and a rerun of both nodes finishes every case
exactly once, with the same results."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from tests.benchdata import write_bench
from wmbench.cli import main

REPO = Path(__file__).resolve().parents[1]
SCENES = ("indoor_001", "indoor_002", "outdoor_001", "outdoor_002")
CASES = sorted(f"{split}/{scene}" for split in ("simple_60s", "hard_60s") for scene in SCENES)
PER_NODE = len(CASES) // 2
NODE_TIMEOUT_S = 120  # one attempt of both nodes; they take ~10 s on 2 idle cores
SETTINGS = ["--suite", "one_minute", "--frames", "9", "--resolution", "48x32",
            "--evaluators", "flicker,sharpness"]  # fmt: skip
FINISHED = re.compile(r"\] (\S+): ok \(")  # the runner's line for a case it computed
RESUMED = re.compile(r"\] (\S+): done earlier")
NODE_TAG = "WMBENCH_TEST_NODE"  # in the environment of every process of a test node


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bench(tmp_path_factory.mktemp("multinode") / "bench", SCENES, 9, (48, 32))


def _run_args(bench: Path, out: Path) -> list[str]:
    model = f"cmd={sys.executable} {REPO / 'tests' / 'hold_model.py'}"
    return ["run", *SETTINGS, "--data", str(bench), "--out", str(out),
            "--model", "command", "--option", model]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Nodes:
    """Two torchrun agents of one rendezvous, logging to files."""

    def __init__(self, bench: Path, out: Path, folder: Path, hold: Path | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tmp").mkdir(exist_ok=True)
        endpoint, run_id = f"localhost:{_free_port()}", uuid.uuid4().hex
        self.logs = [folder / f"node{index}.log" for index in range(2)]
        self.tags = [f"{run_id}-{index}" for index in range(2)]
        self.processes: list[subprocess.Popen] = []
        for index, log in enumerate(self.logs):
            command = [
                sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
                "--nproc-per-node", "1", "--rdzv-backend", "c10d", "--rdzv-endpoint", endpoint,
                "--rdzv-id", run_id,
                "--max-restarts", "0", "--monitor-interval", "0.2",
                "-m", "wmbench", *_run_args(bench, out),
            ]  # fmt: skip
            env = {**os.environ, "OMP_NUM_THREADS": "1", "TMPDIR": str(folder / "tmp"),
                   NODE_TAG: self.tags[index]}  # fmt: skip
            if hold is not None and index == 1:  # node 1 stops in its second case
                env.update(HOLD_DIR=str(hold), HOLD_AT="2")
            with open(log, "wb") as handle:
                self.processes.append(
                    subprocess.Popen(
                        command, stdout=handle, stderr=subprocess.STDOUT, cwd=REPO, env=env
                    )  # fmt: skip
                )

    def wait(self, index: int, timeout: float) -> int | None:
        """The exit status of node ``index``, or None when it is still running at ``timeout``."""
        try:
            return self.processes[index].wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self, index: int) -> None:
        """SIGKILL node ``index``: every process carrying its tag (the agent, its worker, which
        torchrun starts in a session of its own, and the command model the worker runs)."""
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if process.environ().get(NODE_TAG) == self.tags[index]:
                    process.kill()
        self.processes[index].wait()

    def text(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs)


@pytest.fixture
def launch() -> Iterator:
    """Start nodes; whatever is still running at the end of the test is killed."""
    started: list[Nodes] = []

    def start(*args, **kwargs) -> Nodes:
        started.append(Nodes(*args, **kwargs))
        return started[-1]

    yield start
    for nodes in started:
        for index in range(2):
            nodes.kill(index)


def _finish(nodes: Nodes) -> str:
    statuses = [nodes.wait(index, NODE_TIMEOUT_S) for index in range(2)]
    assert statuses == [0, 0], nodes.text()[-4000:]
    return nodes.text()


def _results(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "results.csv").sort_values("case_id").reset_index(drop=True)


def _assert_same_run(out: Path, reference: Path) -> None:
    """Same table, and bit-identical per-frame series, as the single-process run."""
    pd.testing.assert_frame_equal(_results(out), _results(reference))
    for case in CASES:
        [series] = out.glob(f"cases/*/{case}/series.npz")
        [expected] = reference.glob(f"cases/*/{case}/series.npz")
        with np.load(series) as got, np.load(expected) as want:
            assert sorted(got) == sorted(want)
            for name in want:
                np.testing.assert_array_equal(got[name], want[name])


@pytest.fixture(scope="module")
def single(bench: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("single") / "run"
    assert main(_run_args(bench, out)) == 0
    assert list(_results(out)["case_id"]) == CASES and set(_results(out)["status"]) == {"ok"}
    return out


def test_two_nodes_fill_one_run_directory_like_one_process(bench, single, tmp_path, launch):
    out = tmp_path / "run"
    log = _finish(launch(bench, out, tmp_path / "nodes"))
    assert "rank 0 of 2" in log and "rank 1 of 2" in log
    assert sorted(FINISHED.findall(log)) == CASES  # each case computed by one node, once
    _assert_same_run(out, single)


def test_a_killed_node_is_finished_by_a_rerun_exactly_once(bench, single, tmp_path, launch):
    out, hold = tmp_path / "run", tmp_path / "hold"
    hold.mkdir()
    nodes = launch(bench, out, tmp_path / "first", hold=hold)
    deadline = time.monotonic() + NODE_TIMEOUT_S
    # node 1 holds in its second case; node 0 finishes its share and waits at the barrier
    while (
        not (hold / "held").exists() or len(list(out.glob("cases/**/result.json"))) < PER_NODE + 1
    ):
        assert time.monotonic() < deadline, nodes.text()[-4000:]
        assert nodes.processes[0].poll() is None, nodes.text()[-4000:]
        time.sleep(0.05)
    nodes.kill(1)
    status = nodes.wait(0, 60)  # the survivor's barrier fails: it exits with an error, not hangs
    assert status not in (0, None), nodes.text()[-4000:]
    first = nodes.text()
    stamps = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.glob("cases/**/result.json")}
    assert len(stamps) == PER_NODE + 1 and not (out / "results.csv").exists()

    rerun = _finish(launch(bench, out, tmp_path / "second"))
    computed = Counter(FINISHED.findall(first) + FINISHED.findall(rerun))
    assert sorted(computed) == CASES and set(computed.values()) == {1}, computed
    assert len(RESUMED.findall(rerun)) == PER_NODE + 1
    for path, stamp in stamps.items():  # finished cases are kept, not recomputed
        assert (path.stat().st_mtime_ns, path.read_bytes()) == stamp
    assert len(list(out.glob("cases/**/result.json"))) == len(CASES)
    _assert_same_run(out, single)
