"""``metrics.csv``: one row per optimizer step, written by rank 0 and flushed as it goes.

Columns: stage, step (within the stage, 1-based), global_step, loss (mean over the global batch),
lr, grad_norm (before clipping), samples_per_s and tokens_per_s (global, latent tokens),
peak_mem_gib (peak GPU memory allocated on CUDA, peak resident memory of the process on a CPU),
step_s. A resumed run first drops the rows after the checkpoint it resumes from.
"""

from __future__ import annotations

import csv
import resource
from pathlib import Path

import torch

from wmbench.core.files import atomic_write

FIELDS = (
    "stage",
    "step",
    "global_step",
    "loss",
    "lr",
    "grad_norm",
    "samples_per_s",
    "tokens_per_s",
    "peak_mem_gib",
    "step_s",
)
GIB = 2**30


def peak_memory_gib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / GIB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB


def read_rows(path: Path) -> list[dict[str, str]]:
    if not Path(path).is_file():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


class MetricsLog:
    """Appends rows to ``path``; :meth:`truncate` keeps only rows up to a resume point."""

    def __init__(self, path: Path, enabled: bool) -> None:
        self.path = Path(path)
        self.enabled = enabled

    def truncate(self, stages_done: list[str], stage: str, step: int) -> None:
        """Keep the rows of ``stages_done`` and of ``stage`` up to ``step``."""
        if not self.enabled:
            return
        kept = [
            row
            for row in read_rows(self.path)
            if row["stage"] in stages_done or (row["stage"] == stage and int(row["step"]) <= step)
        ]

        def write(temporary: Path) -> None:
            with open(temporary, "w", newline="") as handle:
                writer = csv.DictWriter(handle, FIELDS)
                writer.writeheader()
                writer.writerows(kept)

        atomic_write(self.path, write)

    def write(self, row: dict[str, object]) -> None:
        if not self.enabled:
            return
        with open(self.path, "a", newline="") as handle:
            csv.DictWriter(handle, FIELDS).writerow(row)
