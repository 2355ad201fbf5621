"""What a run folder belongs to: one run specification (:mod:`wmbench.harness.spec`) and what
it resolved to (data, selected cases, generation settings, model keys, evaluator versions); the
one key of a case's result (:func:`case_key`).

A rerun into a folder with the same specification resumes it; one with another specification is
refused naming what differs, unless the user asks to replace it (``--new-spec``), and then the
folder's tables hold only the cases of the new specification. A non-empty folder that is not a
wmbench run (no ``run.json``) is never written into.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from wmbench.core.digest import digest
from wmbench.core.errors import InputError
from wmbench.core.types import Suite
from wmbench.harness.records import ModelRecord, Resolved, ResolvedModel, RunRecord

RUN_FILE = "run.json"
NEW_SPEC_FLAG = "--new-spec"


def resolved(suite: Suite, models: list[ResolvedModel], evaluators: dict[str, str]) -> Resolved:
    """What a specification resolved to: the loaded ``suite``, the models' folder keys and
    the evaluators as name -> identity (version and the settings that change its numbers).
    The data is named by its kind (a moved data folder is the same data; changed content
    recomputes the cases it touches through their case keys)."""
    return Resolved(
        data=suite.data_label.split(" at ", 1)[0],
        cases=sorted([case.id for case in suite.cases] + [f[0] for f in suite.failures]),
        frames=suite.frames,
        fps=suite.fps,
        resolution=list(suite.resolution),
        models=models,
        evaluator_identities=dict(evaluators),
    )


def model_key(name: str, config: dict[str, Any]) -> str:
    """A model's folder key: its name, plus a hash of its configuration when it has one."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    return f"{safe}-{digest(config)[:8]}" if config else safe


def case_key(
    run: RunRecord,
    model: ModelRecord,
    inputs: dict[str, str] | str,
    weights: dict[str, dict[str, str]],
) -> str:
    """The key a case's result is stored under and resumed by: the run's generation settings
    and seed, the ``model``'s configuration and evaluators (their identities and ``weights``
    digests), and the case's ``inputs`` (their digests). For a case that could not be read,
    ``inputs`` is the error, and the key is the run's and the error's (the case is retried once
    its input is fixed)."""
    if isinstance(inputs, str):
        return digest({"suite": run.suite, "error": inputs, "seed": run.spec.seed})
    return digest({
        "suite": run.suite, "frames": run.frames, "resolution": run.resolution,
        "fps": run.fps, "seed": run.spec.seed, "model": model.config,
        "evaluators": model.evaluators, "weights": weights, "inputs": inputs,
    })  # fmt: skip


def members(record: RunRecord) -> tuple[set[str], set[str]]:
    """The model keys and case ids a run covers (what the tables may hold)."""
    return {model.key for model in record.resolved.models}, set(record.resolved.cases)


def check_folder(out: Path) -> None:
    """``out`` may hold a run: it is absent, empty (hidden files aside) or has a ``run.json``."""
    out = Path(out)
    if not out.is_dir() or (out / RUN_FILE).is_file():  # a file: writing run.json names it
        return
    found = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    if found:
        shown = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
        raise InputError(
            out, "--out", "a new or empty folder, or a wmbench run folder (with run.json)",
            f"a folder that is not a wmbench run, holding {shown}",
        )  # fmt: skip


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two specifications, one short line per field (in their order)."""
    lines = []
    for key in dict.fromkeys([*new, *old]):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, list) and isinstance(after, list) and key == "cases":
            gone = sorted(set(before) - set(after))
            added = sorted(set(after) - set(before))
            lines.append(f"cases (-{len(gone)} {_few(gone)}, +{len(added)} {_few(added)})")
        else:
            lines.append(f"{key} ({_short(before)} -> {_short(after)})")
    return lines


def check_spec(path: Path, previous: RunRecord, run: RunRecord, replace: bool) -> bool:
    """Whether the folder's run (``previous``, stored at ``path``) is resumed by ``run``; a
    different specification is an InputError naming what differs unless ``replace``."""
    before, after = previous.compared(), run.compared()
    if before == after:
        return True
    if replace:
        return False
    raise InputError(
        path, "run specification",
        f"the specification of the run in this folder (to replace it with this one, pass "
        f"{NEW_SPEC_FLAG}; or choose another --out)",
        "a run that differs in " + "; ".join(differences(before, after)),
    )  # fmt: skip


def comparable_settings(record: RunRecord) -> dict[str, Any]:
    """What two runs must share for their numbers to be compared: the suite, the data, and the
    generation settings (frames, rate, resolution)."""
    return {
        "suite": record.suite,
        "data": record.data.split(" at ", 1)[0],
        "frames": record.frames,
        "fps": record.fps,
        "resolution": list(record.resolution),
    }


def check_comparable(runs: list[tuple[str, RunRecord]], flag: str) -> None:
    """An InputError naming the first run whose suite, data or settings differ from the first
    one's (numbers of different settings are not comparable), unless ``flag`` was given."""
    (first, reference), *others = runs
    for where, record in others:
        lines = differences(comparable_settings(reference), comparable_settings(record))
        if lines:
            raise InputError(
                where, "run settings",
                f"the suite, data, frames, fps and resolution of {first} (or {flag} to compare "
                "runs of different settings anyway)",
                "; ".join(lines),
            )  # fmt: skip


def _few(items: list[str]) -> str:
    return "[" + ", ".join(items[:3]) + (", ..." if len(items) > 3 else "") + "]"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
