"""The example scenarios in ``scenarios/`` load, run cleanly and tell the story they claim.

Each helpdesk scenario is simulated once (one replication, a fixed seed) and the result is
shared by the tests of this module, so the whole file stays within a few seconds.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

import supportsim
from supportsim.results.simulation import SimulationResult
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
