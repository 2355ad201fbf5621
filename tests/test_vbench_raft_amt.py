"""VBench's dynamic degree (RAFT) and motion smoothness (AMT-S): the formulas on known flows and
interpolations, RAFT's checkpoint conversion held against princeton-vl's forward, AMT-S's
checkpoint layout, and both evaluators end to end on random networks at the real store paths.

The weights placed in the store are random (the real files cannot be downloaded here) with the
real files' names, keys and shapes. With ``VBENCH_SOURCE`` pointing at a VBench checkout, the
networks are also compared with VBench's own modules."""

import argparse
import importlib
import os
import sys
import types
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
import yaml
from torchvision.models.optical_flow import raft_large

from tests.raft_original import original_raft_flow, random_original
from tests.test_learned_dino_lpips import place
from tests.test_quality_evaluators import out_and_back
from tests.test_quality_metrics import panning
from wmbench.cli import main
from wmbench.core import weights
from wmbench.core.errors import InputError, MissingWeightsError
from wmbench.core.weight_entries import WeightFile
from wmbench.evaluators import EVALUATORS, amt, motion_smoothness, raft_flow
from wmbench.evaluators.amt import AMTS
from wmbench.evaluators.amt.blocks import BidirCorrBlock, coords_grid, warp
from wmbench.evaluators.dynamic_degree import (
    DynamicDegree,
    sampled_frames,
    top_flow_magnitude,
    vbench_dynamic_degree,
    vbench_params,
)
from wmbench.evaluators.motion_smoothness import MotionSmoothness, vbench_motion_smoothness
from wmbench.evaluators.raft_flow import convert_raft_state, raft_inputs
from wmbench.evaluators.vbench_dimensions import DYNAMIC_DEGREE, MOTION_SMOOTHNESS
from wmbench.studies.validate_quality import DEFECTS, eval_input, validate_quality

REPO = Path(__file__).resolve().parents[1]
RAFT_ORIGINAL = Path("raft-things/raft-things.pth")
RAFT_FILE = Path("raft-things-torchvision/raft_large_things.pth")
AMT_FILE = Path("amt-s/amt-s.pth")


def random_amt(seed: int = 0) -> dict[str, torch.Tensor]:
    """AMT-S's state dict, default initialisation, PReLU slopes and biases perturbed."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        state = AMTS().state_dict()
        return {k: v + 0.01 * torch.randn_like(v) for k, v in state.items()}


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory) -> Path:
    """The original RAFT checkpoint, its conversion (by the CLI) and AMT-S's checkpoint."""
    store = tmp_path_factory.mktemp("weights")
    place(store, RAFT_ORIGINAL, random_original())
    place(store, AMT_FILE, {"epoch": 299, "state_dict": random_amt()})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WMBENCH_WEIGHTS", str(store))
        assert main(["weights", "convert", "raft"]) == 0
    return store


@pytest.fixture
def present(filled_store, monkeypatch) -> Path:
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(filled_store))
    return filled_store


def textured(num_frames: int, step: tuple[int, int], size=(160, 128)) -> np.ndarray:
    return panning(num_frames, step, size=size)


# --- the weight store ------------------------------------------------------------------------


def test_missing_weights_name_the_exact_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path))
    inputs = eval_input(textured(3, (1, 0)), out_and_back(3))
    for evaluator, file in ((DynamicDegree(), RAFT_FILE), (MotionSmoothness(), AMT_FILE)):
        for call in (evaluator.check_available, lambda e=evaluator: e.evaluate(inputs)):
            with pytest.raises(MissingWeightsError) as error:
                call()
            assert str(tmp_path / file) in str(error.value)
            assert error.value.missing == (tmp_path / file,)
    with pytest.raises(MissingWeightsError, match="weights convert raft"):
        DynamicDegree().check_available()
    assert main(["weights", "convert", "raft"]) != 0  # converting needs the original
    assert str(tmp_path / RAFT_ORIGINAL) in capsys.readouterr().err


def test_fetch_unzips_raft_s_archive_and_derives_the_converted_entry(tmp_path, monkeypatch):
    archive = tmp_path / "models.zip"
    with zipfile.ZipFile(archive, "w") as zipped, zipped.open("models/raft-things.pth", "w") as f:
        torch.save(random_original(), f)
    source = f"{archive.as_uri()}#models/raft-things.pth"
    local = (WeightFile("raft-things.pth", source),)
    entry = replace(weights.ENTRIES["raft-things"], files=local)
    monkeypatch.setitem(weights.ENTRIES, "raft-things", entry)
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path / "store"))
    weights.fetch("raft-things-torchvision")  # fetches what the conversion reads, converts
    assert not weights.missing_files("raft-things") and not weights.missing_files(
        "raft-things-torchvision"
    )
    assert sorted(p.name for p in (tmp_path / "store" / "raft-things").iterdir()) == [
        "raft-things.pth"
    ]


def test_both_evaluators_are_registered_and_declare_their_entries():
    for name, metric in (
        ("dynamic_degree", DYNAMIC_DEGREE),
        ("motion_smoothness", MOTION_SMOOTHNESS),
    ):
        evaluator = EVALUATORS.get(name)()
        assert [spec.name for spec in evaluator.metric_specs()] == [metric]
        assert all(entry in weights.ENTRIES for entry in evaluator.weight_entries)
    assert weights.ENTRIES["raft-things-torchvision"].files[0].source == "convert:raft"


# --- RAFT: conversion and equivalence ----------------------------------------------------------


def test_converted_raft_loads_strictly_and_equals_the_original_forward(present):
    original = torch.load(present / RAFT_ORIGINAL, weights_only=True)
    converted = torch.load(present / RAFT_FILE, weights_only=True)
    assert not any(".norm3." in key for key in converted)
    model = raft_large().eval()
    model.load_state_dict(converted, strict=True)
    assert len(converted) == len(model.state_dict()) == 169
    first = textured(2, (3, 1), size=(150, 132))  # padded to 152 x 136
    second = first[1:]
    flow = raft_flow.raft_flow(model, first[:1], second)
    pixels = [torch.from_numpy(image).permute(0, 3, 1, 2).float() for image in (first[:1], second)]
    padded = [F.pad(image, (1, 1, 2, 2), mode="replicate") for image in pixels]  # InputPadder
    expected = original_raft_flow(original, *padded, iters=raft_flow.FLOW_ITERS)
    assert flow.shape == expected.shape == (1, 2, 136, 152)
    assert expected.abs().mean() > 1.0  # the comparison is not between two zero fields
    torch.testing.assert_close(flow, expected, atol=1e-3, rtol=1e-4)
    assert raft_flow.raft_model().state_dict().keys() == converted.keys()


def test_conversion_refuses_a_checkpoint_it_cannot_map(tmp_path):
    state = random_original()
    twin = "module.cnet.layer2.0.downsample.1.weight"
    bad = dict(state) | {twin: state[twin] + 1.0}
    with pytest.raises(InputError, match=r"cnet\.layer2\.0\.norm3\.weight"):
        convert_raft_state(bad, tmp_path / "x.pth")
    source = place(tmp_path, Path("odd.pth"), {f"{k}.extra": v for k, v in state.items()})
    with pytest.raises(InputError, match="unexpected keys") as error:
        raft_flow.convert_raft(source, tmp_path / "out.pth")
    assert str(source) in str(error.value) and not (tmp_path / "out.pth").exists()


def test_raft_padding_is_raft_s_sintel_split():
    assert raft_flow.sintel_padding(130, 150, 8) == (1, 1, 3, 3)
    assert raft_flow.sintel_padding(131, 149, 8) == (1, 2, 2, 3)
    assert raft_flow.sintel_padding(720, 1280, 16) == (0, 0, 0, 0)
    padded = raft_inputs(np.full((1, 131, 149, 3), 255, np.uint8))
    assert padded.shape == (1, 3, 136, 152) and torch.all(padded == 1.0)


# --- dynamic degree: VBench's rule on known flows ------------------------------------------------


def constant_flow(dx: float, dy: float = 0.0):
    """A flow function returning a uniform field of (dx, dy) px at the frames' size."""

    def flow(first: np.ndarray, second: np.ndarray) -> torch.Tensor:
        field = torch.tensor([dx, dy]).view(1, 2, 1, 1)
        return field.expand(len(first), 2, *first.shape[1:3]).clone()

    return flow


def test_vbench_sampling_and_thresholds():
    assert sampled_frames(961, 16.0).tolist() == list(range(0, 961, 2))
    assert sampled_frames(10, 24.0).tolist() == [0, 3, 6, 9]
    assert sampled_frames(5, 12.0).tolist() == [0, 2, 4]  # round(1.5) = 2
    assert sampled_frames(5, 4.0).tolist() == [0, 1, 2, 3, 4]
    assert vbench_params(720, 1280, 481) == (pytest.approx(16.875), 120)  # round(120.25)
    assert vbench_params(256, 320, 2)[1] == 0  # round(0.5) = 0: Python rounds half to even


def test_top_five_percent_mean_is_vbench_s_score():
    flow = torch.zeros(1, 2, 20, 20)  # 400 px: the top int(400 * 0.05) = 20
    flow[0, 0, 0, :20], flow[0, 1, 0, :20] = 3.0, 4.0  # magnitude 5
    flow[0, 0, 5, :10] = 2.0  # the next ten, not counted
    assert top_flow_magnitude(flow).tolist() == [5.0]
    flow[0, 0, 0, :10] = 0.0
    flow[0, 1, 0, :10] = 0.0  # now 10 of 5 and 10 of 2
    assert top_flow_magnitude(flow).tolist() == [pytest.approx(3.5)]


def test_frozen_video_is_static_and_a_fast_pan_is_dynamic():
    frames = np.zeros((33, 256, 320, 3), np.uint8)  # thres 6 px, 17 frames sampled: count_num 4
    frozen = vbench_dynamic_degree(frames, 16.0, constant_flow(0.0))
    assert frozen.dynamic == 0.0 and frozen.threshold_px == 6.0 and frozen.count_num == 4
    assert frozen.frame_index.tolist() == list(range(0, 33, 2)) and len(frozen.score_px) == 16
    fast = vbench_dynamic_degree(frames, 16.0, constant_flow(5.0, 5.0), batch=3)
    assert fast.dynamic == 1.0 and fast.score_px == pytest.approx(np.full(16, 50**0.5))
    slow = vbench_dynamic_degree(frames, 16.0, constant_flow(6.0))  # not above thres
    assert slow.dynamic == 0.0
    assert np.isnan(vbench_dynamic_degree(frames[:1], 16.0, constant_flow(9.0)).dynamic)


def test_a_video_is_dynamic_from_count_num_moving_pairs():
    frames = np.zeros((17, 256, 256, 3), np.uint8)  # 16 fps: 9 sampled, count_num round(2.25)

    def moving(pairs: int):
        calls = iter(range(100))

        def flow(first: np.ndarray, second: np.ndarray) -> torch.Tensor:
            return constant_flow(10.0 if next(calls) < pairs else 0.0)(first, second)

        return flow

    assert vbench_dynamic_degree(frames, 16.0, moving(2)).dynamic == 1.0
    assert vbench_dynamic_degree(frames, 16.0, moving(1)).dynamic == 0.0


# --- motion smoothness: VBench's formula on known interpolations ---------------------------------


def first_frame(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    return first.clone()


def test_frozen_video_is_perfectly_smooth_and_truncation_is_vbench_s():
    frames = np.repeat(textured(1, (0, 0), size=(70, 50)), 7, axis=0)  # padded to 80 x 64
    frozen = vbench_motion_smoothness(frames, first_frame)
    assert frozen.score == 1.0 and frozen.frame_index.tolist() == [1, 3, 5]

    def brighter(by: float):
        return lambda first, second: (first + by / 255.0).clamp(max=1.0)

    assert vbench_motion_smoothness(frames, brighter(0.9)).score == 1.0  # truncated back
    ones = frames < 255  # pixels a one-level rise changes
    expected = 1.0 - ones.mean() / 255.0
    assert vbench_motion_smoothness(frames, brighter(1.1)).score == pytest.approx(expected)


def test_a_brightness_ramp_scores_its_step_against_a_copying_interpolator():
    levels = np.arange(0, 27, 3, dtype=np.uint8)  # 9 frames, 3 levels apart
    frames = np.broadcast_to(levels[:, None, None, None], (9, 40, 30, 3)).copy()
    result = vbench_motion_smoothness(frames, first_frame, batch=2)
    assert result.abs_diff_dn.tolist() == [3.0] * 4 and result.score == pytest.approx(252 / 255)
    assert np.isnan(vbench_motion_smoothness(frames[:2], first_frame).score)  # nothing dropped


# --- AMT-S: its parts and its checkpoint -------------------------------------------------------


def test_amt_warp_and_correlation_lookup_known_answers():
    image = torch.arange(2 * 3 * 8 * 10, dtype=torch.float32).view(2, 3, 8, 10)
    torch.testing.assert_close(warp(image, torch.zeros(2, 2, 8, 10)), image)
    shift = torch.zeros(2, 2, 8, 10)
    shift[:, 0] = 2.0  # sample 2 px to the right
    torch.testing.assert_close(warp(image, shift)[..., :8], image[..., 2:])
    torch.manual_seed(0)
    fmap0, fmap1 = torch.randn(2, 1, 16, 8, 8).unbind(0)
    corr = BidirCorrBlock(fmap0, fmap1, radius=1, num_levels=1)
    coord = coords_grid(1, 8, 8, torch.device("cpu"))
    forward, backward = corr(coord, coord)
    centre = (fmap0 * fmap1).sum(1) / 4.0  # at zero displacement, both ways, / sqrt(16)
    torch.testing.assert_close(forward[:, 4], centre)
    torch.testing.assert_close(backward[:, 4], centre)
    # RAFT's window adds meshgrid(dy, dx)'s (dy, dx) to (x, y): its rows step x, as trained
    right = (fmap0[..., :, :-1] * fmap1[..., :, 1:]).sum(1) / 4.0  # x + 1: row 2, column 1
    below = (fmap0[..., :-1, :] * fmap1[..., 1:, :]).sum(1) / 4.0  # y + 1: row 1, column 2
    torch.testing.assert_close(forward[:, 7, :, :-1], right)
    torch.testing.assert_close(forward[:, 5, :-1], below)


def test_amt_checkpoint_layout_and_refusals(tmp_path, monkeypatch):
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path))
    with torch.device("meta"):
        names = list(AMTS().state_dict())
    assert len(names) == 213 and names[:2] == [
        "feat_encoder.conv1.weight",
        "feat_encoder.conv1.bias",
    ]
    assert {"encoder.pyramid4.1.1.weight", "decoder1.convblock.1.conv5.bias",
            "update2.gru.2.weight", "comb_block.1.weight"} <= set(names)  # fmt: skip
    inputs = eval_input(textured(3, (1, 0)), out_and_back(3))
    place(tmp_path, AMT_FILE, random_amt())  # a bare state dict, not AMT's checkpoint
    with pytest.raises(InputError, match="no 'state_dict' dict") as error:
        MotionSmoothness().evaluate(inputs)
    assert str(tmp_path / AMT_FILE) in str(error.value)
    renamed = {k.replace("update", "refine"): v for k, v in random_amt().items()}
    place(tmp_path, AMT_FILE, {"state_dict": renamed})
    with pytest.raises(InputError, match=r"missing keys \(update2"):
        MotionSmoothness().evaluate(inputs)


# --- end to end on random networks ---------------------------------------------------------------


def test_evaluators_run_on_the_store_s_networks(present):
    frames = textured(5, (4, 1))
    inputs = eval_input(frames, out_and_back(5))
    degree = DynamicDegree().evaluate(inputs)
    assert degree.metrics[DYNAMIC_DEGREE] in (0.0, 1.0)
    assert degree.series["frame_index"].tolist() == [2, 4]
    assert np.isfinite(degree.series["flow_top5_px"]).all()
    smooth = MotionSmoothness().evaluate(inputs)
    assert 0.0 < smooth.metrics[MOTION_SMOOTHNESS] < 1.0
    assert smooth.series["frame_index"].tolist() == [1, 3]
    with pytest.raises(InputError, match="at least 128 px on each side for RAFT"):
        DynamicDegree().evaluate(eval_input(textured(3, (1, 0), size=(160, 96)), out_and_back(3)))


def test_batched_pairs_equal_vbench_s_one_pair_loop(present):
    frames = textured(5, (3, 2), size=(136, 128))  # 4 pairs for RAFT, 2 for AMT
    model = raft_flow.raft_model()

    def flow(a, b):
        return raft_flow.raft_flow(model, a, b)

    one = vbench_dynamic_degree(frames, 8.0, flow, batch=1)
    three = vbench_dynamic_degree(frames, 8.0, flow, batch=3)  # a batch of 3, then of 1
    np.testing.assert_allclose(three.score_px, one.score_px, rtol=1e-4)
    interpolate = motion_smoothness.amt_interpolate(motion_smoothness.amt_model())
    single = vbench_motion_smoothness(frames, interpolate, batch=1)
    batched = vbench_motion_smoothness(frames, interpolate, batch=2)
    np.testing.assert_allclose(batched.abs_diff_dn, single.abs_diff_dn, atol=0.02)


def test_smoke_run_reports_both_dimensions(present, tmp_path):
    suite = yaml.safe_load((REPO / "suites" / "smoke.yaml").read_text())
    suite |= {"frames": 5, "resolution": "128x128", "models": ["static"],
              "evaluators": ["dynamic_degree", "motion_smoothness"]}  # fmt: skip
    path = tmp_path / "smoke.yaml"
    path.write_text(yaml.safe_dump(suite))
    out = tmp_path / "run"
    assert main(["run", "--suite", str(path), "--no-videos", "--out", str(out)]) == 0
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 2 and set(results["status"]) == {"ok"}
    assert results[[DYNAMIC_DEGREE, MOTION_SMOOTHNESS]].notna().all().all()


def test_both_join_the_degradation_study_with_their_weights(present, tmp_path):
    freeze = next(d for d in DEFECTS if d.name == "freeze")
    assert MOTION_SMOOTHNESS in freeze.targets
    out = tmp_path / "quality.md"
    validate_quality(out, (0,), 9, (128, 128), defects=(replace(freeze, severities=(0, 0.4)),))
    files = (RAFT_FILE.as_posix(), AMT_FILE.as_posix())
    lines = out.read_text().splitlines()
    measured = {line.split("|")[1].strip() for line in lines if any(f in line for f in files)}
    assert measured == {"dynamic_degree", "motion_smoothness"}
    values = pd.read_csv(out.with_suffix(".csv")).set_index("metric")["value"]
    assert (
        np.isfinite(values[[DYNAMIC_DEGREE, MOTION_SMOOTHNESS]]).all()
        and len(values[DYNAMIC_DEGREE]) == 2
    )


# --- against VBench's own modules, where a checkout is given -------------------------------------


@pytest.mark.skipif(not os.environ.get("VBENCH_SOURCE"), reason="set VBENCH_SOURCE to a checkout")
def test_networks_equal_vbench_s_modules(monkeypatch):
    """VBench's RAFT (with the original keys) against the converted torchvision RAFT, and
    VBench's AMT-S against ours, on the same random weights. ``vbench`` is stubbed as a bare
    package so that only ``vbench/third_party`` is imported."""
    package = types.ModuleType("vbench")
    package.__path__ = [str(Path(os.environ["VBENCH_SOURCE"]) / "vbench")]
    monkeypatch.setitem(sys.modules, "vbench", package)
    original = importlib.import_module("vbench.third_party.RAFT.core.raft").RAFT
    raft = original(argparse.Namespace(small=False, mixed_precision=False, alternate_corr=False))
    state = random_original()
    raft.eval().load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
    ours = raft_large().eval()
    ours.load_state_dict(convert_raft_state(state, Path("random")))
    image1 = (torch.rand(1, 3, 128, 144) * 255).round()
    image2 = torch.roll(image1, 3, dims=3)
    with torch.no_grad():
        _, expected = raft(image1, image2, iters=20, test_mode=True)
        flow = ours(2 * image1 / 255 - 1, 2 * image2 / 255 - 1, num_flow_updates=20)[-1]
    torch.testing.assert_close(flow, expected, atol=1e-3, rtol=1e-4)
    model = importlib.import_module("vbench.third_party.amt.networks.AMT-S").Model().eval()
    model.load_state_dict(random_amt())
    mine = amt.AMTS().eval()
    mine.load_state_dict(model.state_dict(), strict=True)
    img0, img1 = torch.rand(2, 1, 3, 128, 160).unbind(0)
    embt = torch.full((1, 1, 1, 1), 0.5)
    with torch.no_grad():
        vbench_frame = model(img0, img1, embt, scale_factor=1.0, eval=True)["imgt_pred"]
        torch.testing.assert_close(mine(img0, img1, embt), vbench_frame, atol=0, rtol=0)
