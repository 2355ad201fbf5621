"""Tiny random networks of VBench's dimensions saved at the real weight-store paths, for the
tests/test_vbench_*.py files: open_clip ViT-B/32 and ViT-L/14 made small (the real keys, small
widths), pyiqa's MUSIQ made small, DINO (tests.test_learned_dino_lpips) and a LAION head.
A test module imports the ``*_fixture`` functions to use the fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import open_clip
import pytest
import torch
from pyiqa.archs.musiq_arch import MUSIQ

from tests.test_learned_dino_lpips import TINY_VIT, place, random_dino
from wmbench.evaluators import background_consistency, clip_features, imaging_quality
from wmbench.evaluators import subject_consistency as dino

TINY_CLIP = "wmbench-test-tiny-vbench-clip"
TINY_CLIP_CONFIG = {
    "embed_dim": 768,  # as ViT-L/14's, so that the LAION head has its real shape
    "quick_gelu": True,
    "vision_cfg": {"image_size": 224, "layers": 1, "width": 64, "head_width": 32, "patch_size": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 1},
}
TINY_MUSIQ = {"hidden_size": 32, "mlp_dim": 64, "num_heads": 2, "num_layers": 1}
FILES = {
    "clip_b32": Path("clip-vit-b-32/open_clip_pytorch_model.bin"),
    "clip_l14": Path("clip-vit-l-14/open_clip_pytorch_model.bin"),
    "laion": Path("laion-aesthetic-vit-l-14/sa_0_4_vit_l_14_linear.pth"),
    "dino": Path("dino-vitb16/dino_vitbase16_pretrain.pth"),
    "musiq": Path("musiq-spaq/musiq_spaq_ckpt-358bb6af.pth"),
}


def tiny_clip_state(seed: int) -> dict[str, torch.Tensor]:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return open_clip.create_model(TINY_CLIP, pretrained=None).state_dict()


def tiny_musiq_state(seed: int = 0) -> dict[str, torch.Tensor]:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return MUSIQ(pretrained=False, **TINY_MUSIQ).state_dict()


def fill(store: Path) -> Path:
    """Every VBench network of this branch, tiny and random, at its real store path."""
    place(store, FILES["clip_b32"], tiny_clip_state(1))
    place(store, FILES["clip_l14"], tiny_clip_state(2))
    generator = torch.Generator().manual_seed(3)
    head = {"weight": torch.randn(1, 768, generator=generator), "bias": torch.tensor([5.0])}
    place(store, FILES["laion"], head)
    place(store, FILES["dino"], random_dino())
    place(store, FILES["musiq"], tiny_musiq_state())
    return store


@pytest.fixture(name="tiny_clip_architecture", scope="session")
def tiny_clip_architecture_fixture(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("open_clip_config") / f"{TINY_CLIP}.json"
    path.write_text(json.dumps(TINY_CLIP_CONFIG))
    open_clip.add_model_config(path)
    return TINY_CLIP


@pytest.fixture(name="tiny_networks")
def tiny_networks_fixture(monkeypatch, tiny_clip_architecture) -> None:
    """The evaluators' architectures made tiny (their weight files keep their real paths)."""
    monkeypatch.setattr(background_consistency, "ARCHITECTURE", tiny_clip_architecture)
    monkeypatch.setattr(clip_features, "ARCHITECTURE", tiny_clip_architecture)
    monkeypatch.setattr(dino, "ARCHITECTURE", TINY_VIT)
    monkeypatch.setattr(imaging_quality, "ARCHITECTURE", TINY_MUSIQ)


@pytest.fixture(name="empty_store")
def empty_store_fixture(tmp_path, monkeypatch, tiny_networks) -> Path:
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path / "store"))
    return tmp_path / "store"


@pytest.fixture(name="filled_store")
def filled_store_fixture(empty_store) -> Path:
    return fill(empty_store)
