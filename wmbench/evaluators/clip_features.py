"""Image and text features of CLIP ViT-L/14 (OpenAI weights, open_clip) from the weight store.

The model is built by ``open_clip.create_model(ARCHITECTURE, pretrained=None)`` (nothing is
downloaded) and its weights are loaded strictly from
``<store>/clip-vit-l-14/open_clip_pytorch_model.bin``; the evaluator that loads the model owns
it (every case of a run reuses one load) and frees it when the run ends. ``ARCHITECTURE`` is
``ViT-L-14-quickgelu``: the OpenAI weights were trained with QuickGELU, and open_clip's plain
``ViT-L-14`` (GELU) would load them without complaint but compute other features.

Frames are preprocessed in batches in torch the way open_clip's own evaluation transform for
these weights does it (shortest side to 224 px by antialiased bicubic, centre crop 224, CLIP
mean and std): the resize is PIL's, a horizontal then a vertical pass each rounded to 8 bits,
which matches PIL to within one grey level per pixel. The model runs in fp32 on CUDA when
available, else on the CPU with one torch thread (as the ``reference`` evaluator does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
from torch import nn

from wmbench.core import weights
from wmbench.evaluators.base import EvalInput, SharedKey
from wmbench.evaluators.functional.threads import single_torch_thread
from wmbench.evaluators.learned_weights import device, load_state, read_state
from wmbench.evaluators.sampling import sample_indices

ARCHITECTURE = "ViT-L-14-quickgelu"
CLIP_WEIGHTS = "clip-vit-l-14"
CLIP_FILE = "open_clip_pytorch_model.bin"
IMAGE_SIZE = 224
MAX_FRAMES = 16  # frames embedded per video, evenly spaced, first and last included
BATCH_SIZE = 16  # frames per forward pass
_MEAN = torch.tensor(OPENAI_DATASET_MEAN).view(1, 3, 1, 1)
_STD = torch.tensor(OPENAI_DATASET_STD).view(1, 3, 1, 1)


@dataclass(frozen=True)
class FrameEmbeddings:
    """L2-normalised image ``embeddings`` (N, D) of the frames at ``frame_index``."""

    frame_index: np.ndarray
    embeddings: np.ndarray


@dataclass(frozen=True)
class Clip:
    """CLIP ViT-L/14 (``ARCHITECTURE``) with its tokenizer, on :func:`device`."""

    model: nn.Module
    tokenizer: Callable[[list[str]], torch.Tensor]


def load_clip() -> Clip:
    """The CLIP model of ``ARCHITECTURE`` with the store's weights, in eval mode on
    :func:`device`, and open_clip's tokenizer for it (its BPE vocabulary ships inside the
    package: no download). Owned by the evaluator that loads it."""
    path = weights.require(CLIP_WEIGHTS) / CLIP_FILE
    return Clip(open_clip_model(ARCHITECTURE, path), open_clip.get_tokenizer(ARCHITECTURE))


def open_clip_model(architecture: str, path: Path) -> nn.Module:
    """open_clip's ``architecture`` with the weights at ``path`` (loaded strictly), in eval mode
    on :func:`device`."""
    return _load_clip(architecture, path, device())


class _RandomInitNotice(logging.Filter):
    """Drops open_clip's "initialized randomly" warning: the weights are loaded just after."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "initialized randomly" not in record.getMessage()


def _load_clip(architecture: str, path: Path, target: torch.device) -> nn.Module:
    notice, root = _RandomInitNotice(), logging.getLogger()
    root.addFilter(notice)
    try:
        model = open_clip.create_model(architecture, pretrained=None)
    finally:
        root.removeFilter(notice)
    expected = f"the state dict of open_clip's {architecture}"
    load_state(model, read_state(path, expected), path, expected)
    return model.to(target).eval()


def _torch_context(target: torch.device) -> AbstractContextManager[None]:
    return single_torch_thread() if target.type == "cpu" else nullcontext()


def resized_size(height: int, width: int) -> tuple[int, int]:
    """(height, width) after torchvision's ``Resize(224)``: short side 224, long side
    ``int(224 * long / short)``."""
    if height <= width:
        return IMAGE_SIZE, int(IMAGE_SIZE * width / height)
    return int(IMAGE_SIZE * height / width), IMAGE_SIZE


def _resize_axis(images: torch.Tensor, size: int, axis: int) -> torch.Tensor:
    """Antialiased bicubic resize of (N, 3, H, W) 0-255 floats along ``axis`` (-1 width,
    -2 height), rounded to 8-bit levels as PIL's pass is; an axis of that size passes as is."""
    if images.shape[axis] == size:
        return images
    target = list(images.shape[-2:])
    target[axis] = size
    resized = F.interpolate(images, size=tuple(target), mode="bicubic", antialias=True)
    return resized.round().clamp(0, 255)


def preprocess(frames: np.ndarray) -> torch.Tensor:
    """(N, H, W, 3) uint8 RGB frames -> (N, 3, 224, 224) float32 CLIP input, as open_clip's
    PIL transform makes it (to within one grey level)."""
    images = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()
    height, width = resized_size(*images.shape[-2:])
    images = _resize_axis(_resize_axis(images, width, -1), height, -2)
    top = int(round((height - IMAGE_SIZE) / 2.0))  # torchvision's CenterCrop offsets
    left = int(round((width - IMAGE_SIZE) / 2.0))
    images = images[..., top : top + IMAGE_SIZE, left : left + IMAGE_SIZE] / 255.0
    return (images - _MEAN) / _STD


def image_embeddings(clip: Clip, frames: np.ndarray) -> np.ndarray:
    """L2-normalised CLIP image embeddings (N, D) float32 of ``frames`` (N, H, W, 3) uint8."""
    model, target = clip.model, device()
    chunks = []
    with _torch_context(target), torch.inference_mode():
        for start in range(0, len(frames), BATCH_SIZE):
            batch = preprocess(frames[start : start + BATCH_SIZE]).to(target)
            chunks.append(F.normalize(model.encode_image(batch).float(), dim=-1).cpu())
    return torch.cat(chunks).numpy()


def text_embedding(clip: Clip, prompt: str) -> np.ndarray:
    """L2-normalised CLIP text embedding (D,) float32 of ``prompt`` (the tokenizer truncates
    it to CLIP's 77 tokens)."""
    model, target = clip.model, device()
    tokens = clip.tokenizer([prompt]).to(target)
    with _torch_context(target), torch.inference_mode():
        features = F.normalize(model.encode_text(tokens).float(), dim=-1)
    return features[0].cpu().numpy()


FRAME_EMBEDDINGS = SharedKey[FrameEmbeddings](f"clip/{ARCHITECTURE}/max{MAX_FRAMES}")


def shared_frame_embeddings(inputs: EvalInput, clip: Clip) -> FrameEmbeddings:
    """Image embeddings of at most ``MAX_FRAMES`` evenly spaced frames of the case's video,
    first and last included; computed once per case and shared by the CLIP evaluators."""

    def compute() -> FrameEmbeddings:
        index = sample_indices(len(inputs.video), MAX_FRAMES)
        return FrameEmbeddings(index, image_embeddings(clip, inputs.video.take(index)))

    return inputs.shared(FRAME_EMBEDDINGS, compute)
