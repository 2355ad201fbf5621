"""``python -m reference_model compare-quant``: NVFP4 against the unquantized model through the
harness, in one command.

Runs ``python -m wmbench run`` twice on the same suite and cases with the ``sana-wm`` adapter,
``--quant none`` (the model's dtype: bf16 on CUDA, float32 on CPU) and then ``--quant QUANT``,
into ``OUT/none`` and ``OUT/QUANT``, and prints ``wmbench compare --match model`` of the two:
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
from wmbench.cli import SUITE_SELECTION, add_suite_selection
from wmbench.cli import main as wmbench

BASELINE = "none"


def compare_quant(args: argparse.Namespace) -> int:
    """Run the suite unquantized and quantized, then print and save the metric deltas."""

    common = ["--suite", args.suite, "--model", "sana-wm", "--preset", args.preset]
    for name in (*SUITE_SELECTION, "steps"):
        if getattr(args, name) is not None:
            common += [f"--{name}", str(getattr(args, name))]
    status = 0
    for quant in (BASELINE, args.quant):
        print(f"== sana-wm --quant {quant}", flush=True)
        status = max(status, wmbench(["run", *common, "--quant", quant,
                                      "--out", str(args.out / quant)]))  # fmt: skip
    print(f"== deltas: --quant {args.quant} against --quant {BASELINE}", flush=True)
    wmbench(["compare", str(args.out / BASELINE), str(args.out / args.quant), "--match", "model",
             "--csv", str(args.out / "deltas.csv")])  # fmt: skip
    return status


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
