"""What a run folder belongs to: one run specification (suite, data, selected cases, generation
settings, models with their options, evaluators with their versions and options).

A rerun into a folder with the same specification resumes it; one with another specification is
refused naming what differs, unless the user asks to replace it (``--new-spec``), and then the
folder's tables hold only the cases of the new specification. A non-empty folder that is not a
wmbench run (no ``run.json``) is never written into.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wmbench.core.errors import InputError
from wmbench.core.types import Suite
from wmbench.harness.records import RunRecord

RUN_FILE = "run.json"
NEW_SPEC_FLAG = "--new-spec"


def run_spec(
    suite: Suite,
    seed: int,
    models: list[tuple[str, str, dict[str, Any]]],
    evaluators: dict[str, str],
) -> dict[str, Any]:
    """The specification of a run: ``models`` as (name, model key, options), ``evaluators`` as
    name -> identity (version and the settings that change its numbers). The data is named by
    its kind (a moved data folder is the same data; changed content recomputes the cases it
    touches through their fingerprints)."""
    return {
        "suite": suite.name,
        "data": suite.data_label.split(" at ", 1)[0],
        "cases": sorted([case.id for case in suite.cases] + [f[0] for f in suite.failures]),
        "frames": suite.frames,
        "fps": suite.fps,
        "resolution": list(suite.resolution),
        "seed": seed,
        "models": [{"name": n, "key": k, "options": o} for n, k, o in models],
        "evaluators": dict(evaluators),
        "evaluator_options": {
            name: suite.evaluator_options[name]
            for name in evaluators
            if name in suite.evaluator_options
        },
    }


def spec_members(spec: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The model keys and case ids a specification covers (what the tables may hold)."""
    return {model["key"] for model in spec.get("models", [])}, set(spec.get("cases", []))


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
    """What differs between two specifications, one short line per field."""
    lines = []
    for key in sorted(set(old) | set(new)):
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


def check_spec(path: Path, previous: dict[str, Any], spec: dict[str, Any], replace: bool) -> bool:
    """Whether the folder's run (whose specification is ``previous``, stored at ``path``) is
    resumed; a different ``spec`` is an InputError naming what differs unless ``replace``."""
    if not previous or previous == spec:
        return True
    if replace:
        return False
    raise InputError(
        path, "run specification",
        f"the specification of the run in this folder (to replace it with this one, pass "
        f"{NEW_SPEC_FLAG}; or choose another --out)",
        "a run that differs in " + "; ".join(differences(previous, spec)),
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
