"""The frame-wise GDN state scan as a plain loop: the readable twin of the Triton kernel in
:mod:`reference_model.gdn_kernel`, kept apart from it (as flash-linear-attention keeps
``naive.py`` beside its kernels) so that the model runs without importing Triton.

``S_t = S_{t-1} @ W_t + U_t`` from ``S_0 = 0``: ``w`` [N, T, D, D] transitions and ``u``
[N, T, R, D] inputs give the states [N, T, R, D], in fp32.
"""

from __future__ import annotations

import torch


def reference_scan(w: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The scan as a plain loop over T: the readable twin of :func:`triton_scan`."""
    state = torch.zeros_like(u[:, 0], dtype=torch.float32)
    states = []
    for t in range(w.shape[1]):
        state = state @ w[:, t].float() + u[:, t].float()
        states.append(state)
    return torch.stack(states, dim=1)
