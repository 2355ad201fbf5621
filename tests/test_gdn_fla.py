"""Why flash-linear-attention's kernels cannot run SANA-WM's GDN, shown on its own naive twin.

fla's ``naive_recurrent_gated_delta_rule`` (fla-core 0.6.0, ``fla/ops/gated_delta_rule/naive.py``,
the reference its Triton kernels are tested against) is the token-wise rule: each token updates
the state the token before it wrote. SANA-WM's rule (diffusers'
``torch_chunk_cam_single_path_delta_rule``, which :mod:`reference_model.gdn` scans) is frame-wise:
all S tokens of a frame update the same previous state, ``S_t = g_t S_{t-1} (I - K_t B_t K_t^T)
+ V_t B_t K_t^T``. With one token per frame the two are the same function; with several they are
not, so fla's chunked kernels (which compute its rule) cannot replace the frame scan."""

from __future__ import annotations

import pytest
import torch

naive = pytest.importorskip("fla.ops.gated_delta_rule.naive")
sana_wm = pytest.importorskip("diffusers.models.transformers.transformer_sana_wm")

BATCH, HEADS, WIDTH, FRAMES = 1, 2, 8, 6


def _inputs(tokens_per_frame: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """q, k, v [B, H, D, N] (unit keys), beta [B, H, T, S] in (0, 1), decay [B, H, T]."""
    generator = torch.Generator().manual_seed(seed)
    tokens = FRAMES * tokens_per_frame

    def draw(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator)

    k = torch.nn.functional.normalize(draw(BATCH, HEADS, WIDTH, tokens), dim=2)
    beta = torch.rand(BATCH, HEADS, FRAMES, tokens_per_frame, generator=generator) * 0.9 + 0.05
    decay = torch.rand(BATCH, HEADS, FRAMES, generator=generator) * 0.5 + 0.5
    q, v = draw(BATCH, HEADS, WIDTH, tokens), draw(BATCH, HEADS, WIDTH, tokens)
    return {"q": q, "k": k, "v": v, "beta": beta, "decay": decay}


def _ours(x: dict[str, torch.Tensor]) -> torch.Tensor:
    """SANA-WM's frame-wise rule (diffusers' camera-branch numerator), per token [B, N, H, D]."""
    out = sana_wm.torch_chunk_cam_single_path_delta_rule(
        x["q"], x["k"], x["v"], x["beta"], x["decay"], chunk_size=FRAMES
    )
    return out.permute(0, 3, 1, 2)


def _fla(x: dict[str, torch.Tensor]) -> torch.Tensor:
    """fla's token-wise rule on the same tokens: the frame's decay at its first token."""
    tokens_per_frame = x["beta"].shape[-1]
    log_decay = torch.zeros(BATCH, HEADS, FRAMES, tokens_per_frame)
    log_decay[..., 0] = x["decay"].log()

    def per_token(t: torch.Tensor) -> torch.Tensor:  # [B, H, D, N] -> [B, N, H, D]
        return t.permute(0, 3, 1, 2)

    out, _ = naive.naive_recurrent_gated_delta_rule(
        per_token(x["q"]),
        per_token(x["k"]),
        per_token(x["v"]),
        beta=x["beta"].flatten(2).transpose(1, 2),
        g=log_decay.flatten(2).transpose(1, 2),
        scale=1.0,
    )
    return out


def test_with_one_token_per_frame_fla_computes_the_same_function():
    x = _inputs(tokens_per_frame=1)
    torch.testing.assert_close(_fla(x), _ours(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("tokens_per_frame", [2, 4])
def test_with_several_tokens_per_frame_fla_computes_another_function(tokens_per_frame):
    x = _inputs(tokens_per_frame)
    difference = (_fla(x) - _ours(x)).abs().max().item()
    assert difference > 1e-2, difference  # far above the float32 agreement of one token
