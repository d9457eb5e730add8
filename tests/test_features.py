"""Each scenario feature does what the format says, checked on small cases.

Deterministic durations make several checks exact; the random ones use binomial or
Poisson confidence bounds at level 1 - ALPHA.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import supportsim
from supportsim.scenario.io import load_scenario, scenario_from_dict
from tests.conftest import exp

ALPHA = 0.001


def fixed(minutes: float) -> dict[str, Any]:
    return {"dist": "deterministic", "value": minutes}


def base(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "feature",
        "horizon": {"days": 3, "interval_minutes": 60},
        "channels": [
            {"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 20}, "target": {"answer_within_seconds": 20}}
        ],
        "categories": [{"name": "general", "channels": {"phone": 1.0}, "skill": "general", "handle_minutes": exp(5)}],
        "groups": [{"name": "agents", "skills": ["general"], "headcount": 5}],
    }
    data.update(overrides)
    return data


def binomial_ok(successes: int, trials: int, p: float) -> bool:
    return stats.binomtest(successes, trials, p).pvalue > ALPHA


def test_follow_ups_come_back_on_their_channel_after_the_delay() -> None:
    data = base(
        channels=[
            {"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 30}},
            {"name": "email", "mode": "async", "arrivals": {"per_hour": 0}, "target": {"respond_within_hours": 24}},
        ],
        categories=[
            {
                "name": "general",
                "channels": {"phone": 1.0, "email": 1.0},
                "skill": "general",
                "handle_minutes": exp(5),
                "follow_up": {"probability": 0.2, "delay_hours": fixed(2), "channel": "email"},
            }
        ],
        groups=[{"name": "agents", "skills": ["general"], "headcount": 8}],
    )
    result = supportsim.simulate(scenario_from_dict(data), seed=4)
    tickets = result.tickets.set_index("ticket_id")
    originals = tickets[(tickets["origin"] == "new") & (tickets["outcome"] == "resolved")]
    assert binomial_ok(int(originals["reopened"].sum()), len(originals), 0.2)
    follow_ups = tickets[tickets["origin"] == "follow_up"]
    assert (follow_ups["channel"] == "email").all()
    parents = tickets.loc[follow_ups["parent_id"]]
    assert parents["reopened"].all()
    back_after = (
        follow_ups["arrival_minute"].to_numpy() - (parents["arrival_minute"] + parents["resolution_minutes"]).to_numpy()
    )
    np.testing.assert_allclose(back_after, 120.0, atol=1e-6)
    assert result.metric("channels", "phone", "reopen_rate") == pytest.approx(originals["reopened"].mean(), rel=1e-12)


def test_every_follow_up_due_before_the_end_arrives_exactly_on_time() -> None:
    """Follow-ups due after the current day wait outside SimPy's queue until their day's draws
    (``engine/simulation.py::_day``): each one due before the horizon's end still arrives,
    exactly its delay after its parent was resolved, and time never goes back.
    """
    from supportsim.engine import run_replication
    from supportsim.engine.entities import RESOLVED

    scenario = load_scenario(Path(__file__).parent.parent / "scenarios" / "helpdesk_baseline.yaml")  # 24 h, 72 h
    output = run_replication(scenario, np.random.SeedSequence(3))
    rows = np.sort(output.kept.rows, order="id")
    due = rows["resolved_at"] + rows["follow_up_delay"]
    parents = rows[(rows["outcome"] == RESOLVED) & rows["will_follow_up"] & (due < output.end_seconds)]
    children = rows[(rows["parent"] >= 0) & (rows["attempt"] == 1)]  # first attempts: retrials keep the parent
    assert len(parents) > 100 and len(children) == len(parents)
    by_id = {int(i): k for k, i in enumerate(rows["id"])}
    for child in children:
        parent = rows[by_id[int(child["parent"])]]
        assert child["arrival"] == parent["resolved_at"] + parent["follow_up_delay"]
    assert (np.diff(rows["arrival"]) >= 0).all()  # tickets are made in time order (no carried-in queue here)


def test_overflow_group_takes_a_ticket_only_after_it_has_waited() -> None:
    data = base(
        channels=[{"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 40}}],
        groups=[
            {"name": "primary", "skills": ["general"], "headcount": 3},
            {"name": "backup", "skills": ["general"], "headcount": 3},
        ],
        routing={"skills": {"general": [{"group": "primary"}, {"group": "backup", "after_seconds": 60}]}},
    )
    tickets = supportsim.simulate(scenario_from_dict(data), seed=2).tickets
    by_backup = tickets[tickets["first_group"] == "backup"]
    assert len(by_backup) > 50
    assert (by_backup["wait_seconds"] >= 60 - 1e-9).all()
    # an idle backup agent takes the ticket the moment it has waited 60 s, not later
    assert by_backup["wait_seconds"].min() == pytest.approx(60.0, abs=1e-6)
    # and no ticket waits past 60 s while a backup agent is idle: at the moment it passes 60 s
    # and whenever a backup agent finishes before it is answered, all 3 are busy
    start = (by_backup["arrival_minute"] * 60 + by_backup["wait_seconds"]).to_numpy()  # no bot: queued on arrival
    end = start + by_backup["handle_minutes"].to_numpy() * 60

    def backup_busy(t: float) -> int:
        return int(((start <= t) & (t < end)).sum())

    late = tickets[tickets["answered"] & (tickets["wait_seconds"] > 60 + 1e-6)]
    assert len(late) > 20
    for arrival, wait in zip(late["arrival_minute"] * 60, late["wait_seconds"], strict=True):
        moments = [arrival + 60.0] + [e for e in end if arrival + 60.0 < e < arrival + wait]
        assert all(backup_busy(t + 1e-7) == 3 for t in moments), "a ticket waited while a backup agent was idle"


def test_realtime_work_goes_before_async_work_when_switched_on() -> None:
    def run(realtime_first: bool) -> supportsim.SimulationResult:
        data = base(
            channels=[
                {"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 30}},
                {"name": "email", "mode": "async", "arrivals": {"per_hour": 30}},
            ],
            categories=[
                {
                    "name": "general",
                    "channels": {"phone": 1.0, "email": 1.0},
                    "skill": "general",
                    "handle_minutes": exp(5),
                }
            ],
            groups=[{"name": "agents", "skills": ["general"], "headcount": 6}],
            routing={"realtime_first": realtime_first},
        )
        return supportsim.simulate(scenario_from_dict(data), seed=12)

    first, fifo = run(True), run(False)
    assert first.metric("channels", "phone", "asa_seconds") < 0.5 * fifo.metric("channels", "phone", "asa_seconds")
    assert first.metric("channels", "email", "asa_seconds") > fifo.metric("channels", "email", "asa_seconds")


def test_async_backlog_carries_over_the_night_and_nobody_abandons() -> None:
    data = base(
        horizon={"days": 5, "interval_minutes": 60},
        channels=[
            {
                "name": "email",
                "mode": "async",
                "arrivals": {"per_hour": 10},
                "target": {"respond_within_hours": 24, "service_level": 0.9},
            }
        ],
        categories=[{"name": "general", "channels": {"email": 1.0}, "skill": "general", "handle_minutes": exp(5)}],
        groups=[{"name": "agents", "skills": ["general"], "shifts": [{"start": "09:00", "hours": 8, "count": 3}]}],
    )
    result = supportsim.simulate(scenario_from_dict(data), seed=3)
    intervals = result.intervals
    email = intervals[(intervals["scope"] == "channel")].set_index("interval")
    assert email.loc[[32, 56, 80], "mean_waiting"].min() > 100  # backlog at 08:00 on days 2-4
    assert email.loc[[16 + 24 * d for d in range(4)], "mean_waiting"].max() < 5  # cleared by 16:00
    assert result.metric("channels", "email", "abandoned") == 0
    assert result.metric("channels", "email", "service_level") > 0.9


def test_arrival_rates_can_come_from_a_csv_next_to_the_scenario(tmp_path: Path) -> None:
    rates = [0] * 8 + [40] * 10 + [0] * 6
    (tmp_path / "rates.csv").write_text("per_hour\n" + "\n".join(map(str, rates)) + "\n")
    data = base()
    data["channels"][0]["arrivals"] = {"csv": "rates.csv"}
    import yaml

    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    scenario = load_scenario(tmp_path / "s.yaml")
    assert scenario.channels[0].arrivals.rates_per_hour == rates
    tickets = supportsim.simulate(scenario, seed=1).tickets
    hours = (tickets["arrival_minute"] // 60 % 24).astype(int)
    assert set(hours) <= set(range(8, 18))
    expected = 40 * 10 * 3
    assert abs(len(tickets) - expected) < 3.3 * math.sqrt(expected)


def test_proficiency_multiplies_handle_time() -> None:
    data = base(
        categories=[{"name": "general", "channels": {"phone": 1.0}, "skill": "general", "handle_minutes": fixed(4)}],
        groups=[{"name": "agents", "skills": ["general"], "proficiency": {"general": 1.5}, "headcount": 5}],
    )
    tickets = supportsim.simulate(scenario_from_dict(data), seed=1).tickets
    np.testing.assert_allclose(tickets.loc[tickets["outcome"] == "resolved", "handle_minutes"], 6.0)


def test_resolution_time_adds_bot_handle_handoff_and_tier_two_time() -> None:
    data = base(
        categories=[
            {
                "name": "general",
                "channels": {"phone": 1.0},
                "skill": "general",
                "handle_minutes": fixed(4),
                "escalation": [
                    {"skill": "t2", "probability": 1.0, "handle_minutes": fixed(10), "handoff_minutes": fixed(30)}
                ],
            }
        ],
        automation=[
            {
                "name": "ivr",
                "channels": ["phone"],
                "resolves": {"general": 0.0},
                "bot_minutes": fixed(1),
                "handoff": {"extra_handle_minutes": 0.5},
            }
        ],
        groups=[
            {"name": "t1", "skills": ["general"], "headcount": 30},
            {"name": "t2", "skills": ["t2"], "headcount": 30},
        ],
    )
    tickets = supportsim.simulate(scenario_from_dict(data), seed=1).tickets
    resolved = tickets[tickets["outcome"] == "resolved"]
    assert len(resolved) > 100
    assert (resolved["total_wait_seconds"] == 0).all()  # 30 agents for 20 calls an hour never queue
    np.testing.assert_allclose(resolved["resolution_minutes"], 1 + 4 + 0.5 + 30 + 10)
    np.testing.assert_allclose(resolved["first_response_minutes"], 1.0)
    assert (resolved["escalations"] == 1).all()


def chat_scenario(per_hour: float, agents: int) -> dict[str, Any]:
    """Chats of exactly 10 minutes; an agent holds two, the second 50% slower."""
    return base(
        channels=[{"name": "chat", "mode": "realtime", "arrivals": {"per_hour": per_hour},
                   "concurrency": {"max": 2, "slowdown": 0.5}}],
        categories=[{"name": "general", "channels": {"chat": 1.0}, "skill": "general", "handle_minutes": fixed(10)}],
        groups=[{"name": "agents", "skills": ["general"], "headcount": agents}],
    )


def test_chat_slowdown_stretches_a_conversation_started_beside_another() -> None:
    # busy: most conversations start beside another and take 1 + 0.5 x 1 times 10 minutes
    handle = supportsim.simulate(scenario_from_dict(chat_scenario(22, 2)), seed=4).tickets["handle_minutes"]
    handle = handle[handle > 0]
    assert set(np.round(handle, 9)) == {10.0, 15.0}
    assert (handle == 15.0).mean() > 0.5


def test_a_chat_goes_to_an_idle_agent_before_one_already_chatting() -> None:
    # quiet: 4 agents, 1 erlang of chats. Idle agents first, so a chat starts beside another
    # only when all 4 agents are busy, which is rare (about 2%); filling agents first would
    # slow most chats down.
    handle = supportsim.simulate(scenario_from_dict(chat_scenario(6, 4)), seed=5).tickets["handle_minutes"]
    handle = handle[handle > 0]
    assert len(handle) > 300
    assert (handle == 15.0).mean() < 0.1


def test_bot_resolves_some_loses_some_and_hands_over_the_rest() -> None:
    # the hand-off priority is checked against Cobham's formula in test_theory.py
    data = base(
        channels=[{"name": "chat", "mode": "realtime", "arrivals": {"per_hour": 60}, "patience_seconds": exp(600)}],
        categories=[{"name": "general", "channels": {"chat": 1.0}, "skill": "general", "handle_minutes": exp(5)}],
        automation=[
            {
                "name": "bot",
                "channels": ["chat"],
                "resolves": {"general": 0.3},
                "abandon": 0.2,
                "bot_minutes": exp(2),
                "cost_per_conversation": 0.5,
            }
        ],
        groups=[{"name": "agents", "skills": ["general"], "headcount": 6}],
    )
    result = supportsim.simulate(scenario_from_dict(data), seed=6)
    t = result.tickets
    n = len(t)
    assert binomial_ok(int((t["outcome"] == "deflected").sum()), n, 0.3)
    assert binomial_ok(int((t["outcome"] == "bot_abandoned").sum()), n, 0.7 * 0.2)
    assert result.metric("overall", "", "bot_cost") == pytest.approx(0.5 * n)
    assert not t.loc[t["outcome"].isin(["deflected", "bot_abandoned"]), "queued"].any()


def test_daily_volume_uncertainty_spreads_daily_counts_beyond_poisson() -> None:
    data = base(horizon={"days": 40, "interval_minutes": 60})
    data["channels"][0]["arrivals"] = {"per_hour": 40, "daily_cv": 0.3}
    data["groups"][0]["headcount"] = 10
    tickets = supportsim.simulate(scenario_from_dict(data), seed=2, keep_tickets=True).tickets
    daily = np.bincount((tickets["arrival_minute"] // 1440).astype(int))
    mean = daily.mean()
    # a gamma(cv=0.3) multiplier gives variance mean + (0.3 mean)^2; Poisson alone gives mean
    dispersion = daily.var(ddof=1) / mean
    assert dispersion > stats.chi2.ppf(1 - ALPHA, len(daily) - 1) / (len(daily) - 1)
    # and the spread is the one asked for: (n-1) s^2 / sigma^2 with sigma^2 = m + (0.3 m)^2
    # inside its chi-square interval (gamma days are near enough normal at cv 0.3)
    n = len(daily)
    expected = 40 * 24  # contacts a day
    statistic = (n - 1) * daily.var(ddof=1) / (expected + (0.3 * expected) ** 2)
    assert stats.chi2.ppf(ALPHA / 2, n - 1) < statistic < stats.chi2.ppf(1 - ALPHA / 2, n - 1)


def test_headcount_per_interval_follows_the_table() -> None:
    table = [0] * 7 + [4] * 11 + [0] * 6
    data = base(groups=[{"name": "agents", "skills": ["general"], "headcount_per_interval": table}])
    result = supportsim.simulate(scenario_from_dict(data), seed=1)
    staffed = result.intervals.query("scope == 'group'")["headcount"].to_numpy()
    np.testing.assert_allclose(staffed, table * 3)


def test_same_seed_gives_same_arrivals_when_only_staffing_changes() -> None:
    """Common random numbers: arrivals, categories and handle times line up across scenarios."""
    one = supportsim.simulate(scenario_from_dict(base()), seed=9).tickets
    data = base()
    data["groups"][0]["headcount"] = 9
    two = supportsim.simulate(scenario_from_dict(data), seed=9).tickets
    np.testing.assert_array_equal(one["arrival_minute"], two["arrival_minute"])
    done = (one["outcome"] == "resolved") & (two["outcome"] == "resolved")
    np.testing.assert_allclose(one.loc[done, "handle_minutes"], two.loc[done, "handle_minutes"])
    assert two["wait_seconds"].mean() <= one["wait_seconds"].mean()


def test_a_trace_replays_observed_arrivals_and_categories() -> None:
    from supportsim.engine import ArrivalTrace

    data = base(
        categories=[
            {"name": "a", "channels": {"phone": 0.5}, "skill": "general", "handle_minutes": fixed(2)},
            {"name": "b", "channels": {"phone": 0.5}, "skill": "general", "handle_minutes": fixed(7)},
        ]
    )
    minutes = np.array([10.0, 10.5, 600.0, 3000.0, 4000.0])
    trace = ArrivalTrace(
        channel=np.array(["phone"] * 5), arrival_minute=minutes, category=np.array(["a", "b", "b", "a", "b"])
    )
    result = supportsim.simulate(scenario_from_dict(data), seed=1, trace=trace, keep_tickets=False)
    assert result.tickets.empty
    assert result.metric("channels", "phone", "offered") == 5
    tickets = supportsim.simulate(scenario_from_dict(data), seed=1, trace=trace).tickets
    np.testing.assert_allclose(tickets["arrival_minute"], minutes)
    assert list(tickets["category"]) == ["a", "b", "b", "a", "b"]
    np.testing.assert_allclose(tickets["handle_minutes"], [2, 7, 7, 2, 7])


def test_vip_status_is_independent_of_the_follow_up_delay() -> None:
    data = base(
        channels=[{"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 60}, "vip_share": 0.3}],
        categories=[
            {
                "name": "general",
                "channels": {"phone": 1.0},
                "skill": "general",
                "handle_minutes": exp(2),
                "follow_up": {
                    "probability": 0.5,
                    "delay_hours": {"dist": "uniform", "low": 0, "high": 10},
                    "channel": "phone",
                },
            }
        ],
        groups=[{"name": "agents", "skills": ["general"], "headcount": 10}],
    )
    t = supportsim.simulate(scenario_from_dict(data), seed=8).tickets.set_index("ticket_id")
    follow_ups = t[t["origin"] == "follow_up"]
    parents = t.loc[follow_ups["parent_id"]]
    # parents resolved before the last 10 hours: none of their follow-ups can fall past the end
    early = ((parents["arrival_minute"] + parents["resolution_minutes"]) < 2 * 1440).to_numpy()
    follow_ups, parents = follow_ups[early], parents[early]
    delay = (
        follow_ups["arrival_minute"].to_numpy() - (parents["arrival_minute"] + parents["resolution_minutes"]).to_numpy()
    )
    vip = parents["vip"].to_numpy()
    assert stats.ks_2samp(delay[vip], delay[~vip]).pvalue > ALPHA
