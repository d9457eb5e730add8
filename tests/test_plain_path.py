"""The plain path (``engine/plain.py``) gives exactly what the general handlers give.

Every plain scenario below runs twice on the same seed, on the plain path and with
``replication.PLAIN_PATH = False`` (the general handlers, the reference), and every output is
compared exactly: the summary, the interval and group tables, and the per-ticket table
(tickets resolved, waiting and in service at the horizon's end included).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

import supportsim
from supportsim.engine import replication
from supportsim.engine.plain import plain_scenario

ONE_QUEUE = {
    "name": "M/M/c, overloaded at the end",
    "horizon": {"days": 1, "interval_minutes": 30, "warmup_hours": 3},
    "channels": [
        {
            "name": "phone",
            "mode": "realtime",
            "arrivals": {"per_day": 1700, "intraday": [1] * 20 + [3] * 4},
            "target": {"answer_within_seconds": 20, "service_level": 0.8},
        }
    ],
    "categories": [
        {"name": "general", "channels": {"phone": 1.0}, "skill": "general",
         "handle_minutes": {"dist": "exponential", "mean": 6}},
    ],
    "groups": [{"name": "agents", "skills": ["general"], "headcount": 8}],
}  # fmt: skip

SKILLS_AND_SHIFTS = {
    "name": "Two channels, pooled skills, shifts with breaks",
    "horizon": {"days": 2, "interval_minutes": 30, "warmup_hours": 6},
    "channels": [
        {"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 40},
         "target": {"answer_within_seconds": 30, "service_level": 0.8, "formula": "answered_only"}},
        {"name": "chat", "mode": "realtime", "arrivals": {"per_hour": 25}},
    ],
    "categories": [
        {"name": "billing", "channels": {"phone": 0.5, "chat": 0.3}, "skill": "billing",
         "handle_minutes": {"dist": "lognormal", "mean": 7, "cv": 0.8}},
        {"name": "tech", "channels": {"phone": 0.5, "chat": 0.7}, "skill": "tech",
         "handle_minutes": {"dist": "gamma", "mean": 9, "cv": 0.6}},
    ],
    "groups": [
        {"name": "billing_team", "skills": ["billing"], "headcount": 3},
        {"name": "tech_team", "skills": ["tech"], "proficiency": {"tech": 0.9},
         "shifts": [{"start": "00:00", "hours": 9, "count": 4, "break": {"after_hours": 4, "minutes": 30}},
                    {"start": "08:00", "hours": 9, "count": 4, "break": {"after_hours": 4, "minutes": 30}},
                    {"start": "16:00", "hours": 8, "count": 3}]},
        {"name": "generalists", "skills": ["billing", "tech"], "proficiency": {"billing": 1.2}, "headcount": 2},
    ],
}  # fmt: skip


def _both(data: dict[str, Any], seed: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    scenario = supportsim.scenario_from_dict(data)
    assert plain_scenario(scenario, None)
    plain = supportsim.simulate(scenario, seed=seed, replications=2)
    monkeypatch.setattr(replication, "PLAIN_PATH", False)
    general = supportsim.simulate(scenario, seed=seed, replications=2)
    return plain, general


@pytest.mark.parametrize("data", [ONE_QUEUE, SKILLS_AND_SHIFTS], ids=["one_queue", "skills_and_shifts"])
def test_the_plain_path_gives_exactly_what_the_general_handlers_give(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, general = _both(data, 11, monkeypatch)
    assert json.dumps(plain.summary, sort_keys=True) == json.dumps(general.summary, sort_keys=True)
    pd.testing.assert_frame_equal(plain.intervals, general.intervals, check_exact=True)
    pd.testing.assert_frame_equal(plain.groups, general.groups, check_exact=True)
    pd.testing.assert_frame_equal(plain.tickets, general.tickets, check_exact=True)
    # the comparison covers contacts in service and waiting at the end, not only resolved ones
    outcomes = plain.tickets["outcome"].value_counts()
    assert outcomes["resolved"] > 100 and outcomes["open"] > 0
    still = plain.tickets[plain.tickets["outcome"] == "open"]
    assert still["answered"].any() and not still["answered"].all()  # in service, and waiting


@pytest.mark.parametrize(
    "change",
    [
        {"channels": [{**ONE_QUEUE["channels"][0], "patience_seconds": {"dist": "exponential", "mean": 60}}]},
        {"channels": [{**ONE_QUEUE["channels"][0], "lines": 20}]},
        {"channels": [{"name": "phone", "mode": "async", "arrivals": {"per_hour": 60}}]},
        {"channels": [{**ONE_QUEUE["channels"][0], "vip_share": 0.1}]},
        {"routing": {"group_choice": "random_free"}},
    ],
    ids=["patience", "lines", "async", "vip", "random_choice"],
)
def test_scenarios_with_more_than_the_plain_features_take_the_general_path(change: dict[str, Any]) -> None:
    assert not plain_scenario(supportsim.scenario_from_dict({**ONE_QUEUE, **change}), None)
