"""Training files that appear whole or not at all, through wmbench's one atomic write
(:func:`wmbench.core.files.atomic_write`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from wmbench.core.files import atomic_write, atomic_write_text


def save_tensors(path: Path, value: Any) -> None:
    """``torch.save`` atomically."""
    atomic_write(path, lambda temporary: torch.save(value, temporary))


def save_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=1))
