"""Streamlit state shared by the pages: the scenario library and cached simulation runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

import supportsim
from app import logic
from supportsim import Scenario, ScenarioError, SimulationResult

LIBRARY = "library"


@st.cache_data(show_spinner=False)
def _example_yaml(path: str, mtime: float) -> tuple[str, str] | None:
    """(name, canonical YAML) of an example file; None if it does not load."""
    try:
        scenario = supportsim.load_scenario(path)
    except ScenarioError:
        return None
    return scenario.name, logic.canonical_yaml(scenario)


def library() -> dict[str, str]:
    """Scenario name -> canonical YAML: the examples, uploads and saved variants of this session."""
    if LIBRARY not in st.session_state:
        entries: dict[str, str] = {}
        for path in logic.example_files():
            loaded = _example_yaml(str(path), Path(path).stat().st_mtime)
            if loaded is not None:
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


@st.cache_data(show_spinner=False, max_entries=200)
def run(
    yaml_text: str,
    seed: int,
    replications: int,
    keep_tickets: bool = True,
    _progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate a scenario, cached by its YAML content, seed and replications."""
    return supportsim.simulate(
        logic.scenario_from_yaml(yaml_text),
        seed=seed,
        replications=replications,
        keep_tickets=keep_tickets,
        progress=_progress,
    )
