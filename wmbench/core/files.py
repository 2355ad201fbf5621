"""File I/O at the boundary: reads that turn any unreadable file into an InputError naming it,
and atomic writes that never leave a partial or empty file under the target path.

Every module that reads a user's file (suite, benchmark data, run records) or writes one (run
directory, videos, poses) goes through here, so the rules hold in one place:

* a read that fails (missing, permission denied, not UTF-8, not JSON, a truncated or bad-CRC
  ``.npz``) is an :class:`InputError` naming the file, the field and the expected form;
* a write goes to a temporary file beside the target (same suffix, so encoders pick the same
  container) and replaces the target only when the writer succeeded and produced bytes; the
  temporary file is removed otherwise and an :class:`OutputError` names the target.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from wmbench.core.errors import InputError, OutputError


def read_text(path: Path, field: str, expected: str = "a readable UTF-8 text file") -> str:
    """The UTF-8 text of ``path``; an InputError naming it (and ``field``) otherwise."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            path, field, "UTF-8 text", f"byte {error.start}: {error.reason}"
        ) from error
    except OSError as error:
        raise InputError(path, field, expected, error.strerror or str(error)) from error


def read_json(path: Path, field: str, expected: str) -> Any:
    """The parsed JSON of ``path`` (UTF-8); an InputError naming it otherwise."""
    text = read_text(path, field, f"a readable file holding {expected}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(path, field, f"{expected} as JSON", str(error)) from error


def load_npz(path: Path, field: str = "npz") -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path`` (no pickles); an InputError naming the file when
    it is missing, truncated, has a bad CRC or holds something else."""
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise InputError(path, field, "a .npz archive", "a single .npy array")
        with archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as error:
        if isinstance(error, InputError):
            raise
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise InputError(path, field, "a readable numpy .npz archive", reason) from error


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same suffix) that replaces ``path`` when the block
    succeeds and wrote at least one byte; removed in every other case. An OSError (disk full,
    permission denied) or an empty result is an OutputError naming ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent
        )
        os.close(handle)
    except OSError as error:
        raise OutputError(path, error.strerror or str(error)) from error
    temporary = Path(name)
    try:
        yield temporary
        if temporary.stat().st_size == 0:
            raise OutputError(path, "the writer produced an empty file")
        os.replace(temporary, path)
    except OutputError:
        raise
    except OSError as error:
        raise OutputError(path, error.strerror or str(error)) from error
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    """``text`` as UTF-8 at ``path``, atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def atomic_write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``arrays`` as a compressed ``.npz`` at ``path``, atomically."""
    with atomic_path(path) as temporary, temporary.open("wb") as file:
        np.savez_compressed(file, **arrays)
