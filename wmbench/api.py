"""The programmatic API: run a suite on models and get a typed result (the role
lm-evaluation-harness's ``simple_evaluate`` plays). The CLI, reference_model's harness,
benchmarks and tests all call :func:`evaluate`.

    from wmbench import api
    result = api.evaluate("smoke", ["oracle", "static"], out="runs/x")
    result.summary.models["oracle"].splits["all"].metrics["rot_err_deg/wmbench"].mean
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from wmbench.core.digest import digest
from wmbench.core.errors import InputError
from wmbench.core.schema import OPTIONS, validate
from wmbench.core.types import Suite
from wmbench.data import suites
from wmbench.data.suite_fields import Registered
from wmbench.data.suites import Overrides
from wmbench.evaluators import EVALUATORS
from wmbench.harness.result import RunResult
from wmbench.harness.runner import RunConfig, run
from wmbench.harness.spec import ModelChoice, RunSpec
from wmbench.models import MODELS
from wmbench.worlds.mirror import ensure_mirror

__all__ = ["ModelChoice", "Overrides", "RunResult", "RunSpec", "evaluate", "load_suite"]


def registered() -> Registered:
    """The model and evaluator names registered now (built-ins and entry points)."""
    return Registered(tuple(MODELS.names()), tuple(EVALUATORS.names()))


def load_suite(name_or_path: str, overrides: Overrides | None = None) -> Suite:
    """:func:`wmbench.data.suites.load_suite` checked against the registered names, with the
    synthetic mirror of :mod:`wmbench.worlds.mirror` as its fallback data."""
    return suites.load_suite(name_or_path, overrides, registered(), ensure_mirror)


def evaluate(
    suite: str | Path | Suite,
    models: Sequence[str | ModelChoice] | None = None,
    *,
    options: Mapping[str, Mapping[str, str]] | None = None,
    selection: Overrides | None = None,
    evaluators: Sequence[str] | None = None,
    out: str | Path | None = None,
    seed: int = 0,
    save_videos: bool = True,
    retry_failed: bool = False,
    new_spec: bool = False,
) -> RunResult:
    """Run ``models`` (default: the suite's) on ``suite`` (a name, a suite file or a loaded
    :class:`Suite`, narrowed by ``selection``) and return the result, as the run wrote it.
    The choices are validated once, here, into the run's :class:`RunSpec`.

    ``options`` gives adapter options per model name (merged over the suite's own); models
    named here, and ``evaluators`` given here, are required: an unavailable one is an error
    rather than a skip. ``out`` (default ``runs/<suite>-<time>``) is resumed when it holds a
    run of the same specification; another specification there is an error unless
    ``new_spec`` (then that folder's tables hold only this specification's cases).
    """
    known = registered()
    loaded = suite if isinstance(suite, Suite) else load_suite(str(suite), selection)
    if evaluators is not None and not evaluators:
        raise InputError("evaluate", "evaluators", "at least one evaluator name", "none")
    choices = [ModelChoice(name=m) if isinstance(m, str) else m for m in models or loaded.models]
    extra = options or {}
    unknown = sorted(set(extra) - {choice.name for choice in choices})
    if unknown:
        raise InputError("options", unknown[0], "options for a model that runs")
    names = list(evaluators) if evaluators is not None else list(loaded.evaluators)
    spec = validate(
        RunSpec,
        {
            "suite": loaded.name,
            "suite_digest": suite_digest(suite, loaded),
            "selection": selection or Overrides(),
            "models": [
                {"name": c.name, "options": {**c.options, **extra.get(c.name, {})}}
                for c in choices
            ],
            "evaluators": names,
            "evaluator_options": {
                name: loaded.evaluator_options[name]
                for name in names
                if name in loaded.evaluator_options
            },
            "seed": seed,
        },
        OPTIONS,
        context=known,
    )  # fmt: skip
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    directory = Path(out) if out is not None else Path("runs") / f"{loaded.name}-{stamp}"
    config = RunConfig(
        spec=spec,
        suite=replace(loaded, evaluators=spec.evaluators),
        out=directory,
        save_videos=save_videos,
        retry_failed=retry_failed,
        strict_models=models is not None,
        strict_evaluators=evaluators is not None,
        new_spec=new_spec,
    )
    return run(config)


def suite_digest(given: str | Path | Suite, loaded: Suite) -> str:
    """The digest of the suite file a run reads (of the loaded suite's settings when it was
    given loaded)."""
    if not isinstance(given, Suite):
        return digest(suites.suite_path(str(given)).read_text(encoding="utf-8"))
    return digest({
        "name": loaded.name, "frames": loaded.frames, "fps": loaded.fps,
        "resolution": list(loaded.resolution), "evaluators": list(loaded.evaluators),
        "models": list(loaded.models), "model_options": loaded.model_options,
        "evaluator_options": loaded.evaluator_options,
    })  # fmt: skip
