"""Stand-ins for published baselines' entry points (the real programs need their own
environments, weights and GPUs, none of which exist on the test machines), and the request the
contract tests drive them with. A stand-in checks the arguments and input files the real entry
point requires, records what it received as JSON under $STANDIN_RECORD, and writes a video
where the real one would, with the frame count the real one would (at 1/8 of its size). Like the
real scripts it does its work under ``if __name__ == "__main__":`` through the callable the
adapter's driver times (EntryPoint.timed)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image

from tests.control_paths import circle, intrinsics_for
from wmbench.core.types import Case, Trajectory
from wmbench.models.base import GenerationRequest

PREAMBLE = """
import argparse, json, os, sys
import cv2
import numpy as np

def record(data):
    with open(os.environ["STANDIN_RECORD"], "w") as handle:
        json.dump(data, handle)

def write_video(path, frames, width, height, fps, value=None):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width // 8, height // 8))
    for index in range(frames):
        level = index % 256 if value is None else value
        writer.write(np.full((height // 8, width // 8, 3), level, np.uint8))
    writer.release()
"""


def install(repo: Path, script: str, body: str) -> Path:
    """Write the stand-in at ``repo/script``."""
    path = repo / script
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PREAMBLE + textwrap.dedent(body))
    return path


DIFFUSERS_SHIM = """
import cv2
import numpy as np

def export_to_video(frames, path, fps):
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        rgb = np.clip(np.round(frame * 255), 0, 255).astype(np.uint8)
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
"""


def install_module(repo: Path, name: str, body: str) -> None:
    """A module of the model's environment (``diffusers.utils``, ``wan``) inside the checkout,
    which the adapter puts first on PYTHONPATH."""
    path = repo / (name.replace(".", "/") + ".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(repo).parents:
        if parent != Path():
            (repo / parent / "__init__.py").touch()
    path.write_text(textwrap.dedent(body))


def request(
    tmp_path: Path, frames: int = 17, size: tuple[int, int] = (64, 36)
) -> GenerationRequest:
    """A case walking a circle, asked for at ``size`` and 16 fps."""
    width, height = size
    image_path = tmp_path / "first.png"
    image = np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8)
    Image.fromarray(image).save(image_path)
    trajectory = Trajectory(circle(frames), intrinsics_for(frames, size), size, 16.0)
    case = Case("simple_60s/indoor_001", image_path, "A quiet hallway.", trajectory, "simple_60s")
    return GenerationRequest(case, image, trajectory, frames, size, 16.0, seed=7)


def options(repo: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Adapter options pointing at the stand-in checkout, run by this interpreter."""
    return {"python": sys.executable, "repo": str(repo), **extra}


def received(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "record.json").read_text())
