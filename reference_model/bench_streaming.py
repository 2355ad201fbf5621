"""Peak memory of SANA-WM's stage-1 denoising against clip length, bidirectional and streaming.

``python -m reference_model.bench_streaming [--seconds 10 30 60] [--steps 1] [--out FILE]``

Both modes run in the same process on the same random-weight transformer and inputs (those of
:func:`reference_model.bench.step_inputs`: the CFG batch of 2, random text embeddings, the camera
tensors of a forward dolly): ``bidirectional`` is one transformer forward over the whole clip (a
sampling step of diffusers' pipeline, which every step repeats), ``streaming`` the whole chunk
loop of :mod:`reference_model.streaming` (``--steps`` denoising forwards per chunk and the commit
pass, against the caches), once with the release's softmax window and once keeping every earlier
frame; each mode runs once unmeasured first (for every clip with ``--mfu``). The device is chosen
automatically: on CUDA the ``full`` configuration in bf16, peak from
``torch.cuda.max_memory_allocated``; on a CPU the ``tiny`` one in fp32, peak from the CPU
allocator's allocation and free events recorded by ``torch.profiler`` (``profile_memory``). Both are
reported above what was allocated before the run (the weights and inputs). With ``--mfu`` the
unmeasured run of every clip and mode counts the FLOPs it runs (``torch.utils.flop_counter``'s
formulas, as :mod:`reference_model.bench` counts them), reported with the achieved TFLOP/s and MFU
against a matmul peak measured in the run.
The text encoder and the VAE are left out: they are the same in both modes (streaming decodes
chunk by chunk within a fixed context, see reference_model.stream_decode).
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import diffusers
import torch
from torch.profiler import ProfilerActivity, profile

from reference_model.bench import DEFAULT_FPS, matmul_peak, step_inputs, work_flops
from reference_model.chunked import chunk_bounds, forward
from reference_model.framing import model_frame_count
from reference_model.presets import PRESETS, Preset, as_dtype, vae_compression
from reference_model.stream_cache import StreamCache
from reference_model.streaming import RELEASE_CHUNK, RELEASE_SINK, RELEASE_WINDOW

MIB = 2**20


@dataclass(frozen=True)
class Mode:
    name: str
    window: int | None  # streaming's softmax window; unused by bidirectional
    streaming: bool


MODES = (
    Mode("bidirectional", None, False),
    Mode(f"streaming, window {RELEASE_WINDOW}", RELEASE_WINDOW, True),
    Mode("streaming, all earlier frames", None, True),
)


@dataclass(frozen=True)
class Row:
    clip_seconds: float
    latent_frames: int
    mode: str
    peak_mib: float | None  # None: out of memory
    seconds: float
    flops: float | None = None  # counted with --mfu


def cpu_peak(run: Callable[[], object]) -> int:
    """Bytes: the highest net allocation of torch's CPU allocator while ``run`` runs."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as recording:
        run()
    events = recording.profiler.kineto_results.events()
    changes = sorted((e.start_ns(), e.nbytes()) for e in events if e.name() == "[memory]")
    current = peak = 0
    for _, change in changes:
        current += change
        peak = max(peak, current)
    return peak


def cuda_peak(run: Callable[[], object], device: torch.device) -> int:
    """Bytes: ``torch.cuda.max_memory_allocated`` during ``run`` above what was allocated."""
    torch.cuda.synchronize(device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    run()
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) - before


def bidirectional(model: torch.nn.Module, inputs: dict[str, object]) -> None:
    model(**inputs)


def streaming(model: torch.nn.Module, inputs: dict[str, object], mode: Mode, steps: int) -> None:
    """The chunk loop: ``steps`` forwards of each chunk, then its commit pass; outputs dropped."""
    latents, timestep = inputs["hidden_states"], inputs["timestep"]
    camera, plucker = inputs["camera_conditions"], inputs["chunk_plucker"]
    text, mask = inputs["encoder_hidden_states"], inputs["encoder_attention_mask"]
    _, _, frames, height, width = latents.shape
    cache = StreamCache(height * width, RELEASE_SINK, mode.window)
    for start, end in chunk_bounds(frames, RELEASE_CHUNK):
        part = (latents[:, :, start:end], timestep[:, :, start:end], text, mask)
        views = (camera[:, start:end], plucker[:, :, start:end], start)
        for step in range(steps + 1):
            cache.commit = step == steps
            forward(model, *part, *views, cache)


def run(
    preset: Preset,
    clip_seconds: Sequence[float],
    fps: float,
    device: torch.device,
    dtype: torch.dtype,
    steps: int,
    count: bool = False,
) -> Iterator[Row]:
    """One row per clip and mode, as each is measured; an out-of-memory run is recorded."""
    with torch.device(device):
        model = as_dtype(preset.build_transformer(), dtype)
    temporal, _ = vae_compression(preset.vae)
    for index, seconds in enumerate(clip_seconds):
        frames = model_frame_count(round(seconds * fps) + 1, temporal)
        inputs = step_inputs(model, preset, frames, dtype)
        latent_frames = inputs["hidden_states"].shape[2]
        for mode in MODES:
            work = (
                partial(streaming, model, inputs, mode, steps)
                if mode.streaming
                else partial(bidirectional, model, inputs)
            )
            flops = None
            try:  # an unmeasured run first: one-time allocations are not the mode's
                if count:
                    flops = work_flops(work)
                elif index == 0:
                    with torch.no_grad():
                        work()
            except torch.OutOfMemoryError:
                torch.cuda.empty_cache()
            start = time.perf_counter()
            try:
                with torch.no_grad():
                    peak = cuda_peak(work, device) if device.type == "cuda" else cpu_peak(work)
            except torch.OutOfMemoryError:
                yield Row(seconds, latent_frames, mode.name, None, 0.0)
                torch.cuda.empty_cache()
                continue
            elapsed = time.perf_counter() - start
            yield Row(seconds, latent_frames, mode.name, peak / MIB, elapsed, flops)
        del inputs


def markdown(rows: list[Row], header: dict[str, str], peak: float | None = None) -> str:
    """Run facts, then per clip and mode the peak, its ratio to the mode's shortest clip and to
    bidirectional at the same length, the time, and (``peak``: matmul FLOP/s) FLOPs and MFU."""
    lines = [f"- {key}: {value}" for key, value in header.items()]
    if peak:
        lines.append(f"- dense matmul peak measured in this run: {peak / 1e12:.3g} TFLOP/s")
    lines += [
        "",
        "| clip (s) | latent frames | mode | peak MiB | vs shortest clip | vs bidirectional | s |"
        + (" TFLOP | TFLOP/s | MFU |" if peak else ""),
        "|---:|---:|---|---:|---:|---:|---:|" + ("---:|---:|---:|" if peak else ""),
    ]
    first: dict[str, float | None] = {}
    for row in rows:
        first.setdefault(row.mode, row.peak_mib)
        same_clip = {r.mode: r.peak_mib for r in rows if r.clip_seconds == row.clip_seconds}
        base, reference = first[row.mode], same_clip.get(MODES[0].name)
        cells = ["out of memory", "", ""]
        if row.peak_mib is not None:
            cells = [
                f"{row.peak_mib:.2f}",
                f"{row.peak_mib / base:.2f}x" if base else "",
                f"{row.peak_mib / reference:.2f}x" if reference else "",
            ]
        cells.append(f"{row.seconds:.1f}")
        if peak:
            counted = row.flops is not None and row.peak_mib is not None and row.seconds > 0
            achieved = row.flops / row.seconds if counted else None
            cells += (
                [f"{row.flops / 1e12:.4g}", f"{achieved / 1e12:.3g}", f"{achieved / peak:.1%}"]
                if achieved
                else ["", "", ""]
            )
        lines.append(
            f"| {row.clip_seconds:g} | {row.latent_frames} | {row.mode} | {' | '.join(cells)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> str:
    cuda = torch.cuda.is_available()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="full" if cuda else "tiny")
    parser.add_argument("--seconds", type=float, nargs="+", default=[10, 30, 60])
    parser.add_argument("--fps", type=float, default=DEFAULT_FPS)
    parser.add_argument("--steps", type=int, default=1, help="denoising forwards per chunk")
    parser.add_argument(
        "--dtype", choices=["bfloat16", "float32"], default="bfloat16" if cuda else "float32"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    parser.add_argument("--mfu", action="store_true", help="count FLOPs; report TFLOP/s and MFU")
    parser.add_argument("--peak-size", type=int, default=8192 if cuda else 512)
    args = parser.parse_args(argv)
    device = torch.device("cuda" if cuda else "cpu")
    if not cuda:
        torch.set_num_threads(1)  # tiny ops: OpenMP's synchronisation would dominate the wall time
    preset = PRESETS[args.preset]
    dtype = getattr(torch, args.dtype)
    peak = matmul_peak(device, dtype, args.peak_size, repeats=10) if args.mfu else None
    header = {
        "device": torch.cuda.get_device_name(device) if cuda else platform.processor() or "cpu",
        "software": f"torch {torch.__version__}, diffusers {diffusers.__version__}",
        "model": f"SanaWMTransformer3DModel, preset {preset.name}, random weights, {args.dtype}, "
        "CFG batch 2",
        "streaming": f"chunks of {RELEASE_CHUNK} latent frames (the first {RELEASE_CHUNK + 1}), "
        f"{args.steps} denoising forward(s) + 1 commit per chunk, sink {RELEASE_SINK} frame",
        "peak": "torch.cuda.max_memory_allocated above the weights and inputs"
        if cuda
        else "highest net CPU allocation (torch.profiler memory events) above weights and inputs",
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for row in run(preset, args.seconds, args.fps, device, dtype, args.steps, args.mfu):
        rows.append(row)
        report = markdown(rows, header, peak)
        if args.out:  # rewritten per row: kept if a later one dies
            args.out.write_text(report)
    print(report)
    return report


if __name__ == "__main__":
    main()
