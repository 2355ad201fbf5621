"""The ``long_form`` suite: 10-minute paths of the ``long_return`` family that come back to
earlier viewpoints minutes later, on the synthetic mirror; the suite loads and runs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from wmbench.api import load_suite
from wmbench.cli import main
from wmbench.core.errors import InputError
from wmbench.data.suites import Overrides, read_suite_file
from wmbench.worlds.layout import world_spec
from wmbench.worlds.revisit_pairs import PAIR_ANGLE_DEG, PAIR_DISTANCE_M
from wmbench.worlds.scene import World
from wmbench.worlds.trajectories import make_trajectory

FRAMES, FPS = 9601, 16.0  # 600 s


def _offsets(c2w: np.ndarray, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) and rotation angle (deg) of every pose from pose ``index``."""
    distance = np.linalg.norm(c2w[:, :3, 3] - c2w[index, :3, 3], axis=1)
    cosine = (np.einsum("nij,ij->n", c2w[:, :3, :3], c2w[index, :3, :3]) - 1) / 2
    return distance, np.degrees(np.arccos(np.clip(cosine, -1, 1)))


def _longest_absence_s(c2w: np.ndarray, index: int, until: int) -> float:
    """The longest time between ``index`` and ``until`` with no pose within the revisit limits
    of pose ``index``."""
    distance, angle = _offsets(c2w, index)
    near = np.flatnonzero((distance <= PAIR_DISTANCE_M) & (angle <= PAIR_ANGLE_DEG))
    near = near[(near >= index) & (near <= until)]
    return float(np.diff(near).max()) / FPS


@pytest.mark.parametrize("kind", ["room", "plaza"])
def test_away_and_back_returns_to_each_viewpoint_after_minutes_away(kind):
    world = World(world_spec(1, kind))
    c2w = make_trajectory(world, "long_return", FRAMES, FPS, seed=5, variant="away_and_back").c2w
    assert len(c2w) == FRAMES and np.array_equal(c2w[-1], c2w[0])
    for index in (480, 960, 2400):  # 30 s, 1 min, 2.5 min in
        back = FRAMES - 1 - index  # the same viewpoint on the way back
        distance, angle = _offsets(c2w, index)
        assert distance[back] < 1e-9 and angle[back] < 1e-5
        assert (back - index) / FPS >= 300  # five minutes later at least
        assert _longest_absence_s(c2w, index, back) >= 90  # and out of sight for minutes


def test_long_shuttle_returns_to_the_start_every_trip():
    world = World(world_spec(2, "garden"))
    c2w = make_trajectory(world, "long_return", FRAMES, FPS, seed=5, variant="long_shuttle").c2w
    trip = (FRAMES - 1) // 4  # 150 s trips
    for start in (0, 480, 1000):
        for later in range(start + trip, FRAMES, trip):
            distance, angle = _offsets(c2w, start)
            assert distance[later] < 1e-9 and angle[later] < 1e-5
        assert _longest_absence_s(c2w, start, start + trip) >= 60


def test_long_form_suite_loads_and_runs_a_short_override(tmp_path):
    suite = load_suite("long_form")
    assert "MIRROR" in suite.data_label and suite.frames == FRAMES and suite.fps == FPS
    assert [case.id for case in suite.cases] == [
        f"long_600s/{kind}_001" for kind in ("room", "gallery", "plaza", "garden")
    ]
    for case in suite.cases:
        assert len(case.trajectory) == FRAMES
        pairs = case.evaluation_pairs
        assert max(p.frame_b - p.frame_a for p in pairs) / FPS >= 120, case.id
        for pair in pairs:
            distance, angle = _offsets(case.trajectory.c2w, pair.frame_a)
            assert distance[pair.frame_b] == pytest.approx(pair.distance_m, abs=1e-4)
    out = tmp_path / "run"
    args = [
        "run",
        "--suite",
        "long_form",
        "--frames",
        "9",
        "--resolution",
        "64x36",
        "--model",
        "oracle",
        "--evaluators",
        "flicker,reference,revisit",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 4 and set(results["status"]) == {"ok"}
    assert json.loads((out / "run.json").read_text())["resolved"]["frames"] == 9


def test_an_unknown_mirror_plan_is_named(tmp_path):
    path = tmp_path / "weekly.yaml"
    text = read_suite_file("long_form").path.read_text().replace("plan: long_form", "plan: weekly")
    path.write_text(text)
    with pytest.raises(InputError, match="data.mirror.plan") as error:
        load_suite(str(path), Overrides())
    assert "long_form" in str(error.value) and "weekly" in str(error.value)
