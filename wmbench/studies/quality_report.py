"""The Markdown report of the quality-degradation study (:mod:`validate_quality`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from wmbench.core import weights
from wmbench.evaluators.base import Evaluator
from wmbench.studies.quality_defects import DEFECTS, PASS_RHO, PROMPT, Defect, LearnedEvaluator

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
should worsen with blur and noise, as should VBench's aesthetic and imaging quality (MUSIQ), \
whose first-minus-last-10 s ΔIQ should grow with a blur ramp; VBench's quality score should fall \
with noise; CLIPSIM (prompt: "{PROMPT}") should fall as noise hides the \
room; VBench's subject consistency compares DINO features with the first and the previous \
frame, which whole-frame gain flicker changes from frame to frame (so does its background \
consistency, with CLIP ViT-B/32); revisit LPIPS, like revisit \
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
        f"Generated by `python -m wmbench.studies.validate_quality`. {setup}",
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
