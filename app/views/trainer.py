"""Trainer mode: the process flow and its bottleneck, what-if sliders above it, the day replayed."""

from __future__ import annotations

import hashlib
import time

import altair as alt
import streamlit as st
import streamlit.components.v1 as components
from app import flow_svg, logic, player, state, trainer_people

import supportsim
from supportsim import WEEKDAYS, ScenarioError, clock_text

TRAINER_SCENARIO = "Trainer peak helpdesk"
WEEKDAY_LABELS = dict(zip(WEEKDAYS, ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
                          strict=True))

lib = state.library()
names = list(lib)
default = names.index(TRAINER_SCENARIO) if TRAINER_SCENARIO in names else 0

head = st.columns([3, 2, 1, 1], vertical_alignment="bottom")
head[0].markdown("### Trainer: where is the bottleneck?")
name = head[1].selectbox("Scenario", names, index=default, key="tr_scenario")
base = state.scenario(name)
weekday = head[2].selectbox("Day", list(WEEKDAYS), index=WEEKDAYS.index(base.horizon.start_weekday), key="tr_day",
                            format_func=WEEKDAY_LABELS.__getitem__)
seed = int(head[3].number_input("Seed", min_value=0, value=1, step=1, key="tr_seed"))

day = supportsim.one_day(base, weekday)
groups = [g.name for g in day.groups]
channels = [c.name for c in day.channels]
categories = [c.name for c in day.categories]
per_day = day.horizon.intervals_per_day
times = [clock_text(k * day.horizon.interval_minutes) for k in range(per_day)]

bar = st.columns(8, vertical_alignment="bottom")
group = bar[0].selectbox("Agent group", groups, index=len(groups) - 1 if len(groups) > 1 else 0, key=f"tr_group_{name}")
today = trainer_people.people(day, group)
people = bar[1].slider("People in that group", 0, max(2 * today, 4), today, step=1, key=f"tr_people_{name}_{group}")
channel = bar[2].selectbox("Channel", channels, key=f"tr_channel_{name}")
today_share = supportsim.automation_share(day, channel)
today_percent = int(round(100 * today_share / 5) * 5)
automation = bar[3].slider("Bot resolves (%)", 0, 90, today_percent, step=5, key=f"tr_bot_{name}_{channel}") / 100
if automation == today_percent / 100:
    automation = today_share  # unchanged: keep today's exact share
category = bar[4].selectbox("Ticket category", categories, key=f"tr_category_{name}")
handle = bar[5].slider("Handle time %", 50, 200, 100, step=10, key=f"tr_handle_{name}_{category}")
surge_time = bar[6].select_slider("Surge at", times, value=times[per_day // 2 - 4], key=f"tr_surge_time_{name}")
surge = bar[7].slider(f"Extra {channel} (%)", 0, 300, 0, step=25, key=f"tr_surge_{name}")

changes: list[str] = []
try:
    what_if = day
    if people != today:
        what_if = trainer_people.with_people(what_if, group, people)
    if abs(automation - today_share) > 1e-9:
        what_if = supportsim.set_automation_share(what_if, channel, automation)
        changes.append(f"bot on {channel} resolves {automation:.0%} (today {today_share:.0%})")
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
what_if_yaml = logic.canonical_yaml(what_if)
try:
    result = state.run(what_if_yaml, seed, 1, True, scenario=what_if)
except Exception as exc:
    st.error(f"The simulation could not run: {exc}")
    st.stop()
frames, svgs = state.trainer_frames(what_if_yaml, seed, result)
elapsed = time.perf_counter() - started

flow = frames[0].flow
node = flow.nodes.get(f"g_{flow.bottleneck}") if flow.bottleneck else None
headline = (
    f"Bottleneck: **{flow.bottleneck}** (occupancy {node.occupancy:.0%})" if node
    else "No group is staffed at this time."
)
info = st.columns([2, 3])
info[0].markdown(headline + " over the whole day")
info[1].caption(
    f"{trainer_people.caption(day, group, people)} · "
    + ("Also: " + ", ".join(changes) if changes else "nothing else changed")
    + f" · one {WEEKDAY_LABELS[weekday]} simulated in {elapsed:.2f} s"
)
key = "tr_frame_" + hashlib.sha1(f"{name}|{weekday}".encode()).hexdigest()[:8]
height = flow_svg.display_height(svgs)
components.html(player.player_html(svgs, [f.label for f in frames], key), height=min(height, 620) + 50,
                scrolling=height > 620)
for warning in result.grouped_warnings:
    st.warning(warning)

waiting = supportsim.mean_by_interval(result, "skill", "mean_waiting").rename(columns={"name": "queue"})
st.markdown("**Contacts waiting per queue over the day**")
st.altair_chart(
    alt.Chart(waiting)
    .mark_line()
    .encode(
        x=alt.X("time:O", title="time of day", axis=alt.Axis(labelAngle=-45, values=times[::4])),
        y=alt.Y("mean_waiting:Q", title="waiting in queue"),
        color=alt.Color("queue:N", legend=alt.Legend(orient="right", labelFontSize=14)),
        tooltip=["queue", "time", alt.Tooltip("mean_waiting:Q", format=".1f")],
    )
    .properties(height=200),
    width="stretch",
)
