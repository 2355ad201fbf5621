"""Contract test: the GEN3C adapter against a stand-in for gen3c_single_image.py that checks
every argument the real entry point requires (the real program is not available here)."""

from __future__ import annotations

import pytest

from tests import standins
from wmbench.models.baselines.gen3c import Gen3C

GEN3C = """
def _predict_moge_depth():
    pass

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("--checkpoint_dir", "--input_image_path", "--video_save_name",
                 "--video_save_folder", "--prompt"):
        parser.add_argument(name, required=True)
    parser.add_argument("--trajectory", required=True, choices=["left", "right", "up", "down",
                        "zoom_in", "zoom_out", "clockwise", "counterclockwise", "none"])
    parser.add_argument("--camera_rotation", required=True,
                        choices=["center_facing", "no_rotation", "trajectory_aligned"])
    parser.add_argument("--movement_distance", type=float, required=True)
    parser.add_argument("--guidance", type=float, required=True)
    parser.add_argument("--num_video_frames", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    for name in ("--foreground_masking", "--disable_prompt_upsampler"):
        parser.add_argument(name, action="store_true")
    args = parser.parse_args()
    assert (args.num_video_frames - 1) % 120 == 0, "num_video_frames must be 121, 241, 361, ..."
    assert os.path.isdir(os.path.join(args.checkpoint_dir, "Gen3C-Cosmos-7B"))
    _predict_moge_depth()
    record({"args": vars(args)})
    write_video(os.path.join(args.video_save_folder, args.video_save_name + ".mp4"),
                args.num_video_frames, 1280, 704, 24)
"""


def test_gen3c_contract(tmp_path, monkeypatch):
    monkeypatch.setenv("STANDIN_RECORD", str(tmp_path / "record.json"))
    repo = tmp_path / "GEN3C"
    standins.install(repo, Gen3C.ENTRY.script, GEN3C)
    (repo / "checkpoints" / "Gen3C-Cosmos-7B").mkdir(parents=True)
    generation = Gen3C(**standins.options(repo, tmp_path)).generate(standins.request(tmp_path))
    args = standins.received(tmp_path)["args"]
    assert args["num_video_frames"] == 121 and args["prompt"] == "A quiet hallway."
    assert args["trajectory"] == generation.info["control/trajectory"]
    assert args["movement_distance"] == pytest.approx(generation.info["control/movement_distance"])
    assert generation.video.frames.shape == (17, 88, 160, 3)  # the model's own size
    assert generation.info["control"] == "camera-presets"
    assert generation.info["ignored"][-1]["input"] == "scale"
    assert 0 < args["movement_distance"] < 1  # MoGe units: the look-at centre is 1 ahead
