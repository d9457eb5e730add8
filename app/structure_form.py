"""The Scenarios page's structure editor and workspace list (Streamlit widgets; logic in
:mod:`app.structure` and :mod:`app.workspace`).
"""

from __future__ import annotations

import datetime
from typing import Any

import streamlit as st

from app import state, structure, workspace
from supportsim import Scenario, ScenarioError

ACTIONS = [
    "add a bot on a channel",
    "remove the bot from a channel",
    "add a channel",
    "remove a channel",
    "add an agent group",
    "remove an agent group",
    "add a shift line",
    "remove a shift line",
    "set a channel's lines and callbacks",
    "set how the router picks a group",
]


def _inputs(scenario: Scenario, action: str, key: str) -> Scenario | None:
    """Ask for what ``action`` needs; return the changed scenario once the button is pressed."""
    channels = [c.name for c in scenario.channels]
    groups = [g.name for g in scenario.groups]
    cols = st.columns(5, vertical_alignment="bottom")
    if action in ("add a bot on a channel", "remove the bot from a channel", "remove a channel"):
        channel = cols[0].selectbox("Channel", channels, key=f"{key}_channel")
        share = (cols[1].number_input("Share the bot resolves (0–1)", 0.05, 0.95, 0.2, 0.05, key=f"{key}_share")
                 if action.startswith("add") else 0.0)
        if cols[4].button(action.capitalize(), key=f"{key}_go"):
            if action.startswith("add"):
                return structure.add_bot(scenario, channel, float(share))
            if action.startswith("remove the bot"):
                return structure.remove_bot(scenario, channel)
            return structure.remove_channel(scenario, channel)
    elif action == "add a channel":
        name = cols[0].text_input("New channel", "social", key=f"{key}_new_channel")
        mode = cols[1].selectbox("Mode", ["async", "realtime"], key=f"{key}_mode")
        rate = cols[2].number_input("Contacts per hour", 0.0, 10_000.0, 10.0, key=f"{key}_rate")
        category = cols[3].selectbox("Its contacts are", [c.name for c in scenario.categories], key=f"{key}_cat")
        if cols[4].button("Add the channel", key=f"{key}_go"):
            return structure.add_channel(scenario, name.strip(), mode, float(rate), category)
    elif action == "add an agent group":
        name = cols[0].text_input("New group", "new_team", key=f"{key}_new_group")
        skills = cols[1].multiselect("Skills", sorted(scenario.skills_needed()), key=f"{key}_skills")
        headcount = cols[2].number_input("Headcount (people)", 0, 10_000, 5, key=f"{key}_headcount")
        cost = cols[3].number_input("Cost per hour", 0.0, 10_000.0, 30.0, key=f"{key}_cost")
        if cols[4].button("Add the group", key=f"{key}_go"):
            return structure.add_group(scenario, name.strip(), skills, int(headcount), float(cost))
    elif action == "remove an agent group":
        group = cols[0].selectbox("Group", groups, key=f"{key}_group")
        if cols[4].button("Remove the group", key=f"{key}_go"):
            return structure.remove_group(scenario, group)
    elif action == "add a shift line":
        group = cols[0].selectbox("Group", groups, key=f"{key}_group")
        start = cols[1].time_input("Start", value=datetime.time(9, 0), step=1800, key=f"{key}_start")
        hours = cols[2].number_input("Hours", 1.0, 24.0, 8.0, 0.5, key=f"{key}_hours")
        count = cols[3].number_input("People", 0, 10_000, 2, key=f"{key}_count")
        if cols[4].button("Add the shift line", key=f"{key}_go"):
            text = start.strftime("%H:%M") if start is not None else "09:00"
            return structure.add_shift_line(scenario, group, text, float(hours), int(count))
    elif action == "set a channel's lines and callbacks":
        return _behaviour_inputs(scenario, key, cols)
    elif action == "set how the router picks a group":
        choices = list(structure.GROUP_CHOICES)
        now = scenario.routing.group_choice
        choice = cols[0].selectbox("Group choice", choices, index=choices.index(now), key=f"{key}_choice",
                                   format_func=lambda c: f"{c}: {structure.GROUP_CHOICES[c]}")
        cols[1].caption(f"Today: {now}. Among the groups listed for a skill, with a free agent.")
        if cols[4].button("Set the group choice", key=f"{key}_go"):
            return structure.set_group_choice(scenario, choice)
    else:
        with_shifts = [g.name for g in scenario.groups if g.shifts]
        if not with_shifts:
            st.caption("No group of this scenario works in shift lines.")
            return None
        group = cols[0].selectbox("Group", with_shifts, key=f"{key}_group")
        lines = next(g.shifts for g in scenario.groups if g.name == group) or []
        labels = [f"{s.start}, {s.hours:g} h, {s.count} people, {','.join(s.weekdays)}" for s in lines]
        index = cols[1].selectbox("Shift line", range(len(lines)), format_func=labels.__getitem__, key=f"{key}_line")
        if cols[4].button("Remove the shift line", key=f"{key}_go"):
            return structure.remove_shift_line(scenario, group, int(index))
    return None


def _behaviour_inputs(scenario: Scenario, key: str, cols: list[Any]) -> Scenario | None:
    """Lines (trunk lines) and callbacks of one channel, starting at the channel's values."""
    channel = cols[0].selectbox("Channel", [c.name for c in scenario.channels], key=f"{key}_channel")
    now = structure.channel_behaviour(scenario, channel)
    mine = f"{key}_{channel}"
    lines = cols[1].number_input("Lines (0: no limit)", 0, None, int(now["lines"]), 1, key=f"{mine}_lines",
                                 help="Most contacts of this channel in the system at once (bot, queue or "
                                 "first-tier service); more get a busy signal.")
    probability = cols[2].number_input("Callback share, abandoned", 0.0, 1.0, now["retrial_probability"], 0.05,
                                       key=f"{mine}_retrial", help="Share (0–1) of those who abandon who call again.")
    blocked = cols[3].number_input("Callback share, busy signal", 0.0, 1.0, now["blocked_probability"], 0.05,
                                   key=f"{mine}_blocked", help="Share (0–1) of blocked callers who call again.")
    delay = cols[4].number_input("Callback delay (min)", 0.0, None, now["retrial_delay_minutes"], 1.0,
                                 format="%g", key=f"{mine}_delay", help="Mean time before calling again.")
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption("Both shares 0: no callbacks. Only realtime channels (phone, chat) have callbacks.")
    if right.button("Set lines and callbacks", key=f"{key}_go"):
        return structure.set_channel_behaviour(scenario, channel, int(lines), float(probability), float(delay),
                                               float(blocked))
    return None


def structure_editor(scenario: Scenario, digest: str) -> None:
    """Add or remove a bot, a channel, a group or a shift line; the result is saved as a variant."""
    with st.expander("Change the structure: bots, channels, groups, shift lines, lines and callbacks, group choice"):
        key = f"sc_struct_{digest}"
        action = st.selectbox("What to change", ACTIONS, key=f"{key}_action")
        variant_name = st.text_input("Save as", f"{scenario.name} (changed)", key=f"{key}_name")
        try:
            changed = _inputs(scenario, action, f"{key}_{ACTIONS.index(action)}")
            if changed is not None:
                variant = structure.renamed(changed, variant_name.strip() or f"{scenario.name} (variant)")
                st.session_state["sc_saved"] = state.add_to_library(variant)
                st.session_state["sc_pending"] = variant.name
                st.rerun()
        except ScenarioError as exc:
            st.error("Not saved: " + "; ".join(structure.field_messages(exc, scenario)))
        except ValueError as exc:
            st.error(f"Not saved: {exc}")


def workspace_list() -> None:
    """The saved variants, uploads and results, each deletable."""
    with st.expander(f"Workspace: saved variants, uploads and results ({workspace.folder()})"):
        saved = state.saved_names()
        if not saved:
            st.caption("No saved variants or uploads yet: they are kept here across reloads and restarts.")
        for name in saved:
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.markdown(f"**{name}**")
            if right.button("Delete", key=f"ws_del_{name}"):
                state.remove_from_library(name)
                st.rerun()
        stored = workspace.results()
        for title, path in stored.items():
            left, mid, right = st.columns([4, 1, 1], vertical_alignment="center")
            left.markdown(title)
            mid.download_button("CSV", path.read_bytes(), path.name, "text/csv", key=f"ws_get_{path.name}")
            if right.button("Delete", key=f"ws_rm_{path.name}"):
                workspace.delete_result(title)
                st.rerun()
