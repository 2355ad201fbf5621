"""Downloading the real SANA-WM-Bench data (needs internet and huggingface_hub)."""

from __future__ import annotations

from pathlib import Path

from wmbench.core.errors import MissingPackage
from wmbench.core.paths import data_dir
from wmbench.data.sanawm_bench import DATASET_NAME


def fetch_sanawm_bench(dest: Path | None = None) -> Path:
    """Download the dataset snapshot into ``dest`` (default ``<cache>/data/SANA-WM-Bench``)."""
    dest = Path(dest) if dest else data_dir() / "SANA-WM-Bench"
    try:
        from huggingface_hub import snapshot_download
    except ImportError as error:
        raise MissingPackage("huggingface_hub", "data", "wmbench data fetch") from error
    try:
        snapshot_download(repo_id=DATASET_NAME, repo_type="dataset", local_dir=dest)
    except Exception as error:  # noqa: BLE001 - offline machines land here; say what to do
        raise ConnectionError(
            f"could not download the dataset {DATASET_NAME} ({type(error).__name__}: {error}). "
            f"On a machine with internet access run `python -m wmbench data fetch --dest DIR`, "
            f"copy DIR here and pass --data DIR (or set WMBENCH_SANAWM_BENCH)."
        ) from error
    return dest
