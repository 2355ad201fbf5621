"""Training checkpoints with ``torch.distributed.checkpoint``, and the export the adapter loads.

A checkpoint is a DCP folder ``<out>/checkpoints/<i>-<stage>/step-0000100`` holding ``model`` and
``optimizer`` (through ``get_state_dict``, so keys are the transformer's own under DDP, FSDP2 or
one process, and a run may resume under another strategy or world size), ``ema`` (the shadow
weights by parameter name) and ``progress`` (stage step, samples consumed: the data position that
also keys every random draw, and the EMA's update count). DCP writes into ``step-....partial``;
rank 0 renames it once every rank is done, so a killed run leaves no half checkpoint behind.

The export is ``<out>/dit/sana_wm_1600m_720p.safetensors``: the full state dict with the EMA
weights, its safetensors metadata naming the preset (how :mod:`reference_model.loading` knows a
trained tiny DiT), so ``--checkpoint <out>`` loads it in the ``sana-wm`` adapter. A checkpoint
preset's export links the base checkpoint's VAE, text encoder and tokenizer beside it.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed.checkpoint as dcp
from diffusers.training_utils import EMAModel
from safetensors.torch import save_file
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)
from torch.distributed.tensor import DTensor

from reference_model.loading import DIT_FILE, PRESET_METADATA_KEY
from reference_model.presets import Preset
from reference_model.training.parallel import Runtime
from wmbench.core.files import atomic_write

PARTIAL = ".partial"
PROGRESS_FIELDS = ("step", "samples", "ema_updates")
LINKED_COMPONENTS = ("vae", "text_encoder", "tokenizer")


def stage_folder(out: Path, index: int, name: str) -> Path:
    return Path(out) / "checkpoints" / f"{index}-{name}"


def step_folder(folder: Path, step: int) -> Path:
    return folder / f"step-{step:07d}"


def saved_steps(folder: Path) -> list[int]:
    """Steps of the complete checkpoints in a stage folder, ascending."""
    if not folder.is_dir():
        return []
    return sorted(
        int(p.name.removeprefix("step-"))
        for p in folder.glob("step-*")
        if p.is_dir() and not p.name.endswith(PARTIAL)
    )


@dataclass
class TrainState:
    """What a checkpoint holds: the (wrapped) model, its optimizer, the EMA and the progress."""

    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    ema: EMAModel
    names: list[str]
    progress: dict[str, int]

    def _ema(self) -> dict[str, torch.Tensor]:
        return dict(zip(self.names, self.ema.shadow_params, strict=True))

    def _progress(self) -> torch.Tensor:
        return torch.tensor([self.progress[key] for key in PROGRESS_FIELDS])

    def save(self, runtime: Runtime, folder: Path, keep: int) -> None:
        """Checkpoint at ``progress['step']``, atomically, keeping the newest ``keep``."""
        final = step_folder(folder, self.progress["step"])
        partial = final.with_name(final.name + PARTIAL)
        if runtime.rank == 0:
            shutil.rmtree(partial, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
        runtime.barrier()
        model_state, optimizer_state = get_state_dict(self.model, self.optimizer)
        state = {
            "model": model_state,
            "optimizer": optimizer_state,
            "ema": self._ema(),
            "progress": self._progress(),
        }
        with _single_process_is_meant():
            dcp.save(state, checkpoint_id=partial)
        runtime.barrier()
        if runtime.rank == 0:
            partial.rename(final)
            for step in saved_steps(folder)[:-keep]:
                shutil.rmtree(step_folder(folder, step))
        runtime.barrier()

    def load(self, path: Path, optimizer: bool) -> None:
        """Restore from the checkpoint ``path``: everything, or (``optimizer`` False: the start of
        a new stage) the weights, the EMA and its update count."""
        progress = self._progress()
        if optimizer:
            model_state, optimizer_state = get_state_dict(self.model, self.optimizer)
            # A parameter no gradient has reached yet (some never get one) has no saved state.
            saved = dcp.FileSystemReader(path).read_metadata().state_dict_metadata
            optimizer_state["state"] = {
                name: entry
                for name, entry in optimizer_state["state"].items()
                if f"optimizer.state.{name}.step" in saved
            }
            state = {"model": model_state, "optimizer": optimizer_state}
        else:
            state = {"model": get_model_state_dict(self.model)}
        state |= {"ema": self._ema(), "progress": progress}
        with _single_process_is_meant():
            dcp.load(state, checkpoint_id=path)
        set_model_state_dict(self.model, state["model"])
        if optimizer:
            relaxed = StateDictOptions(strict=False)
            set_optimizer_state_dict(
                self.model, self.optimizer, state["optimizer"], options=relaxed
            )
            self.progress = dict(zip(PROGRESS_FIELDS, progress.tolist(), strict=True))
        else:
            self.progress["ema_updates"] = int(progress[PROGRESS_FIELDS.index("ema_updates")])
        self.ema.optimization_step = self.progress["ema_updates"]

    def export(self, runtime: Runtime, out: Path, preset: Preset, base: Path | None) -> Path:
        """Write the EMA transformer where the adapter looks (every rank takes part)."""
        options = StateDictOptions(full_state_dict=True, cpu_offload=True)
        state = get_model_state_dict(self.model, options=options)
        # Gathered one tensor at a time and moved off the GPU, as the model's state is.
        ema = {name: _full(tensor).cpu() for name, tensor in self._ema().items()}
        path = Path(out) / DIT_FILE
        if runtime.rank == 0:
            state |= ema
            tensors = {key: value.detach().cpu().contiguous() for key, value in state.items()}
            metadata = {PRESET_METADATA_KEY: preset.name}
            atomic_write(path, lambda temporary: save_file(tensors, temporary, metadata=metadata))
            for component in LINKED_COMPONENTS if base is not None else ():
                link = Path(out) / component
                if not link.exists():
                    link.symlink_to((base / component).resolve(), target_is_directory=True)
        runtime.barrier()
        return path


@contextmanager
def _single_process_is_meant() -> Iterator[None]:
    """DCP warns on every save and load without a process group; one process is a supported run."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "torch.distributed is disabled", UserWarning)
        yield


def _full(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.full_tensor() if isinstance(tensor, DTensor) else tensor
