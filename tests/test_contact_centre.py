"""Real contact-centre behaviour (issue 15): lines, retrials, group choice, priority credit,
warm start, disconnection at close, breaks taken late, overtime and chat assignment.

Queueing cases are checked against exact formulas or a Markov chain computed here, with
Student-t intervals across replications at level 1 - ALPHA; the rules are checked on
deterministic traces where the right answer can be worked out by hand.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import supportsim
from supportsim.engine import ArrivalTrace, run_replication
from supportsim.scenario.io import scenario_from_dict
from tests.conftest import exp

ALPHA = 0.001


def fixed(minutes: float) -> dict[str, Any]:
    return {"dist": "deterministic", "value": minutes}


def one_queue(agents: int, per_hour: float, handle: dict[str, Any], days: int = 5, **channel: Any) -> dict[str, Any]:
    return {
        "name": "contact centre",
        "horizon": {"days": days, "interval_minutes": 60, "warmup_hours": 12},
        "channels": [{"name": "phone", "mode": "realtime", "arrivals": {"per_hour": per_hour}, **channel}],
        "categories": [{"name": "general", "channels": {"phone": 1.0}, "skill": "general", "handle_minutes": handle}],
        "groups": [{"name": "agents", "skills": ["general"], "headcount": agents}],
    }


def measured(tickets: pd.DataFrame) -> pd.DataFrame:
    return tickets[tickets["arrival_minute"] >= 0]


def covers(samples: np.ndarray, exact: float) -> bool:
    """``exact`` lies in the t-interval of the replications' mean at level 1 - ALPHA."""
    n = len(samples)
    half = stats.t.ppf(1 - ALPHA / 2, n - 1) * samples.std(ddof=1) / math.sqrt(n)
    return abs(samples.mean() - exact) <= half


def per_replication(tickets: pd.DataFrame, share: pd.Series) -> np.ndarray:
    return share.groupby(tickets["replication"]).mean().to_numpy()


# --- retrials -----------------------------------------------------------------------


def test_every_attempt_of_a_customer_is_accounted_for() -> None:
    retrial = {"probability": 0.7, "delay_minutes": exp(5), "blocked_probability": 0.5}
    data = one_queue(2, 40, exp(4), days=2, patience_seconds=exp(60), retrial=retrial, lines=4)
    data["horizon"]["warmup_hours"] = 0  # the table holds the measured window: every attempt
    tickets = supportsim.simulate(scenario_from_dict(data), seed=7).tickets
    assert (tickets["attempt"] > 1).any() and (tickets["outcome"] == "blocked").any()
    for _, attempts in tickets.sort_values("attempt").groupby("customer_id"):
        assert list(attempts["attempt"]) == list(range(1, len(attempts) + 1))
        assert attempts["outcome"].iloc[:-1].isin(["abandoned", "blocked"]).all()
        assert (np.diff(attempts["arrival_minute"].to_numpy()) > 0).all()
    first = tickets[tickets["attempt"] == 1]
    assert (first["customer_id"] == first["ticket_id"]).all()


# --- group choice -----------------------------------------------------------------------


def two_groups(choice: str, first: int, second: int) -> dict[str, Any]:
    data = one_queue(1, 3, fixed(0.01), days=20)
    data["groups"] = [
        {"name": "a", "skills": ["general"], "headcount": first},
        {"name": "b", "skills": ["general"], "headcount": second},
    ]
    data["routing"] = {"group_choice": choice}
    return data


@pytest.mark.parametrize("choice", ["proportional_to_free", "random_free"])
def test_a_group_with_one_free_agent_against_three_gets_a_quarter(choice: str) -> None:
    tickets = supportsim.simulate(scenario_from_dict(two_groups(choice, 1, 3)), seed=8).tickets
    to_a = int((tickets["first_group"] == "a").sum())
    assert len(tickets) > 1000
    assert stats.binomtest(to_a, len(tickets), 0.25).pvalue > ALPHA


def test_preference_always_takes_the_first_group_with_a_free_agent() -> None:
    tickets = supportsim.simulate(scenario_from_dict(two_groups("preference", 1, 3)), seed=8).tickets
    assert (tickets["first_group"] == "a").mean() > 0.99


def trace_of(minutes: list[float], categories: list[str], channels: list[str] | None = None) -> ArrivalTrace:
    return ArrivalTrace(
        channel=np.array(channels or ["phone"] * len(minutes)),
        arrival_minute=np.array(minutes, dtype=float),
        category=np.array(categories),
    )


def traced(data: dict[str, Any], trace: ArrivalTrace) -> pd.DataFrame:
    return supportsim.simulate(scenario_from_dict(data), seed=1, trace=trace).tickets.sort_values("arrival_minute")


def long_and_short(data: dict[str, Any]) -> dict[str, Any]:
    data["categories"] = [
        {"name": "long", "channels": {"phone": 0.5}, "skill": "general", "handle_minutes": fixed(10)},
        {"name": "short", "channels": {"phone": 0.5}, "skill": "general", "handle_minutes": fixed(2)},
    ]
    return data


@pytest.mark.parametrize(("choice", "third_goes_to"), [("longest_idle", "b"), ("preference", "a")])
def test_longest_idle_takes_the_agent_idle_longest_across_groups(choice: str, third_goes_to: str) -> None:
    data = long_and_short(two_groups(choice, 1, 1))
    # a takes the 10-minute call at 0 (free at 10), b the 2-minute call at 1 (free at 3)
    tickets = traced(data, trace_of([0, 1, 20], ["long", "short", "long"]))
    assert list(tickets["first_group"]) == ["a", "b", third_goes_to]


# --- priority credit --------------------------------------------------------------------


@pytest.mark.parametrize(("credit", "vip_first"), [(90, True), (30, False)])
def test_a_vip_credit_orders_the_vip_as_if_it_had_come_earlier(credit: float, vip_first: bool) -> None:
    data = long_and_short(one_queue(1, 0, fixed(1), days=1))
    data["channels"].append({"name": "vip", "mode": "realtime", "arrivals": {"per_hour": 0}, "vip_share": 1.0})
    for category in data["categories"]:
        category["channels"] = {"phone": 0.5, "vip": 0.5}
    data["routing"] = {"priority": {"vip_credit_seconds": credit}}
    # the agent is busy until 10:00 min; an ordinary call waits from 1:00, the VIP from 2:00
    tickets = traced(data, trace_of([0, 1, 2], ["long", "short", "short"], ["phone", "phone", "vip"]))
    answered = (tickets["arrival_minute"] + tickets["first_response_minutes"]).to_numpy()
    ordinary, vip = answered[1], answered[2]
    assert (vip < ordinary) == vip_first
    assert min(vip, ordinary) == pytest.approx(10)


# --- warm start and closing -------------------------------------------------------------


def test_an_initial_queue_without_arrivals_drains_in_the_expected_time() -> None:
    data = one_queue(5, 0, fixed(6), days=1)
    data["horizon"]["warmup_hours"] = 0
    data["initial"] = {"phone": {"waiting": 100, "mean_age_hours": 0.5}}
    scenario = scenario_from_dict(data)
    tickets = run_replication(scenario, np.random.SeedSequence(2)).tickets
    assert len(tickets["arrival_s"]) == 100 and (tickets["arrival_s"] < 0).all()
    assert tickets["resolved_s"].max() == pytest.approx(120 * 60)  # 100 calls x 6 min over 5 agents
    # served oldest first: the answer order follows the arrival order
    order = np.argsort(tickets["arrival_s"], kind="stable")
    assert (np.diff(tickets["responded_s"][order]) >= 0).all()
    assert tickets["first_wait_s"].max() > 30 * 60  # waits count from the contact's arrival
    result = supportsim.simulate(scenario, seed=2)
    assert result.metric("channels", "phone", "offered") == 0  # carried in, not offered


def shift_day(at_close: str, break_: dict[str, float] | None = None, hours: float = 1) -> dict[str, Any]:
    data = one_queue(1, 0, fixed(20), days=1, at_close=at_close)
    data["horizon"]["warmup_hours"] = 0
    shift: dict[str, Any] = {"start": "09:00", "hours": hours, "count": 1}
    if break_ is not None:
        shift["break"] = break_
    data["groups"][0] = {"name": "agents", "skills": ["general"], "shifts": [shift]}
    return data


@pytest.mark.parametrize(
    ("at_close", "outcomes"),
    [
        ("disconnect", ["disconnected", "resolved", "disconnected", "disconnected"]),
        ("wait", ["resolved", "resolved", "open", "open"]),
    ],
)
def test_contacts_waiting_at_close_are_disconnected(at_close: str, outcomes: list[str]) -> None:
    # 08:00 before the shift (served at 09:00 if it waits); 09:50 served until 10:10; 09:55
    # still waiting at 10:00 when the shift ends; 10:30 after close
    tickets = traced(shift_day(at_close), trace_of([480, 590, 595, 630], ["general"] * 4))
    assert list(tickets["outcome"]) == outcomes
    if at_close == "disconnect":
        np.testing.assert_allclose(tickets["wait_seconds"], [0, 0, 300, 0])


def test_finishing_a_call_after_the_shift_is_overtime() -> None:
    data = scenario_from_dict(shift_day("wait"))
    output = run_replication(data, np.random.SeedSequence(1), trace_of([590], ["general"]))
    assert output.overtime_seconds.sum() == pytest.approx(600)  # 10:00 to 10:10
    assert output.overtime_seconds[0, 10] == pytest.approx(600)


@pytest.mark.parametrize(("when_busy", "wait_minutes"), [("late", 40), ("shorten", 20)])
def test_a_break_that_falls_on_a_call_is_taken_in_full_after_it(when_busy: str, wait_minutes: float) -> None:
    data = shift_day("wait", {"after_hours": 2, "minutes": 30}, hours=8)
    data["breaks"] = {"when_busy": when_busy}
    data["categories"] = [
        {"name": "long", "channels": {"phone": 0.5}, "skill": "general", "handle_minutes": fixed(30)},
        {"name": "short", "channels": {"phone": 0.5}, "skill": "general", "handle_minutes": fixed(1)},
    ]
    # busy 10:50-11:20 over the 11:00 break; a call at 11:10 waits for the agent's return
    tickets = traced(data, trace_of([650, 670], ["long", "short"]))
    assert tickets["wait_seconds"].iloc[1] == pytest.approx(wait_minutes * 60)


@pytest.mark.parametrize(("assign", "second_handle"), [("idle_first", 10), ("fill_first", 15)])
def test_chat_assignment_fills_an_agent_or_takes_an_idle_one(assign: str, second_handle: float) -> None:
    data = one_queue(2, 0, fixed(10), days=1, concurrency={"max": 2, "slowdown": 0.5, "assign": assign})
    tickets = traced(data, trace_of([0, 1], ["general"] * 2))
    np.testing.assert_allclose(tickets["handle_minutes"], [10, second_handle])


def test_fill_first_takes_the_agent_holding_the_most_chats() -> None:
    data = one_queue(2, 0, fixed(10), days=1, concurrency={"max": 3, "slowdown": 0.5, "assign": "fill_first"})
    # agent 1 fills to 3 chats (10, 15, 20 min), agent 2 takes the 4th; at 11 min agent 1 holds
    # 2 chats and agent 2 one: the 5th chat joins agent 1's two (x2 handle), not agent 2's one
    tickets = traced(data, trace_of([0, 1, 2, 3, 11], ["general"] * 5))
    np.testing.assert_allclose(tickets["handle_minutes"], [10, 15, 20, 10, 20])


def test_a_line_is_held_until_the_first_tier_contact_ends() -> None:
    data = one_queue(1, 0, fixed(1), days=1, lines=1)
    data["horizon"]["warmup_hours"] = 0
    data["categories"][0]["escalation"] = [{"skill": "expert", "probability": 1.0, "handle_minutes": fixed(30)}]
    data["groups"].append({"name": "experts", "skills": ["expert"], "headcount": 1})
    # the call at 0 leaves the line at 1 min for the back office; the call at 0.5 is blocked,
    # the call at 2 gets the line
    tickets = traced(data, trace_of([0, 0.5, 2], ["general"] * 3))
    assert list(tickets["outcome"]) == ["resolved", "blocked", "resolved"]


def test_the_issue_example_loads_and_runs() -> None:
    """``scenarios/callbacks_lines_choice.yaml`` is the issue's example as written; two of its days."""
    path = Path(__file__).parent.parent / "scenarios" / "callbacks_lines_choice.yaml"
    data = supportsim.load_scenario(path).model_dump(by_alias=True)
    data["horizon"]["days"] = 2
    result = supportsim.simulate(scenario_from_dict(data), seed=1)
    assert (result.tickets["attempt"] > 1).any()
    again = supportsim.simulate(scenario_from_dict(data), seed=1)
    pd.testing.assert_frame_equal(result.tickets, again.tickets)


def test_overtime_is_paid() -> None:
    data = shift_day("wait")
    data["groups"][0]["cost_per_hour"] = 30.0
    result = supportsim.simulate(scenario_from_dict(data), seed=1, trace=trace_of([590], ["general"]))
    assert result.metric("groups", "agents", "overtime_hours") == pytest.approx(10 / 60)
    assert result.metric("groups", "agents", "paid_hours") == pytest.approx(1 + 10 / 60)
    assert result.metric("groups", "agents", "agent_cost") == pytest.approx(30 * (1 + 10 / 60))
