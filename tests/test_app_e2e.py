"""End to end: ``streamlit run app/main.py`` driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from app import comparison
from app.formats import fmt
from playwright import sync_api

import supportsim
from tests import app_numbers

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists():  # the browser tests are part of the suite: never skipped
    pytest.fail(f"{CHROMIUM} is missing: install it (apt install chromium; .ci/run does)", pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "SUPPORTSIM_WORKSPACE": str(tmp_path_factory.mktemp("workspace"))}
    streamlit = Path(sys.executable).parent / "streamlit"
    process = subprocess.Popen(
        [
            str(streamlit),
            "run",
            "app/main.py",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"streamlit did not start:\n{output}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[sync_api.Page]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 800},
        )
        # never leave localhost
        context.route(
            re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/]).*"), lambda route: route.abort()
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        received: list[bytes | str] = []  # what the server sent: the charts' Vega-Lite specs travel in it
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(payload)))
        page.received = received  # type: ignore[attr-defined]
        yield page
        context.close()


def _wait_idle(page: sync_api.Page) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=60_000)


def _open(page: sync_api.Page, server: str, path: str) -> None:
    page.goto(f"{server}/{path}")
    page.wait_for_selector("[data-testid='stMainBlockContainer'] :is(h1, h3)")
    _wait_idle(page)


def test_scenarios_page(page: sync_api.Page, server: str) -> None:
    _open(page, server, "")
    sync_api.expect(page.get_by_role("heading", name="Scenarios")).to_be_visible(timeout=30_000)
    sync_api.expect(page.get_by_text("Save as variant")).to_be_visible(timeout=30_000)
    # the editor's numbers are drawn: a manager sees the phone volume, not placeholders
    volume = page.get_by_role("spinbutton", name="contacts per day").first
    sync_api.expect(volume).to_be_visible(timeout=30_000)
    assert float(volume.input_value()) > 0
    # the first channel's volume of the preselected scenario (the baseline), as in its file
    baseline = supportsim.load_scenario(ROOT / "scenarios" / "helpdesk_baseline.yaml")
    assert float(volume.input_value()) == baseline.channels[0].arrivals.per_day
    _wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "1_scenarios.png"), full_page=True)
    # the structure editor's new fields: a channel's lines and callbacks, shown at today's values
    page.get_by_text(re.compile("^Change the structure")).click()
    _wait_idle(page)
    _choose(page, "What to change", "set a channel's lines and callbacks")
    lines = page.get_by_role("spinbutton", name="Lines (0: no limit)")
    sync_api.expect(lines).to_have_value("0")  # the baseline's phone has no line limit
    sync_api.expect(page.get_by_role("button", name="Set lines and callbacks")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "1_scenarios_structure.png"))


def test_compare_runs_and_shows_numbers(page: sync_api.Page, server: str) -> None:
    _open(page, server, "compare")
    _fill(page, "Replications", "2")  # two paired replications keep the test quick
    _fill(page, "Seed", "3")
    page.get_by_role("button", name="Run comparison").click()
    page.wait_for_selector("[data-testid='stMetric']", timeout=90_000)
    _wait_idle(page)
    metrics = page.locator("[data-testid='stMetricValue']")
    sync_api.expect(metrics).to_have_count(10, timeout=30_000)  # waits: the page may still be drawing
    values = [metrics.nth(i).inner_text() for i in range(metrics.count())]
    assert sum(bool(re.search(r"\d", v)) for v in values) >= 6, values
    assert page.locator("[data-testid='stMetricDelta']").count() >= 6
    # each card shows the library's numbers for the chatbot variant against the baseline
    results = [
        supportsim.simulate(supportsim.load_scenario(ROOT / "scenarios" / name), seed=3, replications=2)
        for name in ("helpdesk_baseline.yaml", "helpdesk_chatbot.yaml")
    ]
    cards = page.locator("[data-testid='stMetric']")
    shown = {}
    for i in range(cards.count()):
        card = cards.nth(i)
        delta = card.locator("[data-testid='stMetricDelta']")
        shown[card.locator("[data-testid='stMetricLabel']").inner_text().strip()] = (
            card.locator("[data-testid='stMetricValue']").inner_text().strip(),
            delta.inner_text().strip() if delta.count() else None,
        )
    expected = {c.label: (c.value, c.delta) for c in app_numbers.compare_cards(results, shown=1)}
    assert {label: value for label, (value, _) in shown.items()} == {
        label: value for label, (value, _) in expected.items()}
    for label, (_, delta) in expected.items():
        assert delta is not None and shown[label][1] is not None and shown[label][1].startswith(delta), (
            label, shown[label], delta)
    page.wait_for_selector(
        "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
    )
    assert page.locator("[data-testid='stVegaLiteChart']").count() >= 1
    sync_api.expect(page.get_by_text("Download results (CSV)")).to_be_visible(timeout=30_000)
    table = _download_csv(page, "Download results (CSV)")
    _verdict_block_agrees_with_the_csv(page, table, results)
    _charts_read_right(page)
    _workbook_holds_the_csv_numbers(page, table)
    _screenshot_whole_page(page, ARTIFACTS / "2_compare.png")
    page.get_by_role("tab", name="Occupancy").click()
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "2_compare_occupancy.png"))


def _download(page: sync_api.Page, label: str) -> bytes:
    _wait_idle(page)  # a download button's click reruns the page: the next click waits for that run
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    path = info.value.path()
    assert path is not None
    return Path(path).read_bytes()


def _download_csv(page: sync_api.Page, label: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(_download(page, label)))


def _verdict_block_agrees_with_the_csv(
    page: sync_api.Page, table: pd.DataFrame, results: list[supportsim.SimulationResult]
) -> None:
    """The verdict names as better (worse) exactly the cards' KPIs the CSV calls better (worse)."""
    block = page.locator(".st-key-cmp_verdicts")
    sync_api.expect(block).to_be_visible()
    text = block.inner_text()
    variant, base = results[1].scenario.name, results[0].scenario.name
    line = next(ln for ln in text.splitlines() if f"{variant} vs {base}: " in ln)
    clauses = {c.rsplit(" ", 1)[1]: c for c in line.split(": ", 1)[1].split("; ") if c.endswith(("better", "worse"))}
    mentioned = 0
    for spec in comparison.card_specs(results[0]):
        verdict = table[(table["kpi"] == spec.kpi.label) & (table["scenario"] == variant)]["verdict"].iloc[0]
        label = spec.label if spec.label[:2].isupper() else spec.label[0].lower() + spec.label[1:]
        for kind in ("better", "worse"):
            assert (f"{label} " in clauses.get(kind, "")) == (verdict == kind), (spec.label, verdict, line)
        mentioned += verdict in ("better", "worse")
    unchanged = len(comparison.card_specs(results[0])) - mentioned
    assert (f"no significant change in {unchanged} KPI" in line) == (unchanged > 0), line


def _vega_lite_specs(page: sync_api.Page) -> list[dict[str, object]]:
    """The Vega-Lite specs the server sent to the page, as the browser received them."""
    specs, decoder = [], json.JSONDecoder()
    for payload in page.received:  # type: ignore[attr-defined]
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        if '"$schema"' not in text:
            continue
        start = text.find('{"')
        while start >= 0:
            try:
                spec, end = decoder.raw_decode(text, start)
            except json.JSONDecodeError:
                end = start + 1
            else:
                if isinstance(spec, dict) and "$schema" in spec:
                    specs.append(spec)
                else:
                    end = start + 1
            start = text.find('{"', end)
    return specs


def _charts_read_right(page: sync_api.Page) -> None:
    """The queue chart: one panel per channel, each with its own y-axis; the service-level
    chart: the target as one horizontal rule per panel (a y position, nothing along x)."""
    specs = _vega_lite_specs(page)
    queue = [s for s in specs if "facet" in s and s.get("spec", {}).get("encoding", {}).get("y", {}).get("field")
             == "mean_waiting"]
    assert queue, "no queue chart received"
    assert queue[-1]["facet"]["field"] == "channel" and queue[-1]["resolve"]["scale"]["y"] == "independent"
    level = [s for s in specs if "facet" in s and "layer" in s.get("spec", {})]
    assert level, "no service-level chart received"
    rules = [layer for layer in level[-1]["spec"]["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1 and set(rules[0]["encoding"]) == {"y"}, rules
    names = queue[-1]["spec"]["encoding"]["color"]
    assert names["legend"]["labelLimit"] == 0  # full scenario names
    assert names["scale"]["range"][0] == "#1f4e79"  # the base keeps its colour


def _workbook_holds_the_csv_numbers(page: sync_api.Page, table: pd.DataFrame) -> None:
    """The .xlsx downloaded from the page opens with openpyxl and holds the CSV's cells."""
    book = openpyxl.load_workbook(io.BytesIO(_download(page, "Download workbook (.xlsx)")))
    assert book.sheetnames[0] == "KPIs"
    rows = list(book["KPIs"].values)
    assert list(rows[0]) == list(table.columns) and len(rows) == len(table) + 1
    for got, want in zip(rows[1:], table.itertuples(index=False), strict=True):
        for a, b in zip(got, want, strict=True):
            if isinstance(b, float) and pd.isna(b):
                assert a is None
            elif isinstance(b, float):
                assert float(a) == pytest.approx(b, rel=1e-15, abs=0)
            else:
                assert str(a) == str(b)


def test_staffing_plans_shifts(page: sync_api.Page, server: str) -> None:
    _open(page, server, "staffing")
    assert page.get_by_role("radio", name="One day").is_checked()  # the default: a plan in seconds
    _choose(page, "Scenario", "Trainer peak helpdesk")  # two groups: a quick plan
    replications = page.get_by_role("spinbutton", name="Replications per candidate staffing")
    replications.fill("3")  # few replications keep the test quick
    replications.press("Tab")
    page.get_by_role("button", name="Plan staffing").click()
    # the module's page may show an earlier plan while this one runs: wait for this one's caption
    sync_api.expect(page.get_by_text("Plan for Trainer peak helpdesk, one Monday · 3 replications")).to_be_visible(
        timeout=240_000)
    page.get_by_role("heading", name="Shifts found").wait_for()
    _wait_idle(page)
    metrics = page.locator("[data-testid='stMetric']")
    sync_api.expect(metrics).to_have_count(4, timeout=30_000)
    paid = metrics.filter(has_text="Paid hours").locator("[data-testid='stMetricValue']").inner_text()
    assert re.fullmatch(r"[\d,]+(\.\d)? h", paid), paid
    # the plan the library makes of the same day, seed and replications
    day = supportsim.one_day(supportsim.load_scenario(ROOT / "scenarios" / "trainer_peak.yaml"), "mon")
    expected = supportsim.plan(day, seed=0, replications=3)
    assert paid == fmt(expected.paid_hours, "h")
    cost = metrics.filter(has_text="Cost").locator("[data-testid='stMetricValue']").inner_text()
    assert cost == fmt(expected.cost, "cost")
    held = metrics.filter(has_text="Interval targets held").locator("[data-testid='stMetricValue']").inner_text()
    assert held == f"{int(expected.checks['met'].sum())} of {len(expected.checks)}"
    sync_api.expect(page.get_by_text("3 replications, seed 0")).to_be_visible(timeout=30_000)
    # the shifts table (a canvas grid; its accessible copy holds the text)
    header = page.locator("[data-testid='stDataFrame'] th[role='columnheader']", has_text="break")
    header.wait_for(state="attached")
    shifts = page.locator("[data-testid='stDataFrame']").filter(
        has=page.locator("th[role='columnheader']", has_text="break")
    )
    headers = [h.strip() for h in shifts.locator("th[role='columnheader']").all_text_contents()]
    assert headers == ["group", "start", "end", "break", "days", "people", "paid hours", "cost"]
    cells = shifts.locator("td[role='gridcell']").all_text_contents()
    assert any(re.fullmatch(r"\d\d:\d\d", c.strip()) for c in cells), cells[:20]
    page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
    # per group: the requirement and the plan minus today
    sync_api.expect(page.locator("[data-testid='stVegaLiteChart']")).to_have_count(4, timeout=30_000)
    sync_api.expect(page.get_by_text("Download shifts (CSV)")).to_be_visible(timeout=30_000)
    sync_api.expect(page.get_by_text("Download requirement (CSV)")).to_be_visible(timeout=30_000)
    deltas = metrics.locator("[data-testid='stMetricDelta']").all_inner_texts()
    assert any(d.strip().endswith("h vs today") for d in deltas), deltas
    for card in metrics.all():  # no card cut off: its value fits its box
        value = card.locator("[data-testid='stMetricValue']")
        assert value.evaluate("v => v.scrollWidth <= v.clientWidth + 1"), value.inner_text()
    page.screenshot(path=str(ARTIFACTS / "3_staffing_top.png"))
    _screenshot_whole_page(page, ARTIFACTS / "3_staffing.png")
    page.get_by_text(re.compile("^Shift rules: shift lengths")).click()
    page.get_by_role("spinbutton", name="Weekly hours at least (h)").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "3_staffing_rules.png"))


def _screenshot_whole_page(page: sync_api.Page, path: Path) -> None:
    """Screenshot every part of the page: Streamlit scrolls inside its own container, so the
    window is made as tall as the content (same width, same layout) for the picture."""
    size = page.viewport_size
    assert size is not None
    height = page.evaluate(
        "() => document.querySelector(\"[data-testid='stMainBlockContainer']\").scrollHeight"
    )
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height) + 200)})
    _wait_idle(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def _choose(page: sync_api.Page, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label``, and check that it took.

    The option list re-renders while it opens, which can drop what was typed into it (and
    Enter then picks the first option): so type, wait for the one option left, press Enter,
    and try again if the box does not show it.
    """
    box = page.get_by_role("combobox", name=label, exact=True)
    for _ in range(3):
        box.click()
        page.keyboard.type(option)
        page.get_by_role("option", name=option, exact=True).wait_for()
        page.keyboard.press("Enter")
        _wait_idle(page)
        if box.input_value() == option:
            return
        page.keyboard.press("Escape")
    sync_api.expect(box).to_have_value(option)


def _fill(page: sync_api.Page, label: str, value: str) -> None:
    box = page.get_by_role("spinbutton", name=label)
    box.fill(value)
    box.press("Tab")


def _bottleneck(page: sync_api.Page) -> str:
    text = page.get_by_text(re.compile(r"^Bottleneck:")).first.inner_text()
    match = re.match(r"Bottleneck: (\S+)", text)
    assert match, text
    return match.group(1)


def _player(page: sync_api.Page) -> sync_api.FrameLocator:
    return page.frame_locator("iframe").first


def _figures(frame: sync_api.FrameLocator) -> dict[str, list[str]]:
    """The lines of text in each box of the diagram shown, by node id."""
    out = {}
    for box in frame.locator("g[data-node]").all():
        out[str(box.get_attribute("data-node"))] = [t.strip() for t in box.locator("text").all_text_contents()]
    return out


def _number(text: str) -> float:
    match = re.search(r"-?[\d,]+(\.\d+)?", text)
    assert match, text
    return float(match.group(0).replace(",", ""))


def test_trainer_plays_the_day_and_its_figures_add_up(page: sync_api.Page, server: str) -> None:
    _open(page, server, "trainer")
    assert _bottleneck(page) == "tier2"  # trainer peak: tier 2 is rostered flat
    frame = _player(page)
    frame.locator("svg[data-frame]").wait_for()
    assert frame.locator("svg").first.get_attribute("data-frame") == "whole day"
    # projector: the diagram's text at least 16 px at 1280x800, below the sliders on one screen
    sizes = frame.locator("svg text").evaluate_all("ts => ts.map(t => t.getBoundingClientRect().height)")
    assert min(sizes) >= 16 * 0.95, min(sizes)
    slider_box = page.locator("[data-testid='stSlider']").first.bounding_box()
    diagram_box = page.locator("iframe").first.bounding_box()
    assert slider_box is not None and diagram_box is not None
    assert slider_box["y"] + slider_box["height"] <= diagram_box["y"] and diagram_box["y"] < 400
    page.screenshot(path=str(ARTIFACTS / "4_trainer.png"))
    scrub = frame.locator("#scrub")
    last = int(str(scrub.get_attribute("max")))
    frame.locator("#play").click()
    page.wait_for_timeout(1500)
    frame.locator("#play").click()  # pause
    shown = int(scrub.input_value())
    assert 5 <= shown < last, shown  # at least 5 frames a second (6 planned) in 1.5 s
    page.wait_for_timeout(600)
    assert int(scrub.input_value()) == shown  # paused: the frame stays
    label = frame.locator("#label").inner_text()
    assert frame.locator("svg").first.get_attribute("data-frame") == label  # the scrubber follows the diagram
    # scrub to 13:00 and check the flow adds up, figure by figure, against the library
    day = supportsim.one_day(supportsim.load_scenario(ROOT / "scenarios" / "trainer_peak.yaml"))
    counts = supportsim.flow_by_interval(supportsim.simulate(day, seed=1, replications=1))
    target = next(k for k in range(last + 1) if _label_at(frame, k).startswith("13:00–"))
    figures = _figures(frame)
    arrived = sum(_number(lines[1]) for node, lines in figures.items() if node.startswith("ch_"))
    ended = sum(_number(lines[1]) for node, lines in figures.items() if node.startswith("out_"))
    now, before = _number(figures["in_system"][1]), _number(figures["in_system"][2])
    row = counts[counts["time"] == "13:00"].iloc[0]
    assert (arrived, ended, now, before) == (
        row["arrived"], row[["resolved", "abandoned", "deflected", "bot_abandoned"]].sum(), row["in_system"],
        row["in_system_before"])
    assert arrived == ended + (now - before)
    assert target > 0
    page.screenshot(path=str(ARTIFACTS / "4_trainer_13h.png"))


def _label_at(frame: sync_api.FrameLocator, k: int) -> str:
    frame.locator("#scrub").fill(str(k))
    return frame.locator("#label").inner_text()


def test_trainer_people_slider_moves_the_bottleneck(page: sync_api.Page, server: str) -> None:
    _open(page, server, "trainer")
    slider = page.locator("[data-testid='stSlider']").filter(has_text="People in that group").get_by_role("slider")
    slider.focus()
    slider.press("End")  # 26 people in tier 2 instead of 13
    _wait_idle(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('p')].some(p => p.innerText.startsWith('Bottleneck: tier1'))"
    )
    sync_api.expect(page.get_by_text(re.compile("tier2: 13 → 26 people")).first).to_be_visible()
    assert "BOTTLENECK" in (_player(page).locator("g[data-node='g_tier1']").text_content() or "")
    page.screenshot(path=str(ARTIFACTS / "4_trainer_more_tier2.png"))


def test_a_saved_variant_survives_a_reload(page: sync_api.Page, server: str) -> None:
    _open(page, server, "")
    name = page.get_by_role("textbox", name="Variant name")
    name.fill("Kept across reloads")
    name.press("Tab")
    page.get_by_role("button", name="Save as variant").click()
    _wait_idle(page)
    sync_api.expect(page.get_by_text("Saved Kept across reloads")).to_be_visible()
    page.reload()
    page.wait_for_selector("[data-testid='stMainBlockContainer'] :is(h1, h3)")
    _wait_idle(page)
    page.get_by_text(re.compile("^Workspace: saved variants")).click()
    sync_api.expect(page.get_by_text("Kept across reloads", exact=True).first).to_be_visible()
    _wait_idle(page)
    page.wait_for_selector("[data-testid='stSkeleton']", state="detached")
    page.screenshot(path=str(ARTIFACTS / "1_scenarios_workspace.png"))


def _forecast_report(path: Path) -> Path:
    """Three weeks of 15-minute rows of one queue, 08:00-18:00 every day (quieter at weekends),
    Monday 6 to Sunday 26 January 2025: the page holds the last week (from Monday 20) out."""
    import numpy as np

    rng = np.random.default_rng(7)
    lines = ["Interval Start,Queue,Calls Offered,AHT"]
    for day in pd.date_range("2025-01-06", periods=21, freq="D"):
        level = 2.0 if day.day_of_week < 5 else 0.8
        for slot in range(32, 72):
            start = day + pd.Timedelta(minutes=15 * slot)
            calls = rng.poisson(level * (1.5 + np.sin(np.pi * (slot - 32) / 40)))
            lines.append(f"{start:%Y-%m-%d %H:%M},phone,{calls},{rng.normal(300, 20):.0f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_forecast_page_makes_a_scenario_that_staffing_plans(
    page: sync_api.Page, server: str, tmp_path: Path
) -> None:
    _open(page, server, "forecast")
    report = _forecast_report(tmp_path / "acd_export.csv")
    page.locator(".st-key-fc_upload input[type='file']").set_input_files(str(report))
    _wait_idle(page)
    sync_api.expect(page.get_by_role("combobox", name="History")).to_have_value("acd_export.csv (interval report)")
    page.wait_for_selector("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
    metrics = page.locator("[data-testid='stMetric']")
    sync_api.expect(metrics).to_have_count(4, timeout=30_000)
    _wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "forecast.png"))
    # the library's forecast of the same file, columns guessed from the header, the last week held out
    columns = supportsim.IntervalColumns(time="Interval Start", volume="Calls Offered", channel="Queue", aht="AHT")
    expected = supportsim.forecast_volume(supportsim.read_interval_report(report, columns, 30), "2025-01-20", 7)
    wape = metrics.filter(has_text="WAPE per interval").locator("[data-testid='stMetricValue']").inner_text()
    assert wape == fmt(expected.accuracy["forecast"]["wape_interval"], "%")  # type: ignore[index]
    table = _download_csv(page, "Download forecast (CSV)")
    assert list(table["volume"]) == list(expected.intervals["volume"])
    book = openpyxl.load_workbook(io.BytesIO(_download(page, "Download workbook (.xlsx)")))
    assert [row[2] for row in list(book["forecast"].values)[1:]] == list(table["volume"])
    # a scenario from it, then Staffing with that scenario chosen, planned for one day
    page.get_by_role("combobox", name="Base scenario").click()
    page.get_by_role("option", name="Single phone queue", exact=True).click()
    _wait_idle(page)
    page.get_by_role("button", name="Make scenario").click()
    _wait_idle(page)
    made = "Single phone queue (forecast from 2025-01-20)"
    sync_api.expect(page.get_by_text(f"Saved {made}")).to_be_visible()
    page.get_by_role("button", name="Plan staffing with it").click()
    page.get_by_role("heading", name="Staffing").wait_for()
    _wait_idle(page)
    sync_api.expect(page.get_by_role("combobox", name="Scenario")).to_have_value(made)
    replications = page.get_by_role("spinbutton", name="Replications per candidate staffing")
    replications.fill("2")
    replications.press("Tab")
    page.get_by_role("button", name="Plan staffing").click()
    # the module's page may still show an earlier test's plan while this one runs: wait for this one
    sync_api.expect(page.get_by_text(f"Plan for {made}")).to_be_visible(timeout=120_000)
    page.get_by_role("heading", name="Shifts found").wait_for()
    _wait_idle(page)
    paid = page.locator("[data-testid='stMetric']").filter(has_text="Paid hours").first
    assert re.fullmatch(r"[\d,]+(\.\d)? h", paid.locator("[data-testid='stMetricValue']").inner_text())
