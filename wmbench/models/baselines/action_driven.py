"""Matrix-Game 3.0, Infinite-World and YUME: keyboard and mouse actions in."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from wmbench.core.errors import InputError
from wmbench.core.types import Video, fit_image
from wmbench.models.base import GenerationRequest
from wmbench.models.baselines.base import BaselineModel, EntryPoint, Launch
from wmbench.models.controls import CompiledControl, Ignored, NativeControl, yume
from wmbench.models.controls import action_models as actions
from wmbench.models.controls.timeline import Timeline
from wmbench.models.options import to_bool

FILENAME_BYTES = 255


class MatrixGame3(BaselineModel):
    """Matrix-Game 3.0 (distilled 5B), README "Inference" with ``--interactive``:
    ``generate.py --size 704*1280 --ckpt_dir DIR --image IMG --prompt P --num_iterations N
    --num_inference_steps 3 --seed S --output_dir DIR --save_name NAME --interactive``, the
    actions answered on standard input, with the README's speed settings ``--vae_type
    mg_lightvae --lightvae_pruning_rate 0.5 --use_int8 --compile_vae`` (its single-GPU example)
    unless ``-o fast=false``. The pipeline
    writes DIR/NAME.mp4 only through utils/visualize.py process_video, which draws the keys and
    a mouse icon on every frame; the driver keeps what MatrixGame3Pipeline.generate returns
    (the decoded frames, before any overlay) and writes it with the same export_to_video at 24
    fps, and that clean video is the one scored. Weights: huggingface Skywork/Matrix-Game-3.0.

    Pitch: I (mouse [+0.1, 0]) is compiled as tilt up, the reading the model was trained on:
    get_current_action labels it "I: up, K: down"; visualize.parse_config negates mouse[0] so
    the cursor rises on I; Matrix-Game 1 / 2's conditions name [CAM_VALUE, 0] "camera_up" (the
    same action encoding). Only get_extrinsics, which synthesises the Plucker rays from actions
    at inference, pitches the camera down for it; its yaw agrees with the labels and no shipped
    example exercises its pitch (Bench_actions_universal comments camera_up / camera_down out).
    A real pitch-up generation settles it; the choice is recorded (control/pitch_reading)."""

    NAME = "matrix-game-3"
    CONTROL = "actions"
    ENTRY = EntryPoint(
        script="generate.py",
        timed="MatrixGame3InteractivePipeline.generate",
        package="wan",
        weights=("base_distilled_model",),
        weights_default="Matrix-Game-3.0",
        resolution=(1280, 704),
        fps=24.0,
        frames="57+40(n-1)",
        source="SkyworkAI/Matrix-Game@20e033e Matrix-Game-3/generate.py, "
        "pipeline/inference_interactive_pipeline.py, utils/utils.py",
    )
    OPTIONS = {"steps": (int, 3), "extra": (str, ""), "fast": (to_bool, True)}
    FAST = ("--vae_type", "mg_lightvae", "--lightvae_pruning_rate", "0.5", "--use_int8",
            "--compile_vae")  # fmt: skip

    def frame_rule(self, minimum: int) -> int:
        return actions.matrix_game_3_frames(minimum)

    def native_control(self, c2w: np.ndarray, intrinsics: np.ndarray, prompt: str) -> NativeControl:
        return actions.matrix_game_3(c2w)

    def launch(
        self, folder: Path, image: Path, request: GenerationRequest,
        compiled: CompiledControl, timeline: Timeline,
    ) -> Launch:  # fmt: skip
        iterations = compiled.native.details["iterations"]
        args = ["--size", "704*1280", "--ckpt_dir", str(self.weights), "--image", str(image),
                "--prompt", request.case.prompt, "--num_iterations", str(iterations),
                "--num_inference_steps", str(self.options["steps"]), "--seed", str(request.seed),
                "--output_dir", str(folder / "out"), "--save_name", "case", "--interactive",
                *self.fast_flags(), *self.options["extra"].split()]  # fmt: skip
        clean = folder / "out" / "clean.mp4"
        return Launch(
            args=args,
            cwd=self.repo,
            output=clean,
            driver=("--save-return", str(clean), "--fps", f"{self.ENTRY.fps:g}"),
        )

    def fast_flags(self) -> tuple[str, ...]:
        return self.FAST if self.options["fast"] else ()

    def settings(self) -> dict[str, Any]:
        return {"speed_settings": " ".join(self.fast_flags()) or "none",
                "video": "clean (returned frames, no key / mouse overlay)"}  # fmt: skip


class InfiniteWorld(BaselineModel):
    """Infinite-World (1.3B), infer_local.sh: ``python scripts/infworld_inference.py`` with no
    arguments; it reads prompts/demo.yaml ([prompt, image, action JSON] rows) and
    configs/infworld_config.yaml under its project root (the script's grandparent folder) and
    writes outputs/<run>/0000_<prompt[:30]>.mp4 at 30 fps. The adapter stages a project root
    per case: links to the checkout's infworld/, configs/, checkpoints/ and the script, plus its
    own prompts/demo.yaml. The driver sets the script's NUM_CHUNKS (13, 1041 frames, in the
    script) to the chunks the case needs and HIGH_QUALITY_SAVE (True there: imageio quality 10)
    to ``-o high_quality_save`` (default false: the script's quality 5). Actions are held for
    ``-o hold=20`` frames. Its GLOBAL_SEED = 42 is fixed: the case's seed is recorded as
    ignored. Weights: huggingface MeiGen-AI/Infinite-World under checkpoints/ (README table)."""

    NAME = "infinite-world"
    CONTROL = "actions"
    ENTRY = EntryPoint(
        script="scripts/infworld_inference.py",
        timed="load_condition_image",
        package="infworld",
        weights=("infinite_world_model.ckpt", "models/Wan2.1_VAE.pth",
                 "models/models_t5_umt5-xxl-enc-bf16.pth", "models/google/umt5-xxl"),
        weights_default="checkpoints",
        resolution=(896, 448),  # bucket ASPECT_RATIO_627_F64 nearest 16:9
        fps=30.0,
        frames="1+80k",
        source="MeiGen-AI/Infinite-World@272478e scripts/infworld_inference.py, infer_local.sh",
    )  # fmt: skip
    OPTIONS = {"hold": (int, actions.INFWORLD_HOLD), "high_quality_save": (to_bool, False)}

    def frame_rule(self, minimum: int) -> int:
        return actions.infinite_world_frames(minimum)

    def native_control(self, c2w: np.ndarray, intrinsics: np.ndarray, prompt: str) -> NativeControl:
        return actions.infinite_world(c2w, self.options["hold"])

    def seed_used(self, request: GenerationRequest) -> Ignored | None:
        return Ignored(
            "seed",
            str(request.seed),
            "42 (GLOBAL_SEED + rank 0)",
            f"{self.ENTRY.source.split(' ', 1)[0]} scripts/infworld_inference.py",
        )

    def settings(self) -> dict[str, Any]:
        return {"speed_settings": f"HIGH_QUALITY_SAVE={self.options['high_quality_save']}"}

    def script_path(self, folder: Path) -> Path:
        return folder / "root" / self.ENTRY.script

    def launch(
        self, folder: Path, image: Path, request: GenerationRequest,
        compiled: CompiledControl, timeline: Timeline,
    ) -> Launch:  # fmt: skip
        root = folder / "root"
        (root / "scripts").mkdir(parents=True)
        (root / "prompts").mkdir()
        for name in ("infworld", "configs"):
            os.symlink((self.repo / name).resolve(), root / name)
        os.symlink(self.weights.resolve(), root / "checkpoints")
        os.symlink((self.repo / self.ENTRY.script).resolve(), root / self.ENTRY.script)
        rows = [[request.case.prompt, str(image), str(folder / "control/actions.json")]]
        (root / "prompts/demo.yaml").write_text(json.dumps({"prompts": rows}))  # JSON is YAML
        # outputs/infworld-ckpt{step}-step{NUM_SAMPLING_STEPS=30}-cfg{TEXT_CFG_SCALE=5.0}/, the
        # step read from a 'checkpoint-N.ckpt' name (0 for infinite_world_model.ckpt)
        name = f"0000_{request.case.prompt[:30].replace(' ', '_')}.mp4"
        chunks = (timeline.native_frames - 1) // actions.INFWORLD_CHUNK
        quality = json.dumps(self.options["high_quality_save"])
        return Launch(
            args=[], cwd=root, output=root / "outputs/infworld-ckpt0-step30-cfg5.0" / name,
            driver=("--set", f"NUM_CHUNKS={chunks}", "--set", f"HIGH_QUALITY_SAVE={quality}"),
        )  # fmt: skip


class Yume(BaselineModel):
    """YUME (Yume-I2V-540P), scripts/inference/sample_image.sh:
    ``fastvideo/sample/sample.py --seed S --gradient_checkpointing --train_batch_size=1
    --max_sample_steps=600000 --mixed_precision=bf16 --allow_tf32 --video_output_dir=DIR
    --jpg_dir=DIR --caption_path=caption.txt --test_data_dir=./val --num_euler_timesteps 50
    --rand_num_img 0.6 --t5_cpu`` (launcher ``torchrun --nproc_per_node 1``); weights at
    ./Yume-I2V-540P under the checkout (sample.py's ckpt_dir). The video of the last segment,
    DIR/<image>_<first caption up to "Actual distance moved:">_<k>_0.mp4, holds all segments at
    16 fps; since that caption names the file, the scene text is cut to keep the name within
    255 bytes (and '/' becomes ' '), and the run records it. main() calls sample_one for
    ``range(1, dataset_length // world_size + 2)``: twice for one image on one GPU, the second
    overwriting the first; the driver answers the second call empty. The video starts one frame
    after the image (controls/yume.py), so the image is put back as native frame 0. Its
    set_seed is commented out and it samples with seed=None: the case's seed is ignored."""

    NAME = "yume"
    CONTROL = "actions"
    ENTRY = EntryPoint(
        script="fastvideo/sample/sample.py",
        timed="sample_one",
        package="fastvideo",
        weights=(".",),
        weights_default="Yume-I2V-540P",
        resolution=(960, 544),
        fps=16.0,
        frames="1+32k (frame 0 the image)",
        source="stdstu12/YUME@111c3fa scripts/inference/sample_image.sh, "
        "fastvideo/sample/sample.py",
    )
    OPTIONS = {"steps": (int, 50)}

    def frame_rule(self, minimum: int) -> int:
        return yume.yume_frames(minimum)

    def native_control(self, c2w: np.ndarray, intrinsics: np.ndarray, prompt: str) -> NativeControl:
        return yume.yume(c2w, yume_scene(prompt))

    def native_video(self, video: Video, image: np.ndarray) -> Video:
        height, width = video.frames.shape[1:3]
        first = fit_image(image, width, height)  # the size it was given, unless it wrote another
        return Video(np.concatenate([first[None], video.frames]), video.fps)

    def seed_used(self, request: GenerationRequest) -> Ignored | None:
        return Ignored(
            "seed",
            str(request.seed),
            "none: set_seed is commented out and it samples with seed=None",
            "stdstu12/YUME@111c3fa fastvideo/sample/sample.py",
        )

    def settings(self) -> dict[str, Any]:
        return {"first_frame": "the input image (its video starts one frame after it)"}

    def launch(
        self, folder: Path, image: Path, request: GenerationRequest,
        compiled: CompiledControl, timeline: Timeline,
    ) -> Launch:  # fmt: skip
        images = folder / "jpg"
        images.mkdir()
        image.rename(images / "case.png")
        out = folder / "out"
        out.mkdir()
        first = compiled.native.files["caption.txt"].decode().split("\n", 1)[0]
        label = first[: first.find("Actual distance moved:")].strip()
        segments = compiled.native.details["segments"]
        args = ["--seed", str(request.seed), "--gradient_checkpointing", "--train_batch_size=1",
                "--max_sample_steps=600000", "--mixed_precision=bf16", "--allow_tf32",
                f"--video_output_dir={out}", f"--jpg_dir={images}/",
                f"--caption_path={folder / 'control/caption.txt'}", "--test_data_dir=./val",
                "--num_euler_timesteps", str(self.options["steps"]), "--rand_num_img", "0.6",
                "--t5_cpu"]  # fmt: skip
        return Launch(
            args=args,
            cwd=self.repo,
            output=out / f"case_{label}_{segments - 1}_0.mp4",
            driver=("--once",),
        )


def yume_scene(prompt: str) -> str:
    """The scene text for YUME's captions, cut so its output file name stays within 255 bytes
    (the name also holds the key and mouse sentences, at most 98 bytes, and 'case_..._NN_0.mp4')."""
    text = prompt.replace("/", " ").replace("\n", " ").strip()
    room = (
        FILENAME_BYTES
        - len("case_")
        - len("_000_0.mp4")
        - max(
            len(k.encode()) + len(m.encode())
            for k in yume.YUME_KEYS.values()
            for m in yume.YUME_MOUSE.values()
        )
    )
    encoded = text.encode()[:room]
    if not encoded:
        raise InputError("yume", "prompt", "a non-empty scene description", repr(prompt))
    return encoded.decode(errors="ignore")
