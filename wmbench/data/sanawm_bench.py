"""Reader for the SANA-WM-Bench layout (the data behind the ``one_minute`` suite).

Layout (see ``../shared/FACTS.md``)::

    images/<scene_id>.png
    scene_set/kept_scenes.txt
    <split_dir>/scene_trajectories_v2.json
    <split_dir>/sanawm_export_v2/run_manifest.jsonl   rows: image_path, camera_path (relative)
    <split_dir>/sanawm_export_v2/<scene_id>.npz       c2w (N,4,4), intrinsics (N,3,3),
                                                      fps, num_frames

A case's revisit pairs (the scene's ``evaluation_pairs``, if any) are checked on reading and
held as ``Case.evaluation_pairs``. The synthetic mirror (``wmbench data synth``) writes the same
layout plus ``scene_set/synthetic_worlds.json`` (scene id -> world spec, held as
``Case.world``) and ``SYNTHETIC_MIRROR.txt``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from PIL import Image

from wmbench.core.errors import InputError
from wmbench.core.files import load_npz, read_json, read_text
from wmbench.core.types import Case, EvaluationPair, Trajectory, WorldSpec

DATASET_NAME = "Efficient-Large-Model/SANA-WM-Bench"
SPLIT_DIRS = {"simple_60s": "benchmark_v2_smooth_60s", "hard_60s": "benchmark_v2_hard_60s"}
# The synthetic mirror's plans (``data.mirror.plan`` of a suite): the splits each writes, in
# this layout. ``long_form``'s 10-minute paths are wmbench's own, not SANA-WM-Bench's.
MIRROR_SPLITS = {"one_minute": SPLIT_DIRS, "long_form": {"long_600s": "wmbench_long_600s"}}
EXPORT_DIR = "sanawm_export_v2"
MANIFEST = "run_manifest.jsonl"
MIRROR_MARKER = "SYNTHETIC_MIRROR.txt"
WORLD_SPECS = "scene_set/synthetic_worlds.json"
SCENES_FILE = "scene_trajectories_v2.json"
REQUIRED_NPZ_KEYS = ("c2w", "intrinsics", "fps", "num_frames")
PAIR_NUMBERS = ("quality_score", "distance_m", "angle_diff_deg")  # optional in a pair
SCENE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")  # a folder name, never ".."


def is_synthetic_mirror(root: Path) -> bool:
    return (Path(root) / MIRROR_MARKER).is_file()


def read_benchmark(
    root: Path, splits: dict[str, str] | None = None
) -> tuple[list[Case], list[tuple[str, str]]]:
    """All cases of ``root`` and the cases that could not be read, as (case id, reason).

    A bad case (missing or unreadable image, truncated or malformed npz, non-rigid pose, a
    prompt its split's ``scene_trajectories_v2.json`` cannot give) never stops the others. A file
    needed to list the cases at all (a manifest, ``synthetic_worlds.json``) or a scene listed
    twice is one InputError naming the file and line.
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
        scenes_path = root / split_dir / SCENES_FILE
        try:
            scenes: dict[str, dict] | InputError = _read_scenes(scenes_path)
        except InputError as error:  # the split's cases need it: they fail, the others run
            scenes = error
        seen: dict[str, int] = {}
        for line_number, row in _read_manifest(manifest):
            scene_id = _scene_id(row, f"{manifest}:{line_number}")
            if scene_id in seen:
                raise InputError(
                    f"{manifest}:{line_number}", "scene_id", "each scene listed once per split",
                    f"{scene_id!r} again (first on line {seen[scene_id]})",
                )  # fmt: skip
            seen[scene_id] = line_number
            try:
                cases.append(
                    _read_case(root, split, row, (manifest, line_number), scenes, world_specs)
                )
            except InputError as error:
                failures.append((f"{split}/{scene_id}", str(error)))
    return cases, failures


def _read_manifest(manifest: Path) -> list[tuple[int, dict]]:
    rows = []
    text = read_text(manifest, "run_manifest")
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{manifest}:{line_number}", "row", "one JSON object per line", str(error)
            ) from error
        if not isinstance(row, dict):
            raise InputError(
                f"{manifest}:{line_number}", "row", "a JSON object", type(row).__name__
            )
        rows.append((line_number, row))
    if not rows:
        raise InputError(
            manifest, "run_manifest", "at least one row (a JSON object per line)",
            "an empty file" if not text.strip() else "only blank lines",
        )  # fmt: skip
    return rows


def _scene_id(row: dict, where: str) -> str:
    """The row's ``scene_id``, else the stem of its ``camera_path``: a folder-safe name."""
    scene_id = row.get("scene_id") or (
        Path(row["camera_path"]).stem if isinstance(row.get("camera_path"), str) else None
    )
    if not isinstance(scene_id, str) or not SCENE_ID.fullmatch(scene_id):
        raise InputError(
            where, "scene_id", "a scene id of letters, digits, '_', '-', '.' (or a camera_path)",
            repr(scene_id),
        )  # fmt: skip
    return scene_id


def _read_case(
    root: Path,
    split: str,
    row: dict,
    line: tuple[Path, int],
    scenes: dict[str, dict] | InputError,
    world_specs: dict[str, WorldSpec],
) -> Case:
    manifest, line_number = line
    where = f"{manifest}:{line_number}"
    for key in ("image_path", "camera_path"):
        if not isinstance(row.get(key), str) or not row[key]:
            raise InputError(where, key, "a dataset-relative path", repr(row.get(key)))
    scene_id = _scene_id(row, where)
    image_path = root / row["image_path"]
    if not image_path.is_file():
        raise InputError(where, "image_path", "an existing image", str(image_path))
    try:
        with Image.open(image_path) as image:
            image_size = image.size
    except OSError as error:  # unreadable, not an image, permission denied
        raise InputError(image_path, "image", "a readable image file", str(error)) from error
    trajectory = read_camera_npz(root / row["camera_path"], image_size)
    category = scene_id.rsplit("_", 1)[0] if "_" in scene_id else ""
    if isinstance(scenes, InputError):
        raise scenes
    scene = scenes.get(scene_id, {})
    scenes_path = manifest.parents[1] / SCENES_FILE
    return Case(
        id=f"{split}/{scene_id}",
        image_path=image_path,
        prompt=_prompt(row, where, scene.get("prompt"), scenes_path),
        trajectory=trajectory,
        split=split,
        category=category,
        world=world_specs.get(scene_id),
        evaluation_pairs=read_evaluation_pairs(
            scene.get("evaluation_pairs"), f"{scenes_path} (scene {scene_id})"
        ),
    )


def read_evaluation_pairs(raw: object, where: str) -> tuple[EvaluationPair, ...]:
    """A scene's ``evaluation_pairs`` as typed pairs: dicts with ``frame_a``, ``frame_b`` and
    optionally ``quality_score``, ``distance_m``, ``angle_diff_deg`` (NVlabs/Sana's
    ``eval_unified.py`` reads these), or ``[frame_a, frame_b]``; none when absent or empty.
    Malformed pairs are an InputError naming ``where`` and the pair."""
    if not raw:
        return ()
    if not isinstance(raw, list):
        raise InputError(where, "evaluation_pairs", "a list of pairs", type(raw).__name__)
    pairs = []
    for number, item in enumerate(raw):
        entry = item
        if isinstance(item, list | tuple) and len(item) == 2:
            entry = {"frame_a": item[0], "frame_b": item[1]}
        frames = (entry.get("frame_a"), entry.get("frame_b")) if isinstance(entry, dict) else ()
        if not (len(frames) == 2 and all(isinstance(f, int) and f >= 0 for f in frames)):
            raise InputError(where, f"evaluation_pairs[{number}]", "frame_a, frame_b: frames >= 0",
                             repr(item))  # fmt: skip
        numbers = {}
        for key in PAIR_NUMBERS:
            value = entry.get(key)
            if value is not None and not isinstance(value, int | float):
                raise InputError(where, f"evaluation_pairs[{number}].{key}", "a number",
                                 repr(value))  # fmt: skip
            numbers[key] = None if value is None else float(value)
        pairs.append(EvaluationPair(*frames, **numbers))
    return tuple(pairs)


def _prompt(row: dict, where: str, scene_prompt: object, scenes_path: Path) -> str:
    """The row's prompt, else the split's ``scene_trajectories_v2.json`` entry; UTF-8 text. A
    scene that neither gives is an InputError naming both files."""
    prompt = row.get("prompt") or scene_prompt
    if prompt is None or prompt == "":
        raise InputError(
            f"{where} and {scenes_path}", "prompt",
            "a non-empty prompt in the manifest row or the scene's entry", "neither has one",
        )  # fmt: skip
    if not isinstance(prompt, str):
        raise InputError(where, "prompt", "a string", type(prompt).__name__)
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputError(where, "prompt", "text encodable as UTF-8", str(error)) from error
    return prompt


def read_camera_npz(path: Path, image_size: tuple[int, int]) -> Trajectory:
    """A trajectory from an npz with ``c2w``, ``intrinsics``, ``fps`` and ``num_frames``."""
    if not path.is_file():
        raise InputError(path, "camera_path", "an existing .npz file", "no file")
    data = load_npz(path)
    missing = [key for key in REQUIRED_NPZ_KEYS if key not in data]
    if missing:
        raise InputError(
            path, ", ".join(missing), f"keys {list(REQUIRED_NPZ_KEYS)}", f"keys {sorted(data)}"
        )
    c2w, intrinsics = (_numeric(data, key, path) for key in ("c2w", "intrinsics"))
    fps = float(_scalar(data, "fps", path))
    num_frames = _scalar(data, "num_frames", path)
    if num_frames != int(num_frames) or num_frames < 1:
        raise InputError(path, "num_frames", "a positive integer", repr(num_frames))
    if c2w.shape[:1] != (int(num_frames),):
        raise InputError(path, "c2w", f"{int(num_frames)} poses (num_frames)", f"shape {c2w.shape}")
    return Trajectory(c2w, intrinsics, image_size, fps, source=str(path))


def _numeric(data: dict[str, np.ndarray], key: str, path: Path) -> np.ndarray:
    array = data[key]
    if not (np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)):
        raise InputError(path, key, "a real-valued numeric array", f"dtype {array.dtype}")
    return array.astype(np.float64)


def _scalar(data: dict[str, np.ndarray], key: str, path: Path) -> float:
    array = _numeric(data, key, path)
    if array.size != 1 or not np.isfinite(array).all():
        raise InputError(
            path, key, "one finite number", f"shape {array.shape}: {array.ravel()[:3]}"
        )
    return float(array.ravel()[0])


def _read_scenes(path: Path) -> dict[str, dict]:
    """Scene entries by scene id from ``scene_trajectories_v2.json``: the benchmark's
    ``{"scenes": [...]}`` (each with ``scene_id`` and optionally ``prompt`` and
    ``evaluation_pairs``: dicts with ``frame_a``, ``frame_b`` at 16 fps, as NVlabs/Sana's
    ``eval_unified.py`` reads them), or a list or dict of entries."""
    if not path.is_file():
        return {}
    data = read_json(path, "scene_trajectories", "scene entries (an object or a list)")
    if isinstance(data, dict) and isinstance(data.get("scenes"), list):
        data = data["scenes"]
    if not isinstance(data, dict | list):
        raise InputError(path, "<top level>", "an object or a list of scenes", type(data).__name__)
    entries = data.values() if isinstance(data, dict) else data
    return {
        str(entry["scene_id"]): entry
        for entry in entries
        if isinstance(entry, dict) and "scene_id" in entry
    }


def _read_world_specs(root: Path) -> dict[str, WorldSpec]:
    """Scene id -> world spec of the synthetic mirror (every case of it needs its world)."""
    path = root / WORLD_SPECS
    if not path.is_file():
        return {}
    specs = read_json(path, "synthetic_worlds", "an object of scene id -> world spec")
    if not isinstance(specs, dict):
        raise InputError(path, "<top level>", "an object of scene id -> world spec",
                         type(specs).__name__)  # fmt: skip
    for scene_id, spec in specs.items():
        if not isinstance(spec, dict):
            raise InputError(path, scene_id, "a world spec (a JSON object)", type(spec).__name__)
    return {scene_id: WorldSpec.of(spec) for scene_id, spec in specs.items()}
