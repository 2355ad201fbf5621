"""The evaluators of a run: built from the suite's options, checked for their weights and
packages, and the reason each one that cannot run here is skipped."""

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
    if weights_missing:
        log(
            f"  place those files in the weight store ({weights.store_root()}, set by "
            "$WMBENCH_WEIGHTS), or run `python -m wmbench weights fetch ENTRY` (the file's "
            "folder) on a machine with internet; `python -m wmbench weights list` shows the store"
        )
    return evaluators, skipped, identities


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
