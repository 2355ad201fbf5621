"""Contract tests: Matrix-Game 3.0, Infinite-World and YUME adapters against stand-ins for
their entry points that check every argument, input file and stdin answer the real ones
require (the real programs are not available on these machines)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests import standins
from wmbench.core.types import fit_image
from wmbench.models.baselines.action_driven import InfiniteWorld, MatrixGame3, Yume
from wmbench.models.controls import action_models as actions

MATRIX_GAME = """
import torch

class MatrixGame3InteractivePipeline:
    def generate(self, args):
        answers = []
        for _ in range(args.num_iterations):  # get_current_action: mouse line, then keyboard
            mouse, key = input().strip().lower(), input().strip().lower()
            assert mouse in "ikjlu" and key in "wsadq", (mouse, key)
            answers.append([mouse, key])
        record({"args": vars(args), "answers": answers})
        frames = 57 + (args.num_iterations - 1) * 40
        # the saved video carries the overlay (255); the returned frames are clean
        write_video(os.path.join(args.output_dir, args.save_name + ".mp4"), frames, 1280, 704,
                    24, value=255)
        levels = (50 + torch.arange(frames, dtype=torch.float32) % 60 * 2) / 127.5 - 1.0
        return levels[None, :, None, None].expand(3, frames, 88, 160).clone()

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("--size", "--ckpt_dir", "--image", "--prompt", "--output_dir", "--save_name",
                 "--vae_type"):
        parser.add_argument(name, required=name != "--vae_type")
    for name in ("--num_iterations", "--num_inference_steps", "--seed"):
        parser.add_argument(name, type=int, required=True)
    parser.add_argument("--lightvae_pruning_rate", type=float)
    parser.add_argument("--interactive", action="store_true")
    parser.add_argument("--use_int8", action="store_true")
    parser.add_argument("--compile_vae", action="store_true")
    args = parser.parse_args()
    assert args.interactive and args.size == "704*1280"
    assert os.path.isdir(os.path.join(args.ckpt_dir, "base_distilled_model"))
    os.makedirs(args.output_dir, exist_ok=True)
    MatrixGame3InteractivePipeline().generate(args)
"""

INFINITE_WORLD = """
import yaml
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUM_CHUNKS = 13
HIGH_QUALITY_SAVE = True

def load_condition_image(image):
    assert os.path.isfile(image)

def main():
    assert len(sys.argv) == 1, "infworld_inference.py takes no arguments"
    config = yaml.safe_load(open(os.path.join(PROJECT_ROOT, "configs", "infworld_config.yaml")))
    assert os.path.isfile(os.path.join(PROJECT_ROOT, config["checkpoint_path"]))
    assert os.path.isdir(os.path.join(PROJECT_ROOT, "infworld"))
    prompts = yaml.safe_load(open(os.path.join(PROJECT_ROOT, "prompts", "demo.yaml")))["prompts"]
    moves = {"no-op", "go forward", "go back", "go left", "go right", "go forward and go left",
             "go forward and go right", "go back and go left", "go back and go right",
             "uncertain"}
    views = {"no-op", "turn up", "turn down", "turn left", "turn right",
             "turn up and turn left", "turn up and turn right", "turn down and turn left",
             "turn down and turn right", "uncertain"}
    for prompt, image, action in prompts:
        load_condition_image(image)
        entries = json.load(open(action))
        assert all(e["move"] in moves and e["view"] in views for e in entries)
    record({"prompts": prompts, "actions": entries, "chunks": NUM_CHUNKS,
            "high_quality_save": HIGH_QUALITY_SAVE})
    out = os.path.join(PROJECT_ROOT, "outputs", "infworld-ckpt0-step30-cfg5.0",
                       f"0000_{prompts[0][0][:30].replace(' ', '_')}.mp4")
    write_video(out, 1 + NUM_CHUNKS * 80, 896, 448, 30)

if __name__ == "__main__":
    main()
"""

YUME = """
CALLS = []

def sample_one(step, caption_path, jpg_dir, video_output_dir):
    CALLS.append(step)
    images = [f for f in os.listdir(jpg_dir) if f.lower().endswith((".jpg", ".jpeg", ".png"))]
    caption = [line.rstrip("\\n") for line in open(caption_path, encoding="utf-8")]
    caption_ori = caption[0][:caption[0].find("Actual distance moved:")].strip()
    videoid = os.path.splitext(images[0])[0]
    for k in range(len(caption)):
        name = videoid + "_" + caption_ori + "_" + str(k) + "_0.mp4"
        assert len(name.encode()) <= 255, len(name.encode())
        write_video(os.path.join(video_output_dir, name), 32 * (k + 1), 960, 544, 16,
                    value=100 + len(CALLS))
    return caption

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("--video_output_dir", "--jpg_dir", "--caption_path", "--test_data_dir",
                 "--mixed_precision", "--train_batch_size", "--max_sample_steps"):
        parser.add_argument(name, required=True)
    for name in ("--seed", "--num_euler_timesteps"):
        parser.add_argument(name, type=int, required=True)
    parser.add_argument("--rand_num_img", type=float, required=True)
    for name in ("--gradient_checkpointing", "--allow_tf32", "--t5_cpu"):
        parser.add_argument(name, action="store_true")
    args = parser.parse_args()
    assert os.path.isdir("./Yume-I2V-540P"), "sample.py loads ./Yume-I2V-540P from the checkout"
    images = [f for f in os.listdir(args.jpg_dir)
              if f.lower().endswith((".jpg", ".jpeg", ".png"))]
    assert len(images) == 1
    dataset_length, world_size = len(images), 1
    caption = None
    for step in range(1, dataset_length // world_size + 2):  # as sample.py main()
        caption = sample_one(step, args.caption_path, args.jpg_dir,
                             args.video_output_dir) or caption
    record({"args": vars(args), "caption": caption, "calls": CALLS})
"""


@pytest.fixture
def record(tmp_path, monkeypatch):
    monkeypatch.setenv("STANDIN_RECORD", str(tmp_path / "record.json"))


def test_matrix_game_3_contract(tmp_path, record):
    repo = tmp_path / "Matrix-Game-3"
    standins.install(repo, "generate.py", MATRIX_GAME)
    standins.install_module(repo, "diffusers.utils", standins.DIFFUSERS_SHIM)
    (repo / "Matrix-Game-3.0" / "base_distilled_model").mkdir(parents=True)
    request = standins.request(tmp_path, frames=61)
    generation = MatrixGame3(**standins.options(repo, tmp_path)).generate(request)
    got = standins.received(tmp_path)
    assert got["args"]["num_iterations"] == 2 and got["args"]["num_inference_steps"] == 3
    assert got["args"]["vae_type"] == "mg_lightvae" and got["args"]["use_int8"]
    assert got["args"]["lightvae_pruning_rate"] == 0.5 and got["args"]["compile_vae"]
    compiled = actions.matrix_game_3(_padded(request, 97))  # 61 frames -> 57 + 40
    lines = compiled.stdin.split()
    assert got["answers"] == [list(pair) for pair in zip(lines[::2], lines[1::2], strict=True)]
    assert generation.video.frames.shape == (61, 88, 160, 3)  # the model's own size
    # the clean returned frames are scored, never the overlaid case.mp4 (all 255)
    levels = generation.video.frames.reshape(61, -1).mean(axis=1)
    np.testing.assert_allclose(levels, 50 + np.arange(61) % 60 * 2, atol=6)
    assert generation.info["control"] == "actions"
    assert (
        generation.info["speed_settings"]
        == "--vae_type mg_lightvae --lightvae_pruning_rate 0.5 --use_int8 --compile_vae"
    )
    assert set(generation.stage_seconds) == {"load", "generate", "entry_point"}
    assert generation.info["control_error/rotation_deg_max"] > 0  # a circle, at a fixed turn rate


def _padded(request, frames):
    c2w = request.trajectory.fitted(1280, 704).c2w
    return np.concatenate([c2w, np.repeat(c2w[-1:], frames - len(c2w), axis=0)])


def test_infinite_world_contract(tmp_path, record):
    repo = tmp_path / "Infinite-World"
    standins.install(repo, "scripts/infworld_inference.py", INFINITE_WORLD)
    (repo / "infworld").mkdir()
    (repo / "configs").mkdir()
    (repo / "configs/infworld_config.yaml").write_text(
        'checkpoint_path: "checkpoints/infinite_world_model.ckpt"\n'
    )
    for part in InfiniteWorld.ENTRY.weights:
        path = repo / "checkpoints" / part
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir() if part.endswith("umt5-xxl") else path.write_bytes(b"")
    request = standins.request(tmp_path)
    model = InfiniteWorld(**standins.options(repo, tmp_path, hold="8"))
    model.check_available()
    generation = model.generate(request)
    got = standins.received(tmp_path)
    assert got["prompts"][0][0] == "A quiet hallway."
    assert got["chunks"] == 1 and got["high_quality_save"] is False  # 17 frames: one chunk
    assert len(got["actions"]) == 81
    moves = [entry["move"] for entry in got["actions"][:-1]]
    assert all(len(set(moves[i : i + 8])) == 1 for i in range(0, 80, 8))  # held for 8 frames
    assert generation.video.frames.shape == (17, 56, 112, 3)  # the model's own size
    assert generation.info["ignored"][0] == {
        "input": "seed", "requested": "7", "used": "42 (GLOBAL_SEED + rank 0)",
        "source": "MeiGen-AI/Infinite-World@272478e scripts/infworld_inference.py",
    }  # fmt: skip
    assert generation.info["control/hold_frames"] == 8
    assert generation.stage_seconds["load"] >= 0 and generation.stage_seconds["generate"] >= 0


def test_yume_contract(tmp_path, record):
    repo = tmp_path / "YUME"
    standins.install(repo, "fastvideo/sample/sample.py", YUME)
    (repo / "Yume-I2V-540P").mkdir()
    request = standins.request(tmp_path, frames=40)
    long = "A very long scene description of a quiet hallway. " * 20
    request = replace(request, case=replace(request.case, prompt=long))
    generation = Yume(**standins.options(repo, tmp_path)).generate(request)
    got = standins.received(tmp_path)
    assert got["calls"] == [1]  # main() loops twice for one image; the second is answered empty
    assert generation.info["driver_skipped_calls"] == 1
    assert len(got["caption"]) == 2  # 40 frames -> 1 + 2 x 32
    assert got["args"]["num_euler_timesteps"] == 50
    first = got["caption"][0]
    assert first.startswith("A very long scene") and "Person moves forward (W)." in first
    assert "Camera turns right (→).Actual distance moved:" in first
    distance = float(first.split("Actual distance moved:")[1].split(" at")[0])
    assert 0.1 <= distance <= 10  # the README's range, in caption.txt's units
    assert generation.video.frames.shape == (40, 68, 120, 3)  # the model's own size
    # frame 0 is the input image; frame 1 is the first frame of the model's video (level 101)
    image = fit_image(fit_image(request.image, 960, 544), 120, 68)
    np.testing.assert_array_equal(generation.video.frames[0], image)
    assert abs(generation.video.frames[1].mean() - 101) < 3
    seed = generation.info["ignored"][0]
    assert seed["input"] == "seed" and seed["requested"] == "7" and "seed=None" in seed["used"]
