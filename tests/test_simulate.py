"""The public API end to end: determinism, conservation of tickets, result shapes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import supportsim
from supportsim.scenario.model import Scenario
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
        + overall["blocked"]
        + overall["disconnected"]
    )
    assert overall["offered"] == overall["customers"] + overall["retrials"]
    outcomes = result.tickets["outcome"].value_counts()
    assert outcomes.sum() == len(result.tickets) == overall["offered"]
    # open tickets are exactly those without a final time
    open_tickets = result.tickets[result.tickets["outcome"] == "open"]
    assert open_tickets["resolution_minutes"].isna().all()


def test_result_frames_are_tidy(single_queue: Scenario) -> None:
    result = supportsim.simulate(_short(single_queue), seed=5, replications=2)
    assert set(result.tickets["replication"]) == {0, 1}
    assert set(result.intervals["scope"]) == {"channel", "category", "overall", "skill", "group"}
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
        overall[k] for k in ("resolved", "abandoned", "deflected", "bot_abandoned", "open_at_end", "blocked",
                             "disconnected")
    )
    groups = result.intervals[result.intervals["scope"] == "group"]
    for column in ("occupancy", "paid_utilization", "engaged_share"):
        assert ((groups[column].dropna() >= 0) & (groups[column].dropna() <= 1 + 1e-9)).all(), column
    assert groups["occupancy"].equals(groups["utilization"])  # the deprecated alias
    if patience is None:
        assert overall["abandoned"] == 0
    assert math.isfinite(overall["offered"])


def _thresholds(scenario: Scenario) -> dict[str, float]:
    """Each channel's target threshold in seconds (NaN without a target)."""
    return {c.name: c.target_seconds for c in scenario.channels}


def _two_days(name: str) -> Scenario:
    from supportsim.scenario.io import load_scenario
    from tests.conftest import SCENARIOS

    scenario = load_scenario(SCENARIOS / name)
    return scenario.model_copy(update={"horizon": scenario.horizon.model_copy(update={"days": 2})})


def test_streaming_metrics_equal_the_ticket_table_computation() -> None:
    """The engine's streaming statistics and an independent vectorised computation from the
    per-ticket table give the same metrics, channel by channel (README definitions)."""
    from tests.reference_metrics import from_ticket_table

    for name in ("single_queue.yaml", "helpdesk_chatbot.yaml"):
        scenario = _two_days(name)
        result = supportsim.simulate(scenario, seed=13)
        thresholds = _thresholds(scenario)
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


COUNTS = ["offered", "queued", "answered", "abandoned", "deflected", "bot_abandoned", "resolved", "open_at_end"]


def test_interval_counts_add_up_across_scopes_and_to_the_horizon() -> None:
    """Per interval, the category rows and the channel rows each sum to the overall row; over
    the intervals, each scope's rows sum to its whole-horizon totals; and every ticket that
    arrived in an interval is accounted for there."""
    scenario = _two_days("helpdesk_chatbot.yaml")
    result = supportsim.simulate(scenario, seed=21, replications=2, keep_tickets=False)
    n = scenario.horizon.intervals
    for r, metrics in enumerate(result.per_replication):
        rows = result.intervals[result.intervals["replication"] == r]
        by_scope = {
            scope: rows[rows["scope"] == scope].groupby("interval")[COUNTS].sum()
            for scope in ("channel", "category", "overall")
        }
        assert (by_scope["overall"]["offered"] > 0).sum() > n / 2
        for scope in ("channel", "category"):
            assert len(by_scope[scope]) == n
            np.testing.assert_array_equal(by_scope[scope].to_numpy(), by_scope["overall"].to_numpy())
        overall = by_scope["overall"]
        np.testing.assert_array_equal(
            overall["offered"],
            overall[["resolved", "abandoned", "deflected", "bot_abandoned", "open_at_end"]].sum(axis=1)
            + rows[rows["scope"] == "overall"].groupby("interval")[["blocked", "disconnected"]].sum().sum(axis=1),
        )
        for scope, key in (("channel", "channels"), ("category", "categories"), ("overall", "overall")):
            totals = rows[rows["scope"] == scope].groupby("name")[COUNTS].sum()
            for name, horizon in metrics[key].items():
                for column in COUNTS:
                    assert totals.loc[name, column] == horizon[column], (scope, name, column)
        # equal-length intervals: the time averages per interval average to the horizon's
        assert rows.loc[rows["scope"] == "overall", "mean_waiting"].mean() == pytest.approx(
            metrics["overall"]["all"]["mean_waiting"], rel=1e-9
        )
        for channel in scenario.channels:
            waiting = rows.loc[(rows["scope"] == "channel") & (rows["name"] == channel.name), "mean_waiting"]
            assert waiting.mean() == pytest.approx(metrics["channels"][channel.name]["mean_waiting"], rel=1e-9)


def test_interval_metrics_equal_the_ticket_table_computation() -> None:
    """Every ticket metric of the channel, category and overall interval rows equals the same
    metric computed from the per-ticket table, interval by interval (tickets count in the
    interval they arrived in)."""
    from tests.reference_metrics import per_interval

    for name in ("single_queue.yaml", "helpdesk_chatbot.yaml"):
        scenario = _two_days(name)
        result = supportsim.simulate(scenario, seed=17, keep_tickets=True)
        thresholds = _thresholds(scenario)
        end = scenario.horizon.days * 1440
        n = scenario.horizon.intervals
        tickets, intervals = result.tickets, result.intervals
        realtime = [c.name for c in scenario.channels if c.mode == "realtime"]
        background = [c.name for c in scenario.channels if c.mode == "async"]
        selections = [("channel", c.name, tickets["channel"] == c.name) for c in scenario.channels]
        selections += [("category", k.name, tickets["category"] == k.name) for k in scenario.categories]
        selections.append(("overall", "all", np.ones(len(tickets), dtype=bool)))
        checked = 0
        for scope, key, mask in selections:
            reference = per_interval(tickets[mask], thresholds, end, n)
            engine = intervals[(intervals["scope"] == scope) & (intervals["name"] == key)].set_index("interval")
            assert list(engine.index) == list(range(n))
            if scope == "overall":
                for pooled, channels, column in (
                    ("service_level_realtime", realtime, "service_level"),
                    ("asa_seconds_realtime", realtime, "asa_seconds"),
                    ("service_level_async", background, "service_level"),
                ):
                    sub = per_interval(tickets[tickets["channel"].isin(channels)], thresholds, end, n)
                    reference[pooled] = sub[column]
            for column in reference.columns:
                np.testing.assert_allclose(
                    engine[column].to_numpy(dtype=float),
                    reference[column].to_numpy(dtype=float),
                    rtol=1e-5,
                    atol=1e-9,
                    equal_nan=True,
                    err_msg=f"{name}: {scope} {key} {column}",
                )
                checked += int(np.isfinite(reference[column].to_numpy(dtype=float)).sum())
        assert checked > 1000, checked


def test_keeping_no_ticket_rows_changes_no_metric() -> None:
    from supportsim.scenario.io import load_scenario
    from tests.conftest import SCENARIOS

    scenario = load_scenario(SCENARIOS / "helpdesk_baseline.yaml")
    with_rows = supportsim.simulate(scenario, seed=3)
    without = supportsim.simulate(scenario, seed=3, keep_tickets=False)
    assert without.tickets.empty
    assert with_rows.summary == without.summary
    pd.testing.assert_frame_equal(with_rows.intervals, without.intervals)


RETRIALS_AND_LINES = {
    "name": "callbacks and lines",
    "horizon": {"days": 1, "interval_minutes": 30},
    "channels": [{"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 120},
                  "patience_seconds": {"dist": "exponential", "mean": 90},
                  "target": {"answer_within_seconds": 30}, "lines": 12,
                  "retrial": {"probability": 0.6, "delay_minutes": {"dist": "exponential", "mean": 10},
                              "blocked_probability": 0.5}}],
    "categories": [{"name": "q", "channels": {"phone": 1.0}, "skill": "s",
                    "handle_minutes": {"dist": "exponential", "mean": 5}}],
    "groups": [{"name": "desk", "skills": ["s"], "headcount": 9}],
}


def test_customer_counters_equal_the_ticket_table_computation() -> None:
    """Attempts, customers, retrials and blocking from the streaming counters equal their
    count in the ticket table (``customer_id``, ``attempt``); customers who finally gave up
    are those whose last attempt in the table was abandoned or blocked, less the few whose
    next attempt was due after the horizon."""
    result = supportsim.simulate(supportsim.scenario_from_dict(RETRIALS_AND_LINES), seed=4)
    m = result.per_replication[0]["channels"]["phone"]
    t = result.tickets
    assert m["customers"] == (t["attempt"] == 1).sum() == t["customer_id"].nunique()
    assert m["retrials"] == (t["attempt"] > 1).sum() > 50
    assert m["blocked"] == (t["outcome"] == "blocked").sum() > 20
    assert m["blocked_rate"] == pytest.approx((t["outcome"] == "blocked").mean())
    assert (t.loc[t["attempt"] == 1, "customer_id"] == t.loc[t["attempt"] == 1, "ticket_id"]).all()
    last = t.sort_values("attempt").groupby("customer_id").tail(1)
    gave_up_in_table = last["outcome"].isin(["abandoned", "blocked"]).sum()
    gave_up = m["customer_abandon_rate"] * m["customers"]
    late = (last["outcome"].isin(["abandoned", "blocked"]) & (last["arrival_minute"] > 1440 - 120)).sum()
    assert gave_up_in_table - late <= round(gave_up) <= gave_up_in_table
