"""The learned evaluators and the Pi3 pose estimator on one clip (961 frames at 1280x720 by
default): seconds and peak GPU memory of each, network loading included, as a run spends them.

The networks have their real architectures and random weights, written to a temporary weight
store at the real paths (the cost does not depend on the values; each state dict is the
architecture's own, so every loader's strict check passes). FVD's I3D is a TorchScript file: its
architecture exists only in that file, so FVD runs only where the store (``$WMBENCH_WEIGHTS``)
holds it, and is otherwise reported as not measured. Pi3 needs the ``pi3`` package. Each
evaluator runs alone on a fresh input (nothing shared between them); one that fails is recorded
with its error and the others go on. ``--tiny`` makes the CLIP, DINO and MUSIQ networks tiny (the
architectures of ``tests/vbench_store.py``), for the CPU dry run.

    python -m benchmarks.gpu_evaluators [--frames 961] [--size 1280x720] [--tiny] [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from unittest import mock

import cv2
import numpy as np
import open_clip
import torch
import torchvision
from pyiqa.archs.musiq_arch import MUSIQ
from torchvision.models.optical_flow import raft_large

from pose_pipeline import pi3
from pose_pipeline.estimators import PoseRequest
from wmbench.core import weights
from wmbench.core.errors import MissingWeightsError
from wmbench.core.types import Trajectory
from wmbench.core.weight_entries import ENTRIES
from wmbench.data.suite_fields import parse_resolution
from wmbench.evaluators import (
    EVALUATORS,
    aesthetic,
    background_consistency,
    clip_features,
    imaging_quality,
    lpips_distance,
    motion_smoothness,
    raft_flow,
    subject_consistency,
)
from wmbench.evaluators.amt import AMTS
from wmbench.evaluators.subject_consistency import DinoViT
from wmbench.studies.validate_quality import eval_input

FPS = 16.0
GIB = 2**30
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Row:
    name: str
    status: str  # ok, failed, not measured
    seconds: float | None
    peak_gib: float | None
    error: str = ""


def random_states() -> dict[tuple[str, str], Callable[[], object]]:
    """(weight entry, file) -> a random state dict of the architecture its loader builds (the
    ARCHITECTURE constants are read when called, so ``--tiny`` applies)."""

    def clip(architecture: str) -> Callable[[], object]:
        return lambda: open_clip.create_model(architecture, pretrained=None).state_dict()

    return {
        (clip_features.CLIP_WEIGHTS, clip_features.CLIP_FILE): clip(clip_features.ARCHITECTURE),
        (background_consistency.WEIGHTS, background_consistency.CHECKPOINT): clip(
            background_consistency.ARCHITECTURE
        ),
        (aesthetic.HEAD_WEIGHTS, aesthetic.HEAD_FILE): lambda: torch.nn.Linear(
            aesthetic.EMBED_DIM, 1
        ).state_dict(),
        (subject_consistency.WEIGHTS, subject_consistency.CHECKPOINT): lambda: DinoViT(
            **subject_consistency.ARCHITECTURE
        ).state_dict(),
        (imaging_quality.WEIGHTS, imaging_quality.CHECKPOINT): lambda: MUSIQ(
            pretrained=False, pretrained_model_path=None, **imaging_quality.ARCHITECTURE
        ).state_dict(),
        (lpips_distance.WEIGHTS, lpips_distance.CHECKPOINT): lambda: torchvision.models.alexnet(
            weights=None
        ).state_dict(),
        (raft_flow.WEIGHTS, raft_flow.CHECKPOINT): lambda: raft_large(weights=None).state_dict(),
        (motion_smoothness.WEIGHTS, motion_smoothness.CHECKPOINT): lambda: {
            "state_dict": AMTS().state_dict()
        },
    }


def fill_store(store: Path, real: Path | None) -> None:
    """Random networks at their store paths, Pi3's when its package is installed, and the
    I3D TorchScript copied from the ``real`` store when it holds one."""
    for (entry, file), make in random_states().items():
        (store / entry).mkdir(parents=True, exist_ok=True)
        torch.save(make(), store / entry / file)
    if importlib.util.find_spec(pi3.PACKAGE) is not None:
        from pi3.models.pi3 import Pi3
        from safetensors.torch import save_file

        (store / pi3.WEIGHTS).mkdir(parents=True, exist_ok=True)
        state = {key: value.contiguous() for key, value in Pi3().state_dict().items()}
        save_file(state, store / pi3.WEIGHTS / pi3.CHECKPOINT)
    i3d = ENTRIES["i3d"].files[0].path
    if real is not None and (real / "i3d" / i3d).is_file():
        (store / "i3d").mkdir(exist_ok=True)
        shutil.copy(real / "i3d" / i3d, store / "i3d" / i3d)


@contextmanager
def tiny_networks() -> Iterator[None]:
    """The CLIP, DINO and MUSIQ architectures of ``tests/vbench_store.py`` (for the dry run)."""
    from tests.test_learned_dino_lpips import TINY_VIT
    from tests.vbench_store import TINY_CLIP, TINY_CLIP_CONFIG, TINY_MUSIQ

    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        config = Path(folder) / f"{TINY_CLIP}.json"
        config.write_text(json.dumps(TINY_CLIP_CONFIG))
        open_clip.add_model_config(config)
        for module, value in (
            (clip_features, TINY_CLIP), (background_consistency, TINY_CLIP),
            (subject_consistency, TINY_VIT), (imaging_quality, TINY_MUSIQ),
        ):  # fmt: skip
            stack.enter_context(mock.patch.object(module, "ARCHITECTURE", value))
        yield


def panning_clip(frames: int, width: int, height: int) -> np.ndarray:
    """A camera panning over a smooth random texture, one pixel per frame."""
    rng = np.random.default_rng(0)
    wall = rng.integers(0, 256, (height, width + frames, 3), np.uint8)
    wall = cv2.GaussianBlur(wall, (0, 0), 1.5)
    return np.stack([wall[:, t : t + width] for t in range(frames)])


def _measured(name: str, work: Callable[[], object]) -> Row:
    """Seconds and peak GPU memory of ``work``; its error recorded, not raised."""
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    began = time.perf_counter()
    try:
        work()
        if cuda:
            torch.cuda.synchronize()
    except Exception as error:  # noqa: BLE001 - one failure is recorded; the others go on
        status = NOT_MEASURED if isinstance(error, MissingWeightsError) else "failed"
        return Row(name, status, None, None, f"{type(error).__name__}: {error}"[:500])
    seconds = time.perf_counter() - began
    return Row(name, "ok", seconds, torch.cuda.max_memory_allocated() / GIB if cuda else None)


COMPOSITE = "vbench_quality_score"  # runs several of the others: measured last


def measure(frames: np.ndarray) -> Iterator[Row]:
    """Pi3, then every evaluator with weight entries (the composite last), each alone on
    ``frames``, a row as each is measured (so a time limit keeps the rows done)."""
    count, height, width = frames.shape[:3]
    focal = 0.5 * width / np.tan(np.radians(35.0))
    intrinsics = np.array([[focal, 0, (width - 1) / 2], [0, focal, (height - 1) / 2], [0, 0, 1]])
    c2w = np.repeat(np.eye(4)[None], count, axis=0)
    c2w[:, 0, 3] = np.arange(count) * 0.01  # sideways, as the texture pans
    trajectory = Trajectory(c2w, intrinsics, (width, height), FPS)
    estimator = pi3.Pi3Estimator()

    def poses() -> None:
        estimator.check_available()
        estimator.estimate(PoseRequest("bench", frames, intrinsics))

    yield _measured("pi3 (pose estimator)", poses)
    for name in sorted(EVALUATORS.names(), key=lambda name: name == COMPOSITE):
        evaluator = EVALUATORS.get(name)()
        if not evaluator.weight_entries:
            continue
        inputs = eval_input(frames, trajectory, reference=frames, prompt="a walk in a hall")

        def work(evaluator=evaluator, inputs=inputs) -> None:
            evaluator.check_available()
            evaluator.evaluate(inputs)  # FVD: the clip's I3D features (its set value is cheap)

        yield _measured(name, work)
        evaluator.release()


def markdown(rows: list[Row], header: dict[str, str]) -> str:
    lines = [f"- {key}: {value}" for key, value in header.items()]
    lines += [
        "",
        "| evaluator | status | s per clip | peak GiB | error |",
        "|---|---|---:|---:|---|",
    ]
    for row in rows:
        seconds = "" if row.seconds is None else f"{row.seconds:.2f}"
        peak = "" if row.peak_gib is None else f"{row.peak_gib:.2f}"
        error = row.error.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {row.name} | {row.status} | {seconds} | {peak} | {error} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=961)
    parser.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT")
    parser.add_argument("--tiny", action="store_true", help="tiny CLIP, DINO and MUSIQ (CPU)")
    parser.add_argument("--out", type=Path, default=Path("reports/gpu_evaluators.md"))
    args = parser.parse_args(argv)
    width, height = parse_resolution(args.size, "--size")
    frames = panning_clip(args.frames, width, height)
    real = weights.store_root()
    cuda = torch.cuda.is_available()
    header = {
        "device": torch.cuda.get_device_name() if cuda else platform.processor() or "cpu",
        "software": f"torch {torch.__version__}",
        "clip": f"{args.frames} frames at {width}x{height}, {FPS:g} fps (a panning texture)",
        "networks": "random weights at the "
        + ("tiny test architectures (CLIP, DINO, MUSIQ)" if args.tiny else "real architectures"),
        "timing": "one evaluate() per evaluator on a fresh input, network loading included",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    with ExitStack() as stack:
        if args.tiny:
            stack.enter_context(tiny_networks())
        store = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wmbench-weights-")))
        stack.enter_context(mock.patch.dict(os.environ, {"WMBENCH_WEIGHTS": str(store)}))
        fill_store(store, real)
        for row in measure(frames):  # the report is rewritten per row: kept if a later one dies
            rows.append(row)
            report = markdown(rows, header)
            args.out.write_text(report)
            args.out.with_suffix(".json").write_text(
                json.dumps({"header": header, "rows": [asdict(r) for r in rows]}, indent=1)
            )
    print(report, end="")
    return report


if __name__ == "__main__":
    main()
