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
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wmbench.core.errors import InputError
from wmbench.core.files import read_text
from wmbench.core.paths import data_dir, suites_dir
from wmbench.core.types import Suite
from wmbench.data import sanawm_bench
from wmbench.data.suite_fields import (
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


def read_suite_file(name_or_path: str) -> SuiteFile:
    """Parse ``suites/<name>.yaml`` (or a path to a suite file) and validate every field."""
    path = Path(name_or_path)
    if not path.suffix:
        path = suites_dir() / f"{name_or_path}.yaml"
    if not path.is_file():
        raise InputError(
            path, "suite", f"a suite file; known suites: {', '.join(available_suites())}", "no file"
        )
    try:
        raw = yaml.safe_load(read_text(path, "suite"))
    except yaml.YAMLError as error:
        raise InputError(path, "yaml", "valid YAML", str(error)) from error
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
    model_options = check_options(raw.get("model_options"), path, "model_options")
    return SuiteFile(
        path=path,
        name=typed(raw["name"], str, path, "name"),
        description=typed(raw.get("description", ""), str, path, "description"),
        data=data,
        frames=positive_int(raw["frames"], path, "frames"),
        fps=positive_number(raw["fps"], path, "fps"),
        resolution=parse_resolution(raw["resolution"], str(path)),
        evaluators=check_names(raw["evaluators"], "evaluator", path, "evaluators"),
        models=check_names(raw["models"], "model", path, "models"),
        limit=positive_int(raw["limit"], path, "limit") if "limit" in raw else None,
        model_options=model_options,
        evaluator_options=_evaluator_options(raw, path),
        mirror_settings=_mirror_settings(raw.get("mirror_settings"), path, model_options),
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


def load_suite(name_or_path: str, overrides: Overrides | None = None) -> Suite:
    """The suite's cases and settings, with command-line overrides applied."""
    overrides = overrides or Overrides()
    spec = read_suite_file(name_or_path)
    root, is_mirror = _data_root(spec, overrides.data)
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
    longest = max((len(case.trajectory) for case in selected.cases), default=selected.frames)
    if overrides.frames and overrides.frames > longest:  # the suite's own: a failure per case
        raise InputError(
            "--frames", "frames", f"at most {longest} (the longest camera path of the cases)",
            str(selected.frames),
        )  # fmt: skip
    return selected


def _mirror_settings(raw: Any, path: Path, model_options: dict) -> dict[str, Any]:
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
        settings.get("model_options"), path, "mirror_settings.model_options"
    )
    settings["model_options"] = {
        name: {**model_options.get(name, {}), **mirror_options.get(name, {})}
        for name in {*model_options, *mirror_options}
    }
    return settings


def _data_root(spec: SuiteFile, data: Path | None) -> tuple[Path, bool]:
    """The benchmark folder to read and whether it is the synthetic mirror."""
    if spec.data["layout"] == "synthetic-mirror":
        return ensure_mirror(**spec.data.get("mirror", {})), True
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
    return ensure_mirror(**spec.data.get("mirror", {})), True


def ensure_mirror(scenes_per_category: int = 2, seed: int = 0, plan: str = "one_minute") -> Path:
    """The synthetic mirror for these settings, written once into the cache and reused."""
    name = f"synthetic-mirror-s{scenes_per_category}-seed{seed}"
    root = data_dir() / (name if plan == "one_minute" else f"{name}-{plan}")
    if sanawm_bench.is_synthetic_mirror(root):
        return root
    from wmbench.worlds.mirror import write_mirror

    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=root.name + ".", dir=root.parent))
    try:
        write_mirror(staging, scenes_per_category=scenes_per_category, seed=seed, plan=plan)
        try:
            os.replace(staging, root)
        except OSError:  # another process (a torchrun rank) finished first
            if not sanawm_bench.is_synthetic_mirror(root):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root
