"""Torch threading for per-frame work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def single_torch_thread() -> Iterator[None]:
    """Run torch on one intra-op thread, restoring the setting after: on per-frame images the
    wake-ups of OpenMP's threads cost more than they give (4-17x slower with two threads on a
    busy two-core machine)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
