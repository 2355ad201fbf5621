"""Every GPU figure of the project in one command, within about 8 minutes on one H100:

    python -m benchmarks.gpu --out reports/            # on a machine with CUDA
    python -m benchmarks.gpu --dry-run --out DIR       # tiny configurations on the CPU (a test)

It runs the existing benchmarks one after another, each in its own process with its own time
limit (so an out-of-memory error, a crash or a hang loses only that stage; its error is recorded
and the next stage runs), and writes ``OUT/gpu_bench.md`` and ``OUT/gpu_bench.json`` (device,
torch version, commit; per stage its command, status, seconds and error) with each stage's own
Markdown report under ``OUT/gpu_bench/``:

* ``reference_bidirectional``: :mod:`reference_model.bench`, the reference model's denoising step
  at 720p (704x1280) for 10 s and 60 s clips: seconds, MFU, peak memory (Triton GDN scan);
* ``reference_streaming``: :mod:`reference_model.bench_streaming`, the chunk-causal loop against
  one bidirectional forward at 10 s and 60 s: seconds, MFU and peak memory;
* ``nvfp4``: :mod:`reference_model.nvfp4.bench`, NVFP4 linear layers against bf16 at the shapes
  of one step of a 10 s and a 60 s clip;
* ``training``: :mod:`reference_model.training.bench`, training steps of the full configuration
  (FSDP2, activation checkpointing, bf16) on a 10 s clip: seconds, MFU, peak memory;
* ``evaluators``: :mod:`benchmarks.gpu_evaluators`, each learned evaluator and Pi3 on a 961-frame
  720p clip (random weights at the real architectures).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch

from wmbench.harness.provenance import git_commit

REPOSITORY = Path(__file__).resolve().parents[1]
BUDGET_S = 470.0  # all stages together: 8 minutes, less the orchestrator's own seconds
TAIL = 2000  # characters of a failed stage's output kept as its error


@dataclass(frozen=True)
class Stage:
    """A benchmark module run as ``python -m MODULE ARGS --out FILE``: ``full`` on CUDA,
    ``dry`` (tiny, CPU) with ``--dry-run``, stopped after ``limit_s`` seconds."""

    name: str
    module: str
    figures: str
    full: tuple[str, ...]
    dry: tuple[str, ...]
    limit_s: float


STAGES = (
    Stage("reference_bidirectional", "reference_model.bench",
          "bidirectional step: s / step, MFU, peak GiB at 720p, 10 s and 60 s",
          ("--seconds", "10", "60", "--gdn", "triton", "--repeats", "2"),
          ("--preset", "tiny", "--seconds", "1", "--gdn", "torch", "--repeats", "1",
           "--peak-size", "64"), 90),
    Stage("reference_streaming", "reference_model.bench_streaming",
          "streaming (chunk-causal) loop: s, MFU and peak MiB at 720p, 10 s and 60 s, beside "
          "bidirectional", ("--seconds", "10", "60", "--steps", "1", "--mfu"),
          ("--preset", "tiny", "--seconds", "1", "--steps", "1", "--mfu", "--peak-size", "64"),
          170),
    Stage("nvfp4", "reference_model.nvfp4.bench",
          "NVFP4 linear layers against bf16 (ms, TFLOP/s, error) at one step's shapes",
          ("--seconds", "10", "60"), ("--preset", "tiny", "--seconds", "1", "--repeats", "1"), 35),
    Stage("training", "reference_model.training.bench",
          "training steps of the full configuration: s / step, MFU, peak GiB, 10 s clip",
          ("--seconds", "10", "--repeats", "2"),
          ("--preset", "tiny", "--seconds", "1", "--repeats", "1", "--peak-size", "64"), 85),
    Stage("evaluators", "benchmarks.gpu_evaluators",
          "each learned evaluator and Pi3 on a 961-frame 720p clip: s and peak GiB",
          ("--frames", "961", "--size", "1280x720"),
          ("--frames", "5", "--size", "160x128", "--tiny"), 90),
)  # fmt: skip


@dataclass
class StageResult:
    name: str
    figures: str
    command: list[str]
    status: str = "not run"  # ok, failed, timed out, not run (no time left)
    seconds: float = 0.0
    limit_s: float = 0.0
    error: str = ""
    report_file: str = ""
    report: str = ""


def run_stage(stage: Stage, dry_run: bool, folder: Path, limit_s: float) -> StageResult:
    """Run one stage; what it wrote to its report is kept whatever happens. The full run gives
    each stage a process of its own, stopped at ``limit_s``; the dry run calls each module's
    ``main`` in this process (one import of torch and diffusers instead of five)."""
    report = folder / f"{stage.name}.md"
    args = [*(stage.dry if dry_run else stage.full), "--out", str(report)]
    command = [sys.executable, "-m", stage.module, *args]
    result = StageResult(stage.name, stage.figures, command, limit_s=limit_s)
    if limit_s <= 0:
        result.error = "no time left in the budget"
        return result
    began = time.perf_counter()
    result.status, result.error = (in_process if dry_run else isolated)(command, limit_s)
    result.seconds = time.perf_counter() - began
    if report.is_file():
        result.report_file = str(report)
        result.report = report.read_text()
    return result


def isolated(command: list[str], limit_s: float) -> tuple[str, str]:
    """Status and error of ``command`` run in its own process, stopped after ``limit_s``."""
    path = os.pathsep.join(p for p in (str(REPOSITORY), os.environ.get("PYTHONPATH")) if p)
    try:
        finished = subprocess.run(
            command, cwd=REPOSITORY, env={**os.environ, "PYTHONPATH": path},
            capture_output=True, text=True, timeout=limit_s,
        )  # fmt: skip
    except subprocess.TimeoutExpired as expired:
        output = expired.stderr or b""
        tail = output.decode(errors="replace") if isinstance(output, bytes) else output
        return "timed out", f"stopped after {limit_s:.0f} s: {tail[-TAIL:]}"
    if finished.returncode != 0:
        return "failed", f"exit status {finished.returncode}: {finished.stderr[-TAIL:]}"
    return "ok", ""


def in_process(command: list[str], limit_s: float) -> tuple[str, str]:
    """Status and error of ``python -m MODULE ARGS`` (``command``) called as ``MODULE.main``
    in this process (no time limit)."""
    module, args = command[2], command[3:]
    try:
        importlib.import_module(module).main(args)
    except BaseException as error:  # noqa: BLE001 - argparse's SystemExit included
        if isinstance(error, KeyboardInterrupt):
            raise
        trace = "".join(traceback.format_exception(error))
        return "failed", f"{type(error).__name__}: {error}\n{trace[-TAIL:]}"
    return "ok", ""


def markdown(header: dict[str, str], results: list[StageResult]) -> str:
    lines = ["# GPU benchmark", "", *(f"- {key}: {value}" for key, value in header.items())]
    lines += ["", "| stage | figures | status | s | limit s |", "|---|---|---|---:|---:|"]
    for result in results:
        lines.append(
            f"| {result.name} | {result.figures} | {result.status} | {result.seconds:.1f} | "
            f"{result.limit_s:.0f} |"
        )
    for result in results:
        lines += ["", f"## {result.name}", "", f"`{' '.join(result.command[1:])}`", ""]
        if result.error:
            lines += ["Error:", "", "```", result.error.strip(), "```", ""]
        lines.append(result.report.strip() or "(no report written)")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--dry-run", action="store_true", help="tiny configurations on the CPU")
    parser.add_argument("--stages", nargs="+", choices=[s.name for s in STAGES], default=None)
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds for all stages")
    args = parser.parse_args(argv)
    cuda = torch.cuda.is_available()
    if not cuda and not args.dry_run:
        parser.error("no CUDA device: run with --dry-run, or on a machine with a GPU")
    folder = args.out / "gpu_bench"
    folder.mkdir(parents=True, exist_ok=True)
    header = {
        "device": torch.cuda.get_device_name() if cuda else platform.processor() or "cpu",
        "torch": torch.__version__,
        "commit": git_commit(),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mode": "dry run: tiny configurations on the CPU, no figure of record"
        if args.dry_run
        else "full configurations",
    }
    deadline = time.monotonic() + args.budget
    results = []
    for stage in STAGES:
        if args.stages and stage.name not in args.stages:
            continue
        limit = min(stage.limit_s, deadline - time.monotonic())
        print(f"[gpu bench] {stage.name} (at most {max(limit, 0):.0f} s)", flush=True)
        results.append(run_stage(stage, args.dry_run, folder, limit))
        print(f"[gpu bench] {stage.name}: {results[-1].status}", flush=True)
        (args.out / "gpu_bench.md").write_text(markdown(header, results))
        (args.out / "gpu_bench.json").write_text(
            json.dumps({**header, "stages": [asdict(r) for r in results]}, indent=1)
        )
    return 0 if all(result.status == "ok" for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
