"""Shared helpers: small scenarios built in code, so each test states its own queue."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from supportsim.scenario.io import scenario_from_dict
from supportsim.scenario.model import Scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SHARED = ROOT.parent / "shared"

# Property tests draw the same examples on every run, so CI is reproducible (seeds are fixed
# elsewhere too); explore more locally with HYPOTHESIS_PROFILE=explore.
settings.register_profile("reproducible", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "reproducible"))


def exp(mean: float) -> dict[str, Any]:
    """An exponential distribution."""
    return {"dist": "exponential", "mean": mean}


def mmc(
    *,
    per_hour: float,
    handle_minutes: float,
    agents: int,
    days: int = 10,
    warmup_hours: float = 12,
    patience_seconds: float | None = None,
    answer_within_seconds: float = 20,
    **extra: Any,
) -> Scenario:
    """An M/M/c (or M/M/c+M with ``patience_seconds``) single-queue scenario."""
    channel: dict[str, Any] = {
        "name": "phone",
        "mode": "realtime",
        "arrivals": {"per_hour": per_hour},
        "target": {"answer_within_seconds": answer_within_seconds, "service_level": 0.8},
    }
    if patience_seconds is not None:
        channel["patience_seconds"] = exp(patience_seconds)
    data: dict[str, Any] = {
        "name": "mmc",
        "horizon": {"days": days, "interval_minutes": 60, "warmup_hours": warmup_hours},
        "channels": [channel],
        "categories": [
            {"name": "general", "channels": {"phone": 1.0}, "skill": "general", "handle_minutes": exp(handle_minutes)}
        ],
        "groups": [{"name": "agents", "skills": ["general"], "headcount": agents}],
    }
    data.update(extra)
    return scenario_from_dict(data)


def with_channel(scenario: Scenario, **changes: Any) -> Scenario:
    """``scenario`` with its first channel's fields replaced (validated again)."""
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    data["channels"][0] |= changes
    return scenario_from_dict(data)


@pytest.fixture
def single_queue() -> Scenario:
    from supportsim import load_scenario

    return load_scenario(SCENARIOS / "single_queue.yaml")
