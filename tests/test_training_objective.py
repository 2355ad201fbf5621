"""The flow-matching objective against the pipeline's sampler, its random draws, the config file
and the learning-rate schedule."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from diffusers import FlowMatchEulerDiscreteScheduler  # noqa: E402

from reference_model.presets import RELEASE_SCHEDULER_SHIFT  # noqa: E402
from reference_model.training.config import ObjectiveConfig, OptimConfig, load_config  # noqa: E402
from reference_model.training.dataset import sample_generator  # noqa: E402
from reference_model.training.objective import FlowMatching  # noqa: E402
from reference_model.training.optim import learning_rate  # noqa: E402
from wmbench.core.errors import InputError  # noqa: E402

LATENT = (3, 4, 2, 3)  # C, T, h, w


def _batch(size: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        "latents": torch.randn(size, *LATENT, generator=generator),
        "prompt_embeds": torch.randn(size, 5, 2, generator=generator),
        "prompt_mask": torch.ones(size, 5, dtype=torch.long),
        "camera_conditions": torch.zeros(size, LATENT[1], 20),
        "chunk_plucker": torch.zeros(size, 48, *LATENT[1:]),
    }


NULL = (torch.zeros(5, 2), torch.zeros(5, dtype=torch.long))


def test_target_is_the_velocity_the_pipelines_euler_step_follows() -> None:
    """With the target as prediction, the pipeline's scheduler step (per-token timesteps, the
    first frame pinned at 0, the prediction negated) lands exactly on the next noise level of the
    same noise: the objective's noising, timesteps and velocity sign are the sampler's."""
    objective = FlowMatching(ObjectiveConfig(), caption_dropout=0.0, seed=0)
    batch = _batch(4)
    inputs, target = objective.inputs(batch, NULL, stage=0, positions=range(10, 14))
    clean = batch["latents"]
    noise = target + clean
    timestep = inputs["timestep"]  # (B, 1, T)
    assert torch.all(timestep[:, :, 0] == 0) and torch.all(timestep[:, :, 1:] > 0)
    torch.testing.assert_close(inputs["hidden_states"][:, :, :1], clean[:, :, :1])
    sampler = FlowMatchEulerDiscreteScheduler(shift=RELEASE_SCHEDULER_SHIFT)
    sampler.set_timesteps(60)
    for row in range(4):
        t = timestep[row, 0, 1]
        sigma = t / 1000
        noisy = inputs["hidden_states"][row : row + 1]
        torch.testing.assert_close(
            noisy[:, :, 1:], ((1 - sigma) * clean + sigma * noise)[row : row + 1, :, 1:]
        )
        per_token = timestep[row : row + 1, :, :, None, None].expand(1, LATENT[0], *LATENT[1:])
        sampler._step_index = None
        stepped = sampler.step(
            -target[row : row + 1].reshape(1, LATENT[0], -1).transpose(1, 2),
            sampler.timesteps[0],
            noisy.reshape(1, LATENT[0], -1).transpose(1, 2),
            per_token_timesteps=per_token.reshape(1, LATENT[0], -1)[:, 0],
            return_dict=False,
        )[0]
        stepped = stepped.transpose(1, 2).reshape(1, *LATENT)
        lower = sampler.sigmas[sampler.sigmas < sigma - 1e-6].max()
        expected = (1 - lower) * clean[row] + lower * noise[row]
        torch.testing.assert_close(stepped[0, :, 1:], expected[:, 1:], atol=1e-5, rtol=1e-5)


def test_the_loss_covers_only_the_generated_frames() -> None:
    objective = FlowMatching(ObjectiveConfig(), caption_dropout=0.0, seed=0)
    batch = _batch(2)
    inputs, target = objective.inputs(batch, NULL, 0, range(2))

    def perfect(**kwargs: torch.Tensor) -> tuple[torch.Tensor]:
        prediction = target.clone()
        prediction[:, :, 0] += 100.0  # the condition frame's prediction is never scored
        return (prediction,)

    losses = objective.losses(lambda **kw: perfect(**kw), batch, NULL, 0, range(2))
    assert torch.all(losses == 0)


def test_draws_are_keyed_by_stream_position_and_follow_the_configured_law() -> None:
    shifted = FlowMatching(ObjectiveConfig(), caption_dropout=0.25, seed=7)
    draws = [shifted.draw(sample_generator(7, 0, p)) for p in range(4000)]
    assert draws[:50] == [shifted.draw(sample_generator(7, 0, p)) for p in range(50)]
    sigmas = np.array([d[0] for d in draws])
    table = shifted.scheduler.sigmas.numpy()
    assert np.isin(sigmas.astype(np.float32), table).all()
    # Uniform over the shifted table: its mean, within 5 standard errors.
    assert abs(sigmas.mean() - table.mean()) < 5 * table.std() / math.sqrt(len(sigmas))
    assert all(abs(d[1] - 1000 * d[0]) < 1e-3 for d in draws[:100])
    dropped = np.mean([d[2] for d in draws])
    assert abs(dropped - 0.25) < 5 * math.sqrt(0.25 * 0.75 / len(draws))
    plain = FlowMatching(ObjectiveConfig(timesteps="logit_normal", shift=1.0), 0.0, seed=7)
    logit = np.array([plain.draw(sample_generator(7, 0, p))[0] for p in range(4000)])
    assert abs(logit.mean() - 0.5) < 0.02 and logit.std() < 0.25 < 1 / math.sqrt(12)


def test_dropped_captions_become_the_unconditional_text() -> None:
    objective = FlowMatching(ObjectiveConfig(), caption_dropout=1.0, seed=0)
    inputs, _ = objective.inputs(_batch(2), NULL, 0, range(2))
    assert torch.equal(inputs["encoder_hidden_states"], NULL[0].expand(2, 1, 5, 2))
    assert torch.equal(inputs["encoder_attention_mask"], NULL[1].expand(2, 5))


def test_configs_load_and_bad_ones_say_where(tmp_path: Path) -> None:
    tiny, full = load_config("tiny"), load_config("full")
    assert [s.frames for s in tiny.stages] == [9, 17]
    assert [s.frames for s in full.stages] == [81, 161, 481, 961]
    assert full.parallel.strategy == "fsdp" and full.preset == "full"
    scaled = tiny.with_total_steps(20)
    assert [s.steps for s in scaled.stages] == [12, 8]
    assert tiny.stages[0].accumulation(1) == 2 and tiny.stages[0].accumulation(2) == 1
    with pytest.raises(InputError, match="micro_batch"):
        tiny.stages[0].accumulation(3)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (Path(__file__).parents[1] / "reference_model/training/configs/tiny.yaml")
        .read_text()
        .replace("ema_decay:", "ema_decya:")
    )
    with pytest.raises(InputError, match="optim.ema_decya"):
        load_config(str(bad))
    bad.write_text(
        "preset: tiny\nstages:\n  - {name: a, frames: 8, resolution: [64, 32], "
        "steps: 1, lr: 1.0, batch: 1, micro_batch: 1}\n"
    )
    with pytest.raises(InputError, match="8k\\+1"):
        load_config(str(bad))
    with pytest.raises(InputError, match="YAML file"):
        load_config("nonexistent")


def test_learning_rate_warms_up_then_decays_to_its_floor() -> None:
    stage = load_config("tiny").stages[0]
    stage = dataclasses.replace(stage, steps=50, lr=1.0)
    optim = OptimConfig(warmup_steps=10, schedule="cosine", min_lr_ratio=0.1)
    rates = [learning_rate(stage, optim, step) for step in range(50)]
    assert rates[:10] == pytest.approx([(s + 1) / 10 for s in range(10)])
    assert rates[10] == pytest.approx(1.0) and rates[-1] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(rates[10:], rates[11:], strict=False))
    constant = dataclasses.replace(optim, schedule="constant")
    assert learning_rate(stage, constant, 40) == 1.0
