"""Stand-ins for published baselines' entry points (the real programs need their own
environments, weights and GPUs, none of which exist on the test machines), and the request the
contract tests drive them with. A stand-in checks the arguments and input files the real entry
point requires, records what it received as JSON under $STANDIN_RECORD, and writes a video
where the real one would, with the frame count the real one would (at 1/8 of its size)."""

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

def write_video(path, frames, width, height, fps):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width // 8, height // 8))
    for index in range(frames):
        writer.write(np.full((height // 8, width // 8, 3), index % 256, np.uint8))
    writer.release()
"""


def install(repo: Path, script: str, body: str) -> Path:
    """Write the stand-in at ``repo/script``."""
    path = repo / script
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PREAMBLE + textwrap.dedent(body))
    return path


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
