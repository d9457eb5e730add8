"""The Compare page's "Staffing needs" tab: every scenario planned on the same seeds, side by side."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import supportsim
from app import compare_charts, logic, plan_tables, state
from supportsim import StaffingNeeds

ONE_DAY, WHOLE = "One day", "Whole scenario"
COLUMNS = {
    "scenario": "scenario",
    "group": "group",
    "peak_headcount": "peak people",
    "peak_headcount_vs_base": "peak people vs base",
    "required_person_hours": "required person-hours",
    "paid_hours": "paid hours",
    "paid_hours_vs_base": "paid hours vs base",
    "fte": "FTE (8 h days)",
    "fte_vs_base": "FTE vs base",
    "cost": "cost",
    "cost_vs_base": "cost vs base",
}


def summary_table(needs: StaffingNeeds) -> pd.DataFrame:
    """The side-by-side table as shown: readable column names with units, rounded."""
    table = needs.summary[list(COLUMNS)].rename(columns=COLUMNS)
    return table.round({"required person-hours": 1, "paid hours": 1, "paid hours vs base": 1, "FTE (8 h days)": 2,
                        "FTE vs base": 2, "cost": 2, "cost vs base": 2})


def _scenarios(texts: list[str], span: str, weekday: str) -> tuple[str, ...]:
    return tuple(
        logic.canonical_yaml(plan_tables.planning_scenario(logic.scenario_from_yaml(t),
                                                            weekday if span == ONE_DAY else None))
        for t in texts
    )


def show(names: list[str], texts: list[str]) -> None:
    """Draw the tab: the form, then (once asked) the plans' comparison."""
    st.caption(
        "How many people does each scenario need? Each is planned alone by the Staffing page's planner "
        "(fewest agents per interval meeting every target, then the cheapest shifts), all on the same seeds."
    )
    with st.form("cmp_staffing"):
        left, mid, right, far = st.columns([2, 2, 1, 1])
        span = left.radio("Plan", [ONE_DAY, WHOLE], horizontal=True, key="cmp_st_span")
        weekday = mid.selectbox("Day (one-day plan)", list(plan_tables.WEEKDAY_NAMES),
                                format_func=plan_tables.WEEKDAY_NAMES.__getitem__, key="cmp_st_day")
        reps = right.number_input("Replications", min_value=2, max_value=30, value=5, key="cmp_st_reps")
        seed = far.number_input("Seed", min_value=0, value=0, step=1, key="cmp_st_seed")
        asked = st.form_submit_button("Plan staffing needs")
    if asked:
        state.remember("cmp_needs_run", {"names": names, "span": span, "weekday": weekday, "replications": int(reps),
                                        "seed": int(seed)})
    spec = state.remembered("cmp_needs_run")
    if spec is None or list(spec["names"]) != names:  # type: ignore[call-overload]
        st.info("Press **Plan staffing needs**: a one-day plan takes a few seconds per scenario.")
        return
    try:
        yamls = _scenarios(texts, str(spec["span"]), str(spec["weekday"]))
        bar = st.progress(0.0, text="Planning…")
        needs = state.needs(yamls, int(spec["seed"]), int(spec["replications"]),  # type: ignore[call-overload]
                            progress=lambda k, m: bar.progress(k / len(yamls), text=m.capitalize()))
        bar.empty()
    except Exception as exc:
        st.error(f"The staffing needs could not be planned: {exc}")
        return
    span_text = (f"one {plan_tables.WEEKDAY_NAMES[str(spec['weekday'])]}" if spec["span"] == ONE_DAY
                 else f"{needs.plans[0].scenario.horizon.days} days")
    st.markdown(
        f"Plans for {span_text}, {spec['replications']} replications, seed {spec['seed']}. "
        "Differences are each scenario minus the base (negative: fewer people, fewer hours, less cost)."
    )
    table = summary_table(needs)
    st.dataframe(table, hide_index=True, width="stretch")
    data = needs.by_interval.assign(when=lambda d: "day " + d["day"].astype(str) + " " + d["time"])
    if spec["span"] == ONE_DAY:
        data["when"] = data["time"]
    names_in_order = [p.scenario.name for p in needs.plans]
    chart = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("when:O", title="time of day" if spec["span"] == ONE_DAY else "interval",
                    sort=None, axis=alt.Axis(labelAngle=-45, values=list(dict.fromkeys(data["when"]))[::4])),
            y=alt.Y("simulated_headcount:Q", title="people needed"),
            color=compare_charts.colour(names_in_order),
            tooltip=["scenario", "group", "when", "simulated_headcount", "simulated_vs_base"],
        )
        .properties(height=180, width=compare_charts.PANEL_WIDTH)
        .facet(facet=alt.Facet("group:N", title=None), columns=3)
        .resolve_scale(y="independent")
    )
    st.altair_chart(chart)
    st.download_button(
        "Download staffing needs (.xlsx)",
        lambda: supportsim.workbook_bytes({"summary": table, "per interval": needs.by_interval}),
        "staffing_needs.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="cmp_st_xlsx",
    )
