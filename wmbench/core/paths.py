"""Where wmbench keeps its caches (data, the synthetic mirror, the weight store) and where it
finds the data it ships (suites, published numbers, the annotator floor)."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def cache_dir() -> Path:
    """``$WMBENCH_CACHE``, else ``~/.cache/wmbench``."""
    return Path(os.environ.get("WMBENCH_CACHE", Path.home() / ".cache" / "wmbench"))


def data_dir() -> Path:
    return cache_dir() / "data"


def shipped(name: str) -> Path:
    """A data file or folder shipped inside the package (``wmbench/shipped/<name>``), found with
    ``importlib.resources``: in a checkout those are links to ``suites/`` and ``reports/``, in an
    installed wheel the files themselves. pip installs a wheel as plain files, so this is a path."""
    resource = files("wmbench") / "shipped" / name
    if not isinstance(resource, Path):
        raise RuntimeError(f"wmbench is imported from an archive; {name} needs a plain install")
    return resource


def suites_dir() -> Path:
    """``$WMBENCH_SUITES``, else the suites shipped with the package (the repository's
    ``suites/`` folder)."""
    return Path(os.environ.get("WMBENCH_SUITES", shipped("suites")))
