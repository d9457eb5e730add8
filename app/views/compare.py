"""Compare: run two to four scenarios on common random numbers; a verdict, cards, charts, staffing needs."""

from __future__ import annotations

import streamlit as st
from app import compare_charts, compare_staffing, comparison, state, workspace

import supportsim
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
    replications = mid.number_input("Replications", min_value=2, max_value=50, value=5, key="cmp_reps")
    seed = right.number_input("Seed", min_value=0, value=1, step=1, key="cmp_seed")
    submitted = st.form_submit_button("Run comparison", type="primary")

if submitted:
    if not 2 <= len(chosen) <= 4:
        st.error("Pick two to four scenarios: the first is the base, the others are compared with it.")
    else:
        state.remember(
            "cmp_run",
            {"names": list(chosen), "seed": int(seed), "replications": int(replications)},
        )

run = state.remembered("cmp_run")
if run is None:
    st.info("Choose scenarios and press **Run comparison**. Every scenario runs on the same random numbers.")
    st.stop()
run_names: list[str] = list(run["names"])  # type: ignore[call-overload]
texts = [lib[n] for n in run_names]
reps, run_seed = int(run["replications"]), int(run["seed"])  # type: ignore[call-overload]

results: list[SimulationResult] = []
bar = st.progress(0.0, text="Simulating…")
total = len(run_names) * reps
try:
    for i, (name, text) in enumerate(zip(run_names, texts, strict=True)):

        def report(done: int, _n: int, i: int = i, name: str = name) -> None:  # noqa: D103
            bar.progress((i * reps + done) / total, text=f"Simulating {name}: replication {done} of {reps}")

        results.append(state.run(text, run_seed, reps, True, progress=report))
except Exception as exc:
    bar.empty()
    st.error(f"The simulation could not run: {exc}")
    st.stop()
bar.empty()

table = comparison.comparison_frame(results)
specs = comparison.card_specs(results[0])
base_name = results[0].scenario.name
scenario_names = [r.scenario.name for r in results]

st.subheader("Verdict")
with st.container(border=True, key="cmp_verdicts"):
    for variant in scenario_names[1:]:
        counts = comparison.verdict_counts(table, specs, variant)
        icon = ":material/thumb_up:" if counts["worse"] == 0 and counts["better"] else (
            ":material/thumb_down:" if counts["better"] == 0 and counts["worse"] else ":material/balance:")
        st.markdown(f"{icon} {comparison.verdict_sentence(table, specs, variant, base_name)}")
    st.caption(
        f"{reps} paired replications, seed {run_seed}, on common random numbers: a difference counts "
        "when its 95% confidence interval (±) excludes zero."
    )
for warning in comparison.grouped_warnings(results):
    st.warning(warning)

shown = st.radio("Cards for", scenario_names, index=1, horizontal=True, key="cmp_card_scenario")
is_base = shown == base_name
columns = st.columns(5)
for k, card in enumerate(comparison.cards(table, specs, shown, is_base)):
    with columns[k % 5]:
        st.metric(
            card.label,
            card.value,
            delta=card.delta,
            delta_color=card.delta_color,  # type: ignore[arg-type]
            border=True,
            delta_description=card.ci or None,
            help=None if is_base else f"Verdict: {card.verdict}",
        )
st.caption(
    f"Base: **{base_name}**. Arrows: paired difference from the base, ± its 95% confidence "
    "half-width; green or red only when significant, grey otherwise."
)

queue_data = comparison.queue_by_time(results)
level_data = comparison.service_level_by_time(results)
cdf_data = comparison.resolution_cdf(results)
busy_data = comparison.occupancy_by_time(results)
charts = {
    "queue_over_the_day": compare_charts.queue_chart(queue_data, scenario_names),
    "service_level": compare_charts.service_level_chart(level_data, scenario_names),
    "resolution_time": compare_charts.cdf_chart(cdf_data, scenario_names),
    "occupancy": compare_charts.heatmap(busy_data, "occupancy"),
}
tabs = st.tabs(["Queue over the day", "Service level", "Resolution time", "Occupancy", "Staffing needs",
                "All KPIs"])
with tabs[0]:
    st.altair_chart(charts["queue_over_the_day"])
    st.caption("Mean contacts waiting per channel by time of day; each channel has its own scale.")
with tabs[1]:
    st.altair_chart(charts["service_level"])
    st.caption("Dashed line: the channel's service-level target. Mean over days and replications per interval.")
with tabs[2]:
    st.altair_chart(charts["resolution_time"], width="stretch")
with tabs[3]:
    st.altair_chart(charts["occupancy"])
    st.caption("Share of staffed agent time spent busy, per group and time of day (blank: nobody staffed).")
with tabs[4]:
    compare_staffing.show(run_names, texts)
with tabs[5]:
    st.dataframe(
        table[["kpi", "scenario", "mean", "ci95", "difference", "difference_ci95", "verdict"]],
        hide_index=True,
        width="stretch",
        height=320,
    )

title = f"Comparison {' vs '.join(scenario_names[1:])} against {base_name}, seed {run_seed}, {reps} replications"
left, mid, right, far = st.columns(4)
left.download_button("Download results (CSV)", table.to_csv(index=False).encode(), "comparison.csv", "text/csv",
                     key="cmp_csv")
mid.download_button(  # the bytes at once, as for the CSV: a deferred download's click was lost under load
    "Download workbook (.xlsx)",
    supportsim.workbook_bytes(
        {"KPIs": table, "queue by time": queue_data, "service level by time": level_data,
         "occupancy by time": busy_data, "resolution time CDF": cdf_data}
    ),
    "comparison.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="cmp_xlsx",
)
right.download_button("Download charts (PNG, zip)", lambda: compare_charts.png_zip(charts), "comparison_charts.zip",
                      "application/zip", key="cmp_png")
if far.button("Save to workspace", key="cmp_save"):
    workspace.save_result(title, table)
    st.toast(f"Saved: {title}")
