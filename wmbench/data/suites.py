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
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Strict

from wmbench.core.errors import InputError
from wmbench.core.files import read_yaml
from wmbench.core.paths import data_dir, suites_dir
from wmbench.core.schema import OPTIONS, Expected, Schema, as_tuple, validate
from wmbench.core.types import Suite
from wmbench.data import sanawm_bench
from wmbench.data.suite_fields import (
    EvaluatorNames,
    ModelNames,
    ModelOptions,
    Options,
    Plan,
    PositiveInt,
    PositiveNumber,
    Registered,
    Resolution,
    Seed,
    Text,
)

MIRROR_LABEL = "SYNTHETIC MIRROR (procedural worlds in the SANA-WM-Bench layout, not the real data)"
LAYOUTS = ("sanawm-bench", "synthetic-mirror")
# writes (or finds) the synthetic mirror: (scenes_per_category, seed, plan) -> its folder
Mirror = Callable[..., Path]


def _case_ids(value: Any) -> Any:
    """``--cases``: at least one non-empty case id."""
    value = as_tuple(value)
    if (
        not isinstance(value, tuple)
        or not value
        or not all(isinstance(c, str) and c for c in value)
    ):
        raise Expected("comma-separated case ids")
    return value


class MirrorData(Schema):
    """``data.mirror``: the synthetic mirror's size, seed and plan (each optional)."""

    scenes_per_category: PositiveInt = 2
    seed: Seed = 0
    plan: Plan = "one_minute"


class DataSource(Schema):
    """``data``: the layout, the variable naming a data folder, the mirror's settings."""

    layout: Literal[LAYOUTS]  # type: ignore[valid-type]
    env: Text = ""
    mirror: MirrorData = MirrorData()


class MirrorSettings(Schema):
    """``mirror_settings``: what changes when the suite runs on the synthetic mirror."""

    frames: PositiveInt | None = None
    resolution: Resolution | None = None
    limit: PositiveInt | None = None
    model_options: ModelOptions = {}


class SuiteFields(Schema):
    """What a suite file holds (format in the module docstring)."""

    name: Text
    data: DataSource
    frames: PositiveInt
    fps: PositiveNumber
    resolution: Resolution
    evaluators: EvaluatorNames
    models: ModelNames
    description: Text = ""
    limit: PositiveInt | None = None
    model_options: ModelOptions = {}
    evaluator_options: dict[str, Options] = {}
    mirror_settings: MirrorSettings = MirrorSettings()


class SuiteFile(SuiteFields):
    """A parsed, validated suite file and where it was read."""

    path: Path


class Overrides(Schema):
    """Command-line choices that narrow or change a suite, checked once where they enter (the
    CLI and the API build these; an error names the option)."""

    SOURCE: ClassVar[str] = OPTIONS
    data: Annotated[Path, Strict(False)] | None = None  # a str or a Path
    split: str | None = None
    cases: Annotated[tuple[str, ...], BeforeValidator(_case_ids)] | None = None
    limit: PositiveInt | None = None
    frames: PositiveInt | None = None
    resolution: Resolution | None = None


def available_suites() -> list[str]:
    return sorted(path.stem for path in suites_dir().glob("*.yaml"))


def suite_path(name_or_path: str) -> Path:
    """``suites/<name>.yaml`` for a suite name, else the path given."""
    path = Path(name_or_path)
    return suites_dir() / f"{name_or_path}.yaml" if not path.suffix else path


def read_suite_file(name_or_path: str, registered: Registered | None = None) -> SuiteFile:
    """Parse ``suites/<name>.yaml`` (or a path to a suite file) and validate every field (model
    and evaluator names against ``registered`` when given)."""
    path = suite_path(name_or_path)
    if not path.is_file():
        raise InputError(
            path, "suite", f"a suite file; known suites: {', '.join(available_suites())}", "no file"
        )
    raw = read_yaml(path, "suite")
    if not isinstance(raw, dict):
        raise InputError(path, "<top level>", "a mapping of suite fields", type(raw).__name__)
    fields = validate(SuiteFields, raw, path, context=registered)
    return SuiteFile(**dict(fields), path=path)


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
    splits = sanawm_bench.MIRROR_SPLITS[spec.data.mirror.plan] if is_mirror else None
    cases, failures = sanawm_bench.read_benchmark(root, splits)
    mirror_only = spec.mirror_settings if is_mirror else MirrorSettings()
    model_options = {
        name: {**spec.model_options.get(name, {}), **mirror_only.model_options.get(name, {})}
        for name in {*spec.model_options, *mirror_only.model_options}
    }
    suite = Suite(
        name=spec.name,
        cases=tuple(cases),
        frames=overrides.frames or mirror_only.frames or spec.frames,
        fps=spec.fps,
        resolution=overrides.resolution or mirror_only.resolution or spec.resolution,
        evaluators=spec.evaluators,
        models=spec.models,
        model_options=model_options,
        evaluator_options=spec.evaluator_options,
        description=spec.description,
        data_label=MIRROR_LABEL if is_mirror else f"{sanawm_bench.DATASET_NAME} at {root}",
        failures=tuple(failures),
    )
    limit = overrides.limit or mirror_only.limit or spec.limit
    cases_chosen = list(overrides.cases) if overrides.cases is not None else None
    selected = suite.select(split=overrides.split, case_ids=cases_chosen, limit=limit)
    # --frames is bounded by the data's longest path; a selected case whose own path is shorter
    # fails by itself, naming its camera file (the data is short, not the option wrong)
    longest = max((len(case.trajectory) for case in suite.cases), default=selected.frames)
    if overrides.frames and overrides.frames > longest:  # the suite's own: a failure per case
        raise InputError(
            "--frames", "frames", f"at most {longest} (the longest camera path of the data)",
            str(selected.frames),
        )  # fmt: skip
    return selected


def _data_root(spec: SuiteFile, data: Path | None, mirror: Mirror | None) -> tuple[Path, bool]:
    """The benchmark folder to read and whether it is the synthetic mirror."""
    if spec.data.layout == "synthetic-mirror":
        return _mirror(spec, mirror), True
    if data is not None:
        if not Path(data).is_dir():
            raise InputError(data, "--data", "a folder in the SANA-WM-Bench layout", "no folder")
        return Path(data), sanawm_bench.is_synthetic_mirror(Path(data))
    env = spec.data.env
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
    return mirror(**spec.data.mirror.model_dump())
