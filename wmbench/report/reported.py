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
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from wmbench.core.errors import InputError
from wmbench.core.files import read_yaml
from wmbench.core.paths import shipped
from wmbench.core.schema import Expected, Schema, rule, validate
from wmbench.harness.records import ModelRecord

REPORTED_DIR = shipped("reported")
ALL = "reported"
SCHEMA = 1

Text = rule(str, "a text", lambda v: isinstance(v, str))
Filled = rule(str, "non-empty text", lambda v: isinstance(v, str) and bool(v.strip()))
Number = rule(
    float,
    "a finite number",
    lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
)
Whole = rule(int, "a whole number", lambda v: isinstance(v, int) and not isinstance(v, bool))
Flag = rule(bool, "a true/false", lambda v: isinstance(v, bool))


def _as_text(value: Any) -> Any:
    """``require`` values compared as text (``{steps: 4}`` requires ``"4"``)."""
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else value


class Source(Schema):
    """The publication a file's numbers come from."""

    title: Text
    arxiv: Text = ""
    published: Text = ""
    organisation: Text = ""
    url: Text = ""

    @model_validator(mode="after")
    def _located(self) -> Source:
        if not (self.arxiv or self.url):
            raise Expected("an arXiv id (or source.url)", field="arxiv", found="neither")
        return self

    @property
    def where(self) -> str:
        """``arXiv 2605.15178``, else the URL."""
        return f"arXiv {self.arxiv}" if self.arxiv else self.url

    def cite(self, table: str = "") -> str:
        where = f", {table}" if table else ""
        return f"{self.title} ({self.where}{where})"


class ModelMatch(Schema):
    """Which runs measure a claim: a model record named ``name`` whose options and config hold
    every ``require`` key with that value (compared as lower-case text)."""

    name: Text
    require: Annotated[dict[str, str], BeforeValidator(_as_text)] = {}

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


class Entry(Schema):
    """One entry of a file, as written (see the module docstring)."""

    id: Filled
    model: Filled
    claim: Filled
    metric: Filled
    value: Number
    unit: Text
    higher_is_better: Flag
    protocol: Filled
    setting: Filled
    needs: Filled
    hardware: Filled = ""
    table: Filled = ""
    split: Filled = ""
    estimator: Filled = ""
    frames: Filled = ""
    failures: Filled = ""
    beside: Filled = ""
    measured_by: ModelMatch | None = None


class ReportedResult(Entry):
    """One published number with its citation and protocol."""

    source: Source
    file: Path
    revision: int

    @property
    def citation(self) -> str:
        return self.source.cite(self.table)

    @property
    def short_citation(self) -> str:
        return self.source.where + (f", {self.table}" if self.table else "")


class ReportedFileSchema(Schema):
    """A reported-results file, as written: ``schema`` (the format's version), ``revision``,
    ``source`` and at least one entry, ids unique."""

    version: rule(int, f"schema {SCHEMA}", lambda v: v == SCHEMA and v is not True) = Field(
        alias="schema"
    )
    revision: Whole
    source: Source
    entries: rule(list[Entry], "a list of at least one entry", lambda v: bool(v))

    @model_validator(mode="after")
    def _unique_ids(self) -> ReportedFileSchema:
        seen: set[str] = set()
        for index, entry in enumerate(self.entries):
            if entry.id in seen:
                raise Expected("an id unique in the file", field=f"entries[{index}].id",
                               found=entry.id)  # fmt: skip
            seen.add(entry.id)
        return self


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
    parsed = validate(ReportedFileSchema, read_yaml(path, "reported results"), path)
    given = [
        {name: getattr(entry, name) for name in entry.model_fields_set} for entry in parsed.entries
    ]
    results = tuple(
        ReportedResult(**fields, source=parsed.source, file=Path(path), revision=parsed.revision)
        for fields in given
    )
    return ReportedFile(Path(path), parsed.revision, parsed.source, results)
