"""The scenario: a support operation described as validated data, read from safe YAML.

``model`` (the pydantic classes), ``distributions`` (duration distributions), ``io`` (files,
``extends:``, CSV tables, errors naming the field), ``profiles`` (arrival rates and agents on
duty over time), ``calendar`` (weekdays, clock times, interval labels).
"""

from supportsim.scenario.calendar import WEEKDAYS
from supportsim.scenario.distributions import Distribution
from supportsim.scenario.io import (
    ScenarioError,
    load_scenario,
    parse_scenario,
    scenario_from_dict,
    scenario_json_schema,
    scenario_to_yaml,
)
from supportsim.scenario.model import Scenario

__all__ = [
    "WEEKDAYS",
    "Distribution",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
    "scenario_from_dict",
    "scenario_json_schema",
    "scenario_to_yaml",
]
