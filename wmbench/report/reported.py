"""Published results as versioned data files (``reports/reported/<name>.yaml``), loaded and checked.

One file holds what one publication reports, each number with its citation::

    schema: 1
    revision: 3                 # bump whenever a number or a citation changes
    source: {title: ..., arxiv: "2605.15178", published: "2026-05", organisation: NVIDIA,
             url: ...}          # arxiv or url: where the numbers are read
    entries:
      - id: sana_wm.videos_per_hour.1gpu_720p        # unique within the file
        model: SANA-WM                              # as the publication names it
        measured_by: {name: sana-wm, require: {preset: full}}   # optional: the wmbench adapter
                                                    # (and options) whose runs measure the claim
        claim: one line stating what was reported
        metric: videos/hour                         # the publication's name for it
        value: 24.1
        unit: videos/h                              # "" for unitless
        higher_is_better: true
        protocol: how it was measured, as far as the publication says
        setting: length, resolution, benchmark setting
        hardware: 1 GPU                             # optional
        table: Table 2                              # optional: where in the publication
        split: hard_60s                             # optional: the benchmark split (our id)
        estimator: pi3                              # optional: the pose estimator behind it
        frames: every 4th frame ...                 # optional: the frames the publisher scored
        failures: failed scenes skipped             # optional: its failure policy
        beside: videos_per_hour_60s                 # optional: wmbench metric of the same quantity
        needs: what measuring it here takes (weights, data, hardware)

Every error names the file and the field (``entries[3].value``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wmbench.core.errors import InputError
from wmbench.core.files import read_yaml
from wmbench.core.paths import shipped
from wmbench.harness.records import ModelRecord

REPORTED_DIR = shipped("reported")
ALL = "reported"
SCHEMA = 1

_TEXT = (str,)
OPTIONAL_FIELDS = {"hardware", "table", "split", "estimator", "frames", "failures", "beside",
                   "measured_by"}  # fmt: skip
_NUMBER = (int, float)


@dataclass(frozen=True)
class Source:
    """The publication a file's numbers come from."""

    title: str
    arxiv: str = ""
    published: str = ""
    organisation: str = ""
    url: str = ""

    @property
    def where(self) -> str:
        """``arXiv 2605.15178``, else the URL."""
        return f"arXiv {self.arxiv}" if self.arxiv else self.url

    def cite(self, table: str = "") -> str:
        where = f", {table}" if table else ""
        return f"{self.title} ({self.where}{where})"


@dataclass(frozen=True)
class ModelMatch:
    """Which runs measure a claim: a model record named ``name`` whose options and config hold
    every ``require`` key with that value (compared as lower-case text)."""

    name: str
    require: dict[str, str] = field(default_factory=dict)

    def mismatch(self, record: ModelRecord) -> str:
        """Why a run's model record does not qualify ("" when it does)."""
        if record.name != self.name:
            return f"model {record.name!r} is not {self.name!r}"
        settings = {**record.options, **record.config}
        wrong = [
            f"{key}={settings[key]!r} (needs {value!r})"
            if key in settings
            else f"{key} not set (needs {value!r})"
            for key, value in self.require.items()
            if str(settings.get(key)).lower() != str(value).lower()
        ]
        return ", ".join(wrong)


@dataclass(frozen=True)
class ReportedResult:
    """One published number with its citation and protocol."""

    id: str
    model: str
    claim: str
    metric: str
    value: float
    unit: str
    higher_is_better: bool
    protocol: str
    setting: str
    needs: str
    source: Source
    file: Path
    revision: int
    hardware: str = ""
    table: str = ""
    split: str = ""
    estimator: str = ""
    frames: str = ""
    failures: str = ""
    beside: str = ""
    measured_by: ModelMatch | None = None

    @property
    def citation(self) -> str:
        return self.source.cite(self.table)

    @property
    def short_citation(self) -> str:
        return self.source.where + (f", {self.table}" if self.table else "")


@dataclass(frozen=True)
class ReportedFile:
    path: Path
    revision: int
    source: Source
    entries: tuple[ReportedResult, ...]

    @property
    def name(self) -> str:
        return self.path.stem


def available() -> list[str]:
    """Names of the files in the registry."""
    return sorted(path.stem for path in REPORTED_DIR.glob("*.yaml"))


def resolve(specs: list[str]) -> list[ReportedFile]:
    """Load what ``--against`` names: ``reported`` (every registry file), a registry name
    (``sana_wm``), or a path to a file."""
    files: list[ReportedFile] = []
    for spec in specs:
        if spec == ALL:
            files += [load(REPORTED_DIR / f"{name}.yaml") for name in available()]
        elif Path(spec).is_file():
            files.append(load(Path(spec)))
        elif (REPORTED_DIR / f"{spec}.yaml").is_file():
            files.append(load(REPORTED_DIR / f"{spec}.yaml"))
        else:
            known = ", ".join([ALL, *available()])
            raise InputError("--against", "source", f"a file or one of: {known}", repr(spec))
    return files


def load(path: Path) -> ReportedFile:
    """Parse and validate one reported-results file."""
    raw = read_yaml(path, "reported results")
    top = _Fields(path, "", raw, required={"schema", "revision", "source", "entries"})
    if top.get("schema", int) != SCHEMA:
        raise InputError(path, "schema", f"schema {SCHEMA}", repr(raw["schema"]))
    revision = top.get("revision", int)
    source_fields = _Fields(
        path,
        "source",
        top.get("source", dict),
        required={"title"},
        optional={"arxiv", "published", "organisation", "url"},
    )
    if not {"arxiv", "url"} & source_fields.present:
        raise InputError(path, "source.arxiv", "an arXiv id (or source.url)", "neither")
    source = Source(**{key: source_fields.get(key, _TEXT) for key in source_fields.present})
    entries = top.get("entries", list)
    if not entries:
        raise InputError(path, "entries", "at least one entry", "none")
    results = [_entry(path, index, raw, source, revision) for index, raw in enumerate(entries)]
    seen: set[str] = set()
    for index, result in enumerate(results):
        if result.id in seen:
            raise InputError(path, f"entries[{index}].id", "an id unique in the file", result.id)
        seen.add(result.id)
    return ReportedFile(path=path, revision=revision, source=source, entries=tuple(results))


def _entry(path: Path, index: int, raw: Any, source: Source, revision: int) -> ReportedResult:
    required = {"id", "model", "claim", "metric", "value", "unit", "higher_is_better"}
    required |= {"protocol", "setting", "needs"}
    entry = _Fields(
        path,
        f"entries[{index}]",
        raw,
        required=required,
        optional=OPTIONAL_FIELDS,
    )
    value = float(entry.get("value", _NUMBER))
    if not math.isfinite(value):
        raise InputError(path, f"entries[{index}].value", "a finite number", repr(value))
    other = {"value", "measured_by", "higher_is_better"}
    texts = {key: entry.get(key, _TEXT) for key in sorted(entry.present - other)}
    for key, text in texts.items():
        if key != "unit" and not text.strip():
            raise InputError(path, f"entries[{index}].{key}", "non-empty text", "''")
    return ReportedResult(
        **texts,
        value=value,
        higher_is_better=entry.get("higher_is_better", bool),
        measured_by=_match(path, index, entry) if "measured_by" in entry.present else None,
        source=source,
        file=path,
        revision=revision,
    )


def _match(path: Path, index: int, entry: _Fields) -> ModelMatch:
    where = f"entries[{index}].measured_by"
    match = _Fields(path, where, entry.get("measured_by", dict), {"name"}, {"require"})
    require = match.get("require", dict) if "require" in match.present else {}
    return ModelMatch(match.get("name", _TEXT), {str(k): str(v) for k, v in require.items()})


class _Fields:
    """A YAML mapping checked for required and unknown keys; :meth:`get` checks each type."""

    def __init__(
        self, path: Path, where: str, raw: Any, required: set[str], optional: set[str] = frozenset()
    ) -> None:
        self.path, self.where, self.raw = path, where, raw
        if not isinstance(raw, dict):
            raise InputError(path, where or "<top level>", "a mapping", type(raw).__name__)
        for key in sorted(required - set(raw)):
            raise InputError(path, self._name(key), "a value (required field)", "nothing")
        unknown = sorted(set(raw) - required - set(optional))
        if unknown:
            expected = f"only the fields {sorted(required | set(optional))}"
            raise InputError(path, self._name(unknown[0]), expected, "an unknown field")
        self.present = set(raw)

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        value = self.raw[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if wrong_bool or not isinstance(value, kinds):
            expected = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
            raise InputError(self.path, self._name(key), f"a {expected}", repr(value))
        return value


_KIND_NAMES = {
    str: "text",
    int: "whole number",
    float: "number",
    bool: "true/false",
    dict: "mapping",
}
