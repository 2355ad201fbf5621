"""The learned evaluators ``subject_consistency`` (DINO) and ``lpips`` (AlexNet): weights from the
local store only, known answers, and a run through the harness.

The weights placed in the store are random (the real files cannot be downloaded here) but have
the real files' names, keys and shapes: a ViT with facebookresearch/dino's parameter names,
made small, and torchvision's AlexNet."""

import json
from pathlib import Path

import lpips
import numpy as np
import pandas as pd
import pytest
import torch
import torchvision
import yaml
from PIL import Image
from timm.models.vision_transformer import VisionTransformer
from torchvision import transforms

from tests.test_quality_evaluators import out_and_back
from tests.test_quality_metrics import TEXTURE, panning
from wmbench.cli import main
from wmbench.core.errors import InputError, MissingWeightsError
from wmbench.data.sanawm_bench import read_evaluation_pairs
from wmbench.evaluators import lpips_distance, subject_consistency
from wmbench.evaluators.lpips_distance import LpipsDistance, lpips_inputs, lpips_pairs
from wmbench.evaluators.subject_consistency import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    DinoViT,
    SubjectConsistency,
    dino_inputs,
    dino_position_embedding,
    vbench_similarities,
)
from wmbench.studies import degrade
from wmbench.studies.validate_quality import eval_input, oracle_clips

REPO = Path(__file__).resolve().parents[1]
TINY_VIT = {"patch_size": 16, "embed_dim": 64, "depth": 2, "num_heads": 4}
DINO_FILE = Path("dino-vitb16/dino_vitbase16_pretrain.pth")
ALEXNET_FILE = Path("alexnet/alexnet-owt-7be5be79.pth")


def dino_shapes(dim: int, depth: int) -> dict[str, tuple[int, ...]]:
    """Names and shapes of facebookresearch/dino's ViT-*/16 checkpoints at 224 px, written from
    its vision_transformer.py (patch_embed.proj, cls_token, pos_embed, blocks, norm; no head)."""
    shapes = {
        "cls_token": (1, 1, dim),
        "pos_embed": (1, 14 * 14 + 1, dim),
        "patch_embed.proj.weight": (dim, 3, 16, 16),
        "patch_embed.proj.bias": (dim,),
        "norm.weight": (dim,),
        "norm.bias": (dim,),
    }
    layers = (("attn.qkv", 3 * dim, dim), ("attn.proj", dim, dim),
              ("mlp.fc1", 4 * dim, dim), ("mlp.fc2", dim, 4 * dim))  # fmt: skip
    for block in range(depth):
        for name, out, inp in layers:
            shapes |= {
                f"blocks.{block}.{name}.weight": (out, inp),
                f"blocks.{block}.{name}.bias": (out,),
            }
        for norm in ("norm1", "norm2"):
            shapes |= {
                f"blocks.{block}.{norm}.weight": (dim,),
                f"blocks.{block}.{norm}.bias": (dim,),
            }
    return shapes


def random_dino(dim: int = 64, depth: int = 2) -> dict[str, torch.Tensor]:
    """A random state dict with DINO's names (LayerNorm gains near 1)."""
    generator = torch.Generator().manual_seed(0)
    state = {}
    for name, shape in dino_shapes(dim, depth).items():
        gain = 1.0 if name.endswith("norm1.weight") or name.endswith("norm2.weight") else 0.0
        state[name] = gain + 0.1 * torch.randn(shape, generator=generator)
    return state


def random_alexnet() -> dict[str, torch.Tensor]:
    """torchvision's AlexNet state dict (features and classifier), randomly initialised."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return torchvision.models.alexnet(weights=None).state_dict()


def place(store: Path, file: Path, state: dict[str, torch.Tensor]) -> Path:
    path = store / file
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("weights")
    place(store, DINO_FILE, random_dino())
    place(store, ALEXNET_FILE, random_alexnet())
    return store


@pytest.fixture
def present(filled_store, monkeypatch) -> Path:
    """The filled store as $WMBENCH_WEIGHTS, the DINO architecture made tiny."""
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(filled_store))
    monkeypatch.setattr(subject_consistency, "ARCHITECTURE", TINY_VIT)
    return filled_store


@pytest.fixture(scope="module")
def oracle_clip():
    [clip] = oracle_clips((0,), 33, (128, 72), 16.0)
    return clip


# --- the weight store ------------------------------------------------------------------------


def test_missing_weights_name_the_exact_file(tmp_path, monkeypatch):
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path))
    inputs = eval_input(panning(3, (1, 0)), out_and_back(3))
    for evaluator, file in ((SubjectConsistency(), DINO_FILE), (LpipsDistance(), ALEXNET_FILE)):
        for call in (evaluator.check_available, lambda e=evaluator: e.evaluate(inputs)):
            with pytest.raises(MissingWeightsError) as error:
                call()
            assert str(tmp_path / file) in str(error.value)


def test_the_dino_checkpoint_keys_fit_the_vit_b_exactly():
    with torch.device("meta"):
        model = DinoViT(**subject_consistency.ARCHITECTURE)
    shapes = {name: tuple(value.shape) for name, value in model.state_dict().items()}
    assert shapes == dino_shapes(768, 12)


def test_a_state_dict_with_other_keys_is_refused_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setattr(subject_consistency, "ARCHITECTURE", TINY_VIT)
    inputs = eval_input(panning(3, (1, 0)), out_and_back(3))
    dino = place(tmp_path, DINO_FILE, {f"module.{k}": v for k, v in random_dino().items()})
    with pytest.raises(InputError, match=r"missing keys \(blocks\.0\.attn\.proj\.bias") as error:
        SubjectConsistency().evaluate(inputs)
    message = str(error.value)
    assert str(dino) in message and "unexpected keys (module.blocks.0.attn.proj.bias" in message
    renamed = {k.replace("features", "trunk"): v for k, v in random_alexnet().items()}
    alexnet = place(tmp_path, ALEXNET_FILE, renamed)
    with pytest.raises(InputError, match=r"10 missing keys \(0\.bias, 0\.weight") as error:
        LpipsDistance().evaluate(inputs)
    assert str(alexnet) in str(error.value)


def test_a_state_dict_of_another_size_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setattr(subject_consistency, "ARCHITECTURE", TINY_VIT)
    place(tmp_path, DINO_FILE, random_dino(dim=32))
    with pytest.raises(InputError, match=r"wrong shapes \(blocks\.0\.attn\.proj\.bias \(32,\)"):
        SubjectConsistency().evaluate(eval_input(panning(3, (1, 0)), out_and_back(3)))


# --- subject consistency ---------------------------------------------------------------------


def test_vbench_formula_on_known_features():
    e0, e1 = torch.eye(2)
    previous, first = vbench_similarities(torch.stack([e0, 3 * e0, e1, -e0]))
    assert previous == pytest.approx([1.0, 0.0, 0.0])  # cos(-e0, e1) = 0
    assert first == pytest.approx([1.0, 0.0, 0.0])  # cos(-e0, e0) = -1, clamped at 0


def test_the_model_is_dino_s_vit_at_224_px_and_resamples_the_grid_along_its_axes(present):
    model = subject_consistency.dino_model()
    device = next(model.parameters()).device
    timm_vit = VisionTransformer(num_classes=0, **TINY_VIT).eval().to(device)
    timm_vit.load_state_dict(random_dino())
    image = torch.randn(2, 3, 224, 224, device=device)
    torch.testing.assert_close(model(image), timm_vit(image))

    rows, cols = np.meshgrid(np.arange(14.0), np.arange(14.0), indexing="ij")
    grid = torch.tensor(np.stack([rows, cols], axis=-1).reshape(1, 196, 2), dtype=torch.float32)
    embedding = torch.cat([torch.full((1, 1, 2), -1.0), grid], dim=1)
    resampled = dino_position_embedding(embedding, 14, 24, square=False)
    assert resampled.shape == (1, 1 + 14 * 24, 2) and resampled[0, 0].tolist() == [-1.0, -1.0]
    row_channel, col_channel = resampled[0, 1:].reshape(14, 24, 2).unbind(-1)
    assert torch.allclose(row_channel, row_channel[:, :1], atol=0.05)  # constant along a row
    assert (col_channel[:, 1:] > col_channel[:, :-1]).all()  # grows along it


def test_frozen_video_is_fully_consistent_and_a_cut_is_not(present):
    steady = panning(17, (2, 0))
    other = np.ascontiguousarray(TEXTURE[::-1, ::-1, ::-1] // 2)  # another scene: darker, BGR
    cut = steady.copy()
    cut[8:] = [other[20:156, 20 + 2 * t : 260 + 2 * t] for t in range(8, 17)]
    trajectory = out_and_back(17)  # 16 fps: every other frame is used
    frozen = SubjectConsistency().evaluate(eval_input(np.repeat(steady[:1], 17, 0), trajectory))
    assert frozen.metrics["subject_consistency/vbench_8fps"] == pytest.approx(1.0, abs=1e-6)
    assert frozen.series["frame_index"].tolist() == list(range(2, 17, 2))
    smooth = SubjectConsistency().evaluate(eval_input(steady, trajectory))
    jump = SubjectConsistency().evaluate(eval_input(cut, trajectory))
    metric = "subject_consistency/vbench_8fps"
    assert jump.metrics[metric] < smooth.metrics[metric]
    drop = jump.series["frame_index"][np.argmin(jump.series["similarity_previous"])]
    assert drop == 8


def test_dino_preprocessing_equals_torchvision_on_pil_images():
    frames = panning(3, (5, 3), size=(480, 270))  # downscaled: the antialiasing matters
    reference = transforms.Compose(
        [
            transforms.Resize(224),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )
    expected = torch.stack([reference(Image.fromarray(frame)) for frame in frames])
    batched = dino_inputs(frames)
    assert batched.shape == expected.shape == (3, 3, 224, 398)
    grey_level = 1.0 / 255.0 / min(IMAGENET_STD)  # the two resizes round to 8 bits differently
    assert (batched - expected).abs().max() <= grey_level * 1.0001
    assert (batched - expected).abs().mean() <= 0.25 * grey_level


# --- LPIPS -----------------------------------------------------------------------------------


def test_lpips_uses_the_package_heads_and_the_store_s_alexnet(present):
    model = lpips_distance.lpips_model()
    heads = Path(lpips.__file__).parent / "weights" / "v0.1" / "alex.pth"
    for name, value in torch.load(heads, map_location="cpu", weights_only=True).items():
        assert torch.equal(model.state_dict()[name].cpu(), value)
    placed = torch.load(present / ALEXNET_FILE, map_location="cpu", weights_only=True)
    layers = {"slice1.0": 0, "slice2.3": 3, "slice3.6": 6, "slice4.8": 8, "slice5.10": 10}
    for name, index in layers.items():
        for kind in ("weight", "bias"):
            loaded = model.state_dict()[f"net.{name}.{kind}"].cpu()
            assert torch.equal(loaded, placed[f"features.{index}.{kind}"])


def test_lpips_is_zero_for_equal_images_and_grows_with_noise_and_blur(present):
    model = lpips_distance.lpips_model()
    frames = panning(4, (3, 1), size=(128, 72))
    full = np.ones(frames.shape[:3], dtype=bool)
    assert lpips_pairs(model, frames, frames, full) == pytest.approx(np.zeros(4), abs=1e-7)
    for defect, levels in ((degrade.noise, (2, 4, 8, 16)), (degrade.blur, (0.5, 1, 2, 3))):
        distance = [
            lpips_pairs(model, frames, defect(frames, level), full).mean() for level in levels
        ]
        assert np.all(np.diff([0.0, *distance]) > 0), defect.__name__


def test_masked_lpips_with_a_full_mask_is_lpips_and_a_mask_selects_pixels(present):
    model = lpips_distance.lpips_model()
    frames = panning(10, (3, 1), size=(128, 72))  # 10 pairs: two batches
    noisy = degrade.noise(frames, 12)
    full = np.ones(frames.shape[:3], dtype=bool)
    device = next(model.parameters()).device
    with torch.no_grad():
        expected = model(lpips_inputs(frames).to(device), lpips_inputs(noisy).to(device))
    expected = expected.flatten().double().cpu().numpy()
    np.testing.assert_allclose(lpips_pairs(model, frames, noisy, full), expected, rtol=1e-5)

    left_noisy = frames.copy()
    left_noisy[:, :, :64] = noisy[:, :, :64]
    left, right = full.copy(), full.copy()
    left[:, :, 64:], right[:, :, :64] = False, False
    assert (
        lpips_pairs(model, frames, left_noisy, left) > lpips_pairs(model, frames, left_noisy, right)
    ).all()


def test_lpips_preprocessing_equals_im2tensor():
    frames = panning(3, (5, 3), size=(64, 48))
    expected = torch.cat([lpips.im2tensor(frame) for frame in frames])
    torch.testing.assert_close(lpips_inputs(frames), expected)


def test_revisit_lpips_notices_a_region_changed_between_visits(present, oracle_clip):
    clip = oracle_clip
    evaluator = LpipsDistance()
    clean = evaluator.evaluate(eval_input(clip.frames, clip.trajectory, clip.depth, clip.frames))
    morphed_frames = degrade.morph(clip.frames, clip.depth, clip.trajectory, 1.0)
    morphed = evaluator.evaluate(
        eval_input(morphed_frames, clip.trajectory, clip.depth, clip.frames)
    )
    assert set(clean.metrics) == {spec.name for spec in evaluator.metric_specs()}
    assert clean.metrics["lpips/reference"] == pytest.approx(0.0, abs=1e-7)
    assert morphed.metrics["lpips/reference"] > 0
    for protocol in ("depth_warp", "near_identity"):
        assert len(clean.series[f"{protocol}/lpips"]) >= 1
        metric = f"revisit_lpips/{protocol}"
        assert morphed.metrics[metric] > clean.metrics[metric] + 0.002

    bare = evaluator.evaluate(eval_input(clip.frames, clip.trajectory))  # no depth, no reference
    assert np.isnan(bare.metrics["lpips/reference"]) and np.isnan(
        bare.metrics["revisit_lpips/depth_warp"]
    )
    assert (
        bare.metrics["revisit_lpips/near_identity"] == clean.metrics["revisit_lpips/near_identity"]
    )


# --- through the harness ---------------------------------------------------------------------


@pytest.fixture
def smoke_suite(tmp_path) -> Path:
    """The smoke suite (2 cases) shortened, with the two learned evaluators and one model."""
    suite = yaml.safe_load((REPO / "suites" / "smoke.yaml").read_text())
    suite |= {"frames": 9, "resolution": "96x64", "models": ["static"],
              "evaluators": ["subject_consistency", "lpips"]}  # fmt: skip
    path = tmp_path / "smoke.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def test_smoke_run_reports_the_learned_metrics(present, smoke_suite, tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--suite", str(smoke_suite), "--no-videos", "--out", str(out)]) == 0
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 2 and set(results["status"]) == {"ok"}
    assert results[["subject_consistency/vbench_8fps", "lpips/reference"]].notna().all().all()
    assert {"revisit_lpips/depth_warp", "revisit_lpips/near_identity"} <= set(results.columns)


def test_smoke_run_without_weights_skips_them_naming_the_files(smoke_suite, tmp_path, monkeypatch):
    store = tmp_path / "empty"
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(store))
    out = tmp_path / "run"
    assert main(["run", "--suite", str(smoke_suite), "--no-videos", "--out", str(out)]) == 0
    skipped = json.loads((out / "models" / "static.json").read_text())["skipped_evaluators"]
    assert str(store / DINO_FILE) in skipped["subject_consistency"]
    assert str(store / ALEXNET_FILE) in skipped["lpips"]
    assert not any("lpips" in column for column in pd.read_csv(out / "results.csv"))


def test_revisit_lpips_sanawm_compares_the_datasets_pairs_whole(present, oracle_clip):
    from dataclasses import replace

    clip = oracle_clip
    evaluator = LpipsDistance()
    inputs = eval_input(clip.frames, clip.trajectory)
    assert np.isnan(evaluator.evaluate(inputs).metrics["revisit_lpips/sanawm"])  # no pairs
    pairs = [{"frame_a": 0, "frame_b": 8, "quality_score": 0.1}, [0, 0], [1, 9]]
    inputs.case = replace(inputs.case, evaluation_pairs=read_evaluation_pairs(pairs, "test"))
    result = evaluator.evaluate(inputs)
    model = evaluator.network("lpips", lpips_distance.lpips_model)
    frames = clip.frames
    full = np.ones((2, *frames.shape[1:3]), dtype=bool)
    expected = lpips_pairs(model, frames[[0, 1]], frames[[8, 9]], full)  # [0, 0] is one frame
    np.testing.assert_array_equal(result.series["sanawm/pairs"], [[0, 8], [1, 9]])
    assert result.metrics["revisit_lpips/sanawm"] == pytest.approx(expected.mean(), rel=1e-6)
