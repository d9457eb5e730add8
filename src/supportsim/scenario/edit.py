"""Scenario edits: a changed copy of a scenario, validated again like a file.

Every edit goes through :func:`edited`: the scenario as plain data (what its YAML would
say), changed in place by a function, then validated, so an edit can never produce a
scenario that a file could not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from supportsim.scenario.io import scenario_from_dict
from supportsim.scenario.model import Scenario


def edited(
    scenario: Scenario, change: Callable[[dict[str, Any]], None], *, source: str = "<edited scenario>"
) -> Scenario:
    """``scenario`` with ``change(data)`` applied to its plain data, validated again.

    Raises:
        ScenarioError: the changed scenario is invalid; ``source`` names it in the message.
    """
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    change(data)
    return scenario_from_dict(data, source=source)
