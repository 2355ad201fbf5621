"""The evaluation loop: for each model and case, generate, evaluate, store; then tabulate."""

from __future__ import annotations

import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from wmbench.core import weights
from wmbench.core.types import Case, Suite, fit_image
from wmbench.harness.distributed import barrier, rank_and_world_size
from wmbench.core.errors import InputError, MissingWeightsError, ModelUnavailable
from wmbench.evaluators import EVALUATORS, EvalInput, Evaluator
from wmbench.evaluators.base import evaluator_notes, weight_entries
from wmbench.models import MODELS, GenerationRequest, ModelAdapter
from wmbench.core.paths import REPO_ROOT
from wmbench.core.resources import hardware, measure
from wmbench.harness.store import RunStore, fingerprint, model_key

RECORDED_PACKAGES = (
    "wmbench", "numpy", "torch", "torchmetrics", "pycolmap", "opencv-python-headless",
    "diffusers", "flash-linear-attention", "torchao", "lpips", "open_clip_torch",
)  # fmt: skip


@dataclass(frozen=True)
class ModelChoice:
    """A model to run, by registry name, with its options."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfig:
    suite: Suite
    models: tuple[ModelChoice, ...]
    out: Path
    seed: int = 0
    save_videos: bool = True
    retry_failed: bool = False
    strict_models: bool = False  # models named by the user: unavailable is an error
    strict_evaluators: bool = False  # evaluators named by the user: missing weights are an error


def log(message: str) -> None:
    print(f"[wmbench] {message}", file=sys.stderr, flush=True)


def run(config: RunConfig) -> pd.DataFrame:
    """Run every model on every case of the suite, resuming finished cases; returns results."""
    rank, world_size = rank_and_world_size()
    store = RunStore(config.out)
    suite = config.suite
    log(f"suite {suite.name}: {len(suite.cases)} cases; data: {suite.data_label}")
    if world_size > 1:
        log(f"rank {rank} of {world_size}")
    evaluators, skipped = _evaluators(config)
    if rank == 0:
        store.write_run_metadata(_run_metadata(config, world_size, evaluators))
    for choice in config.models:
        _run_model(config, store, choice, evaluators, skipped, rank, world_size)
    barrier()
    results = store.write_tables() if rank == 0 else store.results()
    barrier()
    return results


def _run_metadata(
    config: RunConfig, world_size: int, evaluators: list[Evaluator]
) -> dict[str, Any]:
    """What the run is: suite, data, models, evaluators (their notes, and the sha256 of the
    weight files of the learned ones), seed, code, packages and hardware."""
    suite = config.suite
    return {
        "suite": suite.name,
        "data": suite.data_label,
        "frames": suite.frames,
        "fps": suite.fps,
        "resolution": list(suite.resolution),
        "cases": [case.id for case in suite.cases],
        "models": [{"name": m.name, "options": m.options} for m in config.models],
        "evaluators": list(suite.evaluators),
        "evaluator_notes": evaluator_notes(evaluators),
        "evaluator_weights": {
            e.name: weights.digests(weight_entries(e)) for e in evaluators if weight_entries(e)
        },
        "seed": config.seed,
        "world_size": world_size,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "packages": _package_versions(),
        "hardware": hardware(),
        "command": sys.argv,
    }


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def _package_versions() -> dict[str, str]:
    versions = {}
    for package in RECORDED_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    return versions


def _run_model(
    config: RunConfig,
    store: RunStore,
    choice: ModelChoice,
    evaluators: list[Evaluator],
    skipped: dict[str, str],
    rank: int,
    world_size: int,
) -> None:
    options = {**config.suite.model_options.get(choice.name, {}), **choice.options}
    try:
        adapter: ModelAdapter = MODELS.get(choice.name)(**options)
        adapter.check_available()
    except (ModelUnavailable, MissingWeightsError, InputError) as error:
        if config.strict_models:
            raise
        key = model_key(choice.name, options)
        log(f"model {choice.name}: SKIPPED: {error}")
        if rank == 0:
            store.write_model(
                key,
                {
                    "name": choice.name,
                    "options": options,
                    "status": "skipped",
                    "reason": str(error),
                },
            )
        return
    info = adapter.info()
    key = model_key(info.name, adapter.config())
    record = {
        "name": info.name,
        "version": info.version,
        "device": info.device,
        "options": options,
        "config": adapter.config(),
        "status": "ok",
        "evaluators": {e.name: e.version for e in evaluators},
        "skipped_evaluators": skipped,
        "metrics": {
            spec.name: {
                "higher_is_better": spec.higher_is_better,
                "unit": spec.unit,
                "description": spec.description,
                "evaluator": evaluator.name,
            }
            for evaluator in evaluators
            for spec in evaluator.metric_specs()
        },
    }
    if rank == 0:
        store.write_model(key, record)
    case_fingerprint = fingerprint(
        {
            "frames": config.suite.frames,
            "resolution": config.suite.resolution,
            "fps": config.suite.fps,
            "seed": config.seed,
            "model": record["config"],
            "evaluators": record["evaluators"],
        }
    )
    suite_failures = dict(config.suite.failures)
    case_ids = [case.id for case in config.suite.cases] + list(suite_failures)
    cases = {case.id: case for case in config.suite.cases}
    mine = case_ids[rank::world_size]
    for index, case_id in enumerate(mine, start=1):
        prefix = f"{info.name} [{index}/{len(mine)}] {case_id}"
        previous = store.finished(key, case_id, case_fingerprint)
        if previous and not (config.retry_failed and previous["status"] == "failed"):
            log(f"{prefix}: done earlier ({previous['status']}), skipped")
            continue
        base = {
            "model": info.name,
            "model_key": key,
            "case_id": case_id,
            "fingerprint": case_fingerprint,
        }
        if case_id in suite_failures:
            log(f"{prefix}: FAILED reading the case: {suite_failures[case_id]}")
            split = case_id.split("/", 1)[0]
            store.write_case(
                key, {**base, "split": split, "category": "", "status": "failed",
                      "stage": "read", "error": suite_failures[case_id]},
            )  # fmt: skip
            continue
        _run_case(config, store, adapter, evaluators, cases[case_id], base, prefix)


def _evaluators(config: RunConfig) -> tuple[list[Evaluator], dict[str, str]]:
    """The suite's evaluators that can run here, and the skipped ones with the reason (the
    weight files to place), logged once per run."""
    evaluators, skipped = [], {}
    for name in config.suite.evaluators:
        evaluator = EVALUATORS.get(name)()
        try:
            evaluator.check_available()
        except MissingWeightsError as error:
            if config.strict_evaluators:
                raise
            skipped[name] = _missing_weights(error)
            log(f"evaluator {name}: SKIPPED, {skipped[name]}")
            continue
        evaluators.append(evaluator)
    if skipped:
        log(
            f"  place those files in the weight store ({weights.store_root()}, set by "
            "$WMBENCH_WEIGHTS), or run `python -m wmbench weights fetch ENTRY` (the file's "
            "folder) on a machine with internet; `python -m wmbench weights list` shows the store"
        )
    return evaluators, skipped


def _missing_weights(error: MissingWeightsError) -> str:
    """The reason an evaluator is skipped: the exact files missing (the error's text when it
    names none)."""
    if not error.missing:
        return str(error)
    return "weights missing: " + ", ".join(str(path) for path in error.missing)


def _run_case(
    config: RunConfig,
    store: RunStore,
    adapter: ModelAdapter,
    evaluators: list[Evaluator],
    case: Case,
    base: dict[str, Any],
    prefix: str,
) -> None:
    suite = config.suite
    result: dict[str, Any] = {**base, "split": case.split, "category": case.category, "error": ""}
    timings: dict[str, float] = {}
    stage = "prepare"
    try:
        width, height = suite.resolution
        request = GenerationRequest(
            case=case,
            image=fit_image(case.load_image(), width, height),
            trajectory=case.trajectory.head(suite.frames).fitted(width, height),
            num_frames=suite.frames,
            resolution=suite.resolution,
            fps=suite.fps,
            seed=config.seed,
        )
        stage = "generate"
        log(f"{prefix}: generating {suite.frames} frames at {width}x{height}")
        with measure() as measured:
            generation = adapter.generate(request)
        timings["generate"] = measured.usage.wall_seconds
        inputs = EvalInput(
            case=case,
            trajectory=request.trajectory,
            video=generation.video,
            generation=generation,
            reference=_reference_video(request, evaluators),
            usage=measured.usage,
        )
    except Exception as error:  # noqa: BLE001 - any failure of one case is recorded, not fatal
        log(f"{prefix}: FAILED at {stage}: {error}")
        failure = {"status": "failed", "stage": stage, "error": _describe(error)}
        store.write_case(base["model_key"], {**result, **failure, "timings": timings})
        return
    metrics: dict[str, float] = {}
    series: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for evaluator in evaluators:
        start = time.perf_counter()
        try:
            evaluated = evaluator.evaluate(inputs)
        except Exception as error:  # noqa: BLE001 - recorded per evaluator
            errors[evaluator.name] = _describe(error)
            log(f"{prefix}: evaluator {evaluator.name} FAILED: {error}")
            continue
        finally:
            timings[evaluator.name] = time.perf_counter() - start
        metrics.update(evaluated.metrics)
        series.update({f"{evaluator.name}/{k}": v for k, v in evaluated.series.items()})
    status = "partial" if errors else "ok"
    stages = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items())
    log(f"{prefix}: {status} ({stages})")
    store.write_case(
        base["model_key"],
        {**result, "status": status, "errors": errors, "metrics": metrics, "timings": timings,
         "stage_seconds": generation.stage_seconds, "generation_info": generation.info},
        series=series,
        video=generation.video if config.save_videos else None,
    )  # fmt: skip


def _describe(error: BaseException) -> str:
    if isinstance(error, InputError | MissingWeightsError | ModelUnavailable):
        return str(error)
    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"{type(error).__name__}: {error} (at {Path(frame.filename).name}:{frame.lineno})"


def _reference_video(request: GenerationRequest, evaluators: list[Evaluator]):
    """The ground-truth video of a synthetic case, when an evaluator needs one."""
    if not any(getattr(e, "needs_reference", False) for e in evaluators):
        return None
    if "world" not in request.case.extras:
        return None
    from wmbench.models.oracle import OracleModel

    return OracleModel().generate(request).video
