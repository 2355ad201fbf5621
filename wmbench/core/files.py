"""File I/O at the boundary: reads that turn any unreadable file into an InputError naming it,
and atomic writes that never leave a partial or empty file under the target path.

Every module that reads a user's file (suite, benchmark data, run records) or writes one (run
directory, videos, poses) goes through here, so the rules hold in one place:

* a read that fails (missing, permission denied, not UTF-8, not JSON, a truncated or bad-CRC
  ``.npz``) is an :class:`InputError` naming the file, the field and the expected form;
* a write goes to a hidden temporary file beside the target (same suffix, so encoders pick the
  same container); before it replaces the target, what reached the disk is checked (its size
  against what was written, and images, arrays and media are re-opened: writers such as
  OpenCV's or a full disk under matplotlib leave truncated files without raising). The temporary
  file is removed otherwise and an :class:`OutputError` names the target. The file gets the
  permissions the user's umask gives a new file (not the temporary file's 0600).

This is the one atomic write of the project: wmbench, pose_pipeline and reference_model use it.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import yaml

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


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key written twice in one mapping (which PyYAML would
    silently resolve to the last value)."""


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, line: int, first: int) -> None:
        super().__init__(f"{key!r} again on line {line}")
        self.key, self.line, self.first = key, line, first


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    first_lines: dict[object, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in first_lines and key != "<<":
                raise _DuplicateKey(key, key_node.start_mark.line + 1, first_lines[key])
            first_lines.setdefault(key, key_node.start_mark.line + 1)
        except TypeError:  # an unhashable key: PyYAML's own error follows
            break
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_yaml(path: Path, field: str) -> Any:
    """The parsed YAML of ``path`` (UTF-8), the one YAML reader of the project: invalid YAML or
    a key written twice in a mapping is an InputError naming the file (and the key)."""
    text = read_text(path, field)
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as error:
        raise InputError(
            path, str(error.key), "each key once in a mapping",
            f"{error.key!r} again on line {error.line} (first on line {error.first})",
        ) from error  # fmt: skip
    except yaml.YAMLError as error:
        raise InputError(path, "yaml", "valid YAML", str(error)) from error


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


Verifier = Callable[[Path], None]
"""Checks a written temporary file; raises (any exception) when it is not whole."""


def expect_size(size: int) -> Verifier:
    """A verifier: the file holds exactly ``size`` bytes."""

    def verify(path: Path) -> None:
        found = path.stat().st_size
        if found != size:
            raise OSError(f"{found} of {size} bytes reached the disk")

    return verify


def verify_image(path: Path) -> None:
    """The image re-opens and decodes whole."""
    from PIL import Image

    with Image.open(path) as image:
        image.load()


def verify_zip(path: Path) -> None:
    """Every member of the archive (an ``.npz``) reads back with its CRC."""
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
    if bad is not None:
        raise OSError(f"member {bad} has a bad CRC")


def verify_media(path: Path) -> None:
    """The container re-opens and demuxes to its end with at least one video packet."""
    import av

    with av.open(str(path)) as container:
        if not container.streams.video:
            raise OSError("no video stream")
        packets = sum(1 for packet in container.demux(container.streams.video[0]) if packet.size)
    if not packets:
        raise OSError("no video frames")


VERIFIERS: dict[str, Verifier] = {
    **dict.fromkeys((".png", ".jpg", ".jpeg"), verify_image),
    ".npz": verify_zip,
    **dict.fromkeys((".mp4", ".mkv", ".avi", ".mov", ".webm"), verify_media),
}
"""The re-open check each suffix gets when the writer passes none."""


def _file_mode() -> int:
    """The mode a new file gets under the process's umask (read from /proc, which leaves the
    umask alone; set and restored where /proc is absent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: Path, verify: Verifier | None = None) -> Iterator[Path]:
    """A hidden temporary path beside ``path`` (same suffix) that replaces ``path`` when the
    block succeeds, wrote at least one byte and passes ``verify`` (default: the re-open check
    of :data:`VERIFIERS` for the suffix); removed in every other case. An OSError (disk full,
    permission denied), an empty result or one that fails the check is an OutputError naming
    ``path``."""
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
        check = verify or VERIFIERS.get(path.suffix.lower())
        if check is not None:
            try:
                check(temporary)
            except Exception as error:  # noqa: BLE001 - any failure to read back is the same fault
                raise OutputError(path, f"what reached the disk is not whole: {error}") from error
        os.chmod(temporary, _file_mode())
        os.replace(temporary, path)
    except (OutputError, ConnectionError):  # a failed download is not a failed write
        raise
    except OSError as error:
        raise OutputError(path, error.strerror or str(error)) from error
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write(
    path: Path, write: Callable[[Path], object], verify: Verifier | None = None
) -> None:
    """``write(temporary)`` then the checks and rename of :func:`atomic_path`. A writer that
    returns ``False`` (OpenCV's ``imwrite``) failed."""
    with atomic_path(path, verify) as temporary:
        if write(temporary) is False:
            raise OutputError(path, "the writer reported a failure")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """``data`` at ``path``, atomically, checked for its size on disk."""
    with atomic_path(path, expect_size(len(data))) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(path: Path, text: str) -> None:
    """``text`` as UTF-8 at ``path``, atomically, checked for its size on disk."""
    with atomic_path(path, expect_size(len(text.encode("utf-8")))) as temporary:
        temporary.write_text(text, encoding="utf-8")


def atomic_write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``arrays`` as a compressed ``.npz`` at ``path``, atomically, re-opened before the rename."""
    with atomic_path(path, verify_zip) as temporary, temporary.open("wb") as file:
        np.savez_compressed(file, **arrays)
