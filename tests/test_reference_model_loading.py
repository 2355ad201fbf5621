"""SANA-WM presets and checkpoint loading: the release's shape, the tiny build, missing files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from reference_model.adapter import SanaWMAdapter  # noqa: E402
from reference_model.loading import (  # noqa: E402
    DIT_FILE,
    build_pipeline,
    default_checkpoint,
    missing_files,
    require_checkpoint,
)
from reference_model.presets import FULL, TINY, vae_compression  # noqa: E402
from wmbench.core.errors import MissingWeightsError, ModelUnavailable  # noqa: E402

STAGE1 = [
    DIT_FILE,
    "vae/config.json",
    "vae/diffusion_pytorch_model.safetensors",
    "text_encoder/config.json",
    "text_encoder/model.safetensors",
    "tokenizer/tokenizer_config.json",
    "tokenizer/tokenizer.json",
]


def _touch(root: Path, names: list[str]) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"")


def test_full_preset_is_the_release() -> None:
    with torch.device("meta"):
        model = FULL.build_transformer()
    kinds = Counter(type(block.attn).__name__ for block in model.blocks)
    assert (model.config.num_layers, model.config.hidden_size) == (20, 2240)
    assert kinds == {"BidirectionalGDNUCPESinglePathLiteLA": 15, "_SoftmaxUCPESinglePathLiteLA": 5}
    assert FULL.resolution == (1280, 704)
    assert vae_compression(FULL.vae) == (8, 32)


def test_tiny_preset_uses_the_release_classes_at_small_size() -> None:
    model = TINY.build_transformer()
    kinds = {type(block.attn).__name__ for block in model.blocks}
    assert kinds == {"BidirectionalGDNUCPESinglePathLiteLA", "_SoftmaxUCPESinglePathLiteLA"}
    assert sum(p.numel() for p in model.parameters()) < 10**6
    same_seed = TINY.build_transformer()
    pairs = zip(model.parameters(), same_seed.parameters(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)


def test_tiny_pipeline_builds_with_the_release_compression() -> None:
    pipe = build_pipeline(TINY, Path("unused"), torch.device("cpu"), torch.float32)
    assert (pipe.vae_temporal_compression_ratio, pipe.vae_spatial_compression_ratio) == (8, 32)
    assert type(pipe.text_encoder).__name__ == "Gemma2ForCausalLM"
    assert pipe.tokenizer("ab")["input_ids"][0] == pipe.tokenizer.bos_token_id


def test_empty_checkpoint_lists_every_stage1_file(tmp_path: Path) -> None:
    missing = missing_files(tmp_path, refine=False)
    assert [name.split(" or ")[0] for name in missing] == STAGE1
    with pytest.raises(MissingWeightsError) as error:
        require_checkpoint(tmp_path, refine=False)
    for name in STAGE1:
        assert name in str(error.value)


def test_partial_checkpoint_lists_only_what_is_absent(tmp_path: Path) -> None:
    _touch(tmp_path, [DIT_FILE, "vae/config.json", "tokenizer/tokenizer_config.json"])
    _touch(tmp_path, ["tokenizer/tokenizer.model"])  # the sentencepiece alternative
    missing = missing_files(tmp_path, refine=False)
    assert missing == [
        "vae/diffusion_pytorch_model.safetensors or "
        "vae/diffusion_pytorch_model.safetensors.index.json",
        "text_encoder/config.json",
        "text_encoder/model.safetensors or text_encoder/model.safetensors.index.json",
    ]


def test_sharded_weights_name_their_missing_shards(tmp_path: Path) -> None:
    _touch(tmp_path, [n for n in STAGE1 if n != "text_encoder/model.safetensors"])
    shards = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    index = {"weight_map": {"a": shards[0], "b": shards[1], "c": shards[1]}}
    (tmp_path / "text_encoder/model.safetensors.index.json").write_text(json.dumps(index))
    _touch(tmp_path, [f"text_encoder/{shards[0]}"])
    assert missing_files(tmp_path, refine=False) == [f"text_encoder/{shards[1]}"]
    _touch(tmp_path, [f"text_encoder/{shards[1]}"])
    require_checkpoint(tmp_path, refine=False)


def test_refine_needs_the_refiner_folders(tmp_path: Path) -> None:
    _touch(tmp_path, STAGE1)
    assert missing_files(tmp_path, refine=False) == []
    missing = missing_files(tmp_path, refine=True)
    assert [m.split(" or ")[0] for m in missing] == [
        "refiner/transformer/config.json",
        "refiner/transformer/diffusion_pytorch_model.safetensors",
        "refiner/connectors/config.json",
        "refiner/connectors/diffusion_pytorch_model.safetensors",
        "refiner/text_encoder/config.json",
        "refiner/text_encoder/model.safetensors",
        "refiner/text_encoder/tokenizer_config.json",
        "refiner/text_encoder/tokenizer.json",
    ]


def test_weight_store_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WMBENCH_WEIGHTS", str(tmp_path))
    assert default_checkpoint() == tmp_path / "sana-wm"
    model = SanaWMAdapter(preset="full", device="cpu")
    with pytest.raises(ModelUnavailable, match="vae/config.json"):
        model.check_available()


def test_partial_checkpoint_never_starts_loading(tmp_path: Path) -> None:
    _touch(tmp_path, [DIT_FILE])
    with pytest.raises(MissingWeightsError, match="text_encoder/config.json"):
        build_pipeline(FULL, tmp_path, torch.device("cpu"), torch.float32)
