"""GEN3C: a camera preset in, through gen3c_single_image.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wmbench.models.base import GenerationRequest
from wmbench.models.baselines.base import BaselineModel, EntryPoint, Launch
from wmbench.models.controls import CompiledControl, NativeControl, presets
from wmbench.models.controls.timeline import Timeline


class Gen3C(BaselineModel):
    """GEN3C-Cosmos-7B, README "Single image":
    ``cosmos_predict1/diffusion/inference/gen3c_single_image.py --checkpoint_dir checkpoints
    --input_image_path IMG --video_save_name NAME --video_save_folder DIR --guidance 1
    --foreground_masking --num_video_frames N --seed S --prompt P --disable_prompt_upsampler
    --trajectory T --camera_rotation R --movement_distance D``; the video is DIR/NAME.mp4 at
    24 fps, 1280x704. Weights: scripts/download_gen3c_checkpoints.py into checkpoints/
    (Gen3C-Cosmos-7B); MoGe (Ruicheng/moge-vitl) comes from the Hugging Face cache.
    ``--movement_distance`` is in MoGe's scene-relative depth units (controls/presets.py;
    ``-o units_per_metre=`` changes the assumed conversion)."""

    NAME = "gen3c"
    CONTROL = "camera-presets"
    ENTRY = EntryPoint(
        script="cosmos_predict1/diffusion/inference/gen3c_single_image.py",
        timed="_predict_moge_depth",
        package="cosmos_predict1",
        weights=("Gen3C-Cosmos-7B",),
        weights_default="checkpoints",
        resolution=(1280, 704),
        fps=24.0,
        frames="120n+1",
        source="nv-tlabs/GEN3C@db2ffe1 cosmos_predict1/diffusion/inference/gen3c_single_image.py, "
        "camera_utils.py",
    )
    OPTIONS = {"guidance": (float, 1.0),
               "units_per_metre": (float, presets.GEN3C_UNITS_PER_METRE)}  # fmt: skip

    def frame_rule(self, minimum: int) -> int:
        return presets.gen3c_frames(minimum)

    def native_control(self, c2w: np.ndarray, intrinsics: np.ndarray, prompt: str) -> NativeControl:
        return presets.gen3c(c2w, self.options["units_per_metre"])

    def launch(
        self, folder: Path, image: Path, request: GenerationRequest,
        compiled: CompiledControl, timeline: Timeline,
    ) -> Launch:  # fmt: skip
        out = folder / "out"
        args = ["--checkpoint_dir", str(self.weights), "--input_image_path", str(image),
                "--video_save_name", "case", "--video_save_folder", str(out),
                "--guidance", f"{self.options['guidance']:g}", "--foreground_masking",
                "--num_video_frames", str(timeline.native_frames), "--seed", str(request.seed),
                "--prompt", request.case.prompt, "--disable_prompt_upsampler",
                *compiled.native.args]  # fmt: skip
        return Launch(args=args, cwd=self.repo, output=out / "case.mp4")
