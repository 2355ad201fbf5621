"""``sana-wm``: SANA-WM (diffusers' SanaWMPipeline) as a wmbench model.

A request's first frame and cameras are fitted to the model's resolution (704x1280 for ``full``),
the path is held at its last pose up to the VAE's 8k+1 frame count, the pipeline denoises to
latents, the optional stage-2 refiner polishes them, and the decoded frames go back to the
request's resolution and frame count.

``mode=bidirectional`` runs diffusers' pipeline as shipped; ``mode=streaming`` the chunk-causal
generation of :mod:`reference_model.streaming` (chunks of latent frames, frames decoded as each
finishes, the GDN state of every chunk returned as series). The default is streaming where the
chunk-causal DiT is in the checkpoint folder (for a preset built in code: one exported for it
there), as the paper's main rows; otherwise bidirectional. ``config()`` always records the mode.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path
from typing import Any

import diffusers
import numpy as np
import torch
from diffusers.pipelines.sana_wm import SanaWMLTX2Refiner, SanaWMPipeline
from PIL import Image

from reference_model import framing, streaming
from reference_model.gdn import SCANS, named_scan, set_gdn_scan
from reference_model.gdn_naive import reference_scan
from reference_model.loading import (
    DIT_FILES,
    build_pipeline,
    build_refiner,
    default_checkpoint,
    exported_preset,
    require_checkpoint,
)
from reference_model.nvfp4.quantize import quantize_model
from reference_model.nvfp4.select import sana_wm_keep
from reference_model.presets import PRESETS, RANDOM_INIT_SEED, Preset
from reference_model.stream_decode import decode, decoder_context
from reference_model.timing import timed, timed_calls
from wmbench.core.errors import InputError, MissingWeightsError, ModelUnavailable
from wmbench.core.types import Trajectory, Video
from wmbench.models.base import Generation, GenerationRequest, ModelInfo
from wmbench.models.options import parse_options, to_bool

NAME = "sana-wm"
# bidirectional: diffusers' pipeline; streaming: reference_model.streaming (chunk-causal).
MODES = ("bidirectional", "streaming")
# none: the model's dtype; nvfp4-weight: NVFP4 weights; nvfp4: NVFP4 weights and activations.
QUANT_MODES = ("none", "nvfp4-weight", "nvfp4")
# NVFP4Linear dequantizes and runs a dense matmul on every device (CPU, Hopper and Blackwell
# alike), so results match across machines; the FP4 GEMM timing lives in nvfp4/bench.py.
EMULATED_PATH = "emulated: dequantize + dense matmul"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_CALL_DEFAULTS = inspect.signature(SanaWMPipeline.__call__).parameters
logger = logging.getLogger(__name__)


def _resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class SanaWMAdapter:
    """SANA-WM through diffusers. Options (strings from the CLI): ``preset`` (full|tiny),
    ``checkpoint`` (folder; default ``$WMBENCH_WEIGHTS/sana-wm``), ``steps``, ``guidance``,
    ``refine`` (stage 2), ``mode`` (auto|streaming|bidirectional), ``chunk`` (latent frames per
    streaming chunk), ``kv_window`` (earlier latent frames streaming softmax blocks keep; 0: all),
    ``kv_sink`` (first frames always kept), ``gdn`` (torch|triton), ``device``
    (auto|cpu|cuda[:n]), ``dtype`` (auto|float32|bfloat16|float16; auto: bf16 on CUDA),
    ``quant`` (none|nvfp4-weight|nvfp4)."""

    CONTROL = "camera-poses"

    def __init__(self, **options: Any) -> None:
        parsed = parse_options(
            NAME,
            options,
            {
                "preset": (str, "full"),
                "checkpoint": (str, ""),
                "steps": (int, _CALL_DEFAULTS["num_inference_steps"].default),
                "guidance": (float, _CALL_DEFAULTS["guidance_scale"].default),
                "refine": (to_bool, False),
                "mode": (str, "auto"),
                "chunk": (int, streaming.RELEASE_CHUNK),
                "kv_window": (int, streaming.RELEASE_WINDOW),
                "kv_sink": (int, streaming.RELEASE_SINK),
                "gdn": (str, SCANS[0]),
                "device": (str, "auto"),
                "dtype": (str, "auto"),
                "quant": (str, QUANT_MODES[0]),
            },
        )
        _require_choice("preset", parsed["preset"], tuple(PRESETS))
        _require_choice("mode", parsed["mode"], ("auto", *MODES))
        for field, least in (("chunk", 1), ("kv_window", 0), ("kv_sink", 0)):
            if parsed[field] < least:
                raise InputError(f"model '{NAME}'", field, f"at least {least}", str(parsed[field]))
        _require_choice("gdn", parsed["gdn"], SCANS)
        _require_choice("dtype", parsed["dtype"], ("auto", *DTYPES))
        _require_choice("quant", parsed["quant"], QUANT_MODES)
        if parsed["steps"] < 1:
            raise InputError(f"model '{NAME}'", "steps", "at least 1", str(parsed["steps"]))
        try:
            self.device = _resolve_device(parsed["device"])
        except RuntimeError as error:
            raise InputError(f"model '{NAME}'", "device", "auto, cpu or cuda[:n]") from error
        self.preset: Preset = PRESETS[parsed["preset"]]
        self.checkpoint = Path(parsed["checkpoint"] or default_checkpoint()).expanduser()
        self.steps: int = parsed["steps"]
        self.guidance: float = parsed["guidance"]
        self.refine: bool = parsed["refine"]
        self.mode: str = parsed["mode"] if parsed["mode"] != "auto" else self._default_mode()
        self.settings = streaming.Settings(
            parsed["chunk"], parsed["kv_window"] or None, parsed["kv_sink"]
        )
        self._context: tuple[int, int] | None = None
        self.gdn: str = parsed["gdn"]
        self.quant: str = parsed["quant"]
        self._quantization: dict[str, Any] = {}
        self.dtype = DTYPES.get(
            parsed["dtype"], torch.bfloat16 if self.device.type == "cuda" else torch.float32
        )
        self._pipe: SanaWMPipeline | None = None
        self._refiner: SanaWMLTX2Refiner | None = None

    def info(self) -> ModelInfo:
        return ModelInfo(
            name=NAME,
            version=f"{self.mode} (diffusers {diffusers.__version__})",
            device=str(self.device),
            description=f"SANA-WM, preset {self.preset.name}: {self.preset.description}",
        )

    def config(self) -> dict[str, Any]:
        config = {
            "preset": self.preset.name,
            "steps": self.steps,
            "guidance": self.guidance,
            "refine": self.refine,
            "mode": self.mode,
            "gdn": self.gdn,
            "device": str(self.device),
            "dtype": str(self.dtype).removeprefix("torch."),
            "quant": self.quant,
        }
        if self.mode == "streaming":
            config.update(
                chunk=self.settings.chunk,
                kv_window=self.settings.window,
                kv_sink=self.settings.sink,
            )
        dit = self.checkpoint / DIT_FILES[self.mode]
        if self.preset.from_checkpoint or exported_preset(dit) == self.preset.name:
            stat = dit.stat() if dit.is_file() else None
            config["checkpoint"] = str(self.checkpoint)
            config["dit_file"] = (
                {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns} if stat else None
            )
        else:
            config["random_init_seed"] = RANDOM_INIT_SEED
        return config

    def check_available(self) -> None:
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ModelUnavailable(f"{NAME}: device {self.device} requested but CUDA is absent")
        if self.gdn == "triton" and self.device.type != "cuda":
            raise ModelUnavailable(
                f"{NAME}: gdn=triton runs a CUDA kernel; device is {self.device}"
            )
        if self.preset.from_checkpoint:
            try:
                require_checkpoint(self.checkpoint, self.refine, self.mode)
            except MissingWeightsError as error:
                raise ModelUnavailable(f"{NAME}: {error}") from error
            if self.device.type == "cpu":
                logger.warning("%s: the full 2.6B model on a CPU takes hours per clip", NAME)

    def _pipeline(self) -> SanaWMPipeline:
        if self._pipe is None:
            pipe = build_pipeline(self.preset, self.checkpoint, self.device, self.dtype, self.mode)
            set_gdn_scan(pipe.transformer, named_scan(self.gdn))
            if self.mode == "streaming" and not self.refine:
                self._context = decoder_context(pipe)
            if self.quant != "none":
                self._quantization = _quantize(pipe.transformer, self.quant)
            self._pipe = pipe
        return self._pipe

    def _stage2(self, pipe: SanaWMPipeline) -> SanaWMLTX2Refiner:
        if self._refiner is None:
            self._refiner = build_refiner(self.preset, self.checkpoint, pipe, self.dtype)
        return self._refiner

    def generate(self, request: GenerationRequest) -> Generation:
        if len(request.trajectory) < request.num_frames:
            raise InputError(
                request.case.id,
                "trajectory",
                f"at least {request.num_frames} poses",
                str(len(request.trajectory)),
            )
        pipe = self._pipeline()
        width, height = self.preset.resolution
        frames = framing.model_frame_count(request.num_frames, pipe.vae_temporal_compression_ratio)
        image, trajectory = framing.to_model(
            request.image, request.trajectory, self.preset.resolution, frames
        )
        generator = torch.Generator(device=self.device).manual_seed(request.seed)
        seconds: dict[str, float] = {}
        sync = torch.cuda.synchronize if self.device.type == "cuda" else _no_sync
        stages = {
            "text_encode": (pipe.text_encoder, "forward"),
            "image_encode": (pipe.vae, "encode"),
        }
        streamed = self.mode == "streaming" and not self.refine
        if streamed:  # frames are decoded between chunks
            stages["decode"] = (pipe.vae, "decode")
        decoded, series = None, {}
        with timed("denoise", seconds, sync), timed_calls(stages, seconds, sync):
            if self.mode == "streaming":
                latents, decoded, series = self._stream(
                    pipe, request, image, trajectory, frames, generator
                )
            else:
                latents = pipe(
                    image=Image.fromarray(image),
                    prompt=request.case.prompt,
                    c2w=trajectory.c2w,
                    intrinsics=trajectory.intrinsics,
                    height=height,
                    width=width,
                    num_frames=frames,
                    fps=request.fps,
                    num_inference_steps=self.steps,
                    guidance_scale=self.guidance,
                    generator=generator,
                    output_type="latent",
                ).frames
        seconds["denoise"] -= sum(seconds.get(stage, 0.0) for stage in stages)
        if self.refine:
            with timed("refine", seconds, sync):
                latents = self._stage2(pipe)(
                    latents, request.case.prompt, fps=request.fps, generator=generator,
                    output_type="latent",
                )  # fmt: skip
        if decoded is None:
            with timed("decode", seconds, sync):
                decoded = decode(pipe, latents)
        model_frames = np.round(np.clip(decoded, 0.0, 1.0) * 255).astype(np.uint8)
        video = framing.to_request(
            model_frames[: request.num_frames], self.preset.resolution, request.resolution
        )
        return Generation(
            video=Video(video, request.fps),
            stage_seconds=seconds,
            info={
                **self.config(),
                "seed": request.seed,
                "model_resolution": list(self.preset.resolution),
                "model_frames": frames,
                **({"quantization": self._quantization} if self._quantization else {}),
            },
            series=series,
            refined=self.refine,  # frame 0 is the input image: every evaluator drops it
        )

    def _stream(
        self,
        pipe: SanaWMPipeline,
        request: GenerationRequest,
        image: np.ndarray,
        trajectory: Trajectory,
        frames: int,
        generator: torch.Generator,
    ) -> tuple[torch.Tensor, np.ndarray | None, dict[str, np.ndarray]]:
        """Chunk-causal generation: the latents, the frames decoded chunk by chunk (None when
        the refiner takes the latents), and the GDN state series (one value per chunk)."""
        cond = streaming.prepare(
            pipe, Image.fromarray(image), request.case.prompt, trajectory.c2w,
            trajectory.intrinsics, self.preset.resolution, frames, self.guidance,
        )  # fmt: skip
        scan = named_scan(self.gdn) or reference_scan
        chunks = streaming.stream(
            pipe, cond, self.settings, self.steps, generator, scan, self._context,
            decode=not self.refine,
        )  # fmt: skip
        latents, pieces, rows = [], [], []
        for chunk in chunks:
            latents.append(chunk.latents)
            pieces.append(chunk.frames)
            rows.append(streaming.diagnostics(chunk.states, chunk.decays))
        decoded = None if self.refine else np.concatenate(pieces)
        return torch.cat(latents, dim=2), decoded, streaming.as_series(rows)

    def _default_mode(self) -> str:
        """Streaming where the chunk-causal DiT is in the checkpoint folder (for a preset built in
        code: one a training run exported for it there), else bidirectional."""
        path = self.checkpoint / DIT_FILES["streaming"]
        if self.preset.from_checkpoint:
            return "streaming" if path.is_file() else "bidirectional"
        return "streaming" if exported_preset(path) == self.preset.name else "bidirectional"


def _quantize(transformer: torch.nn.Module, quant: str) -> dict[str, Any]:
    """Quantize the transformer's selected layers to NVFP4 in place (weights, and activations
    for ``nvfp4``); what was done, for the run's record."""
    report = quantize_model(transformer, sana_wm_keep, quantize_activations=quant == "nvfp4")
    return {
        "format": "nvfp4",
        "activations": "nvfp4" if quant == "nvfp4" else "unquantized",
        "layers_quantized": len(report.quantized),
        "layers_kept": len(report.rows) - len(report.quantized),
        "weight_bytes_ratio_vs_bf16": report.weight_ratio,
        "path": EMULATED_PATH,
    }


def _no_sync() -> None:
    return None


def _require_choice(field: str, value: str, choices: tuple[str, ...], note: str = "") -> None:
    if value not in choices:
        raise InputError(f"model '{NAME}'", field, f"one of {', '.join(choices)}{note}", value)
