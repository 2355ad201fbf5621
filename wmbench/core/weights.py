"""The local weight store: every learned component loads its weights from here, never from the
network. ``python -m wmbench weights list`` shows what is present; ``weights fetch NAME``
downloads an entry on a machine with internet access.

The store is one folder, ``$WMBENCH_WEIGHTS`` (default ``<cache>/weights``, the cache being
``$WMBENCH_CACHE`` or ``~/.cache/wmbench``); entry ``NAME`` lives in ``<store>/NAME/``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wmbench.core.errors import InputError, MissingWeightsError
from wmbench.core.paths import cache_dir

DIGEST_CHARS = 16  # of a sha256 in hex, as listed and recorded


@dataclass(frozen=True)
class WeightFile:
    """One file of an entry: its path inside the entry folder and where ``fetch`` gets it
    (``https://...`` or ``hf://REPO/PATH``)."""

    path: str
    source: str
    sha256: str | None = None


@dataclass(frozen=True)
class WeightEntry:
    name: str
    files: tuple[WeightFile, ...]
    used_by: str
    licence: str = ""


def _hf(repo: str, path: str) -> str:
    return f"hf://{repo}/{path}"


_SANA_WM = "Efficient-Large-Model/SANA-WM_bidirectional"
# The text encoder is not in the SANA-WM release: Gemma-2-2B-IT, placed beside the DiT.
_GEMMA = "Efficient-Large-Model/gemma-2-2b-it"
_GEMMA_FILES = {
    "text_encoder": (
        "config.json",
        "model.safetensors.index.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ),
    "tokenizer": ("tokenizer_config.json", "tokenizer.json", "tokenizer.model"),
}

ENTRIES: dict[str, WeightEntry] = {
    entry.name: entry
    for entry in (
        WeightEntry(
            "alexnet",
            (
                WeightFile(
                    "alexnet-owt-7be5be79.pth",
                    "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
                ),
            ),
            used_by="LPIPS (AlexNet backbone; the linear heads ship inside the lpips package)",
            licence="BSD-3-Clause (torchvision)",
        ),
        WeightEntry(
            "clip-vit-l-14",
            (
                WeightFile(
                    "open_clip_pytorch_model.bin",
                    _hf("timm/vit_large_patch14_clip_224.openai", "open_clip_pytorch_model.bin"),
                ),
            ),
            used_by="CLIP text-video score and the aesthetic head's image features",
            licence="MIT (OpenAI CLIP)",
        ),
        WeightEntry(
            "laion-aesthetic-vit-l-14",
            (
                WeightFile(
                    "sa_0_4_vit_l_14_linear.pth",
                    "https://github.com/LAION-AI/aesthetic-predictor/raw/main/"
                    "sa_0_4_vit_l_14_linear.pth",
                ),
            ),
            used_by="aesthetic score (linear head on CLIP ViT-L/14 features)",
            licence="MIT",
        ),
        WeightEntry(
            "dino-vitb16",
            (
                WeightFile(
                    "dino_vitbase16_pretrain.pth",
                    "https://dl.fbaipublicfiles.com/dino/dino_vitbase16_pretrain/"
                    "dino_vitbase16_pretrain.pth",
                ),
            ),
            used_by="subject consistency (VBench: DINO ViT-B/16 features)",
            licence="Apache-2.0",
        ),
        WeightEntry(
            "i3d",
            (
                WeightFile(
                    "i3d_torchscript.pt",
                    "https://www.dropbox.com/s/ge9e5ujwgetktms/i3d_torchscript.pt?dl=1",
                ),
            ),
            used_by="FVD (StyleGAN-V's TorchScript I3D)",
            licence="Apache-2.0",
        ),
        *(
            WeightEntry(
                f"depth-anything-v2-metric-{scene}-small",
                tuple(
                    WeightFile(
                        name, _hf(f"depth-anything/Depth-Anything-V2-Metric-{title}-Small-hf", name)
                    )
                    for name in ("config.json", "model.safetensors", "preprocessor_config.json")
                ),
                used_by=f"pose_pipeline metric scale ({scene} metric monocular depth, "
                "Depth Anything V2 Small)",
                licence="Apache-2.0",
            )
            for scene, title in (("indoor", "Indoor"), ("outdoor", "Outdoor"))
        ),
        WeightEntry(
            "sana-wm",
            (
                WeightFile(
                    "dit/sana_wm_1600m_720p.safetensors",
                    _hf(_SANA_WM, "dit/sana_wm_1600m_720p.safetensors"),
                ),
                WeightFile("vae/config.json", _hf(_SANA_WM, "vae/config.json")),
                WeightFile(
                    "vae/diffusion_pytorch_model.safetensors",
                    _hf(_SANA_WM, "vae/diffusion_pytorch_model.safetensors"),
                ),
                *(
                    WeightFile(f"{folder}/{name}", _hf(_GEMMA, name))
                    for folder, names in _GEMMA_FILES.items()
                    for name in names
                ),
            ),
            used_by="the sana-wm reference model (stage-1 DiT, the LTX-2 VAE, the Gemma-2 text "
            "encoder; reference_model.loading checks the full layout, refiner included)",
            licence="Apache-2.0",
        ),
    )
}


def store_root() -> Path:
    """``$WMBENCH_WEIGHTS``, else ``<cache>/weights``."""
    return Path(os.environ.get("WMBENCH_WEIGHTS", cache_dir() / "weights"))


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
        raise MissingWeightsError(
            f"weights '{name}' ({ENTRIES[name].used_by}) are not in the local weight store; "
            f"missing:\n  {listed}\nPlace the files there, or run `python -m wmbench weights "
            f"fetch {name}` on a machine with internet access and copy {entry_dir(name)} here "
            f"(the store is $WMBENCH_WEIGHTS, now {store_root()}).",
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
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=target.name + ".", dir=target.parent)
        os.close(handle)
        try:
            try:
                _download(weight.source, Path(temporary))
            except Exception as error:  # noqa: BLE001 - offline machines land here
                raise ConnectionError(
                    f"could not download {weight.source} ({error}). On a machine with internet "
                    f"access run `python -m wmbench weights fetch {name}` and copy "
                    f"{entry_dir(name)} to the same place here."
                ) from error
            if weight.sha256 and sha256(Path(temporary)) != weight.sha256:
                raise OSError(f"{weight.source}: checksum mismatch")
            os.replace(temporary, target)
        finally:
            Path(temporary).unlink(missing_ok=True)
    return entry_dir(name)


def _download(source: str, target: Path) -> None:
    if source.startswith("hf://"):
        from huggingface_hub import hf_hub_download

        owner, repo, path = source.removeprefix("hf://").split("/", 2)
        cached = hf_hub_download(repo_id=f"{owner}/{repo}", filename=path)
        shutil.copyfile(cached, target)
        return
    with urllib.request.urlopen(source, timeout=60) as response, open(target, "wb") as file:
        shutil.copyfileobj(response, file)
