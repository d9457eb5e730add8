"""The Staffing page's shift-rules form (Streamlit widgets; the logic is in :mod:`app.shift_rules`)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.shift_rules import BREAKS_HELP, LABELS


def rules_inputs(start: dict[str, Any], key: str) -> dict[str, Any]:
    """Widgets for every ``planning:`` rule, starting at ``start`` (:func:`app.shift_rules.form_values`);
    call inside the page's form. Returns the values shown (the submitted ones on submit).
    """
    out: dict[str, Any] = {}
    left, right = st.columns([3, 2])
    with left:
        st.caption("Allowed shift lengths (paid hours, breaks included). " + BREAKS_HELP
                   + " Add or delete rows to allow other lengths.")
        out["shift_lengths"] = st.data_editor(
            start["shift_lengths"], key=f"{key}_lengths", num_rows="dynamic", hide_index=True, width="stretch",
            column_config={
                "hours": st.column_config.NumberColumn("hours", min_value=0.5, max_value=16, step=0.5,
                                                       format="%g h", required=True),
                "part-time": st.column_config.CheckboxColumn("part-time", default=False),
                "breaks": st.column_config.TextColumn("breaks", width="large"),
            },
        )
    with right:
        st.caption("Most people per group (None: no cap; delete the number to lift a cap).")
        out["max_agents"] = st.data_editor(
            start["max_agents"], key=f"{key}_caps", hide_index=True, width="stretch", disabled=["group"],
            column_config={"most people": st.column_config.NumberColumn("most people", min_value=0, step=1,
                                                                        format="%d")},
        )
    cols = st.columns(4)
    out["max_part_time_share"] = cols[0].number_input(
        LABELS["max_part_time_share"], 0.0, 100.0, float(start["max_part_time_share"]), 5.0, format="%g",
        key=f"{key}_pt")
    out["start_granularity_minutes"] = cols[1].number_input(
        LABELS["start_granularity_minutes"], 15, 240, int(start["start_granularity_minutes"]), 15,
        key=f"{key}_gran", help="A multiple of 15 minutes.")
    out["earliest_start"] = cols[2].time_input(LABELS["earliest_start"], start["earliest_start"], step=900,
                                               key=f"{key}_earliest")
    out["latest_start"] = cols[3].time_input(LABELS["latest_start"], start["latest_start"], step=900,
                                             key=f"{key}_latest")
    cols = st.columns(4)
    out["min_weekly_hours"] = cols[0].number_input(
        LABELS["min_weekly_hours"], 0.0, 84.0, float(start["min_weekly_hours"]), 1.0, format="%g", key=f"{key}_minw")
    out["max_weekly_hours"] = cols[1].number_input(
        LABELS["max_weekly_hours"], 1.0, 84.0, float(start["max_weekly_hours"]), 1.0, format="%g", key=f"{key}_maxw")
    out["days_off_per_week"] = cols[2].number_input(
        LABELS["days_off_per_week"], 0, 6, int(start["days_off_per_week"]), 1, key=f"{key}_off")
    out["consecutive_days_off"] = cols[3].checkbox(
        LABELS["consecutive_days_off"], bool(start["consecutive_days_off"]), key=f"{key}_consec")
    cols = st.columns(4)
    out["fte_weekly_hours"] = cols[0].number_input(
        LABELS["fte_weekly_hours"], 1.0, 84.0, float(start["fte_weekly_hours"]), 1.0, format="%g", key=f"{key}_fte")
    out["break_offsets_minutes"] = cols[1].text_input(
        LABELS["break_offsets_minutes"], start["break_offsets_minutes"], key=f"{key}_offsets",
        help="Every break of a shift may move together by these minutes, so people starting together "
        "do not all take their breaks at once.")
    out["target_probability"] = cols[2].number_input(
        LABELS["target_probability"], 0.0, 99.0, float(start["target_probability"]), 5.0, format="%g",
        key=f"{key}_tp", help="0: the mean day meets each target. Above 0: each per-interval target must hold on "
        "at least this share of days drawn from the "
        "volume's day-to-day variation (the scenario's daily_cv), instead of on the mean day.")
    return out
