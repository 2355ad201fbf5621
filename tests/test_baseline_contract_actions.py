"""Contract tests: Matrix-Game 3.0, Infinite-World and YUME adapters against stand-ins for
their entry points that check every argument, input file and stdin answer the real ones
require (the real programs are not available on these machines)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests import standins
from wmbench.models.baselines.action_driven import InfiniteWorld, MatrixGame3, Yume
from wmbench.models.controls import action_models as actions

MATRIX_GAME = """
parser = argparse.ArgumentParser()
for name in ("--size", "--ckpt_dir", "--image", "--prompt", "--output_dir", "--save_name"):
    parser.add_argument(name, required=True)
for name in ("--num_iterations", "--num_inference_steps", "--seed"):
    parser.add_argument(name, type=int, required=True)
parser.add_argument("--interactive", action="store_true")
args = parser.parse_args()
assert args.interactive and args.size == "704*1280"
assert os.path.isdir(os.path.join(args.ckpt_dir, "base_distilled_model"))
answers = []
for _ in range(args.num_iterations):  # get_current_action: mouse line, then keyboard line
    mouse, key = input().strip().lower(), input().strip().lower()
    assert mouse in "ikjlu" and key in "wsadq", (mouse, key)
    answers.append([mouse, key])
record({"args": vars(args), "answers": answers})
frames = 57 + (args.num_iterations - 1) * 40
write_video(os.path.join(args.output_dir, args.save_name + ".mp4"), frames, 1280, 704, 24)
"""

INFINITE_WORLD = """
import yaml
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
assert len(sys.argv) == 1, "infworld_inference.py takes no arguments"
config = yaml.safe_load(open(os.path.join(PROJECT_ROOT, "configs", "infworld_config.yaml")))
assert os.path.isfile(os.path.join(PROJECT_ROOT, config["checkpoint_path"]))
assert os.path.isdir(os.path.join(PROJECT_ROOT, "infworld"))
prompts = yaml.safe_load(open(os.path.join(PROJECT_ROOT, "prompts", "demo.yaml")))["prompts"]
moves = {"no-op", "go forward", "go back", "go left", "go right", "go forward and go left",
         "go forward and go right", "go back and go left", "go back and go right", "uncertain"}
views = {"no-op", "turn up", "turn down", "turn left", "turn right", "turn up and turn left",
         "turn up and turn right", "turn down and turn left", "turn down and turn right",
         "uncertain"}
for prompt, image, action in prompts:
    assert os.path.isfile(image)
    entries = json.load(open(action))
    assert all(e["move"] in moves and e["view"] in views for e in entries)
record({"prompts": prompts, "actions": entries})
out = os.path.join(PROJECT_ROOT, "outputs", "infworld-ckpt0-step30-cfg5.0",
                   f"0000_{prompts[0][0][:30].replace(' ', '_')}.mp4")
write_video(out, 1 + 13 * 80, 896, 448, 30)
"""

YUME = """
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
images = [f for f in os.listdir(args.jpg_dir) if f.lower().endswith((".jpg", ".jpeg", ".png"))]
assert len(images) == 1
caption = [line.rstrip("\\n") for line in open(args.caption_path, encoding="utf-8")]
caption_ori = caption[0][:caption[0].find("Actual distance moved:")].strip()
videoid = os.path.splitext(images[0])[0]
for k in range(len(caption)):
    name = videoid + "_" + caption_ori + "_" + str(k) + "_0.mp4"
    assert len(name.encode()) <= 255, len(name.encode())
    write_video(os.path.join(args.video_output_dir, name), 32 * (k + 1), 960, 544, 16)
record({"args": vars(args), "caption": caption})
"""


@pytest.fixture
def record(tmp_path, monkeypatch):
    monkeypatch.setenv("STANDIN_RECORD", str(tmp_path / "record.json"))


def test_matrix_game_3_contract(tmp_path, record):
    repo = tmp_path / "Matrix-Game-3"
    standins.install(repo, "generate.py", MATRIX_GAME)
    (repo / "Matrix-Game-3.0" / "base_distilled_model").mkdir(parents=True)
    request = standins.request(tmp_path, frames=61)
    generation = MatrixGame3(**standins.options(repo, tmp_path)).generate(request)
    got = standins.received(tmp_path)
    assert got["args"]["num_iterations"] == 2 and got["args"]["num_inference_steps"] == 3
    compiled = actions.matrix_game_3(_padded(request, 97))  # 61 frames -> 57 + 40
    lines = compiled.stdin.split()
    assert got["answers"] == [list(pair) for pair in zip(lines[::2], lines[1::2], strict=True)]
    assert generation.video.frames.shape == (61, 88, 160, 3)  # the model's own size
    assert generation.info["control"] == "actions"
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
    model = InfiniteWorld(**standins.options(repo, tmp_path))
    model.check_available()
    generation = model.generate(request)
    got = standins.received(tmp_path)
    assert got["prompts"][0][0] == "A quiet hallway."
    assert len(got["actions"]) == 1041
    assert got["actions"][:16] == [{"move": "go forward", "view": "turn right"}] * 16
    assert all(e == {"move": "no-op", "view": "no-op"} for e in got["actions"][16:])
    assert generation.video.frames.shape == (17, 56, 112, 3)  # the model's own size
    assert (
        generation.info["control_bound/rotation_deg"]
        >= generation.info["control_error/rotation_deg_max"]
    )


def test_yume_contract(tmp_path, record):
    repo = tmp_path / "YUME"
    standins.install(repo, "fastvideo/sample/sample.py", YUME)
    (repo / "Yume-I2V-540P").mkdir()
    request = standins.request(tmp_path, frames=40)
    long = "A very long scene description of a quiet hallway. " * 20
    request = replace(request, case=replace(request.case, prompt=long))
    generation = Yume(**standins.options(repo, tmp_path)).generate(request)
    got = standins.received(tmp_path)
    assert len(got["caption"]) == 2  # 40 frames -> two 32-frame segments
    assert got["args"]["num_euler_timesteps"] == 50 and got["args"]["seed"] == 7
    first = got["caption"][0]
    assert first.startswith("A very long scene") and "Person moves forward (W)." in first
    assert "Camera turns right (→).Actual distance moved:" in first
    assert generation.video.frames.shape == (40, 68, 120, 3)  # the model's own size
