"""Run a baseline's own entry-point script, timing its loading apart from its generation.

Runs in the model's interpreter (standard library only), as
``python driver.py --timings T.json --time NAME [options] -- SCRIPT ARGS...``: it executes the
script as ``__main__`` with ``ARGS`` (its module-level code first, then its
``if __name__ == "__main__":`` block) after wrapping ``NAME``, a callable the script reaches
(``sample_one``, ``wan.WanI2V.generate``), whose first call marks the end of loading. Options:
``--once`` answers later calls of NAME with None (YUME's loop runs one image twice);
``--set VAR=JSON`` overrides a module-level constant before the block runs (Infinite-World's
NUM_CHUNKS); ``--save-return MP4 --fps F`` writes what NAME returned, a (C, T, H, W) tensor in
[-1, 1], through diffusers' ``export_to_video`` (Matrix-Game 3.0's own writer, minus the key /
mouse overlay its pipeline draws before saving). T.json gets ``load_s`` (start to NAME's first
call), ``generate_s`` (from there to the end), ``calls`` and ``skipped``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    if "--" not in argv:
        raise SystemExit("driver: expected '-- SCRIPT ARGS...'")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="wmbench-driver")
    parser.add_argument("--timings", required=True)
    parser.add_argument("--time", required=True)
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--set", action="append", default=[])
    parser.add_argument("--save-return", default="")
    parser.add_argument("--fps", type=float, default=0.0)
    return parser.parse_args(argv[:split]), argv[split + 1 :]


def _is_main_guard(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)


class Clock:
    """The first call of the timed callable, how many calls ran and how many were skipped."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.first: float | None = None
        self.calls = 0
        self.skipped = 0

    def wrap(self, function: Callable[..., Any], once: bool, save: Callable[[Any], None]):
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.first is None:
                self.first = time.perf_counter()
            if once and self.calls:
                self.skipped += 1
                return None
            self.calls += 1
            result = function(*args, **kwargs)
            save(result)
            return result

        return timed

    def write(self, path: str) -> None:
        end = time.perf_counter()
        first = end if self.first is None else self.first
        record = {"load_s": first - self.start, "generate_s": end - first, "calls": self.calls,
                  "skipped": self.skipped}  # fmt: skip
        Path(path).write_text(json.dumps(record))


def _saver(path: str, fps: float) -> Callable[[Any], None]:
    def save(value: Any) -> None:
        if not path:
            return
        if value is None:
            raise SystemExit(f"driver: {path}: the timed call returned no video")
        import numpy as np
        from diffusers.utils import export_to_video

        frames = ((value.permute(1, 2, 3, 0).float() + 1) * 127.5).clip(0, 255)
        frames = np.ascontiguousarray(frames.cpu().numpy().astype(np.uint8))
        export_to_video([frame / 255 for frame in frames], path, fps=fps)

    return save


def _resolve(module: types.ModuleType, dotted: str) -> tuple[Any, str]:
    parts = dotted.split(".")
    parent: Any = module
    for part in parts[:-1]:
        parent = getattr(parent, part, None)
    if not hasattr(parent, parts[-1]):
        raise SystemExit(f"driver: {module.__file__} reaches no {dotted} to time")
    return parent, parts[-1]


def main(argv: list[str]) -> None:
    options, command = _parse(argv)
    clock = Clock()
    script = os.path.abspath(command[0])
    tree = ast.parse(Path(script).read_text(encoding="utf-8"), filename=script)
    body = [node for node in tree.body if not _is_main_guard(node)]
    guard = [stmt for node in tree.body if _is_main_guard(node) for stmt in node.body]
    module = types.ModuleType("__main__")
    module.__file__ = script
    sys.modules["__main__"] = module
    sys.argv = command
    sys.path[0] = os.path.dirname(script)  # as when the script itself is run
    try:
        exec(compile(ast.Module(body, []), script, "exec"), module.__dict__)
        for assignment in options.set:
            name, value = assignment.split("=", 1)
            setattr(module, name, json.loads(value))
        parent, name = _resolve(module, options.time)
        setattr(parent, name, clock.wrap(getattr(parent, name), options.once,
                                         _saver(options.save_return, options.fps)))  # fmt: skip
        exec(compile(ast.Module(guard, []), script, "exec"), module.__dict__)
    finally:
        if os.environ.get("RANK", "0") == "0":
            clock.write(options.timings)


if __name__ == "__main__":
    main(sys.argv[1:])
