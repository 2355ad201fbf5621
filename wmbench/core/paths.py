"""Where wmbench keeps its caches: data, the synthetic mirror and the weight store."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """``$WMBENCH_CACHE``, else ``~/.cache/wmbench``."""
    return Path(os.environ.get("WMBENCH_CACHE", Path.home() / ".cache" / "wmbench"))


def data_dir() -> Path:
    return cache_dir() / "data"


def suites_dir() -> Path:
    """``$WMBENCH_SUITES``, else the repository's ``suites/`` folder."""
    return Path(os.environ.get("WMBENCH_SUITES", REPO_ROOT / "suites"))
