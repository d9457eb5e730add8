"""Reading scenario files: safe YAML in, a validated :class:`Scenario` or a clear error out."""

from __future__ import annotations

import csv
import difflib
import io
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from supportsim.scenario.files import FileRefused, read_text
from supportsim.scenario.limits import MAX_EXTENDS_DEPTH, MAX_SCENARIO_BYTES, MAX_TABLE_BYTES, shortened
from supportsim.scenario.model import Scenario, ScenarioInvalid
from supportsim.scenario.yaml_loader import YamlRefused, load_yaml


class ScenarioError(ValueError):
    """A scenario file that cannot be used; every line names the file and the field."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__(
            "\n".join(f"{source}: {path}: {msg}" if path else f"{source}: {msg}" for path, msg in problems)
        )


class _ChainTooLong(ScenarioError):
    """An ``extends:`` chain over the limit: already names the user's file and the chain."""


NAMED_LISTS = ("channels", "categories", "automation", "groups")
"""Lists whose items a variant overrides by ``name`` when it ``extends`` a base scenario."""


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate the scenario file at ``path`` (following ``extends:``).

    Raises:
        ScenarioError: the file is missing, is not safe YAML, or describes an invalid scenario.
    """
    path = Path(path)
    try:
        data = _read_file(path, ())
    except _ChainTooLong as exc:  # named as the user wrote it
        raise ScenarioError(str(path), exc.problems) from None
    return scenario_from_dict(data, source=str(path))


def parse_scenario(
    text: str, *, source: str = "<scenario>", base_dir: Path | None = None, self_contained: bool = False
) -> Scenario:
    """Validate scenario YAML ``text``; ``source`` names it in errors, ``base_dir`` anchors the
    paths of CSV files and of an ``extends:`` base. ``self_contained`` refuses both (an upload
    must not read the server's files).
    """
    if self_contained:
        data = _safe_yaml(text, source)
        _refuse_file_references(data, source)
        return scenario_from_dict(data, source=source)
    try:
        data = _read_mapping(text, source, base_dir or Path.cwd(), ())
    except _ChainTooLong as exc:
        raise ScenarioError(source, exc.problems) from None
    return scenario_from_dict(data, source=source)


def _refuse_file_references(data: dict[str, Any], source: str) -> None:
    if "extends" in data:
        raise ScenarioError(source, [("extends", "not allowed here; give a self-contained scenario")])
    channels = data.get("channels")
    for i, channel in enumerate(channels if isinstance(channels, list) else []):
        arrivals = channel.get("arrivals") if isinstance(channel, dict) else None
        if isinstance(arrivals, dict) and "csv" in arrivals:
            raise ScenarioError(
                source, [(f"channels[{i}].arrivals.csv", "not allowed here; write rates_per_hour instead")]
            )


def _read_file(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    source = str(path)
    try:
        text = read_text(path, limit=MAX_SCENARIO_BYTES, what="scenario file")
    except FileRefused as exc:
        raise ScenarioError(source, [("", exc.reason)]) from None
    return _read_mapping(text, source, path.parent, (*chain, path.resolve()))


def _read_mapping(text: str, source: str, base_dir: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """Parse one file's YAML, resolve its CSV tables, and merge it onto its ``extends`` base."""
    data = _safe_yaml(text, source)
    data = _read_arrival_tables(data, source, base_dir)
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    if not isinstance(base_name, str) or not base_name.strip():
        raise ScenarioError(source, [("extends", "must be the path of the base scenario file")])
    base_path = base_dir / base_name
    if base_path.resolve() in chain:
        raise ScenarioError(source, [("extends", f"'{base_name}' extends itself (a cycle)")])
    if len(chain) >= MAX_EXTENDS_DEPTH:  # reported against the user's file, the whole chain named
        names = " -> ".join(p.name for p in chain)
        raise _ChainTooLong(
            str(chain[0]), [("extends", f"more than {MAX_EXTENDS_DEPTH} files in the chain ({names} -> {base_name})")]
        )
    if not base_path.exists():
        raise ScenarioError(source, [("extends", f"no such file '{base_path}'")])
    try:
        base = _read_file(base_path, chain)
    except _ChainTooLong:
        raise
    except ScenarioError as exc:  # name the chain: the user's file, then each base
        raise ScenarioError(
            source, [(f"extends {p}" if not where else f"extends {p}: {where}", m) for p, where, m in _in(exc)]
        ) from None
    return merge_variant(base, data)


def _in(error: ScenarioError) -> list[tuple[str, str, str]]:
    return [(error.source, where, message) for where, message in error.problems]


def merge_variant(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``change`` applied: mappings merge key by key; channels, categories,
    automation and groups merge item by item by ``name`` (an item with ``remove: true`` is
    dropped, a new name is appended); any other value is replaced.
    """
    merged = dict(base)
    for key, value in change.items():
        old = merged.get(key)
        if key in NAMED_LISTS and isinstance(old, list) and isinstance(value, list):
            merged[key] = _merge_named(old, value)
        elif isinstance(old, dict) and isinstance(value, dict):
            merged[key] = merge_variant(old, value)
        else:
            merged[key] = value
    return merged


def _merge_named(base: list[Any], change: list[Any]) -> list[Any]:
    items = {item.get("name"): item for item in base if isinstance(item, dict)}
    order = [item.get("name") if isinstance(item, dict) else None for item in base]
    extra: list[Any] = []
    for item in change:
        name = item.get("name") if isinstance(item, dict) else None
        if name in items:
            if item.get("remove") is True:
                order.remove(name)
                del items[name]
            else:
                items[name] = merge_variant(items[name], item)
        else:
            extra.append(item)
    return [items[name] for name in order if name in items] + extra


def _safe_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        data = load_yaml(text)
    except YamlRefused as exc:
        raise ScenarioError(source, [(f"line {exc.line}" if exc.line else "", exc.problem)]) from None
    if data is None:
        raise ScenarioError(source, [("", "the file is empty")])
    if not isinstance(data, dict):
        raise ScenarioError(
            source,
            [("", f"a scenario is a YAML mapping with name, horizon, channels, ... (got a {type(data).__name__})")],
        )
    return data


def scenario_from_dict(data: dict[str, Any], *, source: str = "<scenario>") -> Scenario:
    """Validate an already-parsed scenario mapping."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, _problems(exc)) from None


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML, with defaults left out, that loads back to an equal scenario."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (as in ``scenarios/scenario.schema.json``)."""
    return Scenario.model_json_schema(by_alias=True)


def _read_arrival_tables(data: dict[str, Any], source: str, base_dir: Path) -> dict[str, Any]:
    """Replace each channel's ``arrivals.csv`` path by the ``rates_per_hour`` it contains."""
    channels = data.get("channels")
    if not isinstance(channels, list):
        return data
    new_channels = []
    for i, channel in enumerate(channels):
        arrivals = channel.get("arrivals") if isinstance(channel, dict) else None
        if isinstance(arrivals, dict) and isinstance(arrivals.get("csv"), str):
            field = f"channels[{i}].arrivals.csv"
            rates = _read_rates(base_dir / arrivals["csv"], source, field)
            arrivals = {k: v for k, v in arrivals.items() if k != "csv"} | {"rates_per_hour": rates}
            channel = channel | {"arrivals": arrivals}
        new_channels.append(channel)
    return data | {"channels": new_channels}


def _read_rates(path: Path, source: str, field: str) -> list[float]:
    try:
        text = read_text(path, limit=MAX_TABLE_BYTES, what="CSV table")
    except FileRefused as exc:
        if exc.reason == "no such file":
            raise ScenarioError(source, [(field, f"no such file '{path}'")]) from None
        raise ScenarioError(source, [(field, f"'{path}': {exc.reason}")]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ScenarioError(source, [(field, f"'{path}' line {reader.line_num}: not a CSV table ({exc})")]) from None
    if not rows or "per_hour" not in rows[0]:
        raise ScenarioError(source, [(field, f"'{path}' needs a per_hour column")])
    rates = []
    for row_number, row in enumerate(rows, start=2):
        try:
            rates.append(float(row["per_hour"]))
        except (TypeError, ValueError):
            raise ScenarioError(
                source,
                [(field, f"'{path}' line {row_number}: per_hour {shortened(row['per_hour'])} is not a number")],
            ) from None
    return rates


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for error in exc.errors():
        inner = (error.get("ctx") or {}).get("error")
        if isinstance(inner, ScenarioInvalid):
            problems.extend(inner.problems)
            continue
        path, parent, annotation = _walk(error["loc"])
        problems.append((path, _message(error, parent, annotation)))
    return problems


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``Optional`` wrappers from a type."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _union_members(annotation: Any) -> list[type[BaseModel]]:
    annotation = _unwrap(annotation)
    if get_origin(annotation) in (Union, UnionType):
        return [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return []


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("dist")
    return get_args(field.annotation)[0] if field is not None and get_args(field.annotation) else None


def _field(model: type[BaseModel], name: str) -> Any:
    for field_name, field in model.model_fields.items():
        if name in (field_name, field.alias):
            return field.annotation
    return None


def _walk(location: tuple[int | str, ...]) -> tuple[str, Any, Any]:
    """Follow an error location through the scenario's types.

    Returns the readable path (``groups[1].headcount``), the type holding the last part
    (to suggest known keys) and the type at the location (None where unknown). Union tags
    such as a distribution's name and pydantic's ``[key]`` markers are left out of the path.
    """
    text = ""
    current: Any = Scenario
    parent: Any = None
    for part in location:
        if part == "[key]":
            continue
        members = _union_members(current)
        if members and isinstance(part, str):
            chosen = next((m for m in members if _tag_of(m) == part), None)
            if chosen is not None:
                current = chosen
                continue
        parent = current
        kind = _unwrap(current)
        origin = get_origin(kind)
        if isinstance(part, int):
            text += f"[{part}]"
            current = get_args(kind)[0] if origin is list else None
        else:
            part = part if len(part) <= 40 else part[:37] + "..."
            text += f".{part}" if text else str(part)
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                current = _field(kind, part)
            elif origin is dict:
                current = get_args(kind)[1]
            else:
                current = None
    return text, parent, current


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _message(error: Any, parent: Any, annotation: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        sign, key = bounds[kind]
        return f"must be {sign} {_number(ctx[key])}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"unknown field{_suggestion(parent, error['loc'])}"
    if kind == "union_tag_invalid":
        return f"unknown distribution {shortened(ctx.get('tag'))} (expected one of {ctx.get('expected_tags')})"
    if kind == "union_tag_not_found":
        return (
            "a distribution needs a 'dist' key "
            "(exponential, lognormal, gamma, weibull, deterministic, uniform, empirical)"
        )
    if kind in ("model_attributes_type", "model_type", "dict_type"):
        if _union_members(annotation):
            return "a distribution is a mapping like {dist: exponential, mean: 6}"
        return f"must be a mapping (key: value pairs), got {shortened(error.get('input'))}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {shortened(error.get('input'))}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"must be a whole number, got {shortened(error.get('input'))}"
    if kind == "finite_number":
        return f"must be a finite number, got {shortened(error.get('input'))}"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number, got {shortened(error.get('input'))}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} item(s)"
    if kind == "list_type":
        return f"must be a list, got {shortened(error.get('input'))}"
    if kind == "string_type":
        return f"must be text, got {shortened(error.get('input'))}"
    return str(error["msg"])


def _suggestion(parent: Any, location: tuple[int | str, ...]) -> str:
    """Say which known key a misspelt one probably meant."""
    model = _unwrap(parent)
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or not isinstance(location[-1], str):
        return ""
    names = [f.alias or n for n, f in model.model_fields.items()]
    close = difflib.get_close_matches(location[-1], names, n=1)
    return f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(names)})"
