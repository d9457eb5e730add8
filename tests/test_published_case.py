"""A published multi-skill simulation reproduced: the Bilingual contact centre of the ContactCenters
library (Université de Montréal; repository umontreal-simul/contactcenters, doc/examples/Bilingual.java,
results doc/examples/Bilingual.res: 1000 simulated weeks, mean and 95% confidence interval).

The model is written natively in ``scenarios/published_bilingual.yaml`` (lines, retrial after
abandonment, ``group_choice: proportional_to_free``). Each figure must agree within 2%, and the
simulation's own 95% half-width must be smaller than that 2%, so that the check can tell.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from scipy import stats

import supportsim

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "published_bilingual.yaml"
REPLICATIONS = 450  # weeks; enough that the half-width of retrials and abandoned is below 2% of them
SEED = 2026
TOLERANCE = 0.02

# Bilingual.res: "all types" and per group; (mean, 95% half-width) per week
PUBLISHED = {
    ("channels", "phone", "offered"): (5110.161, 5.152),  # arrived contacts, retrials included
    ("channels", "phone", "customers"): (5110.161 - 107.168, 5.152),  # arrived minus retrials
    ("channels", "phone", "answered"): (4967.235, 4.289),
    ("groups", "english_only", "occupancy"): (0.47624, 0.00061),
    ("groups", "spanish_only", "occupancy"): (0.47639, 0.00060),
    ("groups", "bilingual", "occupancy"): (0.63254, 0.00057),
}
# Reproduced with `retrial.patience: same`: ContactCenters keeps a customer's first patience draw.
PUBLISHED_CALLBACKS = {
    ("channels", "phone", "abandoned"): (142.868, 1.659),
    ("channels", "phone", "retrials"): (107.168, 1.327),
}


@pytest.fixture(scope="module")
def result() -> supportsim.SimulationResult:
    scenario = supportsim.load_scenario(SCENARIO)
    return supportsim.simulate(scenario, seed=SEED, replications=REPLICATIONS, keep_tickets=False)


def _mean_and_half_width(result: supportsim.SimulationResult, key: tuple[str, str, str]) -> tuple[float, float]:
    """Mean over replications and its Student-t 95% half-width, computed here from the per-week values."""
    kind, name, metric = key
    values = [r[kind][name][metric] for r in result.per_replication]
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)


def _check(result: supportsim.SimulationResult, figures: dict) -> list[str]:
    misses = []
    for key, (published, _) in figures.items():
        mean, half_width = _mean_and_half_width(result, key)
        allowed = TOLERANCE * published
        assert half_width < allowed, f"{key}: half-width {half_width:.4g} not below 2% ({allowed:.4g})"
        if abs(mean - published) > allowed:
            misses.append(f"{key}: {mean:.5g} vs published {published:.5g} ({mean / published - 1:+.1%})")
    return misses


def test_arrivals_served_and_group_occupancy_are_reproduced(result) -> None:
    assert _check(result, PUBLISHED) == []


def test_abandoned_and_retrials_are_reproduced(result) -> None:
    assert _check(result, PUBLISHED_CALLBACKS) == []
