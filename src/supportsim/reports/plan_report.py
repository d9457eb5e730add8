"""The capacity-planning reports: the ``erlang`` command's table and the staffing plan's files.

A plan is written as ``staffing.csv`` (per interval and group: Erlang, simulated with its
± agents of uncertainty, scheduled, today's), ``shifts.csv`` (the roster week's shifts),
``roster.csv`` (agent × day → shift), ``kpis.csv`` (achieved), ``checks.csv`` (per-interval
checks of the plan, with ``p_meet``: the share of replications in which the target held
there, and ``p_meet_current``: the same for today's roster on the same seeds),
``misses.csv`` (every check the plan or today misses, with its ``p_meet``),
``uncovered.csv`` (intervals no allowed shift covers), ``summary.json`` (with
``current_roster`` beside the plan, the replications the requirement's close decisions were
taken on; with a target probability P, the share of checks whose ``p_meet`` reaches P, for
the plan and for today) and ``staffing.png``.
Figures are built with ``matplotlib.figure.Figure``
directly, so importing this module never changes the pyplot backend of a notebook or an app.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from supportsim.planning import StaffingPlan, erlang_table, meet_count, required_agents
from supportsim.reports.files import json_ready, staged_output

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["erlang_report", "plan_figure", "plan_summary", "write_plan"]


def erlang_report(
    per_hour: float,
    aht_seconds: float,
    answer_within_seconds: float,
    service_level: float,
    *,
    patience_seconds: float | None = None,
    shrinkage: float = 0.0,
) -> dict[str, Any]:
    """Required agents and a table of agents around it (the ``erlang`` command's JSON).

    Rates are calls per hour, times seconds; ``patience_seconds=None`` means nobody abandons
    (Erlang C), otherwise Erlang A.
    """
    patience = math.inf if patience_seconds is None else patience_seconds
    need = required_agents(
        per_hour,
        aht_seconds,
        answer_within_seconds=answer_within_seconds,
        service_level=service_level,
        patience_seconds=patience,
        shrinkage=shrinkage,
    )
    low = max(1, need.raw_agents - 3)
    rows = erlang_table(
        per_hour, aht_seconds, answer_within_seconds, patience_seconds=patience, agents=range(low, need.raw_agents + 4)
    )
    return {
        "per_hour": per_hour,
        "aht_seconds": aht_seconds,
        "answer_within_seconds": answer_within_seconds,
        "service_level_target": service_level,
        "patience_seconds": patience_seconds,
        "shrinkage": shrinkage,
        "model": "Erlang C" if patience_seconds is None else "Erlang A",
        "required_agents": need.raw_agents,
        "required_headcount": need.agents,
        "table": [
            {k: row[k] for k in ("agents", "service_level", "asa_seconds", "p_wait", "abandon_rate", "occupancy")}
            for row in rows
        ],
    }


def _held(checks: Any) -> tuple[int, int]:
    """(checks met, checks) of a per-interval check table."""
    return (int(checks["met"].astype(bool).sum()), len(checks)) if len(checks) else (0, 0)


def _share_reaching(checks: pd.DataFrame, probability: float | None) -> float | None:
    """Share of per-interval checks whose ``p_meet`` is at least ``probability`` (None without one)."""
    if probability is None or not len(checks):
        return None
    return float((checks["p_meet"] >= probability - 1e-12).mean())


_SHARE_KEY = "share_of_checks_with_p_meet_at_least_target_probability"
"""The ``summary.json`` key of :func:`_share_reaching` for the plan and today (``plan``, ``current``)."""


def plan_summary(plan: StaffingPlan) -> dict[str, Any]:
    """What ``summary.json`` says of a plan: seeds, replications, paid hours and cost per
    roster week, FTE, targets held, the target probability and the share of checks reaching
    it, today's roster beside it, achieved KPIs.
    """
    met, total = _held(plan.checks)
    shifts = plan.shifts
    paid = float(shifts["paid_hours"].sum()) if len(shifts) else 0.0
    probability = plan.target_probability
    current = None
    if plan.current is not None:
        current = {
            "paid_hours": plan.current.paid_hours,
            "cost": plan.current.cost,
            "targets_met": plan.current.targets_met,
            "targets_total": plan.current.targets_total,
        }
    return {
        "scenario": plan.scenario.name,
        "seed": plan.seed,
        "roster_seed": plan.seed + 1,
        "replications": plan.replications,
        "confidence": plan.confidence,
        "roster_days": 7,
        "paid_hours": plan.paid_hours,
        "cost": plan.cost,
        "targets_met": met,
        "targets_total": total,
        "target_probability": probability,
        "replications_that_must_meet": None if probability is None
        else meet_count(plan.replications, probability, plan.confidence),
        _SHARE_KEY: {
            "plan": _share_reaching(plan.checks, probability),
            "current": None if plan.current is None else _share_reaching(plan.current.checks, probability),
        },
        "agents": len(plan.agents),
        "fte": plan.fte,
        "share_of_paid_hours_in_shifts_of_6h_or_more": float(
            shifts.loc[shifts["hours"] >= 6, "paid_hours"].sum() / paid
        )
        if paid
        else None,
        "part_time_share": float(shifts.loc[shifts["contract"] == "part-time", "paid_hours"].sum() / paid)
        if paid and "contract" in shifts
        else None,
        "uncovered_person_intervals": float(plan.uncovered["short"].sum()) if len(plan.uncovered) else 0.0,
        "current_roster": current,
        "requirement_met_in_search": plan.search.met,
        "requirement_replications": plan.search.replications,
        "requirement_uncertainty_agents_mean": _mean_or_none(plan.requirement["agents_uncertainty"]),
        "agent_intervals": {
            "analytic": int(plan.requirement["analytic_agents"].sum()),
            "simulated": int(plan.requirement["simulated_agents"].sum()),
        },
        "achieved": plan.achieved.to_dict(orient="records"),
        "warnings": plan.warnings,
    }


def _mean_or_none(values: pd.Series) -> float | None:
    """The mean of the values that are not NaN (None if none is)."""
    known = values.dropna()
    return round(float(known.mean()), 3) if len(known) else None


def plan_figure(plan: StaffingPlan) -> Figure:
    """Headcount per interval, one panel per group: Erlang, simulated and scheduled (people
    rostered, before shrinkage; x in hours from the start of day 1).
    """
    from matplotlib.figure import Figure  # heavy: imported when a figure is drawn

    groups = list(dict.fromkeys(plan.requirement["group"]))
    fig = Figure(figsize=(10, 2.4 * len(groups)))
    axes = fig.subplots(len(groups), 1, sharex=True, squeeze=False)
    hours = plan.scenario.horizon.interval_minutes / 60
    for ax, group in zip(axes[:, 0], groups, strict=True):
        rows = plan.requirement[plan.requirement["group"] == group]
        x = rows["interval"].to_numpy() * hours
        for column, label in (
            ("analytic_headcount", "Erlang"),
            ("simulated_headcount", "simulated"),
            ("scheduled_headcount", "scheduled"),
            ("current_headcount", "today"),
        ):
            if column in rows:
                ax.step(x, rows[column], where="post", label=label)
        ax.set_ylabel(group)
    axes[0, 0].legend(loc="upper right", fontsize="small")
    axes[-1, 0].set_xlabel("hours from the start of day 1")
    fig.suptitle("Headcount per interval: requirement vs scheduled")
    fig.tight_layout()
    return fig


def _plan_checks(plan: StaffingPlan) -> pd.DataFrame:
    """The plan's per-interval checks (``checks.csv``) with ``p_meet_current``: today's
    roster's ``p_meet`` for the same check on the same seeds (empty where today has no such
    check, e.g. occupancy of a group nobody staffs today).
    """
    checks = plan.checks
    if plan.current is None or not len(checks):
        return checks
    keys = ["interval", "kind", "scope", "name"]
    today = plan.current.checks
    if not len(today):
        return checks.assign(p_meet_current=float("nan"))
    today = today[[*keys, "p_meet"]].rename(columns={"p_meet": "p_meet_current"})
    return checks.merge(today, on=keys, how="left", validate="one_to_one")


def write_plan(plan: StaffingPlan, out: Path) -> None:
    """Write the plan's files (see the module docstring) into ``out``, all or nothing."""
    with staged_output(out) as staging:
        plan.requirement.to_csv(staging / "staffing.csv", index=False)
        plan.shifts.to_csv(staging / "shifts.csv", index=False)
        plan.achieved.to_csv(staging / "kpis.csv", index=False)
        _plan_checks(plan).to_csv(staging / "checks.csv", index=False)
        plan.agents.to_csv(staging / "roster.csv", index=False)
        plan.misses.to_csv(staging / "misses.csv", index=False)
        plan.uncovered.to_csv(staging / "uncovered.csv", index=False)
        (staging / "summary.json").write_text(json.dumps(json_ready(plan_summary(plan)), indent=2) + "\n")
        plan_figure(plan).savefig(staging / "staffing.png", dpi=100)
