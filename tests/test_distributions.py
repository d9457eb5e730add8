"""Distributions know their mean and variance; samples agree with them and are never negative."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter
from scipy import stats

from supportsim.scenario.distributions import Distribution

ALPHA = 0.001
adapter: TypeAdapter[Distribution] = TypeAdapter(Distribution)

CASES = [
    {"dist": "exponential", "mean": 6},
    {"dist": "lognormal", "mean": 6, "cv": 0.8},
    {"dist": "gamma", "mean": 6, "cv": 0.5},
    {"dist": "gamma", "mean": 2, "cv": 2.0},
    {"dist": "weibull", "mean": 6, "cv": 0.5},
    {"dist": "weibull", "mean": 6, "cv": 1.5},
    {"dist": "deterministic", "value": 3.5},
    {"dist": "uniform", "low": 2, "high": 10},
    {"dist": "empirical", "values": [1, 2, 2, 3, 10]},
]


@pytest.mark.parametrize("spec", CASES, ids=lambda s: f"{s['dist']}-{s.get('cv', '')}")
def test_samples_match_stated_mean_and_variance(spec: dict[str, object]) -> None:
    dist = adapter.validate_python(spec)
    n = 400_000
    x = dist.sample(np.random.default_rng(42), n)
    assert (x >= 0).all()
    if dist.variance == 0:
        assert (x == dist.mean).all()
        return
    z = stats.norm.ppf(1 - ALPHA / 2)
    assert abs(x.mean() - dist.mean) <= z * math.sqrt(dist.variance / n)
    # variance via batch estimates, robust to heavy tails
    batches = x.reshape(400, -1).var(axis=1, ddof=1)
    half = stats.t.ppf(1 - ALPHA / 2, 399) * batches.std(ddof=1) / math.sqrt(400)
    assert abs(batches.mean() - dist.variance) <= half


def test_mean_and_cv_are_what_the_file_says() -> None:
    for spec in CASES:
        dist = adapter.validate_python(spec)
        if "mean" in spec:
            assert dist.mean == pytest.approx(float(spec["mean"]))  # type: ignore[arg-type]
        if "cv" in spec:
            assert dist.cv == pytest.approx(float(spec["cv"]))  # type: ignore[arg-type]


def test_inverse_transform_is_monotone_so_common_random_numbers_align() -> None:
    u = np.linspace(0.001, 0.999, 500)
    for spec in CASES:
        y = adapter.validate_python(spec).ppf(u)
        assert (np.diff(y) >= 0).all()
