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
from wmbench.core.paths import data_dir, suites_dir
from wmbench.core.types import Suite
from wmbench.data import sanawm_bench

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


def parse_resolution(text: str, source: str = "--resolution", field_name: str = "resolution"):
    """``"1280x704"`` -> (1280, 704)."""
    try:
        width, height = (int(part) for part in str(text).lower().split("x"))
    except ValueError as error:
        raise InputError(source, field_name, "WIDTHxHEIGHT, e.g. 1280x704", repr(text)) from error
    if width <= 0 or height <= 0:
        raise InputError(source, field_name, "positive WIDTHxHEIGHT", repr(text))
    return width, height


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
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise InputError(path, "yaml", "valid YAML", str(error)) from error
    if not isinstance(raw, dict):
        raise InputError(path, "<top level>", "a mapping of suite fields")
    known = {f for f in SuiteFile.__dataclass_fields__ if f != "path"}
    unknown = set(raw) - known
    if unknown:
        raise InputError(path, ", ".join(sorted(unknown)), f"only the fields {sorted(known)}")
    for key in ("name", "data", "frames", "fps", "resolution", "evaluators", "models"):
        if key not in raw:
            raise InputError(path, key, "a value (required field)", "nothing")
    data = raw["data"]
    if not isinstance(data, dict) or data.get("layout") not in LAYOUTS:
        raise InputError(path, "data.layout", f"one of {LAYOUTS}", repr(data))
    return SuiteFile(
        path=path,
        name=_typed(raw, "name", str, path),
        description=raw.get("description", ""),
        data=data,
        frames=_positive_int(raw, "frames", path),
        fps=float(_typed(raw, "fps", (int, float), path)),
        resolution=parse_resolution(raw["resolution"], str(path)),
        evaluators=tuple(_typed(raw, "evaluators", list, path)),
        models=tuple(_typed(raw, "models", list, path)),
        limit=_positive_int(raw, "limit", path) if "limit" in raw else None,
        model_options=raw.get("model_options") or {},
        evaluator_options=_evaluator_options(raw, path),
        mirror_settings=raw.get("mirror_settings") or {},
    )


def _typed(raw: dict, key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    value = raw[key]
    if not isinstance(value, kind):
        expected = (
            kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        )
        raise InputError(path, key, f"a {expected}", repr(value))
    return value


def _evaluator_options(raw: dict, path: Path) -> dict[str, dict[str, Any]]:
    """``evaluator_options``: evaluator name -> its keyword options (a mapping each)."""
    options = raw.get("evaluator_options") or {}
    if not isinstance(options, dict):
        raise InputError(path, "evaluator_options", "a mapping of evaluator -> options")
    for name, value in options.items():
        if not isinstance(value, dict):
            raise InputError(path, f"evaluator_options.{name}", "a mapping of options", repr(value))
    return options


def _positive_int(raw: dict, key: str, path: Path) -> int:
    value = raw[key]
    if not isinstance(value, int) or value <= 0:
        raise InputError(path, key, "a positive integer", repr(value))
    return value


def load_suite(name_or_path: str, overrides: Overrides | None = None) -> Suite:
    """The suite's cases and settings, with command-line overrides applied."""
    overrides = overrides or Overrides()
    spec = read_suite_file(name_or_path)
    root, is_mirror = _data_root(spec, overrides.data)
    cases, failures = sanawm_bench.read_benchmark(root)
    settings = {
        "frames": spec.frames,
        "resolution": spec.resolution,
        "limit": spec.limit,
        "model_options": spec.model_options,
    }
    if is_mirror:
        settings.update(_mirror_settings(spec))
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
    return suite.select(split=overrides.split, case_ids=overrides.cases, limit=limit)


def _mirror_settings(spec: SuiteFile) -> dict[str, Any]:
    """The suite's ``mirror_settings``, validated; model options merge into the suite's own."""
    known = {"frames", "resolution", "limit", "model_options"}
    unknown = sorted(set(spec.mirror_settings) - known)
    if unknown:
        raise InputError(spec.path, f"mirror_settings.{unknown[0]}", f"one of {sorted(known)}")
    settings = dict(spec.mirror_settings)
    if "resolution" in settings:
        settings["resolution"] = parse_resolution(
            settings["resolution"], str(spec.path), "mirror_settings.resolution"
        )
    mirror_options = settings.get("model_options", {})
    settings["model_options"] = {
        name: {**spec.model_options.get(name, {}), **mirror_options.get(name, {})}
        for name in {*spec.model_options, *mirror_options}
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
        return Path(os.environ[env]), sanawm_bench.is_synthetic_mirror(Path(os.environ[env]))
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


def ensure_mirror(scenes_per_category: int = 2, seed: int = 0) -> Path:
    """The synthetic mirror for these settings, written once into the cache and reused."""
    root = data_dir() / f"synthetic-mirror-s{scenes_per_category}-seed{seed}"
    if sanawm_bench.is_synthetic_mirror(root):
        return root
    from wmbench.worlds.mirror import write_mirror

    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=root.name + ".", dir=root.parent))
    try:
        write_mirror(staging, scenes_per_category=scenes_per_category, seed=seed)
        try:
            os.replace(staging, root)
        except OSError:  # another process (a torchrun rank) finished first
            if not sanawm_bench.is_synthetic_mirror(root):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root
