"""A world model for the ``command`` adapter that the two-node test can stop mid-run.

It follows the argument contract of :mod:`wmbench.models.command`: it writes ``--frames`` frames
of the input image (frame ``i`` rolled ``i`` pixels to the right, so per-frame metrics vary with
the case and the frame) as a frame folder at ``--out``. With ``$HOLD_DIR`` set, each call takes the
next number in that folder; the call numbered ``$HOLD_AT`` writes ``HOLD_DIR/held`` and waits,
without producing anything, until its parent (the wmbench worker) is gone.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("image", "prompt-file", "camera", "out"):
        parser.add_argument(f"--{name}", required=True)
    for name in ("frames", "width", "height", "seed"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("--fps", type=float, required=True)
    args = parser.parse_args()
    hold_dir = os.environ.get("HOLD_DIR")
    if hold_dir:
        calls = len(list(Path(hold_dir).glob("call-*")))
        Path(hold_dir, f"call-{calls}").touch()
        if calls + 1 == int(os.environ["HOLD_AT"]):
            _hold(Path(hold_dir))
    image = np.asarray(Image.open(args.image).convert("RGB"))
    out = Path(args.out)
    out.mkdir(parents=True)
    for index in range(args.frames):
        Image.fromarray(np.roll(image, index, axis=1)).save(out / f"{index:04d}.png")


def _hold(hold_dir: Path) -> None:
    """Mark the hold, then wait until this process is orphaned (its worker was killed)."""
    parent = os.getppid()
    (hold_dir / "held").touch()
    while os.getppid() == parent:
        time.sleep(0.05)
    raise SystemExit(1)


if __name__ == "__main__":
    main()
