"""Staffing: agents needed per interval and group, against what the roster staffs and achieves."""

from __future__ import annotations

import altair as alt
import streamlit as st
from app import logic, state

try:  # the planner is being written in supportsim.staffing; until then the page is analytic only
    from supportsim.staffing import plan_staffing  # type: ignore[import-not-found]
except Exception:  # not written yet, or mid-edit: the page stays analytic
    plan_staffing = None

st.title("Staffing")
lib = state.library()
names = list(lib)
left, mid, right = st.columns([3, 1, 1])
name = left.selectbox(
    "Scenario",
    names,
    index=names.index(logic.PREFERRED_PAIR[0]) if logic.PREFERRED_PAIR[0] in names else 0,
    key="st_scenario",
)
replications = int(
    mid.number_input("Replications", min_value=1, max_value=20, value=2, key="st_reps")
)
occupancy = right.slider("Max occupancy (Erlang)", 0.6, 1.0, 0.85, step=0.05, key="st_occ")
scenario = state.scenario(name)

# PLACEHOLDER (staffing planner): when ``supportsim.staffing.plan_staffing`` exists, call it here
# with ``scenario`` and show the shifts it found, their paid hours and cost, and the KPIs its plan
# achieves. Until then this page compares the Erlang requirement with the scenario's own roster.
if plan_staffing is None:
    st.info(
        "The shift planner (`supportsim.staffing.plan_staffing`) is not available yet: "
        "this page shows "
        "the Erlang requirement per interval next to the scenario's own roster, simulated."
    )

try:
    result = state.run(lib[name], 1, replications, False)
    requirement = logic.erlang_requirement(scenario, max_occupancy=occupancy)
except Exception as exc:
    st.error(f"The staffing analysis could not run: {exc}")
    st.stop()
table = logic.staffing_table(requirement, result).rename(
    columns={"erlang_agents": "Erlang requirement", "simulated_staffed": "simulated roster"}
)

days = sorted(table["day"].unique())
day = st.select_slider("Day", days, value=days[0], key="st_day") if len(days) > 1 else days[0]
shown = table[table["day"] == day]
chart = (
    alt.Chart(shown)
    .transform_fold(["Erlang requirement", "simulated roster"], as_=["source", "agents"])
    .mark_line(interpolate="step-after")
    .encode(
        x=alt.X(
            "time:O",
            title="time of day",
            axis=alt.Axis(labelAngle=-45, values=sorted(set(shown["time"]))[::4]),
        ),
        y=alt.Y("agents:Q", title="agents taking contacts"),
        color=alt.Color("source:N", title=None, legend=alt.Legend(orient="bottom")),
    )
    .properties(height=150, width=260)
    .facet(column=alt.Column("group:N", title=None))
)
st.altair_chart(chart)
st.caption(
    "Erlang: agents needed (Erlang A/C per live channel, workload for email and escalations). "
    "Simulated: agents the scenario's roster puts on the queues."
)

groups = result.summary["groups"]
st.subheader("Roster: paid hours, cost and utilization")
st.dataframe(
    [
        {
            "group": g,
            "paid hours": round(m["paid_hours"]["mean"], 1),
            "agent cost": round(m["agent_cost"]["mean"], 2),
            "peak headcount": m["headcount_peak"]["mean"],
            "utilization": f"{m['utilization']['mean']:.1%}",
        }
        for g, m in groups.items()
    ],
    hide_index=True,
    width="stretch",
)
st.subheader("Achieved KPIs")
overall = result.summary["overall"]
cols = st.columns(4)
cols[0].metric(
    "Service level (live)",
    logic.fmt(overall["service_level_realtime"]["mean"] or float("nan"), "%"),
)
cols[1].metric("ASA", logic.fmt(overall["asa_seconds"]["mean"] or float("nan"), "s"))
cols[2].metric("Abandonment", logic.fmt(overall["abandon_rate"]["mean"] or float("nan"), "%"))
cols[3].metric(
    "Cost per resolved", logic.fmt(overall["cost_per_resolved"]["mean"] or float("nan"), "cost")
)
st.download_button(
    "Download requirement (CSV)",
    table.to_csv(index=False).encode(),
    "staffing.csv",
    "text/csv",
    key="st_csv",
)
