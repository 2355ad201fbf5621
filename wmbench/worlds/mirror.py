"""The embedded mirror: a mini SANA-WM-Bench of procedural worlds, in the exact layout of the
real dataset (see :mod:`wmbench.data.sanawm_bench`), plus the files that mark it synthetic."""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from wmbench.core.paths import data_dir
from wmbench.data import sanawm_bench
from wmbench.data.sanawm_bench import (
    EXPORT_DIR,
    MANIFEST,
    MIRROR_MARKER,
    MIRROR_SPLITS,
    WORLD_SPECS,
)
from wmbench.worlds.layout import KINDS, world_spec
from wmbench.worlds.revisit_pairs import evaluation_pairs
from wmbench.worlds.scene import World
from wmbench.worlds.trajectories import FAMILIES, make_trajectory

SPLIT_FAMILIES = {"simple_60s": "smooth", "hard_60s": "hard", "long_600s": "long_return"}
# The first scene of every category of the one-minute plan walks a returning path (family
# "return"), gentle ones on the simple split, self-crossing and turned revisits on the hard one.
SPLIT_RETURNING = {
    "simple_60s": ("out_and_back", "orbit_return", "pendulum"),
    "hard_60s": ("crossing_eight", "turned_revisit"),
}
PLAN_FRAMES = {"one_minute": 961, "long_form": 9601}  # 60 s and 600 s at 16 fps
MARKER_TEXT = """SYNTHETIC MIRROR of the SANA-WM-Bench layout, written by wmbench.worlds.mirror.
These are procedural worlds with exact metric ground truth (world specs in
scene_set/synthetic_worlds.json), NOT the real Efficient-Large-Model/SANA-WM-Bench data.
plan={plan}
seed={seed} scenes_per_category={scenes} num_frames={frames} fps={fps} size={width}x{height}
"""


def write_mirror(
    root: Path,
    scenes_per_category: int = 2,
    seed: int = 0,
    num_frames: int | None = None,
    fps: float = 16.0,
    width: int = 1280,
    height: int = 720,
    plan: str = "one_minute",
) -> Path:
    """Write the mirror of ``plan`` (its splits: :data:`MIRROR_SPLITS`; ``num_frames`` by
    default :data:`PLAN_FRAMES`) under ``root`` and return it. Categories are the world kinds
    (:data:`~wmbench.worlds.layout.KINDS`), scene ids ``<kind>_001``...; each scene's paths
    start at the same pose, whose render is ``images/<scene_id>.png``. In the one-minute plan
    the first scene of each category walks a returning path (:data:`SPLIT_RETURNING`) and the
    others cycle through the split's family; in ``long_form`` every scene walks a
    ``long_return`` path. Every scene lists its SANA-WM-Bench ``evaluation_pairs``
    (:mod:`wmbench.worlds.revisit_pairs`). Deterministic: the same arguments give the same
    bytes."""
    root = Path(root)
    num_frames = num_frames or PLAN_FRAMES[plan]
    splits = MIRROR_SPLITS[plan]
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "scene_set").mkdir(exist_ok=True)
    scenes, specs, entries = [], {}, {split: {} for split in splits}
    for kind_index, kind in enumerate(KINDS):
        for number in range(1, scenes_per_category + 1):
            scene_id = f"{kind}_{number:03d}"
            world_seed = seed * 1000 + kind_index * 100 + number
            world = World(world_spec(world_seed, kind))
            specs[scene_id] = world.spec()
            scenes.append(scene_id)
            for split in splits:
                family = SPLIT_FAMILIES[split]
                variants = FAMILIES[family]
                variant = variants[(kind_index + number - 1) % len(variants)]
                if number == 1 and split in SPLIT_RETURNING:
                    family = "return"
                    variant = SPLIT_RETURNING[split][kind_index % len(SPLIT_RETURNING[split])]
                trajectory = make_trajectory(
                    world, family, num_frames, fps, world_seed, width, height, variant=variant
                )
                if split == next(iter(splits)):  # every split starts at this pose (same seed)
                    image, _ = world.render(
                        trajectory.c2w[0], trajectory.intrinsics[0], width, height
                    )
                    Image.fromarray(image).save(root / "images" / f"{scene_id}.png")
                export = root / splits[split] / EXPORT_DIR
                export.mkdir(parents=True, exist_ok=True)
                _save_npz(
                    export / f"{scene_id}.npz",
                    c2w=trajectory.c2w,
                    intrinsics=trajectory.intrinsics,
                    fps=np.float64(fps),
                    num_frames=np.int64(num_frames),
                )
                entries[split][scene_id] = {
                    "scene_id": scene_id,
                    "category": kind,
                    "prompt": world.description,
                    "family": family,
                    "variant": variant,
                    "world_seed": world_seed,
                    "num_frames": num_frames,
                    "fps": fps,
                    "evaluation_pairs": evaluation_pairs(trajectory),
                }
    (root / "scene_set" / "kept_scenes.txt").write_text("\n".join(scenes) + "\n")
    (root / WORLD_SPECS).write_text(json.dumps(specs, indent=1, sort_keys=True))
    for split, split_dir in splits.items():
        scene_list = [entries[split][scene_id] for scene_id in scenes]
        (root / split_dir / "scene_trajectories_v2.json").write_text(
            json.dumps({"scenes": scene_list}, indent=2, sort_keys=True)
        )
        rows = [
            {
                "scene_id": scene_id,
                "image_path": f"images/{scene_id}.png",
                "camera_path": f"{split_dir}/{EXPORT_DIR}/{scene_id}.npz",
                "prompt": entries[split][scene_id]["prompt"],
            }
            for scene_id in scenes
        ]
        (root / split_dir / EXPORT_DIR / MANIFEST).write_text(
            "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
        )
    (root / MIRROR_MARKER).write_text(
        MARKER_TEXT.format(
            plan=plan,
            seed=seed,
            scenes=scenes_per_category,
            frames=num_frames,
            fps=fps,
            width=width,
            height=height,
        )
    )
    return root


def _save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Like ``np.savez`` but with fixed zip timestamps, so equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
            archive.writestr(
                zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue()
            )


def ensure_mirror(scenes_per_category: int = 2, seed: int = 0, plan: str = "one_minute") -> Path:
    """The synthetic mirror for these settings, written once into the cache and reused."""
    name = f"synthetic-mirror-s{scenes_per_category}-seed{seed}"
    root = data_dir() / (name if plan == "one_minute" else f"{name}-{plan}")
    if sanawm_bench.is_synthetic_mirror(root):
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=root.name + ".", dir=root.parent))
    try:
        write_mirror(staging, scenes_per_category=scenes_per_category, seed=seed, plan=plan)
        try:
            os.replace(staging, root)
        except OSError:  # another process (a torchrun rank) finished first
            if not sanawm_bench.is_synthetic_mirror(root):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root
