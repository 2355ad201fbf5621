"""Training data: the posed-clip form, prepare's caches (the pipeline's own encoders and camera
packing), bad clips listed with their reasons, resuming shard by shard, and the sample stream."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from diffusers.pipelines.sana_wm.pipeline_sana_wm import DEFAULT_CHI_PROMPT  # noqa: E402
from PIL import Image  # noqa: E402

from reference_model import framing  # noqa: E402
from reference_model.loading import build_pipeline  # noqa: E402
from reference_model.presets import PRESETS  # noqa: E402
from reference_model.training.clips import (  # noqa: E402
    Clip,
    clip_names,
    read_clip,
    window,
    write_clip,
)
from reference_model.training.config import CONFIG_DIR, load_config  # noqa: E402
from reference_model.training.dataset import LatentCache, stream_rows  # noqa: E402
from reference_model.training.parallel import Runtime  # noqa: E402
from reference_model.training.prepare import MANIFEST, prepare  # noqa: E402
from reference_model.training.synthetic import clip_name, render_clips  # noqa: E402
from wmbench.core.errors import InputError  # noqa: E402
from wmbench.core.types import Trajectory, fit_image  # noqa: E402
from wmbench.worlds.layout import make_world  # noqa: E402

SIZE = (160, 96)
ALONE = Runtime(rank=0, world_size=1, device=torch.device("cpu"))


def dolly(frames: int, fps: float = 16.0, sideways: float = 0.0) -> Trajectory:
    c2w = np.tile(np.eye(4), (frames, 1, 1))
    c2w[:, 2, 3] = np.linspace(0.0, 0.5, frames)
    c2w[:, 0, 3] = sideways
    width, height = SIZE
    intrinsics = np.array([[120.0, 0, (width - 1) / 2], [0, 120.0, (height - 1) / 2], [0, 0, 1]])
    return Trajectory(c2w, intrinsics, SIZE, fps)


def panning_frames(frames: int, seed: int) -> np.ndarray:
    """A random texture sliding one pixel per frame: (frames, H, W, 3) uint8."""
    width, height = SIZE
    texture = np.random.default_rng(seed).integers(0, 256, (height, width + frames, 3), np.uint8)
    return np.stack([texture[:, t : t + width] for t in range(frames)])


def write_clips(folder: Path, count: int, frames: int = 17, fps: float = 16.0) -> list[str]:
    """``count`` good clips ``clip-000``... in the posed-clip form."""
    names = [f"clip-{index:03d}" for index in range(count)]
    for index, name in enumerate(names):
        trajectory = dolly(frames, fps, sideways=0.1 * index)
        clip = Clip(name, panning_frames(frames, index), trajectory, f"test clip number {index}")
        write_clip(folder, clip)
    return names


def stage(name: str, frames: int, resolution: tuple[int, int], steps: int, **extra) -> dict:
    return {
        "name": name,
        "frames": frames,
        "resolution": list(resolution),
        "steps": steps,
        "lr": 2e-3,
        "batch": 4,
        "micro_batch": 2,
        "train": ["*"],
        **extra,
    }


def config_file(folder: Path, clips: Path, stages: list[dict], **top) -> Path:
    """The tiny config on the clips of ``clips``, with ``stages`` and top-level overrides."""
    raw = yaml.safe_load((CONFIG_DIR / "tiny.yaml").read_text())
    raw["data"] |= {"source": "clips", "clips": str(clips), **top.pop("data", {})}
    for section in ("optim", "parallel", "objective"):
        raw[section] |= top.pop(section, {})
    raw |= {"stages": stages, **top}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


SHORT = stage("short", 9, (64, 32), 4)


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Run as a training rank does on a CPU (``parallel.cpu_threads: 1``): one intra-op thread,
    deterministic, and fast on a busy machine; the test process's count is restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A cache of 3 good clips and 7 bad ones; returns (config file, cache root)."""
    folder = tmp_path_factory.mktemp("prepared")
    clips = folder / "clips"
    write_clips(clips, 3)
    _write_bad_clips(clips)
    config = config_file(folder, clips, [SHORT], data={"shard_size": 4})
    prepare(load_config(str(config)), folder / "cache", ALONE)
    return config, folder / "cache"


def _write_bad_clips(folder: Path) -> None:
    write_clip(folder, Clip("bad-short", panning_frames(5, 0), dolly(5), "too short"))
    skewed = dolly(17)
    c2w = skewed.c2w.copy()
    c2w[9, :3, :3] *= 1.1
    np.savez(folder / "bad-nonrigid.npz", c2w=c2w, intrinsics=skewed.intrinsics, caption="x")
    (folder / "bad-nonrigid").symlink_to(folder / "clip-000", target_is_directory=True)
    np.savez(folder / "bad-video.npz", c2w=skewed.c2w, intrinsics=skewed.intrinsics, caption="x")
    (folder / "bad-video.mp4").write_bytes(b"not a video")
    np.savez(folder / "bad-failed.npz", failed=True, reason="too few keyframes registered")
    np.savez(folder / "bad-scale.npz", c2w=skewed.c2w, intrinsics=skewed.intrinsics, metric=False)
    np.savez(
        folder / "bad-count.npz", c2w=dolly(16).c2w, intrinsics=skewed.intrinsics[0], caption="x"
    )
    (folder / "bad-count").symlink_to(folder / "clip-000", target_is_directory=True)
    np.savez(folder / "bad-caption.npz", c2w=skewed.c2w, intrinsics=skewed.intrinsics)
    (folder / "bad-caption").symlink_to(folder / "clip-000", target_is_directory=True)


def test_clip_round_trip_and_window_resamples_and_fits(tmp_path: Path) -> None:
    frames = panning_frames(33, 0)
    write_clip(tmp_path, Clip("a", frames, dolly(33, fps=32.0), "a caption"))
    clip = read_clip(tmp_path, "a")
    np.testing.assert_array_equal(clip.frames, frames)
    assert clip.caption == "a caption" and clip.trajectory.fps == 32.0
    # 9 frames at 16 fps from a 32 fps clip: every other frame, fitted to 64x32.
    pixels, trajectory = window(clip, 9, 16.0, (64, 32))
    expected = np.stack([fit_image(frame, 64, 32) for frame in frames[0:17:2]])
    np.testing.assert_array_equal(pixels, expected)
    np.testing.assert_allclose(trajectory.c2w, dolly(33).c2w[0:17:2])
    np.testing.assert_allclose(trajectory.intrinsics[0], dolly(33).fitted(64, 32).intrinsics[0])
    with pytest.raises(InputError, match="frames"):
        window(clip, 25, 16.0, (64, 32))


def test_bad_clips_are_listed_with_their_reason_and_skipped(prepared: tuple[Path, Path]) -> None:
    _, cache = prepared
    manifest = json.loads((cache / "9f-64x32" / MANIFEST).read_text())
    assert manifest["samples"] == 3
    reasons = dict(manifest["rejected"])
    expected = {
        "bad-short": "9 frames at 16 fps",
        "bad-nonrigid": "non-rigid pose at frame 9",
        "bad-video": "readable video",
        "bad-failed": "too few keyframes registered",
        "bad-scale": "arbitrary unit",
        "bad-count": "one pose per frame",
        "bad-caption": "caption",
    }
    assert set(reasons) == set(expected)
    for name, phrase in expected.items():
        assert phrase in reasons[name], (name, reasons[name])
    assert len(LatentCache(cache / "9f-64x32")) == 3


def test_rejections_are_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clips = tmp_path / "clips"
    write_clips(clips, 1)
    write_clip(clips, Clip("bad-short", panning_frames(5, 0), dolly(5), "too short"))
    config = load_config(str(config_file(tmp_path, clips, [SHORT])))
    with caplog.at_level(logging.WARNING):
        prepare(config, tmp_path / "cache", ALONE)
    assert any("rejected clip bad-short" in record.message for record in caplog.records)


def test_prepare_resumes_shard_by_shard(prepared: tuple[Path, Path]) -> None:
    config_path, cache = prepared
    folder = cache / "9f-64x32"
    shards = sorted(folder.glob("shard-*.pt"))
    assert len(shards) == 3  # 10 clips, 4 per shard
    before = {path.name: path.stat().st_mtime_ns for path in shards}
    kept = torch.load(shards[2], weights_only=True)["latents"]
    shards[1].unlink()
    (folder / MANIFEST).unlink()
    prepare(load_config(str(config_path)), cache, ALONE)
    assert shards[1].is_file() and (folder / MANIFEST).is_file()
    assert shards[0].stat().st_mtime_ns == before[shards[0].name]
    assert shards[2].stat().st_mtime_ns == before[shards[2].name]
    assert torch.equal(torch.load(shards[2], weights_only=True)["latents"], kept)
    assert not list(folder.glob("*.partial"))


def test_a_cache_of_other_settings_is_refused(prepared: tuple[Path, Path]) -> None:
    config_path, cache = prepared
    raw = yaml.safe_load(config_path.read_text())
    raw["data"]["max_sequence_length"] = 64
    other = config_path.with_name("other.yaml")
    other.write_text(yaml.safe_dump(raw))
    with pytest.raises(InputError, match="another config's"):
        prepare(load_config(str(other)), cache, ALONE)


def test_cache_holds_what_the_pipeline_computes_at_inference(prepared: tuple[Path, Path]) -> None:
    """The first latent frame is the pipeline's image condition, the caption its prompt embedding,
    the cameras what the adapter's request path packs for the same clip."""
    config_path, cache = prepared
    config = load_config(str(config_path))
    sample = LatentCache(cache / "9f-64x32").batch([0], torch.device("cpu"))  # clip-000
    pipe = build_pipeline(PRESETS["tiny"], Path("unused"), torch.device("cpu"), torch.float32)
    clip = read_clip(Path(config.data.clips), "clip-000")
    # As SanaWMPipeline.__call__ does for the adapter's request, fitted to the model's size.
    image, trajectory = framing.to_model(clip.frames[0], clip.trajectory, (64, 32), 9)
    c2w, vec4 = pipe.prepare_camera_trajectory(trajectory.c2w, None, trajectory.intrinsics, 9)
    pixels, vec4 = pipe.image_processor.preprocess_with_intrinsics(
        Image.fromarray(image), vec4, 32, 64
    )
    cpu = torch.device("cpu")
    with torch.no_grad():
        first = pipe._encode_first_frame(pixels, cpu, torch.float32)
        embeds, mask, _, _ = pipe.encode_prompt(
            clip.caption, device=cpu, chi_prompt=DEFAULT_CHI_PROMPT
        )
    camera = pipe._build_camera_kwargs(
        c2w, vec4, (32, 64), device=cpu, dtype=torch.float32, do_cfg=False
    )
    torch.testing.assert_close(sample["latents"][:, :, :1], first, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(sample["camera_conditions"], camera["camera_conditions"])
    torch.testing.assert_close(sample["chunk_plucker"], camera["chunk_plucker"])
    assert torch.equal(sample["prompt_mask"], mask)
    torch.testing.assert_close(sample["prompt_embeds"], embeds[:, 0])


def test_synthetic_clips_are_rendered_worlds_in_the_clip_form(tmp_path: Path) -> None:
    render_clips(tmp_path, count=2, worlds=1, num_frames=9, fps=16.0, size=(64, 32), seed=5)
    assert clip_names(tmp_path) == [clip_name(0), clip_name(1)]
    first, second = read_clip(tmp_path, clip_name(0)), read_clip(tmp_path, clip_name(1))
    assert first.frames.shape == (9, 32, 64, 3) and first.frames.std() > 0
    assert first.caption == second.caption == make_world(5).description
    assert first.trajectory.image_size == (64, 32)
    assert not np.allclose(first.trajectory.c2w, second.trajectory.c2w)
    before = (tmp_path / f"{clip_name(0)}.npz").stat().st_mtime_ns
    render_clips(tmp_path, count=2, worlds=1, num_frames=9, fps=16.0, size=(64, 32), seed=5)
    assert (tmp_path / f"{clip_name(0)}.npz").stat().st_mtime_ns == before


def test_stream_visits_every_row_once_per_epoch_whatever_the_split() -> None:
    rows = stream_rows(5, seed=3, stage=1, positions=range(0, 15))
    for epoch in range(3):
        assert sorted(rows[5 * epoch : 5 * epoch + 5]) == list(range(5))
    assert rows[:5] != rows[5:10] or rows[5:10] != rows[10:15]
    split = stream_rows(5, 3, 1, range(0, 7)) + stream_rows(5, 3, 1, range(7, 15))
    assert split == rows
    assert stream_rows(5, seed=4, stage=1, positions=range(0, 15)) != rows
