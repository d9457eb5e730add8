"""Streamlit state shared by the pages: the scenario library, cached simulation runs and plans."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import streamlit as st

import supportsim
from app import logic
from supportsim import Scenario, ScenarioError, SimulationResult, StaffingPlan

LIBRARY = "library"


@st.cache_data(show_spinner=False)
def _example_yaml(path: str, mtime: float) -> tuple[str, str] | str:
    """(name, canonical YAML) of an example file, or what is wrong with it."""
    try:
        scenario = supportsim.load_scenario(path)
    except ScenarioError as exc:
        return str(exc).splitlines()[0]
    return scenario.name, logic.canonical_yaml(scenario)


def library() -> dict[str, str]:
    """Scenario name -> canonical YAML: the examples, uploads and saved variants of this session."""
    if LIBRARY not in st.session_state:
        entries: dict[str, str] = {}
        for path in logic.example_files():
            loaded = _example_yaml(str(path), Path(path).stat().st_mtime)
            if isinstance(loaded, str):  # a broken file in scenarios/: say so, keep the others
                st.warning(f"Left out of the library: {loaded}")
            else:
                entries[loaded[0]] = loaded[1]
        st.session_state[LIBRARY] = entries
    lib: dict[str, str] = st.session_state[LIBRARY]
    return lib


def add_to_library(scenario: Scenario) -> str:
    """Store ``scenario`` (under its name) and return that name."""
    library()[scenario.name] = logic.canonical_yaml(scenario)
    return scenario.name


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
) -> SimulationResult:
    """Simulate a scenario, cached by its YAML content, seed and replications."""
    return _cached(
        _stored_run,
        (yaml_text, seed, replications, keep_tickets),
        lambda: supportsim.simulate(
            logic.scenario_from_yaml(yaml_text),
            seed=seed,
            replications=replications,
            keep_tickets=keep_tickets,
            progress=progress,
        ),
    )


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
            progress=progress,
        ),
    )
