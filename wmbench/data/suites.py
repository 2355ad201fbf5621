"""Suite files (``suites/<name>.yaml``) and the data they point at.

A suite file declares its data source, generation settings, evaluators and models::

    name: one_minute
    data: {layout: sanawm-bench | synthetic-mirror, env: VAR, mirror: {scenes_per_category, seed}}
    frames: 961          fps: 16          resolution: 1280x704
    limit: 1             # optional: at most this many cases per split
    evaluators: [throughput, ...]
    models: [static, ...]
    model_options: {sana-wm: {preset: tiny}}
    evaluator_options: {camera: {estimator: file, poses: DIR}}   # keyword options per evaluator
    mirror_settings: {frames: 161, resolution: 320x176, limit: 2,     # used on the mirror only
                      model_options: {sana-wm: {preset: tiny}}}

Real SANA-WM-Bench data is found through ``--data DIR``, the variable named by ``env``, or
``<cache>/data/SANA-WM-Bench`` (where ``wmbench data fetch`` puts it). Without it the suite falls
back to the synthetic mirror and says so.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wmbench.core.errors import InputError
from wmbench.core.files import read_yaml
from wmbench.core.paths import data_dir, suites_dir
from wmbench.core.types import Suite
from wmbench.data import sanawm_bench
from wmbench.data.suite_fields import (
    Registered,
    check_data,
    check_names,
    check_options,
    mapping,
    parse_resolution,
    positive_int,
    positive_number,
    typed,
)

MIRROR_LABEL = "SYNTHETIC MIRROR (procedural worlds in the SANA-WM-Bench layout, not the real data)"
LAYOUTS = ("sanawm-bench", "synthetic-mirror")
# writes (or finds) the synthetic mirror: (scenes_per_category, seed) -> its folder
Mirror = Callable[..., Path]


@dataclass(frozen=True)
class SuiteFile:
    """A parsed, validated suite file."""

    path: Path
    name: str
    data: dict[str, Any]
    frames: int
    fps: float
    resolution: tuple[int, int]
    evaluators: tuple[str, ...]
    models: tuple[str, ...]
    description: str = ""
    limit: int | None = None
    model_options: dict[str, dict[str, str]] = field(default_factory=dict)
    evaluator_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    mirror_settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Overrides:
    """Command-line choices that narrow or change a suite."""

    data: Path | None = None
    split: str | None = None
    cases: list[str] | None = None
    limit: int | None = None
    frames: int | None = None
    resolution: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        """Every choice checked once, here, where it enters (the CLI and the API build these)."""
        for name in ("limit", "frames"):
            value = getattr(self, name)
            if value is not None:
                positive_int(value, f"--{name}", name)
        if self.resolution is not None:
            parse_resolution("x".join(map(str, self.resolution)))
        if self.cases is not None and (
            not self.cases or not all(isinstance(c, str) and c for c in self.cases)
        ):
            raise InputError("--cases", "cases", "comma-separated case ids", repr(self.cases))


def available_suites() -> list[str]:
    return sorted(path.stem for path in suites_dir().glob("*.yaml"))


def read_suite_file(name_or_path: str, registered: Registered | None = None) -> SuiteFile:
    """Parse ``suites/<name>.yaml`` (or a path to a suite file) and validate every field (model
    and evaluator names against ``registered`` when given)."""
    path = Path(name_or_path)
    if not path.suffix:
        path = suites_dir() / f"{name_or_path}.yaml"
    if not path.is_file():
        raise InputError(
            path, "suite", f"a suite file; known suites: {', '.join(available_suites())}", "no file"
        )
    raw = read_yaml(path, "suite")
    if not isinstance(raw, dict):
        raise InputError(path, "<top level>", "a mapping of suite fields", type(raw).__name__)
    known = {f for f in SuiteFile.__dataclass_fields__ if f != "path"}
    unknown = set(raw) - known
    if unknown:
        raise InputError(path, ", ".join(sorted(unknown)), f"only the fields {sorted(known)}")
    for key in ("name", "data", "frames", "fps", "resolution", "evaluators", "models"):
        if key not in raw:
            raise InputError(path, key, "a value (required field)", "nothing")
    data = check_data(raw["data"], path)
    if data.get("layout") not in LAYOUTS:
        raise InputError(path, "data.layout", f"one of {LAYOUTS}", repr(data.get("layout")))
    model_options = check_options(raw.get("model_options"), path, "model_options", registered)
    return SuiteFile(
        path=path,
        name=typed(raw["name"], str, path, "name"),
        description=typed(raw.get("description", ""), str, path, "description"),
        data=data,
        frames=positive_int(raw["frames"], path, "frames"),
        fps=positive_number(raw["fps"], path, "fps"),
        resolution=parse_resolution(raw["resolution"], str(path)),
        evaluators=check_names(raw["evaluators"], "evaluator", path, "evaluators", registered),
        models=check_names(raw["models"], "model", path, "models", registered),
        limit=positive_int(raw["limit"], path, "limit") if "limit" in raw else None,
        model_options=model_options,
        evaluator_options=_evaluator_options(raw, path),
        mirror_settings=_mirror_settings(
            raw.get("mirror_settings"), path, model_options, registered
        ),
    )


def _evaluator_options(raw: dict, path: Path) -> dict[str, dict[str, Any]]:
    """``evaluator_options``: evaluator name -> its keyword options (a mapping each)."""
    options = raw.get("evaluator_options") or {}
    if not isinstance(options, dict):
        raise InputError(path, "evaluator_options", "a mapping of evaluator -> options")
    for name, value in options.items():
        if not isinstance(value, dict):
            raise InputError(path, f"evaluator_options.{name}", "a mapping of options", repr(value))
    return options


def load_suite(
    name_or_path: str,
    overrides: Overrides | None = None,
    registered: Registered | None = None,
    mirror: Mirror | None = None,
) -> Suite:
    """The suite's cases and settings, with command-line overrides applied. ``registered`` names
    the models and evaluators it may use; ``mirror`` writes (or finds) the synthetic mirror
    when the suite falls back to it (``wmbench.api.load_suite`` passes both)."""
    overrides = overrides or Overrides()
    spec = read_suite_file(name_or_path, registered)
    root, is_mirror = _data_root(spec, overrides.data, mirror)
    plan = spec.data.get("mirror", {}).get("plan", "one_minute")
    splits = sanawm_bench.MIRROR_SPLITS[plan] if is_mirror else None
    cases, failures = sanawm_bench.read_benchmark(root, splits)
    settings = {
        "frames": spec.frames,
        "resolution": spec.resolution,
        "limit": spec.limit,
        "model_options": spec.model_options,
    }
    if is_mirror:
        settings.update(spec.mirror_settings)
    suite = Suite(
        name=spec.name,
        cases=tuple(cases),
        frames=overrides.frames or settings["frames"],
        fps=spec.fps,
        resolution=overrides.resolution or settings["resolution"],
        evaluators=spec.evaluators,
        models=spec.models,
        model_options=settings["model_options"],
        evaluator_options=spec.evaluator_options,
        description=spec.description,
        data_label=MIRROR_LABEL if is_mirror else f"{sanawm_bench.DATASET_NAME} at {root}",
        failures=tuple(failures),
    )
    limit = overrides.limit or settings["limit"]
    selected = suite.select(split=overrides.split, case_ids=overrides.cases, limit=limit)
    # --frames is bounded by the data's longest path; a selected case whose own path is shorter
    # fails by itself, naming its camera file (the data is short, not the option wrong)
    longest = max((len(case.trajectory) for case in suite.cases), default=selected.frames)
    if overrides.frames and overrides.frames > longest:  # the suite's own: a failure per case
        raise InputError(
            "--frames", "frames", f"at most {longest} (the longest camera path of the data)",
            str(selected.frames),
        )  # fmt: skip
    return selected


def _mirror_settings(
    raw: Any, path: Path, model_options: dict, registered: Registered | None
) -> dict[str, Any]:
    """The suite's ``mirror_settings``, validated; model options merge into the suite's own."""
    settings = dict(mapping(raw if raw is not None else {}, path, "mirror_settings"))
    known = {"frames", "resolution", "limit", "model_options"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise InputError(path, f"mirror_settings.{unknown[0]}", f"one of {sorted(known)}")
    for name in ("frames", "limit"):
        if name in settings:
            positive_int(settings[name], path, f"mirror_settings.{name}")
    if "resolution" in settings:
        settings["resolution"] = parse_resolution(
            settings["resolution"], str(path), "mirror_settings.resolution"
        )
    mirror_options = check_options(
        settings.get("model_options"), path, "mirror_settings.model_options", registered
    )
    settings["model_options"] = {
        name: {**model_options.get(name, {}), **mirror_options.get(name, {})}
        for name in {*model_options, *mirror_options}
    }
    return settings


def _data_root(spec: SuiteFile, data: Path | None, mirror: Mirror | None) -> tuple[Path, bool]:
    """The benchmark folder to read and whether it is the synthetic mirror."""
    if spec.data["layout"] == "synthetic-mirror":
        return _mirror(spec, mirror), True
    if data is not None:
        if not Path(data).is_dir():
            raise InputError(data, "--data", "a folder in the SANA-WM-Bench layout", "no folder")
        return Path(data), sanawm_bench.is_synthetic_mirror(Path(data))
    env = spec.data.get("env")
    if env and os.environ.get(env):
        root = Path(os.environ[env])
        if not root.is_dir():
            raise InputError(f"${env}", env, "a folder in the SANA-WM-Bench layout", str(root))
        return root, sanawm_bench.is_synthetic_mirror(root)
    fetched = data_dir() / "SANA-WM-Bench"
    if fetched.is_dir():
        return fetched, False
    print(
        f"[wmbench] SANA-WM-Bench data not found (--data DIR, ${env}, or {fetched}).\n"
        f"[wmbench] Get it with `python -m wmbench data fetch` on a machine with internet access\n"
        f"[wmbench] (dataset {sanawm_bench.DATASET_NAME} on the Hugging Face Hub).\n"
        f"[wmbench] Falling back to the {MIRROR_LABEL}.",
        file=sys.stderr,
    )
    return _mirror(spec, mirror), True


def _mirror(spec: SuiteFile, mirror: Mirror | None) -> Path:
    if mirror is None:
        raise TypeError(f"suite {spec.name} needs the synthetic mirror: pass load_suite a mirror")
    return mirror(**spec.data.get("mirror", {}))
