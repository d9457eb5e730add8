"""End to end: ``streamlit run app/main.py`` driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
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
def server() -> Iterator[str]:
    port = _free_port()
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
        yield page
        context.close()


def _wait_idle(page: sync_api.Page) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_timeout(300)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=60_000)


def _open(page: sync_api.Page, server: str, path: str) -> None:
    page.goto(f"{server}/{path}")
    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1")
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


def test_compare_runs_and_shows_numbers(page: sync_api.Page, server: str) -> None:
    _open(page, server, "compare")
    _fill(page, "Replications", "2")  # two paired replications keep the test quick
    _fill(page, "Seed", "3")
    page.get_by_role("button", name="Run comparison").click()
    page.wait_for_selector("[data-testid='stMetric']", timeout=90_000)
    _wait_idle(page)
    metrics = page.locator("[data-testid='stMetricValue']")
    sync_api.expect(metrics).to_have_count(8, timeout=30_000)  # waits: the page may still be drawing
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
    page.screenshot(path=str(ARTIFACTS / "2_compare.png"), full_page=True)


def test_staffing_plans_shifts(page: sync_api.Page, server: str) -> None:
    _open(page, server, "staffing")
    assert page.get_by_role("radio", name="One day").is_checked()  # the default: a plan in seconds
    replications = page.get_by_role("spinbutton", name="Replications per candidate staffing")
    replications.fill("3")  # few replications keep the test quick
    replications.press("Tab")
    page.get_by_role("button", name="Plan staffing").click()
    page.get_by_role("heading", name="Shifts found").wait_for(timeout=90_000)
    _wait_idle(page)
    metrics = page.locator("[data-testid='stMetric']")
    sync_api.expect(metrics).to_have_count(4, timeout=30_000)
    paid = metrics.filter(has_text="Paid hours").locator("[data-testid='stMetricValue']").inner_text()
    assert re.fullmatch(r"[\d,]+\.\d h", paid), paid
    # the plan the library makes of the same day, seed and replications
    day = supportsim.one_day(supportsim.load_scenario(ROOT / "scenarios" / "helpdesk_baseline.yaml"), "mon")
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
    sync_api.expect(page.locator("[data-testid='stVegaLiteChart']")).to_have_count(3, timeout=30_000)  # one per group
    sync_api.expect(page.get_by_text("Download shifts (CSV)")).to_be_visible(timeout=30_000)
    sync_api.expect(page.get_by_text("Download requirement (CSV)")).to_be_visible(timeout=30_000)
    _screenshot_whole_page(page, ARTIFACTS / "3_staffing.png")


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


def _fill(page: sync_api.Page, label: str, value: str) -> None:
    box = page.get_by_role("spinbutton", name=label)
    box.fill(value)
    box.press("Tab")


def _bottleneck(page: sync_api.Page) -> str:
    text = page.get_by_text(re.compile(r"^Bottleneck:")).first.inner_text()
    match = re.match(r"Bottleneck: (\S+)", text)
    assert match, text
    return match.group(1)


def test_trainer_slider_moves_the_bottleneck(page: sync_api.Page, server: str) -> None:
    _open(page, server, "trainer")
    page.wait_for_selector("[data-testid='stGraphVizChart'] svg")
    assert _bottleneck(page) == "tier2"  # single phone queue: 5 tier-2 specialists at ~70%
    day = supportsim.one_day(supportsim.load_scenario(ROOT / "scenarios" / "single_queue.yaml"))
    flow = supportsim.process_flow(supportsim.simulate(day, seed=1, replications=1))
    text = page.get_by_text(re.compile(r"^Bottleneck:")).first.inner_text()
    assert text == f"Bottleneck: {flow.bottleneck} (utilization {flow.nodes['g_tier2'].utilization:.0%})"
    page.screenshot(path=str(ARTIFACTS / "4_trainer.png"), full_page=True)
    slider = (
        page.locator("[data-testid='stSlider']")
        .filter(has_text="Staffing of that group")
        .get_by_role("slider")
    )  # the group preselected is tier2
    slider.focus()
    slider.press("End")  # 200% of today's tier-2 staffing
    _wait_idle(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('p')]"
        ".some(p => p.innerText.startsWith('Bottleneck: tier1'))"
    )
    assert _bottleneck(page) == "tier1"
    svg = page.locator("[data-testid='stGraphVizChart'] svg").inner_html()
    assert "BOTTLENECK: tier1" in svg
    page.screenshot(path=str(ARTIFACTS / "4_trainer_more_tier2.png"), full_page=True)
