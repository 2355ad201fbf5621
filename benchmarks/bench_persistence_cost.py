"""Seconds the ``local_control``, ``persistence`` and ``permanence`` evaluators add to one case of
the default run (961 frames, 640x360, the oracle on the mirror's room out-and-back), beside the
``camera`` evaluator whose annotation they share (computed first, so theirs is the added cost).

Run: ``python benchmarks/bench_persistence_cost.py`` (not collected by pytest). Prints seconds
per evaluator and each as a share of the camera evaluator's, from the same run; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time

from wmbench.evaluators.camera import CameraEvaluator
from wmbench.evaluators.local_control import LocalControl
from wmbench.evaluators.permanence import Permanence
from wmbench.evaluators.persistence import Persistence
from wmbench.studies.validate_quality import eval_input
from wmbench.worlds.layout import make_world
from wmbench.worlds.trajectories import make_trajectory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=961)
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    world = make_world(0, kind="room")
    path = make_trajectory(world, "return", args.frames, 16.0, 0, width, height,
                           variant="out_and_back")  # fmt: skip
    start = time.perf_counter()
    frames, depth = world.render_trajectory(path, width, height)
    print(f"render {time.perf_counter() - start:.1f} s; load average {os.getloadavg()[0]:.1f}")
    inputs = eval_input(frames, path, depth, case_id="room_001")
    seconds = {}
    for evaluator in (CameraEvaluator(), LocalControl(), Persistence(), Permanence()):
        start = time.perf_counter()
        result = evaluator.evaluate(inputs)
        seconds[evaluator.name] = time.perf_counter() - start
        shown = {k: round(v, 4) for k, v in result.metrics.items() if "rpe" in k or "revisit_"
                 in k or "permanence" in k or k == "rot_err_deg/wmbench"}  # fmt: skip
        print(f"{evaluator.name}: {seconds[evaluator.name]:.1f} s {shown}")
    for name, value in seconds.items():
        print(f"{name:>14}: {value:7.1f} s  ({value / seconds['camera']:.3f} x camera)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
