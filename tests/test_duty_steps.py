"""The roster steps the engine remembers (``duty.duty_steps``) are those of the scenario asked
about: a change to its groups, horizon or breaks is never answered from memory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import supportsim
from supportsim.engine import duty

ROOT = Path(__file__).resolve().parents[1]


def _same(a: tuple, b: tuple) -> bool:  # type: ignore[type-arg]
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])


def test_remembered_steps_follow_groups_horizon_and_breaks() -> None:
    scenario = supportsim.load_scenario(ROOT / "scenarios" / "helpdesk_baseline.yaml")
    tier1 = scenario.groups[0]
    assert tier1.shifts, "the baseline's first group works shifts"
    more = tier1.model_copy(update={"shifts": [s.model_copy(update={"count": s.count + 1}) for s in tier1.shifts]})
    variants = [
        scenario,
        scenario.model_copy(update={"groups": [more, *scenario.groups[1:]]}),
        scenario.model_copy(update={"horizon": scenario.horizon.model_copy(update={"start_weekday": "sat"})}),
        scenario.model_copy(update={"breaks": scenario.breaks.model_copy(update={"when_busy": "shorten"})}),
    ]
    fresh = [duty._duty_steps(v) for v in variants]
    for i, a in enumerate(fresh):  # each change changes the steps
        assert not any(_same(a, b) for b in fresh[i + 1 :])
    for _ in range(2):  # asked again, in turn: what is remembered is each one's own
        for variant, expected in zip(variants, fresh, strict=True):
            assert _same(duty.duty_steps(variant), expected)
    assert not duty.duty_steps(scenario)[1].flags.writeable  # shared: nobody may change it


def test_the_memory_holds_at_most_32_rosters() -> None:
    scenario = supportsim.load_scenario(ROOT / "scenarios" / "helpdesk_baseline.yaml")
    group = scenario.groups[1]
    for headcount in range(1, 41):  # forty rosters, each another
        changed = group.model_copy(update={"shifts": None, "headcount": headcount})
        duty.duty_steps(scenario.model_copy(update={"groups": [scenario.groups[0], changed, *scenario.groups[2:]]}))
        assert 1 <= len(duty._KNOWN_STEPS) <= 32
