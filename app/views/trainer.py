"""Trainer mode: the process flow and its bottleneck, live what-if sliders, a replay of the day."""

from __future__ import annotations

import time

import altair as alt
import pandas as pd
import streamlit as st
from app import flow_chart, logic, state

import supportsim
from supportsim import WEEKDAYS, ScenarioError, clock_text

st.title("Trainer: where is the bottleneck?")
lib = state.library()
names = list(lib)
default = names.index("Single phone queue") if "Single phone queue" in names else 0

top = st.columns([3, 1, 1])
name = top[0].selectbox("Scenario", names, index=default, key="tr_scenario")
base = state.scenario(name)
weekday = top[1].selectbox(
    "Day",
    list(WEEKDAYS),
    index=WEEKDAYS.index(base.horizon.start_weekday),
    key="tr_day",
)
seed = int(top[2].number_input("Seed", min_value=0, value=1, step=1, key="tr_seed"))

day = supportsim.one_day(base, weekday)
groups = [g.name for g in day.groups]
channels = [c.name for c in day.channels]
categories = [c.name for c in day.categories]
per_day = day.horizon.intervals_per_day
times = [clock_text(k * day.horizon.interval_minutes) for k in range(per_day)]

with st.sidebar:
    st.subheader("What if…")
    st.caption("Each slider changes one thing; the day is simulated again at once.")
    group = st.selectbox(
        "Agent group",
        groups,
        index=len(groups) - 1 if len(groups) > 1 else 0,
        key=f"tr_group_{name}",
    )
    staffing = st.slider(
        "Staffing of that group (% of today)", 50, 200, 100, step=10, key=f"tr_staff_{name}_{group}"
    )
    channel = st.selectbox("Channel", channels, key=f"tr_channel_{name}")
    today_share = supportsim.automation_share(day, channel)
    automation = st.slider(
        "Share resolved by automation",
        0.0,
        0.9,
        round(today_share, 2),
        step=0.05,
        key=f"tr_bot_{name}_{channel}",
    )
    category = st.selectbox("Ticket category", categories, key=f"tr_category_{name}")
    handle = st.slider(
        "Handle time (% of today)", 50, 200, 100, step=10, key=f"tr_handle_{name}_{category}"
    )
    surge_time = st.select_slider(
        "Surge at", times, value=times[per_day // 2 - 4], key=f"tr_surge_time_{name}"
    )
    surge = st.slider(
        f"Extra {channel} contacts in that interval (%)", 0, 300, 0, step=25, key=f"tr_surge_{name}"
    )

changes: list[str] = []
try:
    what_if = day
    if staffing != 100:
        what_if = supportsim.scale_headcount(what_if, group, staffing / 100)
        changes.append(f"{group} staffing {staffing}%")
    if abs(automation - today_share) > 1e-9:
        what_if = supportsim.set_automation_share(what_if, channel, automation)
        changes.append(f"automation on {channel} {automation:.0%}")
    if handle != 100:
        what_if = supportsim.scale_handle_time(what_if, category, handle / 100)
        changes.append(f"{category} handle time {handle}%")
    if surge:
        what_if = supportsim.add_surge(what_if, channel, times.index(surge_time), surge / 100)
        changes.append(f"+{surge}% {channel} at {surge_time}")
except ScenarioError as exc:
    st.error("That change makes the scenario invalid: " + "; ".join(logic.problem_lines(exc)))
    st.stop()

started = time.perf_counter()
try:
    result = state.run(logic.canonical_yaml(what_if), seed, 1, True)
except Exception as exc:
    st.error(f"The simulation could not run: {exc}")
    st.stop()
elapsed = time.perf_counter() - started

replay = st.select_slider(
    "Replay the day (scrub through time)", ["whole day", *times], value="whole day", key="tr_replay"
)
interval = None if replay == "whole day" else times.index(replay)
flow = supportsim.process_flow(result, interval)
node = flow.nodes.get(f"g_{flow.bottleneck}") if flow.bottleneck else None
headline = (
    f"Bottleneck: **{flow.bottleneck}** (utilization {node.utilization:.0%})"
    if node
    else "No group is staffed at this time."
)
info = st.columns([3, 2])
info[0].markdown(headline + ("" if interval is None else f" at {replay}"))
info[1].caption(
    ("Changes: " + ", ".join(changes) if changes else "Today, unchanged")
    + f" · simulated one {weekday} in {elapsed:.2f} s"
)
st.graphviz_chart(flow_chart.flow_dot(flow), width="stretch")
for warning in result.grouped_warnings:
    st.warning(warning)

waiting = supportsim.mean_by_interval(result, "skill", "mean_waiting").rename(
    columns={"name": "queue"}
)
lines = (
    alt.Chart(waiting)
    .mark_line()
    .encode(
        x=alt.X("time:O", title="time of day", axis=alt.Axis(labelAngle=-45, values=times[::4])),
        y=alt.Y("mean_waiting:Q", title="waiting in queue"),
        color=alt.Color("queue:N", legend=alt.Legend(orient="right")),
        tooltip=["queue", "time", alt.Tooltip("mean_waiting:Q", format=".1f")],
    )
)
layers = [lines]
if interval is not None:
    layers.append(
        alt.Chart(pd.DataFrame({"time": [replay]}))
        .mark_rule(color="#d62728", size=2)
        .encode(x="time:O")
    )
st.altair_chart(alt.layer(*layers).properties(height=200), width="stretch")
