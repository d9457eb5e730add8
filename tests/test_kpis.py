"""The industry's KPIs against values computed by hand on small deterministic traces.

Hand-built tickets are fed to the engine's :class:`TicketLog` (service-level formulas,
retrial counters, first-contact resolution, the async backlog's oldest age), and a replayed
day with fixed handle times checks occupancy, paid utilization and the deprecated alias.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import supportsim
from supportsim.engine.draws import ArrivalTrace
from supportsim.engine.entities import (
    ABANDONED,
    BLOCKED,
    DEFLECTED,
    DISCONNECTED,
    DONE,
    RESOLVED,
    WAITING,
    Ticket,
)
from supportsim.engine.records import TicketLog
from supportsim.results.metrics import counter_metrics
from supportsim.scenario.io import scenario_from_dict
from supportsim.scenario.model import Target

ROOT = Path(__file__).resolve().parents[1]
HOUR = 3600.0
DAY = 86400.0
_ids = iter(range(10**9))


def ticket(**fields: Any) -> Ticket:
    """A finished ticket with the given attributes (defaults: a new contact, stage 0, done)."""
    t = Ticket()
    t.id = next(_ids)
    t.customer = t.id
    t.channel = t.category = 0
    t.vip = False
    t.escalations = 0
    t.will_follow_up = False
    t.follow_up_delay = math.inf
    t.state = DONE
    for name, value in fields.items():
        setattr(t, name, value)
    return t


def answered(arrival: float, wait: float, **fields: Any) -> Ticket:
    """A ticket answered after ``wait`` seconds in the queue and resolved 60 s later."""
    return ticket(arrival=arrival, queued_at=arrival, first_wait=wait, responded_at=arrival + wait,
                  resolved_at=arrival + wait + 60.0, outcome=RESOLVED, **fields)


def abandoned(arrival: float, wait: float, **fields: Any) -> Ticket:
    return ticket(arrival=arrival, queued_at=arrival, first_wait=wait, resolved_at=arrival + wait,
                  outcome=ABANDONED, **fields)


def log_for(*channels: Any, intervals: int = 24, interval_seconds: float = HOUR, threshold: float = 20.0) -> TicketLog:
    """A log of one category, for channels given as SimpleNamespace(mode, target)."""
    log = TicketLog(len(channels), 1, [0], [threshold] * len(channels), intervals, interval_seconds, keep_rows=True)
    return log.use_targets(list(channels))


def realtime(**target: Any) -> SimpleNamespace:
    return SimpleNamespace(mode="realtime", target=Target(answer_within_seconds=20, **target))


def totals(log: TicketLog, channel: int = 0) -> dict[str, Any]:
    return counter_metrics({k: np.float64(v) for k, v in log.horizon_counts([(channel, 0)]).items()})


# --- service-level formulas ----------------------------------------------------------------

def _formula_trace(log: TicketLog) -> None:
    """T = 20 s. Answered within (10 s) and late (30 s); a short (3 s) and a long (40 s)
    abandon; one still waiting at the end after 25 s (> T) and one after 5 s (fate unknown).
    """
    for t in (answered(100, 10), answered(200, 30), abandoned(300, 3), abandoned(400, 40)):
        log.record(t)
    end = 1000.0
    for queued in (end - 25, end - 5):
        log.record(ticket(arrival=queued, queued_at=queued, state=WAITING, stage=0), end)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({}, 1 / 5),  # all_offered: answered 2 + abandoned 2 + waiting past T 1
        ({"formula": "answered_only"}, 1 / 2),  # answered 2
        ({"formula": "exclude_short_abandons", "short_abandon_seconds": 5}, 1 / 4),  # the 3 s abandon left out
        ({"formula": "exclude_short_abandons", "short_abandon_seconds": 45}, 1 / 3),  # both abandons left out
    ],
)
def test_each_service_level_formula_on_short_and_long_abandons(target: dict[str, Any], expected: float) -> None:
    log = log_for(realtime(**target))
    _formula_trace(log)
    m = totals(log)
    assert m["service_level"] == pytest.approx(expected, rel=1e-12)
    assert m["service_level_answered"] == pytest.approx(1 / 2, rel=1e-12)  # whatever the formula
    assert m["abandon_rate"] == pytest.approx(2 / 4, rel=1e-12)


def test_the_planner_counters_follow_the_formula() -> None:
    """The planner judges service level on ``answered_within`` ÷ ``target_known`` per interval."""
    log = log_for(realtime(formula="exclude_short_abandons", short_abandon_seconds=5))
    _formula_trace(log)
    counts = log.interval_counts()
    assert counts["answered_within"].sum() == 1 and counts["target_known"].sum() == 4


def test_short_abandon_seconds_goes_with_its_formula() -> None:
    with pytest.raises(ValueError, match="short_abandon_seconds"):
        Target(answer_within_seconds=20, short_abandon_seconds=5)
    with pytest.raises(ValueError, match="short_abandon_seconds"):
        Target(answer_within_seconds=20, formula="exclude_short_abandons")


# --- retrials, lines, disconnection (issue 15's counters) ------------------------------------

def test_customer_counters_on_a_trace_of_attempts() -> None:
    """Customer A abandons, retries and abandons for good; B is blocked, retries and is
    served; C is blocked and gives up; D is served at once; E is disconnected at close.
    """
    log = log_for(realtime())
    a1 = abandoned(10, 50, retrying=True)
    a2 = abandoned(900, 30, customer=a1.id, attempt=2)
    b1 = ticket(arrival=20, resolved_at=20, outcome=BLOCKED, first_wait=0.0, retrying=True)
    b2 = answered(700, 5, customer=b1.id, attempt=2)
    c1 = ticket(arrival=30, resolved_at=30, outcome=BLOCKED, first_wait=0.0)
    d1 = answered(40, 0)
    e1 = ticket(arrival=50, queued_at=50, resolved_at=650, outcome=DISCONNECTED)
    for t in (a1, b1, c1, d1, e1, b2, a2):
        log.record(t)
    m = totals(log)
    assert (m["offered"], m["customers"], m["retrials"]) == (7, 5, 2)
    assert (m["blocked"], m["disconnected"], m["abandoned"], m["answered"]) == (2, 1, 2, 2)
    assert m["blocked_rate"] == pytest.approx(2 / 7)
    assert m["customer_abandon_rate"] == pytest.approx(2 / 5)  # A (second attempt) and C
    assert m["abandon_rate"] == pytest.approx(2 / 4)  # attempts: 2 abandoned, 2 answered
    assert m["open_at_end"] == 0  # blocked and disconnected are fates, not open tickets
    # all_offered: the disconnected contact (600 s, past T) is a known miss; blocked never queued
    assert m["service_level"] == pytest.approx(2 / 5)
    columns = log.columns(1000.0)
    by_id = dict(zip(columns["ticket_id"].tolist(), zip(columns["customer_id"].tolist(),
                                                          columns["attempt"].tolist(), strict=True), strict=True))
    assert by_id[a2.id] == (a1.id, 2) and by_id[b2.id] == (b1.id, 2) and by_id[d1.id] == (d1.id, 1)


# --- first-contact resolution --------------------------------------------------------------

def _fcr_trace(log: TicketLog) -> None:
    log.record(answered(100, 5))  # resolved, no follow-up: FCR
    log.record(answered(200, 5, will_follow_up=True, follow_up_delay=3 * DAY))  # back in 3 days
    log.record(answered(300, 5, will_follow_up=True, follow_up_delay=10 * DAY))  # back after the window
    log.record(answered(400, 5, will_follow_up=True, follow_up_delay=7 * DAY))  # exactly 7 days: inside
    log.record(answered(500, 5, attempt=2))  # resolved at the second attempt: not first contact
    log.record(answered(600, 5, parent=0))  # a follow-up: not a customer of its own here
    log.record(ticket(arrival=700, resolved_at=760, outcome=DEFLECTED))  # no human: not counted


@pytest.mark.parametrize(("window_days", "expected"), [(7, 2 / 5), (2, 4 / 5), (30, 1 / 5)])
def test_first_contact_resolution_with_follow_ups_inside_and_outside_the_window(
    window_days: float, expected: float
) -> None:
    log = log_for(realtime(fcr_window_days=window_days))
    _fcr_trace(log)
    assert totals(log)["first_contact_resolution"] == pytest.approx(expected, rel=1e-12)


def test_first_contact_resolution_window_defaults_to_seven_days() -> None:
    log = log_for(SimpleNamespace(mode="realtime", target=None))
    _fcr_trace(log)
    assert totals(log)["first_contact_resolution"] == pytest.approx(2 / 5, rel=1e-12)


# --- async backlog: oldest age and end of day ------------------------------------------------

def test_oldest_age_and_backlog_end_of_day_on_a_hand_trace() -> None:
    log = log_for(SimpleNamespace(mode="async", target=None))
    end = 24 * HOUR
    h = HOUR
    log.record(ticket(arrival=-2 * h, queued_at=-2 * h, responded_at=0.5 * h, resolved_at=h, outcome=RESOLVED))
    log.record(ticket(arrival=0.5 * h, queued_at=0.5 * h, responded_at=2.5 * h, resolved_at=3 * h, outcome=RESOLVED))
    log.record(ticket(arrival=1.0 * h, queued_at=1.5 * h, responded_at=1.75 * h, resolved_at=2 * h, outcome=RESOLVED))
    log.record(ticket(arrival=3 * h, queued_at=3 * h, responded_at=3 * h, resolved_at=4 * h, outcome=RESOLVED))
    log.record(ticket(arrival=5 * h, queued_at=5 * h, responded_at=6 * h, resolved_at=7 * h, outcome=RESOLVED))
    log.record(ticket(arrival=10 * h, queued_at=10.5 * h, responded_at=12.25 * h, resolved_at=13 * h, outcome=RESOLVED))
    log.record(ticket(arrival=22.5 * h, queued_at=22.5 * h, state=WAITING, stage=0), end)
    backlog = log.backlog[0]
    assert backlog is not None
    ages = backlog.oldest_age_seconds() / h
    expected = np.zeros(24)
    expected[[0, 1, 2, 5, 10, 11, 12, 22, 23]] = [2.5, 1.5, 2.0, 1.0, 1.0, 2.0, 2.25, 0.5, 1.5]
    # 0: the warm-up ticket leaves at 0.5 h aged 2.5 h; 1: the 0.5 h ticket is 1.5 h old at 2 h
    # (the one with 0.5 h in a bot leaves at 1.75 h aged 0.75 h); 2: it leaves at 2.5 h aged
    # 2 h; 3: answered at once, never in the backlog; 5: leaves exactly at 6 h aged 1 h;
    # 10-12: half an hour in a bot first (age counts from arrival), answered at 12.25 h;
    # 22-23: still waiting at the end, 0.5 h and 1.5 h old at the interval ends
    np.testing.assert_allclose(ages, expected, rtol=0, atol=1e-12)
    waiting = backlog.waiting_at_interval_ends()
    expected_waiting = np.zeros(24)
    expected_waiting[[0, 1, 4, 10, 11, 22, 23]] = 1  # at 1 h, 2 h; 5 h (joined then); 11 h, 12 h; 23 h, 24 h
    np.testing.assert_array_equal(waiting, expected_waiting)


def _email_day() -> supportsim.Scenario:
    return scenario_from_dict({
        "name": "email day",
        "horizon": {"days": 2, "interval_minutes": 60},
        "channels": [{"name": "email", "mode": "async", "arrivals": {"per_hour": 1},
                      "target": {"respond_within_hours": 4, "service_level": 0.8}}],
        "categories": [{"name": "q", "channels": {"email": 1.0}, "skill": "s",
                        "handle_minutes": {"dist": "deterministic", "value": 30}}],
        "groups": [{"name": "desk", "skills": ["s"],
                    "shifts": [{"start": "09:00", "hours": 8, "count": 1}]}],
    })


def test_oldest_age_and_backlog_in_a_replayed_email_day() -> None:
    """Emails at 06:00 and 07:00 wait for the 09:00 shift of one agent (30 minutes each): the
    06:00 one is answered at 09:00 aged 3 h, the 07:00 one at 09:30 aged 2.5 h. An email at
    23:00 of day 2 is still waiting at the end (1 h old).
    """
    trace = ArrivalTrace(channel=np.array(["email"] * 3), arrival_minute=np.array([360.0, 420.0, 1440 + 1380.0]))
    result = supportsim.simulate(_email_day(), seed=0, trace=trace)
    email = result.summary["channels"]["email"]
    assert email["oldest_age_hours"]["mean"] == pytest.approx(3.0)
    assert email["backlog_end_of_day"]["mean"] == pytest.approx((0 + 1) / 2)
    rows = result.intervals[(result.intervals["scope"] == "channel")].set_index("interval")
    assert rows.loc[6, "oldest_age_hours"] == pytest.approx(1.0)  # 06:00 email at 07:00
    assert rows.loc[8, "oldest_age_hours"] == pytest.approx(3.0)  # at 09:00
    assert rows.loc[9, "oldest_age_hours"] == pytest.approx(2.5)  # the 07:00 one at 09:30
    assert rows.loc[10, "oldest_age_hours"] == 0
    assert rows.loc[47, "oldest_age_hours"] == pytest.approx(1.0)
    assert rows["backlog_end_of_day"].dropna().tolist() == [0.0, 1.0]
    assert rows["backlog_end_of_day"].notna().sum() == 2  # the last interval of each day only


# --- occupancy and utilization ---------------------------------------------------------------

def _phone_day() -> supportsim.Scenario:
    return scenario_from_dict({
        "name": "one agent",
        "horizon": {"days": 1, "interval_minutes": 60},
        "channels": [{"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 1},
                      "target": {"answer_within_seconds": 20}}],
        "categories": [{"name": "q", "channels": {"phone": 1.0}, "skill": "s",
                        "handle_minutes": {"dist": "deterministic", "value": 10}}],
        "groups": [{"name": "desk", "skills": ["s"], "cost_per_hour": 20,
                    "shifts": [{"start": "08:00", "hours": 8, "count": 1,
                                "break": {"after_hours": 4, "minutes": 30}}]}],
    })


def test_occupancy_and_paid_utilization_on_a_replayed_day() -> None:
    """One agent paid 08:00-16:00 with a 30-minute break at 12:00: 7.5 h staffed of 8 h paid.
    Calls of 10 minutes at 09:00, 09:30 and 14:00: 30 minutes handled.
    """
    trace = ArrivalTrace(channel=np.array(["phone"] * 3), arrival_minute=np.array([540.0, 570.0, 840.0]))
    result = supportsim.simulate(_phone_day(), seed=0, trace=trace)
    desk = result.summary["groups"]["desk"]
    assert desk["occupancy"]["mean"] == pytest.approx(0.5 / 7.5, rel=1e-12)
    assert desk["paid_utilization"]["mean"] == pytest.approx(7.5 / 8, rel=1e-12)
    assert desk["utilization"]["mean"] == desk["occupancy"]["mean"]  # the deprecated alias
    assert desk["engaged_share"]["mean"] == desk["occupancy"]["mean"]  # no concurrency
    groups = result.intervals[result.intervals["scope"] == "group"].set_index("interval")
    assert groups.loc[9, "occupancy"] == pytest.approx(20 / 60)
    assert groups.loc[12, "occupancy"] == 0 and groups.loc[12, "paid_utilization"] == pytest.approx(0.5)
    assert groups.loc[14, "occupancy"] == pytest.approx(10 / 60)
    assert math.isnan(groups.loc[3, "occupancy"]) and math.isnan(groups.loc[3, "paid_utilization"])
    np.testing.assert_array_equal(groups["utilization"].to_numpy(), groups["occupancy"].to_numpy())
    assert result.metric("groups", "desk", "utilization") == result.metric("groups", "desk", "occupancy")


def test_occupancy_counts_a_chat_as_a_share_of_an_agent() -> None:
    """Two chats side by side for 10 minutes with ``max: 2``: occupancy counts each as half an
    agent (10 agent-minutes), engaged share the 10 minutes the agent held at least one.
    """
    data = _phone_day().model_dump(by_alias=True, exclude_none=True)
    data["channels"][0]["concurrency"] = {"max": 2}
    trace = ArrivalTrace(channel=np.array(["phone"] * 2), arrival_minute=np.array([540.0, 540.0]))
    desk = supportsim.simulate(scenario_from_dict(data), seed=0, trace=trace).summary["groups"]["desk"]
    assert desk["occupancy"]["mean"] == pytest.approx((10 / 60) / 7.5, rel=1e-12)
    assert desk["engaged_share"]["mean"] == pytest.approx((10 / 60) / 7.5, rel=1e-12)
    data["channels"][0]["concurrency"] = {"max": 4}
    desk = supportsim.simulate(scenario_from_dict(data), seed=0, trace=trace).summary["groups"]["desk"]
    assert desk["occupancy"]["mean"] == pytest.approx((2 * 10 / 4 / 60) / 7.5, rel=1e-12)
    assert desk["engaged_share"]["mean"] == pytest.approx((10 / 60) / 7.5, rel=1e-12)


# --- the metrics page -----------------------------------------------------------------------

def _documented() -> set[str]:
    """Metric names with a row (definition) in a metric table of docs/metrics.md."""
    page = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    names = set()
    for line in page.splitlines():
        match = re.match(r"^\| `([a-z_0-9{}]+)` \| (.+) \|$", line)
        if match and match.group(2).count("|") == 2:
            names.add(match.group(1))
    return names


def test_every_reported_metric_has_an_entry_in_the_metrics_page() -> None:
    """Every key of the summary and every metric column of the interval table, on a scenario
    with realtime and async channels, retrials, lines, feedback and escalation."""
    data = supportsim.load_scenario(ROOT / "scenarios" / "helpdesk_chatbot.yaml").model_dump(
        by_alias=True, exclude_none=True
    )
    data["horizon"]["days"] = 1
    data["feedback"] = {"survey_share": 0.5}
    result = supportsim.simulate(scenario_from_dict(data), seed=0, replications=2)
    names = set(result.summary["overall"])
    for scope in ("channels", "categories", "groups"):
        for metrics in result.summary[scope].values():
            names |= set(metrics)
    labels = {"interval", "day", "weekday", "time", "scope", "name", "replication"}
    names |= set(result.intervals.columns) - labels - {"busy"}  # busy: a group column, defined in its row
    documented = _documented()
    missing = {n for n in names if re.sub(r"tier\d+$", "tier{j}", n) not in documented}
    assert not missing, f"not defined in docs/metrics.md: {sorted(missing)}"
    assert {"occupancy", "paid_utilization", "csat", "oldest_age_hours", "first_contact_resolution"} <= names


def test_the_planners_service_level_counts_follow_the_formula() -> None:
    """``planning.targets.replicate`` (what the staffing search judges targets on) counts, per
    interval, the contacts whose fate is known by the channel's formula."""
    from supportsim.planning.targets import replicate

    data = _phone_day().model_dump(by_alias=True, exclude_none=True)
    data["channels"][0]["arrivals"] = {"per_hour": 40}
    data["channels"][0]["patience_seconds"] = {"dist": "exponential", "mean": 60}
    seed = np.random.SeedSequence(1)
    counts = {}
    for formula in ("all_offered", "answered_only"):
        data["channels"][0]["target"]["formula"] = formula
        counts[formula] = replicate((scenario_from_dict(data), seed))
    assert counts["all_offered"].abandoned.sum() > 10
    np.testing.assert_array_equal(counts["answered_only"].known, counts["answered_only"].answered)
    np.testing.assert_array_equal(counts["all_offered"].known,
                                  counts["all_offered"].answered + counts["all_offered"].abandoned)
