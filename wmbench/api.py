"""The programmatic API: run a suite on models and get a typed result (the role
lm-evaluation-harness's ``simple_evaluate`` plays). The CLI, reference_model's harness,
benchmarks and tests all call :func:`evaluate`.

    from wmbench import api
    result = api.evaluate("smoke", ["oracle", "static"], out="runs/x")
    result.summary.models["oracle"].splits["all"].metrics["rot_err_deg/wmbench"].mean
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pandas as pd

from wmbench.core.errors import InputError
from wmbench.core.types import Suite
from wmbench.data import suites
from wmbench.data.suite_fields import Registered, check_names, check_seed
from wmbench.data.suites import Overrides
from wmbench.evaluators import EVALUATORS
from wmbench.harness.records import FAILED, PARTIAL, RunRecord, Summary
from wmbench.harness.runner import ModelChoice, RunConfig, run
from wmbench.harness.store import RunStore
from wmbench.models import MODELS
from wmbench.worlds.mirror import ensure_mirror

__all__ = ["ModelChoice", "Overrides", "RunResult", "evaluate", "load_suite"]


def registered() -> Registered:
    """The model and evaluator names registered now (built-ins and entry points)."""
    return Registered(tuple(MODELS.names()), tuple(EVALUATORS.names()))


def load_suite(name_or_path: str, overrides: Overrides | None = None) -> Suite:
    """:func:`wmbench.data.suites.load_suite` checked against the registered names, with the
    synthetic mirror of :mod:`wmbench.worlds.mirror` as its fallback data."""
    return suites.load_suite(name_or_path, overrides, registered(), ensure_mirror)


@dataclass(frozen=True)
class RunResult:
    """A finished (or resumed) run: its directory, record, summary and per-case table."""

    out: Path
    run: RunRecord
    summary: Summary
    results: pd.DataFrame

    @property
    def failed_cases(self) -> int:
        """Cases with no result (unreadable input, generation failed, could not be stored)."""
        return self._count(FAILED)

    @property
    def partial_cases(self) -> int:
        """Cases where an evaluator failed (its error is in the case's ``errors``)."""
        return self._count(PARTIAL)

    def _count(self, status: str) -> int:
        if not len(self.results):
            return 0
        return int((self.results["status"] == status).sum())


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
    :class:`Suite`, narrowed by ``selection``) and return the result.

    ``options`` gives adapter options per model name (merged over the suite's own); models
    named here, and ``evaluators`` given here, are required: an unavailable one is an error
    rather than a skip. ``out`` (default ``runs/<suite>-<time>``) is resumed when it holds a
    run of the same specification; another specification there is an error unless
    ``new_spec`` (then that folder's tables hold only this specification's cases).
    """
    check_seed(seed)
    loaded = suite if isinstance(suite, Suite) else load_suite(str(suite), selection)
    if evaluators is not None:
        if not evaluators:
            raise InputError("evaluate", "evaluators", "at least one evaluator name", "none")
        names = check_names(
            list(evaluators), "evaluator", "--evaluators", "evaluators", registered()
        )
        loaded = replace(loaded, evaluators=names)
    choices = [ModelChoice(m) if isinstance(m, str) else m for m in models or loaded.models]
    extra = options or {}
    unknown = sorted(set(extra) - {choice.name for choice in choices})
    if unknown:
        raise InputError("options", unknown[0], "options for a model that runs")
    choices = [replace(c, options={**c.options, **extra.get(c.name, {})}) for c in choices]
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    directory = Path(out) if out is not None else Path("runs") / f"{loaded.name}-{stamp}"
    config = RunConfig(
        suite=loaded,
        models=tuple(choices),
        out=directory,
        seed=seed,
        save_videos=save_videos,
        retry_failed=retry_failed,
        strict_models=models is not None,
        strict_evaluators=evaluators is not None,
        new_spec=new_spec,
    )
    summary = run(config)
    store = RunStore(directory)
    return RunResult(directory, store.run(), summary, store.results())
