"""Staffing needs side by side: the planner run on every scenario with the same seeds.

The question a manager asks of a change ("how many people does the chatbot save?"): each
scenario is planned alone by :func:`supportsim.plan` with the same seed and replications,
and the requirement, paid hours, FTE and cost are set beside the base's (the first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from supportsim.planning import StaffingPlan, plan
from supportsim.scenario.model import Scenario


def fte_hours_per_day(scenario: Scenario) -> float:
    """Paid hours of one full-time equivalent per working day, from the scenario's ``planning:``
    rules: ``fte_weekly_hours`` over the days worked a week (8 h with the defaults, 40 h and 2 days off).
    """
    rules = scenario.planning
    return rules.fte_weekly_hours / (7 - rules.days_off_per_week)


@dataclass
class StaffingNeeds:
    """The plans of several scenarios (the first is the base) and their comparison.

    ``summary``: one row per scenario and group, then one ``all groups`` row per scenario:
    ``scenario``, ``group``, ``peak_headcount`` (people, the simulated requirement's busiest
    interval), ``required_person_hours`` (the simulated requirement, person-hours),
    ``paid_hours`` (h) and ``cost`` (currency) of the shifts on the plan's own days (the
    planner's roster week repeats a shorter plan's days; only the plan's days count here),
    ``fte`` (those paid hours ÷ :func:`fte_hours_per_day` per plan day), and
    the same five as ``*_vs_base`` differences from the base (0 for the base).
    ``by_interval``: ``scenario``, ``group``, ``day``, ``time``, ``simulated_headcount`` and
    ``scheduled_headcount`` (people), ``simulated_vs_base`` (people).
    """

    plans: list[StaffingPlan]
    summary: pd.DataFrame
    by_interval: pd.DataFrame


_NUMBERS = ["peak_headcount", "required_person_hours", "paid_hours", "fte", "cost"]


def _summary_rows(p: StaffingPlan) -> list[dict[str, object]]:
    hours = p.scenario.horizon.interval_minutes / 60
    days = p.scenario.horizon.days
    fte_hours = fte_hours_per_day(p.scenario) * days
    req = p.requirement
    planned = p.shifts[p.shifts["day"] <= days]  # roster days beyond the plan repeat its days
    rows: list[dict[str, object]] = []
    for group in [g.name for g in p.scenario.groups]:
        mine = req[req["group"] == group]
        shifts = planned[planned["group"] == group]
        paid = float(shifts["paid_hours"].sum())
        rows.append({
            "scenario": p.scenario.name,
            "group": group,
            "peak_headcount": int(mine["simulated_headcount"].max()) if len(mine) else 0,
            "required_person_hours": float(mine["simulated_headcount"].sum() * hours),
            "paid_hours": paid,
            "fte": paid / fte_hours,
            "cost": float(shifts["cost"].sum()),
        })
    per_interval = req.groupby(["day", "time"], sort=False)["simulated_headcount"].sum()
    rows.append({
        "scenario": p.scenario.name,
        "group": "all groups",
        "peak_headcount": int(per_interval.max()) if len(per_interval) else 0,
        "required_person_hours": float(req["simulated_headcount"].sum() * hours),
        "paid_hours": float(planned["paid_hours"].sum()),
        "fte": float(planned["paid_hours"].sum()) / fte_hours,
        "cost": float(planned["cost"].sum()),
    })
    return rows


def staffing_needs(
    scenarios: list[Scenario],
    *,
    seed: int = 0,
    replications: int = 10,
    workers: int = 1,
    progress: Callable[[int, str], None] | None = None,
) -> StaffingNeeds:
    """Plan every scenario with :func:`supportsim.plan` (same ``seed`` and ``replications``)
    and compare each with the first. ``progress(k, message)`` is called before plan ``k``.
    """
    if not scenarios:
        raise ValueError("staffing needs: give at least one scenario")
    plans = []
    for k, scenario in enumerate(scenarios):
        if progress is not None:
            progress(k, f"planning {scenario.name} ({k + 1} of {len(scenarios)})")
        plans.append(plan(scenario, seed=seed, replications=replications, workers=workers))
    summary = pd.DataFrame([row for p in plans for row in _summary_rows(p)])
    base = summary[summary["scenario"] == plans[0].scenario.name].set_index("group")[_NUMBERS]
    for column in _NUMBERS:
        summary[f"{column}_vs_base"] = summary[column] - summary["group"].map(base[column])
    frames = []
    base_req = plans[0].requirement.set_index(["group", "day", "time"])["simulated_headcount"]
    for p in plans:
        req = p.requirement[["group", "day", "time", "simulated_headcount", "scheduled_headcount"]]
        keys = pd.MultiIndex.from_frame(req[["group", "day", "time"]])
        frames.append(req.assign(
            scenario=p.scenario.name,
            simulated_vs_base=req["simulated_headcount"].to_numpy() - base_req.reindex(keys).to_numpy(),
        ))
    by_interval = pd.concat(frames, ignore_index=True)[
        ["scenario", "group", "day", "time", "simulated_headcount", "scheduled_headcount", "simulated_vs_base"]
    ]
    return StaffingNeeds(plans, summary, by_interval)
