"""The example scenarios in ``scenarios/`` load, run cleanly and tell the story they claim.

Each helpdesk scenario is simulated once (one replication, a fixed seed) and the result is
shared by the tests of this module, so the whole file stays within a few seconds.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import supportsim
from supportsim.planning import analytic
from supportsim.results.simulation import SimulationResult
from supportsim.scenario.calendar import WEEKDAYS
from supportsim.scenario.io import load_scenario
from supportsim.scenario.model import Scenario
from tests.conftest import SCENARIOS

SEED = 7
SCENARIO_FILES = sorted(p for p in SCENARIOS.iterdir() if p.suffix in (".yaml", ".yml"))
HELPDESK_FILES = [p for p in SCENARIO_FILES if p.name.startswith("helpdesk_")]
BASELINE = SCENARIOS / "helpdesk_baseline.yaml"
CHATBOT = SCENARIOS / "helpdesk_chatbot.yaml"
TIER2_HIRE = SCENARIOS / "helpdesk_tier2_hire.yaml"


@cache
def _run(path: Path) -> SimulationResult:
    return supportsim.simulate(load_scenario(path), seed=SEED, replications=1, keep_tickets=False)


def _channel(result: SimulationResult, channel: str, metric: str) -> float:
    return result.metric("channels", channel, metric)


def _dump(scenario: Scenario) -> dict[str, Any]:
    return scenario.model_dump(mode="json", by_alias=True)


def test_the_helpdesk_examples_are_there() -> None:
    assert {BASELINE, CHATBOT, TIER2_HIRE} <= set(HELPDESK_FILES)


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_every_example_scenario_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name


@pytest.mark.parametrize("path", HELPDESK_FILES, ids=lambda p: p.name)
def test_helpdesk_scenario_runs_cleanly_on_every_channel(path: Path) -> None:
    result = _run(path)
    assert result.warnings == []
    for channel in result.scenario.channels:
        assert _channel(result, channel.name, "offered") > 0, channel.name
        assert _channel(result, channel.name, "answered") > 0, channel.name


def test_baseline_is_a_busy_but_working_helpdesk() -> None:
    """The sizing claims of the baseline's header, with generous margins for one replication."""
    result = _run(BASELINE)
    assert 0.65 <= _channel(result, "phone", "service_level") <= 0.97
    assert _channel(result, "phone", "abandon_rate") < 0.10
    assert _channel(result, "email", "service_level") >= 0.9
    for group in result.scenario.groups:
        assert 0.55 <= result.metric("groups", group.name, "utilization") <= 0.92, group.name


def test_chatbot_deflects_chat_and_sends_fewer_chats_to_humans() -> None:
    baseline, chatbot = _run(BASELINE), _run(CHATBOT)
    assert _channel(baseline, "chat", "deflection_rate") == 0
    assert _channel(chatbot, "chat", "deflection_rate") > 0
    assert _channel(chatbot, "email", "deflection_rate") > 0
    # Common random numbers: the same chats arrive in both runs.
    assert _channel(chatbot, "chat", "offered") == _channel(baseline, "chat", "offered")
    assert _channel(chatbot, "chat", "queued") < _channel(baseline, "chat", "queued")
    assert _channel(chatbot, "chat", "answered") < _channel(baseline, "chat", "answered")
    assert chatbot.metric("overall", "", "bot_cost") > 0


def test_tier2_hire_lowers_tier2_utilization() -> None:
    baseline, hire = _run(BASELINE), _run(TIER2_HIRE)
    assert hire.metric("groups", "tier2", "staffed") > baseline.metric("groups", "tier2", "staffed")
    assert hire.metric("groups", "tier2", "utilization") < baseline.metric(
        "groups", "tier2", "utilization"
    )


def test_chatbot_variant_differs_from_the_baseline_only_by_its_automation() -> None:
    baseline, chatbot = _dump(load_scenario(BASELINE)), _dump(load_scenario(CHATBOT))
    assert baseline["automation"] == [] and chatbot["automation"] != []
    ignore = {"name", "description", "automation"}
    assert {k: v for k, v in chatbot.items() if k not in ignore} == {
        k: v for k, v in baseline.items() if k not in ignore
    }


def test_tier2_hire_variant_differs_from_the_baseline_only_by_tier2_shifts() -> None:
    baseline, hire = _dump(load_scenario(BASELINE)), _dump(load_scenario(TIER2_HIRE))
    base_groups = {g["name"]: g for g in baseline["groups"]}
    hire_groups = {g["name"]: g for g in hire["groups"]}
    assert base_groups.keys() == hire_groups.keys()
    for name, group in hire_groups.items():
        if name == "tier2":
            assert {k: v for k, v in group.items() if k != "shifts"} == {
                k: v for k, v in base_groups[name].items() if k != "shifts"
            }
            assert sum(s["count"] for s in group["shifts"]) > sum(
                s["count"] for s in base_groups[name]["shifts"]
            )
        else:
            assert group == base_groups[name], name
    ignore = {"name", "description", "groups"}
    assert {k: v for k, v in hire.items() if k not in ignore} == {
        k: v for k, v in baseline.items() if k not in ignore
    }


# --- checks against values derived from the scenario ----------------------------------------

SINGLE_QUEUE = SCENARIOS / "single_queue.yaml"
Z = 4.0  # normal quantile of the derived tolerances (two-sided about 99.99%)


def _daily(result: SimulationResult, scope: str, name: str) -> Any:
    """The interval table of one channel or group summed per day (one replication)."""
    table = result.intervals
    rows = table[(table["scope"] == scope) & (table["name"] == name)].copy()
    if scope == "channel":
        rows["known"] = rows["answered"] + rows["abandoned"]
        rows["within"] = rows["service_level"].fillna(0) * rows["known"]
    return rows.groupby("day").sum(numeric_only=True)


def _ratio_interval(num: Any, den: Any) -> tuple[float, float]:
    """Σnum/Σden over days (batches) and the half-width of its 99.9% t-interval."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    n = num.size
    ratio = num.sum() / den.sum()
    se = math.sqrt(((num - ratio * den) ** 2).sum() / (n * (n - 1))) / den.mean()
    return float(ratio), float(stats.t.ppf(0.9995, n - 1) * se)


@pytest.mark.parametrize("path", [*HELPDESK_FILES, SINGLE_QUEUE], ids=lambda p: p.name)
def test_every_ticket_is_accounted_for(path: Path) -> None:
    """Conservation: each offered contact is deflected, left in the bot, abandoned, resolved
    or still open at the end, on every channel."""
    result = _run(path)
    for channel in result.scenario.channels:
        m = {k: _channel(result, channel.name, k) for k in (
            "offered", "deflected", "bot_abandoned", "abandoned", "resolved", "open_at_end", "answered", "queued")}
        fates = m["deflected"] + m["bot_abandoned"] + m["abandoned"] + m["resolved"] + m["open_at_end"]
        assert m["offered"] == fates, (channel.name, m)
        assert m["queued"] <= m["offered"] - m["deflected"] - m["bot_abandoned"], (channel.name, m)  # some in the bot
        assert m["answered"] <= m["queued"] - m["abandoned"], (channel.name, m)


@pytest.mark.parametrize("path", HELPDESK_FILES, ids=lambda p: p.name)
def test_realtime_volume_is_what_the_rates_say(path: Path) -> None:
    """Phone and chat (no follow-ups arrive on them) offer per_day × weekday multiplier on each
    measured day: Poisson counts on a day-level factor of mean 1 and sd ``daily_cv``."""
    scenario = load_scenario(path)
    result = _run(path)
    start = WEEKDAYS.index(scenario.horizon.start_weekday)
    days = [WEEKDAYS[(start + d) % 7] for d in range(scenario.horizon.days)]
    follow_up_channels = {k.follow_up.channel for k in scenario.categories if k.follow_up is not None}
    checked = 0
    for channel in scenario.channels:
        if channel.mode != "realtime" or channel.name in follow_up_channels:
            continue
        arrivals = channel.arrivals
        per_day = [arrivals.per_day * arrivals.weekday[d] for d in days]
        mean = sum(per_day)
        variance = mean + sum((arrivals.daily_cv * v) ** 2 for v in per_day)
        offered = _channel(result, channel.name, "offered")
        assert abs(offered - mean) <= Z * math.sqrt(variance), (channel.name, offered, mean)
        checked += 1
    assert checked == 2


@pytest.fixture(scope="module")
def single_queue() -> tuple[SimulationResult, Any]:
    """The single phone queue's month, and Erlang A for its tier 1: an IVR resolves a share
    of the calls (a thinned Poisson stream stays Poisson), the rest meet an M/M/n+M queue."""
    scenario = load_scenario(SINGLE_QUEUE)
    result = supportsim.simulate(scenario, seed=SEED, replications=1, keep_tickets=False)
    channel, category = scenario.channels[0], scenario.categories[0]
    bot_share = scenario.automation[0].resolves[category.name]
    human_per_hour = channel.arrivals.per_hour * (1 - bot_share)
    tier1 = scenario.groups[0].headcount
    exact = analytic.erlang_a(tier1, human_per_hour, category.handle_minutes.mean * 60,
                              channel.patience_seconds.mean, channel.target.answer_within_seconds)
    return result, exact


def test_single_queue_volume_and_ivr_share_follow_the_scenario(single_queue: tuple[SimulationResult, Any]) -> None:
    result, _ = single_queue
    scenario = result.scenario
    hours = scenario.horizon.days * 24
    expected = scenario.channels[0].arrivals.per_hour * hours
    offered = _channel(result, "phone", "offered")
    assert abs(offered - expected) <= Z * math.sqrt(expected)
    share = scenario.automation[0].resolves["general"]
    deflected = _channel(result, "phone", "deflected")
    assert abs(deflected / offered - share) <= Z * math.sqrt(share * (1 - share) / offered)


def test_single_queue_tier1_is_erlang_a(single_queue: tuple[SimulationResult, Any]) -> None:
    """Service level, abandonment and utilization of tier 1 against Erlang A, each within the
    99.9% interval of its 30 daily batches."""
    result, exact = single_queue
    phone, tier1 = _daily(result, "channel", "phone"), _daily(result, "group", "tier1")
    for name, (value, half), target, power in [
        ("service level", _ratio_interval(phone["within"], phone["known"]), exact.service_level, True),
        ("abandon rate", _ratio_interval(phone["abandoned"], phone["known"]), exact.abandon_rate, False),
        ("utilization", _ratio_interval(tier1["busy"], tier1["staffed"]), exact.occupancy, True),
    ]:
        assert abs(value - target) <= half, f"{name}: simulated {value:.4f} ± {half:.4f}, Erlang A {target:.4f}"
        # a 10% error in service level or utilization cannot pass (abandonment is about 1%,
        # so its interval is wide relative to it, but it still bounds it absolutely)
        assert not power or half <= 0.1 * target, f"{name}: too wide to catch a 10% error"
    assert result.metric("groups", "tier1", "utilization") == pytest.approx(
        tier1["busy"].sum() / tier1["staffed"].sum())


def test_single_queue_tier2_utilization_is_its_offered_work(single_queue: tuple[SimulationResult, Any]) -> None:
    """Tier 2 gets the escalated share of tier 1's answered calls: its utilization is that
    work (escalation probability × answered × tier-2 handle time) ÷ its staffed time."""
    result, exact = single_queue
    scenario = result.scenario
    tier = scenario.categories[0].escalation[0]
    human_per_hour = scenario.channels[0].arrivals.per_hour * (1 - scenario.automation[0].resolves["general"])
    answered_per_hour = human_per_hour * (1 - exact.abandon_rate)
    work = tier.probability * answered_per_hour * tier.handle_minutes.mean / 60
    expected = work / scenario.groups[1].headcount
    tier2 = _daily(result, "group", "tier2")
    value, half = _ratio_interval(tier2["busy"], tier2["staffed"])
    assert abs(value - expected) <= half, (value, half, expected)
    assert half <= 0.1 * expected
    escalations = _channel(result, "phone", "escalation_rate")
    assert abs(escalations - tier.probability) <= Z * math.sqrt(
        tier.probability * (1 - tier.probability) / _channel(result, "phone", "answered"))
