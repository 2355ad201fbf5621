"""The entries of the local weight store (:mod:`wmbench.core.weights`): each learned
component's files, where ``weights fetch`` gets them, and the conversions ``weights convert``
runs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WeightFile:
    """One file of an entry: its path inside the entry folder and where ``fetch`` gets it
    (``https://...``, ``https://...zip#MEMBER`` for a file inside a zip archive,
    ``hf://REPO/PATH``, or ``convert:NAME`` for a file :func:`convert` derives)."""

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


@dataclass(frozen=True)
class Conversion:
    """How ``weights convert NAME`` derives a ``convert:NAME`` file from entry ``source``: the
    function (no arguments, returns the written path) is the entry point ``NAME`` of the group
    :data:`CONVERSION_GROUP`, registered by the layer that owns the network (pyproject.toml)."""

    source: str


CONVERSION_GROUP = "wmbench.weight_conversions"
CONVERSIONS = {"raft": Conversion("raft-things")}


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
            "clip-vit-b-32",
            (
                WeightFile(
                    "open_clip_pytorch_model.bin",
                    _hf("timm/vit_base_patch32_clip_224.openai", "open_clip_pytorch_model.bin"),
                ),
            ),
            used_by="VBench background consistency (CLIP ViT-B/32 image features)",
            licence="MIT (OpenAI CLIP)",
        ),
        WeightEntry(
            "musiq-spaq",
            (
                WeightFile(
                    "musiq_spaq_ckpt-358bb6af.pth",
                    "https://github.com/chaofengc/IQA-PyTorch/releases/download/v0.1-weights/"
                    "musiq_spaq_ckpt-358bb6af.pth",
                ),
            ),
            used_by="VBench imaging quality and the temporal degradation delta_iq (MUSIQ trained "
            "on SPAQ, pyiqa's release)",
            licence="Apache-2.0 (pyiqa code); MUSIQ weights under their authors' terms",
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
            "raft-things",
            (
                WeightFile(
                    "raft-things.pth",
                    "https://dl.dropboxusercontent.com/s/4j4z58wuv8o0mfz/models.zip"
                    "#models/raft-things.pth",
                ),
            ),
            used_by="VBench dynamic degree (princeton-vl RAFT, FlyingChairs + FlyingThings3D; "
            "read only by `weights convert raft`)",
            licence="BSD-3-Clause",
        ),
        WeightEntry(
            "raft-things-torchvision",
            (WeightFile("raft_large_things.pth", "convert:raft"),),
            used_by="VBench dynamic degree (raft-things in torchvision raft_large's keys)",
            licence="BSD-3-Clause",
        ),
        WeightEntry(
            "amt-s",
            (WeightFile("amt-s.pth", _hf("lalala125/AMT", "amt-s.pth")),),
            used_by="VBench motion smoothness (AMT-S frame interpolation)",
            licence="CC BY-NC 4.0",
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
            "pi3",
            (WeightFile("model.safetensors", _hf("yyfz233/Pi3", "model.safetensors")),),
            used_by="the pi3 pose estimator (SANA-WM-Bench's camera protocol; the `pi3` package "
            "builds the network)",
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
