"""Time SANA-WM's transformer: one denoising step at 10, 30 and 60 s of video.

``python -m reference_model.bench [--seconds 10 30 60] [--gdn torch triton] [--out FILE]``

Random weights in the ``full`` configuration on CUDA (``tiny`` without CUDA, so the script stays
tested), transformer forward only under ``torch.no_grad``, the batch the pipeline runs under
classifier-free guidance, the camera branch fed as the pipeline feeds it. Reports seconds per step
and per sampling run, peak GPU memory, and MFU: FLOPs counted by ``torch.utils.flop_counter``
over achieved time, against a dense matmul peak measured in the same run and dtype. Writes a
Markdown table to stdout and ``--out``.
"""

from __future__ import annotations

import argparse
import inspect
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import diffusers
import numpy as np
import torch
from diffusers.pipelines.sana_wm import SanaWMPipeline
from diffusers.pipelines.sana_wm.cam_utils import prepare_camera
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from reference_model.framing import model_frame_count
from reference_model.gdn import SCANS, named_scan, set_gdn_scan
from reference_model.presets import PRESETS, Preset, as_dtype, vae_compression

_CALL = inspect.signature(SanaWMPipeline.__call__).parameters
DEFAULT_STEPS = _CALL["num_inference_steps"].default
DEFAULT_FPS = _CALL["fps"].default
# Guidance above 1 makes the pipeline run the conditional and unconditional halves as one batch.
CFG_BATCH = 2 if _CALL["guidance_scale"].default > 1 else 1
TEXT_TOKENS = _CALL["max_sequence_length"].default
CONTRACTION = 0.97  # spectral radius of the random scan transitions
TIMESTEP = 500.0  # mid-trajectory; the conditioning frame is pinned at 0 as in the pipeline
FIELD_OF_VIEW_DEG = 60.0
METRES_PER_FRAME = 0.05
GIB = 2**30


@dataclass(frozen=True)
class Row:
    clip_seconds: float
    frames: int
    latent: tuple[int, int, int]
    gdn: str
    step_seconds: float | None  # None: out of memory
    peak_gib: float | None
    flops: float
    deviation: float | None  # relative L2 distance of the output from the first scan's


def _sync(device: torch.device) -> Callable[[], None]:
    return torch.cuda.synchronize if device.type == "cuda" else (lambda: None)


def matmul_peak(device: torch.device, dtype: torch.dtype, size: int, repeats: int) -> float:
    """Dense matmul FLOP/s of this device in ``dtype`` (random operands, after a warm-up)."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    sync = _sync(device)
    a @ b
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    sync()
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def step_inputs(
    model: torch.nn.Module, preset: Preset, frames: int, dtype: torch.dtype
) -> dict[str, object]:
    """Inputs of ``model`` for one CFG step over ``frames`` video frames: noise latents, text
    embeddings, and the camera tensors of a forward dolly built by diffusers' ``prepare_camera``."""
    device = model.device
    temporal, spatial = vae_compression(preset.vae)
    width, height = preset.resolution
    latent = ((frames - 1) // temporal + 1, height // spatial, width // spatial)
    channels, caption = model.config.in_channels, model.config.caption_channels
    c2w = np.tile(np.eye(4, dtype=np.float32), (frames, 1, 1))
    c2w[:, 2, 3] = METRES_PER_FRAME * np.arange(frames)
    focal = 0.5 * width / np.tan(np.radians(FIELD_OF_VIEW_DEG) / 2)
    intrinsics = np.tile(
        np.array([focal, focal, (width - 1) / 2, (height - 1) / 2], np.float32), (frames, 1)
    )
    camera = prepare_camera(
        c2w, intrinsics, target_size=(height, width), vae_stride=(temporal, spatial, spatial)
    )
    timestep = torch.full((CFG_BATCH, 1, latent[0]), TIMESTEP, device=device)
    timestep[..., 0] = 0.0
    return {
        "hidden_states": torch.randn(CFG_BATCH, channels, *latent, device=device, dtype=dtype),
        "timestep": timestep,
        "encoder_hidden_states": torch.randn(
            CFG_BATCH, 1, TEXT_TOKENS, caption, device=device, dtype=dtype
        ),
        "encoder_attention_mask": torch.ones(CFG_BATCH, TEXT_TOKENS, device=device),
        "camera_conditions": _batched(camera["raymap"], device, dtype),
        "chunk_plucker": _batched(camera["chunk_plucker"], device, dtype),
        "return_dict": False,
    }


def _batched(tensor: torch.Tensor, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    return tensor.unsqueeze(0).expand(CFG_BATCH, *tensor.shape).to(device, dtype)


def time_steps(
    model: torch.nn.Module, inputs: dict[str, object], device: torch.device, repeats: int
) -> tuple[float, float | None, torch.Tensor]:
    """Mean seconds of ``repeats`` forwards after a warm-up, the peak GiB allocated (CUDA), and
    the output."""
    sync = _sync(device)
    with torch.no_grad():
        model(**inputs)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        sync()
        start = time.perf_counter()
        for _ in range(repeats):
            output = model(**inputs)[0]
        sync()
    seconds = (time.perf_counter() - start) / repeats
    peak = torch.cuda.max_memory_allocated(device) / GIB if device.type == "cuda" else None
    return seconds, peak, output


class _FlopCount(TorchDispatchMode):
    """Sums ``torch.utils.flop_counter``'s per-op formulas (matmuls, convolutions, attention)
    over the ops that run; FlopCounterMode does the same plus a per-module breakdown that costs
    several times the forward here."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out


def mean_seconds(function: Callable[[], object], device: torch.device, repeats: int) -> float:
    """Mean wall time of ``function`` over ``repeats`` calls after one warm-up call."""
    sync = _sync(device)
    function()
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    sync()
    return (time.perf_counter() - start) / repeats


def scan_section(
    preset: Preset, clip_seconds: Sequence[float], fps: float, device: torch.device, repeats: int
) -> str:
    """Markdown: the GDN state scan alone at each clip's shape, diffusers-style torch loop (the
    kernel's twin) against the Triton kernel, on random contractive transitions."""
    from reference_model.gdn_kernel import triton_scan
    from reference_model.gdn_naive import reference_scan

    with torch.device("meta"):
        config = preset.build_transformer().config
    temporal, _ = vae_compression(preset.vae)
    width, sequences = config.linear_head_dim, CFG_BATCH * config.num_attention_heads
    lines = [
        "",
        f"GDN state scan alone: N = {sequences} sequences (batch x heads) of T frames, a "
        f"{width} x {width} state, R rows per step ({width}: the state; 1: the normaliser); "
        f"fp32, mean of {repeats} after a warm-up.",
        "",
        "| clip (s) | T | R | torch loop ms | Triton ms | speed-up | relative difference |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    generator = torch.Generator(device).manual_seed(0)
    for seconds in clip_seconds:
        steps = (model_frame_count(round(seconds * fps) + 1, temporal) - 1) // temporal + 1
        shape = (sequences, steps, width, width)
        w = CONTRACTION * torch.linalg.qr(torch.randn(shape, device=device, generator=generator))[0]
        for rows in (width, 1):
            u = torch.randn(sequences, steps, rows, width, device=device, generator=generator)
            want, got = reference_scan(w, u), triton_scan(w, u)
            loop = mean_seconds(lambda: reference_scan(w, u), device, repeats)  # noqa: B023
            kernel = mean_seconds(lambda: triton_scan(w, u), device, repeats)  # noqa: B023
            difference = float((got - want).norm() / want.norm())
            lines.append(
                f"| {seconds:g} | {steps} | {rows} | {loop * 1e3:.2f} | {kernel * 1e3:.2f} | "
                f"{loop / kernel:.1f}x | {difference:.1e} |"
            )
    return "\n".join(lines) + "\n"


def count_flops(model: torch.nn.Module, inputs: dict[str, object]) -> float:
    """FLOPs of one forward of ``model`` on ``inputs``."""
    return work_flops(lambda: model(**inputs))


def work_flops(work: Callable[[], object]) -> float:
    """FLOPs of the ops ``work`` runs (under ``torch.no_grad``)."""
    with torch.no_grad(), _FlopCount() as counter:
        work()
    return float(counter.total)


def run(
    preset: Preset,
    clip_seconds: Sequence[float],
    fps: float,
    scans: Sequence[str],
    device: torch.device,
    dtype: torch.dtype,
    repeats: int,
) -> Iterator[Row]:
    """One row per clip length and GDN scan, as each is measured; an out-of-memory step is
    recorded, not raised."""
    with torch.device(device):
        model = as_dtype(preset.build_transformer(), dtype)
    temporal, _ = vae_compression(preset.vae)
    for seconds in clip_seconds:
        frames = model_frame_count(round(seconds * fps) + 1, temporal)
        inputs = step_inputs(model, preset, frames, dtype)
        latent = tuple(inputs["hidden_states"].shape[2:])
        set_gdn_scan(model, None)
        flops = count_flops(model, inputs)
        first = None
        for scan in scans:
            set_gdn_scan(model, named_scan(scan))
            try:
                step, peak, output = time_steps(model, inputs, device, repeats)
            except torch.OutOfMemoryError:
                yield Row(seconds, frames, latent, scan, None, None, flops, None)
                torch.cuda.empty_cache()
                continue
            first = output.float() if first is None else first
            deviation = float((output.float() - first).norm() / first.norm())
            del output
            yield Row(seconds, frames, latent, scan, step, peak, flops, deviation)
        del inputs, first
        if device.type == "cuda":
            torch.cuda.empty_cache()


def markdown(rows: list[Row], peak: float, steps: int, header: dict[str, str]) -> str:
    """The report: run facts, then one table row per (clip, GDN scan)."""
    lines = [f"- {key}: {value}" for key, value in header.items()]
    lines += [
        f"- dense matmul peak measured in this run: {peak / 1e12:.3g} TFLOP/s",
        "",
        f"| clip (s) | frames | latent T x H x W | tokens | GDN | s / step | s / {steps}-step "
        "clip | peak GiB | GFLOP / step | TFLOP/s | MFU | output vs first GDN |",
        "|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        tokens = int(np.prod(row.latent))
        shape = " x ".join(str(n) for n in row.latent)
        start = f"| {row.clip_seconds:g} | {row.frames} | {shape} | {tokens} | {row.gdn} |"
        if row.step_seconds is None:
            lines.append(f"{start} out of memory | | | {row.flops / 1e9:.4g} | | | |")
            continue
        achieved = row.flops / row.step_seconds
        memory = "n/a" if row.peak_gib is None else f"{row.peak_gib:.1f}"
        lines.append(
            f"{start} {row.step_seconds:.3f} | {row.step_seconds * steps:.1f} | {memory} | "
            f"{row.flops / 1e9:.4g} | {achieved / 1e12:.3g} | {achieved / peak:.1%} | "
            f"{row.deviation:.2e} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> str:
    cuda = torch.cuda.is_available()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="full" if cuda else "tiny")
    parser.add_argument("--seconds", type=float, nargs="+", default=[10, 30, 60])
    parser.add_argument("--fps", type=float, default=DEFAULT_FPS)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="sampling steps per clip")
    parser.add_argument(
        "--gdn", nargs="+", choices=SCANS, default=list(SCANS) if cuda else ["torch"]
    )
    parser.add_argument(
        "--dtype", choices=["bfloat16", "float32"], default="bfloat16" if cuda else "float32"
    )
    parser.add_argument("--repeats", type=int, default=2, help="timed forwards per row")
    parser.add_argument("--peak-size", type=int, default=8192 if cuda else 1024)
    parser.add_argument("--out", type=Path, default=Path("reports/reference_model_bench.md"))
    args = parser.parse_args(argv)
    if "triton" in args.gdn and not cuda:
        parser.error("--gdn triton needs CUDA")
    device = torch.device("cuda" if cuda else "cpu")
    dtype = getattr(torch, args.dtype)
    preset = PRESETS[args.preset]
    peak = matmul_peak(device, dtype, args.peak_size, repeats=10)
    header = {
        "device": torch.cuda.get_device_name(device) if cuda else platform.processor() or "cpu",
        "software": f"torch {torch.__version__}, diffusers {diffusers.__version__}",
        "model": f"SanaWMTransformer3DModel, preset {preset.name} ({preset.description}), "
        f"random weights, {args.dtype}, batch {CFG_BATCH} (classifier-free guidance)",
        "resolution": "x".join(str(n) for n in preset.resolution[::-1])
        + f" (HxW), {args.fps:g} fps",
        "timing": f"transformer forward only, no_grad, mean of {args.repeats} after a warm-up",
        "output vs first GDN": "relative L2 distance of the transformer's output from the one "
        "with the first GDN scan listed (same weights and inputs)",
        "MFU": "FLOPs counted by torch.utils.flop_counter (the GDN scan's loop counted on the "
        "torch path) over achieved time, against the measured matmul peak",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for row in run(preset, args.seconds, args.fps, args.gdn, device, dtype, args.repeats):
        rows.append(row)
        args.out.write_text(markdown(rows, peak, args.steps, header))  # kept if a later row dies
    report = markdown(rows, peak, args.steps, header)
    if "triton" in args.gdn:
        report += scan_section(preset, args.seconds, args.fps, device, repeats=10)
    args.out.write_text(report)
    print(report)
    return report


if __name__ == "__main__":
    main()
