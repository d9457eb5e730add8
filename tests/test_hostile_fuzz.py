"""Property-based fuzzing of the scenario loader: trees generated from the scenario's JSON
Schema (and the example scenarios), then mutated with wrong types, non-finite and huge
numbers, deep nesting and aliases, never raise anything but :class:`ScenarioError` and never
exceed a memory budget.
"""

from __future__ import annotations

import copy
import math
import tracemalloc
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportsim.scenario import ScenarioError, parse_scenario, scenario_json_schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = scenario_json_schema()
DEFS = SCHEMA["$defs"]
EXAMPLES = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
EXAMPLES = [e for e in EXAMPLES if isinstance(e, dict) and "extends" not in e and "csv:" not in yaml.safe_dump(e)]
MEMORY_BUDGET_BYTES = 200 * 2**20

HOSTILE_NUMBERS = st.sampled_from(
    [math.inf, -math.inf, math.nan, 1e308, -1e308, 10**30, -(10**30), 10**9, 0, -1, 1e-320, 2**63]
)
WRONG_TYPES = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.just("x" * 100_000),
)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return DEFS[node["$ref"].split("/")[-1]]
    return node


def _from_schema(node: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped like the schema node (types right, values anywhere)."""
    node = _resolve(node)
    if depth > 6:
        return st.none()
    if "anyOf" in node or "oneOf" in node:
        options = node.get("anyOf") or node.get("oneOf")
        return st.one_of([_from_schema(option, depth + 1) for option in options])
    if "enum" in node or "const" in node:
        return st.sampled_from(node.get("enum") or [node["const"]])
    kind = node.get("type")
    if kind == "object" and "properties" in node:
        properties = node["properties"]
        required = set(node.get("required", []))
        return st.fixed_dictionaries(
            {k: _from_schema(v, depth + 1) for k, v in properties.items() if k in required},
            optional={k: _from_schema(v, depth + 1) for k, v in properties.items() if k not in required},
        )
    if kind == "object":
        values = node.get("additionalProperties")
        inner = _from_schema(values, depth + 1) if isinstance(values, dict) else st.integers()
        return st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3)
    if kind == "array":
        items = node.get("items", {})
        return st.lists(_from_schema(items, depth + 1) if items else st.integers(), max_size=4)
    if kind == "integer":
        return st.one_of(st.integers(-5, 500), HOSTILE_NUMBERS)
    if kind == "number":
        return st.one_of(st.floats(allow_nan=True, allow_infinity=True), HOSTILE_NUMBERS)
    if kind == "string":
        return st.text(max_size=12)
    if kind == "boolean":
        return st.booleans()
    return WRONG_TYPES


def _paths(tree: Any, prefix: tuple[Any, ...] = (), seen: set[int] | None = None) -> list[tuple[Any, ...]]:
    """Paths to every value, each shared object (a bomb's levels) entered once."""
    seen = set() if seen is None else seen
    found = [prefix]
    if isinstance(tree, dict | list) and id(tree) not in seen and len(prefix) < 12:
        seen.add(id(tree))
        items = tree.items() if isinstance(tree, dict) else enumerate(tree)
        for key, value in items:
            found += _paths(value, (*prefix, key), seen)
    return found


def _set(tree: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    tree[path[0]] = _set(tree[path[0]], path[1:], value)
    return tree


def _bomb(levels: int) -> Any:
    """Nested lists sharing one object per level: YAML writes them as anchors and aliases."""
    value: Any = ["lol"] * 9
    for _ in range(levels):
        value = [value] * 9
    return value


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


MUTATIONS = st.one_of(
    WRONG_TYPES,
    HOSTILE_NUMBERS,
    st.integers(1, 9).map(_bomb),
    st.integers(10, 400).map(_deep),
)


@st.composite
def mutated_trees(draw: st.DrawFn) -> Any:
    """A scenario tree from the schema or an example, with one to three values replaced."""
    from_schema = draw(st.booleans())
    tree = draw(_from_schema(SCHEMA)) if from_schema else copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(tree)))
        tree = _set(tree, path, draw(MUTATIONS))
    return tree


def _load(text: str) -> None:
    try:
        parse_scenario(text, source="fuzz.yaml", base_dir=ROOT / "scenarios")
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.yaml: ")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated_trees())
def test_mutated_scenarios_give_a_scenario_or_a_scenario_error(tree: Any) -> None:
    text = yaml.dump(tree, Dumper=yaml.SafeDumper, default_flow_style=True, width=10**6)
    tracemalloc.start()
    try:
        _load(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BUDGET_BYTES


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_scenario_error(text: str) -> None:
    _load(text)
