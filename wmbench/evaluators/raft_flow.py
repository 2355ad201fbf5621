"""RAFT optical flow for VBench's dynamic degree: torchvision's ``raft_large`` with VBench's
checkpoint.

VBench (Vchitect/VBench at 45e79ec, ``vbench/dynamic_degree.py``) runs princeton-vl's RAFT
(``vbench/third_party/RAFT/core/raft.py``, ``small=False``, no mixed precision) with
``raft-things.pth`` (from ``models.zip`` of RAFT's ``download_models.sh``; trained on
FlyingChairs + FlyingThings3D), 20 refinement iterations, on frames padded by replication to
multiples of 8 (``InputPadder``, "sintel" mode: split evenly on both sides).

torchvision's ``raft_large`` is the same network (encoders, correlation pyramid of 4 levels and
radius 4, separable ConvGRU, convex upsampling with the 0.25 mask factor); only the parameter
names differ. ``python -m wmbench weights convert raft`` renames the original checkpoint's keys
(:func:`convert_raft_state`) and writes the ``raft-things-torchvision`` entry, which then loads
strictly. The original's ``norm3`` of a strided residual block is the same module as its
``downsample.1`` (saved twice); the conversion keeps one copy after checking they are equal.
The original network scales 0-255 pixels to [-1, 1] itself; torchvision's takes [-1, 1].
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.models.optical_flow import RAFT, raft_large

from wmbench.core import weights
from wmbench.core.errors import InputError
from wmbench.core.files import atomic_write
from wmbench.evaluators.functional.threads import single_torch_thread
from wmbench.evaluators.learned_weights import device, load_state, read_state

ORIGINAL_WEIGHTS = "raft-things"
ORIGINAL_CHECKPOINT = "raft-things.pth"
WEIGHTS = "raft-things-torchvision"
CHECKPOINT = "raft_large_things.pth"
FLOW_ITERS = 20
MIN_SIDE = 128  # RAFT's and AMT's 1/8-resolution correlations are pooled 3 more times
ORIGINAL_KEYS = "princeton-vl RAFT's state dict (module.fnet, module.cnet, module.update_block)"
TORCHVISION_KEYS = "torchvision raft_large's state dict (`python -m wmbench weights convert raft`)"

# princeton-vl name (after "module.") -> torchvision name, the rules applied in turn; the
# flow head's names are the same in both
_RENAMES: tuple[tuple[str, str], ...] = (
    (r"^fnet\.", "feature_encoder."),
    (r"^cnet\.", "context_encoder."),
    (r"^(\w+_encoder)\.conv1\.", r"\1.convnormrelu.0."),
    (r"^(\w+_encoder)\.norm1\.", r"\1.convnormrelu.1."),
    (r"^(\w+_encoder)\.conv2\.", r"\1.conv."),
    (r"^(\w+_encoder\.layer\d\.\d)\.conv([12])\.", r"\1.convnormrelu\2.0."),
    (r"^(\w+_encoder\.layer\d\.\d)\.norm([12])\.", r"\1.convnormrelu\2.1."),
    (r"^update_block\.encoder\.convc([12])\.", r"update_block.motion_encoder.convcorr\1.0."),
    (r"^update_block\.encoder\.convf([12])\.", r"update_block.motion_encoder.convflow\1.0."),
    (r"^update_block\.encoder\.conv\.", "update_block.motion_encoder.conv.0."),
    (r"^update_block\.gru\.conv([zrq])([12])\.", r"update_block.recurrent_block.convgru\2.conv\1."),
    (r"^update_block\.mask\.0\.", "mask_predictor.convrelu.0."),
    (r"^update_block\.mask\.2\.", "mask_predictor.conv."),
)


def _rename(key: str) -> str:
    """torchvision's name for the original (``module.``-free) parameter name ``key``."""
    for pattern, replacement in _RENAMES:
        key = re.sub(pattern, replacement, key)
    return key


def convert_raft_state(
    original: Mapping[str, torch.Tensor], source: Path
) -> dict[str, torch.Tensor]:
    """princeton-vl RAFT's state dict (``module.`` prefixes optional) with torchvision's
    ``raft_large`` names; an InputError naming ``source`` when a duplicated ``norm3`` differs
    from its ``downsample.1``. Names it does not know pass through, for the strict load to
    report."""
    state = {key.removeprefix("module."): value for key, value in original.items()}
    converted = {}
    for key, value in state.items():
        if ".norm3." in key:
            twin = key.replace(".norm3.", ".downsample.1.")
            if twin not in state or not torch.equal(state[twin], value):
                raise InputError(source, key, f"a copy of {twin}", "a different tensor")
            continue
        converted[_rename(key)] = value
    return converted


def convert_raft(source: Path, target: Path) -> Path:
    """Convert the original checkpoint at ``source`` into torchvision's keys at ``target``,
    checked by a strict load into ``raft_large``."""
    converted = convert_raft_state(read_state(source, ORIGINAL_KEYS), source)
    load_state(raft_large(), converted, source, TORCHVISION_KEYS)
    atomic_write(target, lambda temporary: torch.save(converted, temporary))
    return target


def convert_store_raft() -> Path:
    """``weights convert raft``: the store's ``raft-things`` into ``raft-things-torchvision``."""
    source = weights.require(ORIGINAL_WEIGHTS) / ORIGINAL_CHECKPOINT
    return convert_raft(source, weights.entry_dir(WEIGHTS) / CHECKPOINT)


def load_raft(path: Path) -> RAFT:
    """torchvision's ``raft_large`` with the converted weights at ``path``, on :func:`device`,
    in eval mode."""
    model = raft_large()
    load_state(model, read_state(path, TORCHVISION_KEYS), path, TORCHVISION_KEYS)
    return model.eval().to(device())


def raft_model() -> RAFT:
    """The weight store's converted RAFT."""
    return load_raft(weights.require(WEIGHTS) / CHECKPOINT)


def pair_batch() -> int:
    """Frame pairs per network call: 4 on a GPU, 1 on the CPU (at 720p a pair holds about
    1 GB of RAFT correlation volume, 2 GB of AMT's; batching buys the CPU nothing)."""
    return 4 if device().type == "cuda" else 1


def sintel_padding(height: int, width: int, multiple: int) -> tuple[int, int, int, int]:
    """(left, right, top, bottom) replication padding to multiples of ``multiple``, split as
    RAFT's and AMT's ``InputPadder`` split it (the odd pixel on the right / bottom)."""
    pad_h, pad_w = -height % multiple, -width % multiple
    return (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2)


def require_min_side(height: int, width: int, network: str) -> None:
    """An InputError unless both padded sides reach ``MIN_SIDE`` px, which ``network`` needs."""
    if min(height, width) < MIN_SIDE:
        expected = f"frames at least {MIN_SIDE} px on each side for {network}"
        raise InputError("<video>", "frames", expected, f"{width}x{height} after padding")


def raft_inputs(frames: np.ndarray) -> torch.Tensor:
    """Frames (N, H, W, 3) uint8 -> (N, 3, H', W') in [-1, 1] (RAFT's ``2 * (x / 255) - 1``),
    padded by replication to multiples of 8."""
    pixels = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    padded = F.pad(pixels, sintel_padding(*frames.shape[1:3], 8), mode="replicate")
    return 2 * (padded / 255.0) - 1.0


def raft_flow(model: RAFT, first: np.ndarray, second: np.ndarray) -> torch.Tensor:
    """RAFT's flow (N, 2, H', W') in px from ``first`` to ``second`` (N, H, W, 3) uint8, after
    ``FLOW_ITERS`` iterations, at the padded size (as VBench scores it). One torch thread, as
    the other learned evaluators: on a busy two-core machine two threads made a pair 20x
    slower."""
    target = next(model.parameters()).device
    image1, image2 = raft_inputs(first).to(target), raft_inputs(second).to(target)
    require_min_side(*image1.shape[-2:], "RAFT")
    with single_torch_thread(), torch.inference_mode():
        return model(image1, image2, num_flow_updates=FLOW_ITERS)[-1]
