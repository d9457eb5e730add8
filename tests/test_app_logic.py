"""The app's logic helpers, without Streamlit."""

from __future__ import annotations

import math
import time

import pytest
from app import logic

import supportsim
from supportsim import ScenarioError


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


def test_trainer_resimulation_is_fast(baseline: supportsim.Scenario) -> None:
    day = logic.one_day(baseline)
    started = time.perf_counter()
    result = supportsim.simulate(logic.scale_headcount(day, "tier2", 1.5), seed=2)
    logic.build_flow(result)
    assert time.perf_counter() - started < 2.0  # ~0.15 s on one core; generous for busy CI machines


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


def test_erlang_requirement(baseline: supportsim.Scenario) -> None:
    day = logic.one_day(baseline)
    requirement = logic.erlang_requirement(day)
    assert set(requirement["group"]) == {"tier1", "tier2", "billing_specialists"}
    tier1 = requirement[requirement["group"] == "tier1"].set_index("time")["erlang_agents"]
    assert tier1["03:00"] < tier1["10:00"]  # phones closed at night
    table = logic.staffing_table(requirement, supportsim.simulate(day, seed=1, keep_tickets=False))
    assert {"simulated_staffed", "rostered"} <= set(table.columns)


def test_edit_fields_cover_what_managers_change(baseline: supportsim.Scenario) -> None:
    paths = {f.path for f in logic.edit_fields(baseline)}
    assert "channels[0].arrivals.per_day" in paths
    assert "categories[0].escalation[0].probability" in paths
    assert "groups[0].shrinkage" in paths
    assert "groups[0].shifts" in logic.shift_counts(baseline)
