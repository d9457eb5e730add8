"""Streamlit state shared by the pages: the scenario library, cached simulation runs and plans."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import streamlit as st

import supportsim
from app import flow_frames, flow_svg, logic, workspace
from supportsim import Scenario, ScenarioError, SimulationResult, StaffingNeeds, StaffingPlan

LIBRARY = "library"

PLAN_WORKERS = os.cpu_count() or 1
"""Processes a staffing plan runs its replications on: one per core. A plan is long work (the
helpdesk Monday took 21.0 s on one process, 11.4 s on two, the same plan:
``benchmarks/plan_rounds.py``); a simulation run stays on this process (a slider's run takes
less time than starting processes)."""


@st.cache_data(show_spinner=False)
def _example_yaml(path: str, mtime: float) -> tuple[str, str] | str:
    """(name, canonical YAML) of an example file, or what is wrong with it."""
    try:
        scenario = supportsim.load_scenario(path)
    except ScenarioError as exc:
        return str(exc).splitlines()[0]
    return scenario.name, logic.canonical_yaml(scenario)


def library() -> dict[str, str]:
    """Scenario name -> canonical YAML: the examples, then the variants and uploads saved in the
    workspace folder (they survive reloads and restarts).
    """
    if LIBRARY not in st.session_state:
        entries: dict[str, str] = {}
        for path in logic.example_files():
            loaded = _example_yaml(str(path), Path(path).stat().st_mtime)
            if isinstance(loaded, str):  # a broken file in scenarios/: say so, keep the others
                st.warning(f"Left out of the library: {loaded}")
            else:
                entries[loaded[0]] = loaded[1]
        examples = set(entries)
        for path in workspace.scenario_files():
            loaded = _example_yaml(str(path), path.stat().st_mtime)
            if isinstance(loaded, str):
                st.warning(f"Left out of the library (workspace): {loaded}")
            elif loaded[0] not in examples:
                entries[loaded[0]] = loaded[1]
        st.session_state[LIBRARY] = entries
        st.session_state["examples"] = examples
    lib: dict[str, str] = st.session_state[LIBRARY]
    return lib


def reload_library() -> dict[str, str]:
    """The library read again (examples and workspace): picks up a scenario another page or
    session saved in the workspace since this session's library was read.
    """
    st.session_state.pop(LIBRARY, None)
    return library()


def add_to_library(scenario: Scenario) -> str:
    """Store ``scenario`` (under its name, also in the workspace folder) and return that name."""
    text = logic.canonical_yaml(scenario)
    library()[scenario.name] = text
    workspace.save_scenario(scenario.name, text)
    return scenario.name


def saved_names() -> list[str]:
    """The library's scenarios that are saved variants or uploads (not examples)."""
    lib = library()
    examples = st.session_state.get("examples", set())
    return [n for n in lib if n not in examples]


def remove_from_library(name: str) -> None:
    """Delete a saved variant or upload (examples stay)."""
    if name in saved_names():
        del library()[name]
        workspace.delete_scenario(name)


def remembered(key: str) -> dict[str, object] | None:
    """What a page last asked for: this session's, else the workspace's (after a reload)."""
    if key not in st.session_state:
        value = workspace.load_state(key)
        if value is not None and all(n in library() for n in value.get("names", [])):
            st.session_state[key] = value
    value = st.session_state.get(key)
    return value if isinstance(value, dict) else None


def remember(key: str, value: dict[str, object]) -> None:
    """Keep what a page asked for, in this session and in the workspace."""
    st.session_state[key] = value
    workspace.save_state(key, value)


@st.cache_data(show_spinner=False)
def parsed(yaml_text: str) -> Scenario:
    """Validate a stored YAML text (cached)."""
    return logic.scenario_from_yaml(yaml_text)


def scenario(name: str) -> Scenario:
    """Get the library's scenario called ``name``."""
    return parsed(library()[name])


class _NotStored(Exception):
    """Raised by a store looked up before anything was put in it (exceptions are never cached)."""


T = TypeVar("T")


def _cached(store: Callable[..., T], key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """``store(*key)`` if it holds a value, else ``compute()`` stored under ``key``.

    ``compute`` runs outside the cached function, so the progress bar it moves is not
    recorded by ``st.cache_data`` for replay: a replayed bar would belong to a page run that
    is gone, and the cache hit would fail.
    """
    try:
        return store(*key)
    except _NotStored:
        return store(*key, _value=compute())


@st.cache_data(show_spinner=False, max_entries=200)
def _stored_run(
    yaml_text: str, seed: int, replications: int, keep_tickets: bool, _value: SimulationResult | None = None
) -> SimulationResult:
    if _value is None:
        raise _NotStored
    return _value


def run(
    yaml_text: str,
    seed: int,
    replications: int,
    keep_tickets: bool = True,
    progress: Callable[[int, int], None] | None = None,
    scenario: Scenario | None = None,
) -> SimulationResult:
    """Simulate a scenario, cached by its YAML content, seed and replications; ``scenario``,
    if given, is that YAML's scenario already validated (saves reading the YAML again).
    """
    return _cached(
        _stored_run,
        (yaml_text, seed, replications, keep_tickets),
        lambda: supportsim.simulate(
            scenario if scenario is not None else logic.scenario_from_yaml(yaml_text),
            seed=seed,
            replications=replications,
            keep_tickets=keep_tickets,
            progress=progress,
        ),
    )


@st.cache_data(show_spinner=False, max_entries=100)
def _stored_frames(
    yaml_text: str, seed: int, _value: tuple[list[flow_frames.Frame], list[str]] | None = None
) -> tuple[list[flow_frames.Frame], list[str]]:
    if _value is None:
        raise _NotStored
    return _value


def trainer_frames(yaml_text: str, seed: int, result: SimulationResult) -> tuple[list[flow_frames.Frame], list[str]]:
    """The trainer's frames of ``result`` (the run of ``yaml_text`` with ``seed``) and their
    pictures, cached like the run: a slider moved back to a value seen before redraws nothing.
    """
    return _cached(_stored_frames, (yaml_text, seed), lambda: _draw(result))


def _draw(result: SimulationResult) -> tuple[list[flow_frames.Frame], list[str]]:
    frames = flow_frames.frames(result)
    return frames, [flow_svg.frame_svg(f) for f in frames]


@st.cache_data(show_spinner=False, max_entries=20)
def _stored_plan(
    yaml_text: str, seed: int, replications: int, _value: StaffingPlan | None = None
) -> StaffingPlan:
    if _value is None:
        raise _NotStored
    return _value


def staffing_plan(
    yaml_text: str,
    seed: int,
    replications: int,
    progress: Callable[[int, str], None] | None = None,
) -> StaffingPlan:
    """Plan staffing for a scenario, cached by its YAML content, seed and replications."""
    return _cached(
        _stored_plan,
        (yaml_text, seed, replications),
        lambda: supportsim.plan(
            logic.scenario_from_yaml(yaml_text),
            seed=seed,
            replications=replications,
            workers=PLAN_WORKERS,
            progress=progress,
        ),
    )


@st.cache_data(show_spinner=False, max_entries=10)
def _stored_needs(
    yaml_texts: tuple[str, ...], seed: int, replications: int, _value: StaffingNeeds | None = None
) -> StaffingNeeds:
    if _value is None:
        raise _NotStored
    return _value


def needs(
    yaml_texts: tuple[str, ...],
    seed: int,
    replications: int,
    progress: Callable[[int, str], None] | None = None,
) -> StaffingNeeds:
    """Plan every scenario on the same seeds (:func:`supportsim.staffing_needs`), cached."""
    return _cached(
        _stored_needs,
        (yaml_texts, seed, replications),
        lambda: supportsim.staffing_needs(
            [logic.scenario_from_yaml(t) for t in yaml_texts],
            seed=seed,
            replications=replications,
            workers=PLAN_WORKERS,
            progress=progress,
        ),
    )
