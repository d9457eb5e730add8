"""New contacts' attributes are drawn ahead in blocks per channel (``draws.TICKET_BLOCK``):
whatever the block size, every ticket gets the draws that drawing day by day gives it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import supportsim
from supportsim.engine import draws
from supportsim.engine.streams import Streams
from supportsim.scenario.profiles import first_interval

ROOT = Path(__file__).resolve().parents[1]


def _three_days() -> supportsim.Scenario:
    """The helpdesk baseline (four channels, a bot, escalations, follow-ups), three days."""
    scenario = supportsim.load_scenario(ROOT / "scenarios" / "helpdesk_baseline.yaml")
    return scenario.model_copy(update={"horizon": scenario.horizon.model_copy(update={"days": 3})})


def _attributes(scenario: supportsim.Scenario, seed: int) -> list[tuple[int, float, tuple[object, ...]]]:
    """Every new contact of the horizon, day by day: (channel, arrival second, its attributes)."""
    day_draws = draws.DayDraws(scenario, Streams(np.random.SeedSequence(seed)))
    seen = []
    horizon = scenario.horizon
    first_day = (first_interval(horizon) * horizon.interval_minutes * 60) // 86400  # the warm-up's
    for day in range(first_day, horizon.days):
        arrivals = day_draws.draw(day * 86400.0, (day + 1) * 86400.0)
        for k, at in enumerate(arrivals.times):
            rows, i = arrivals.rows[arrivals.block[k]], arrivals.index[k]
            fields = tuple(getattr(rows, name)[i] for name in draws.TicketDraws.__dataclass_fields__)
            seen.append((arrivals.channels[k], at, fields))
    return seen


@pytest.mark.parametrize("block", [1, 7, 100_000])
def test_each_contact_gets_the_same_draws_whatever_the_block(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    scenario = _three_days()
    default = _attributes(scenario, seed=5)
    monkeypatch.setattr(draws, "TICKET_BLOCK", block)
    assert _attributes(scenario, seed=5) == default
    per_channel = {c: sum(1 for channel, _, _ in default if channel == c) for c in range(len(scenario.channels))}
    assert min(per_channel.values()) > 7  # on every channel, blocks of 1 and of 7 run out


def test_a_channels_contacts_get_the_draws_of_one_call_in_arrival_order() -> None:
    scenario = _three_days()
    seen = _attributes(scenario, seed=9)
    for c, channel in enumerate(scenario.channels):
        mine = [fields for channel_index, _, fields in seen if channel_index == c]
        whole = draws.rows_of(draws.draw_tickets(scenario, channel, len(mine), Streams(np.random.SeedSequence(9))))
        expected = [tuple(getattr(whole, name)[i] for name in draws.TicketDraws.__dataclass_fields__)
                    for i in range(len(mine))]
        assert mine == expected


def test_a_simulation_is_the_same_with_blocks_of_one(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = _three_days()
    default = supportsim.simulate(scenario, seed=4)
    monkeypatch.setattr(draws, "TICKET_BLOCK", 1)
    one_by_one = supportsim.simulate(scenario, seed=4)
    pd.testing.assert_frame_equal(one_by_one.tickets, default.tickets)
    assert one_by_one.summary == default.summary
