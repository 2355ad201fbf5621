"""The local weight store: every learned component loads its weights from here, never from the
network. ``python -m wmbench weights list`` shows what is present; ``weights fetch NAME``
downloads an entry on a machine with internet access; ``weights convert NAME`` derives an entry
from another already in the store (:data:`CONVERSIONS`: ``raft`` renames VBench's RAFT
checkpoint into torchvision's keys).

The store is one folder, ``$WMBENCH_WEIGHTS`` (default ``<cache>/weights``, the cache being
``$WMBENCH_CACHE`` or ``~/.cache/wmbench``); entry ``NAME`` lives in ``<store>/NAME/``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from pathlib import Path

from wmbench.core.errors import InputError, MissingPackage, MissingWeightsError
from wmbench.core.files import atomic_path
from wmbench.core.paths import cache_dir
from wmbench.core.weight_entries import CONVERSION_GROUP, CONVERSIONS, ENTRIES

DIGEST_CHARS = 16  # of a sha256 in hex, as listed and recorded


def store_root() -> Path:
    """``$WMBENCH_WEIGHTS``, else ``<cache>/weights``; an InputError when it names something
    that is not a folder (a file: nothing can be placed in it)."""
    root = Path(os.environ.get("WMBENCH_WEIGHTS", cache_dir() / "weights"))
    if root.exists() and not root.is_dir():
        source = "$WMBENCH_WEIGHTS" if "WMBENCH_WEIGHTS" in os.environ else "the wmbench cache"
        raise InputError(
            source,
            "WMBENCH_WEIGHTS",
            "a folder (the weight store) or a path to create one at",
            f"{root}, which is a file",
        )
    return root


def entry_dir(name: str) -> Path:
    return store_root() / name


def missing_files(name: str) -> list[Path]:
    """The files of entry ``name`` that are not in the store."""
    entry = ENTRIES[name]
    return [
        entry_dir(name) / f.path for f in entry.files if not (entry_dir(name) / f.path).is_file()
    ]


def require(name: str) -> Path:
    """The folder of entry ``name``; raises MissingWeightsError naming each missing file."""
    missing = missing_files(name)
    if missing:
        listed = "\n  ".join(str(path) for path in missing)
        conversions = {f.source.removeprefix("convert:") for f in ENTRIES[name].files} & set(
            CONVERSIONS
        )
        remedy = "".join(
            f"Run `python -m wmbench weights convert {c}` (it reads entry "
            f"'{CONVERSIONS[c].source}' of the store), or: "
            for c in sorted(conversions)
        )
        raise MissingWeightsError(
            f"weights '{name}' ({ENTRIES[name].used_by}) are not in the local weight store; "
            f"missing:\n  {listed}\n{remedy}Place the files there, or run `python -m wmbench "
            f"weights fetch {name}` on a machine with internet access and copy {entry_dir(name)} "
            f"here (the store is $WMBENCH_WEIGHTS, now {store_root()}).",
            missing,
        )
    return entry_dir(name)


def require_all(*names: str) -> list[Path]:
    """The folders of entries ``names``; one MissingWeightsError naming every missing file."""
    folders, errors = [], []
    for name in names:
        try:
            folders.append(require(name))
        except MissingWeightsError as error:
            errors.append(error)
    if errors:
        raise MissingWeightsError(
            "\n".join(map(str, errors)), [path for error in errors for path in error.missing]
        )
    return folders


def sha256(path: Path) -> str:
    """The file's sha256 (hex), computed once per process and version (size, mtime) of it."""
    stat = path.stat()
    return _sha256(path.resolve(), stat.st_size, stat.st_mtime_ns)


@functools.cache
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digests(names: Iterable[str]) -> dict[str, str]:
    """``entry/file`` -> the first ``DIGEST_CHARS`` hex digits of its sha256, for every file of
    the entries ``names`` (all present: :func:`require` them first). What a run or report
    records beside numbers from learned components."""
    return {
        f"{name}/{weight.path}": sha256(entry_dir(name) / weight.path)[:DIGEST_CHARS]
        for name in names
        for weight in ENTRIES[name].files
    }


def status() -> list[dict[str, str]]:
    """One row per file of every entry: present or missing, size, checksum."""
    rows = []
    for entry in ENTRIES.values():
        for weight in entry.files:
            path = entry_dir(entry.name) / weight.path
            row = {"entry": entry.name, "file": weight.path, "status": "missing", "sha256": ""}
            if path.is_file():
                checksum = sha256(path)
                verdict = "present"
                if weight.sha256 and checksum != weight.sha256:
                    verdict = "CHECKSUM MISMATCH"
                row.update(
                    status=verdict,
                    sha256=checksum[:DIGEST_CHARS],
                    size_mb=f"{path.stat().st_size / 1e6:.1f}",
                )
            rows.append(row)
    return rows


def fetch(name: str) -> Path:
    """Download entry ``name`` into the store (explicitly asked for; nothing fetches implicitly)."""
    if name not in ENTRIES:
        raise InputError("weights fetch", "name", f"one of {', '.join(ENTRIES)}", repr(name))
    for weight in ENTRIES[name].files:
        target = entry_dir(name) / weight.path
        if target.is_file():
            continue
        if weight.source.startswith("convert:"):  # derived: fetch what it reads, convert
            conversion = weight.source.removeprefix("convert:")
            fetch(CONVERSIONS[conversion].source)
            convert(conversion)
            continue
        checksum = _checksum(weight.source, weight.sha256) if weight.sha256 else None
        with atomic_path(target, checksum) as temporary:
            try:
                _download(weight.source, temporary)
            except Exception as error:  # noqa: BLE001 - offline machines land here
                raise ConnectionError(
                    f"could not download {weight.source} ({error}). On a machine with internet "
                    f"access run `python -m wmbench weights fetch {name}` and copy "
                    f"{entry_dir(name)} to the same place here."
                ) from error
    return entry_dir(name)


def _checksum(source: str, expected: str) -> Callable[[Path], None]:
    """A verifier for :func:`atomic_path`: the download has the published sha256."""

    def verify(path: Path) -> None:
        if sha256(path) != expected:
            raise OSError(f"{source}: checksum mismatch")

    return verify


def convert(name: str) -> Path:
    """Run conversion ``name`` of :data:`CONVERSIONS` (its function: the entry point of that
    name in :data:`CONVERSION_GROUP`); the path it wrote."""
    functions = {ep.name: ep for ep in entry_points(group=CONVERSION_GROUP)}
    if name not in CONVERSIONS or name not in functions:
        raise KeyError(f"unknown conversion '{name}'; known: {', '.join(CONVERSIONS)}")
    return functions[name].load()()


def _download(source: str, target: Path) -> None:
    url, _, member = source.partition("#")
    if member:  # a file inside a zip archive
        archive = target.with_name(target.name + ".zip")
        try:
            _download(url, archive)
            with (
                zipfile.ZipFile(archive) as zipped,
                zipped.open(member) as file,
                open(target, "wb") as out,
            ):
                shutil.copyfileobj(file, out)
        finally:
            archive.unlink(missing_ok=True)
        return
    if source.startswith("hf://"):
        try:
            from huggingface_hub import hf_hub_download
        except ImportError as error:
            raise MissingPackage("huggingface_hub", "data", f"downloading {source}") from error

        owner, repo, path = source.removeprefix("hf://").split("/", 2)
        cached = hf_hub_download(repo_id=f"{owner}/{repo}", filename=path)
        shutil.copyfile(cached, target)
        return
    with urllib.request.urlopen(source, timeout=60) as response, open(target, "wb") as file:
        shutil.copyfileobj(response, file)
