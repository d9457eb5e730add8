"""The app's pages under Streamlit's AppTest: widgets, numbers that match ``simulate``, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from app import logic, plan_tables
from app.formats import fmt
from streamlit.testing.v1 import AppTest

import supportsim
from tests import app_numbers

MAIN = str(Path(__file__).resolve().parent.parent / "app" / "main.py")
BASELINE = "Helpdesk baseline week"
CHATBOT = "Helpdesk week with chatbot and self-service"


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_scenarios_page_has_the_editor(app: AppTest) -> None:
    assert app.title[0].value == "Scenarios"
    assert app.selectbox(key="sc_selected").value == BASELINE
    labels = {n.label for n in app.number_input}
    assert {
        "contacts per day",
        "mean patience (s)",
        "handle time (min)",
        "shrinkage (0–1)",
    } <= labels
    assert len(app.file_uploader) == 1
    assert any(b.label == "Save as variant" for b in app.button)


def test_saving_a_variant_and_showing_a_field_error(app: AppTest) -> None:
    shrink = next(n for n in app.number_input if n.key.endswith("groups[1].shrinkage"))
    shrink.set_value(1.5)
    next(b for b in app.button if b.label == "Save as variant").click()
    app.run()
    assert not app.exception
    assert any("must be < 1" in e.value for e in app.error)
    shrink = next(n for n in app.number_input if n.key.endswith("groups[1].shrinkage"))
    shrink.set_value(0.1)
    app.text_input[0].set_value("Baseline, less tier-2 shrinkage")
    next(b for b in app.button if b.label == "Save as variant").click()
    app.run()
    assert not app.exception
    assert app.selectbox(key="sc_selected").value == "Baseline, less tier-2 shrinkage"
    saved = logic.scenario_from_yaml(
        app.session_state["library"]["Baseline, less tier-2 shrinkage"]
    )
    assert saved.groups[1].shrinkage == 0.1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name: [unclosed", "not valid YAML"),
        (b"!!python/object/apply:os.system ['echo hi']", "not allowed"),
        (b"name: x\nhorizon: {days: 1}\n", "is required"),
        (b"\xff\xfe\x00binary", "not a text file"),
        (b"a: " + b"x" * 1_000_001, "limited to 1 MB"),
    ],
)
def test_a_broken_upload_shows_an_error_and_no_exception(
    app: AppTest, content: bytes, message: str
) -> None:
    app.file_uploader[0].set_value(("broken.yaml", content, "application/x-yaml"))
    app.run()
    assert not app.exception
    assert any(message in e.value for e in app.error), [e.value for e in app.error]


def test_a_good_upload_joins_the_library(app: AppTest) -> None:
    text = (
        Path(logic.SCENARIO_DIR / "single_queue.yaml")
        .read_text()
        .replace("Single phone queue", "Uploaded queue")
    )
    app.file_uploader[0].set_value(("mine.yaml", text.encode(), "application/x-yaml"))
    app.run()
    assert not app.exception
    assert "Uploaded queue" in app.session_state["library"]


def test_compare_matches_simulate_for_the_same_seed(app: AppTest) -> None:
    at = _open(app, "compare")
    assert at.multiselect(key="cmp_scenarios").value == [BASELINE, CHATBOT]
    at.number_input(key="cmp_reps").set_value(2)
    at.number_input(key="cmp_seed").set_value(3)
    next(b for b in at.button if b.label == "Run comparison").click()
    at.run()
    assert not at.exception
    cards = {m.label: m for m in at.metric}
    assert len(cards) == 8
    results = [
        supportsim.simulate(supportsim.load_scenario(logic.SCENARIO_DIR / name), seed=3, replications=2)
        for name in ("helpdesk_baseline.yaml", "helpdesk_chatbot.yaml")
    ]
    expected = results[1]
    resolution = expected.metric("overall", "", "resolution_minutes")
    assert cards["Resolution time"].value == fmt(resolution, "min")
    sl = expected.metric("overall", "", "service_level_realtime")
    assert cards["Service level (live)"].value == fmt(sl, "%")
    assert all(c.delta for label, c in cards.items())
    # every card: the variant's value, its paired difference from the base, the difference's
    # 95% half-width and the verdict, as the library computes them
    shown = {m.label: (m.value, m.proto.delta or None, m.proto.delta_description, m.proto.help or None)
             for m in at.metric}
    assert shown == {
        c.label: (c.value, c.delta, c.ci, c.help) for c in app_numbers.compare_cards(results, shown=1)
    }
    _compare_charts_show_the_library_numbers(at, results)
    assert any(d.label == "Download results (CSV)" for d in at.get("download_button"))
    # switching pages and back shows the same cards from the cache, without an error
    at = _open(_open(at, "trainer"), "compare")
    assert not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric} == {label: c.value for label, c in cards.items()}
    # the base's cards: its own values, no difference
    at.radio(key="cmp_card_scenario").set_value(BASELINE)
    at.run()
    assert not at.exception
    shown = {m.label: (m.value, m.proto.delta or None) for m in at.metric}
    assert shown == {c.label: (c.value, None) for c in app_numbers.compare_cards(results, shown=0)}


def _chart_data(chart: object) -> pd.DataFrame:
    """The data set of one Altair chart on the page: the chart's own, or its first layer's."""
    proto = chart.proto  # type: ignore[attr-defined]
    spec = json.loads(proto.spec)
    name = (spec.get("data") or spec["layer"][0]["data"])["name"]
    (data,) = [d.data.data for d in proto.datasets if d.name == name]
    return pa.ipc.open_stream(data).read_pandas()


def _compare_charts_show_the_library_numbers(at: AppTest, results: list[supportsim.SimulationResult]) -> None:
    queue, level, cdf, utilization = (_chart_data(c) for c in at.get("vega_lite_chart"))
    app_numbers.same_rows(
        queue, app_numbers.by_time_of_day(results, "channel", "mean_waiting", "channel"),
        ["scenario", "channel", "time"], ["mean_waiting"],
    )
    expected_level = app_numbers.by_time_of_day(results, "channel", "service_level", "channel").dropna(
        subset=["service_level"])
    targets = {c.name: c.target.service_level for c in results[0].scenario.channels if c.target}
    expected_level["target"] = expected_level["channel"].map(targets)
    app_numbers.same_rows(level, expected_level, ["scenario", "channel", "time"], ["service_level", "target"])
    app_numbers.same_rows(cdf, app_numbers.resolution_quantiles(results), ["scenario", "share"], ["minutes"])
    app_numbers.same_rows(
        utilization,
        app_numbers.by_time_of_day(results, "group", "utilization", "group").dropna(subset=["utilization"]),
        ["scenario", "group", "time"], ["utilization"],
    )


def test_compare_refuses_a_single_scenario(app: AppTest) -> None:
    at = _open(app, "compare")
    at.multiselect(key="cmp_scenarios").set_value([BASELINE])
    next(b for b in at.button if b.label == "Run comparison").click()
    at.run()
    assert not at.exception
    assert any("two to four" in e.value for e in at.error)


def test_staffing_page_plans_like_the_library(app: AppTest) -> None:
    at = _open(app, "staffing")
    assert at.selectbox(key="st_scenario").value == BASELINE
    assert at.radio(key="st_horizon").value == "One day"
    assert at.radio(key="st_horizon").options == ["One day", "Whole scenario"]
    assert at.selectbox(key="st_weekday").value == "mon"
    assert any("Plan staffing" in i.value for i in at.info)
    assert not at.metric  # nothing is planned before the button is pressed
    at.number_input(key="st_reps").set_value(3)
    at.number_input(key="st_seed").set_value(2)
    next(b for b in at.button if b.label == "Plan staffing").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]

    day = supportsim.one_day(supportsim.load_scenario(logic.SCENARIO_DIR / "helpdesk_baseline.yaml"), "mon")
    expected = supportsim.plan(day, seed=2, replications=3)
    cards = {m.label: m.value for m in at.metric}
    assert cards["Paid hours"] == fmt(expected.paid_hours, "h")
    assert cards["Cost"] == fmt(expected.cost, "cost")
    held, total = plan_tables.checks_held(expected)
    assert cards["Interval targets held"] == f"{held} of {total}"
    # every card from the plan itself: shifts worked = people on each line × days it works
    worked = int((expected.shifts["count"] * expected.shifts["days"].map(_days_worked)).sum())
    assert cards == {
        "Paid hours": fmt(expected.paid_hours, "h"),
        "Cost": fmt(expected.cost, "cost"),
        "Shifts worked": f"{worked:,}",
        "Interval targets held": f"{int(expected.checks['met'].sum())} of {len(expected.checks)}",
    }
    # one requirement chart per group: Erlang, simulated and scheduled headcount per interval
    requirement = expected.requirement
    for group, chart in zip([g.name for g in expected.scenario.groups], at.get("vega_lite_chart"), strict=True):
        data = _chart_data(chart)
        assert set(data["group"]) == {group}
        rows = requirement[requirement["group"] == group]
        for column, source in [("analytic_headcount", "Erlang"), ("simulated_headcount", "Simulated"),
                               ("scheduled_headcount", "Scheduled")]:
            shown_series = data[data["source"] == source].sort_values("when")
            assert shown_series["headcount"].tolist() == rows[column].tolist(), (group, source)
            assert shown_series["when"].dt.strftime("%H:%M").tolist() == rows["time"].tolist()
    tables = [d.value for d in at.dataframe]
    assert any(t.equals(plan_tables.shifts_table(expected)) for t in tables)
    assert any(t.equals(plan_tables.achieved_table(expected)) for t in tables)
    charts = at.get("vega_lite_chart")
    assert len(charts) == len(expected.scenario.groups)
    downloads = {d.label for d in at.get("download_button")}
    assert downloads == {"Download requirement (CSV)", "Download shifts (CSV)"}

    # the plan is kept: back from another page, it is shown again (from the cache)
    at = _open(_open(at, "compare"), "staffing")
    assert {m.label: m.value for m in at.metric} == cards


def _days_worked(days: object) -> int:
    """Days a shift line works, from the plan's ``days`` cell (a list or a text of day numbers)."""
    if isinstance(days, str):
        return len([d for d in days.replace(",", " ").split() if d])
    return len(list(days))  # type: ignore[call-overload]


def test_trainer_bottleneck_moves_with_staffing(app: AppTest) -> None:
    at = _open(app, "trainer")
    assert at.selectbox(key="tr_scenario").value == "Single phone queue"
    assert any(m.value.startswith("Bottleneck: **tier2**") for m in at.markdown)
    day = supportsim.one_day(supportsim.load_scenario(logic.SCENARIO_DIR / "single_queue.yaml"))
    _trainer_shows_the_library_numbers(at, day, None)
    at.slider(key="tr_staff_Single phone queue_tier2").set_value(200)
    at.run()
    assert not at.exception
    assert any(m.value.startswith("Bottleneck: **tier1**") for m in at.markdown)
    more = supportsim.scale_headcount(day, "tier2", 2.0)
    _trainer_shows_the_library_numbers(at, more, None)
    at.select_slider(key="tr_replay").set_value("12:00")
    at.run()
    assert not at.exception
    assert any("at 12:00" in m.value for m in at.markdown)
    _trainer_shows_the_library_numbers(at, more, "12:00")


def _trainer_shows_the_library_numbers(at: AppTest, scenario: supportsim.Scenario, replay: str | None) -> None:
    """The headline (bottleneck and its utilization, whole day or at ``replay``) and the
    queue chart are the library's flow and mean queue per interval of one replication, seed 1."""
    result = supportsim.simulate(scenario, seed=1, replications=1)
    interval = None
    if replay is not None:
        interval = [supportsim.clock_text(k * scenario.horizon.interval_minutes)
                    for k in range(scenario.horizon.intervals_per_day)].index(replay)
    flow = supportsim.process_flow(result, interval)
    utilization = flow.nodes[f"g_{flow.bottleneck}"].utilization
    headline = f"Bottleneck: **{flow.bottleneck}** (utilization {utilization:.0%})" + (
        "" if replay is None else f" at {replay}")
    assert headline in [m.value for m in at.markdown]
    waiting = supportsim.mean_by_interval(result, "skill", "mean_waiting").rename(columns={"name": "queue"})
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    data = _chart_data(charts[0])
    app_numbers.same_rows(data, waiting, ["queue", "time"], ["mean_waiting"])
