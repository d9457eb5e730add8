"""The Staffing page's tables and chart data, shaped from a :class:`supportsim.StaffingPlan`."""

from __future__ import annotations

import math

import pandas as pd

import supportsim
from app.formats import fmt, fmt_with_ci
from supportsim import Scenario, StaffingPlan, clock_text

WEEKDAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}

MAX_OCCUPANCY = supportsim.DEFAULT_MAX_OCCUPANCY  # the cap the page's plans use

REQUIREMENT_SERIES = {
    "analytic_headcount": "Erlang",
    "simulated_headcount": "Simulated",
    "scheduled_headcount": "Scheduled",
}
_KPI_LABELS = {
    "service_level": ("Service level", "%"),
    "abandon_rate": ("Abandonment", "%"),
    "asa_seconds": ("ASA", "s"),
    "first_response_minutes": ("First response", "min"),
    "occupancy": ("Occupancy", "%"),
    "paid_utilization": ("Utilization (staffed ÷ paid)", "%"),
    "paid_hours": ("Paid hours", "h"),
    "agent_cost": ("Agent cost", "cost"),
}
_SENSE = {"service_level": "at least ", "abandon_rate": "at most "}


def planning_scenario(scenario: Scenario, weekday: str | None) -> Scenario:
    """The scenario to plan: one day falling on ``weekday``, or the whole scenario (None)."""
    return scenario if weekday is None else supportsim.one_day(scenario, weekday)


def requirement_by_time(plan: StaffingPlan) -> pd.DataFrame:
    """Headcount per interval and group in long form for the charts: ``group``, ``when``
    (a timestamp on a week whose day 1 falls on the plan's first weekday), ``source``
    (Erlang, Simulated, Scheduled) and ``headcount``.
    """
    req = plan.requirement
    monday = pd.Timestamp("2024-01-01")  # a Monday: the timestamps only carry weekday and time
    first = str(req["weekday"].iloc[0]) if len(req) else "mon"
    start = monday + pd.Timedelta(days=list(WEEKDAY_NAMES).index(first))
    when = (
        start
        + pd.to_timedelta(req["day"] - 1, unit="D")
        + pd.to_timedelta(req["time"] + ":00")
    )
    wide = req[["group", *REQUIREMENT_SERIES]].assign(when=when)
    long = wide.melt(
        id_vars=["group", "when"], var_name="source", value_name="headcount"
    )
    long["source"] = long["source"].map(REQUIREMENT_SERIES)
    return long


def _clock(minutes: float) -> str:
    return clock_text(round(minutes) % (24 * 60))


def shifts_table(plan: StaffingPlan) -> pd.DataFrame:
    """The chosen shifts, readable: group, start and end, break, days worked (plan days with
    their weekday; the weekday alone for a one-day plan), people, paid hours and cost.
    """
    shifts = plan.shifts
    one_day = plan.scenario.horizon.days == 1 and all(str(d) == "1" for d in shifts["days"])
    first = list(WEEKDAY_NAMES).index(plan.scenario.horizon.start_weekday)
    day_names = {  # plan day d falls on the weekday d - 1 days after the first (a roster may run past the plan)
        d: WEEKDAY_NAMES[list(WEEKDAY_NAMES)[(first + d - 1) % 7]][:3]
        for d in {int(x) for days in shifts["days"] for x in str(days).split(",")}
    }
    rows = []
    for s in shifts.itertuples():
        start_minutes = int(s.start[:2]) * 60 + int(s.start[3:])
        end_minutes = start_minutes + s.hours * 60
        end = _clock(end_minutes) + (" (next day)" if end_minutes > 24 * 60 else "")
        pause = ""
        if not pd.isna(s.break_minutes):
            begins = start_minutes + s.break_after_hours * 60
            pause = f"{_clock(begins)}–{_clock(begins + s.break_minutes)}"
        days = (
            WEEKDAY_NAMES[str(plan.requirement["weekday"].iloc[0])]
            if one_day
            else ", ".join(f"{day_names.get(int(d), '')} (day {d})" for d in str(s.days).split(","))
        )
        rows.append(
            {
                "group": s.group,
                "start": s.start,
                "end": end,
                "break": pause,
                "days": days,
                "people": int(s.count),
                "paid hours": float(s.paid_hours),
                "cost": float(s.cost),
            }
        )
    columns = ["group", "start", "end", "break", "days", "people", "paid hours", "cost"]
    order = {g.name: i for i, g in enumerate(plan.scenario.groups)}
    table = pd.DataFrame(rows, columns=columns)
    table["rank"] = table["group"].map(order)
    table["first_day"] = [int(str(d).split(",")[0]) for d in shifts["days"]]
    table = table.sort_values(["rank", "first_day", "start", "end"], kind="stable")
    return table.drop(columns=["rank", "first_day"]).reset_index(drop=True)


def shifts_worked(plan: StaffingPlan) -> int:
    """Shifts worked over the plan: people on each shift line times the plan days it works."""
    return int(group_summary(plan)["shifts worked"].sum())


def group_summary(plan: StaffingPlan) -> pd.DataFrame:
    """Per group: person-hours the Erlang and simulated requirements ask for, person-hours
    the shifts put on duty, and the shifts worked, their paid hours and cost.
    """
    hours = plan.scenario.horizon.interval_minutes / 60
    req = plan.requirement.groupby("group", sort=False)[list(REQUIREMENT_SERIES)].sum() * hours
    req.columns = [f"{label} (person-h)" for label in REQUIREMENT_SERIES.values()]
    worked = plan.shifts["count"] * plan.shifts["days"].astype(str).str.split(",").str.len()
    shifts = plan.shifts.assign(worked=worked).groupby("group", sort=False)[
        ["worked", "paid_hours", "cost"]
    ].sum()
    shifts.columns = ["shifts worked", "paid hours", "cost"]
    table = req.join(shifts, how="left").fillna({"shifts worked": 0, "paid hours": 0.0, "cost": 0.0})
    table["shifts worked"] = table["shifts worked"].astype(int)
    return table.reset_index()


def achieved_table(plan: StaffingPlan) -> pd.DataFrame:
    """The roster's KPIs on fresh random numbers: ``where``, ``KPI``, ``value`` (mean ± 95%
    confidence half-width), ``target`` and ``met`` (yes / no, blank without a target).
    Paid hours and cost are left out: :func:`group_summary` has them.
    """
    rows = []
    for r in plan.achieved.itertuples():
        if r.metric in ("paid_hours", "agent_cost"):  # shown with the shifts
            continue
        label, unit = _KPI_LABELS.get(r.metric, (r.metric.replace("_", " "), ""))
        mean = math.nan if r.mean is None else float(r.mean)
        half = math.nan if r.ci95 is None or pd.isna(r.ci95) else float(r.ci95)
        value = fmt_with_ci(mean, half, unit)
        has_target = r.target is not None and not pd.isna(r.target)
        met = "" if r.met is None or pd.isna(r.met) else ("yes" if r.met else "no")
        rows.append(
            {
                "where": f"{r.scope} {r.name}",
                "KPI": label,
                "value": value,
                "target": f"{_SENSE.get(r.metric, '')}{fmt(float(r.target), unit)}"
                if has_target
                else "",
                "met": met,
            }
        )
    return pd.DataFrame(rows, columns=["where", "KPI", "value", "target", "met"])


def checks_held(plan: StaffingPlan) -> tuple[int, int]:
    """(held, total) per-interval target checks of the roster on fresh random numbers."""
    if plan.checks.empty:
        return 0, 0
    met = plan.checks["met"].astype(bool)
    return int(met.sum()), len(met)


def versus_today(plan: StaffingPlan) -> pd.DataFrame:
    """The plan beside today's roster (the scenario's own, on the same fresh seeds): paid hours
    and cost per roster week, and the per-interval targets held; empty if today was not checked.
    """
    today = plan.current
    if today is None:
        return pd.DataFrame(columns=["roster", "paid hours a week", "cost a week", "targets held"])
    held, total = checks_held(plan)
    return pd.DataFrame(
        {
            "roster": ["plan", "today", "plan − today"],
            "paid hours a week": [plan.paid_hours, today.paid_hours, plan.paid_hours - today.paid_hours],
            "cost a week": [plan.cost, today.cost, plan.cost - today.cost],
            "targets held": [
                f"{held} of {total}",
                f"{today.targets_met} of {today.targets_total}",
                f"{held - today.targets_met:+d}",
            ],
        }
    )


def gap_by_time(plan: StaffingPlan) -> pd.DataFrame:
    """Plan minus today per interval and group, for the chart: ``group``, ``when`` (as in
    :func:`requirement_by_time`), ``time`` (``Mon 09:30``), ``planned`` and ``today`` (people on
    duty throughout the interval, before shrinkage) and ``gap`` (planned − today, people).
    """
    req = plan.requirement
    when = requirement_by_time(plan)
    when = when[when["source"] == REQUIREMENT_SERIES["scheduled_headcount"]]["when"].to_numpy()
    return pd.DataFrame({
        "group": req["group"].to_numpy(),
        "when": when,
        "time": [f"{WEEKDAY_NAMES[str(w)][:3]} {t}" for w, t in zip(req["weekday"], req["time"], strict=True)],
        "planned": req["scheduled_headcount"].to_numpy(dtype=float),
        "today": req["current_headcount"].to_numpy(dtype=float),
        "gap": (req["scheduled_headcount"] - req["current_headcount"]).to_numpy(dtype=float),
    })


_MISS_UNITS = {"service_level": ("Service level", "%", "at least "), "abandon_rate": ("Abandonment", "%", "at most "),
               "occupancy": ("Occupancy", "%", "at most "),
               "queue_cleared": ("Fewest waiting in the day", "contacts", "below ")}


def misses_table(plan: StaffingPlan) -> pd.DataFrame:
    """Every interval where the plan or today misses a target, readable: ``roster`` (plan /
    today), ``when``, ``where``, ``KPI``, ``estimate``, ``bound`` (its one-sided confidence
    bound, which decided) and ``target``, each value in the KPI's own unit, and ``P(meet)``
    (the share of replications in which the target held there).
    """
    rows = []
    for r in plan.misses.itertuples():
        label, unit, sense = _MISS_UNITS.get(r.kpi, (str(r.kpi).replace("_", " "), "", ""))
        rows.append({
            "roster": "plan" if r.roster == "plan" else "today",
            "when": f"{WEEKDAY_NAMES[str(r.weekday)][:3]} {r.time}"
            + (" (the day)" if r.kpi == "queue_cleared" else ""),
            "where": f"{r.scope} {r.name}",
            "KPI": label,
            "estimate": fmt(float(r.value), unit),
            "bound": fmt(float(r.bound), unit),
            "target": f"{sense}{fmt(float(r.target), unit)}",
            "P(meet)": fmt(float(r.p_meet), "%"),
        })
    return pd.DataFrame(rows, columns=["roster", "when", "where", "KPI", "estimate", "bound", "target", "P(meet)"])
