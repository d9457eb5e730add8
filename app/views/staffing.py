"""Staffing: agents needed per interval and group, the cheapest shifts, and what they achieve."""

from __future__ import annotations

import time

import altair as alt
import streamlit as st
from app import compare_charts, comparison, logic, plan_tables, state, workspace
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

with st.form("staffing"):
    left, mid, right = st.columns([3, 2, 2])
    name = left.selectbox(
        "Scenario",
        names,
        index=names.index(comparison.PREFERRED_PAIR[0]) if comparison.PREFERRED_PAIR[0] in names else 0,
        key="st_scenario",
    )
    horizon = mid.radio(
        "Plan",
        [ONE_DAY, WHOLE],
        horizontal=True,
        key="st_horizon",
        help="One day plans a few seconds; the whole scenario searches every day and takes "
        "much longer.",
    )
    weekday = right.selectbox(
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
        help="More replications give tighter confidence bounds and a slower search.",
    )
    seed = mid.number_input("Seed", min_value=0, value=0, step=1, key="st_seed")
    submitted = st.form_submit_button("Plan staffing", type="primary")

if submitted:
    try:
        chosen = plan_tables.planning_scenario(
            state.scenario(name), weekday if horizon == ONE_DAY else None
        )
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
    })

run = state.remembered("st_run")
if run is None:
    st.info(
        "Choose a scenario and press **Plan staffing**. Every candidate staffing is "
        "simulated on the same random numbers; the shifts found are then checked on new ones."
    )
    st.stop()

bar = st.progress(0.0, text="Planning…")
started = time.monotonic()


def report(rounds: int, _message: str) -> None:
    """Move the progress bar after each round of the search, with the time taken so far."""
    elapsed = time.monotonic() - started
    bar.progress(
        plan_tables.plan_progress(rounds),
        text=f"Searching the fewest agents per interval: round {rounds} after {elapsed:.0f} s "
        f"({elapsed / max(rounds, 1):.1f} s a round; the planner does not say how many rounds remain). "
        "Then the shifts are chosen and checked.",
    )


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
    f"{plan_tables.MAX_OCCUPANCY:.0%}."
)
for warning in plan.warnings:
    st.warning(warning)

shifts = plan_tables.shifts_table(plan)
cols = st.columns(4)
cols[0].metric("Paid hours", fmt(plan.paid_hours, "h"), border=True)
cols[1].metric("Cost", fmt(plan.cost, "cost"), border=True)
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
    help="Per-interval target checks of the shifts, simulated on fresh random numbers.",
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
st.dataframe(plan_tables.versus_today(plan), hide_index=True, width="stretch", column_config={
    "paid hours a week": st.column_config.NumberColumn(format="%.1f"),
    "cost a week": st.column_config.NumberColumn(format="%.2f"),
})
st.markdown(f"**Intervals that miss a target** ({len(plan.misses)}: the plan's and today's)")
st.dataframe(plan.misses, hide_index=True, width="stretch")
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
         "plan vs today": plan_tables.versus_today(plan), "misses": plan.misses, "weekly roster": plan.agents}
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
