"""Proof that the quality metrics notice the defects they are meant to notice.

Oracle clips of synthetic worlds (exact frames and depth along a ``loop`` camera path, which
returns to its start) are degraded by each defect of :mod:`wmbench.degrade` at rising
severity; every weight-free evaluator, and every learned one whose weights are in the local
weight store (:mod:`wmbench.weights`), scores every version. For each metric and defect the
Spearman rank correlation between severity and the metric, oriented so that +1 means "the
metric says worse at every step", is averaged over the clips. The report also gives the
metric's relative change at the highest severity, since a rank correlation says nothing about
size: frame-to-frame metrics may rank a morph correctly yet move by a fraction of a percent.

The learned metrics' own defects (LPIPS, aesthetic, CLIPSIM, subject consistency, FVD's mean
term) are expectations from the metrics' definitions, verified only where their weights exist;
the report names the weight files' sha256 of those measured and the missing files of the others.

    python -m wmbench.validate_quality --out reports/quality_degradation.md [--weight-free-only]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from wmbench import degrade, weights
from wmbench.data_model import Case, Trajectory, Video
from wmbench.errors import MissingWeightsError
from wmbench.evaluators import EVALUATORS
from wmbench.evaluators.base import EvalInput, Evaluator, weight_entries
from wmbench.evaluators.drift import Drift
from wmbench.evaluators.flicker import Flicker
from wmbench.evaluators.flow import FlowConsistency
from wmbench.evaluators.reference import Reference
from wmbench.evaluators.revisit import Revisit
from wmbench.evaluators.sharpness import Sharpness
from wmbench.evaluators.vbench_dimensions import MOTION_SMOOTHNESS
from wmbench.models.base import Generation

PASS_RHO = 0.95
PROMPT = "a furnished room, the camera moves through it and returns"  # for CLIPSIM


@dataclass(frozen=True)
class Clip:
    """An oracle clip: exact ``frames`` (T, H, W, 3) and z-``depth`` (T, H, W) along
    ``trajectory``."""

    name: str
    frames: np.ndarray
    depth: np.ndarray
    trajectory: Trajectory


Degraded = tuple[np.ndarray, np.ndarray]  # frames, depth


@dataclass(frozen=True)
class Defect:
    """A defect at rising ``severities`` (in ``unit``) and the metrics it must move."""

    name: str
    unit: str
    severities: tuple[float, ...]
    apply: Callable[[Clip, float], Degraded]
    targets: tuple[str, ...]


def _frames_only(
    function: Callable[..., np.ndarray], **options
) -> Callable[[Clip, float], Degraded]:
    return lambda clip, level: (function(clip.frames, level, **options), clip.depth)


def _retimed(function: Callable[..., np.ndarray]) -> Callable[[Clip, float], Degraded]:
    """Defects that show other frames: the exact depth follows the frames shown."""
    return lambda clip, level: (function(clip.frames, level), function(clip.depth, level))


def _morph(clip: Clip, level: float) -> Degraded:
    return degrade.morph(clip.frames, clip.depth, clip.trajectory, level), clip.depth


REVISIT = tuple(
    f"{kind}/{p}"
    for kind in ("revisit_psnr_db", "revisit_ssim", "revisit_lpips")
    for p in ("depth_warp", "near_identity")
)
# learned metrics: own defects expected from the definitions (see LEARNED_NOTES)
LEARNED_IMAGE_QUALITY = (
    "lpips/reference",
    "aesthetic_quality/vbench",
    "aesthetic_score/laion_v1",
    "fvd/mean_feature_sq_dist",
)
DEFECTS = (
    Defect("blur", "sigma px", (0, 0.5, 1, 1.5, 2, 3), _frames_only(degrade.blur),
           ("laplacian_variance", "psnr_db", "ssim", *LEARNED_IMAGE_QUALITY)),
    Defect("noise", "sigma DN", (0, 2, 4, 8, 12, 16), _frames_only(degrade.noise),
           ("psnr_db", "ssim", *LEARNED_IMAGE_QUALITY, "clipsim/vit_l_14")),
    Defect("flicker", "gain amplitude", (0, 0.02, 0.04, 0.06, 0.08, 0.1),
           _frames_only(degrade.flicker),
           ("temporal_flickering/vbench", "warp_error/dis_mse", "subject_consistency/vbench")),
    Defect("color_drift", "gain at end", (0, 0.05, 0.1, 0.15, 0.2, 0.3),
           _frames_only(degrade.color_drift), ("color_shift_delta_e76",)),
    Defect("blur_ramp", "sigma px at end", (0, 0.5, 1, 1.5, 2, 3),
           _frames_only(degrade.blur, ramp=True), ("sharpness_change_pct",)),
    Defect("freeze", "fraction of frames", (0, 0.1, 0.2, 0.3, 0.4, 0.5), _retimed(degrade.freeze),
           ("motion_jerk_ratio", "dynamic_pair_fraction", MOTION_SMOOTHNESS)),
    Defect("slowdown", "speed lost at end", (0, 0.1, 0.2, 0.3, 0.4, 0.5),
           _retimed(degrade.slowdown), ("motion_change_pct",)),
    Defect("morph", "blend at end", (0, 0.2, 0.4, 0.6, 0.8, 1.0), _morph, REVISIT),
)  # fmt: skip


def weight_free_evaluators() -> list[Evaluator]:
    """One of each weight-free quality evaluator."""
    return [Flicker(), FlowConsistency(), Sharpness(), Drift(), Reference(), Revisit()]


@dataclass(frozen=True)
class LearnedEvaluator:
    """A learned evaluator of the study and its metrics: measured with the weight files of
    ``sha256`` (:func:`wmbench.weights.digests`), or not, for lack of the files ``missing``
    (never empty then)."""

    name: str
    metrics: tuple[str, ...]
    sha256: dict[str, str]
    missing: tuple[str, ...] = ()


def learned_evaluators() -> tuple[list[Evaluator], list[LearnedEvaluator]]:
    """The learned evaluators (those declaring weight entries) whose weights are in the store,
    ready to run, and a record of every learned evaluator: its weights' sha256, or the files
    its MissingWeightsError names."""
    ready, records = [], []
    for name in EVALUATORS.names():
        evaluator = EVALUATORS.get(name)()
        if not weight_entries(evaluator):
            continue
        metrics = tuple(spec.name for spec in evaluator.metric_specs())
        try:
            evaluator.check_available()
        except MissingWeightsError as error:  # the exact files, or its text when it names none
            missing = tuple(map(str, error.missing)) or (str(error),)
            records.append(LearnedEvaluator(name, metrics, {}, missing))
            continue
        ready.append(evaluator)
        records.append(LearnedEvaluator(name, metrics, weights.digests(weight_entries(evaluator))))
    return ready, records


def eval_input(
    frames: np.ndarray,
    trajectory: Trajectory,
    depth: np.ndarray | None = None,
    reference: np.ndarray | None = None,
    case_id: str = "synthetic",
    prompt: str = "",
) -> EvalInput:
    """An :class:`EvalInput` for ``frames`` generated along ``trajectory`` from ``prompt``."""
    video = Video(frames, trajectory.fps)
    case = Case(case_id, Path("<synthetic>"), prompt, trajectory, "synthetic")
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


NOTES = """## Reading notes (properties of the definitions)

- VBench's flicker score counts every change between frames, so blur and freezes raise it and
  camera motion lowers it; it is comparable only between videos of the same camera path.
- The variance of the Laplacian rises with noise as it falls with blur: read it beside PSNR/SSIM.
- The drift metrics are unsigned (|change| between the first and last window). The clean clip's
  windows already differ (the camera sees other parts of the room), so a mild defect acting in
  the opposite direction first shrinks the change before growing it.
- `dynamic_degree/vbench_dis` is VBench's yes/no decision (a quarter of the pairs moving); it
  flips only past three quarters of frozen pairs, so it is not expected to rank the ladder;
  `dynamic_pair_fraction` is its graded form.
- Revisit PSNR/SSIM compare warped views, so they also react to every defect that differs
  between two visits (noise, flicker, drift); what they alone see is the morph.
"""

LEARNED_NOTES = f"""The learned metrics' own defects are expectations from their definitions, \
verified only where their weights are in the local weight store (`python -m wmbench weights \
list`): LPIPS against the clean clip, the LAION aesthetic score and FVD's per-case mean term \
should worsen with blur and noise; CLIPSIM (prompt: "{PROMPT}") should fall as noise hides the \
room; VBench's subject consistency compares DINO features with the first and the previous \
frame, which whole-frame gain flicker changes from frame to frame; revisit LPIPS, like revisit \
PSNR/SSIM, should see the morph; VBench's motion smoothness (AMT-S) should fall as repeated \
frames make the dropped frames unlike the interpolation of their neighbours, while its RAFT \
dynamic degree is, like the DIS proxy, a yes/no decision not expected to rank the ladder. \
`fvd/clips` counts clips and is constant by design."""


def _cell(value: float, fmt: str, bold: bool) -> str:
    if not np.isfinite(value):
        return ""
    text = fmt.format(value)
    return f"**{text}**" if bold else text


def _title(learned: list[LearnedEvaluator] | None) -> str:
    if any(not record.missing for record in learned or ()):
        return "# Quality metrics, weight-free and learned, against injected defects"
    return "# Weight-free quality metrics against injected defects"


def _learned_section(
    learned: list[LearnedEvaluator] | None, defects: Sequence[Defect]
) -> list[str]:
    """Which learned evaluators were measured (weight files, sha256) and which were not (the
    missing store files); ``None``: not asked for."""
    lines = ["", "## Learned metrics", "", LEARNED_NOTES, ""]
    if learned is None:
        return lines + ["Not measured: the study ran with `--weight-free-only`."]
    measured = [record for record in learned if not record.missing]
    missing = [record for record in learned if record.missing]
    if measured:
        lines += [
            f"| evaluator | metrics | weight file | sha256 (first {weights.DIGEST_CHARS}) |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r.name} | {', '.join(r.metrics)} | {file} | `{digest}` |"
            for r in measured
            for file, digest in r.sha256.items()
        ]
    else:
        lines.append("None measured.")
    if missing:
        store = f"Their weights are not in the local weight store ({weights.store_root()})."
        lines += ["", "## Learned metrics not measured", "", store, ""]
        lines += ["| evaluator | metrics (own defects) | missing file |", "|---|---|---|"]
        for record in missing:
            metrics = ", ".join(f"{m} ({_own_defects(m, defects)})" for m in record.metrics)
            lines.append(f"| {record.name} | {metrics} | {'<br>'.join(record.missing)} |")
    return lines


def _own_defects(metric: str, defects: Sequence[Defect]) -> str:
    return ", ".join(d.name for d in defects if metric in d.targets) or "none"


def report(
    table: pd.DataFrame,
    evaluators: list[Evaluator],
    setup: str,
    defects: Sequence[Defect] = DEFECTS,
    learned: list[LearnedEvaluator] | None = None,
) -> str:
    """The Markdown report: ladders, rho and change tables, the verdict per target of a measured
    metric, the learned evaluators (``None``: not asked for), notes."""
    metrics = [s.name for e in evaluators for s in e.metric_specs()]
    defects = [d for d in defects if d.name in set(table["defect"])]
    names = [d.name for d in defects]
    targets = [(m, d.name) for d in defects for m in d.targets if m in metrics]
    mean = table.groupby(["metric", "defect"])[["rho", "change_pct", "clean"]].mean()
    lines = [
        _title(learned),
        "",
        f"Generated by `python -m wmbench.validate_quality`. {setup}",
        "",
        "rho: Spearman rank correlation of severity and metric over the ladder, oriented so that "
        "+1 means the metric reports a worse video at every step; mean over clips. **Bold**: "
        f"the metric's own defect (its rho must reach {PASS_RHO} on every clip). Blank: the "
        "metric does not apply or never changes.",
        "",
        "## Defect ladders",
        "",
        "| defect | severity unit | severities | measured metrics it must move |",
        "|---|---|---|---|",
    ]
    for d in defects:
        ladder = ", ".join(f"{s:g}" for s in d.severities)
        own = ", ".join(m for m in d.targets if m in metrics)
        lines.append(f"| {d.name} | {d.unit} | {ladder} | {own} |")
    for column, title, fmt, first in (
        ("rho", "Spearman rho (oriented), mean over clips", "{:+.2f}", []),
        ("change_pct", "Change at the highest severity, % of the clean value (+ = worse)",
         "{:+.3g}", ["clean"]),
    ):  # fmt: skip
        lines += ["", f"## {title}", "", "| metric | " + " | ".join(first + names) + " |",
                  "|---|" + "---|" * (len(first) + len(names))]  # fmt: skip
        for metric in metrics:
            cells = [
                _cell(mean["clean"].get((metric, names[0]), np.nan), "{:.4g}", False) for _ in first
            ]
            for name in names:
                value = mean[column].get((metric, name), np.nan)
                cells.append(_cell(value, fmt, (metric, name) in targets))
            lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    lines += ["", "## Verdict on own defects", "",
              "| metric | defect | rho mean | rho min over clips | change at max, % | pass |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for metric, name in targets:
        part = table[(table["metric"] == metric) & (table["defect"] == name)]
        rho_min = part["rho"].min()
        verdict = "yes" if rho_min >= PASS_RHO else "**no**"
        numbers = (
            _cell(part["rho"].mean(), "{:+.2f}", False),
            _cell(rho_min, "{:+.2f}", False),
            _cell(part["change_pct"].mean(), "{:+.3g}", False),
        )
        lines.append(f"| {metric} | {name} | {' | '.join(numbers)} | {verdict} |")
    lines += _learned_section(learned, defects)
    return "\n".join(lines) + "\n\n" + NOTES


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
