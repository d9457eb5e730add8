"""The Staffing page's shift rules: the scenario's ``planning:`` section as form values and back.

:func:`form_values` turns a scenario's :class:`supportsim.PlanningRules` into the values the
form shows (tables for the shift lengths and the group caps, clock times, a percentage);
:func:`with_rules` turns the submitted values into a scenario with those rules (through
:func:`supportsim.edited`, validated like a file), or into one plain message per invalid
field. Free of Streamlit; tested in ``tests/test_app_logic.py``.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

import pandas as pd

import supportsim
from supportsim import Scenario, ScenarioError

LABELS = {
    "shift_lengths": "Shift lengths",
    "max_part_time_share": "Part-time share at most (% of paid hours)",
    "start_granularity_minutes": "Shifts start every (min)",
    "earliest_start": "Earliest start",
    "latest_start": "Latest start",
    "break_offsets_minutes": "Break moves (min)",
    "min_weekly_hours": "Weekly hours at least (h)",
    "max_weekly_hours": "Weekly hours at most (h)",
    "days_off_per_week": "Days off a week",
    "consecutive_days_off": "Days off in a row",
    "max_agents": "Most people per group",
    "fte_weekly_hours": "Paid hours of one FTE a week (h)",
    "target_probability": "Days meeting targets (%, 0: mean)",
    "planning": "Shift rules",
}
"""Form label of each ``planning:`` field (the messages name the field by its label)."""

LENGTH_COLUMNS = ["hours", "part-time", "breaks"]
CAP_COLUMNS = ["group", "most people"]
_BREAK = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*min(?:utes)?\s+after\s+(\d+(?:\.\d+)?)\s*h(?:ours?)?\s*$")
BREAKS_HELP = 'Write each break as "15 min after 2 h" (paid, off the queue), separated by commas.'


def _number(x: float) -> str:
    return f"{x:g}"


def breaks_text(breaks: list[Any]) -> str:
    """``15 min after 2 h, 30 min after 4 h`` for a shift length's breaks."""
    return ", ".join(f"{_number(b.minutes)} min after {_number(b.after_hours)} h" for b in breaks)


def parse_breaks(text: object) -> list[dict[str, float]]:
    """The breaks written as in :func:`breaks_text` (blank: none); ValueError if unreadable."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return []
    out = []
    for part in str(text).split(","):
        match = _BREAK.match(part)
        if match is None:
            raise ValueError(f'"{part.strip()}" is not a break: write each break as "15 min after 2 h"')
        out.append({"after_hours": float(match.group(2)), "minutes": float(match.group(1))})
    return out


def _clock(text: str) -> datetime.time:
    hours, minutes = (int(x) for x in text.split(":"))
    return datetime.time(hours % 24, minutes)


def form_values(scenario: Scenario) -> dict[str, Any]:
    """The form's starting values: the scenario's ``planning:`` rules (or the defaults).

    Keys are the ``planning:`` field names; ``shift_lengths`` and ``max_agents`` are tables
    (:data:`LENGTH_COLUMNS`, :data:`CAP_COLUMNS`; a blank cap is no cap), the part-time share
    is in percent, clock times are ``datetime.time``, break moves a text like ``-30, 0, 30``.
    """
    rules = scenario.planning
    lengths = pd.DataFrame(
        [{"hours": s.hours, "part-time": s.part_time, "breaks": breaks_text(s.breaks)} for s in rules.shift_lengths],
        columns=LENGTH_COLUMNS,
    )
    caps = pd.DataFrame(
        {"group": [g.name for g in scenario.groups],
         "most people": pd.array([rules.max_agents.get(g.name) for g in scenario.groups], dtype="Int64")},
        columns=CAP_COLUMNS,
    )
    return {
        "shift_lengths": lengths,
        "max_part_time_share": round(100 * rules.max_part_time_share, 6),
        "start_granularity_minutes": rules.start_granularity_minutes,
        "earliest_start": _clock(rules.earliest_start),
        "latest_start": _clock(rules.latest_start),
        "break_offsets_minutes": ", ".join(str(m) for m in rules.break_offsets_minutes),
        "min_weekly_hours": rules.min_weekly_hours,
        "max_weekly_hours": rules.max_weekly_hours,
        "days_off_per_week": rules.days_off_per_week,
        "consecutive_days_off": rules.consecutive_days_off,
        "max_agents": caps,
        "fte_weekly_hours": rules.fte_weekly_hours,
        "target_probability": round(100 * (getattr(rules, "target_probability", None) or 0.0), 6),
    }


def _lengths(table: pd.DataFrame, errors: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for row, r in enumerate(table.to_dict("records"), start=1):
        hours = r.get("hours")
        if hours is None or pd.isna(hours):
            if all(pd.isna(v) or v in ("", False) for v in r.values()):
                continue  # an empty row the user added and left
            errors.setdefault("shift_lengths", f"row {row}: give the shift's hours")
            continue
        try:
            breaks = parse_breaks(r.get("breaks"))
        except ValueError as exc:
            errors.setdefault("shift_lengths", f"row {row}: {exc}")
            continue
        out.append({"hours": float(hours), "part_time": bool(r.get("part-time") or False), "breaks": breaks})
    if not out and "shift_lengths" not in errors:
        errors["shift_lengths"] = "give at least one shift length"
    return out


def _caps(table: pd.DataFrame, errors: dict[str, str]) -> dict[str, int]:
    caps = {}
    for r in table.to_dict("records"):
        value = r.get("most people")
        if value is None or pd.isna(value):
            continue
        if float(value) != int(value) or value < 0:
            errors.setdefault("max_agents", f"{r['group']}: give a whole number of people, 0 or more")
            continue
        caps[str(r["group"])] = int(value)
    return caps


def _offsets(text: str, errors: dict[str, str]) -> list[int]:
    try:
        return [int(x) for x in str(text).replace(" ", "").split(",") if x != ""]
    except ValueError:
        errors["break_offsets_minutes"] = "write whole minutes separated by commas, e.g. -30, 0, 30"
        return []


def _field(path: str) -> str:
    """The ``planning:`` field a problem's path names (``planning.shift_lengths[1].breaks`` ->
    ``shift_lengths``), or ``""`` for the section as a whole.
    """
    rest = path.removeprefix("planning").lstrip(".")
    return re.split(r"[.\[]", rest, maxsplit=1)[0]


def _row_text(path: str) -> str:
    match = re.match(r"planning\.shift_lengths\[(\d+)\]", path)
    return f"row {int(match.group(1)) + 1}: " if match else ""


def planning_data(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The ``planning:`` section (plain data) of the form's values; problems the form can see
    on its own (unreadable cells, the two pairs of bounds) go into ``errors`` by field.
    """
    data = {
        "shift_lengths": _lengths(values["shift_lengths"], errors),
        "max_part_time_share": float(values["max_part_time_share"]) / 100,
        "start_granularity_minutes": int(values["start_granularity_minutes"]),
        "earliest_start": values["earliest_start"].strftime("%H:%M"),
        "latest_start": values["latest_start"].strftime("%H:%M"),
        "break_offsets_minutes": _offsets(values["break_offsets_minutes"], errors),
        "min_weekly_hours": float(values["min_weekly_hours"]),
        "max_weekly_hours": float(values["max_weekly_hours"]),
        "days_off_per_week": int(values["days_off_per_week"]),
        "consecutive_days_off": bool(values["consecutive_days_off"]),
        "max_agents": _caps(values["max_agents"], errors),
        "fte_weekly_hours": float(values["fte_weekly_hours"]),
    }
    if "target_probability" in values:  # a rule of newer scenarios: percent in the form, 0 is off
        share = float(values["target_probability"]) / 100
        data["target_probability"] = share if share > 0 else None
    if data["min_weekly_hours"] > data["max_weekly_hours"]:
        errors.setdefault("min_weekly_hours",
                          f"must be at most the weekly hours at most ({data['max_weekly_hours']:g} h)")
    if data["earliest_start"] > data["latest_start"]:
        errors.setdefault("earliest_start", f"must be at or before the latest start ({data['latest_start']})")
    return data


def with_rules(scenario: Scenario, values: dict[str, Any]) -> tuple[Scenario | None, dict[str, str]]:
    """``scenario`` planned under the form's rules, and ``{}``; or None and one plain message
    per invalid field (keyed by ``planning:`` field name; :data:`LABELS` has its label).
    """
    errors: dict[str, str] = {}
    data = planning_data(values, errors)
    seen = dict(errors)  # the form's own findings; the library's checks add the other fields

    def change(plain: dict[str, Any]) -> None:
        plain["planning"] = {**plain.get("planning", {}), **data}  # rules the form does not show are kept

    try:
        ruled = supportsim.edited(scenario, change, source=scenario.name)
    except ScenarioError as exc:
        for path, message in exc.problems:
            field = _field(path) or "planning"
            if field == "planning" and {"min_weekly_hours", "earliest_start"} & set(seen):
                continue  # the bounds the form already named
            errors.setdefault(field, _row_text(path) + message)
        return None, errors
    return (None, errors) if errors else (ruled, {})


def error_lines(errors: dict[str, str]) -> list[str]:
    """``Label: message`` per invalid field, in the form's order."""
    order = list(LABELS)
    return [f"{LABELS.get(f, f)}: {m}" for f, m in sorted(errors.items(), key=lambda x: order.index(x[0])
                                                           if x[0] in order else len(order))]
