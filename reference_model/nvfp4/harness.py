"""``python -m reference_model compare-quant``: NVFP4 against the unquantized model through the
harness, in one command.

Runs the suite twice through ``wmbench.api.evaluate`` on the same cases with the ``sana-wm``
adapter, ``quant=none`` (the model's dtype: bf16 on CUDA, float32 on CPU) and then
``quant=QUANT``, into ``OUT/none`` and ``OUT/QUANT``, and prints the comparison of the two by
model name (``wmbench compare --match model``):
the delta of every metric (camera, visual quality, throughput, memory), also written to
``OUT/deltas.csv``. The deltas are a report, not a gate: the exit status is that of the runs.
With the tiny preset's random weights the point is that the plumbing and the numbers flow;
with the release's weights in the store it tests the paper's NVFP4 claim.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from reference_model.adapter import QUANT_MODES
from reference_model.presets import PRESETS
from wmbench import api
from wmbench.cli import add_suite_selection, evaluator_names, suite_selection
from wmbench.report import compare
from wmbench.report.measured import load_runs

BASELINE = "none"


def compare_quant(args: argparse.Namespace) -> int:
    """Run the suite unquantized and quantized, then print and save the metric deltas."""
    options = {"preset": args.preset, **({"steps": str(args.steps)} if args.steps else {})}
    failed = 0
    for quant in (BASELINE, args.quant):
        print(f"== sana-wm quant={quant}", flush=True)
        result = api.evaluate(
            args.suite,
            [api.ModelChoice("sana-wm", {**options, "quant": quant})],
            selection=suite_selection(args),
            evaluators=evaluator_names(args),
            out=args.out / quant,
        )
        failed += result.failed_cases
    print(f"== deltas: quant={args.quant} against quant={BASELINE}", flush=True)
    base, new = load_runs([args.out / BASELINE, args.out / args.quant])
    deltas = compare.comparison([base], new, compare.Thresholds(), "model")
    deltas.table.to_csv(args.out / "deltas.csv", index=False)
    print(deltas.render())
    return 1 if failed else 0


def add_compare_quant(verbs: argparse._SubParsersAction, name: str) -> None:
    """The ``compare-quant`` subcommand of ``python -m reference_model``."""
    parser = verbs.add_parser(
        name,
        help="run a suite unquantized and with NVFP4; print every metric's delta",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--suite", default="smoke")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument(
        "--quant", choices=[q for q in QUANT_MODES if q != BASELINE], default="nvfp4"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the two runs")
    add_suite_selection(parser)
    parser.add_argument("--steps", type=int, help="denoising steps")
    parser.set_defaults(handler=compare_quant)
