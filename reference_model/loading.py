"""Build the SANA-WM pipeline and its stage-2 refiner from diffusers' classes.

``full`` loads a local checkpoint folder and never downloads (every loader gets
``local_files_only``); a missing or partial folder raises :class:`MissingWeightsError` naming each
absent file. The chunk-causal DiT (Efficient-Large-Model/SANA-WM_chunk_causal, the file that
NVlabs/Sana's ``configs/sana_wm/stage1/sana_wm_stage1_sekai_chunk_causal_cp2_fsdp2.yaml`` loads)
has the bidirectional DiT's keys and sits beside it, sharing the VAE and text encoder. Presets
with random weights are built in code (their DiT comes from the checkpoint folder when
``reference_model.training`` exported one for them there). The folder follows the
release (Efficient-Large-Model/SANA-WM_bidirectional), plus the stage-1 Gemma-2 text encoder the
release leaves to its own repository (diffusers' converter takes
Efficient-Large-Model/gemma-2-2b-it)::

    dit/sana_wm_1600m_720p.safetensors       stage-1 DiT (a plain state dict)
    dit/sana_wm_chunk_causal_1600m_720p.safetensors   the chunk-causal stage-1 DiT (streaming mode)
    vae/                                     LTX-2 video VAE, diffusers format
    text_encoder/  tokenizer/                Gemma-2-2B-IT (transformers format)
    refiner/transformer/  refiner/connectors/  refiner/text_encoder/   stage 2 (only with refine)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKLLTX2Video, FlowMatchEulerDiscreteScheduler
from diffusers.models.transformers.transformer_sana_wm_refiner import (
    SanaWMLTX2RefinerTransformer3DModel,
)
from diffusers.pipelines.ltx2.connectors import LTX2TextConnectors
from diffusers.pipelines.sana_wm import SanaWMLTX2Refiner, SanaWMPipeline
from safetensors import safe_open
from safetensors.torch import load_file
from transformers import AutoTokenizer, Gemma2ForCausalLM, Gemma3ForConditionalGeneration

from reference_model.presets import (
    RANDOM_INIT_SEED,
    RELEASE_SCHEDULER_SHIFT,
    Preset,
    as_dtype,
    tiny_refiner_parts,
    tiny_text_encoder,
    tiny_tokenizer,
    tiny_vae,
)
from wmbench.core.errors import InputError, MissingWeightsError
from wmbench.core.weights import entry_dir, store_root

CHECKPOINT_NAME = "sana-wm"
DIT_FILE = "dit/sana_wm_1600m_720p.safetensors"
CHUNK_CAUSAL_DIT_FILE = "dit/sana_wm_chunk_causal_1600m_720p.safetensors"
# The stage-1 DiT each inference mode loads.
DIT_FILES = {"bidirectional": DIT_FILE, "streaming": CHUNK_CAUSAL_DIT_FILE}
# diffusers' SanaWMLTX2Refiner runs its distilled sigmas through a shift-1 scheduler (identity).
REFINER_SCHEDULER_SHIFT = 1.0
# The release's DiT state dict still carries the positional-embedding buffer diffusers rebuilds.
_REBUILT_KEY = "pos_embed"
# The safetensors metadata key naming the preset of a DiT that reference_model.training exported.
PRESET_METADATA_KEY = "wmbench_preset"

_DIFFUSERS_WEIGHTS = ("diffusion_pytorch_model.safetensors",)
_TRANSFORMERS_WEIGHTS = ("model.safetensors",)
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model")


def default_checkpoint() -> Path:
    """The ``sana-wm`` entry of the local weight store (``$WMBENCH_WEIGHTS/sana-wm``)."""
    return entry_dir(CHECKPOINT_NAME)


@dataclass(frozen=True)
class Needed:
    """A file a checkpoint must hold: any one of ``names`` (paths relative to its folder); a
    weight file may instead be split into shards listed by ``<name>.index.json``."""

    names: tuple[str, ...]
    shardable: bool = False


def _model_folder(folder: str, weights: tuple[str, ...]) -> tuple[Needed, Needed]:
    return (
        Needed((f"{folder}/config.json",)),
        Needed(tuple(f"{folder}/{name}" for name in weights), shardable=True),
    )


def _tokenizer_folder(folder: str) -> tuple[Needed, Needed]:
    return (
        Needed((f"{folder}/tokenizer_config.json",)),
        Needed(tuple(f"{folder}/{name}" for name in _TOKENIZER_FILES)),
    )


STAGE1_SHARED: tuple[Needed, ...] = (
    *_model_folder("vae", _DIFFUSERS_WEIGHTS),
    *_model_folder("text_encoder", _TRANSFORMERS_WEIGHTS),
    *_tokenizer_folder("tokenizer"),
)
REFINER_FILES: tuple[Needed, ...] = (
    *_model_folder("refiner/transformer", _DIFFUSERS_WEIGHTS),
    *_model_folder("refiner/connectors", _DIFFUSERS_WEIGHTS),
    *_model_folder("refiner/text_encoder", _TRANSFORMERS_WEIGHTS),
    *_tokenizer_folder("refiner/text_encoder"),
)


def _missing(checkpoint: Path, needed: Needed) -> list[str]:
    for name in needed.names:
        if (checkpoint / name).is_file():
            return []
        index = checkpoint / f"{name}.index.json"
        if needed.shardable and index.is_file():
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
            folder = Path(name).parent
            return [str(folder / shard) for shard in shards if not (index.parent / shard).is_file()]
    alternatives = [*needed.names, *(f"{n}.index.json" for n in needed.names if needed.shardable)]
    return [" or ".join(alternatives)]


def missing_files(checkpoint: Path, refine: bool, mode: str = "bidirectional") -> list[str]:
    """The files (relative to ``checkpoint``) a usable checkpoint for ``mode`` lacks, in layout
    order."""
    needed = (Needed((DIT_FILES[mode],)), *STAGE1_SHARED, *(REFINER_FILES if refine else ()))
    return [name for item in needed for name in _missing(checkpoint, item)]


def require_checkpoint(checkpoint: Path, refine: bool, mode: str = "bidirectional") -> None:
    """Raise :class:`MissingWeightsError` listing every missing file."""
    missing = missing_files(checkpoint, refine, mode)
    if missing:
        listing = "\n  ".join(missing)
        raise MissingWeightsError(
            f"SANA-WM {mode} checkpoint at {checkpoint} is incomplete; missing:\n  {listing}\n"
            f"(layout: reference_model/loading.py; the weight store is $WMBENCH_WEIGHTS, now "
            f"{store_root()}, and the checkpoint's default folder there is '{CHECKPOINT_NAME}')"
        )


def build_pipeline(
    preset: Preset,
    checkpoint: Path,
    device: torch.device,
    dtype: torch.dtype,
    mode: str = "bidirectional",
) -> SanaWMPipeline:
    """The stage-1 pipeline on ``device`` in ``dtype`` with ``mode``'s DiT, progress bars off."""
    if preset.from_checkpoint:
        require_checkpoint(checkpoint, refine=False, mode=mode)
        tokenizer = AutoTokenizer.from_pretrained(checkpoint / "tokenizer", local_files_only=True)
        text_encoder = Gemma2ForCausalLM.from_pretrained(
            checkpoint / "text_encoder", local_files_only=True, dtype=dtype
        )
        vae = AutoencoderKLLTX2Video.from_pretrained(
            checkpoint / "vae", local_files_only=True, torch_dtype=dtype
        )
    else:
        tokenizer = tiny_tokenizer()
        text_encoder = as_dtype(tiny_text_encoder(preset, len(tokenizer), RANDOM_INIT_SEED), dtype)
        vae = as_dtype(tiny_vae(preset, RANDOM_INIT_SEED), dtype)
    transformer = load_transformer(preset, checkpoint, device, dtype, mode)
    pipe = SanaWMPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=RELEASE_SCHEDULER_SHIFT),
    )
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def exported_preset(path: Path) -> str | None:
    """The preset a DiT file was trained for (``reference_model.training`` writes it into the
    safetensors metadata), or None (no file, or a release file)."""
    if not path.is_file():
        return None
    with safe_open(str(path), framework="pt") as handle:
        return (handle.metadata() or {}).get(PRESET_METADATA_KEY)


def load_transformer(
    preset: Preset,
    checkpoint: Path,
    device: torch.device,
    dtype: torch.dtype,
    mode: str = "bidirectional",
) -> torch.nn.Module:
    """The stage-1 DiT of ``mode``: ``checkpoint``'s for a checkpoint preset; for a preset built
    in code, the one a training run exported for it into ``checkpoint`` if there is one, else
    random weights."""
    path = checkpoint / DIT_FILES[mode]
    if preset.from_checkpoint or exported_preset(path) == preset.name:
        return _load_dit(preset, path, device, dtype)
    return as_dtype(preset.build_transformer(RANDOM_INIT_SEED), dtype)


def _load_dit(
    preset: Preset, path: Path, device: torch.device, dtype: torch.dtype
) -> torch.nn.Module:
    """The release's DiT state dict in the preset's transformer, every key accounted for."""
    with torch.device(device):
        transformer = as_dtype(preset.build_transformer(), dtype)
    state = load_file(str(path), device=str(device))
    state.pop(_REBUILT_KEY, None)
    missing, unexpected = transformer.load_state_dict(state, strict=False)
    missing = [key for key in missing if not key.endswith(f".{_REBUILT_KEY}")]
    if missing or unexpected:
        raise InputError(
            path,
            "state dict",
            "the keys of diffusers' SanaWMTransformer3DModel",
            f"{len(missing)} missing (e.g. {missing[:3]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:3]})",
        )
    return transformer


def build_refiner(
    preset: Preset, checkpoint: Path, pipe: SanaWMPipeline, dtype: torch.dtype
) -> SanaWMLTX2Refiner:
    """The stage-2 LTX-2 refiner, without a VAE (it returns latents; ``pipe`` decodes them). A
    checkpoint's refiner (tens of GB) runs under model CPU offload on CUDA, as diffusers intends;
    a random one moves to ``pipe``'s device."""
    device = pipe.transformer.device
    if preset.from_checkpoint:
        require_checkpoint(checkpoint, refine=True)
        folder = checkpoint / "refiner"
        transformer = SanaWMLTX2RefinerTransformer3DModel.from_pretrained(
            folder / "transformer", local_files_only=True, torch_dtype=dtype
        )
        connectors = LTX2TextConnectors.from_pretrained(
            folder / "connectors", local_files_only=True, torch_dtype=dtype
        )
        text_encoder = Gemma3ForConditionalGeneration.from_pretrained(
            folder / "text_encoder", local_files_only=True, dtype=dtype
        )
        tokenizer = AutoTokenizer.from_pretrained(folder / "text_encoder", local_files_only=True)
    else:
        tokenizer = tiny_tokenizer()
        parts = tiny_refiner_parts(preset, len(tokenizer), RANDOM_INIT_SEED)
        transformer, connectors, text_encoder = (as_dtype(part, dtype) for part in parts)
    refiner = SanaWMLTX2Refiner(
        transformer=transformer,
        connectors=connectors,
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=REFINER_SCHEDULER_SHIFT),
    )
    refiner.set_progress_bar_config(disable=True)
    if preset.from_checkpoint and device.type == "cuda":
        refiner.enable_model_cpu_offload(device=device)
    else:
        refiner.to(device)
    return refiner
