"""The app's logic helpers, without Streamlit."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pandas as pd
import pytest
from app import logic

import supportsim
from supportsim import ScenarioError
from supportsim.planning import requirement as staffing

PLANNING = Path(__file__).parent / "data" / "planning"


@pytest.fixture(scope="module")
def queue() -> supportsim.Scenario:
    return logic.one_day(supportsim.load_scenario(logic.SCENARIO_DIR / "single_queue.yaml"))


@pytest.fixture(scope="module")
def baseline() -> supportsim.Scenario:
    return supportsim.load_scenario(logic.SCENARIO_DIR / "helpdesk_baseline.yaml")


def test_paths() -> None:
    data = {"groups": [{"headcount": 3}, {"headcount": 5}]}
    assert logic.get_path(data, "groups[1].headcount") == 5
    logic.set_path(data, "groups[0].headcount", 4)
    assert data["groups"][0]["headcount"] == 4


def test_with_values_validates_and_names_the_field(queue: supportsim.Scenario) -> None:
    changed = logic.with_values(queue, {"groups[1].headcount": 7}, name="more tier 2")
    assert changed.groups[1].headcount == 7 and changed.name == "more tier 2"
    with pytest.raises(ScenarioError) as error:
        logic.with_values(queue, {"groups[1].headcount": -1})
    assert logic.errors_by_field(error.value) == {"groups[1].headcount": ["must be >= 0"]}


def test_one_day_and_canonical_yaml_round_trip(baseline: supportsim.Scenario) -> None:
    day = logic.one_day(baseline, "sat")
    assert (day.horizon.days, day.horizon.start_weekday, day.horizon.warmup_hours) == (1, "sat", 24)
    assert logic.scenario_from_yaml(logic.canonical_yaml(day)) == day


def test_one_thing_changes(queue: supportsim.Scenario) -> None:
    assert logic.scale_headcount(queue, "tier2", 2.0).groups[1].headcount == 10
    assert logic.scale_handle_time(queue, "general", 1.5).categories[
        0
    ].handle_minutes.mean == pytest.approx(9)
    assert logic.automation_share(queue, "phone") == pytest.approx(0.3)
    assert logic.automation_share(
        logic.set_automation_share(queue, "phone", 0.5), "phone"
    ) == pytest.approx(0.5)
    surged = logic.add_surge(queue, "phone", 20, 1.0)
    rates = surged.channels[0].arrivals.rates_per_hour
    assert rates is not None and rates[20] == pytest.approx(200) and rates[19] == pytest.approx(100)
    assert logic.add_surge(queue, "phone", 20, 0.0) is queue


def test_a_bot_is_added_where_there_is_none(baseline: supportsim.Scenario) -> None:
    day = logic.one_day(baseline)
    assert logic.automation_share(day, "chat") == 0
    assert logic.automation_share(
        logic.set_automation_share(day, "chat", 0.4), "chat"
    ) == pytest.approx(0.4)


def test_scaling_shift_groups(baseline: supportsim.Scenario) -> None:
    doubled = logic.scale_headcount(baseline, "tier2", 2.0)
    assert [s.count for s in doubled.groups[1].shifts or []] == [
        2 * s.count for s in baseline.groups[1].shifts or []
    ]


def test_read_upload_refusals() -> None:
    with pytest.raises(logic.UploadError, match="1 MB"):
        logic.read_upload("big.yaml", b"#" * (logic.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(logic.UploadError, match="extends"):
        logic.read_upload("v.yaml", b"extends: single_queue.yaml\nname: v\n")
    with pytest.raises(logic.UploadError, match="not allowed"):
        logic.read_upload("evil.yaml", b"!!python/object/apply:os.system ['true']\n")


def test_flow_and_bottleneck_follow_the_staffing(queue: supportsim.Scenario) -> None:
    result = supportsim.simulate(queue, seed=1)
    flow = logic.build_flow(result)
    assert {
        "ch_phone",
        "bot_ivr",
        "q_general",
        "q_tier2",
        "g_tier1",
        "g_tier2",
        "out_resolved",
    } <= set(flow.nodes)
    assert flow.bottleneck == "tier2"
    util = flow.nodes["g_tier2"].utilization
    assert util == pytest.approx(result.metric("groups", "tier2", "utilization"), rel=1e-9)
    dot = logic.flow_dot(flow)
    assert dot.startswith("digraph") and "BOTTLENECK: tier2" in dot
    more = supportsim.simulate(logic.scale_headcount(queue, "tier2", 2.0), seed=1)
    assert logic.build_flow(more).bottleneck == "tier1"


def test_flow_of_one_interval(queue: supportsim.Scenario) -> None:
    result = supportsim.simulate(queue, seed=1)
    flow = logic.build_flow(result, interval=20)
    groups = result.intervals[
        (result.intervals["scope"] == "group") & (result.intervals["interval"] == 20)
    ]
    expected = groups.set_index("name")["utilization"]
    assert flow.nodes["g_tier1"].utilization == pytest.approx(expected["tier1"])


def test_bottleneck_is_none_without_staff(queue: supportsim.Scenario) -> None:
    flow = logic.Flow({"g_a": logic.Node("g_a", "group", "a", utilization=math.nan)}, [])
    assert logic.bottleneck(flow) is None


def test_trainer_resimulation_of_one_day(baseline: supportsim.Scenario) -> None:
    """The trainer's slider re-simulates one day (its speed is measured by benchmarks/run.py case 3)."""
    day = logic.one_day(baseline)
    result = supportsim.simulate(logic.scale_headcount(day, "tier2", 1.5), seed=2)
    flow = logic.build_flow(result)
    assert result.scenario.horizon.days == 1
    assert logic.bottleneck(flow) is not None


def test_comparison_cards_and_chart_data(baseline: supportsim.Scenario) -> None:
    variant = logic.with_values(
        logic.scale_headcount(baseline, "tier2", 1.5), {}, name="more tier 2"
    )
    short = [logic.one_day(baseline), logic.one_day(variant)]
    results = [supportsim.simulate(s, seed=1, replications=2) for s in short]
    table = logic.comparison_frame(results)
    specs = logic.card_specs(results[0])
    cards = logic.cards(table, specs, results[1].scenario.name, is_base=False)
    assert len(cards) == 8 and all(c.delta for c in cards)
    assert cards[0].value == logic.fmt(
        results[1].metric("overall", "", "resolution_minutes"), "min"
    )
    assert set(logic.queue_by_time(results)["channel"]) == {"phone", "chat", "email"}
    assert logic.service_level_by_time(results)["service_level"].between(0, 1).all()
    cdf = logic.resolution_cdf(results)
    assert cdf.groupby("scenario")["minutes"].apply(lambda m: m.is_monotonic_increasing).all()
    assert logic.utilization_by_time(results)["utilization"].between(0, 1.0001).all()


@pytest.fixture(scope="module")
def two_day_plan() -> staffing.StaffingPlan:
    """A small plan over two days (Saturday and Sunday) with costs: a few seconds."""
    scenario = supportsim.load_scenario(PLANNING / "three_groups_day.yaml")
    weekend = logic.with_values(scenario, {"horizon.days": 2, "horizon.start_weekday": "sat"})
    return staffing.plan(weekend, seed=0, replications=3)


def test_planning_scenario_is_one_day_or_the_whole_scenario(baseline: supportsim.Scenario) -> None:
    day = logic.planning_scenario(baseline, "wed")
    assert (day.horizon.days, day.horizon.start_weekday) == (1, "wed")
    assert logic.planning_scenario(baseline, None) == baseline


def test_plan_progress_grows_and_leaves_room_for_the_shifts() -> None:
    fractions = [logic.plan_progress(r) for r in range(0, 80)]
    assert fractions[0] == 0
    assert all(b > a for a, b in itertools.pairwise(fractions))
    assert fractions[-1] < 0.9


def test_requirement_by_time(two_day_plan: staffing.StaffingPlan) -> None:
    plan = two_day_plan
    data = logic.requirement_by_time(plan)
    assert set(data["source"]) == set(logic.REQUIREMENT_SERIES.values())
    assert len(data) == len(logic.REQUIREMENT_SERIES) * len(plan.requirement)
    for column, source in logic.REQUIREMENT_SERIES.items():
        shown = data[data["source"] == source]
        assert shown["headcount"].sum() == plan.requirement[column].sum()
    assert data["when"].min().day_name() == "Saturday"
    assert data["when"].max().day_name() == "Sunday"
    interval = pd.Timedelta(minutes=plan.scenario.horizon.interval_minutes)
    assert data["when"].max() - data["when"].min() == pd.Timedelta(days=2) - interval


def test_shifts_table_and_group_summary(two_day_plan: staffing.StaffingPlan) -> None:
    plan = two_day_plan
    table = logic.shifts_table(plan)
    assert len(table) == len(plan.shifts)
    assert table["people"].sum() == plan.shifts["count"].sum()
    assert table["paid hours"].sum() == pytest.approx(plan.paid_hours)
    assert table["cost"].sum() == pytest.approx(plan.cost)
    assert set(table["days"]) <= {"Sat (day 1)", "Sun (day 2)", "Sat (day 1), Sun (day 2)"}
    assert table["start"].str.fullmatch(r"\d\d:\d\d").all()
    assert table["break"].str.fullmatch(r"(\d\d:\d\d–\d\d:\d\d)?").all()
    assert list(dict.fromkeys(table["group"])) == [g.name for g in plan.scenario.groups]

    summary = logic.group_summary(plan).set_index("group")
    hours = plan.scenario.horizon.interval_minutes / 60
    scheduled = plan.requirement.groupby("group")["scheduled_headcount"].sum() * hours
    for group in plan.scenario.groups:
        row = summary.loc[group.name]
        assert row["Scheduled (person-h)"] == pytest.approx(scheduled[group.name])
        assert row["paid hours"] >= row["Scheduled (person-h)"]  # breaks are paid
        assert row["cost"] == pytest.approx(row["paid hours"] * group.cost_per_hour)
    assert summary["paid hours"].sum() == pytest.approx(plan.paid_hours)
    assert logic.shifts_worked(plan) == summary["shifts worked"].sum() >= table["people"].sum()


def test_achieved_table_and_checks(two_day_plan: staffing.StaffingPlan) -> None:
    plan = two_day_plan
    table = logic.achieved_table(plan)
    kpis = plan.achieved[~plan.achieved["metric"].isin(["paid_hours", "agent_cost"])]
    assert len(table) == len(kpis)
    phone = kpis[(kpis["name"] == "phone") & (kpis["metric"] == "service_level")].iloc[0]
    row = table[(table["where"] == "channel phone") & (table["KPI"] == "Service level")].iloc[0]
    assert row["value"] == f"{logic.fmt(phone['mean'], '%')} ± {logic.fmt(phone['ci95'], '%')}"
    assert row["target"] == f"at least {logic.fmt(phone['target'], '%')}"
    assert row["met"] == ("yes" if phone["met"] else "no")
    with_target = table["target"] != ""
    assert set(table.loc[with_target, "met"]) <= {"yes", "no"}
    assert (table.loc[~with_target, "met"] == "").all()
    held, total = logic.checks_held(plan)
    assert total == len(plan.checks) > 0
    assert held == int(plan.checks["met"].sum())


def test_edit_fields_cover_what_managers_change(baseline: supportsim.Scenario) -> None:
    paths = {f.path for f in logic.edit_fields(baseline)}
    assert "channels[0].arrivals.per_day" in paths
    assert "categories[0].escalation[0].probability" in paths
    assert "groups[0].shrinkage" in paths
    assert "groups[0].shifts" in logic.shift_counts(baseline)
