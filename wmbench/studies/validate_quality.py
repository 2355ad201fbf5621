"""Proof that the quality metrics notice the defects they are meant to notice.

Oracle clips of synthetic worlds (exact frames and depth along a ``loop`` camera path, which
returns to its start) are degraded by each defect of :mod:`wmbench.studies.degrade` at rising
severity; every weight-free evaluator, and every learned one whose weights are in the local
weight store (:mod:`wmbench.core.weights`), scores every version. For each metric and defect the
Spearman rank correlation between severity and the metric, oriented so that +1 means "the
metric says worse at every step", is averaged over the clips. The report also gives the
metric's relative change at the highest severity, since a rank correlation says nothing about
size: frame-to-frame metrics may rank a morph correctly yet move by a fraction of a percent.

The learned metrics' own defects (LPIPS, aesthetic, CLIPSIM, subject consistency, FVD's mean
term) are expectations from the metrics' definitions, verified only where their weights exist;
the report names the weight files' sha256 of those measured and the missing files of the others.

    python -m wmbench.studies.validate_quality --out reports/quality_degradation.md \
        [--weight-free-only]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from wmbench.core import weights
from wmbench.core.errors import MissingWeightsError
from wmbench.core.types import Case, Trajectory, Video
from wmbench.data.sanawm_bench import read_evaluation_pairs
from wmbench.evaluators import EVALUATORS
from wmbench.evaluators.base import EvalInput, Evaluator
from wmbench.evaluators.drift import Drift
from wmbench.evaluators.flicker import Flicker
from wmbench.evaluators.flow import FlowConsistency
from wmbench.evaluators.reference import Reference
from wmbench.evaluators.revisit import Revisit
from wmbench.evaluators.sharpness import Sharpness
from wmbench.models.base import Generation
from wmbench.studies.quality_defects import (
    DEFECTS,
    PROMPT,
    Clip,
    Defect,
    LearnedEvaluator,
)
from wmbench.studies.quality_report import report
from wmbench.worlds.revisit_pairs import evaluation_pairs


def weight_free_evaluators() -> list[Evaluator]:
    """One of each weight-free quality evaluator."""
    return [Flicker(), FlowConsistency(), Sharpness(), Drift(), Reference(), Revisit()]


def learned_evaluators() -> tuple[list[Evaluator], list[LearnedEvaluator]]:
    """The learned evaluators (those declaring weight entries) whose weights are in the store,
    ready to run, and a record of every learned evaluator: its weights' sha256, or the files
    its MissingWeightsError names."""
    ready, records = [], []
    for name in EVALUATORS.names():
        evaluator = EVALUATORS.get(name)()
        if not evaluator.weight_entries:
            continue
        metrics = tuple(spec.name for spec in evaluator.metric_specs())
        try:
            evaluator.check_available()
        except MissingWeightsError as error:  # the exact files, or its text when it names none
            missing = tuple(map(str, error.missing)) or (str(error),)
            records.append(LearnedEvaluator(name, metrics, {}, missing))
            continue
        ready.append(evaluator)
        records.append(LearnedEvaluator(name, metrics, weights.digests(evaluator.weight_entries)))
    return ready, records


def eval_input(
    frames: np.ndarray,
    trajectory: Trajectory,
    depth: np.ndarray | None = None,
    reference: np.ndarray | None = None,
    case_id: str = "synthetic",
    prompt: str = "",
) -> EvalInput:
    """An :class:`EvalInput` for ``frames`` generated along ``trajectory`` from ``prompt``, with
    the path's revisit pairs as the dataset would list them."""
    video = Video(frames, trajectory.fps)
    pairs = read_evaluation_pairs(evaluation_pairs(trajectory), case_id)  # the ``sanawm`` protocol
    case = Case(
        case_id, Path("<synthetic>"), prompt, trajectory, "synthetic", evaluation_pairs=pairs
    )
    return EvalInput(
        case=case,
        trajectory=trajectory,
        video=video,
        generation=Generation(video, depth=depth),
        reference=None if reference is None else Video(reference, trajectory.fps),
    )


def score(inputs: EvalInput, evaluators: list[Evaluator]) -> dict[str, float]:
    """All metrics of ``evaluators`` on one input."""
    metrics: dict[str, float] = {}
    for evaluator in evaluators:
        metrics |= evaluator.evaluate(inputs).metrics
    return metrics


def measure(
    clips: list[Clip], evaluators: list[Evaluator], defects: tuple[Defect, ...] = DEFECTS
) -> pd.DataFrame:
    """Metric values of ``evaluators`` on every clip x defect x severity: columns clip, defect,
    severity, metric, value."""
    rows = []
    for clip in clips:
        for defect in defects:
            for level in defect.severities:
                frames, depth = defect.apply(clip, level)
                inputs = eval_input(
                    frames, clip.trajectory, depth, clip.frames, clip.name, prompt=PROMPT
                )
                for metric, value in score(inputs, evaluators).items():
                    rows.append((clip.name, defect.name, level, metric, value))
    return pd.DataFrame(rows, columns=["clip", "defect", "severity", "metric", "value"])


def correlations(values: pd.DataFrame, evaluators: list[Evaluator]) -> pd.DataFrame:
    """Per clip, defect and metric: ``rho``, the Spearman correlation of severity and metric
    oriented so that +1 means worse at every step (NaN when the metric does not apply or
    never changes), ``change_pct``, the oriented relative change from severity 0 to the
    highest (+ = worse), and ``clean``, the value at severity 0."""
    higher = {s.name: s.higher_is_better for e in evaluators for s in e.metric_specs()}
    rows = []
    for (clip, defect, metric), part in values.groupby(["clip", "defect", "metric"], sort=False):
        part = part.sort_values("severity")
        sign = -1.0 if higher[metric] else 1.0
        x, y = part["severity"].to_numpy(), part["value"].to_numpy(dtype=float)
        finite = np.isfinite(y)
        rho = np.nan
        if finite.sum() >= 3 and np.ptp(y[finite]) > 0:
            rho = sign * float(spearmanr(x[finite], y[finite]).statistic)
        base, worst = y[0], y[-1]
        change = sign * 100.0 * (worst - base) / abs(base) if np.isfinite(base) and base else np.nan
        rows.append((clip, defect, metric, rho, change, base))
    columns = ["clip", "defect", "metric", "rho", "change_pct", "clean"]
    return pd.DataFrame(rows, columns=columns)


def oracle_clips(
    seeds: tuple[int, ...], num_frames: int, size: tuple[int, int], fps: float
) -> list[Clip]:
    """Oracle renders of one synthetic room per seed along its ``loop`` camera path."""
    from wmbench.worlds.layout import make_world
    from wmbench.worlds.trajectories import make_trajectory

    clips = []
    for seed in seeds:
        world = make_world(seed, kind="room")
        trajectory = make_trajectory(world, "loop", num_frames, fps, seed, *size)
        frames, depth = world.render_trajectory(trajectory, *size)
        clips.append(Clip(f"room{seed}_loop", frames, depth, trajectory))
    return clips


def validate_quality(
    out: Path,
    seeds: tuple[int, ...] = (0, 1, 2),
    num_frames: int = 97,
    size: tuple[int, int] = (256, 144),
    fps: float = 16.0,
    defects: tuple[Defect, ...] = DEFECTS,
    weight_free_only: bool = False,
) -> pd.DataFrame:
    """Run the degradation study with the weight-free evaluators and, unless
    ``weight_free_only``, every learned one whose weights are in the store; write the Markdown
    report to ``out`` and the raw values beside it (same stem, ``.csv``). Returns the per-clip
    correlations."""
    evaluators, learned = weight_free_evaluators(), None
    if not weight_free_only:
        ready, learned = learned_evaluators()
        evaluators += ready
    clips = oracle_clips(seeds, num_frames, size, fps)
    values = measure(clips, evaluators, defects)
    table = correlations(values, evaluators)
    setup = (
        f"Clips: {len(clips)} synthetic rooms (seeds {', '.join(map(str, seeds))}), oracle "
        f"frames and depth along a `loop` camera path, {num_frames} frames at {fps:g} fps, "
        f"{size[0]}x{size[1]}; the reference video is the clean clip."
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report(table, evaluators, setup, defects, learned))
    values.to_csv(out.with_suffix(".csv"), index=False)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports/quality_degradation.md"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--frames", type=int, default=97)
    parser.add_argument("--size", default="256x144", help="WIDTHxHEIGHT")
    parser.add_argument(
        "--weight-free-only",
        action="store_true",
        help="skip the learned evaluators even when their weights are in the store",
    )
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    validate_quality(
        args.out,
        tuple(args.seeds),
        args.frames,
        (width, height),
        weight_free_only=args.weight_free_only,
    )
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
