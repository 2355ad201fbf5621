"""The fast GDN path against diffusers' torch GDN.

On a CPU: the wrapper's plumbing (frame layout, gates, the normaliser's transposed scan, the
reversed pass, routing) with the scan done by its torch twin, and the Triton kernel itself in
Triton's interpreter. On CUDA: the kernel at the release's widths, fp32 and bf16.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("triton")

from diffusers.models.transformers import transformer_sana_wm as sana_wm  # noqa: E402
from diffusers.pipelines.sana_wm.cam_utils import prepare_camera  # noqa: E402

from reference_model.gdn import frame_delta_rule, frame_gdn, set_gdn_scan  # noqa: E402
from reference_model.gdn_naive import reference_scan  # noqa: E402
from reference_model.presets import FULL, TINY  # noqa: E402

FP32_TOLERANCE = 1e-5


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm())


def _gdn_inputs(
    batch: int, heads: int, width: int, frames: int, spatial: int, per_token_beta: bool, seed: int
) -> dict[str, torch.Tensor]:
    """Random inputs shaped as the GDN modules pass them: ReLU'd q/k with keys scaled by
    (D * S)^-1/2, values, beta in (0, 1), decay in (0, 1)."""
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, heads, width, frames * spatial)

    def draw(*size: int) -> torch.Tensor:
        return torch.randn(*size, generator=generator)

    scale = (width * spatial) ** -0.5
    q, k = draw(*shape).relu(), draw(*shape).relu() * scale
    q_rot, k_rot = draw(*shape), draw(*shape) * scale
    beta_shape = (batch, heads, frames, spatial) if per_token_beta else (batch, heads, frames)
    return {
        "q": q,
        "k": k,
        "v": draw(*shape),
        "q_rot": q_rot,
        "k_rot": k_rot,
        "beta": torch.rand(*beta_shape, generator=generator),
        "decay": torch.rand(batch, heads, frames, generator=generator),
    }


@pytest.mark.parametrize(
    ("frames", "spatial", "width", "per_token_beta"),
    [(7, 5, 20, True), (1, 3, 16, False), (23, 4, 12, True)],
    ids=["T7-S5-D20-token-beta", "T1-S3-D16-frame-beta", "T23-S4-D12-two-chunks"],
)
def test_frame_gdn_matches_diffusers(frames: int, spatial: int, width: int, per_token_beta: bool):
    x = _gdn_inputs(2, 3, width, frames, spatial, per_token_beta, seed=frames)
    expected = sana_wm.torch_chunk_sana_gdn(**x, chunk_size=21, return_components=True)
    actual = frame_gdn(**x, return_components=True, scan=reference_scan)
    for got, want in zip(actual, expected, strict=True):
        assert got.shape == want.shape
        assert _relative(got, want) < FP32_TOLERANCE
    ratio = frame_gdn(**x, eps=1e-6, scan=reference_scan)
    assert _relative(ratio, expected[0] / (expected[1] + 1e-6)) < FP32_TOLERANCE


@pytest.mark.parametrize("per_token_beta", [True, False], ids=["token-beta", "frame-beta"])
def test_frame_delta_rule_matches_diffusers(per_token_beta: bool) -> None:
    x = _gdn_inputs(1, 2, 20, 9, 6, per_token_beta, seed=3)
    args = (x["q_rot"], x["k_rot"], x["v"], x["beta"], x["decay"])
    expected = sana_wm.torch_chunk_cam_single_path_delta_rule(*args, chunk_size=4)
    assert _relative(frame_delta_rule(*args, scan=reference_scan), expected) < FP32_TOLERANCE


def _tiny_forward_inputs(frames: int) -> dict[str, object]:
    batch, (width, height) = 2, TINY.resolution
    latent = ((frames - 1) // 8 + 1, height // 32, width // 32)
    generator = torch.Generator().manual_seed(0)
    c2w = np.tile(np.eye(4, dtype=np.float32), (frames, 1, 1))
    c2w[:, 0, 3] = np.linspace(0.0, 1.0, frames)
    intrinsics = np.tile(np.array([60, 60, 63.5, 31.5], np.float32), (frames, 1))
    camera = prepare_camera(c2w, intrinsics, target_size=(height, width), vae_stride=(8, 32, 32))
    valid = torch.ones(batch, latent[0])
    valid[1, -1] = 0.0  # a padded last frame in the second sample: the masks' path too
    return {
        "hidden_states": torch.randn(batch, 8, *latent, generator=generator),
        "timestep": torch.full((batch, 1, latent[0]), 500.0),
        "encoder_hidden_states": torch.randn(batch, 1, 6, 32, generator=generator),
        "encoder_attention_mask": torch.ones(batch, 6),
        "camera_conditions": camera["raymap"][None].expand(batch, -1, -1),
        "chunk_plucker": camera["chunk_plucker"][None].expand(batch, -1, -1, -1, -1),
        "frame_valid_mask": valid,
        "return_dict": False,
    }


def test_transformer_routes_every_gdn_module_through_the_scan() -> None:
    model = TINY.build_transformer()
    inputs = _tiny_forward_inputs(frames=17)
    calls = []

    def counting_scan(w: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        calls.append(u.shape[2])
        return reference_scan(w, u)

    with torch.no_grad():
        expected = model(**inputs)[0]
        gdn_blocks = sum(type(b.attn).__name__.startswith("Bidirectional") for b in model.blocks)
        assert set_gdn_scan(model, counting_scan) == 2 * gdn_blocks
        routed = model(**inputs)[0]
        # per GDN block: forward and reversed passes of the main branch (state and normaliser
        # rows) and of the camera branch (state rows)
        assert len(calls) == gdn_blocks * 6 and calls.count(1) == gdn_blocks * 2
        assert _relative(routed, expected) < FP32_TOLERANCE
        # and the comparison can fail: a scan dropping the last frame's input is far off
        set_gdn_scan(
            model, lambda w, u: reference_scan(w, torch.cat([u[:, :-1], 0 * u[:, -1:]], 1))
        )
        assert _relative(model(**inputs)[0], expected) > 1e-3
        set_gdn_scan(model, None)
        assert not any("forward" in vars(m) for m in model.modules())
        assert torch.equal(model(**inputs)[0], expected)


def test_triton_kernel_matches_its_twin_in_the_interpreter() -> None:
    script = textwrap.dedent(
        """
        import torch
        from reference_model.gdn_kernel import triton_scan
        from reference_model.gdn_naive import reference_scan
        generator = torch.Generator().manual_seed(0)
        for n, t, d, r in [(3, 7, 20, 5), (2, 4, 40, 1), (1, 3, 16, 33)]:
            w = torch.randn(n, t, d, d, generator=generator) / d**0.5
            u = torch.randn(n, t, r, d, generator=generator)
            want = reference_scan(w, u)
            got = triton_scan(w, u)
            print(float((got - want).norm() / want.norm()))
        """
    )
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    errors = [float(line) for line in result.stdout.split()]
    assert len(errors) == 3 and max(errors) < FP32_TOLERANCE


@pytest.mark.gpu
@pytest.mark.parametrize(
    ("dtype", "tolerance"), [(torch.float32, 1e-4), (torch.bfloat16, 2e-2)], ids=["fp32", "bf16"]
)
def test_triton_scan_matches_torch_on_cuda(dtype: torch.dtype, tolerance: float) -> None:
    """One GDN attention at the release's widths over 10 s of 704x1280 latents (21 frames of
    22 x 40 tokens), camera branch on: Triton scan against diffusers' torch scan."""
    from reference_model.gdn_kernel import triton_scan

    with torch.device("cuda"):  # the release's configuration cut to its first (GDN) block
        model = replace(FULL, transformer={**FULL.transformer, "num_layers": 1}).build_transformer()
    attention = model.blocks[0].attn.to(dtype)
    frames, height, width = 21, 22, 40
    generator = torch.Generator(device="cuda").manual_seed(0)
    tokens = torch.randn(
        1, frames * height * width, attention.in_dim, generator=generator, device="cuda"
    ).to(dtype)
    c2w = np.tile(np.eye(4, dtype=np.float32), (8 * (frames - 1) + 1, 1, 1))
    c2w[:, 2, 3] = np.linspace(0.0, 3.0, len(c2w))
    intrinsics = np.tile(np.array([1100, 1100, 639.5, 351.5], np.float32), (len(c2w), 1))
    camera = prepare_camera(c2w, intrinsics, target_size=(704, 1280), vae_stride=(8, 32, 32))
    kwargs = {
        "HW": (frames, height, width),
        "rotary_emb": model.rope((frames, height, width), device="cuda"),
        "camera_conditions": camera["raymap"][None].to("cuda", dtype),
    }
    with torch.no_grad():
        expected = attention(tokens, **kwargs)
        set_gdn_scan(attention, triton_scan)
        actual = attention(tokens, **kwargs)
    error = _relative(actual.float(), expected.float())
    print(f"GDN attention, Triton vs torch scan, {dtype}: relative L2 error {error:.3e}")
    assert error < tolerance
