"""What a result was computed from: the code (commit, packages), and content digests of a
case's inputs, so a changed image, path or prompt invalidates the stored result."""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from wmbench.core.digest import digest
from wmbench.core.errors import InputError
from wmbench.core.types import Case

RECORDED_PACKAGES = (
    "wmbench", "numpy", "torch", "torchmetrics", "pycolmap", "opencv-python-headless",
    "diffusers", "flash-linear-attention", "torchao", "lpips", "open_clip_torch", "pyiqa",
)  # fmt: skip


def git_commit() -> str:
    """The HEAD commit of the checkout wmbench is imported from, ``+dirty`` when tracked files
    changed; ``unknown`` when wmbench is an installed package (its version is recorded instead),
    even when a site-packages lies inside some other git repository."""
    source = Path(__file__).resolve().parents[2]
    try:
        top = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        if Path(top).resolve() != source:
            return "unknown"
        commit = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def package_versions() -> dict[str, str]:
    versions = {}
    for package in RECORDED_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    return versions


def case_inputs(case: Case) -> dict[str, str]:
    """sha256 digests (12 hex digits) of what a case's result depends on: the conditioning
    image file, the camera path (poses and intrinsics), the prompt and, for synthetic cases,
    the world spec; an InputError naming the image when it cannot be read."""
    try:
        image = case.image_path.read_bytes()
    except OSError as error:
        raise InputError(
            case.image_path, "image_path", "a readable image file", str(error)
        ) from error
    path = case.trajectory
    camera = np.concatenate([path.c2w.ravel(), path.intrinsics.ravel(), [path.fps]])
    digests = {
        "image": digest(image),
        "trajectory": digest(np.ascontiguousarray(camera, dtype=np.float64).tobytes()),
        "prompt": digest(case.prompt.encode()),
    }
    if case.world is not None:
        digests["world"] = digest(case.world.as_dict())
    return digests
