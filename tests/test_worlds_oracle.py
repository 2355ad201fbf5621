"""The oracle adapters: exact renders with depth, a recorded perturbation, strict options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wmbench.core.errors import InputError
from wmbench.core.types import Case, WorldSpec
from wmbench.models.base import GenerationRequest, ModelAdapter
from wmbench.models.oracle import OracleModel, PerturbedOracleModel, world_of
from wmbench.worlds.cases import ground_truth_video
from wmbench.worlds.layout import world_spec
from wmbench.worlds.scene import World
from wmbench.worlds.trajectories import make_trajectory

WIDTH, HEIGHT, FRAMES = 64, 36, 6


@pytest.fixture(scope="module")
def spec() -> dict:
    spec = world_spec(2, "room")
    spec["primitives"] = spec["primitives"][:1]  # the bare room: quick to texture
    return spec


def request_for(spec: dict | None, num_frames: int = FRAMES) -> GenerationRequest:
    world = World(spec or world_spec(2, "room"))
    trajectory = make_trajectory(world, "hard", num_frames=9, seed=1, width=WIDTH, height=HEIGHT)
    case = Case(
        id="hard_60s/room_001",
        image_path=Path("room_001.png"),
        prompt="a room",
        trajectory=trajectory,
        split="hard_60s",
        world=WorldSpec.of(spec) if spec else None,
    )
    return GenerationRequest(
        case=case,
        image=np.zeros((HEIGHT, WIDTH, 3), np.uint8),
        trajectory=trajectory.head(num_frames),
        num_frames=num_frames,
        resolution=(WIDTH, HEIGHT),
        fps=16.0,
        seed=0,
    )


def test_oracle_renders_the_case_world_with_exact_depth(spec):
    model = OracleModel()
    assert isinstance(model, ModelAdapter)
    model.check_available()
    request = request_for(spec)
    generation = model.generate(request)
    assert generation.video.shape == (FRAMES, HEIGHT, WIDTH, 3)
    assert generation.depth.shape == (FRAMES, HEIGHT, WIDTH)
    assert generation.depth.dtype == np.float32 and (generation.depth[:] > 0).all()
    assert generation.stage_seconds["render"] > 0 and generation.video.fps == 16.0
    rgb, depth = World(spec).render(
        request.trajectory.c2w[3], request.trajectory.intrinsics[3], WIDTH, HEIGHT
    )
    assert np.array_equal(generation.video[3], rgb)
    assert np.array_equal(generation.depth[3], depth)


def test_perturbed_oracle_converts_string_options_and_records_them(spec):
    request = request_for(spec)
    exact = OracleModel().generate(request)
    model = PerturbedOracleModel(
        rotation_drift_deg="8", translation_drift_m="0.2", mode="offset", axis="1,0,0"
    )
    generation = model.generate(request)
    perturbation = generation.info["perturbation"]
    assert perturbation == {
        "rotation_drift_deg": 8.0,
        "translation_drift_m": 0.2,
        "mode": "offset",
        "axis": [1.0, 0.0, 0.0],
        "direction": [1.0, 0.0, 0.0],
    }
    assert model.config() == {"perturbation": perturbation}
    assert np.array_equal(generation.video[0], exact.video[0])
    assert not np.array_equal(generation.video[1:], exact.video[1:])


@pytest.mark.parametrize(
    ("model", "options", "field"),
    [
        (OracleModel, {"steps": "4"}, "steps"),
        (PerturbedOracleModel, {"rotation_drift": "5"}, "rotation_drift"),
        (PerturbedOracleModel, {"mode": "wobble"}, "mode"),
        (PerturbedOracleModel, {"axis": "0,0,0"}, "axis"),
        (PerturbedOracleModel, {"rotation_drift_deg": "lots"}, "rotation_drift_deg"),
    ],
    ids=["oracle-unknown", "perturbed-unknown", "bad-mode", "zero-axis", "not-a-number"],
)
def test_bad_options_are_input_errors(model, options, field):
    with pytest.raises(InputError) as error:
        model(**options)
    assert error.value.field == field


def test_non_synthetic_cases_are_refused():
    request = request_for(None)
    with pytest.raises(InputError) as error:
        OracleModel().generate(request)
    assert error.value.source == "hard_60s/room_001" and "world" in error.value.field
    with pytest.raises(InputError):
        world_of(request.case)


def test_only_the_exact_oracle_declares_its_video_the_ground_truth(spec):
    """The harness reuses such a video as the reference instead of rendering it again, so it
    must equal that render bit for bit; a perturbed oracle renders another path."""
    from wmbench.harness.runner import _reference

    request = request_for(spec)
    exact = OracleModel().generate(request)
    assert exact.is_ground_truth
    again = ground_truth_video(request.case, request.trajectory, request.fps)
    assert np.array_equal(exact.video[:], again[:]) and exact.video.fps == again.fps
    assert _reference(request.case, request, exact) is exact.video
    perturbed = PerturbedOracleModel(rotation_drift_deg=5.0).generate(request)
    assert not perturbed.is_ground_truth
    reference = _reference(request.case, request, perturbed)
    assert np.array_equal(reference[:], again[:])
