"""The public API end to end: determinism, conservation of tickets, result shapes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supportsim
from supportsim.scenario import Scenario
from tests.conftest import mmc


def _short(scenario: Scenario, days: int = 2) -> Scenario:
    return scenario.model_copy(update={"horizon": scenario.horizon.model_copy(update={"days": days})})


def test_same_seed_gives_identical_results(single_queue: Scenario) -> None:
    scenario = _short(single_queue)
    a = supportsim.simulate(scenario, seed=7, replications=2)
    b = supportsim.simulate(scenario, seed=7, replications=2)
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.tickets, b.tickets)
    pd.testing.assert_frame_equal(a.intervals, b.intervals)


def test_worker_processes_do_not_change_results(single_queue: Scenario) -> None:
    scenario = _short(single_queue, days=1)
    one = supportsim.simulate(scenario, seed=3, replications=3, workers=1)
    two = supportsim.simulate(scenario, seed=3, replications=3, workers=2)
    assert one.summary == two.summary
    pd.testing.assert_frame_equal(one.tickets, two.tickets)


def test_different_seeds_give_different_tickets(single_queue: Scenario) -> None:
    scenario = _short(single_queue)
    a = supportsim.simulate(scenario, seed=1).tickets
    b = supportsim.simulate(scenario, seed=2).tickets
    assert not np.array_equal(a["arrival_minute"].to_numpy()[:100], b["arrival_minute"].to_numpy()[:100])


def test_every_ticket_is_accounted_for(single_queue: Scenario) -> None:
    result = supportsim.simulate(_short(single_queue, days=3), seed=11)
    overall = result.per_replication[0]["overall"]["all"]
    assert (
        overall["offered"]
        == overall["resolved"]
        + overall["abandoned"]
        + overall["deflected"]
        + overall["bot_abandoned"]
        + overall["open_at_end"]
    )
    outcomes = result.tickets["outcome"].value_counts()
    assert outcomes.sum() == len(result.tickets) == overall["offered"]
    # open tickets are exactly those without a final time
    open_tickets = result.tickets[result.tickets["outcome"] == "open"]
    assert open_tickets["resolution_minutes"].isna().all()


def test_result_frames_are_tidy(single_queue: Scenario) -> None:
    result = supportsim.simulate(_short(single_queue), seed=5, replications=2)
    assert set(result.tickets["replication"]) == {0, 1}
    assert set(result.intervals["scope"]) == {"channel", "skill", "group"}
    per_replication = result.intervals.groupby(["replication", "scope", "name"]).size()
    assert (per_replication == single_queue.horizon.intervals_per_day * 2).all()
    assert set(result.groups["group"]) == {"tier1", "tier2"}
    phone = result.summary["channels"]["phone"]
    assert set(phone["service_level"]) == {"mean", "ci95"}
    assert phone["service_level"]["ci95"] is not None


def test_one_replication_has_no_confidence_interval(single_queue: Scenario) -> None:
    result = supportsim.simulate(_short(single_queue, days=1), seed=5)
    assert result.summary["overall"]["resolved"]["ci95"] is None


def test_unstable_scenario_runs_to_the_end_with_a_warning() -> None:
    # 3 agents, offered load 6 erlangs: the queue grows without bound
    scenario = mmc(per_hour=60, handle_minutes=6, agents=3, days=2)
    result = supportsim.simulate(scenario, seed=1)
    assert result.warnings and "unstable" in result.warnings[0]
    assert result.tickets["arrival_minute"].max() > 47 * 60


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    per_hour=st.floats(5, 120),
    handle=st.floats(1, 12),
    agents=st.integers(1, 15),
    patience=st.one_of(st.none(), st.floats(10, 600)),
    seed=st.integers(0, 2**32 - 1),
)
def test_waits_are_never_negative_and_tickets_are_conserved(
    per_hour: float, handle: float, agents: int, patience: float | None, seed: int
) -> None:
    scenario = mmc(
        per_hour=per_hour, handle_minutes=handle, agents=agents, days=1, warmup_hours=0, patience_seconds=patience
    )
    result = supportsim.simulate(scenario, seed=seed)
    tickets = result.tickets
    assert (tickets["wait_seconds"].dropna() >= 0).all()
    assert (tickets["total_wait_seconds"] >= 0).all()
    assert (
        tickets["resolution_minutes"].dropna()
        >= tickets["handle_minutes"][tickets["resolution_minutes"].notna()] - 1e-9
    ).all()
    overall = result.per_replication[0]["overall"]["all"]
    assert overall["offered"] == sum(
        overall[k] for k in ("resolved", "abandoned", "deflected", "bot_abandoned", "open_at_end")
    )
    groups = result.intervals[result.intervals["scope"] == "group"]
    assert ((groups["utilization"].dropna() >= 0) & (groups["utilization"].dropna() <= 1 + 1e-9)).all()
    if patience is None:
        assert overall["abandoned"] == 0
    assert math.isfinite(overall["offered"])


def test_streaming_metrics_equal_the_ticket_table_computation() -> None:
    """The engine's streaming statistics and an independent vectorised computation from the
    per-ticket table give the same metrics, channel by channel (README definitions)."""
    from supportsim.loader import load_scenario
    from tests.conftest import SCENARIOS
    from tests.reference_metrics import from_ticket_table

    for name in ("single_queue.yaml", "helpdesk_chatbot.yaml"):
        scenario = load_scenario(SCENARIOS / name)
        scenario = scenario.model_copy(update={"horizon": scenario.horizon.model_copy(update={"days": 2})})
        result = supportsim.simulate(scenario, seed=13)
        thresholds = {
            c.name: (c.target.answer_within_seconds or (c.target.respond_within_hours or 0) * 3600)
            if c.target
            else math.nan
            for c in scenario.channels
        }
        end = scenario.horizon.days * 1440
        for channel in scenario.channels:
            tickets = result.tickets[result.tickets["channel"] == channel.name]
            reference = from_ticket_table(tickets, thresholds, end)
            engine = result.per_replication[0]["channels"][channel.name]
            for metric, value in reference.items():
                assert engine[metric] == pytest.approx(value, rel=1e-5, abs=1e-9, nan_ok=True), (
                    name,
                    channel.name,
                    metric,
                )


def test_keeping_no_ticket_rows_changes_no_metric() -> None:
    from supportsim.loader import load_scenario
    from tests.conftest import SCENARIOS

    scenario = load_scenario(SCENARIOS / "helpdesk_baseline.yaml")
    with_rows = supportsim.simulate(scenario, seed=3)
    without = supportsim.simulate(scenario, seed=3, keep_tickets=False)
    assert without.tickets.empty
    assert with_rows.summary == without.summary
    pd.testing.assert_frame_equal(with_rows.intervals, without.intervals)
