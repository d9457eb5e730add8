"""The scenario: a support operation described as validated data, read from safe YAML.

``model`` (the pydantic classes), ``distributions`` (duration distributions), ``io`` (files,
``extends:``, CSV tables, errors naming the field), ``profiles`` (arrival rates and agents on
duty over time), ``calendar`` (weekdays, clock times, interval labels), ``edit`` (changed
copies: headcount, automation share, handle time, a surge, one day, values at paths).
"""

from supportsim.scenario.calendar import WEEKDAYS, clock_text
from supportsim.scenario.distributions import Distribution
from supportsim.scenario.edit import (
    add_surge,
    automation_share,
    edited,
    get_path,
    one_day,
    scale_handle_time,
    scale_headcount,
    set_automation_share,
    set_path,
    with_values,
)
from supportsim.scenario.io import (
    ScenarioError,
    load_scenario,
    parse_scenario,
    scenario_from_dict,
    scenario_json_schema,
    scenario_to_yaml,
)
from supportsim.scenario.model import Scenario
from supportsim.scenario.planning_rules import PlanningRules

__all__ = [
    "WEEKDAYS",
    "Distribution",
    "PlanningRules",
    "Scenario",
    "ScenarioError",
    "add_surge",
    "automation_share",
    "clock_text",
    "edited",
    "get_path",
    "load_scenario",
    "one_day",
    "parse_scenario",
    "scale_handle_time",
    "scale_headcount",
    "scenario_from_dict",
    "scenario_json_schema",
    "scenario_to_yaml",
    "set_automation_share",
    "set_path",
    "with_values",
]
