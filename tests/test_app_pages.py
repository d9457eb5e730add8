"""The app's pages under Streamlit's AppTest: widgets, numbers that match ``simulate``, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from app import compare_staffing, comparison, logic, plan_tables
from app.formats import fmt
from streamlit.proto import Metric_pb2
from streamlit.testing.v1 import AppTest

import supportsim
from tests import app_numbers

MAIN = str(Path(__file__).resolve().parent.parent / "app" / "main.py")
BASELINE = "Helpdesk baseline week"
CHATBOT = "Helpdesk week with chatbot and self-service"


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test saves into its own workspace folder, never the repository's."""
    folder = tmp_path / "workspace"
    monkeypatch.setenv("SUPPORTSIM_WORKSPACE", str(folder))
    return folder


@pytest.fixture
def opened_executors(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The ``workers`` of every executor a staffing plan opens (app/state.py: one per core)."""
    opened: list[int | None] = []
    make_executor = supportsim.planning.staffing_plan.make_executor
    monkeypatch.setattr(supportsim.planning.staffing_plan, "make_executor",
                        lambda workers, dask=None: opened.append(workers) or make_executor(workers, dask))
    return opened


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=240)
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
    next(t for t in app.text_input if t.key.startswith("sc_name_")).set_value("Baseline, less tier-2 shrinkage")
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
    assert len(cards) == 10
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
    _compare_shows_the_verdict_and_colours_only_significant_cards(at, results)
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


def _compare_shows_the_verdict_and_colours_only_significant_cards(
    at: AppTest, results: list[supportsim.SimulationResult]
) -> None:
    table = supportsim.comparison_table(results, comparison.comparison_kpis(results[0]))
    specs = comparison.card_specs(results[0])
    sentence = comparison.verdict_sentence(table, specs, CHATBOT, BASELINE)
    assert any(m.value.endswith(sentence) for m in at.markdown), sentence
    verdicts = {c.label: c.help.removeprefix("Verdict: ") for c in app_numbers.compare_cards(results, shown=1)}
    for metric in at.metric:
        colour = Metric_pb2.Metric.MetricColor.Name(metric.proto.color)
        assert (colour == "GRAY") == (verdicts[metric.label] not in ("better", "worse")), (metric.label, colour)
    specs_json = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    queue, level = specs_json[0], specs_json[1]
    assert queue["resolve"]["scale"]["y"] == "independent" and queue["facet"]["field"] == "channel"
    rule = next(layer for layer in level["spec"]["layer"] if layer["mark"]["type"] == "rule")
    assert set(rule["encoding"]) == {"y"}  # one horizontal line per panel, nothing along x


def _chart_data(chart: object) -> pd.DataFrame:
    """The data set of one Altair chart on the page: the chart's own, or its first layer's."""
    proto = chart.proto  # type: ignore[attr-defined]
    spec = json.loads(proto.spec)
    name = (spec.get("data") or spec["layer"][0]["data"])["name"]
    (data,) = [d.data.data for d in proto.datasets if d.name == name]
    return pa.ipc.open_stream(data).read_pandas()


def _compare_charts_show_the_library_numbers(at: AppTest, results: list[supportsim.SimulationResult]) -> None:
    queue, level, cdf, occupancy = (_chart_data(c) for c in at.get("vega_lite_chart"))
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
        occupancy,
        app_numbers.by_time_of_day(results, "group", "occupancy", "group").dropna(subset=["occupancy"]),
        ["scenario", "group", "time"], ["occupancy"],
    )


def test_compare_refuses_a_single_scenario(app: AppTest) -> None:
    at = _open(app, "compare")
    at.multiselect(key="cmp_scenarios").set_value([BASELINE])
    next(b for b in at.button if b.label == "Run comparison").click()
    at.run()
    assert not at.exception
    assert any("two to four" in e.value for e in at.error)


def test_staffing_page_plans_like_the_library(app: AppTest, opened_executors: list[int | None]) -> None:
    at = _open(app, "staffing")
    assert at.selectbox(key="st_scenario").value == BASELINE
    assert at.radio(key="st_horizon").value == "One day"
    assert at.radio(key="st_horizon").options == ["One day", "Whole scenario"]
    assert at.selectbox(key="st_weekday").value == "mon"
    assert any("Plan staffing" in i.value for i in at.info)
    assert not at.metric  # nothing is planned before the button is pressed
    at.selectbox(key="st_scenario").set_value("Trainer peak helpdesk")  # a quick plan
    at.run()
    rule = next(n for n in at.number_input if n.key.endswith("_pt"))  # the shift rules start at the scenario's
    assert (rule.label, rule.value) == ("Part-time share at most (% of paid hours)", 30.0)
    rule.set_value(0.0)  # no part-time shifts in this plan
    at.number_input(key="st_reps").set_value(3)
    at.number_input(key="st_seed").set_value(2)
    next(b for b in at.button if b.label == "Plan staffing").click()
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert opened_executors == [os.cpu_count() or 1]

    peak = supportsim.load_scenario(logic.SCENARIO_DIR / "trainer_peak.yaml")
    day = supportsim.one_day(supportsim.with_values(peak, {"planning.max_part_time_share": 0.0}), "mon")
    expected = supportsim.plan(day, seed=2, replications=3)
    assert not expected.shifts.empty and not any("part" in str(c) for c in expected.agents["contract"].unique())
    cards = {m.label: m.value for m in at.metric}
    held, total = plan_tables.checks_held(expected)
    # plan vs today, the misses (in their units) and the weekly roster, as the library made them
    frames = {tuple(f.value.columns): f.value for f in at.dataframe}
    versus = plan_tables.versus_today(expected)
    pd.testing.assert_frame_equal(frames[tuple(versus.columns)].reset_index(drop=True), versus)
    assert versus.loc[1, "paid hours a week"] == expected.current.paid_hours
    misses = plan_tables.misses_table(expected)
    pd.testing.assert_frame_equal(frames[tuple(misses.columns)].reset_index(drop=True), misses)
    pd.testing.assert_frame_equal(frames[tuple(expected.agents.columns)].reset_index(drop=True),
                                  expected.agents.reset_index(drop=True))
    # every card from the plan itself: shifts worked = people on each line × days it works
    worked = int((expected.shifts["count"] * expected.shifts["days"].map(_days_worked)).sum())
    assert cards == {
        "Paid hours a week": fmt(expected.paid_hours, "h"),
        "Cost a week": fmt(expected.cost, "cost"),
        "Shifts worked": f"{worked:,}",
        "Interval targets held": f"{held} of {total}",
    }
    today = expected.current
    deltas = {m.label: m.proto.delta for m in at.metric}
    assert deltas == {
        "Paid hours a week": f"{fmt(expected.paid_hours - today.paid_hours, 'h', signed=True)} vs today",
        "Cost a week": f"{fmt(expected.cost - today.cost, 'cost', signed=True)} vs today",
        "Shifts worked": "",
        "Interval targets held": f"{held - today.targets_met:+d} vs today",
    }
    # per group: the requirement (Erlang, simulated, scheduled) and the plan minus today, per interval
    requirement = expected.requirement
    groups = [g.name for g in expected.scenario.groups]
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2 * len(groups)
    for group, chart in zip(groups, charts[: len(groups)], strict=True):
        data = _chart_data(chart)
        assert set(data["group"]) == {group}
        rows = requirement[requirement["group"] == group]
        for column, source in [("analytic_headcount", "Erlang"), ("simulated_headcount", "Simulated"),
                               ("scheduled_headcount", "Scheduled")]:
            shown_series = data[data["source"] == source].sort_values("when")
            assert shown_series["headcount"].tolist() == rows[column].tolist(), (group, source)
            assert shown_series["when"].dt.strftime("%H:%M").tolist() == rows["time"].tolist()
    for group, chart in zip(groups, charts[len(groups):], strict=True):
        data = _chart_data(chart).sort_values("when")
        rows = requirement[requirement["group"] == group]
        assert data["gap"].tolist() == (rows["scheduled_headcount"] - rows["current_headcount"]).tolist()
        assert set(data["change"]) <= {"more than today", "fewer than today"}
        assert ((data["gap"] < 0) == (data["change"] == "fewer than today")).all()
    tables = [d.value for d in at.dataframe]
    assert any(t.equals(plan_tables.shifts_table(expected)) for t in tables)
    assert any(t.equals(plan_tables.achieved_table(expected)) for t in tables)
    downloads = {d.label for d in at.get("download_button")}
    assert downloads == {"Download requirement (CSV)", "Download shifts (CSV)", "Download plan (.xlsx)",
                         "Download charts (PNG, zip)"}

    # the plan is kept: back from another page, it is shown again (from the cache), same scenario chosen
    at = _open(_open(at, "compare"), "staffing")
    assert {m.label: m.value for m in at.metric} == cards
    assert at.selectbox(key="st_scenario").value == "Trainer peak helpdesk"


def test_staffing_shift_rules_say_what_is_wrong_field_by_field(app: AppTest) -> None:
    at = _open(app, "staffing")
    next(n for n in at.number_input if n.key.endswith("_minw")).set_value(45.0)  # above the 40 h at most
    next(n for n in at.number_input if n.key.endswith("_gran")).set_value(20)  # not a multiple of 15
    next(b for b in at.button if b.label == "Plan staffing").click()
    at.run()
    assert not at.exception
    (error,) = at.error
    assert [line for line in error.value.splitlines()[1:] if line] == [
        "- Shifts start every (min): must be a multiple of 15 minutes",
        "- Weekly hours at least (h): must be at most the weekly hours at most (40 h)",
    ]
    assert not at.metric  # nothing planned


def test_another_page_can_preselect_a_scenario_just_saved(app: AppTest, workspace: Path) -> None:
    from app import workspace as folder

    at = _open(app, "staffing")  # the library is read
    peak = supportsim.load_scenario(logic.SCENARIO_DIR / "trainer_peak.yaml")
    fresh = supportsim.with_values(peak, {}, name="Next week from a forecast")
    folder.save_scenario(fresh.name, logic.canonical_yaml(fresh))  # saved after the library was read
    at = _open(at, "compare")
    at.session_state["st_scenario"] = fresh.name  # what the forecast page does before switching
    at = _open(at, "staffing")
    assert at.selectbox(key="st_scenario").value == fresh.name
    assert fresh.name in at.session_state["library"]
    at.session_state["st_scenario"] = "Trainer peak helpdesk"  # an example
    at = _open(at, "staffing")
    assert at.selectbox(key="st_scenario").value == "Trainer peak helpdesk"


def _days_worked(days: object) -> int:
    """Days a shift line works, from the plan's ``days`` cell (a list or a text of day numbers)."""
    if isinstance(days, str):
        return len([d for d in days.replace(",", " ").split() if d])
    return len(list(days))  # type: ignore[call-overload]


def _player(at: AppTest) -> str:
    """The trainer's player page (an HTML component holding every frame)."""
    (frame,) = [e for e in at.main if getattr(e, "type", "") == "iframe"] or [
        e for e in at.get("iframe")]
    return frame.proto.srcdoc  # type: ignore[no-any-return]


def test_trainer_opens_on_the_trainer_scenario_and_moves_the_bottleneck(app: AppTest) -> None:
    at = _open(app, "trainer")
    assert at.selectbox(key="tr_scenario").value == "Trainer peak helpdesk"
    assert any(m.value.startswith("Bottleneck: **tier2**") for m in at.markdown)
    at.selectbox(key="tr_scenario").set_value("Single phone queue")
    at.run()
    assert not at.exception
    day = supportsim.one_day(supportsim.load_scenario(logic.SCENARIO_DIR / "single_queue.yaml"))
    _trainer_shows_the_library_numbers(at, day)
    slider = at.slider(key="tr_people_Single phone queue_tier2")
    assert slider.value == 5  # today's tier-2 headcount, in people
    slider.set_value(10)
    at.run()
    assert not at.exception
    assert any(m.value.startswith("Bottleneck: **tier1**") for m in at.markdown)
    assert any("tier2: 5 → 10 people" in c.value for c in at.caption)
    more = supportsim.with_values(day, {"groups[1].headcount": 10})
    _trainer_shows_the_library_numbers(at, more)


def _trainer_shows_the_library_numbers(at: AppTest, scenario: supportsim.Scenario) -> None:
    """The headline (bottleneck and its occupancy), every frame of the player (whole day and
    each interval, with the flow adding up) and the queue chart: the library's numbers for one
    replication, seed 1."""
    result = supportsim.simulate(scenario, seed=1, replications=1)
    flow = supportsim.process_flow(result)
    occupancy = flow.nodes[f"g_{flow.bottleneck}"].occupancy
    headline = f"Bottleneck: **{flow.bottleneck}** (occupancy {occupancy:.0%}) over the whole day"
    assert headline in [m.value for m in at.markdown]
    page = _player(at)
    counts = supportsim.flow_by_interval(result)
    frames = json.loads(page.split("const frames = ", 1)[1].split(";\n", 1)[0])
    labels = json.loads(page.split("const labels = ", 1)[1].split(";\n", 1)[0])
    assert labels[0] == "whole day" and len(frames) == len(labels)
    assert f">{counts['arrived'].sum():,.0f} arrived<" in frames[0]
    for label, svg in zip(labels[1:], frames[1:], strict=True):
        row = counts[counts["time"] == label[:5]].iloc[0]
        assert f">{row['arrived']:,.0f} arrived<" in svg, label
        assert f">{row['in_system']:,.0f} at the end<" in svg, label
    waiting = supportsim.mean_by_interval(result, "skill", "mean_waiting").rename(columns={"name": "queue"})
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    data = _chart_data(charts[0])
    app_numbers.same_rows(data, waiting, ["queue", "time"], ["mean_waiting"])


def test_a_saved_variant_survives_a_restart_and_can_be_deleted(app: AppTest, workspace: Path) -> None:
    shrink = next(n for n in app.number_input if n.key.endswith("groups[1].shrinkage"))
    shrink.set_value(0.1)
    next(t for t in app.text_input if t.key.startswith("sc_name_")).set_value("Kept variant")
    next(b for b in app.button if b.label == "Save as variant").click()
    app.run()
    assert not app.exception
    assert len(list((workspace / "scenarios").glob("*.yaml"))) == 1
    again = AppTest.from_file(MAIN, default_timeout=240)  # a new session: a reload or a restart
    again.run()
    assert "Kept variant" in again.session_state["library"]
    assert supportsim.parse_scenario(again.session_state["library"]["Kept variant"]).groups[1].shrinkage == 0.1
    next(b for b in again.button if b.key == "ws_del_Kept variant").click()
    again.run()
    assert not again.exception
    assert "Kept variant" not in again.session_state["library"]
    assert not list((workspace / "scenarios").glob("*.yaml"))


def test_the_editor_adds_a_bot_as_a_new_variant(app: AppTest) -> None:
    app.selectbox(key=next(s.key for s in app.selectbox if s.key.endswith("_action"))).set_value(
        "add a bot on a channel")
    app.run()
    channel = next(s for s in app.selectbox if s.key.endswith("_channel"))
    channel.set_value("chat")
    next(t for t in app.text_input if t.key.endswith("_name") and t.key.startswith("sc_struct")).set_value("With a bot")
    app.run()
    next(b for b in app.button if b.label == "Add a bot on a channel").click()
    app.run()
    assert not app.exception, app.exception
    assert app.selectbox(key="sc_selected").value == "With a bot"
    saved = logic.scenario_from_yaml(app.session_state["library"]["With a bot"])
    assert [a.channels for a in saved.automation] == [["chat"]]
    assert supportsim.automation_share(saved, "chat") == pytest.approx(0.2)


def test_compare_plans_staffing_needs_like_the_library(app: AppTest, opened_executors: list[int | None]) -> None:
    at = _open(app, "compare")
    at.multiselect(key="cmp_scenarios").set_value(["Trainer peak helpdesk", "Trainer peak helpdesk, tier 2 re-shifted"])
    at.number_input(key="cmp_reps").set_value(2)
    next(b for b in at.button if b.label == "Run comparison").click()
    at.run()
    assert not at.exception
    at.number_input(key="cmp_st_reps").set_value(2)
    at.number_input(key="cmp_st_seed").set_value(4)
    next(b for b in at.button if b.label == "Plan staffing needs").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert opened_executors == [os.cpu_count() or 1] * 2  # one a plan
    scenarios = [supportsim.one_day(supportsim.load_scenario(logic.SCENARIO_DIR / f), "mon")
                 for f in ("trainer_peak.yaml", "trainer_peak_reshift.yaml")]
    expected = compare_staffing.summary_table(supportsim.staffing_needs(scenarios, seed=4, replications=2))
    (shown,) = [d.value for d in at.dataframe if list(d.value.columns) == list(expected.columns)]
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected, check_dtype=False)
    assert any(d.label == "Download staffing needs (.xlsx)" for d in at.get("download_button"))


def test_the_editor_sets_lines_callbacks_and_the_group_choice(app: AppTest) -> None:
    action = next(s.key for s in app.selectbox if s.key.endswith("_action"))
    app.selectbox(key=action).set_value("set a channel's lines and callbacks")
    app.run()
    next(s for s in app.selectbox if s.key.endswith("_channel")).set_value("phone")
    app.run()
    boxes = {n.label: n for n in app.number_input if n.key.startswith("sc_struct")}
    assert boxes["Lines (0: no limit)"].value == 0 and boxes["Callback share, abandoned"].value == 0
    boxes["Lines (0: no limit)"].set_value(40)
    boxes["Callback share, abandoned"].set_value(0.5)
    boxes["Callback delay (min)"].set_value(10.0)
    next(t for t in app.text_input if t.key.endswith("_name") and t.key.startswith("sc_struct")).set_value("Callbacks")
    next(b for b in app.button if b.label == "Set lines and callbacks").click()
    app.run()
    assert not app.exception, app.exception
    assert app.selectbox(key="sc_selected").value == "Callbacks"
    phone = logic.scenario_from_yaml(app.session_state["library"]["Callbacks"]).channel("phone")
    assert phone.lines == 40 and phone.retrial is not None
    assert (phone.retrial.probability, phone.retrial.delay_minutes.mean) == (0.5, 10.0)
    # callbacks on an email channel: refused, with the channel and the reason named
    action = next(s.key for s in app.selectbox if s.key.endswith("_action"))
    app.selectbox(key=action).set_value("set a channel's lines and callbacks")
    app.run()
    next(s for s in app.selectbox if s.key.endswith("_channel")).set_value("email")
    app.run()
    next(n for n in app.number_input if n.label == "Callback share, abandoned").set_value(0.3)
    next(b for b in app.button if b.label == "Set lines and callbacks").click()
    app.run()
    assert not app.exception
    assert [e.value for e in app.error] == [
        "Not saved: channel email: async channels have no retrial (their customers do not abandon)"]
    # the router's group choice
    app.selectbox(key=action).set_value("set how the router picks a group")
    app.run()
    next(s for s in app.selectbox if s.key.endswith("_choice")).set_value("longest_idle")
    next(t for t in app.text_input if t.key.endswith("_name") and t.key.startswith("sc_struct")).set_value("Idle first")
    next(b for b in app.button if b.label == "Set the group choice").click()
    app.run()
    assert not app.exception
    assert logic.scenario_from_yaml(app.session_state["library"]["Idle first"]).routing.group_choice == "longest_idle"
