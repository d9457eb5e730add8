"""Compare: run two to four scenarios on common random numbers and show the differences."""

from __future__ import annotations

import altair as alt
import streamlit as st
from app import comparison, state

from supportsim import SimulationResult

st.title("Compare scenarios")
lib = state.library()
names = list(lib)

with st.form("compare"):
    left, mid, right = st.columns([3, 1, 1])
    chosen = left.multiselect(
        "Scenarios (the first is the base)",
        names,
        default=comparison.default_pair(names),
        max_selections=4,
        key="cmp_scenarios",
    )
    replications = mid.number_input(
        "Replications", min_value=2, max_value=50, value=5, key="cmp_reps"
    )
    seed = right.number_input("Seed", min_value=0, value=1, step=1, key="cmp_seed")
    submitted = st.form_submit_button("Run comparison", type="primary")

if submitted:
    if not 2 <= len(chosen) <= 4:
        st.error(
            "Pick two to four scenarios: the first is the base, the others are compared with it."
        )
    else:
        st.session_state["cmp_run"] = {
            "names": list(chosen),
            "yaml": [lib[n] for n in chosen],
            "seed": int(seed),
            "replications": int(replications),
        }

run = st.session_state.get("cmp_run")
if run is None:
    st.info(
        "Choose scenarios and press **Run comparison**. "
        "Every scenario runs on the same random numbers."
    )
    st.stop()

results: list[SimulationResult] = []
bar = st.progress(0.0, text="Simulating…")
total = len(run["names"]) * run["replications"]
try:
    for i, (name, text) in enumerate(zip(run["names"], run["yaml"], strict=True)):

        def report(  # noqa: D103
            done: int, _n: int, i: int = i, name: str = name
        ) -> None:
            bar.progress(
                (i * run["replications"] + done) / total,
                text=f"Simulating {name}: replication {done}",
            )

        results.append(state.run(text, run["seed"], run["replications"], True, progress=report))
        bar.progress((i + 1) / len(run["names"]), text=f"Finished {name}")
except Exception as exc:
    bar.empty()
    st.error(f"The simulation could not run: {exc}")
    st.stop()
bar.empty()

for result in results:
    for warning in result.grouped_warnings:
        st.warning(f"{result.scenario.name}: {warning}")

table = comparison.comparison_frame(results)
specs = comparison.card_specs(results[0])
base_name = results[0].scenario.name
st.caption(
    f"Base: **{base_name}** · {run['replications']} paired replications, seed {run['seed']} · "
    "arrows: paired difference from the base (common random numbers), "
    "± its 95% confidence interval."
)

shown = st.radio(
    "Cards for",
    [r.scenario.name for r in results],
    index=1,
    horizontal=True,
    key="cmp_card_scenario",
)
is_base = shown == base_name
columns = st.columns(4)
for k, card in enumerate(comparison.cards(table, specs, shown, is_base)):
    with columns[k % 4]:
        st.metric(
            card.label,
            card.value,
            delta=card.delta,
            delta_color="inverse" if card.lower_is_better else "normal",
            border=True,
            delta_description=card.ci or None,
            help=None if is_base else f"Verdict: {card.verdict}",
        )

queue_tab, sl_tab, cdf_tab, util_tab, table_tab = st.tabs(
    ["Queue over the day", "Service level", "Resolution time", "Utilization", "All KPIs"]
)
with queue_tab:
    data = comparison.queue_by_time(results)
    chart = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X(
                "time:O",
                title="time of day",
                axis=alt.Axis(labelAngle=-45, values=sorted(set(data["time"]))[::4]),
            ),
            y=alt.Y("mean_waiting:Q", title="contacts waiting (mean)"),
            color=alt.Color("scenario:N", legend=alt.Legend(orient="bottom")),
            tooltip=["scenario", "channel", "time", alt.Tooltip("mean_waiting:Q", format=".2f")],
        )
        .properties(height=220, width=260)
        .facet(column=alt.Column("channel:N", title=None))
    )
    st.altair_chart(chart)
with sl_tab:
    data = comparison.service_level_by_time(results)
    base = alt.Chart(data).encode(
        x=alt.X(
            "time:O",
            title="time of day",
            axis=alt.Axis(labelAngle=-45, values=sorted(set(data["time"]))[::4]),
        )
    )
    lines = base.mark_line(point=True).encode(
        y=alt.Y(
            "service_level:Q",
            title="service level",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=alt.Color("scenario:N", legend=alt.Legend(orient="bottom")),
        tooltip=["scenario", "channel", "time", alt.Tooltip("service_level:Q", format=".1%")],
    )
    target = base.mark_rule(strokeDash=[4, 3], color="black").encode(y="mean(target):Q")
    st.altair_chart(
        alt.layer(lines, target, data=data)
        .properties(height=220, width=260)
        .facet(column=alt.Column("channel:N", title=None))
    )
    st.caption(
        "Dashed line: the channel's service-level target. "
        "Mean over days and replications per interval."
    )
with cdf_tab:
    data = comparison.resolution_cdf(results)
    st.altair_chart(
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X(
                "minutes:Q",
                title="resolution time (minutes, log scale)",
                scale=alt.Scale(type="symlog"),
            ),
            y=alt.Y("share:Q", title="share of tickets resolved", axis=alt.Axis(format="%")),
            color=alt.Color("scenario:N", legend=alt.Legend(orient="bottom")),
        )
        .properties(height=320),
        width="stretch",
    )
with util_tab:
    data = comparison.utilization_by_time(results)
    st.altair_chart(
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X(
                "time:O",
                title="time of day",
                axis=alt.Axis(labelAngle=-45, values=sorted(set(data["time"]))[::4]),
            ),
            y=alt.Y("group:N", title=None),
            color=alt.Color(
                "utilization:Q",
                scale=alt.Scale(scheme="orangered", domain=[0, 1]),
                legend=alt.Legend(format="%"),
            ),
            row=alt.Row("scenario:N", title=None),
            tooltip=["scenario", "group", "time", alt.Tooltip("utilization:Q", format=".0%")],
        )
        .properties(height=90, width=850)
    )
with table_tab:
    st.dataframe(
        table[["kpi", "scenario", "mean", "ci95", "difference", "difference_ci95", "verdict"]],
        hide_index=True,
        width="stretch",
        height=320,
    )
st.download_button(
    "Download results (CSV)",
    table.to_csv(index=False).encode(),
    "comparison.csv",
    "text/csv",
    key="cmp_csv",
)
