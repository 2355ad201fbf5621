"""The evaluation loop: for each model and case, generate, evaluate, store; then tabulate."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

from wmbench.core import weights
from wmbench.core.errors import (
    InputError,
    MissingWeightsError,
    ModelUnavailable,
    OutputError,
    WmbenchError,
)
from wmbench.core.resources import hardware, measure
from wmbench.core.types import Case, FrameSequence, Suite, fit_image
from wmbench.evaluators import EvalInput, Evaluator
from wmbench.evaluators.base import evaluator_notes
from wmbench.harness import identity, provenance
from wmbench.harness.distributed import barrier, rank_and_world_size
from wmbench.harness.evaluator_setup import ready_evaluators
from wmbench.harness.records import (
    FAILED,
    OK,
    PARTIAL,
    SKIPPED,
    CaseRecord,
    DeclaredMetric,
    ModelRecord,
    Resolved,
    ResolvedModel,
    RunRecord,
)
from wmbench.harness.result import RunResult
from wmbench.harness.signals import stop_on_signals
from wmbench.harness.spec import ModelChoice, RunSpec
from wmbench.harness.store import RunStore
from wmbench.harness.summary import summarise
from wmbench.models import MODELS, Generation, GenerationRequest, ModelAdapter
from wmbench.worlds.cases import ground_truth_video, is_synthetic


@dataclass(frozen=True)
class RunConfig:
    """A run: its specification, the suite it loaded (narrowed by the selection, with the
    specification's evaluators), the folder, and how to run it."""

    spec: RunSpec
    suite: Suite
    out: Path
    save_videos: bool = True
    retry_failed: bool = False
    strict_models: bool = False  # models named by the user: unavailable is an error
    strict_evaluators: bool = False  # evaluators named by the user: missing weights are an error
    new_spec: bool = False  # replace the specification of the run already in ``out``


def log(message: str) -> None:
    print(f"[wmbench] {message}", file=sys.stderr, flush=True)


def run(config: RunConfig) -> RunResult:
    """Run every model on every case of the suite, resuming finished cases; returns the
    result as rank 0 wrote it (other ranks read it). SIGTERM or SIGINT stops it cleanly (see
    :mod:`wmbench.harness.signals`)."""
    with stop_on_signals():
        return _run(config)


def _run(config: RunConfig) -> RunResult:
    rank, world_size = rank_and_world_size()
    store = RunStore(config.out)
    suite = config.suite
    log(f"suite {suite.name}: {len(suite.cases)} cases; data: {suite.data_label}")
    if world_size > 1:
        log(f"rank {rank} of {world_size}")
    for choice in config.spec.models:  # an unknown name fails before any model runs
        MODELS.get(choice.name)
    evaluators, skipped, identities = ready_evaluators(config.suite, config.strict_evaluators, log)
    models: dict[str, ModelRecord] = {}
    try:  # every model is built and checked before the first one runs
        prepared = [_prepare(config, choice) for choice in config.spec.models]
        keys = [ResolvedModel(p.choice.name, p.key, p.options) for p in prepared]
        record = _run_record(
            config, world_size, evaluators, identity.resolved(suite, keys, identities)
        )
        if rank == 0:  # the folder is this run's (or refused) before any rank writes a case
            identity.check_folder(config.out)
            record = store.claim(record, config.new_spec)
        barrier()
        for model in prepared:
            models[model.key] = _run_model(
                config, record, store, model, evaluators, skipped, rank, world_size
            )
    finally:
        for evaluator in evaluators:
            evaluator.release()
    barrier()
    if rank == 0:
        results, summary = store.write_tables(partial(summarise, evaluators=evaluators))
    barrier()
    if rank != 0:
        return RunResult.read(config.out)
    return RunResult(config.out, record, models, summary, results)


def _run_record(
    config: RunConfig, world_size: int, evaluators: list[Evaluator], resolved: Resolved
) -> RunRecord:
    """What the run is (its specification and what it resolved to) and its provenance: the
    data's place, the evaluators' notes and the sha256 of the learned ones' weight files,
    code, packages and hardware."""
    return RunRecord(
        spec=config.spec,
        resolved=resolved,
        data=config.suite.data_label,
        evaluator_notes=evaluator_notes(evaluators),
        evaluator_weights={
            e.name: weights.digests(e.weight_entries) for e in evaluators if e.weight_entries
        },
        world_size=world_size,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        git_commit=provenance.git_commit(),
        packages=provenance.package_versions(),
        hardware=hardware(),
        command=list(sys.argv),
    )


def _declared(evaluators: list[Evaluator]) -> dict[str, DeclaredMetric]:
    return {
        spec.name: DeclaredMetric(spec.higher_is_better, spec.unit, spec.description, e.name)
        for e in evaluators
        for spec in e.metric_specs()
    }


@dataclass(frozen=True)
class _Prepared:
    """A model ready to run (``adapter``), or skipped with ``reason``."""

    choice: ModelChoice
    options: dict[str, Any]
    adapter: ModelAdapter | None = None
    reason: str = ""

    @property
    def key(self) -> str:
        """The model's folder key: its name and configuration (its options when skipped)."""
        if self.adapter is None:
            return identity.model_key(self.choice.name, self.options)
        return identity.model_key(self.adapter.info().name, self.adapter.config())


def _prepare(config: RunConfig, choice: ModelChoice) -> _Prepared:
    """Build and check one model: bad options or a model named by the user that cannot run
    are errors now, before any model has run; a suite's model that cannot run is skipped."""
    options = {**config.suite.model_options.get(choice.name, {}), **choice.options}
    try:
        adapter: ModelAdapter = MODELS.get(choice.name)(**options)
        adapter.check_available()
    except (ModelUnavailable, MissingWeightsError, InputError) as error:
        if config.strict_models:
            raise
        log(f"model {choice.name}: SKIPPED: {error}")
        return _Prepared(choice, options, reason=str(error))
    return _Prepared(choice, options, adapter)


def _run_model(
    config: RunConfig,
    run: RunRecord,
    store: RunStore,
    model: _Prepared,
    evaluators: list[Evaluator],
    skipped: dict[str, str],
    rank: int,
    world_size: int,
) -> ModelRecord:
    """Run one model on this rank's cases; its record."""
    adapter, options, name = model.adapter, model.options, model.choice.name
    if adapter is None:
        record = ModelRecord(name, SKIPPED, options, reason=model.reason)
        if rank == 0:
            store.write_model(model.key, record)
        return record
    info = adapter.info()
    key = model.key
    record = ModelRecord(
        name=info.name,
        status=OK,
        options=options,
        version=info.version,
        device=info.device,
        config=adapter.config(),
        evaluators={e.name: e.identity().text() for e in evaluators},
        skipped_evaluators=skipped,
        metrics=_declared(evaluators),
    )
    if rank == 0:
        store.write_model(key, record)
    digests = {e.name: weights.digests(e.weight_entries) for e in evaluators}
    case_key = partial(identity.case_key, run, record, weights=digests)
    suite_failures = dict(config.suite.failures)
    case_ids = [case.id for case in config.suite.cases] + list(suite_failures)
    cases = {case.id: case for case in config.suite.cases}
    mine = case_ids[rank::world_size]
    for index, case_id in enumerate(mine, start=1):
        prefix = f"{info.name} [{index}/{len(mine)}] {case_id}"
        base = CaseRecord(info.name, key, case_id, "", case_id.split("/", 1)[0], FAILED)
        if case_id in suite_failures:
            _record_failure(store, base, prefix, suite_failures[case_id], case_key)
            continue
        case = cases[case_id]
        try:
            inputs = provenance.case_inputs(case)
        except InputError as error:
            _record_failure(store, base, prefix, str(error), case_key)
            continue
        case_fingerprint = case_key(inputs)
        previous = store.finished(key, case_id, case_fingerprint)
        if previous and not (config.retry_failed and previous.status != OK):
            log(f"{prefix}: done earlier ({previous.status}), skipped")
            continue
        base = replace(base, fingerprint=case_fingerprint, category=case.category, inputs=inputs)
        _run_case(config, store, adapter, evaluators, case, base, prefix)
    return record


def _record_failure(
    store: RunStore, base: CaseRecord, prefix: str, error: str, case_key: Callable[[str], str]
) -> None:
    """A case that could not be read: recorded as failed, keyed by the error (so a fixed input
    is retried)."""
    log(f"{prefix}: FAILED reading the case: {error}")
    store.write_case(replace(base, fingerprint=case_key(error), stage="read", error=error))


def _run_case(
    config: RunConfig,
    store: RunStore,
    adapter: ModelAdapter,
    evaluators: list[Evaluator],
    case: Case,
    base: CaseRecord,
    prefix: str,
) -> None:
    suite = config.suite
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
            seed=config.spec.seed,
        )
        stage = "generate"
        log(f"{prefix}: generating {suite.frames} frames at {width}x{height}")
        with measure() as measured:
            generation = adapter.generate(request)
        timings["generate"] = measured.usage.wall_seconds
        stage = "reference"
        needs_reference = any(e.needs_reference for e in evaluators) and is_synthetic(case)
        inputs = EvalInput.scoring(
            case,
            request.trajectory,
            generation,
            reference=_reference(case, request, generation) if needs_reference else None,
            usage=measured.usage,
        )
    except Exception as error:  # noqa: BLE001 - any failure of one case is recorded, not fatal
        log(f"{prefix}: FAILED at {stage}: {error}")
        store.write_case(replace(base, stage=stage, error=_describe(error), timings=timings))
        return
    try:
        timings["stream"] = _stream(inputs, evaluators)
    except InputError as error:  # the video cannot be read: the case fails, naming the frame
        log(f"{prefix}: FAILED at decode: {error}")
        store.write_case(replace(base, stage="decode", error=str(error), timings=timings))
        return
    metrics: dict[str, float] = {}
    series: dict[str, Any] = {f"model/{k}": v for k, v in generation.series.items()}
    artefacts: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    for evaluator in evaluators:
        start = time.perf_counter()
        try:
            evaluated = evaluator.shared_evaluate(inputs)
        except Exception as error:  # noqa: BLE001 - recorded per evaluator
            errors[evaluator.name] = _describe(error)
            log(f"{prefix}: evaluator {evaluator.name} FAILED: {error}")
            continue
        finally:
            timings[evaluator.name] = time.perf_counter() - start
        metrics.update(evaluated.metrics)
        series.update({f"{evaluator.name}/{k}": v for k, v in evaluated.series.items()})
        artefacts.update(evaluated.artefacts)
    status = PARTIAL if errors else OK
    stages = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in timings.items())
    log(f"{prefix}: {status} ({stages})")
    record = replace(
        base, status=status, errors=errors, metrics=metrics, timings=timings,
        stage="evaluate" if errors else "",
        error="; ".join(f"{name}: {reason}" for name, reason in errors.items()),
        stage_seconds=generation.stage_seconds, generation_info=_recorded_info(generation),
    )  # fmt: skip
    video = generation.video if config.save_videos else None
    try:
        store.write_case(record, series=series, artefacts=artefacts, video=video)
    except OutputError as error:  # the case fails; if even that cannot be written, the run stops
        log(f"{prefix}: FAILED storing the case: {error}")
        store.write_case(replace(base, stage="store", error=str(error), timings=timings))


def _recorded_info(generation: Generation) -> dict[str, Any]:
    """What the case record files of a generation: its info, plus the typed properties that
    changed how it was scored (refinement, poses given with it)."""
    info = {**generation.info, "refined": generation.refined}
    if generation.poses is not None:
        info["poses"] = str(generation.poses.folder)
        info["poses_estimator"] = generation.poses.estimator
    return info


def _stream(inputs: EvalInput, evaluators: list[Evaluator]) -> float:
    """One pass over the video feeding every evaluator's accumulators; its seconds. An
    accumulator that fails leaves its artefact to be recomputed (and its failure recorded) by
    the evaluator that reads it; a video that cannot be decoded is an InputError."""
    start = time.perf_counter()
    accumulators = {key: make for e in evaluators for key, make in e.accumulators(inputs).items()}
    try:
        inputs.prefetch(accumulators)
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - the evaluators recompute and record it
        log(f"streamed pass failed ({_describe(error)}); evaluators compute their own")
    return time.perf_counter() - start


def _reference(case: Case, request: GenerationRequest, generation: Generation) -> FrameSequence:
    """The ground-truth video: the generation itself when the model declares it exact (the
    oracle; a second render would cost as much as the first), else a render of the path."""
    if generation.is_ground_truth:
        return generation.video
    trajectory = request.trajectory
    if trajectory.image_size != generation.video.size:
        trajectory = trajectory.fitted(*generation.video.size)
    return ground_truth_video(case, trajectory, request.fps)


def _describe(error: BaseException) -> str:
    if isinstance(error, WmbenchError):
        return str(error)
    frame = traceback.extract_tb(error.__traceback__)[-1]
    return f"{type(error).__name__}: {error} (at {Path(frame.filename).name}:{frame.lineno})"
