"""Contract tests: LingBot-World and HY-WorldPlay adapters against stand-ins for their
generate.py that check every argument and input file the real entry point requires (the real
programs are not available on these machines)."""

from __future__ import annotations

import numpy as np
import pytest

from tests import standins
from wmbench.models.baselines.pose_driven import HYWorldPlay, LingBotWorld
from wmbench.models.controls import poses
from wmbench.models.controls.geometry import sample_poses

LINGBOT = """
import wan

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("--task", "--size", "--ckpt_dir", "--image", "--action_path", "--prompt",
                 "--save_file"):
        parser.add_argument(name, required=True)
    parser.add_argument("--frame_num", type=int, required=True)
    parser.add_argument("--base_seed", type=int, required=True)
    args = parser.parse_args()
    assert args.task == "i2v-A14B" and args.size in ("480*832", "720*1280"), args
    assert (args.frame_num - 1) % 4 == 0, "frame_num must be 4n+1"
    assert os.path.isdir(args.ckpt_dir) and os.path.isfile(args.image)
    poses = np.load(os.path.join(args.action_path, "poses.npy"))
    intrinsics = np.load(os.path.join(args.action_path, "intrinsics.npy"))
    assert poses.shape == (args.frame_num, 4, 4) and intrinsics.shape == (args.frame_num, 4)
    image = cv2.imread(args.image)
    record({"args": vars(args), "poses": poses.tolist(), "intrinsics": intrinsics.tolist(),
            "image": list(image.shape)})
    wan.WanI2V().generate()
    write_video(args.save_file, args.frame_num, 832, 480, 16)
"""

HY = """
def pose_to_input(path):
    return json.load(open(path))

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("--prompt", "--image_path", "--resolution", "--aspect_ratio", "--pose",
                 "--output_path", "--model_path", "--action_ckpt", "--few_step", "--model_type",
                 "--rewrite", "--sr"):
        parser.add_argument(name, required=True)
    for name in ("--video_length", "--seed", "--num_inference_steps", "--width", "--height"):
        parser.add_argument(name, type=int, required=True)
    parser.add_argument("--transformer_resident_ar_rollout", required=True)
    args = parser.parse_args()
    latents = (args.video_length - 1) // 4 + 1
    assert (args.video_length - 1) % 4 == 0 and latents % 4 == 0, "ar model: latents % 4 == 0"
    assert args.resolution == "480p" and args.model_type == "ar" and args.rewrite == "false"
    assert os.path.isfile(args.action_ckpt) and os.path.isdir(args.model_path)
    pose = pose_to_input(args.pose)
    assert list(pose) == [str(i) for i in range(latents)], "one pose per latent"
    for entry in pose.values():
        assert np.array(entry["extrinsic"]).shape == (4, 4) and np.array(entry["K"]).shape == (3, 3)
    record({"args": vars(args), "pose": pose})
    out = os.path.join(args.output_path, "gen.mp4")
    write_video(out, args.video_length, args.width, args.height, 24)
"""


@pytest.fixture
def record(tmp_path, monkeypatch):
    monkeypatch.setenv("STANDIN_RECORD", str(tmp_path / "record.json"))


def test_lingbot_world_contract(tmp_path, record):
    repo = tmp_path / "lingbot-world"
    standins.install(repo, "generate.py", LINGBOT)
    standins.install_module(repo, "wan", "class WanI2V:\n    def generate(self):\n        pass\n")
    for part in LingBotWorld.ENTRY.weights:
        (repo / "lingbot-world-base-cam" / part).mkdir(parents=True)
    request = standins.request(tmp_path)
    model = LingBotWorld(**standins.options(repo, tmp_path))
    model.check_available()
    generation = model.generate(request)
    got = standins.received(tmp_path)
    assert got["args"]["frame_num"] == 17 and got["args"]["prompt"] == "A quiet hallway."
    assert got["args"]["base_seed"] == 7 and got["image"] == [480, 832, 3]
    native = request.trajectory.fitted(832, 480)
    np.testing.assert_array_equal(got["poses"], native.c2w)  # exact, float64
    k = native.intrinsics
    np.testing.assert_array_equal(
        got["intrinsics"], np.stack([k[:, 0, 0], k[:, 1, 1], k[:, 0, 2], k[:, 1, 2]], axis=1)
    )
    assert generation.video.frames.shape == (17, 60, 104, 3)  # the model's own size
    assert generation.info["control"] == "camera-poses"
    assert generation.info["native_size"] == [104, 60]
    assert generation.series["control_error/rotation_deg"].shape == (17,)
    assert generation.info["ignored"][0]["input"] == "scale"
    assert set(generation.stage_seconds) == {"load", "generate", "entry_point"}


def test_hy_worldplay_contract(tmp_path, record):
    repo = tmp_path / "HY-WorldPlay"
    standins.install(repo, "hyvideo/generate.py", HY)
    weights = tmp_path / "ckpts" / "HunyuanVideo-1.5"
    for part in HYWorldPlay.ENTRY.weights:
        (weights / part).mkdir(parents=True)
    action = tmp_path / "ar_distilled.safetensors"
    action.write_bytes(b"")
    request = standins.request(tmp_path, frames=20)
    model = HYWorldPlay(**standins.options(repo, tmp_path, weights=str(weights),
                                           action_ckpt=str(action), timing="seconds"))  # fmt: skip
    generation = model.generate(request)
    got = standins.received(tmp_path)
    # 20 frames at 16 fps span 19/16 s: 30 frames at 24 fps; 4n+1 -> 33 (9 latents); latents
    # rounded up to a multiple of 4 -> 12, i.e. 45 frames
    assert got["args"]["video_length"] == 45
    native = request.trajectory.fitted(832, 480)
    times = np.arange(45) * 16 / 24
    expected = sample_poses(native.c2w, times)[::4]
    relative = np.linalg.inv(expected[0]) @ expected
    relative[:, :3, 3] *= poses.HY_UNITS_PER_METRE  # its own pose units
    np.testing.assert_allclose([got["pose"][str(i)]["extrinsic"] for i in range(12)], relative,
                               atol=1e-12)  # fmt: skip
    assert got["pose"]["0"]["K"][0][2] == 416.0 and got["pose"]["0"]["K"][1][2] == 240.0
    assert got["args"]["few_step"] == "true" and got["args"]["num_inference_steps"] == 4
    assert got["args"]["transformer_resident_ar_rollout"] == "true"
    assert generation.info["speed_settings"] == "--transformer_resident_ar_rollout true"
    assert generation.info["control/scale"]["units_per_metre"] == pytest.approx(0.48)
    assert generation.video.frames.shape == (20, 60, 104, 3)  # the model's own size
    assert generation.info["timing"] == "seconds" and generation.info["native_frames"] == 45
