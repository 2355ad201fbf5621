"""The shared loading path of the learned evaluators (CLIP, aesthetic, DINO, LPIPS).

Weights come only from the local weight store (:mod:`wmbench.core.weights`); nothing is ever
downloaded. A file is read with ``torch.load(weights_only=True)`` and loaded strictly; a file
that cannot be read, is no state dict, or does not fit the module (missing or unexpected keys,
wrong shapes) is an InputError naming the file, what was expected and what differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from wmbench.core.errors import InputError


def device() -> torch.device:
    """CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def read_state(path: Path, expected: str) -> dict[str, torch.Tensor]:
    """The state dict saved at ``path`` (on the CPU, tensors only); an InputError naming the
    file and ``expected`` when it cannot be read or holds no dict."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable file is reported alike
        raise InputError(path, "state_dict", expected, f"an unreadable file ({error})") from error
    if not isinstance(state, dict):
        raise InputError(path, "state_dict", expected, type(state).__name__)
    return state


def load_state(
    module: nn.Module, state: Mapping[str, torch.Tensor], path: Path, expected: str
) -> None:
    """Load ``state`` (read from ``path``) into ``module``, strictly; an InputError naming the
    file and what does not match (keys, shapes) otherwise."""
    problems = _mismatches(module.state_dict(), state)
    if problems:
        raise InputError(path, "state_dict", expected, problems)
    module.load_state_dict(state, strict=True)


def _mismatches(own: Mapping[str, torch.Tensor], found: Mapping[str, object]) -> str:
    """What keeps ``found`` from loading strictly where ``own`` is expected ("" if nothing)."""

    def shape(value: object) -> str:
        return str(tuple(value.shape)) if isinstance(value, torch.Tensor) else "no tensor"

    missing = sorted(own.keys() - found.keys())
    unexpected = sorted(found.keys() - own.keys())
    wrong = [
        f"{key} {shape(found[key])} instead of {tuple(own[key].shape)}"
        for key in sorted(own.keys() & found.keys())
        if shape(found[key]) != str(tuple(own[key].shape))
    ]
    groups = (("missing keys", missing), ("unexpected keys", unexpected), ("wrong shapes", wrong))
    return "; ".join(
        f"{len(items)} {label} ({', '.join(items[:3])}{', ...' if len(items) > 3 else ''})"
        for label, items in groups
        if items
    )
