"""Proof that the persistence metrics notice the defects they name, and not others.

Oracle clips of synthetic rooms along an out-and-back path (every place is seen twice) get the
world defects of :mod:`wmbench.worlds.defects` (an object moved, removed or reshaped while out
of view, its surfaces turning over time, its texture swapped on return) at rising strength, and
a defect none of the metrics names (blur of the whole clip, :func:`wmbench.studies.degrade.blur`).
Every version is annotated afresh (the ``pycolmap`` annotator with ``STUDY_CONFIG``, exact
depth for metric scale) and scored by the ``persistence`` and ``permanence`` evaluators. Per
metric and defect: the Spearman correlation of strength and metric oriented so that +1 means
"worse at every step" (:func:`wmbench.studies.validate_quality.correlations`), the oriented
change at the strongest level, and the oracle's value (strength 0, the floor).

    python -m wmbench.studies.validate_persistence --out reports/persistence_validation.md
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pose_pipeline import AnnotatorConfig
from wmbench.evaluators.base import Evaluator
from wmbench.evaluators.permanence import Permanence
from wmbench.evaluators.persistence import Persistence
from wmbench.studies import degrade
from wmbench.studies.quality_defects import PASS_RHO
from wmbench.studies.validate_quality import correlations, eval_input, score
from wmbench.worlds.defects import UNITS, hidden_frame, pick_object, render_defect
from wmbench.worlds.layout import make_world
from wmbench.worlds.scene import World
from wmbench.worlds.trajectories import make_trajectory

# Small and quick: 1024 SIFT features at the clip's own size, 4 overlapping keyframes.
STUDY_CONFIG = AnnotatorConfig(max_features=1024, overlap=4, upsample_below=0, loop_closure=False)
GEOMETRY = ("revisit_match_agreement", "revisit_reproj_err_px")
LOOP = ("revisit_loop_residual_deg", "revisit_loop_residual_m")
PERMANENCE = ("permanence_changed_fraction", "permanence_dissimilarity", "permanence_worst_region")
FOOLED_SHARE = 0.25  # an unnamed defect fools a metric that it moves by this share of its own


@dataclass(frozen=True)
class StudyDefect:
    """A defect at rising ``levels`` and the metrics it must move (none: a control)."""

    name: str
    unit: str
    levels: tuple[float, ...]
    targets: tuple[str, ...]


DEFECTS = (
    StudyDefect("object_moved", UNITS["object_moved"], (0, 0.1, 0.2, 0.4),
                (*GEOMETRY, *PERMANENCE)),
    StudyDefect("object_removed", UNITS["object_removed"], (0, 0.33, 0.67, 1.0), PERMANENCE),
    StudyDefect("object_reshaped", UNITS["object_reshaped"], (0, 0.25, 0.5, 1.0),
                (*GEOMETRY, *PERMANENCE)),
    StudyDefect("surface_bend", UNITS["surface_bend"], (0, 8, 16, 32), (*GEOMETRY, *LOOP)),
    StudyDefect("texture_swap", UNITS["texture_swap"], (0, 0.33, 0.67, 1.0), PERMANENCE),
    StudyDefect("blur", "sigma px", (0, 1, 2, 3), ()),
)  # fmt: skip


@dataclass(frozen=True)
class StudyClip:
    """A world, its out-and-back path, the clean render and the object the defects change."""

    name: str
    world: World
    path: object
    clean: tuple[np.ndarray, np.ndarray]
    target: int


def study_clip(seed: int, num_frames: int, size: tuple[int, int]) -> StudyClip:
    world = make_world(seed, kind="room")
    path = make_trajectory(world, "return", num_frames, 16.0, seed, *size, variant="out_and_back")
    clean = world.render_trajectory(path, *size)
    return StudyClip(f"room{seed}_out_and_back", world, path, clean, pick_object(world, path))


def defect_video(clip: StudyClip, defect: str, level: float) -> tuple[np.ndarray, np.ndarray]:
    if defect == "blur":
        return degrade.blur(clip.clean[0], level), clip.clean[1]
    return render_defect(clip.world, clip.path, clip.clean, defect, level, clip.target)


def measure(
    clips: list[StudyClip], evaluators: list[Evaluator], progress: Callable[[str], None] = print
) -> pd.DataFrame:
    """Metric values on every clip x defect x level (the clean clip scored once per clip)."""
    rows = []
    for clip in clips:
        clean = score(eval_input(clip.clean[0], clip.path, clip.clean[1]), evaluators)
        for defect in DEFECTS:
            for level in defect.levels:
                start = time.perf_counter()
                if level == 0:
                    metrics = clean
                else:
                    frames, depth = defect_video(clip, defect.name, level)
                    metrics = score(eval_input(frames, clip.path, depth), evaluators)
                rows += [(clip.name, defect.name, level, m, v) for m, v in metrics.items()]
                progress(
                    f"{clip.name} {defect.name} {level:g}: {time.perf_counter() - start:.0f} s"
                )
    return pd.DataFrame(rows, columns=["clip", "defect", "severity", "metric", "value"])


def finite_change(values: pd.DataFrame, evaluators: list[Evaluator]) -> pd.Series:
    """Per clip, defect and metric: the oriented relative change (%, + = worse) from level 0
    to the strongest level with a finite value (a blurred clip the annotator cannot
    reconstruct has none)."""
    higher = {s.name: s.higher_is_better for e in evaluators for s in e.metric_specs()}
    changes = {}
    for (clip, defect, metric), part in values.groupby(["clip", "defect", "metric"], sort=False):
        y = part.sort_values("severity")["value"].to_numpy(dtype=float)
        finite = y[np.isfinite(y)]
        sign = -1.0 if higher[metric] else 1.0
        usable = np.isfinite(y[0]) and y[0] != 0 and len(finite) > 1
        changes[(clip, defect, metric)] = (
            sign * 100.0 * (finite[-1] - y[0]) / abs(y[0]) if usable else np.nan
        )
    return pd.Series(changes)


def verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """Per metric and defect: mean rho and change over clips, the oracle's value, whether the
    defect is the metric's own, and the verdict: own defects need rho >= PASS_RHO; the control
    (and any defect not named) fools a metric when rho >= PASS_RHO and it moves the metric by
    FOOLED_SHARE of its smallest own change."""
    mean = table.groupby(["defect", "metric"], sort=False)[["rho", "change_pct", "clean"]].mean()
    mean = mean.reset_index()
    own = {(d.name, m) for d in DEFECTS for m in d.targets}
    mean["own"] = [(d, m) in own for d, m in zip(mean["defect"], mean["metric"], strict=True)]
    smallest = mean[mean["own"]].groupby("metric")["change_pct"].min()
    verdict = []
    for row in mean.itertuples():
        if row.own:
            verdict.append("PASS" if row.rho >= PASS_RHO else "FAIL")
            continue
        moved = row.change_pct >= FOOLED_SHARE * smallest.get(row.metric, np.inf)
        verdict.append("fooled" if row.rho >= PASS_RHO and moved else "not fooled")
    mean["verdict"] = verdict
    return mean


def report(summary: pd.DataFrame, setup: str, command: str, seconds: float) -> str:
    lines = ["# Persistence metrics against world defects", "", f"Made by `{command}` "
             f"({seconds / 60:.1f} min, load average {os.getloadavg()[0]:.1f} at the end).", "",
             setup, "", "Defects and levels:", ""]  # fmt: skip
    for d in DEFECTS:
        own = ", ".join(f"`{m}`" for m in d.targets) or "none (a control)"
        lines.append(
            f"- `{d.name}` ({d.unit}): {', '.join(f'{v:g}' for v in d.levels)}; own: {own}"
        )
    lines += ["", f"rho: Spearman correlation of level and metric, +1 = worse at every step "
              f"(mean over clips); an own defect passes at rho >= {PASS_RHO}. change: oriented "
              "relative change at the strongest level with a value (+ = worse). oracle: the "
              f"value at level 0 (the floor). A defect a metric does not name fools it when "
              f"rho >= {PASS_RHO} and it moves it by {FOOLED_SHARE:g} of its smallest own "
              "change.", "",
              "| metric | defect | own | rho | change % | oracle | verdict |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in summary.sort_values(["metric", "own"], ascending=[True, False]).itertuples():
        own = "yes" if row.own else "no"
        lines.append(f"| `{row.metric}` | {row.defect} | {own} | {row.rho:.3f} | "
                     f"{row.change_pct:.1f} | {row.clean:.4g} | {row.verdict} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def validate_persistence(
    out: Path, seeds: tuple[int, ...], num_frames: int, size: tuple[int, int], command: str
) -> pd.DataFrame:
    """Run the study; write the report to ``out`` and the raw values beside it (``.csv``)."""
    start = time.perf_counter()
    evaluators: list[Evaluator] = [
        Persistence(config=STUDY_CONFIG),
        Permanence(config=STUDY_CONFIG),
    ]
    clips = [study_clip(seed, num_frames, size) for seed in seeds]
    values = measure(clips, evaluators)
    table = correlations(values, evaluators)
    changes = finite_change(values, evaluators)
    table["change_pct"] = [changes[key] for key in zip(table["clip"], table["defect"],
                                                       table["metric"], strict=True)]  # fmt: skip
    summary = verdicts(table)
    hidden = ", ".join(f"{c.name}: {c.world.primitives[c.target].name} (hidden from frame "
                       f"{hidden_frame(c.world, c.path, c.target)})" for c in clips)  # fmt: skip
    setup = (f"Clips: {len(clips)} synthetic rooms (seeds {', '.join(map(str, seeds))}), oracle "
             f"frames and exact depth along an `out_and_back` path, {num_frames} frames at 16 "
             f"fps, {size[0]}x{size[1]}. Object changed: {hidden}. "
             f"Annotator: {STUDY_CONFIG}.")  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report(summary, setup, command, time.perf_counter() - start))
    values.to_csv(out.with_suffix(".csv"), index=False)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports/persistence_validation.md"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--frames", type=int, default=49)
    parser.add_argument("--size", default="256x144", help="WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    words = sys.argv[1:] if argv is None else argv
    command = "python -m wmbench.studies.validate_persistence " + " ".join(words)
    validate_persistence(args.out, tuple(args.seeds), args.frames, (width, height), command.strip())
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
