"""Bootstrap intervals against the closed form, the loop twin, and paired differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wmbench.report.uncertainty import (
    bootstrap_interval,
    naive_bootstrap_interval,
    paired_difference,
)

CASES = 80  # scenes per split in SANA-WM-Bench
SEEDS = 1000


def test_vectorised_matches_the_loop_twin() -> None:
    values = np.random.default_rng(3).normal(5.0, 2.0, size=37)
    fast = bootstrap_interval(values, resamples=300, seed=11)
    plain = naive_bootstrap_interval(values, resamples=300, seed=11)
    assert fast.low == pytest.approx(plain.low, rel=1e-12)
    assert fast.high == pytest.approx(plain.high, rel=1e-12)
    assert fast.error == pytest.approx(plain.error, rel=1e-12)


def test_coverage_and_width_match_the_closed_form_on_normal_data() -> None:
    """Over 1000 seeds of 80 normal cases, the 95 % bootstrap interval holds the true mean
    95 % +- 3 % of the time, as the closed-form interval mean +- 1.96 s / sqrt(n) does, and
    its width agrees with the closed form's on average within 3 %."""
    rng = np.random.default_rng(2024)
    samples = rng.normal(10.0, 3.0, size=(SEEDS, CASES))
    boot_hits = closed_hits = 0
    ratios = []
    for seed, sample in enumerate(samples):
        interval = bootstrap_interval(sample, resamples=1000, seed=seed)
        half = 1.959964 * sample.std(ddof=1) / math.sqrt(CASES)
        boot_hits += interval.low <= 10.0 <= interval.high
        closed_hits += sample.mean() - half <= 10.0 <= sample.mean() + half
        ratios.append((interval.high - interval.low) / (2 * half))
    assert abs(boot_hits / SEEDS - 0.95) <= 0.03
    assert abs(boot_hits - closed_hits) / SEEDS <= 0.03
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.03)


def test_interval_is_seeded_and_recorded() -> None:
    values = np.arange(20.0)
    first, again = bootstrap_interval(values, seed=5), bootstrap_interval(values, seed=5)
    assert (first.low, first.high) == (again.low, again.high)
    assert first.seed == 5 and first.resamples == 2000 and first.level == 0.95
    assert bootstrap_interval(values, seed=6).low != first.low


def test_fewer_than_two_cases_give_no_interval() -> None:
    one = bootstrap_interval([3.0, float("nan")])
    assert one.mean == 3.0 and one.count == 1 and not one.defined


def test_paired_difference_recovers_a_known_offset() -> None:
    """Two runs on the same 60 cases, NEW = BASE + 0.5 + small noise: the paired interval
    holds 0.5 and is narrow although the cases spread widely; unpaired it would not resolve."""
    rng = np.random.default_rng(7)
    cases = [f"simple_60s/scene_{i:03d}" for i in range(60)]
    base_values = rng.normal(8.0, 4.0, size=60)
    new_values = base_values + 0.5 + rng.normal(0.0, 0.1, size=60)
    base = dict(zip(cases, base_values, strict=True))
    new = dict(zip(cases, new_values, strict=True))
    new["extra_case"] = 100.0  # only NEW ran it: not paired
    base[cases[0]] = float("nan")  # BASE failed it: dropped
    difference = paired_difference(base, new)
    assert difference.count == 59
    assert difference.low <= 0.5 <= difference.high
    assert difference.high - difference.low < 0.1
    assert difference.excludes_zero()
    unpaired = bootstrap_interval(new_values)
    assert unpaired.high - unpaired.low > 1.0
