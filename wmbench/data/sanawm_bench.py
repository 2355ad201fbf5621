"""Reader for the SANA-WM-Bench layout (the data behind the ``one_minute`` suite).

Layout (see ``../shared/FACTS.md``)::

    images/<scene_id>.png
    scene_set/kept_scenes.txt
    <split_dir>/scene_trajectories_v2.json
    <split_dir>/sanawm_export_v2/run_manifest.jsonl   rows: image_path, camera_path (relative)
    <split_dir>/sanawm_export_v2/<scene_id>.npz       c2w (N,4,4), intrinsics (N,3,3),
                                                      fps, num_frames

A case's revisit pairs (the scene's ``evaluation_pairs``, if any) are in
``Case.extras["evaluation_pairs"]``. The synthetic mirror (``wmbench data synth``) writes the
same layout plus
``scene_set/synthetic_worlds.json`` (scene id -> world spec) and ``SYNTHETIC_MIRROR.txt``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from wmbench.core.errors import InputError
from wmbench.core.types import Case, Trajectory

DATASET_NAME = "Efficient-Large-Model/SANA-WM-Bench"
SPLIT_DIRS = {"simple_60s": "benchmark_v2_smooth_60s", "hard_60s": "benchmark_v2_hard_60s"}
EXPORT_DIR = "sanawm_export_v2"
MANIFEST = "run_manifest.jsonl"
MIRROR_MARKER = "SYNTHETIC_MIRROR.txt"
WORLD_SPECS = "scene_set/synthetic_worlds.json"
REQUIRED_NPZ_KEYS = ("c2w", "intrinsics", "fps", "num_frames")


def is_synthetic_mirror(root: Path) -> bool:
    return (Path(root) / MIRROR_MARKER).is_file()


def read_benchmark(
    root: Path, splits: dict[str, str] | None = None
) -> tuple[list[Case], list[tuple[str, str]]]:
    """All cases of ``root`` and the cases that could not be read, as (case id, reason).

    A bad case (missing image, malformed npz, non-rigid pose) never stops the others.
    """
    root = Path(root)
    splits = splits or SPLIT_DIRS
    world_specs = _read_world_specs(root)
    cases: list[Case] = []
    failures: list[tuple[str, str]] = []
    for split, split_dir in splits.items():
        manifest = root / split_dir / EXPORT_DIR / MANIFEST
        if not manifest.is_file():
            raise InputError(manifest, "run_manifest", "a JSON-lines manifest", "no file")
        scenes = _read_scenes(root / split_dir / "scene_trajectories_v2.json")
        for line_number, row in _read_manifest(manifest):
            case_id = f"{split}/{row.get('scene_id') or _scene_id(row)}"
            try:
                cases.append(
                    _read_case(root, split, row, manifest, line_number, scenes, world_specs)
                )
            except InputError as error:
                failures.append((case_id, str(error)))
    return cases, failures


def _read_manifest(manifest: Path) -> list[tuple[int, dict]]:
    rows = []
    for line_number, line in enumerate(manifest.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{manifest}:{line_number}", "row", "one JSON object per line", str(error)
            ) from error
        for key in ("image_path", "camera_path"):
            if not isinstance(row.get(key), str):
                raise InputError(f"{manifest}:{line_number}", key, "a dataset-relative path")
        rows.append((line_number, row))
    return rows


def _scene_id(row: dict) -> str:
    return Path(row["camera_path"]).stem


def _read_case(
    root: Path,
    split: str,
    row: dict,
    manifest: Path,
    line_number: int,
    scenes: dict[str, dict],
    world_specs: dict[str, dict],
) -> Case:
    scene_id = row.get("scene_id") or _scene_id(row)
    image_path = root / row["image_path"]
    if not image_path.is_file():
        raise InputError(
            f"{manifest}:{line_number}", "image_path", "an existing image", str(image_path)
        )
    with Image.open(image_path) as image:
        image_size = image.size
    trajectory = read_camera_npz(root / row["camera_path"], image_size)
    category = scene_id.rsplit("_", 1)[0] if "_" in scene_id else ""
    extras = {"world": world_specs[scene_id]} if scene_id in world_specs else {}
    scene = scenes.get(scene_id, {})
    if scene.get("evaluation_pairs"):
        extras["evaluation_pairs"] = scene["evaluation_pairs"]
    return Case(
        id=f"{split}/{scene_id}",
        image_path=image_path,
        prompt=row.get("prompt") or scene.get("prompt", ""),
        trajectory=trajectory,
        split=split,
        category=category,
        extras=extras,
    )


def read_camera_npz(path: Path, image_size: tuple[int, int]) -> Trajectory:
    """A trajectory from an npz with ``c2w``, ``intrinsics``, ``fps`` and ``num_frames``."""
    if not path.is_file():
        raise InputError(path, "camera_path", "an existing .npz file", "no file")
    try:
        with np.load(path) as data:
            missing = [key for key in REQUIRED_NPZ_KEYS if key not in data.files]
            if missing:
                raise InputError(
                    path,
                    ", ".join(missing),
                    f"keys {list(REQUIRED_NPZ_KEYS)}",
                    f"keys {data.files}",
                )
            c2w, intrinsics = data["c2w"], data["intrinsics"]
            fps, num_frames = float(data["fps"]), int(data["num_frames"])
    except (OSError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(path, "npz", "a readable numpy .npz archive", str(error)) from error
    if c2w.shape[:1] != (num_frames,):
        raise InputError(path, "c2w", f"{num_frames} poses (num_frames)", f"shape {c2w.shape}")
    return Trajectory(c2w, intrinsics, image_size, fps, source=str(path))


def _read_scenes(path: Path) -> dict[str, dict]:
    """Scene entries by scene id from ``scene_trajectories_v2.json``: the benchmark's
    ``{"scenes": [...]}`` (each with ``scene_id`` and optionally ``prompt`` and
    ``evaluation_pairs``: dicts with ``frame_a``, ``frame_b`` at 16 fps, as NVlabs/Sana's
    ``eval_unified.py`` reads them), or a list or dict of entries."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    if isinstance(data, dict) and isinstance(data.get("scenes"), list):
        data = data["scenes"]
    entries = data.values() if isinstance(data, dict) else data
    return {
        entry["scene_id"]: entry
        for entry in entries
        if isinstance(entry, dict) and "scene_id" in entry
    }


def _read_world_specs(root: Path) -> dict[str, dict]:
    path = root / WORLD_SPECS
    return json.loads(path.read_text()) if path.is_file() else {}
