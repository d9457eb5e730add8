"""Staffing: agents needed per interval and group, the cheapest shifts, and what they achieve."""

from __future__ import annotations

import hashlib

import altair as alt
import streamlit as st
from app import (
    compare_charts,
    comparison,
    logic,
    plan_progress,
    plan_tables,
    shift_rules,
    shift_rules_form,
    state,
    workspace,
)
from app.formats import fmt

import supportsim

ONE_DAY, WHOLE = "One day", "Whole scenario"

st.title("Staffing")
st.caption(
    "The fewest agents per interval and group that meet every target (Erlang formulas and "
    "simulation), the cheapest shifts covering them, and the KPIs those shifts achieve "
    "on fresh random numbers."
)
lib = state.library()
names = list(lib)
if st.session_state.get("st_scenario") not in names and "st_scenario" in st.session_state:
    lib = state.reload_library()  # preselected by another page: maybe just saved in the workspace
    names = list(lib)
if st.session_state.get("st_scenario") not in names:  # first visit, or back from another page
    last = (state.remembered("st_run") or {}).get("name")
    preferred = comparison.PREFERRED_PAIR[0]
    st.session_state["st_scenario"] = last if last in names else preferred if preferred in names else names[0]
name = st.columns([3, 2])[0].selectbox("Scenario", names, key="st_scenario")
scenario = state.scenario(name)
rules_key = "st_rules_" + hashlib.sha1(lib[name].encode()).hexdigest()[:8]

with st.form("staffing"):
    left, mid, right = st.columns([3, 2, 2])
    horizon = left.radio(
        "Plan",
        [ONE_DAY, WHOLE],
        horizontal=True,
        key="st_horizon",
        help="A one-day plan takes from seconds to a few minutes (choosing the shifts can take the "
        "longest); the whole scenario searches every day and takes much longer.",
    )
    weekday = mid.selectbox(
        "Day (one-day plan)",
        list(plan_tables.WEEKDAY_NAMES),
        format_func=plan_tables.WEEKDAY_NAMES.__getitem__,
        key="st_weekday",
    )
    left, mid, right = st.columns([3, 2, 2])
    replications = left.number_input(
        "Replications per candidate staffing",
        min_value=2,
        max_value=50,
        value=10,
        key="st_reps",
        help="More replications give tighter confidence bounds and a slower search. Close decisions are "
             "taken again on twice as many.",
    )
    seed = mid.number_input("Seed", min_value=0, value=0, step=1, key="st_seed")
    with st.expander("Shift rules: shift lengths and breaks, part-time share, start times, weekly hours, "
                     "days off, most people per group (from the scenario's planning: section)"):
        rules = shift_rules_form.rules_inputs(shift_rules.form_values(scenario), rules_key)
    submitted = st.form_submit_button("Plan staffing", type="primary")

if submitted:
    ruled, problems = shift_rules.with_rules(scenario, rules)
    if ruled is None:
        st.error("The shift rules were not applied, nothing was planned:\n\n"
                 + "\n".join(f"- {line}" for line in shift_rules.error_lines(problems)))
        st.stop()
    try:
        chosen = plan_tables.planning_scenario(ruled, weekday if horizon == ONE_DAY else None)
    except Exception as exc:
        st.error(f"{name} cannot be planned: {exc}")
        st.stop()
    state.remember("st_run", {
        "name": name,
        "span": f"one {plan_tables.WEEKDAY_NAMES[weekday]}"
        if horizon == ONE_DAY
        else f"{chosen.horizon.days} days",
        "yaml": logic.canonical_yaml(chosen),
        "seed": int(seed),
        "replications": int(replications),
        "rules_changed": chosen.planning != scenario.planning,
        "groups": len(chosen.groups),
        "days": chosen.horizon.days,
    })

run = state.remembered("st_run")
if run is None:
    st.info(
        "Choose a scenario and press **Plan staffing**. Every candidate staffing is "
        "simulated on the same random numbers; the shifts found are then checked on new ones."
    )
    st.stop()

bar = st.progress(0.0, text="Planning…")
clock = plan_progress.PlanClock(int(run["replications"]), int(run.get("groups", 1)), int(run.get("days", 1)))


def report(rounds: int, message: str) -> None:
    """Move the progress bar after each round of the search, with the time left (see PlanClock)."""
    fraction, text = clock.tick(rounds, message)
    bar.progress(fraction, text=text)


try:
    plan = state.staffing_plan(run["yaml"], run["seed"], run["replications"], progress=report)
except Exception as exc:
    bar.empty()
    st.error(f"The staffing plan could not be made for {run['name']}: {exc}")
    st.stop()
bar.empty()

held, total = plan_tables.checks_held(plan)
st.caption(
    f"Plan for **{run['name']}**, {run['span']} · {plan.replications} replications, "
    f"seed {plan.seed} (shifts checked with seed {plan.seed + 1}) · each target held with "
    f"{plan.confidence:.0%} one-sided confidence per interval, occupancy at most "
    f"{plan_tables.MAX_OCCUPANCY:.0%} where live contacts (phone, chat) are answered · shift rules "
    + ("as changed in the form above." if run.get("rules_changed") else "from the scenario.")
)
for warning in plan.warnings:  # the command's file names, said as the page shows them
    st.warning(warning.replace("(see misses.csv)", "(see “Intervals that miss a target” below)"))

shifts = plan_tables.shifts_table(plan)
today = plan.current
cols = st.columns(4)
cols[0].metric("Paid hours a week", fmt(plan.paid_hours, "h"), border=True, delta_color="inverse",
               delta=None if today is None else f"{fmt(plan.paid_hours - today.paid_hours, 'h', signed=True)} vs today",
               help="Paid hours of the roster week (breaks are paid); a plan shorter than a week repeats its days. "
               + ("" if today is None else f"Today: {fmt(today.paid_hours, 'h')}."))
cols[1].metric("Cost a week", fmt(plan.cost, "cost"), border=True, delta_color="inverse",
               delta=None if today is None else f"{fmt(plan.cost - today.cost, 'cost', signed=True)} vs today",
               help="Paid hours times each group's cost per hour. "
               + ("" if today is None else f"Today: {fmt(today.cost, 'cost')}."))
cols[2].metric(
    "Shifts worked",
    f"{plan_tables.shifts_worked(plan):,}",
    border=True,
    help="People on each shift line times the days it works.",
)
cols[3].metric(
    "Interval targets held",
    f"{held} of {total}",
    border=True,
    delta=None if today is None else f"{held - today.targets_met:+d} vs today",
    help="Per-interval target checks of the shifts, simulated on fresh random numbers. "
    + ("" if today is None else f"Today's roster holds {today.targets_met} of {today.targets_total}."),
)

st.subheader("Requirement per interval")
data = plan_tables.requirement_by_time(plan)
one_day = plan.scenario.horizon.days == 1
groups = list(dict.fromkeys(data["group"]))
colors = alt.Scale(
    domain=list(plan_tables.REQUIREMENT_SERIES.values()), range=["#9e9e9e", "#1f77b4", "#ff7f0e"]
)
axis = (
    alt.Axis(format="%H:%M", labelAngle=0, tickCount=6)
    if one_day
    else alt.Axis(format="%a", labelAngle=0, tickCount="day")
)
group_charts = {}
for group in groups:
    st.markdown(f"**{group}**")
    chart = (
        alt.Chart(data[data["group"] == group])
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("when:T", title="time of day" if one_day else "day", axis=axis),
            y=alt.Y("headcount:Q", title="people rostered"),
            color=alt.Color("source:N", title=None, scale=colors),
            tooltip=[
                alt.Tooltip("when:T", format="%a %H:%M", title="interval"),
                "source:N",
                "headcount:Q",
            ],
        )
        .properties(height=180)
    )
    st.altair_chart(chart, width="stretch")
    group_charts[f"requirement_{group}"] = chart.properties(width=900, title=f"{group}: people rostered per interval")
st.caption(
    "People rostered per interval (before shrinkage). Erlang: the analytic first guess. "
    "Simulated: the fewest meeting every target when queues carry over and customers "
    "abandon. Scheduled: people on duty in the shifts below (for the whole interval, "
    "not on a break)."
)
money = {
    "paid hours": st.column_config.NumberColumn(format="%.1f"),
    "cost": st.column_config.NumberColumn(format="%.2f"),
}
st.dataframe(plan_tables.group_summary(plan), hide_index=True, width="stretch", column_config=money)

st.subheader("Shifts found")
st.dataframe(
    shifts,
    hide_index=True,
    width="stretch",
    column_config=money,
)

st.subheader("Achieved KPIs")
st.caption(
    f"The shifts simulated on {plan.replications} fresh replications: mean ± 95% confidence "
    "half-width, over the whole plan."
)
st.dataframe(plan_tables.achieved_table(plan), hide_index=True, width="stretch")

st.subheader("Plan vs today")
st.caption(
    "Today's roster is the scenario's own staffing, simulated on the same fresh random numbers "
    "as the plan; hours and cost are per roster week (a plan shorter than a week repeats its days)."
)
gaps = plan_tables.gap_by_time(plan)
sign = alt.Scale(domain=["more than today", "fewer than today"], range=["#1f77b4", "#d62728"])
for group in groups:
    mine = gaps[gaps["group"] == group]
    mine = mine.assign(change=["fewer than today" if g < 0 else "more than today" for g in mine["gap"]],
                       more=mine["gap"].clip(lower=0), fewer=mine["gap"].clip(upper=0))
    st.markdown(f"**{group}**: planned minus today's people on duty per interval")
    gap_chart = (
        alt.Chart(mine)
        .transform_fold(["more", "fewer"], as_=["side", "people"])
        .transform_calculate(side="datum.side === 'more' ? 'more than today' : 'fewer than today'")
        .mark_area(interpolate="step-after", opacity=0.85)
        .encode(
            x=alt.X("when:T", title="time of day" if one_day else "day", axis=axis),
            y=alt.Y("people:Q", title="people", stack=None),
            color=alt.Color("side:N", title=None, scale=sign),
            tooltip=[alt.Tooltip("time:N", title="interval"), alt.Tooltip("planned:Q", format=".1f"),
                     alt.Tooltip("today:Q", format=".1f"), alt.Tooltip("gap:Q", format="+.1f", title="plan − today")],
        )
        .properties(height=160)
    )
    st.altair_chart(gap_chart, width="stretch")
    group_charts[f"gap_{group}"] = gap_chart.properties(width=900, title=f"{group}: plan − today, people per interval")
st.caption("People on duty throughout each interval (breaks excluded, before shrinkage), in the plan's "
           "shifts and in today's roster: above zero the plan puts more people on, below zero fewer.")
st.dataframe(plan_tables.versus_today(plan), hide_index=True, width="stretch", column_config={
    "paid hours a week": st.column_config.NumberColumn(format="%.1f h"),
    "cost a week": st.column_config.NumberColumn(format="%.2f"),
})
misses = plan_tables.misses_table(plan)
st.markdown(f"**Intervals that miss a target** ({len(misses)}: the plan's and today's; the one-sided "
            f"{plan.confidence:.0%} confidence bound decides)")
if len(misses):
    st.dataframe(misses, hide_index=True, width="stretch")
else:
    st.caption("None: the plan and today hold every target in every interval.")
st.subheader("Weekly roster")
st.caption(f"{len(plan.agents)} agents, {plan.fte:.1f} FTE: who works which shift on which day.")
st.dataframe(plan.agents, hide_index=True, width="stretch")

left, right, xlsx, png, save = st.columns(5)
png.download_button("Download charts (PNG, zip)", lambda: compare_charts.png_zip(group_charts),
                    "staffing_charts.zip", "application/zip", key="st_png")
xlsx.download_button(
    "Download plan (.xlsx)",
    lambda: supportsim.workbook_bytes(
        {"requirement": plan.requirement, "shifts": shifts, "groups": plan_tables.group_summary(plan),
         "achieved KPIs": plan.achieved, "interval checks": plan.checks,
         "plan vs today": plan_tables.versus_today(plan), "plan minus today": plan_tables.gap_by_time(plan),
         "misses": plan.misses, "weekly roster": plan.agents}
    ),
    "staffing_plan.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="st_xlsx",
)
if save.button("Save to workspace", key="st_save"):
    title = f"Staffing plan {run['name']}, {run['span']}, seed {plan.seed}, {plan.replications} replications"
    workspace.save_result(title, plan.requirement)
    st.toast(f"Saved: {title}")
left.download_button(
    "Download requirement (CSV)",
    plan.requirement.to_csv(index=False).encode(),
    "staffing_requirement.csv",
    "text/csv",
    key="st_csv_requirement",
)
right.download_button(
    "Download shifts (CSV)",
    plan.shifts.to_csv(index=False).encode(),
    "staffing_shifts.csv",
    "text/csv",
    key="st_csv_shifts",
)
