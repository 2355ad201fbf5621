"""The one GPU benchmark command (``python -m benchmarks.gpu``): its dry run on tiny
configurations runs every stage on the CPU and writes the Markdown and JSON reports; a stage
that fails or hangs is recorded with its error and the next stage still runs."""

from __future__ import annotations

import json

import pytest

from benchmarks import gpu
from wmbench.evaluators import EVALUATORS

pytest.importorskip("diffusers")


def test_dry_run_runs_every_stage_and_writes_both_reports(tmp_path):
    assert gpu.main(["--dry-run", "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "gpu_bench.json").read_text())
    assert record["torch"] and record["commit"] and record["device"]
    assert [stage["name"] for stage in record["stages"]] == [s.name for s in gpu.STAGES]
    for stage in record["stages"]:
        assert stage["status"] == "ok", stage["error"]
        assert stage["report"].count("|") > 10  # its table
        assert stage["report"] in (tmp_path / "gpu_bench.md").read_text()
    rows = json.loads((tmp_path / "gpu_bench" / "evaluators.json").read_text())["rows"]
    learned = {name for name in EVALUATORS.names() if EVALUATORS.get(name).weight_entries}
    assert {row["name"] for row in rows} == learned | {"pi3 (pose estimator)"}
    measured = {row["name"] for row in rows if row["status"] == "ok"}
    assert learned - measured <= {"fvd"}  # FVD's I3D exists only as the real TorchScript file
    for row in rows:
        assert (row["status"] == "ok") == (row["seconds"] is not None and not row["error"])


@pytest.mark.parametrize("dry_run", [False, True], ids=["own process", "in process"])
def test_a_failing_or_hanging_stage_is_recorded_and_the_next_runs(tmp_path, dry_run):
    stages = {
        mode: gpu.Stage(mode, "tests.gpu_stage", mode, (mode,), (mode,), 3.0)
        for mode in ("fail", "hang", "ok")
    }
    failed = gpu.run_stage(stages["fail"], dry_run, tmp_path, 30.0)
    assert failed.status == "failed" and "out of memory (stand-in)" in failed.error
    assert failed.report == "| row | fail |\n"  # what it wrote before failing is kept
    if not dry_run:  # a hang can only be stopped in a process of its own
        hung = gpu.run_stage(stages["hang"], dry_run, tmp_path, 3.0)
        assert hung.status == "timed out" and hung.report == "| row | hang |\n"
        assert 3.0 <= hung.seconds < 30.0
    done = gpu.run_stage(stages["ok"], dry_run, tmp_path, 30.0)
    assert done.status == "ok" and not done.error and done.report == "| row | ok |\n"
    assert gpu.run_stage(stages["ok"], dry_run, tmp_path, 0.0).status == "not run"


def test_the_full_run_needs_cuda(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(gpu.torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit):
        gpu.main(["--out", str(tmp_path)])
    assert "--dry-run" in capsys.readouterr().err


def test_streaming_mfu_is_counted_flops_over_time_against_the_peak():
    import torch

    from reference_model.bench import work_flops
    from reference_model.bench_streaming import Row, markdown

    a, b = torch.ones(3, 5), torch.ones(5, 7)
    assert work_flops(lambda: a @ b) == 2 * 3 * 5 * 7
    rows = [Row(10.0, 21, "bidirectional", 100.0, 2.0, 2e12)]
    table = markdown(rows, {}, peak=4e12)
    assert table.splitlines()[-1].endswith("| 2.0 | 2 | 1 | 25.0% |")
