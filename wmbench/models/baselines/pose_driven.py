"""LingBot-World and HY-WorldPlay: camera poses in, through their own generate.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from wmbench.models.base import GenerationRequest
from wmbench.models.baselines.base import BaselineModel, EntryPoint, Launch
from wmbench.models.controls import CompiledControl, NativeControl, poses
from wmbench.models.controls.timeline import Timeline
from wmbench.models.options import to_bool


class LingBotWorld(BaselineModel):
    """LingBot-World-Base (Cam), README "Inference" (480P):
    ``generate.py --task i2v-A14B --size 480*832 --ckpt_dir DIR --image IMG --action_path DIR
    --frame_num N --prompt P --base_seed S --save_file OUT.mp4`` (multi-GPU: launcher
    ``torchrun --nproc_per_node=8`` and ``-o "extra=--dit_fsdp --t5_fsdp --ulysses_size 8"``).
    Weights: huggingface robbyant/lingbot-world-base-cam (Wan2.2 i2v-A14B layout)."""

    NAME = "lingbot-world"
    CONTROL = "camera-poses"
    ENTRY = EntryPoint(
        script="generate.py",
        timed="wan.WanI2V.generate",
        package="wan",
        weights=("high_noise_model", "low_noise_model", "Wan2.1_VAE.pth",
                 "models_t5_umt5-xxl-enc-bf16.pth", "google/umt5-xxl"),
        weights_default="lingbot-world-base-cam",
        resolution=poses.LINGBOT_INTRINSICS_SIZE,
        fps=16.0,
        frames="4n+1",
        source="Robbyant/lingbot-world@6ca87d4 generate.py, wan/image2video.py, "
        "wan/utils/cam_utils.py",
    )  # fmt: skip
    OPTIONS = {"extra": (str, "")}

    def frame_rule(self, minimum: int) -> int:
        return poses.four_n_plus_one(minimum)

    def native_control(self, c2w: np.ndarray, intrinsics: np.ndarray, prompt: str) -> NativeControl:
        return poses.lingbot_world(c2w, intrinsics)

    def launch(
        self, folder: Path, image: Path, request: GenerationRequest,
        compiled: CompiledControl, timeline: Timeline,
    ) -> Launch:  # fmt: skip
        out = folder / "out.mp4"
        args = ["--task", "i2v-A14B", "--size", "480*832", "--ckpt_dir", str(self.weights),
                "--image", str(image), "--action_path", str(folder / "control"),
                "--frame_num", str(timeline.native_frames), "--prompt", request.case.prompt,
                "--base_seed", str(request.seed), "--save_file", str(out),
                *self.options["extra"].split()]  # fmt: skip
        return Launch(args=args, cwd=self.repo, output=out)


class HYWorldPlay(BaselineModel):
    """HY-World 1.5 (WorldPlay), run.sh's autoregressive distilled command:
    ``hyvideo/generate.py --prompt P --image_path IMG --resolution 480p --aspect_ratio 16:9
    --video_length N --seed S --rewrite false --sr false --pose POSE.json --output_path DIR
    --model_path HUNYUANVIDEO_1_5 --action_ckpt CKPT --few_step true --num_inference_steps 4
    --model_type ar --width 832 --height 480 --transformer_resident_ar_rollout true`` (its
    speed setting, da2d0c2; ``-o resident=false`` leaves it off); the video is DIR/gen.mp4 at
    24 fps (its keyboard overlay is drawn only for pose strings with --with-ui). Weights:
    HunyuanVideo-1.5 (480p_i2v transformer, FLUX.1-Redux siglip vision encoder, gated) and
    tencent/HY-WorldPlay ar_distilled_action_model/diffusion_pytorch_model.safetensors."""

    NAME = "hy-worldplay"
    CONTROL = "camera-poses"
    ENTRY = EntryPoint(
        script="hyvideo/generate.py",
        timed="pose_to_input",
        package="hyvideo",
        weights=("transformer/480p_i2v", "vision_encoder/siglip"),
        weights_default="ckpts/HunyuanVideo-1.5",
        resolution=(832, 480),
        fps=24.0,
        frames="4n+1 with (n+1) % 4 == 0",
        source="Tencent-Hunyuan/HY-WorldPlay@da2d0c2 run.sh, hyvideo/generate.py",
    )
    OPTIONS = {"action_ckpt": (Path, Path()), "steps": (int, 4), "few_step": (to_bool, True),
               "resident": (to_bool, True)}  # fmt: skip

    def frame_rule(self, minimum: int) -> int:
        return poses.hy_worldplay_frames(minimum)

    def native_control(self, c2w: np.ndarray, intrinsics: np.ndarray, prompt: str) -> NativeControl:
        return poses.hy_worldplay(c2w, intrinsics, self.ENTRY.resolution)

    def launch(
        self, folder: Path, image: Path, request: GenerationRequest,
        compiled: CompiledControl, timeline: Timeline,
    ) -> Launch:  # fmt: skip
        width, height = self.ENTRY.resolution
        out = folder / "out"
        args = ["--prompt", request.case.prompt, "--image_path", str(image),
                "--resolution", "480p", "--aspect_ratio", "16:9",
                "--video_length", str(timeline.native_frames), "--seed", str(request.seed),
                "--rewrite", "false", "--sr", "false", "--pose", str(folder / "control/pose.json"),
                "--output_path", str(out), "--model_path", str(self.weights),
                "--action_ckpt", str(self.action_ckpt()),
                "--few_step", str(self.options["few_step"]).lower(),
                "--num_inference_steps", str(self.options["steps"]), "--model_type", "ar",
                "--width", str(width), "--height", str(height),
                "--transformer_resident_ar_rollout",
                str(self.options["resident"]).lower()]  # fmt: skip
        return Launch(args=args, cwd=self.repo, output=out / "gen.mp4")

    def settings(self) -> dict[str, Any]:
        return {
            "speed_settings": "--transformer_resident_ar_rollout "
            f"{str(self.options['resident']).lower()}"
        }

    def action_ckpt(self) -> Path:
        """The action checkpoint (default: download_models.py's layout beside the base model)."""
        given = self.options["action_ckpt"]
        default = "HY-WorldPlay/ar_distilled_action_model/diffusion_pytorch_model.safetensors"
        return given if given != Path() else self.weights.parent / default

    def weight_paths(self) -> list[Path]:
        return [*super().weight_paths(), self.action_ckpt()]

    def config(self) -> dict[str, Any]:
        return {**super().config(), "action_ckpt": str(self.action_ckpt())}
