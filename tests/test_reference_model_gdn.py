"""The fast GDN subclasses against diffusers' own GDN attention modules.

On a CPU: each subclass's forward (frame layout, gates and masks, RoPE / UCPE, the normaliser's
transposed scan, the backward pass) with the scan done by its torch twin against the parent's
forward; the swap into a tiny model and back; the Triton kernel and both subclasses on it in
Triton's interpreter. On CUDA: the kernel at the release's widths, fp32 and bf16.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("triton")

from diffusers.models.transformers import transformer_sana_wm as sana_wm  # noqa: E402
from diffusers.pipelines.sana_wm.cam_utils import prepare_camera  # noqa: E402

from reference_model.gdn import (  # noqa: E402
    FastGDNAttention,
    FastGDNCamAttention,
    set_gdn_scan,
)
from reference_model.gdn_naive import reference_scan  # noqa: E402
from reference_model.presets import FULL, TINY  # noqa: E402

FP32_TOLERANCE = 1e-5
BF16_TOLERANCE = 1e-2  # one bf16 rounding of the output (8 bits of mantissa)
GDN_CLASSES = (sana_wm.SanaWMBidirectionalGDNAttention, sana_wm.SanaWMBidirectionalGDNCamAttention)


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm())


@dataclass(frozen=True)
class Shape:
    batch: int
    frames: int
    spatial: int
    heads: int
    width: int


def _phases(generator: torch.Generator, *shape: int) -> torch.Tensor:
    """Unit complex numbers of random phase: RoPE frequencies' form."""
    return torch.polar(torch.ones(*shape), torch.rand(*shape, generator=generator) * 6.3)


def _module_inputs(
    shape: Shape, per_token_beta: bool, masked: str, dtype: torch.dtype, seed: int
) -> tuple[dict[str, object], tuple[torch.Tensor | None, ...]]:
    """Random inputs shaped as BidirectionalGDNUCPESinglePathLiteLA passes them: ReLU'd (B, N, H,
    D) queries and keys, values, beta in (0, 1), decay in (0, 1); and the (token, beta, decay)
    masks diffusers' ``_prepare_frame_valid_masks`` makes when the last sample's middle and last
    frames are padding, as ``masked`` picks: ``all``, ``gates`` (beta and decay), ``token``,
    ``none``."""
    generator = torch.Generator().manual_seed(seed)
    b, t, s, h, d = shape.batch, shape.frames, shape.spatial, shape.heads, shape.width

    def draw(*size: int) -> torch.Tensor:
        return torch.randn(*size, generator=generator)

    qkv = {"query": draw(b, t * s, h, d).relu(), "key": draw(b, t * s, h, d).relu()}
    qkv["value"] = draw(b, t * s, h, d)
    qkv = {name: x.to(dtype) for name, x in qkv.items()}
    beta = torch.rand(*((b, h, t, s) if per_token_beta else (b, h, t)), generator=generator)
    decay = torch.rand(b, h, t, generator=generator)
    valid = torch.ones(b, t)
    valid[-1, [t // 2, -1]] = 0.0
    token, beta_mask, decay_mask = sana_wm._prepare_frame_valid_masks(
        None if masked == "none" else valid, batch_size=b, num_frames=t, spatial_size=s,
        device="cpu", dtype=dtype,
    )  # fmt: skip
    masks = {
        "none": (None, None, None),
        "all": (token, beta_mask, decay_mask),
        "gates": (None, beta_mask, decay_mask),
        "token": (token, None, None),
    }[masked]
    return {**qkv, "beta": beta.to(dtype), "decay": decay}, masks


def _mask_kwargs(masks: tuple[torch.Tensor | None, ...]) -> dict[str, torch.Tensor | None]:
    return dict(
        zip(("token_valid_mask", "beta_valid_mask", "decay_valid_mask"), masks, strict=True)
    )


def _ray_transforms(shape: Shape, rope: bool, seed: int, dtype=torch.float32) -> tuple:
    """UCPE's (P, P^T, P^-1, RoPE) for random rigid per-token transforms in ``dtype``."""
    generator = torch.Generator().manual_seed(seed)
    tokens = shape.frames * shape.spatial
    p = torch.zeros(shape.batch, tokens, 4, 4)
    p[..., :3, :3] = torch.linalg.qr(torch.randn(shape.batch, tokens, 3, 3, generator=generator))[0]
    p[..., :3, 3] = torch.randn(shape.batch, tokens, 3, generator=generator)
    p[..., 3, 3] = 1.0
    freqs = _phases(generator, 1, 1, tokens, shape.width // 4) if rope else None
    p_inv = sana_wm._invert_SE3(p)
    return p.to(dtype), p.transpose(-1, -2).to(dtype), p_inv.to(dtype), freqs


SHAPES = {  # T=1: no backward state; T=23: two of diffusers' 21-frame chunks
    "T5-S6-D8": Shape(2, 5, 6, 3, 8),
    "T1-S4-D8": Shape(2, 1, 4, 2, 8),
    "T23-S3-D16": Shape(2, 23, 3, 2, 16),
}
# the model passes beta per token (B, H, T, S); the rule also takes it per frame (B, H, T),
# where diffusers' (B, 1, T, 1) beta mask does not broadcast: per-frame beta runs unmasked
CASES = [
    pytest.param(name, per_token, masked, id=f"{name}-{beta}-masks-{masked}")
    for name in SHAPES
    for per_token, beta in ((True, "token-beta"), (False, "frame-beta"))
    for masked in ("none", "all", "gates", "token")
    if per_token or masked == "none"
]


@pytest.mark.parametrize("rope", [True, False], ids=["rope", "no-rope"])
@pytest.mark.parametrize(("name", "per_token_beta", "masked"), CASES)
def test_fast_gdn_attention_matches_diffusers(name, per_token_beta, masked, rope) -> None:
    shape = SHAPES[name]
    inputs, masks = _module_inputs(shape, per_token_beta, masked, torch.float32, seed=1)
    tokens = shape.frames * shape.spatial
    generator = torch.Generator().manual_seed(2)
    rotary = _phases(generator, 1, 1, tokens, shape.width // 2) if rope else None
    kwargs = {**inputs, "recall_gate": torch.zeros(1), "num_frames": shape.frames}
    kwargs |= {"rotary_emb": rotary, **_mask_kwargs(masks)}
    want = sana_wm.SanaWMBidirectionalGDNAttention(eps=1e-15, chunk_size=21)(**kwargs)
    got = FastGDNAttention(reference_scan, eps=1e-15, chunk_size=21)(**kwargs)
    assert got.shape == want.shape == (shape.batch, tokens, shape.heads * shape.width)
    assert _relative(got, want) < FP32_TOLERANCE
    if masked in ("all", "token"):
        assert not got[-1, -shape.spatial :].any()


@pytest.mark.parametrize("rope", [True, False], ids=["rope", "no-rope"])
@pytest.mark.parametrize(("name", "per_token_beta", "masked"), CASES)
def test_fast_gdn_cam_attention_matches_diffusers(name, per_token_beta, masked, rope) -> None:
    shape = SHAPES[name]
    inputs, masks = _module_inputs(shape, per_token_beta, masked, torch.float32, seed=3)
    kwargs = {**inputs, "ray_transforms": _ray_transforms(shape, rope, seed=4)}
    kwargs |= {"num_frames": shape.frames, **_mask_kwargs(masks)}
    want = sana_wm.SanaWMBidirectionalGDNCamAttention(chunk_size=21)(**kwargs)
    got = FastGDNCamAttention(reference_scan, chunk_size=21)(**kwargs)
    assert got.shape == want.shape
    assert _relative(got, want) < FP32_TOLERANCE


def test_fast_gdn_keeps_the_callers_dtype() -> None:
    """bf16 in, bf16 out, as diffusers: the scans in fp32, one rounding of the output."""
    shape = SHAPES["T5-S6-D8"]
    inputs, masks = _module_inputs(shape, True, "all", torch.bfloat16, seed=5)
    rays = _ray_transforms(shape, True, seed=6, dtype=torch.bfloat16)
    main = {**inputs, "recall_gate": torch.zeros(1), "num_frames": 5, **_mask_kwargs(masks)}
    cam = {**inputs, "ray_transforms": rays, "num_frames": 5, **_mask_kwargs(masks)}
    pairs = [
        (
            sana_wm.SanaWMBidirectionalGDNAttention()(**main),
            FastGDNAttention(reference_scan)(**main),
        ),
        (
            sana_wm.SanaWMBidirectionalGDNCamAttention()(**cam),
            FastGDNCamAttention(reference_scan)(**cam),
        ),
    ]
    for want, got in pairs:
        assert got.dtype == want.dtype == torch.bfloat16
        assert _relative(got, want) < BF16_TOLERANCE


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


VARIANTS = {  # what the pipeline passes: padded frames masked or not, the camera branch or not
    "camera-masked": {},
    "camera": {"frame_valid_mask": None},
    "no-camera": {"frame_valid_mask": None, "camera_conditions": None, "chunk_plucker": None},
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_swap_matches_diffusers_and_restores(variant: str) -> None:
    model = TINY.build_transformer().eval()
    inputs = {**_tiny_forward_inputs(frames=17), **VARIANTS[variant]}
    weights = model.state_dict()
    calls = []

    def counting_scan(w: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        calls.append(u.shape[2])
        return reference_scan(w, u)

    with torch.no_grad():
        expected = model(**inputs)[0]
        gdn_blocks = [b.attn for b in model.blocks if isinstance(b.attn.attn, GDN_CLASSES)]
        assert set_gdn_scan(model, counting_scan) == 2 * len(gdn_blocks) > 0
        assert all(type(b.attn) is FastGDNAttention for b in gdn_blocks)
        assert all(type(b.cam_attn) is FastGDNCamAttention for b in gdn_blocks)
        assert not any(m.training for m in model.modules())
        swapped = model.state_dict()
        assert list(swapped) == list(weights)
        assert all(swapped[n].data_ptr() == weights[n].data_ptr() for n in weights)
        routed = model(**inputs)[0]
        # per GDN block, forward and backward: state rows (R = D) and normaliser rows (R = 1)
        # of the main branch, and with a camera the camera branch's state rows
        passes = 2 * (3 if VARIANTS[variant].get("camera_conditions", True) is not None else 2)
        assert len(calls) == passes * len(gdn_blocks) and calls.count(1) == 2 * len(gdn_blocks)
        assert _relative(routed, expected) < FP32_TOLERANCE
        # and the comparison can fail: a scan dropping the last frame's input is far off
        set_gdn_scan(
            model, lambda w, u: reference_scan(w, torch.cat([u[:, :-1], 0 * u[:, -1:]], 1))
        )
        assert _relative(model(**inputs)[0], expected) > 1e-3
        assert set_gdn_scan(model, None) == 2 * len(gdn_blocks)
        assert {type(m) for m in model.modules() if isinstance(m, GDN_CLASSES)} == set(GDN_CLASSES)
        assert torch.equal(model(**inputs)[0], expected)


def test_swap_needs_the_modules_owner() -> None:
    with pytest.raises(ValueError, match="owner"):
        set_gdn_scan(sana_wm.SanaWMBidirectionalGDNAttention(), reference_scan)


def test_fast_gdn_on_the_triton_kernel_in_the_interpreter() -> None:
    """The Triton path of both subclasses (Triton's interpreter on the CPU) against their
    torch path."""
    script = textwrap.dedent(
        """
        import torch
        from reference_model.gdn import FastGDNAttention, FastGDNCamAttention
        from reference_model.gdn_kernel import triton_scan
        from reference_model.gdn_naive import reference_scan
        from tests.test_reference_model_gdn import SHAPES, _module_inputs, _ray_transforms
        shape = SHAPES["T5-S6-D8"]
        x, _ = _module_inputs(shape, True, "none", torch.float32, seed=7)
        main = {**x, "recall_gate": torch.zeros(1), "num_frames": 5}
        cam = {**x, "ray_transforms": _ray_transforms(shape, True, 8), "num_frames": 5}
        for cls, kwargs in ((FastGDNAttention, main), (FastGDNCamAttention, cam)):
            want, got = cls(reference_scan)(**kwargs), cls(triton_scan)(**kwargs)
            print(float((got - want).norm() / want.norm()))
        """
    )
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    errors = [float(line) for line in result.stdout.split()]
    assert len(errors) == 2 and max(errors) < FP32_TOLERANCE


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
