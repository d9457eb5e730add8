"""The weekly roster: work patterns, agents per pattern, and every shift and agent within the rules."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supportsim import load_scenario, plan
from supportsim.planning import check_targets
from supportsim.planning.shifts import schedule
from supportsim.planning.weekly import ROSTER_DAYS, staff_patterns, work_patterns
from supportsim.planning.workload import analytic_requirement
from supportsim.scenario.calendar import clock_minutes
from supportsim.scenario.edit import edited
from supportsim.scenario.planning_rules import PlanningRules

DATA = Path(__file__).parent / "data" / "planning"


def _off_days(pattern):
    return [d for d in range(ROSTER_DAYS) if d not in pattern.days]


def test_full_time_five_day_weeks_with_two_days_off():
    only_8h = {"shift_lengths": [{"hours": 8}], "min_weekly_hours": 40, "max_weekly_hours": 40}
    consecutive = work_patterns(PlanningRules(**only_8h))
    assert len(consecutive) == 7  # the pair of days off starts on any of the 7 days (Sun-Mon included)
    for p in consecutive:
        a, b = _off_days(p)
        assert (b - a) % 7 in (1, 6)
    anywhere = work_patterns(PlanningRules(**only_8h, consecutive_days_off=False))
    assert len(anywhere) == 21  # C(7, 2)


def test_weekly_hours_choose_the_days_worked():
    rules = PlanningRules(shift_lengths=[{"hours": 6, "part_time": True}], min_weekly_hours=18, max_weekly_hours=25)
    days = sorted({len(p.days) for p in work_patterns(rules)})
    assert days == [3, 4]  # 18 and 24 hours; 5 days would be 30


def test_agents_per_pattern_match_the_days_shifts():
    patterns = work_patterns(PlanningRules(shift_lengths=[{"hours": 8}], min_weekly_hours=40))
    shifts = {(d, 0): 10 for d in range(7)}
    agents, change = staff_patterns(shifts, patterns, [8.0], None)
    assert change == {} and sum(agents) == 14  # 70 shift-days, 5 per agent
    # a cap of 10 agents works 50 shift-days: 20 shifts cannot be worked, and are said so
    agents, change = staff_patterns(shifts, patterns, [8.0], 10)
    assert sum(agents) == 10 and sum(change.values()) == -20


@pytest.fixture(scope="module")
def capped():
    scenario = load_scenario(DATA / "three_groups_day.yaml")
    rules = {"max_agents": {"tier2": 6}, "earliest_start": "05:00", "latest_start": "20:00",
             "start_granularity_minutes": 60, "break_offsets_minutes": [0, 30]}
    scenario = edited(scenario, lambda d: d.update(planning=rules), source="<rules>")
    required = analytic_requirement(scenario)["analytic_headcount"].to_numpy().reshape(len(scenario.groups), -1)
    return scenario, required, schedule(scenario, required)


def test_every_shift_respects_the_rules(capped):
    scenario, _, roster = capped
    rules = scenario.planning
    lengths = {s.hours: s for s in rules.shift_lengths}
    assert len(roster.shifts) > 0
    for row in roster.shifts.itertuples():
        start = clock_minutes(row.start)
        assert row.hours in lengths
        assert (row.contract == "part-time") == lengths[row.hours].part_time
        assert start % rules.start_granularity_minutes == 0
        assert rules.earliest_minutes <= start <= rules.latest_minutes
        # the rule's breaks, all moved by one allowed offset
        rule = lengths[row.hours].breaks
        spans = [b.split("-") for b in row.breaks.split(", ")] if row.breaks else []
        assert len(spans) == len(rule)
        offsets = {(clock_minutes(a) - start) % 1440 - round(b.after_hours * 60)
                   for (a, _), b in zip(spans, rule, strict=True)}
        assert len(offsets) <= 1 and offsets <= set(rules.break_offsets_minutes)
    for group, shifts in roster.shifts.groupby("group"):
        part = shifts.loc[shifts["contract"] == "part-time", "paid_hours"].sum()
        assert part <= rules.max_part_time_share * shifts["paid_hours"].sum() + 1e-9, group


def test_every_agent_respects_days_off_weekly_hours_and_the_cap(capped):
    scenario, _, roster = capped
    rules = scenario.planning
    agents = roster.agents
    days = agents.columns[5:]
    assert len(days) == ROSTER_DAYS
    for row in agents.itertuples(index=False):
        worked = [d for d, v in zip(days, row[5:], strict=True) if v != "off"]
        assert rules.min_weekly_hours <= row.weekly_hours <= rules.max_weekly_hours
        assert row.weekly_hours == pytest.approx(row.shift_hours * len(worked))
        off = [i for i, v in enumerate(row[5:]) if v == "off"]
        assert len(off) >= rules.days_off_per_week
        assert any(all((i + j) % 7 in off for j in range(rules.days_off_per_week)) for i in off)
    assert (agents["group"] == "tier2").sum() <= 6
    # the roster hands out exactly the shifts: per group and day, agents working = shifts
    for group, shifts in roster.shifts.groupby("group"):
        mine = agents[agents["group"] == group]
        for day, name in enumerate(days, start=1):
            assert (mine[name] != "off").sum() == shifts.loc[shifts["day"] == day, "count"].sum(), (group, name)
    assert roster.fte == pytest.approx(agents["weekly_hours"].sum() / rules.fte_weekly_hours)


def test_what_the_cap_leaves_uncovered_is_listed(capped):
    _, _, roster = capped
    cov = roster.coverage
    short = cov[cov["scheduled_headcount"] < cov["required_headcount"] - 1e-9]
    listed = roster.uncovered
    slots = zip(listed["group"], listed["day"], listed["time"], strict=True)
    assert set(zip(short["group"], short["interval"] % 48, strict=True)) <= {
        (g, (d - 1) * 48 + int(t[:2]) * 2 + int(t[3:]) // 30) for g, d, t in slots
    }
    uncapped = roster.uncovered[roster.uncovered["group"] != "tier2"]
    # the others fall short only where no allowed start reaches: starts 05:00-20:00, 8 h at most
    assert set(uncapped["time"]) <= {"04:00", "04:30"}
    capped_short = roster.uncovered[roster.uncovered["group"] == "tier2"]
    # the cap binds: tier2 falls short where a start was allowed too
    assert (~capped_short["time"].isin(["04:00", "04:30"])).any()


@pytest.fixture(scope="module")
def small_plan():
    return plan(load_scenario(DATA / "mmc_day.yaml"), seed=0, replications=3)


def test_current_roster_and_misses_agree_with_a_direct_simulation(small_plan):
    scenario = small_plan.scenario
    direct = check_targets(scenario, seed=1, replications=3)
    pd.testing.assert_frame_equal(small_plan.current.checks, direct)
    now = small_plan.current
    assert (now.targets_met, now.targets_total) == (int(direct["met"].sum()), len(direct))
    assert now.paid_hours == pytest.approx(20 * 24 * 7)  # headcount 20, around the clock, a week
    listed = small_plan.misses
    failed = direct[~direct["met"]]
    mine = listed[listed["roster"] == "current"]
    assert list(mine["interval"]) == list(failed["interval"])
    np.testing.assert_allclose(mine["value"], failed["estimate"])
    planned = listed[listed["roster"] == "plan"]
    assert len(planned) == int((~small_plan.checks["met"]).sum())
    req = small_plan.requirement
    assert (req["current_headcount"] == 20).all()
