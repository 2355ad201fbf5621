"""The sana-wm adapter: options, the crop's intrinsics, and tiny end-to-end generation on a CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from reference_model import framing  # noqa: E402
from reference_model.adapter import SanaWMAdapter  # noqa: E402
from wmbench.core.errors import InputError, ModelUnavailable  # noqa: E402
from wmbench.core.types import Case, Trajectory  # noqa: E402
from wmbench.models.base import GenerationRequest, ModelAdapter  # noqa: E402

STEPS = "3"


def _request(size: tuple[int, int], frames: int, seed: int = 0) -> GenerationRequest:
    width, height = size
    c2w = np.tile(np.eye(4), (frames, 1, 1))
    c2w[:, 2, 3] = np.linspace(0.0, 0.5, frames)
    intrinsics = np.array(
        [[0.8 * width, 0, (width - 1) / 2], [0, 0.8 * width, (height - 1) / 2], [0, 0, 1]]
    )
    trajectory = Trajectory(c2w, intrinsics, size, fps=16.0)
    case = Case("case", Path("first.png"), "a red house by a lake", trajectory, "test")
    rows = np.linspace(0, 255, height, dtype=np.uint8)[:, None, None]
    image = np.broadcast_to(rows, (height, width, 3)).copy()
    return GenerationRequest(case, image, trajectory, frames, size, 16.0, seed)


@pytest.fixture(scope="module")
def tiny() -> SanaWMAdapter:
    return SanaWMAdapter(preset="tiny", steps=STEPS, device="cpu")


def test_options_are_typed_and_checked() -> None:
    model = SanaWMAdapter(preset="tiny", steps="7", guidance="2.5", refine="yes", device="cpu")
    assert isinstance(model, ModelAdapter)
    assert (model.steps, model.guidance, model.refine) == (7, 2.5, True)
    assert model.config()["dtype"] == "float32"
    with pytest.raises(InputError, match="colour"):
        SanaWMAdapter(preset="tiny", colour="red")
    with pytest.raises(InputError, match="streaming"):
        SanaWMAdapter(preset="tiny", mode="chunk-causal")
    with pytest.raises(InputError, match="preset"):
        SanaWMAdapter(preset="huge")
    with pytest.raises(InputError, match="steps"):
        SanaWMAdapter(preset="tiny", steps="many")
    with pytest.raises(InputError, match="gdn"):
        SanaWMAdapter(preset="tiny", gdn="fla")


def test_triton_gdn_needs_cuda() -> None:
    with pytest.raises(ModelUnavailable, match="triton"):
        SanaWMAdapter(preset="tiny", gdn="triton", device="cpu").check_available()


def test_intrinsics_follow_the_crop_to_the_release_resolution() -> None:
    # 640x360 -> cover 1280x704: scale 2 to 1280x720, crop 8 rows at the top. With pixel centres
    # at integers, c' = (c + 0.5) * 2 - 0.5 - crop.
    request = _request((640, 360), frames=5)
    k = np.array([[500.0, 0, 319.5], [0, 500.0, 179.5], [0, 0, 1]])
    trajectory = Trajectory(request.trajectory.c2w, k, (640, 360), 16.0)
    image, fitted = framing.to_model(request.image, trajectory, (1280, 704), num_frames=9)
    assert image.shape == (704, 1280, 3)
    expected = np.array([[1000.0, 0, 639.5], [0, 1000.0, 351.5], [0, 0, 1]])
    np.testing.assert_allclose(fitted.intrinsics, np.broadcast_to(expected, (9, 3, 3)))
    assert fitted.image_size == (1280, 704)
    np.testing.assert_array_equal(fitted.c2w[5:], np.repeat(trajectory.c2w[-1:], 4, axis=0))


def test_frames_return_onto_the_request_grid() -> None:
    # A frame made at the model's size for a 640x360 request maps back by the inverse crop: the
    # request image fitted and returned is the request image, black where the crop cut.
    size = (640, 360)
    x, y = np.meshgrid(np.linspace(0, 255, size[0]), np.linspace(0, 255, size[1]))
    image = np.round(np.stack([x, y, (x + y) / 2], axis=-1)).astype(np.uint8)
    fitted = framing.to_model(image, _request(size, 1).trajectory, (1280, 704), 1)[0]
    back = framing.to_request(fitted[None], (1280, 704), size)[0]
    inside = back[5:-5, 1:-1].astype(int) - image[5:-5, 1:-1]
    assert np.abs(inside).max() <= 1
    assert back[:3].max() == 0 and back[-3:].max() == 0


def test_model_frame_counts_cover_the_request() -> None:
    assert [framing.model_frame_count(n, 8) for n in (1, 9, 10, 17, 961)] == [1, 9, 17, 17, 961]


def test_pipeline_receives_the_fitted_cameras(
    tiny: SanaWMAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = _request((96, 64), frames=10)
    pipe = tiny._pipeline()
    seen = {}
    call = type(pipe).__call__

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return call(self, *args, **kwargs)

    monkeypatch.setattr(type(pipe), "__call__", spy)
    tiny.generate(request)
    expected = request.trajectory.fitted(128, 64)
    assert seen["num_frames"] == 17 and (seen["width"], seen["height"]) == (128, 64)
    np.testing.assert_allclose(seen["intrinsics"][:10], expected.intrinsics)
    np.testing.assert_allclose(seen["intrinsics"][10:], np.repeat(expected.intrinsics[-1:], 7, 0))
    np.testing.assert_allclose(seen["c2w"][:10], request.trajectory.c2w)
    assert seen["image"].size == (128, 64)


def test_tiny_generates_the_requested_video(tiny: SanaWMAdapter) -> None:
    request = _request((96, 64), frames=10)
    generation = tiny.generate(request)
    assert generation.video.frames.shape == (10, 64, 96, 3)
    assert generation.video.frames.dtype == np.uint8 and generation.video.fps == 16.0
    assert set(generation.stage_seconds) == {"text_encode", "image_encode", "denoise", "decode"}
    assert all(seconds > 0 for seconds in generation.stage_seconds.values())
    info = generation.info
    assert (info["steps"], info["seed"], info["preset"], info["gdn"]) == (3, 0, "tiny", "torch")
    assert info["mode"] == "bidirectional" and info["model_frames"] == 17
    again = tiny.generate(request)
    np.testing.assert_array_equal(again.video.frames, generation.video.frames)
    other_seed = tiny.generate(_request((96, 64), frames=10, seed=1))
    assert not np.array_equal(other_seed.video.frames, generation.video.frames)


def test_tiny_refines_with_the_stage2_refiner() -> None:
    model = SanaWMAdapter(preset="tiny", steps="2", refine="true", device="cpu")
    generation = model.generate(_request((128, 64), frames=9))
    assert generation.video.frames.shape == (9, 64, 128, 3)
    assert generation.stage_seconds["refine"] > 0
    assert generation.info["refine"] is True


@pytest.mark.gpu
def test_tiny_runs_on_cuda_with_the_triton_gdn() -> None:
    request = _request((96, 64), frames=10)
    fast = SanaWMAdapter(preset="tiny", steps=STEPS, device="cuda", gdn="triton", dtype="float32")
    fast.check_available()
    reference = SanaWMAdapter(preset="tiny", steps=STEPS, device="cuda", dtype="float32")
    frames = fast.generate(request).video.frames.astype(int)
    difference = np.abs(frames - reference.generate(request).video.frames).max()
    print(f"tiny pipeline on CUDA, Triton vs torch GDN: max pixel difference {difference}")
    assert frames.shape == (10, 64, 96, 3) and difference <= 2


def test_trained_weights_change_the_cache_key(tmp_path: Path) -> None:
    """A tiny DiT exported by training is part of the config, so runs do not reuse random-init
    results."""
    from safetensors.torch import save_file

    from reference_model.loading import DIT_FILE, PRESET_METADATA_KEY
    from reference_model.presets import PRESETS

    random_init = SanaWMAdapter(preset="tiny", checkpoint=str(tmp_path)).config()
    state = PRESETS["tiny"].build_transformer().state_dict()
    (tmp_path / DIT_FILE).parent.mkdir(parents=True)
    save_file(
        {k: v.contiguous() for k, v in state.items()},
        str(tmp_path / DIT_FILE),
        metadata={PRESET_METADATA_KEY: "tiny"},
    )
    trained = SanaWMAdapter(preset="tiny", checkpoint=str(tmp_path)).config()
    assert "random_init_seed" in random_init and "checkpoint" not in random_init
    assert trained["checkpoint"] == str(tmp_path) and trained["dit_file"]["bytes"] > 0


@pytest.mark.parametrize("quant", ["nvfp4-weight", "nvfp4"])
def test_nvfp4_runs_and_is_recorded(tiny: SanaWMAdapter, quant: str) -> None:
    from reference_model.nvfp4.linear import NVFP4Linear

    adapter = SanaWMAdapter(preset="tiny", steps=STEPS, device="cpu", quant=quant)
    assert adapter.config()["quant"] == quant and tiny.config()["quant"] == "none"
    request = _request((96, 64), frames=10)
    generation = adapter.generate(request)
    record = generation.info["quantization"]
    assert record["activations"] == ("nvfp4" if quant == "nvfp4" else "unquantized")
    assert record["layers_quantized"] > 0 and record["weight_bytes_ratio_vs_bf16"] < 0.3
    assert record["path"].startswith("emulated")
    layers = [m for m in adapter._pipeline().transformer.modules() if isinstance(m, NVFP4Linear)]
    assert len(layers) == record["layers_quantized"]
    reference = tiny.generate(request).video.frames.astype(float)
    assert not np.array_equal(generation.video.frames, reference)  # the quantization took effect
