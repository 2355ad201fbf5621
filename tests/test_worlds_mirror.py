"""The embedded mirror: the SANA-WM-Bench layout, both splits, readable, deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wmbench.data.sanawm_bench import SPLIT_DIRS, is_synthetic_mirror, read_benchmark
from wmbench.worlds.layout import KINDS
from wmbench.worlds.mirror import write_mirror
from wmbench.worlds.scene import world_from_spec
from wmbench.worlds.trajectories import FAMILIES

FRAMES, WIDTH, HEIGHT = 17, 96, 54


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Path:
    return write_mirror(
        tmp_path_factory.mktemp("mirror"),
        scenes_per_category=1,
        seed=3,
        num_frames=FRAMES,
        width=WIDTH,
        height=HEIGHT,
    )


def test_layout_matches_sana_wm_bench(mirror):
    scenes = (mirror / "scene_set" / "kept_scenes.txt").read_text().split()
    assert scenes == [f"{kind}_001" for kind in KINDS]
    assert is_synthetic_mirror(mirror)
    assert set(json.loads((mirror / "scene_set" / "synthetic_worlds.json").read_text())) == set(
        scenes
    )
    for split_dir in SPLIT_DIRS.values():
        export = mirror / split_dir / "sanawm_export_v2"
        rows = [
            json.loads(line) for line in (export / "run_manifest.jsonl").read_text().splitlines()
        ]
        assert [row["scene_id"] for row in rows] == scenes
        for row in rows:
            assert row["prompt"] and (mirror / row["image_path"]).is_file()
            with np.load(mirror / row["camera_path"]) as data:
                assert data["c2w"].shape == (FRAMES, 4, 4)
                assert data["intrinsics"].shape == (FRAMES, 3, 3)
                assert float(data["fps"]) == 16.0 and int(data["num_frames"]) == FRAMES
                assert data["intrinsics"][0, 0, 2] == pytest.approx((WIDTH - 1) / 2)
        listed = json.loads((mirror / split_dir / "scene_trajectories_v2.json").read_text())
        assert [entry["scene_id"] for entry in listed["scenes"]] == scenes


def test_mirror_reads_back_as_synthetic_cases(mirror):
    cases, failures = read_benchmark(mirror)
    assert failures == [] and len(cases) == 2 * len(KINDS)
    by_split = {
        split: {c.id.split("/")[1]: c for c in cases if c.split == split} for split in SPLIT_DIRS
    }
    variants = set()
    for scene_id, smooth in by_split["simple_60s"].items():
        hard = by_split["hard_60s"][scene_id]
        assert smooth.world == hard.world is not None
        np.testing.assert_allclose(smooth.trajectory.c2w[0], hard.trajectory.c2w[0], atol=1e-12)
        assert smooth.trajectory.image_size == (WIDTH, HEIGHT)
        assert smooth.category == scene_id.rsplit("_", 1)[0]
        listed = json.loads(
            (mirror / SPLIT_DIRS["simple_60s"] / "scene_trajectories_v2.json").read_text()
        )["scenes"]
        variants |= {entry["variant"] for entry in listed if entry["scene_id"] == scene_id}
    assert variants <= set(FAMILIES["return"])  # every category's first scene comes back
    case = by_split["simple_60s"]["garden_001"]
    world = world_from_spec(case.world.as_dict())
    rgb, _ = world.render(case.trajectory.c2w[0], case.trajectory.intrinsics[0], WIDTH, HEIGHT)
    assert np.array_equal(np.asarray(Image.open(case.image_path)), rgb)


def test_mirror_is_deterministic(mirror, tmp_path):
    again = write_mirror(
        tmp_path, scenes_per_category=1, seed=3, num_frames=FRAMES, width=WIDTH, height=HEIGHT
    )
    files = sorted(p.relative_to(mirror) for p in mirror.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in files:
        assert (mirror / name).read_bytes() == (again / name).read_bytes(), name


def test_returning_scenes_list_sana_wm_bench_evaluation_pairs(tmp_path):
    """161-frame paths: each category's first scene returns to its start, and its revisit
    pairs reach the Case as SANA-WM-Bench lists them (frame_a < frame_b, up to 5)."""
    root = write_mirror(tmp_path, scenes_per_category=1, num_frames=161, width=WIDTH,
                        height=HEIGHT)  # fmt: skip
    cases, failures = read_benchmark(root)
    assert failures == []
    for case in cases:
        pairs = case.evaluation_pairs
        assert 1 <= len(pairs) <= 5, case.id
        for pair in pairs:
            assert None not in (pair.distance_m, pair.angle_diff_deg, pair.quality_score)
            assert 0 <= pair.frame_a < pair.frame_b < 161
            assert pair.distance_m <= 0.3 and pair.angle_diff_deg <= 20.0
            a, b = case.trajectory.c2w[pair.frame_a], case.trajectory.c2w[pair.frame_b]
            assert np.linalg.norm(a[:3, 3] - b[:3, 3]) == pytest.approx(pair.distance_m, abs=1e-4)
