"""The evaluators of a run: built from the suite's options, checked for their weights and
packages, the reason each one that cannot run here is skipped, and the order they run in (each
after the evaluators it requires)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wmbench.core import weights
from wmbench.core.errors import InputError, MissingPackage, MissingWeightsError
from wmbench.core.types import Suite
from wmbench.evaluators import EVALUATORS, Evaluator


def ready_evaluators(
    suite: Suite, strict: bool, log: Callable[[str], None]
) -> tuple[list[Evaluator], dict[str, str], dict[str, str]]:
    """The ``suite``'s evaluators that can run here (``strict``: a missing one raises), the
    skipped ones with the reason (the weight files to place, the extra to install), logged once
    per run with ``log``, and the identity of each (run or skipped)."""
    evaluators, skipped, identities, weights_missing = [], {}, {}, False
    for name in suite.evaluators:
        identities[name] = f"{name} (package missing)"
        try:
            evaluator = build_evaluator(name, suite.evaluator_options.get(name, {}))
            identities[name] = evaluator.identity().text()
            evaluator.check_available()
        except (MissingWeightsError, MissingPackage) as error:
            if strict:
                raise
            weights_missing |= isinstance(error, MissingWeightsError)
            skipped[name] = (
                _missing_weights(error) if isinstance(error, MissingWeightsError) else str(error)
            )
            log(f"evaluator {name}: SKIPPED, {skipped[name]}")
            continue
        evaluators.append(evaluator)
        for line in evaluator.limitations():
            log(f"evaluator {name}: {line}")
    evaluators = in_dependency_order(evaluators, f"suite '{suite.name}'")
    if weights_missing:
        log(
            f"  place those files in the weight store ({weights.store_root()}, set by "
            "$WMBENCH_WEIGHTS), or run `python -m wmbench weights fetch ENTRY` (the file's "
            "folder) on a machine with internet; `python -m wmbench weights list` shows the store"
        )
    return evaluators, skipped, identities


def in_dependency_order(evaluators: list[Evaluator], where: str) -> list[Evaluator]:
    """``evaluators`` (in the suite's order) ordered so that each runs after those among them
    it ``requires``, else in the suite's order; an InputError naming ``where``'s
    ``evaluators`` when a requirement is no registered evaluator or requirements form a cycle."""
    registered = set(EVALUATORS.names())
    for evaluator in evaluators:
        unknown = [name for name in evaluator.requires if name not in registered]
        if unknown:
            raise InputError(where, "evaluators",
                             f"'{evaluator.name}' to require registered evaluators",
                             f"{', '.join(unknown)} (not registered)")  # fmt: skip
    listed = {evaluator.name for evaluator in evaluators}
    waiting, ordered, placed = list(evaluators), [], set()
    while waiting:
        ready = [e for e in waiting if all(r in placed or r not in listed for r in e.requires)]
        if not ready:
            cycle = "; ".join(
                f"{e.name} requires {', '.join(r for r in e.requires if r not in placed)}"
                for e in waiting
            )
            raise InputError(where, "evaluators", "requirements without a cycle", cycle)
        ordered.append(ready[0])
        placed.add(ready[0].name)
        waiting.remove(ready[0])
    return ordered


def build_evaluator(name: str, options: dict[str, Any]) -> Evaluator:
    """The evaluator ``name`` with the suite's ``evaluator_options`` for it."""
    try:
        return EVALUATORS.get(name)(**options)
    except ModuleNotFoundError as error:  # an optional package (never one of ours: a bug)
        if (error.name or "").partition(".")[0] in ("wmbench", "pose_pipeline", "reference_model"):
            raise
        raise MissingPackage(error.name or "?", "evaluators", f"evaluator '{name}'") from error
    except TypeError as error:
        raise InputError(
            f"evaluator '{name}'", "evaluator_options", "the options it takes", str(error)
        ) from error


def _missing_weights(error: MissingWeightsError) -> str:
    """The reason an evaluator is skipped: the exact files missing (the error's text when it
    names none)."""
    if not error.missing:
        return str(error)
    return "weights missing: " + ", ".join(str(path) for path in error.missing)
