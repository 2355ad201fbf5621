"""The learned VBench evaluators on one 60 s 720p clip (961 frames), each beside one forward pass
of its network over the same frames, preprocessed beforehand, measured in the same run.

The networks have their real sizes and random weights saved at the real store paths (the time
does not depend on the values). ``WMBENCH_BENCH_FRAMES`` shortens the clip; the per-frame cost
of these evaluators is constant, so the printed per-clip time is measured x 961 / frames when it
is set (and says so). Run on CPU here; on a machine with CUDA the same file times the GPU.

    python -m pytest benchmarks/bench_vbench.py -s --benchmark-enable [-k imaging]
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import cv2
import numpy as np
import open_clip
import pytest
import torch
from pyiqa.archs.musiq_arch import MUSIQ

from tests.test_learned_dino_lpips import dino_shapes
from wmbench.core.types import Trajectory
from wmbench.evaluators import background_consistency, imaging_quality, subject_consistency
from wmbench.evaluators.base import Evaluator
from wmbench.evaluators.functional.threads import single_torch_thread
from wmbench.evaluators.vbench_exact import SubjectConsistencyVBench, vbench_dino_inputs
from wmbench.studies.validate_quality import eval_input

CLIP_FRAMES, WIDTH, HEIGHT, FPS = 961, 1280, 720, 16.0
NUM_FRAMES = int(os.environ.get("WMBENCH_BENCH_FRAMES", CLIP_FRAMES))


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    """A camera panning over a smooth random texture."""
    rng = np.random.default_rng(0)
    wall = cv2.GaussianBlur(rng.integers(0, 256, (HEIGHT, WIDTH + NUM_FRAMES, 3), np.uint8),
                            (0, 0), 1.5)  # fmt: skip
    return np.stack([wall[:, t : t + WIDTH] for t in range(NUM_FRAMES)])


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    """Real-size random networks at the store paths of the three evaluators."""
    root = tmp_path_factory.mktemp("weights")
    states = {
        "clip-vit-b-32/open_clip_pytorch_model.bin": lambda: open_clip.create_model(
            background_consistency.ARCHITECTURE, pretrained=None
        ).state_dict(),
        "musiq-spaq/musiq_spaq_ckpt-358bb6af.pth": lambda: MUSIQ(
            pretrained=False, **imaging_quality.ARCHITECTURE
        ).state_dict(),
        "dino-vitb16/dino_vitbase16_pretrain.pth": lambda: {
            name: 0.02 * torch.randn(shape) for name, shape in dino_shapes(768, 12).items()
        },
    }
    for file, make in states.items():
        (root / file).parent.mkdir(parents=True)
        torch.save(make(), root / file)
    return str(root)


def forward_seconds(network: Callable[[torch.Tensor], torch.Tensor],
                    preprocess: Callable[[np.ndarray], torch.Tensor], frames: np.ndarray,
                    batch: int, target: torch.device) -> float:  # fmt: skip
    """Seconds of one pass of ``network`` over ``frames`` in batches of ``batch``, each batch
    preprocessed before its clock starts."""
    total = 0.0
    with single_torch_thread(), torch.inference_mode():
        for start in range(0, len(frames), batch):
            inputs = preprocess(frames[start : start + batch]).to(target)
            began = time.perf_counter()
            network(inputs)
            total += time.perf_counter() - began
    return total


CASES = {
    "background_consistency": (
        background_consistency.BackgroundConsistency,
        background_consistency.background_model,
        lambda model: model.encode_image,
        background_consistency.vbench_clip_inputs,
        background_consistency.BATCH,
    ),
    "imaging_quality": (
        imaging_quality.ImagingQuality,
        imaging_quality.musiq_model,
        lambda model: model,
        imaging_quality.vbench_musiq_inputs,
        imaging_quality.BATCH,
    ),
    "subject_consistency_vbench": (
        SubjectConsistencyVBench,
        subject_consistency.dino_model,
        lambda model: model,
        vbench_dino_inputs,
        subject_consistency.BATCH,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_vbench_evaluator_961_frames_720p(benchmark, clip, store, monkeypatch, name):
    monkeypatch.setenv("WMBENCH_WEIGHTS", store)
    factory, load, network_of, preprocess, batch = CASES[name]
    evaluator: Evaluator = factory()
    model = load()  # loaded once per process: kept out of both timings
    trajectory = Trajectory(
        np.repeat(np.eye(4)[None], NUM_FRAMES, 0),
        np.array([[1000.0, 0, WIDTH / 2], [0, 1000.0, HEIGHT / 2], [0, 0, 1]]),
        (WIDTH, HEIGHT),
        FPS,
    )
    result = benchmark.pedantic(
        lambda: evaluator.evaluate(eval_input(clip, trajectory)), rounds=1, iterations=1
    )
    evaluated = benchmark.stats.stats.total
    device = next(model.parameters()).device
    forward = forward_seconds(network_of(model), preprocess, clip, batch, device)
    scale = CLIP_FRAMES / NUM_FRAMES
    extrapolated = f" (measured on {NUM_FRAMES} frames, x {scale:.2f})" if scale != 1 else ""
    print(
        f"\n{name} on {device}: {evaluated * scale:.1f} s per 60 s 720p clip{extrapolated}; "
        f"one forward pass of its network over the same frames {forward * scale:.1f} s; "
        f"evaluator / forward {evaluated / forward:.2f}x"
    )
    assert np.isfinite(list(result.metrics.values())).all()
