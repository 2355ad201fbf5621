"""A trained tiny checkpoint loads where the ``sana-wm`` adapter looks (``--checkpoint OUT``),
generates through it and through ``python -m wmbench run``, and can start another run."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from safetensors.torch import load_file  # noqa: E402

from reference_model.adapter import SanaWMAdapter  # noqa: E402
from reference_model.loading import DIT_FILE, exported_preset  # noqa: E402
from reference_model.presets import PRESETS, RANDOM_INIT_SEED  # noqa: E402
from reference_model.training.config import load_config  # noqa: E402
from reference_model.training.trainer import initial_transformer, train  # noqa: E402
from tests.test_reference_model_adapter import _request  # noqa: E402
from tests.test_training_data import (  # noqa: E402, F401
    ALONE,
    config_file,
    one_thread,
    stage,
    write_clips,
)
from wmbench.core.errors import InputError  # noqa: E402

REPOSITORY = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny run of 2 steps; its ``--out`` folder."""
    folder = tmp_path_factory.mktemp("export")
    write_clips(folder / "clips", 2)
    one = stage("one", 17, (128, 64), 2, batch=2, micro_batch=2)
    config = load_config(str(config_file(folder, folder / "clips", [one])))
    assert train(config, folder / "run", folder / "cache", ALONE) == folder / "run" / DIT_FILE
    return folder / "run"


def _same(model: torch.nn.Module, state: dict[str, torch.Tensor]) -> bool:
    own = model.state_dict()
    return own.keys() == state.keys() and all(torch.equal(own[k], v) for k, v in state.items())


def test_the_adapter_loads_and_runs_the_trained_transformer(trained: Path, tmp_path: Path) -> None:
    assert exported_preset(trained / DIT_FILE) == "tiny"
    exported = load_file(trained / DIT_FILE)
    model = SanaWMAdapter(preset="tiny", checkpoint=str(trained), steps="2", device="cpu")
    assert _same(model._pipeline().transformer, exported)
    generation = model.generate(_request((128, 64), frames=17))
    assert generation.video.frames.shape == (17, 64, 128, 3)
    # A folder without an export keeps the preset's random weights.
    random = SanaWMAdapter(preset="tiny", checkpoint=str(tmp_path), device="cpu")
    assert _same(
        random._pipeline().transformer,
        PRESETS["tiny"].build_transformer(RANDOM_INIT_SEED).state_dict(),
    )
    assert not _same(random._pipeline().transformer, exported)


def test_a_run_can_start_from_a_trained_checkpoint(trained: Path, tmp_path: Path) -> None:
    config = load_config("tiny")
    model = initial_transformer(dataclasses.replace(config, init=str(trained)))
    assert _same(model, load_file(trained / DIT_FILE))
    with pytest.raises(InputError, match="exported for preset tiny"):
        initial_transformer(dataclasses.replace(config, init=str(tmp_path)))


@pytest.mark.slow
def test_the_trained_checkpoint_runs_the_smoke_suite(trained: Path, tmp_path: Path) -> None:
    arguments = (
        f"run --suite smoke --model sana-wm --preset tiny --checkpoint {trained} --steps 2 "
        f"--out {tmp_path / 'smoke'}"
    ).split()
    command = [sys.executable, "-m", "wmbench", *arguments]
    result = subprocess.run(
        command,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    tallies = [
        line.split()[-3:]
        for line in result.stdout.splitlines()
        if line.startswith("cases ok / failed")
    ]
    assert tallies and tallies[0] == ["2", "/", "0"], result.stdout[-3000:]
