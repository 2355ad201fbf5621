"""A stand-in benchmark stage for tests/test_gpu_bench.py: ``python -m tests.gpu_stage MODE --out
FILE`` writes a report, then finishes (``ok``), raises (``fail``) or never ends (``hang``)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["ok", "fail", "hang"])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.write_text(f"| row | {args.mode} |\n")
    if args.mode == "fail":
        raise RuntimeError("CUDA out of memory (stand-in)")
    while args.mode == "hang":
        time.sleep(0.1)
    return args.out.read_text()


if __name__ == "__main__":
    main()
