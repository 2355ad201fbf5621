"""``python -m wmbench doctor MODEL``: can this model run here? One line per check."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from wmbench.core.errors import InputError, MissingWeightsError, ModelUnavailable
from wmbench.models.baselines.checks import Check, static_checks

IMPORT_TIMEOUT = 600.0


def doctor(name: str, options: dict[str, Any]) -> list[Check]:
    """The checks for model ``name`` built with ``options``: for a published baseline its
    interpreter, entry point, package import, weights and a dry run; for any other model
    whether it reports itself available."""
    from wmbench.models import MODELS
    from wmbench.models.baselines.base import BaselineModel

    model = MODELS.get(name)(**options)
    if not isinstance(model, BaselineModel):
        try:
            model.check_available()
        except (ModelUnavailable, MissingWeightsError, InputError) as error:
            return [Check("available", False, str(error))]
        return [Check("available", True, model.info().name)]
    checks = static_checks(model)
    interpreter_ok = checks[0].ok and checks[1].ok
    checks.append(
        _import_check(model)
        if interpreter_ok
        else Check("package import", False, "not checked: needs the interpreter and checkout")
    )
    checks.append(_dry_run(model, interpreter_ok))  # fmt: skip
    return checks


def _import_check(model) -> Check:
    from wmbench.models.process import run_program

    python = model.options["python"] or model.interpreter()[0]
    code = f"import torch, {model.ENTRY.package}"
    env = {**os.environ, "PYTHONPATH": str(model.repo.resolve())}
    try:
        run_program([python, "-c", code], model.NAME, IMPORT_TIMEOUT, cwd=model.repo, env=env)
    except InputError as error:
        return Check("package import", False, f"`{code}` failed: {error.found}")
    return Check("package import", True, code)


def _dry_run(model, interpreter_ok: bool) -> Check:
    """Compile a short straight dolly into the model's control, and byte-compile the entry
    point in the model's own interpreter."""
    from wmbench.models.controls.geometry import poses_from
    from wmbench.models.process import run_program

    frames = model.frame_rule(2)
    positions = np.zeros((frames, 3))
    positions[:, 2] = np.linspace(0.0, 1.0, frames)
    c2w = poses_from(np.zeros(frames), np.zeros(frames), positions)
    width, height = model.ENTRY.resolution
    intrinsics = np.tile(np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1.0]]),
                         (frames, 1, 1))  # fmt: skip
    try:
        model.native_control(c2w, intrinsics, "A dry run.")
    except (InputError, ValueError) as error:
        return Check("dry run", False, f"compiling a {frames}-frame path failed: {error}")
    if not interpreter_ok:
        return Check("dry run", False, f"control compiled ({frames} frames); entry point not "
                     "byte-compiled: needs the interpreter and checkout")  # fmt: skip
    python = model.options["python"] or model.interpreter()[0]
    script = Path(model.repo / model.ENTRY.script)
    try:
        run_program([python, "-m", "py_compile", str(script)], model.NAME, IMPORT_TIMEOUT)
    except InputError as error:
        return Check("dry run", False, f"{script} does not compile: {error.found}")
    return Check("dry run", True, f"control compiled ({frames} frames); {script.name} compiles")
