"""Chunk-causal streaming on the tiny preset in fp32: equal to its naive block-causal twin.

The twin (reference_model.naive_causal) runs one masked pass over the whole sequence with
diffusers' own GDN scans; streaming (reference_model.stream_cache) runs chunk by chunk against
caches with a scan from a carried state. Tolerance: relative L2 error 1e-5 throughout.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from diffusers import AutoencoderKLLTX2Video  # noqa: E402
from diffusers.pipelines.sana_wm import SanaWMPipeline  # noqa: E402
from diffusers.pipelines.sana_wm.cam_utils import prepare_camera  # noqa: E402
from PIL import Image  # noqa: E402

from reference_model import framing, streaming  # noqa: E402
from reference_model.adapter import SanaWMAdapter  # noqa: E402
from reference_model.chunked import chunk_bounds, forward  # noqa: E402
from reference_model.gdn_naive import reference_scan  # noqa: E402
from reference_model.loading import CHUNK_CAUSAL_DIT_FILE, build_pipeline, missing_files  # noqa: E402
from reference_model.naive_causal import NaiveMixer, visible_frames  # noqa: E402
from reference_model.presets import TINY, vae_compression  # noqa: E402
from reference_model.stream_cache import StreamCache  # noqa: E402
from reference_model.stream_decode import ChunkDecoder, decode, decoder_context  # noqa: E402
from tests.test_reference_model_adapter import _request  # noqa: E402
from wmbench.core.errors import ModelUnavailable  # noqa: E402

TOLERANCE = 1e-5
LATENT = (8, 2, 4)  # latent frames, rows, columns of the tiny preset's 57-frame 64 x 128 clip
PIXEL_FRAMES = 57
STEPS = 2
CASES = [(1, None), (2, None), (3, None), (2, 2)]  # (chunk, KV window); a window of 2 < 8 frames
IDS = ["chunk1", "chunk2", "chunk3", "chunk2-window2"]


def _relative(a, b) -> float:
    a, b = (torch.as_tensor(np.asarray(x) if isinstance(x, np.ndarray) else x) for x in (a, b))
    return float((a.double() - b.double()).norm() / b.double().norm())


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """At the tiny preset's sizes OpenMP's synchronisation dominates each op (on a loaded
    2-core machine by 40x); one intra-op thread keeps the file at seconds."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pipe() -> SanaWMPipeline:
    return build_pipeline(TINY, Path("unused"), torch.device("cpu"), torch.float32)


@pytest.fixture(scope="module")
def context(pipe: SanaWMPipeline) -> tuple[int, int]:
    return decoder_context(pipe)


@pytest.fixture(scope="module")
def cond(pipe: SanaWMPipeline) -> streaming.Conditioning:
    c2w = np.tile(np.eye(4, dtype=np.float32), (PIXEL_FRAMES, 1, 1))
    c2w[:, 2, 3] = 0.05 * np.arange(PIXEL_FRAMES)
    c2w[:, 0, 3] = 0.02 * np.arange(PIXEL_FRAMES)
    image = np.random.default_rng(0).integers(0, 256, (64, 128, 3), dtype=np.uint8)
    intrinsics = np.array([100.0, 100.0, 63.5, 31.5], np.float32)
    return streaming.prepare(
        pipe, Image.fromarray(image), "a red house", c2w, intrinsics, (128, 64), PIXEL_FRAMES, 5.0
    )


def _inputs(model, batch: int = 2, seed: int = 0) -> dict:
    """Random latents, timesteps and text for ``model``, and the cameras of a dolly."""
    frames, rows, columns = LATENT
    generator = torch.Generator().manual_seed(seed)
    pixels = (frames - 1) * 8 + 1
    c2w = np.tile(np.eye(4, dtype=np.float32), (pixels, 1, 1))
    c2w[:, 2, 3] = 0.05 * np.arange(pixels)
    intrinsics = np.tile(np.array([80.0, 80.0, 63.5, 31.5], np.float32), (pixels, 1))
    camera = prepare_camera(c2w, intrinsics, target_size=(64, 128), vae_stride=(8, 32, 32))
    mask = torch.ones(batch, 12)
    mask[0, 8:] = 0
    return {
        "latents": torch.randn(batch, model.config.in_channels, *LATENT, generator=generator),
        "timestep": torch.rand(batch, 1, frames, generator=generator) * 1000,
        "text": torch.randn(batch, 1, 12, model.config.caption_channels, generator=generator),
        "text_mask": mask,
        "camera": camera["raymap"].expand(batch, -1, -1).float(),
        "plucker": camera["chunk_plucker"].expand(batch, -1, -1, -1, -1).float(),
    }


def _whole(model, inputs: dict, mixer) -> torch.Tensor:
    return forward(model, *inputs.values(), 0, mixer)


def _chunked(model, inputs: dict, bounds, cache: StreamCache, on_commit=None) -> torch.Tensor:
    outs = []
    for index, (start, end) in enumerate(bounds):
        part = {
            name: value[:, :, start:end] if name in ("latents", "timestep", "plucker") else value
            for name, value in inputs.items()
        }
        part["camera"] = inputs["camera"][:, start:end]
        cache.commit = True
        outs.append(forward(model, *part.values(), start, cache))
        if on_commit:
            on_commit(index)
    return torch.cat(outs, dim=2)


def test_chunks_follow_first_chunk_plus_one() -> None:
    assert chunk_bounds(8, 3) == [(0, 4), (4, 8)]
    assert chunk_bounds(9, 3) == [(0, 4), (4, 9)]  # a remainder of 2 joins the last chunk
    assert chunk_bounds(4, 1) == [(0, 2), (2, 3), (3, 4)]
    assert chunk_bounds(2, 3) == [(0, 2)]
    release = chunk_bounds(121, 3)  # 60 s at 16 fps: 961 frames, 121 latent frames
    assert len(release) == 40 and release[0] == (0, 4) and release[-1] == (118, 121)


def test_visible_frames_are_block_causal_with_sink_and_window() -> None:
    visible = visible_frames([(0, 2), (2, 4), (4, 6)], sink=1, window=1).int().tolist()
    assert visible == [
        [1, 1, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0],
        [1, 1, 1, 1, 0, 0],
        [1, 1, 1, 1, 0, 0],
        [1, 0, 0, 1, 1, 1],  # sink frame 0, window frame 3, own chunk
        [1, 0, 0, 1, 1, 1],
    ]


@pytest.mark.parametrize("softmax_every_n", [0, 4], ids=["gdn-only", "with-softmax"])
def test_one_chunk_is_diffusers_bidirectional_forward(softmax_every_n: int) -> None:
    """With a single chunk the chunk-causal forward is diffusers' forward. diffusers runs fp32
    softmax attention in bf16, so with softmax blocks the tolerance is bf16's."""
    preset = dataclasses.replace(
        TINY, transformer={**TINY.transformer, "softmax_every_n": softmax_every_n}
    )
    model = preset.build_transformer()
    inputs = _inputs(model)
    with torch.no_grad():
        ours = _whole(model, inputs, NaiveMixer([(0, LATENT[0])], LATENT[1] * LATENT[2], 1, None))
        latents, timestep, text, mask, camera, plucker = inputs.values()
        theirs = model(
            latents, timestep, text, encoder_attention_mask=mask, camera_conditions=camera,
            chunk_plucker=plucker, return_dict=False,
        )[0]  # fmt: skip
    assert _relative(ours, theirs) <= (TOLERANCE if softmax_every_n == 0 else 1e-3)


def test_naive_pass_is_causal_across_chunks() -> None:
    model = TINY.build_transformer()
    inputs = _inputs(model)
    bounds = chunk_bounds(LATENT[0], 2)
    changed = {**inputs, "latents": inputs["latents"].clone()}
    changed["latents"][:, :, 5:] += 1.0  # the last chunk (5, 8)
    with torch.no_grad():
        before = _whole(model, inputs, NaiveMixer(bounds, 8, 1, None))
        after = _whole(model, changed, NaiveMixer(bounds, 8, 1, None))
    assert torch.equal(before[:, :, :5], after[:, :, :5])
    assert not torch.equal(before[:, :, 5:], after[:, :, 5:])


@pytest.mark.parametrize(("chunk", "window"), CASES, ids=IDS)
def test_chunked_forward_equals_the_naive_pass(chunk: int, window: int | None) -> None:
    model = TINY.build_transformer()
    inputs = _inputs(model)
    bounds = chunk_bounds(LATENT[0], chunk)
    naive = NaiveMixer(bounds, 8, 1, window, record=True)
    cache = StreamCache(8, 1, window)
    errors = []

    def compare_states(index: int) -> None:
        for key, state in cache.states.items():
            errors.append(_relative(state, naive.states[key][index]))

    with torch.no_grad():
        whole = _whole(model, inputs, naive)
        chunked = _chunked(model, inputs, bounds, cache, compare_states)
    assert _relative(chunked, whole) <= TOLERANCE
    assert len(errors) == 2 * 3 * len(bounds) and max(errors) <= TOLERANCE  # 3 GDN blocks x 2


@pytest.mark.parametrize(("chunk", "window"), CASES, ids=IDS)
def test_streaming_generation_equals_the_naive_twin(
    pipe: SanaWMPipeline, cond, context, chunk: int, window: int | None
) -> None:
    settings = streaming.Settings(chunk, window, 1)
    chunks = list(
        streaming.stream(
            pipe, cond, settings, STEPS, torch.Generator().manual_seed(0), context=context
        )
    )
    twin = streaming.naive_twin(pipe, cond, settings, STEPS, torch.Generator().manual_seed(0))
    assert [(c.start, c.end) for c in chunks] == chunk_bounds(LATENT[0], chunk)
    latents = torch.cat([c.latents for c in chunks], dim=2)
    frames = np.concatenate([c.frames for c in chunks])
    assert latents.shape[2:] == LATENT and frames.shape == (PIXEL_FRAMES, 64, 128, 3)
    assert _relative(latents, twin.latents) <= TOLERANCE
    assert _relative(frames, twin.frames) <= TOLERANCE
    for key, states in twin.states.items():  # the carried state at every chunk boundary
        assert _relative(torch.stack([c.states[key] for c in chunks]), states) <= TOLERANCE
    for block, decays in twin.decays.items():
        assert _relative(torch.stack([c.decays[block] for c in chunks]), decays) <= TOLERANCE


def _vae(causal: bool) -> AutoencoderKLLTX2Video:
    temporal, spatial = vae_compression(TINY.vae)
    torch.manual_seed(1)
    return AutoencoderKLLTX2Video(
        **TINY.vae, decoder_causal=causal, spatial_compression_ratio=spatial,
        temporal_compression_ratio=temporal,
    ).eval()  # fmt: skip


@pytest.mark.parametrize("causal", [True, False], ids=["causal", "non-causal"])
def test_chunk_decoder_equals_the_whole_clip_decode(pipe: SanaWMPipeline, causal: bool) -> None:
    """Over a clip longer than the decoder's reach, chunk-wise decoding with the measured
    context gives the whole-clip decode; a non-causal decoder waits for its right context."""
    decoding = SanaWMPipeline(
        pipe.tokenizer, pipe.text_encoder, _vae(causal), pipe.transformer, pipe.scheduler
    )
    left, right = decoder_context(decoding)
    assert left > 0 and (right == 0) == causal
    frames = left + right + 10
    latents = torch.randn(
        1, TINY.vae["latent_channels"], frames, 2, 4, generator=torch.Generator().manual_seed(0)
    )
    decoder = ChunkDecoder(decoding, (left, right))
    bounds = chunk_bounds(frames, 3)
    pieces = [decoder.push(latents[:, :, s:e], last=e == frames) for s, e in bounds]
    if not causal:
        assert pieces[0].shape[0] == 0  # the first chunk still waits for right context
    assert _relative(np.concatenate(pieces), decode(decoding, latents)) <= TOLERANCE


def test_adapter_streams_and_returns_the_state_series(pipe: SanaWMPipeline) -> None:
    adapter = SanaWMAdapter(
        preset="tiny", steps=str(STEPS), device="cpu", mode="streaming", chunk="2", kv_window="2"
    )
    adapter._pipe, adapter._context = pipe, None
    request = _request((128, 64), frames=PIXEL_FRAMES)
    generation = adapter.generate(request)
    config = generation.info
    assert (config["mode"], config["chunk"], config["kv_window"], config["kv_sink"]) == (
        "streaming",
        2,
        2,
        1,
    )
    assert generation.video.frames.shape == (PIXEL_FRAMES, 64, 128, 3)
    assert generation.stage_seconds["decode"] > 0 and generation.stage_seconds["denoise"] > 0
    chunks = len(chunk_bounds(LATENT[0], 2))
    blocks = [0, 1, 2]  # the tiny preset's GDN blocks (block 3 is softmax)
    names = {
        f"{kind}/block{b}"
        for b in blocks
        for kind in ("gdn_state_norm", "gdn_cam_state_norm", "gdn_decay_mean")
    }
    assert set(generation.series) == names
    assert all(
        values.shape == (chunks,) and np.isfinite(values).all()
        for values in generation.series.values()
    )
    # The same values from the naive twin's states, sampled from the same request.
    image, trajectory = framing.to_model(request.image, request.trajectory, (128, 64), PIXEL_FRAMES)
    cond = streaming.prepare(
        pipe, Image.fromarray(image), request.case.prompt, trajectory.c2w, trajectory.intrinsics,
        (128, 64), PIXEL_FRAMES, adapter.guidance,
    )  # fmt: skip
    twin = streaming.naive_twin(
        pipe, cond, adapter.settings, STEPS, torch.Generator().manual_seed(request.seed)
    )
    expected = streaming.as_series([
        streaming.diagnostics(
            {key: states[i] for key, states in twin.states.items()},
            {block: decays[i] for block, decays in twin.decays.items()},
        )
        for i in range(chunks)
    ])  # fmt: skip
    for name, values in expected.items():
        np.testing.assert_allclose(generation.series[name], values, rtol=TOLERANCE)


@pytest.mark.parametrize("activations", [False, True], ids=["nvfp4-weight", "nvfp4"])
def test_quantized_model_streams_like_its_twin(activations: bool) -> None:
    """NVFP4 weights are the same in every pass, so streaming equals its twin. NVFP4
    activations take one scale per tensor from the tokens a layer sees (a chunk, or the whole
    sequence), so there the two agree only to the quantization's own error."""
    from reference_model.nvfp4.quantize import quantize_model
    from reference_model.nvfp4.select import sana_wm_keep

    model = TINY.build_transformer()
    assert quantize_model(model, sana_wm_keep, quantize_activations=activations).quantized
    inputs = _inputs(model)
    bounds = chunk_bounds(LATENT[0], 3)
    with torch.no_grad():
        whole = _whole(model, inputs, NaiveMixer(bounds, 8, 1, 2))
        chunked = _chunked(model, inputs, bounds, StreamCache(8, 1, 2))
    error = _relative(chunked, whole)
    print(f"NVFP4 ({'weights and activations' if activations else 'weights'}): {error:.1e}")
    assert error <= (0.2 if activations else TOLERANCE)


def test_streaming_walks_the_states_with_the_chosen_scan() -> None:
    calls = []

    def counting(w, u):
        calls.append(w.shape[1])
        return reference_scan(w, u)

    model = TINY.build_transformer()
    inputs = _inputs(model)
    with torch.no_grad():
        _chunked(model, inputs, chunk_bounds(LATENT[0], 3), StreamCache(8, 1, None, counting))
    assert calls  # every GDN scan of the chunked path went through the given scan


def test_mode_defaults_to_streaming_where_its_checkpoint_is(tmp_path: Path) -> None:
    assert (
        SanaWMAdapter(preset="tiny", checkpoint=str(tmp_path)).config()["mode"] == "bidirectional"
    )
    assert SanaWMAdapter(preset="full", checkpoint=str(tmp_path)).mode == "bidirectional"
    streaming_mode = SanaWMAdapter(preset="full", checkpoint=str(tmp_path), mode="streaming")
    with pytest.raises(ModelUnavailable, match="sana_wm_chunk_causal_1600m_720p.safetensors"):
        streaming_mode.check_available()
    assert CHUNK_CAUSAL_DIT_FILE in missing_files(tmp_path, refine=False, mode="streaming")
    assert CHUNK_CAUSAL_DIT_FILE not in missing_files(tmp_path, refine=False)
    (tmp_path / CHUNK_CAUSAL_DIT_FILE).parent.mkdir(parents=True)
    (tmp_path / CHUNK_CAUSAL_DIT_FILE).write_bytes(b"")
    assert SanaWMAdapter(preset="full", checkpoint=str(tmp_path)).config()["mode"] == "streaming"


def test_carried_state_scan_runs_in_the_triton_kernel() -> None:
    """The scan from a carried state (one prepended frame) through the Triton kernel, in
    Triton's interpreter: two chunks of one GDN block against the torch loop."""
    script = textwrap.dedent(
        """
        import torch
        from reference_model.gdn_kernel import triton_scan
        from reference_model.gdn_naive import reference_scan
        from reference_model.stream_cache import StreamCache
        g = torch.Generator().manual_seed(0)
        batch, heads, width, frames, spatial = 1, 2, 16, 3, 4
        q, k, v = (torch.rand(batch, heads, width, frames * spatial, generator=g) for _ in "qkv")
        k = k * 0.2
        beta = torch.rand(batch, heads, frames, spatial, generator=g)
        decay = 0.5 + 0.5 * torch.rand(batch, heads, frames, generator=g)
        outs = []
        for scan in (reference_scan, triton_scan):
            cache = StreamCache(spatial, 1, None, scan)
            cache.commit = True
            parts = [cache.gdn(0, "main", q, k, v, q, k, beta, decay) for _ in range(2)]
            outs.append(torch.cat([t for part in parts for t in part], dim=-2))
        print(float((outs[1] - outs[0]).norm() / outs[0].norm()))
        """
    )
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.split()[-1]) <= TOLERANCE


@pytest.mark.gpu
def test_triton_scan_streams_like_the_torch_loop() -> None:
    from reference_model.gdn_kernel import triton_scan

    with torch.device("cuda"):
        model = TINY.build_transformer()
    inputs = {name: value.cuda() for name, value in _inputs(model).items()}
    bounds = chunk_bounds(LATENT[0], 2)
    with torch.no_grad():
        torch_loop = _chunked(model, inputs, bounds, StreamCache(8, 1, 2))
        kernel = _chunked(model, inputs, bounds, StreamCache(8, 1, 2, triton_scan))
    assert _relative(kernel, torch_loop) <= TOLERANCE


def test_a_streaming_smoke_run_stores_and_plots_the_state_series(tmp_path) -> None:
    """Through the harness: a streaming run stores the per-chunk GDN state series with the case
    (``model/...`` in series.npz) and the report draws them beside the camera windows."""
    from wmbench import api
    from wmbench.report.leaderboard import write_leaderboard
    from wmbench.report.measured import load_runs, model_series

    options = {"preset": "tiny", "steps": "1", "mode": "streaming", "chunk": "1", "device": "cpu"}
    result = api.evaluate(
        "smoke",
        [api.ModelChoice("sana-wm", options)],
        selection=api.Overrides(frames=17, resolution=(64, 32), limit=1, split="hard_60s"),
        evaluators=["throughput"],
        out=tmp_path / "run",
        save_videos=False,
    )
    assert result.failed_cases == 0
    (run,) = load_runs([result.out])
    series = model_series([run])
    assert {"gdn_state_norm", "gdn_decay_mean"} <= set(series["series"])
    assert (series["block"] >= 0).all() and series["step"].max() >= 1  # several chunks
    written = write_leaderboard([run], [], tmp_path / "board")
    assert tmp_path / "board" / "plots" / "over_time_model.png" in written.figures
