"""The app's logic helpers, without Streamlit."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest
from app import comparison, flow_chart, logic, plan_tables
from app.formats import fmt

import supportsim
from supportsim import ScenarioError
from tests import app_numbers

PLANNING = Path(__file__).parent / "data" / "planning"


@pytest.fixture(scope="module")
def queue() -> supportsim.Scenario:
    return supportsim.one_day(supportsim.load_scenario(logic.SCENARIO_DIR / "single_queue.yaml"))


@pytest.fixture(scope="module")
def baseline() -> supportsim.Scenario:
    return supportsim.load_scenario(logic.SCENARIO_DIR / "helpdesk_baseline.yaml")


def test_a_field_error_is_keyed_by_its_path(queue: supportsim.Scenario) -> None:
    """The editor shows each problem under its field (the edit itself: tests/test_edit.py)."""
    with pytest.raises(ScenarioError) as error:
        supportsim.with_values(queue, {"groups[1].headcount": -1})
    assert logic.errors_by_field(error.value) == {"groups[1].headcount": ["must be >= 0"]}


def test_canonical_yaml_round_trip(baseline: supportsim.Scenario) -> None:
    day = supportsim.one_day(baseline, "sat")
    assert logic.scenario_from_yaml(logic.canonical_yaml(day)) == day


def test_read_upload_refusals() -> None:
    with pytest.raises(logic.UploadError, match="1 MB"):
        logic.read_upload("big.yaml", b"#" * (logic.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(logic.UploadError, match="extends"):
        logic.read_upload("v.yaml", b"extends: single_queue.yaml\nname: v\n")
    with pytest.raises(logic.UploadError, match="not allowed"):
        logic.read_upload("evil.yaml", b"!!python/object/apply:os.system ['true']\n")


def test_flow_diagram_marks_the_bottleneck(queue: supportsim.Scenario) -> None:
    """The DOT text of the library's flow (the flow itself: tests/test_flow.py)."""
    result = supportsim.simulate(queue, seed=1)
    flow = supportsim.process_flow(result)
    dot = flow_chart.flow_dot(flow)
    assert dot.startswith("digraph") and "BOTTLENECK: tier2" in dot
    assert '"g_tier2" [label="BOTTLENECK: tier2\\nstaffed' in dot
    assert '"q_tier2" [label="queue: tier2' in dot and "#d62728" in dot
    assert '"ch_phone" [label="phone (realtime)\\n' in dot
    one = flow_chart.flow_dot(supportsim.process_flow(result, 20))
    assert " arriving" in one and " contacts\\n" not in one
    # the numbers in the boxes are the result's metrics
    labels = dict(re.findall(r'^  "(\w+)" \[label="([^"]*)"', dot, flags=re.MULTILINE))
    for group in queue.groups:
        utilization = result.metric("groups", group.name, "utilization")
        staffed = result.metric("groups", group.name, "staffed")
        lines = labels[f"g_{group.name}"].split("\\n")
        assert lines[1:] == [f"staffed {staffed:.1f} · busy {staffed * utilization:.1f}",
                             f"utilization {utilization:.0%}"], lines
    phone = labels["ch_phone"].split("\\n")
    assert phone[1] == f"{result.metric('channels', 'phone', 'offered'):,.0f} contacts"
    assert phone[-1] == f"service level {result.metric('channels', 'phone', 'service_level'):.0%}"
    assert result.metric("groups", "tier2", "utilization") == max(
        result.metric("groups", g.name, "utilization") for g in queue.groups)  # the bottleneck drawn


def test_comparison_cards_and_chart_data(baseline: supportsim.Scenario) -> None:
    variant = supportsim.with_values(
        supportsim.scale_headcount(baseline, "tier2", 1.5), {}, name="more tier 2"
    )
    short = [supportsim.one_day(baseline), supportsim.one_day(variant)]
    results = [supportsim.simulate(s, seed=1, replications=2) for s in short]
    table = comparison.comparison_frame(results)
    specs = comparison.card_specs(results[0])
    cards = comparison.cards(table, specs, results[1].scenario.name, is_base=False)
    assert len(cards) == 8 and all(c.delta for c in cards)
    assert cards[0].value == fmt(
        results[1].metric("overall", "", "resolution_minutes"), "min"
    )
    assert set(comparison.queue_by_time(results)["channel"]) == {"phone", "chat", "email"}
    assert comparison.service_level_by_time(results)["service_level"].between(0, 1).all()
    cdf = comparison.resolution_cdf(results)
    assert cdf.groupby("scenario")["minutes"].apply(lambda m: m.is_monotonic_increasing).all()
    assert comparison.utilization_by_time(results)["utilization"].between(0, 1.0001).all()
    # every card and every chart's data are the library's numbers, as the page writes them
    for shown, is_base in ((1, False), (0, True)):
        name = results[shown].scenario.name
        got = [(c.label, c.value, c.delta, c.ci, "" if is_base else f"Verdict: {c.verdict}")
               for c in comparison.cards(table, specs, name, is_base=is_base)]
        assert got == [(c.label, c.value, c.delta, c.ci, c.help or "")
                       for c in app_numbers.compare_cards(results, shown)]
    app_numbers.same_rows(comparison.queue_by_time(results),
                          app_numbers.by_time_of_day(results, "channel", "mean_waiting", "channel"),
                          ["scenario", "channel", "time"], ["mean_waiting"])
    level = app_numbers.by_time_of_day(results, "channel", "service_level", "channel").dropna()
    app_numbers.same_rows(comparison.service_level_by_time(results), level,
                          ["scenario", "channel", "time"], ["service_level"])
    app_numbers.same_rows(cdf, app_numbers.resolution_quantiles(results), ["scenario", "share"], ["minutes"])
    app_numbers.same_rows(comparison.utilization_by_time(results),
                          app_numbers.by_time_of_day(results, "group", "utilization", "group").dropna(),
                          ["scenario", "group", "time"], ["utilization"])


@pytest.fixture(scope="module")
def two_day_plan() -> supportsim.StaffingPlan:
    """A small plan over two days (Saturday and Sunday) with costs: a few seconds."""
    scenario = supportsim.load_scenario(PLANNING / "three_groups_day.yaml")
    weekend = supportsim.with_values(scenario, {"horizon.days": 2, "horizon.start_weekday": "sat"})
    return supportsim.plan(weekend, seed=0, replications=3)


def test_planning_scenario_is_one_day_or_the_whole_scenario(baseline: supportsim.Scenario) -> None:
    day = plan_tables.planning_scenario(baseline, "wed")
    assert (day.horizon.days, day.horizon.start_weekday) == (1, "wed")
    assert plan_tables.planning_scenario(baseline, None) == baseline


def test_plan_progress_grows_and_leaves_room_for_the_shifts() -> None:
    fractions = [plan_tables.plan_progress(r) for r in range(0, 80)]
    assert fractions[0] == 0
    assert all(b > a for a, b in itertools.pairwise(fractions))
    assert fractions[-1] < 0.9


def test_requirement_by_time(two_day_plan: supportsim.StaffingPlan) -> None:
    plan = two_day_plan
    data = plan_tables.requirement_by_time(plan)
    assert set(data["source"]) == set(plan_tables.REQUIREMENT_SERIES.values())
    assert len(data) == len(plan_tables.REQUIREMENT_SERIES) * len(plan.requirement)
    for column, source in plan_tables.REQUIREMENT_SERIES.items():
        shown = data[data["source"] == source]
        assert shown["headcount"].sum() == plan.requirement[column].sum()
    assert data["when"].min().day_name() == "Saturday"
    assert data["when"].max().day_name() == "Sunday"
    interval = pd.Timedelta(minutes=plan.scenario.horizon.interval_minutes)
    assert data["when"].max() - data["when"].min() == pd.Timedelta(days=2) - interval


def test_shifts_table_and_group_summary(two_day_plan: supportsim.StaffingPlan) -> None:
    plan = two_day_plan
    table = plan_tables.shifts_table(plan)
    assert len(table) == len(plan.shifts)
    assert table["people"].sum() == plan.shifts["count"].sum()
    assert table["paid hours"].sum() == pytest.approx(plan.paid_hours)
    assert table["cost"].sum() == pytest.approx(plan.cost)
    assert set(table["days"]) <= {"Sat (day 1)", "Sun (day 2)", "Sat (day 1), Sun (day 2)"}
    assert table["start"].str.fullmatch(r"\d\d:\d\d").all()
    assert table["break"].str.fullmatch(r"(\d\d:\d\d–\d\d:\d\d)?").all()
    assert list(dict.fromkeys(table["group"])) == [g.name for g in plan.scenario.groups]

    summary = plan_tables.group_summary(plan).set_index("group")
    hours = plan.scenario.horizon.interval_minutes / 60
    scheduled = plan.requirement.groupby("group")["scheduled_headcount"].sum() * hours
    for group in plan.scenario.groups:
        row = summary.loc[group.name]
        assert row["Scheduled (person-h)"] == pytest.approx(scheduled[group.name])
        assert row["paid hours"] >= row["Scheduled (person-h)"]  # breaks are paid
        assert row["cost"] == pytest.approx(row["paid hours"] * group.cost_per_hour)
    assert summary["paid hours"].sum() == pytest.approx(plan.paid_hours)
    assert plan_tables.shifts_worked(plan) == summary["shifts worked"].sum() >= table["people"].sum()
    # the card's number from the plan itself: people on each line × the days it works
    days_worked = plan.shifts["days"].map(lambda days: len(str(days).split(",")))
    assert plan_tables.shifts_worked(plan) == int((plan.shifts["count"] * days_worked).sum())
    assert (days_worked == 2).any()  # a line working both days: the product matters


def test_achieved_table_and_checks(two_day_plan: supportsim.StaffingPlan) -> None:
    plan = two_day_plan
    table = plan_tables.achieved_table(plan)
    kpis = plan.achieved[~plan.achieved["metric"].isin(["paid_hours", "agent_cost"])]
    assert len(table) == len(kpis)
    phone = kpis[(kpis["name"] == "phone") & (kpis["metric"] == "service_level")].iloc[0]
    row = table[(table["where"] == "channel phone") & (table["KPI"] == "Service level")].iloc[0]
    assert row["value"] == f"{fmt(phone['mean'], '%')} ± {fmt(phone['ci95'], '%')}"
    assert row["target"] == f"at least {fmt(phone['target'], '%')}"
    assert row["met"] == ("yes" if phone["met"] else "no")
    with_target = table["target"] != ""
    assert set(table.loc[with_target, "met"]) <= {"yes", "no"}
    assert (table.loc[~with_target, "met"] == "").all()
    held, total = plan_tables.checks_held(plan)
    assert total == len(plan.checks) > 0
    assert held == int(plan.checks["met"].sum())


def test_edit_fields_cover_what_managers_change(baseline: supportsim.Scenario) -> None:
    paths = {f.path for f in logic.edit_fields(baseline)}
    assert "channels[0].arrivals.per_day" in paths
    assert "categories[0].escalation[0].probability" in paths
    assert "groups[0].shrinkage" in paths
    assert "groups[0].shifts" in logic.shift_counts(baseline)
