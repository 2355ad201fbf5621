"""The frame-wise GDN state scan as a Triton kernel (its plain torch twin: :mod:`.gdn_naive`).

Both compute every state of ``S_t = S_{t-1} @ W_t + U_t`` from ``S_0 = 0`` to fp32 accuracy:
``w`` [N, T, D, D] transitions and ``u`` [N, T, R, D] inputs give the states [N, T, R, D].
Rows of ``S`` evolve independently, so each Triton program owns one block of rows of one of the N
sequences and walks the T steps; each step reads the previous state back from the output it just
wrote and forms the new one a block of columns at a time, so only a D x BLOCK_C slice of ``W_t``
is held at once.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

BLOCK_ROWS = 16  # the smallest row count of a Triton dot
# Measured on an H100 at T=121, D=112 (reports/reference_model_gdn.md): 64-column slices with
# 3xTF32 products (each fp32 operand split into a TF32 part and its TF32 remainder, three
# tensor-core products) ran fastest at fp32 accuracy; plain fp32 ("ieee") dots take the slow
# non-tensor-core path, single TF32 loses three digits.
BLOCK_COLUMNS = 64
PRECISION = "tf32x3"


@triton.jit
def _scan_kernel(
    w_ptr,
    u_ptr,
    out_ptr,
    T: tl.constexpr,
    R: tl.constexpr,
    D: tl.constexpr,
    BLOCK_R: tl.constexpr,
    BLOCK_D: tl.constexpr,
    BLOCK_C: tl.constexpr,
    PRECISION: tl.constexpr,
):
    sequence = tl.program_id(0).to(tl.int64)
    rows = tl.program_id(1) * BLOCK_R + tl.arange(0, BLOCK_R)
    inner = tl.arange(0, BLOCK_D)
    row_ok = rows < R
    state_offsets = rows[:, None] * D + inner[None, :]
    state_mask = row_ok[:, None] & (inner < D)[None, :]
    for t in range(T):
        step = sequence * T + t
        # S_{t-1}: the rows this program stored last step (zero before the first)
        state = tl.load(
            out_ptr + (step - 1) * R * D + state_offsets, mask=state_mask & (t > 0), other=0.0
        )
        for first in tl.static_range(0, BLOCK_D, BLOCK_C):
            cols = first + tl.arange(0, BLOCK_C)
            w = tl.load(
                w_ptr + step * D * D + inner[:, None] * D + cols[None, :],
                mask=(inner < D)[:, None] & (cols < D)[None, :],
                other=0.0,
            )
            offsets = rows[:, None] * D + cols[None, :]
            mask = row_ok[:, None] & (cols < D)[None, :]
            u = tl.load(u_ptr + step * R * D + offsets, mask=mask, other=0.0)
            new = tl.dot(state, w, input_precision=PRECISION) + u
            tl.store(out_ptr + step * R * D + offsets, new, mask=mask)
        tl.debug_barrier()  # this step's stores are visible to every thread before the next loads


def triton_scan(
    w: torch.Tensor,
    u: torch.Tensor,
    block_columns: int = BLOCK_COLUMNS,
    precision: str = PRECISION,
) -> torch.Tensor:
    """The scan on the GPU (or in Triton's interpreter when ``TRITON_INTERPRET=1``), in fp32."""
    sequences, steps, width, _ = w.shape
    rows = u.shape[2]
    if w.shape != (sequences, steps, width, width) or u.shape != (sequences, steps, rows, width):
        raise ValueError(f"expected w [N, T, D, D] and u [N, T, R, D], got {w.shape}, {u.shape}")
    w = w.float().contiguous()
    u = u.float().contiguous()
    out = torch.empty_like(u)
    block_d = max(triton.next_power_of_2(width), BLOCK_ROWS)
    _scan_kernel[(sequences, triton.cdiv(rows, BLOCK_ROWS))](
        w,
        u,
        out,
        T=steps,
        R=rows,
        D=width,
        BLOCK_R=BLOCK_ROWS,
        BLOCK_D=block_d,
        BLOCK_C=min(block_columns, block_d),
        PRECISION=precision,
    )
    return out
