"""Builders of small test inputs in the SANA-WM-Bench layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from wmbench.data.sanawm_bench import EXPORT_DIR, MANIFEST, SPLIT_DIRS


def straight_walk(num_frames: int, speed_m_per_frame: float = 0.02) -> np.ndarray:
    """Camera-to-world poses walking forward along +z."""
    c2w = np.repeat(np.eye(4)[None], num_frames, axis=0)
    c2w[:, 2, 3] = np.arange(num_frames) * speed_m_per_frame
    return c2w


def write_bench(
    root: Path,
    scenes: tuple[str, ...] = ("indoor_001", "outdoor_001"),
    num_frames: int = 49,
    size: tuple[int, int] = (160, 96),
) -> Path:
    """A tiny benchmark folder in the SANA-WM-Bench layout with random images and straight walks."""
    rng = np.random.default_rng(0)
    width, height = size
    (root / "images").mkdir(parents=True)
    (root / "scene_set").mkdir()
    (root / "scene_set" / "kept_scenes.txt").write_text("\n".join(scenes) + "\n")
    intrinsics = np.array([[width * 0.8, 0, width / 2], [0, width * 0.8, height / 2], [0, 0, 1]])
    for scene in scenes:
        pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "images" / f"{scene}.png")
    for split_dir in SPLIT_DIRS.values():
        export = root / split_dir / EXPORT_DIR
        export.mkdir(parents=True)
        rows = []
        for scene in scenes:
            np.savez(
                export / f"{scene}.npz",
                c2w=straight_walk(num_frames),
                intrinsics=np.repeat(intrinsics[None], num_frames, axis=0),
                fps=16,
                num_frames=num_frames,
            )
            rows.append(
                {
                    "scene_id": scene,
                    "image_path": f"images/{scene}.png",
                    "camera_path": f"{split_dir}/{EXPORT_DIR}/{scene}.npz",
                    "prompt": f"a walk through {scene}",
                }
            )
        (export / MANIFEST).write_text("".join(json.dumps(row) + "\n" for row in rows))
        (root / split_dir / "scene_trajectories_v2.json").write_text("{}")
    return root
