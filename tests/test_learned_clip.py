"""The CLIP evaluators (clip_score, aesthetic) on a tiny random open_clip model saved where the
real ViT-L/14 weights go, checked against open_clip's own loading, transform and encoders."""

import json
import socket
from dataclasses import replace
from pathlib import Path

import numpy as np
import open_clip
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from wmbench.cli import main
from wmbench.core.errors import InputError, MissingWeightsError
from wmbench.core.types import Trajectory
from wmbench.evaluators import clip_features
from wmbench.evaluators.aesthetic import Aesthetic
from wmbench.evaluators.base import EvalInput, Evaluator
from wmbench.evaluators.clip_score import ClipScore
from wmbench.evaluators.sampling import sample_indices
from wmbench.studies.validate_quality import eval_input

TINY = "wmbench-test-tiny-clip"
TINY_CONFIG = {
    "embed_dim": 768,  # as ViT-L/14's, so that the aesthetic head has its real shape
    "quick_gelu": True,
    "vision_cfg": {"image_size": 224, "layers": 1, "width": 64, "head_width": 32, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 1},
}
CLIP_FILE = ("clip-vit-l-14", "open_clip_pytorch_model.bin")
HEAD_FILE = ("laion-aesthetic-vit-l-14", "sa_0_4_vit_l_14_linear.pth")
PROMPT = "a wooden room with bookshelves and a sofa"
REPO = Path(__file__).resolve().parents[1]
ONE_LEVEL = 1 / 255 / min(open_clip.OPENAI_DATASET_STD)  # one 8-bit grey level, normalised


@pytest.fixture(scope="module")
def tiny_architecture(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("open_clip_config") / f"{TINY}.json"
    path.write_text(json.dumps(TINY_CONFIG))
    open_clip.add_model_config(path)
    return TINY


@pytest.fixture
def store(tmp_path, monkeypatch, tiny_architecture) -> Path:
    """An empty weight store, and the tiny architecture in place of ViT-L/14."""
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path / "store"))
    monkeypatch.setattr(clip_features, "ARCHITECTURE", tiny_architecture)
    return tmp_path / "store"


def place(store: Path, entry_file: tuple[str, str], state: object) -> Path:
    path = store.joinpath(*entry_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return path


def tiny_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return open_clip.create_model(TINY, pretrained=None).state_dict()


def place_head(store: Path, weight: torch.Tensor, bias: float) -> Path:
    return place(store, HEAD_FILE, {"weight": weight.reshape(1, 768), "bias": torch.tensor([bias])})


def video(count: int = 20, height: int = 48, width: int = 64) -> np.ndarray:
    """Distinct frames: black, white, then noise of rising contrast about mid-grey."""
    rng = np.random.default_rng(1)
    frames = np.empty((count, height, width, 3), np.uint8)
    for t in range(count):
        spread = 255 * t / count
        frames[t] = rng.uniform(128 - spread / 2, 128 + spread / 2, frames.shape[1:]).round()
    frames[0], frames[1] = 0, 255
    return frames


def case_input(frames: np.ndarray, prompt: str = PROMPT) -> EvalInput:
    height, width = frames.shape[1:3]
    intrinsics = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]])
    static = Trajectory(np.repeat(np.eye(4)[None], len(frames), 0), intrinsics, (width, height), 16)
    inputs = eval_input(frames, static, case_id="simple_60s/room_001")
    inputs.case = replace(inputs.case, prompt=prompt)
    return inputs


def open_clip_cosines(path: Path, frames: np.ndarray, prompt: str) -> np.ndarray:
    """Frame-prompt cosines through open_clip's own checkpoint loading, PIL transform and
    encoders, one frame at a time."""
    model, _, transform = open_clip.create_model_and_transforms(TINY, pretrained=str(path))
    tokens = open_clip.get_tokenizer(TINY)([prompt])
    with torch.no_grad():
        text = model.eval().encode_text(tokens, normalize=True)[0]
        images = torch.stack([transform(Image.fromarray(frame)) for frame in frames])
        return (model.encode_image(images, normalize=True) @ text).numpy()


@pytest.mark.parametrize("height, width", [(48, 64), (144, 256), (270, 480), (300, 200)])
def test_batched_preprocessing_matches_open_clip_transform(height, width):
    cfg = open_clip.get_pretrained_cfg("ViT-L-14", "openai")
    transform = open_clip.image_transform(
        224, is_train=False, mean=cfg["mean"], std=cfg["std"],
        interpolation=cfg["interpolation"], resize_mode=cfg["resize_mode"],
    )  # fmt: skip
    frames = video(3, height, width)
    ours = clip_features.preprocess(frames)
    theirs = torch.stack([transform(Image.fromarray(frame)) for frame in frames])
    assert ours.shape == theirs.shape == (3, 3, 224, 224)
    difference = (ours - theirs).abs()
    assert difference.max() <= ONE_LEVEL + 1e-6  # PIL's fixed-point rounding, at most 1 level
    assert difference.mean() < 0.01 * ONE_LEVEL  # fewer than 1 value in 100 off


def test_tokenizer_works_offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the tokenizer tried to reach the network")

    monkeypatch.setattr(socket, "socket", no_network)
    tokenizer = open_clip.get_tokenizer(clip_features.ARCHITECTURE)
    assert isinstance(tokenizer, open_clip.SimpleTokenizer)
    tokens = tokenizer([PROMPT, "word " * 200])
    assert tokens.shape == (2, 77)
    assert tokens[1, -1] == tokenizer.eot_token_id  # truncated to 77 tokens, EOT kept


def test_missing_weights_name_each_missing_file(store):
    clip_path, head_path = str(store.joinpath(*CLIP_FILE)), str(store.joinpath(*HEAD_FILE))
    with pytest.raises(MissingWeightsError, match="missing") as clip_error:
        ClipScore().check_available()
    assert clip_path in str(clip_error.value) and head_path not in str(clip_error.value)
    with pytest.raises(MissingWeightsError) as both:
        Aesthetic().check_available()
    assert clip_path in str(both.value) and head_path in str(both.value)
    assert both.value.missing == (Path(clip_path), Path(head_path))
    with pytest.raises(MissingWeightsError, match="open_clip_pytorch_model.bin"):
        ClipScore().evaluate(case_input(video(3)))

    place(store, CLIP_FILE, tiny_state())
    ClipScore().check_available()
    with pytest.raises(MissingWeightsError) as head_only:
        Aesthetic().check_available()
    assert head_path in str(head_only.value) and clip_path not in str(head_only.value)


def test_mismatched_weights_are_a_clear_error(store):
    state = tiny_state()
    state["extra.weight"] = state.pop("ln_final.weight")
    state["visual.proj"] = torch.zeros(64, 512)
    path = place(store, CLIP_FILE, state)
    with pytest.raises(InputError) as error:
        clip_features.image_embeddings(clip_features.load_clip(), video(2))
    message = str(error.value)
    assert str(path) in message and "state_dict" in message
    assert "1 missing keys (ln_final.weight)" in message
    assert "1 unexpected keys (extra.weight)" in message
    assert "visual.proj (64, 512) instead of (64, 768)" in message

    path.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="unreadable file"):
        clip_features.text_embedding(clip_features.load_clip(), PROMPT)

    place(store, CLIP_FILE, tiny_state())
    place(store, HEAD_FILE, torch.nn.Linear(512, 1).state_dict())
    with pytest.raises(InputError, match=r"weight \(1, 512\) instead of \(1, 768\)"):
        Aesthetic().evaluate(case_input(video(3)))


def test_clip_score_equals_open_clip_on_the_sampled_frames(store):
    path = place(store, CLIP_FILE, tiny_state())
    frames = video(20)
    evaluator = ClipScore()
    assert isinstance(evaluator, Evaluator)
    result = evaluator.evaluate(case_input(frames))
    index = sample_indices(20, clip_features.MAX_FRAMES)
    assert len(index) == 16 and index[0] == 0 and index[-1] == 19
    np.testing.assert_array_equal(result.series["frame_index"], index)
    reference = open_clip_cosines(path, frames[index], PROMPT)
    np.testing.assert_allclose(result.series["clipsim"], reference, atol=2e-5)
    assert set(result.metrics) == {spec.name for spec in evaluator.metric_specs()}
    assert result.metrics["clipsim/vit_l_14"] == pytest.approx(reference.mean(), abs=2e-5)


def test_clip_score_is_deterministic_and_a_cosine(store):
    place(store, CLIP_FILE, tiny_state())
    first = ClipScore().evaluate(case_input(video(6)))
    again = ClipScore().evaluate(case_input(video(6)))
    assert first.metrics == again.metrics
    np.testing.assert_array_equal(first.series["clipsim"], again.series["clipsim"])
    assert np.all(np.abs(first.series["clipsim"]) <= 1)
    other = ClipScore().evaluate(case_input(video(6), "a red car on a motorway at night"))
    assert other.metrics != first.metrics  # the prompt is used


def test_empty_prompt_names_the_case_and_field(store):
    place(store, CLIP_FILE, tiny_state())
    with pytest.raises(InputError) as error:
        ClipScore().evaluate(case_input(video(3), "  "))
    assert error.value.source == "simple_60s/room_001" and error.value.field == "prompt"


def test_aesthetic_known_answer(store):
    place(store, CLIP_FILE, tiny_state())
    frames = video(20)
    index = sample_indices(20, clip_features.MAX_FRAMES)
    chosen = 5
    chosen_frame = frames[index[chosen]][None]
    embedding = torch.from_numpy(
        clip_features.image_embeddings(clip_features.load_clip(), chosen_frame)[0]
    )
    place_head(store, 7.0 * embedding, bias=0.5)  # the chosen frame scores 7 |e|^2 + 0.5 = 7.5
    result = Aesthetic().evaluate(case_input(frames))
    scores = result.series["aesthetic_score"]
    np.testing.assert_array_equal(result.series["frame_index"], index)
    assert scores[chosen] == pytest.approx(7.5, abs=1e-5)
    assert np.all(np.delete(scores, chosen) < 7.5 - 1e-4)
    assert result.metrics["aesthetic_score/laion_v1"] == pytest.approx(scores.mean())
    assert result.metrics["aesthetic_quality/vbench_16frames"] == pytest.approx(scores.mean() / 10)


@pytest.fixture
def clip_smoke(tmp_path) -> Path:
    """The smoke suite with its models and evaluators narrowed to static, clip_score and
    aesthetic in the suite file (named on the command line they would make the run strict)."""
    suite = yaml.safe_load((REPO / "suites" / "smoke.yaml").read_text())
    suite.update(models=["static"], evaluators=["clip_score", "aesthetic"])
    path = tmp_path / "clip_smoke.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def run_smoke(suite: Path, out: Path, *extra: str) -> int:
    return main(["run", "--suite", str(suite), "--frames", "5", "--resolution", "64x48",
                 "--out", str(out), *extra])  # fmt: skip


def test_smoke_run_tabulates_the_clip_metrics(store, clip_smoke, tmp_path):
    place(store, CLIP_FILE, tiny_state())
    place_head(store, torch.linspace(-1, 1, 768), bias=5.0)
    assert run_smoke(clip_smoke, tmp_path / "run") == 0
    results = pd.read_csv(tmp_path / "run" / "results.csv")
    assert set(results["status"]) == {"ok"} and len(results) == 2
    columns = ["clipsim/vit_l_14", "aesthetic_quality/vbench_16frames", "aesthetic_score/laion_v1"]
    assert np.all(np.isfinite(results[columns].to_numpy()))
    assert np.all(np.abs(results["clipsim/vit_l_14"]) <= 1)


def test_smoke_run_without_weights_records_the_evaluators_as_skipped(
    store, clip_smoke, tmp_path, capsys
):
    assert run_smoke(clip_smoke, tmp_path / "run") == 0
    model = json.loads((tmp_path / "run" / "models" / "static.json").read_text())
    skipped = model["skipped_evaluators"]
    assert set(skipped) == {"clip_score", "aesthetic"} and not model["evaluators"]
    assert str(store.joinpath(*CLIP_FILE)) in skipped["clip_score"]
    assert str(store.joinpath(*HEAD_FILE)) in skipped["aesthetic"]
    capsys.readouterr()
    assert run_smoke(clip_smoke, tmp_path / "strict", "--evaluators", "aesthetic") == 2
    assert str(store.joinpath(*HEAD_FILE)) in capsys.readouterr().err
