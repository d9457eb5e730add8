"""Scenarios: pick or upload a scenario, change its parameters, save a variant, download YAML."""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st
from app import comparison, logic, state, structure_form

import supportsim
from supportsim import ScenarioError

st.title("Scenarios")
lib = state.library()

with st.expander("Upload a scenario file (YAML, at most 1 MB)"):
    upload = st.file_uploader("Scenario YAML", type=["yaml", "yml"], key="sc_upload")
    if upload is not None and st.session_state.get("sc_upload_done") != upload.file_id:
        data = upload.getvalue()
        try:
            uploaded = logic.read_upload(upload.name, data)
        except logic.UploadError as exc:
            st.error(
                f"{upload.name} cannot be used:\n\n" + "\n".join(f"- {p}" for p in exc.problems)
            )
        except Exception as exc:
            st.error(f"{upload.name} cannot be read: {exc}")
        else:
            st.session_state["sc_upload_done"] = upload.file_id
            st.session_state["sc_selected"] = state.add_to_library(uploaded)
            st.success(f"Added **{uploaded.name}** to the scenarios (saved in the workspace).")

names = list(lib)
if st.session_state.get("sc_pending") in names:  # a variant saved by the structure editor
    st.session_state["sc_selected"] = st.session_state.pop("sc_pending")
if st.session_state.get("sc_selected") not in names:
    preferred = comparison.PREFERRED_PAIR[0]
    st.session_state["sc_selected"] = preferred if preferred in names else names[0]
name = st.selectbox("Scenario", names, key="sc_selected")
scenario = state.scenario(name)
if scenario.description:
    st.caption(scenario.description)
digest = hashlib.sha1(lib[name].encode()).hexdigest()[:8]
prefix = f"ed|{digest}|"
errors: dict[str, list[str]] = st.session_state.get(f"sc_errors_{digest}", {})
structure_form.structure_editor(scenario, digest)
structure_form.workspace_list()


def _values_from_widgets() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in st.session_state.items():
        if isinstance(key, str) and key.startswith(prefix) and not key.endswith(".shifts"):
            values[key.removeprefix(prefix)] = value
    for path in logic.shift_counts(scenario):
        edits = st.session_state.get(prefix + path, {}).get("edited_rows", {})
        for row, change in edits.items():
            for column, value in change.items():
                if column == "count":
                    values[f"{path}[{int(row)}].count"] = value
    return values


def _save() -> None:
    variant_name = st.session_state.get(f"sc_name_{digest}", "").strip() or f"{name} (variant)"
    try:
        variant = supportsim.with_values(scenario, _values_from_widgets(), name=variant_name)
    except ScenarioError as exc:
        st.session_state[f"sc_errors_{digest}"] = logic.errors_by_field(exc)
        return
    st.session_state[f"sc_errors_{digest}"] = {}
    st.session_state["sc_saved"] = state.add_to_library(variant)
    st.session_state["sc_selected"] = variant.name


if errors:
    st.error(
        "The variant was not saved. "
        + "; ".join(f"{p or 'scenario'}: {m}" for p, ms in errors.items() for m in ms)
    )
if st.session_state.get("sc_saved") == name:
    st.success(f"Saved **{name}**. It is now available on the Compare, Staffing and Trainer pages.")

fields = logic.edit_fields(scenario)
shifts = logic.shift_counts(scenario)
sections = list(dict.fromkeys(f.section for f in fields))
group_names = [g.name for g in scenario.groups]
with st.form(f"sc_form_{digest}"):
    st.text_input("Variant name", value=f"{name} (variant)", key=f"sc_name_{digest}")
    tabs = st.tabs(["Channels", "Categories", "Automation", "Groups"])
    kinds = ["Channel", "Category", "Automation", "Group"]
    for tab, kind in zip(tabs, kinds, strict=True):
        with tab:
            mine = [s for s in sections if s.startswith(kind)]
            if not mine:
                st.caption("Nothing to edit here in this scenario.")
            for section in mine:
                st.markdown(f"**{section.split(': ', 1)[1]}**")
                row = [f for f in fields if f.section == section]
                columns = st.columns(4)
                for k, f in enumerate(row):
                    with columns[k % 4]:
                        if f.integer:
                            st.number_input(
                                f.label, value=int(f.value), step=1, key=prefix + f.path
                            )
                        else:
                            st.number_input(
                                f.label, value=f.value, format="%g", key=prefix + f.path
                            )
                        for message in errors.get(f.path, []):
                            st.error(message)
                group_path = (
                    f"groups[{group_names.index(section.split(': ', 1)[1])}].shifts"
                    if kind == "Group"
                    else None
                )
                if group_path in shifts:
                    st.caption("Shift lines: change the number of people on each line.")
                    st.data_editor(
                        shifts[group_path],
                        key=prefix + group_path,
                        hide_index=True,
                        height=180,
                        disabled=["start", "hours", "weekdays"],
                        width="stretch",
                    )
                    for path, messages in errors.items():
                        if path.startswith(group_path):
                            for message in messages:
                                st.error(f"{path.removeprefix(group_path)}: {message}")
    st.form_submit_button("Save as variant", type="primary", on_click=_save)

st.download_button(
    "Download YAML",
    lib[name].encode(),
    file_name=f"{name.lower().replace(' ', '_')}.yaml",
    mime="application/x-yaml",
    key="sc_download",
)
