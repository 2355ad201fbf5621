"""VBench's background consistency, imaging quality (MUSIQ) with ΔIQ, and the every-frame subject
consistency and aesthetic quality: preprocessing equal to VBench's own transforms, networks
loaded as VBench loads them (open_clip, pyiqa), known answers, on tiny networks saved at the
real store paths (tests/vbench_store.py)."""

import numpy as np
import open_clip
import pytest
import torch
import torch.nn.functional as F
from pyiqa.archs.musiq_arch import MUSIQ
from torchvision import transforms
from torchvision.transforms import InterpolationMode

from tests.test_quality_evaluators import out_and_back
from tests.test_quality_metrics import TEXTURE, panning
from tests.vbench_store import (
    FILES,
    TINY_CLIP,
    TINY_MUSIQ,
    empty_store_fixture,  # noqa: F401 - the fixtures
    filled_store_fixture,  # noqa: F401
    place,
    tiny_clip_architecture_fixture,  # noqa: F401
    tiny_musiq_state,
    tiny_networks_fixture,  # noqa: F401
)
from wmbench.core.errors import InputError, MissingWeightsError
from wmbench.evaluators import imaging_quality, subject_consistency
from wmbench.evaluators.background_consistency import (
    BackgroundConsistency,
    vbench_clip_inputs,
)
from wmbench.evaluators.base import Evaluator
from wmbench.evaluators.imaging_quality import (
    DELTA_IQ,
    FIRST_IQ,
    LAST_IQ,
    ImagingQuality,
    musiq_model,
    musiq_scores,
    musiq_scores_per_frame,
    reencoded,
    vbench_musiq_inputs,
)
from wmbench.evaluators.vbench_dimensions import (
    AESTHETIC_QUALITY,
    BACKGROUND_CONSISTENCY,
    IMAGING_QUALITY,
    SUBJECT_CONSISTENCY,
)
from wmbench.evaluators.vbench_exact import (
    AestheticVBench,
    SubjectConsistencyVBench,
    vbench_dino_inputs,
)
from wmbench.studies import degrade
from wmbench.studies.validate_quality import eval_input

CLIP_MEAN, CLIP_STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)


def as_vbench_loads(frames: np.ndarray) -> torch.Tensor:
    """VBench's ``load_video``: ``torch.Tensor(frames).permute(0, 3, 1, 2)`` (float 0-255)."""
    return torch.Tensor(frames).permute(0, 3, 1, 2)


def cut_video(count: int = 12) -> np.ndarray:
    """A pan over one texture, then a cut to another scene (flipped, darker, BGR) at count/2."""
    frames = panning(count, (2, 0))
    other = np.ascontiguousarray(TEXTURE[::-1, ::-1, ::-1] // 2)
    half = count // 2
    frames[half:] = [other[20:156, 20 + 2 * t : 260 + 2 * t] for t in range(half, count)]
    return frames


# --- preprocessing, verbatim against VBench's transforms ------------------------------------


@pytest.mark.parametrize("height, width", [(136, 240), (720, 1280), (300, 200)])
def test_clip_inputs_are_vbench_s_clip_transform(height, width):
    # vbench/utils.py clip_transform(224)
    vbench = transforms.Compose([
        transforms.Resize(224, interpolation=InterpolationMode.BICUBIC, antialias=False),
        transforms.CenterCrop(224),
        transforms.Lambda(lambda x: x.float().div(255.0)),
        transforms.Normalize(CLIP_MEAN, CLIP_STD),
    ])  # fmt: skip
    frames = np.random.default_rng(0).integers(0, 256, (2, height, width, 3), dtype=np.uint8)
    torch.testing.assert_close(vbench_clip_inputs(frames), vbench(as_vbench_loads(frames)))


@pytest.mark.parametrize("height, width", [(136, 240), (300, 200)])
def test_dino_inputs_are_vbench_s_dino_transform(height, width):
    vbench = transforms.Compose([
        transforms.Resize(size=224, antialias=False),
        transforms.Lambda(lambda x: x.float().div(255.0)),
        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])  # fmt: skip
    frames = np.random.default_rng(1).integers(0, 256, (2, height, width, 3), dtype=np.uint8)
    torch.testing.assert_close(vbench_dino_inputs(frames), vbench(as_vbench_loads(frames)))


@pytest.mark.parametrize(
    "height, width, expected", [(720, 1280, (288, 512)), (704, 1280, (281, 512)),
                                (136, 240, (136, 240)), (900, 400, (512, 227))]
)  # fmt: skip
def test_musiq_inputs_are_vbench_s_longer_side_rule(height, width, expected):
    frames = np.random.default_rng(2).integers(0, 256, (2, height, width, 3), dtype=np.uint8)
    images = as_vbench_loads(frames)  # vbench/imaging_quality.py transform(images, 'longer')
    if max(height, width) > 512:
        scale = 512.0 / max(height, width)
        size = (int(scale * height), int(scale * width))
        images = transforms.Resize(size=size, antialias=False)(images)
    ours = vbench_musiq_inputs(frames)
    assert tuple(ours.shape[-2:]) == expected
    torch.testing.assert_close(ours, images / 255.0)


# --- background consistency -----------------------------------------------------------------


def vbench_background_loop(model, frames: np.ndarray) -> float:
    """vbench/background_consistency.py's loop, written out: one batch, per-frame cosines."""
    images = transforms.Compose([
        transforms.Resize(224, interpolation=InterpolationMode.BICUBIC, antialias=False),
        transforms.CenterCrop(224),
        transforms.Lambda(lambda x: x.float().div(255.0)),
        transforms.Normalize(CLIP_MEAN, CLIP_STD),
    ])(as_vbench_loads(frames))  # fmt: skip
    with torch.no_grad():
        features = F.normalize(model.encode_image(images), dim=-1, p=2)
    video_sim = 0.0
    for i in range(1, len(features)):
        feature = features[i].unsqueeze(0)
        sim_pre = max(0.0, F.cosine_similarity(features[i - 1 : i], feature).item())
        sim_fir = max(0.0, F.cosine_similarity(features[:1], feature).item())
        video_sim += (sim_pre + sim_fir) / 2
    return video_sim / (len(features) - 1)


def test_background_consistency_is_vbench_s_loop_on_open_clip_s_own_loading(filled_store):
    frames = cut_video(12)
    model = open_clip.create_model(TINY_CLIP, pretrained=str(filled_store / FILES["clip_b32"]))
    expected = vbench_background_loop(model.eval(), frames)
    evaluator = BackgroundConsistency()
    assert isinstance(evaluator, Evaluator)
    result = evaluator.evaluate(eval_input(frames, out_and_back(12)))
    assert set(result.metrics) == {spec.name for spec in evaluator.metric_specs()}
    assert result.metrics[BACKGROUND_CONSISTENCY] == pytest.approx(expected, abs=1e-5)
    assert result.series["frame_index"].tolist() == list(range(1, 12))


def test_identical_frames_are_consistent_and_a_cut_is_not(filled_store):
    steady = panning(12, (2, 0))
    trajectory = out_and_back(12)
    frozen = BackgroundConsistency().evaluate(eval_input(np.repeat(steady[:1], 12, 0), trajectory))
    assert frozen.metrics[BACKGROUND_CONSISTENCY] == pytest.approx(1.0, abs=1e-6)
    smooth = BackgroundConsistency().evaluate(eval_input(steady, trajectory))
    cut = BackgroundConsistency().evaluate(eval_input(cut_video(12), trajectory))
    assert cut.metrics[BACKGROUND_CONSISTENCY] < smooth.metrics[BACKGROUND_CONSISTENCY] - 1e-3
    drop = cut.series["frame_index"][np.argmin(cut.series["similarity_previous"])]
    assert drop == 6  # the first frame of the other scene


# --- imaging quality ------------------------------------------------------------------------


def test_musiq_loads_as_pyiqa_loads_it_and_batches_equal_vbench_s_frame_loop(filled_store):
    half = panning(10, (3, 1), size=(300, 200))
    frames = np.concatenate([half, half[:, :, ::-1]], axis=2)  # 600 px wide: resized to 512
    path = filled_store / FILES["musiq"]
    theirs = MUSIQ(pretrained_model_path=str(path), **TINY_MUSIQ)  # pyiqa's own loader
    theirs.training = False  # as vbench/imaging_quality.py sets it
    ours = musiq_model()
    reference = musiq_scores_per_frame(theirs.to(next(ours.parameters()).device), frames)
    np.testing.assert_allclose(musiq_scores_per_frame(ours, frames), reference, rtol=1e-6)
    np.testing.assert_allclose(musiq_scores(ours, frames), reference, rtol=1e-4, atol=1e-4)
    assert np.ptp(reference) > 0  # the frames score differently: the comparison means something


def test_musiq_checkpoint_with_a_module_prefix_and_a_wrong_one(empty_store):
    state = tiny_musiq_state()
    path = place(empty_store, FILES["musiq"], {f"module.{k}": v for k, v in state.items()})
    frames = panning(2, (1, 0), size=(64, 48))
    scores = musiq_scores(imaging_quality.load_musiq(path, TINY_MUSIQ), frames)
    place(empty_store, FILES["musiq"], state)
    plain = musiq_scores(imaging_quality.load_musiq(path, TINY_MUSIQ), frames)
    np.testing.assert_array_equal(scores, plain)
    state["head.weight"] = torch.zeros(2, 32)
    place(empty_store, FILES["musiq"], state)
    with pytest.raises(InputError, match=r"head\.weight \(2, 32\) instead of \(1, 32\)") as error:
        imaging_quality.load_musiq(path, TINY_MUSIQ)
    assert str(path) in str(error.value)


def test_imaging_quality_end_to_end_with_its_windows(filled_store):
    frames = panning(48, (1, 0), size=(96, 64))  # 3 s at 16 fps: windows of a third, 16 frames
    evaluator = ImagingQuality()
    result = evaluator.evaluate(eval_input(frames, out_and_back(48)))
    assert set(result.metrics) == {spec.name for spec in evaluator.metric_specs()}
    per_frame = musiq_scores_per_frame(musiq_model(), frames)
    np.testing.assert_allclose(result.series["musiq"], per_frame, rtol=1e-4, atol=1e-4)
    scores = result.series["musiq"]
    assert result.metrics[IMAGING_QUALITY] == pytest.approx(scores.mean() / 100)
    # each window is scored from its re-encoded clip, as SANA-WM-Bench's script does
    windows = [
        musiq_scores(musiq_model(), reencoded(frames[s : s + 16])).mean() for s in (0, 16, 32)
    ]
    assert result.metrics[FIRST_IQ] == pytest.approx(windows[0], rel=1e-5)
    assert result.metrics[LAST_IQ] == pytest.approx(windows[-1], rel=1e-5)
    assert result.metrics[DELTA_IQ] == pytest.approx(windows[0] - windows[-1], rel=1e-4, abs=1e-4)
    np.testing.assert_allclose(result.series["window_iq"], windows, rtol=1e-5)
    assert result.series["window_start_frame"].tolist() == [0, 16, 32]


def test_delta_iq_is_positive_on_a_blur_ramp(filled_store, monkeypatch):
    """MUSIQ's own response to blur needs its real weights; here a stand-in frame quality
    (variance of the Laplacian, which blur lowers) checks the windows and the sign."""

    def sharpness(model, frames):
        return np.array([np.var(np.diff(frame.astype(float), 2, axis=1)) for frame in frames])

    monkeypatch.setattr(imaging_quality, "musiq_scores", sharpness)
    clean = panning(161, (1, 0), size=(96, 64))  # 10 s at 16 fps
    ramp = degrade.blur(clean, 3.0, ramp=True)
    inputs = eval_input(ramp, out_and_back(161))
    result = ImagingQuality().evaluate(inputs)
    assert result.metrics[DELTA_IQ] > 0
    assert result.metrics[FIRST_IQ] > result.metrics[LAST_IQ]
    assert np.all(np.diff(result.series["window_iq"]) < 0)  # thirds: worse window by window


# --- VBench's every-frame subject consistency and aesthetic quality --------------------------


def test_subject_consistency_vbench_is_vbench_s_frame_loop(filled_store):
    frames = cut_video(10)
    result = SubjectConsistencyVBench().evaluate(eval_input(frames, out_and_back(10)))
    model = subject_consistency.dino_model()
    device = next(model.parameters()).device
    images = vbench_dino_inputs(frames)
    with torch.no_grad():  # vbench/subject_consistency.py: one frame at a time
        features = [F.normalize(model(image[None].to(device)), dim=-1, p=2) for image in images]
    total = 0.0
    for i in range(1, len(features)):
        total += (max(0.0, F.cosine_similarity(features[i - 1], features[i]).item())
                  + max(0.0, F.cosine_similarity(features[0], features[i]).item())) / 2  # fmt: skip
    assert result.metrics[SUBJECT_CONSISTENCY] == pytest.approx(total / 9, abs=1e-5)
    frozen = np.repeat(frames[:1], 5, 0)
    still = SubjectConsistencyVBench().evaluate(eval_input(frozen, out_and_back(5)))
    assert still.metrics[SUBJECT_CONSISTENCY] == pytest.approx(1.0, abs=1e-6)


def test_aesthetic_vbench_scores_every_frame_with_the_laion_head(filled_store):
    frames = cut_video(10)
    result = AestheticVBench().evaluate(eval_input(frames, out_and_back(10)))
    model = open_clip.create_model(TINY_CLIP, pretrained=str(filled_store / FILES["clip_l14"]))
    head = torch.load(filled_store / FILES["laion"], weights_only=True)
    with torch.no_grad():  # vbench/aesthetic_quality.py, on VBench's clip_transform
        embeddings = F.normalize(model.eval().encode_image(vbench_clip_inputs(frames)), dim=-1)
        expected = (embeddings @ head["weight"][0] + head["bias"][0]) / 10
    np.testing.assert_allclose(result.series["aesthetic_score"] / 10, expected.numpy(), atol=1e-5)
    assert result.metrics[AESTHETIC_QUALITY] == pytest.approx(float(expected.mean()), abs=1e-5)
    assert len(result.series["frame_index"]) == 10


# --- the weight store -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "evaluator, files",
    [(BackgroundConsistency, ["clip_b32"]), (ImagingQuality, ["musiq"]),
     (SubjectConsistencyVBench, ["dino"]), (AestheticVBench, ["clip_l14", "laion"])],
)  # fmt: skip
def test_missing_weights_name_the_exact_files(empty_store, evaluator, files):
    inputs = eval_input(panning(3, (1, 0)), out_and_back(3))
    with pytest.raises(MissingWeightsError) as error:
        evaluator().check_available()
    assert error.value.missing == tuple(empty_store / FILES[file] for file in files)
    with pytest.raises(MissingWeightsError, match=str(empty_store / FILES[files[0]])):
        evaluator().evaluate(inputs)
