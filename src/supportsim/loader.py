"""Reading scenario files: safe YAML in, a validated :class:`Scenario` or a clear error out."""

from __future__ import annotations

import csv
import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from supportsim.scenario import Scenario, ScenarioInvalid

_DIST_TAGS = {"exponential", "lognormal", "gamma", "weibull", "deterministic", "uniform", "empirical"}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; every line names the file and the field."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {path}: {msg}" if path else f"{source}: {msg}" for path, msg in problems))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate the scenario file at ``path``.

    Raises:
        ScenarioError: the file is missing, is not safe YAML, or describes an invalid scenario.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, [("", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(source, [("", f"cannot read the file ({exc})")]) from None
    return parse_scenario(text, source=source, base_dir=path.parent)


def parse_scenario(text: str, *, source: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    """Validate scenario YAML ``text``; ``source`` names it in errors, ``base_dir`` anchors CSV paths."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(source, [(where, f"not valid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise ScenarioError(source, [("", "a scenario is a YAML mapping with name, horizon, channels, ...")])
    data = _read_arrival_tables(data, source, base_dir or Path.cwd())
    return scenario_from_dict(data, source=source)


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
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError:
        raise ScenarioError(source, [(field, f"cannot read '{path}'")]) from None
    if not rows or "per_hour" not in rows[0]:
        raise ScenarioError(source, [(field, f"'{path}' needs a per_hour column")])
    rates = []
    for row_number, row in enumerate(rows, start=2):
        try:
            rates.append(float(row["per_hour"]))
        except (TypeError, ValueError):
            raise ScenarioError(
                source, [(field, f"'{path}' line {row_number}: per_hour '{row['per_hour']}' is not a number")]
            ) from None
    return rates


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for error in exc.errors():
        inner = (error.get("ctx") or {}).get("error")
        if isinstance(inner, ScenarioInvalid):
            problems.extend(inner.problems)
            continue
        location = [part for part in error["loc"] if part not in _DIST_TAGS]
        problems.append((_path(location), _message(error, location)))
    return problems


def _path(location: list[int | str]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: Any, location: list[int | str]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    bounds = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}
    if kind in bounds:
        key = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}[kind]
        return f"must be {bounds[kind]} {ctx[key]}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"unknown field{_suggestion(location)}"
    if kind == "union_tag_invalid":
        return f"unknown distribution '{ctx.get('tag')}' (expected one of {ctx.get('expected_tags')})"
    if kind == "union_tag_not_found":
        return "a distribution needs a 'dist' key (exponential, lognormal, gamma, weibull, deterministic, uniform, empirical)"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {error.get('input')!r}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return f"must be a whole number, got {error.get('input')!r}"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"must be a number, got {error.get('input')!r}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind in ("too_short", "too_long"):
        return str(error["msg"]).replace("List", "list").replace("Dictionary", "mapping")
    return str(error["msg"])


def _suggestion(location: list[int | str]) -> str:
    """Say which known key a misspelt one probably meant."""
    if not location or not isinstance(location[-1], str):
        return ""
    model: type[BaseModel] | None = Scenario
    for part in location[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = _model_of(field.annotation) if field else None
    if model is None:
        return ""
    names = [f.alias or n for n, f in model.model_fields.items()]
    close = difflib.get_close_matches(str(location[-1]), names, n=1)
    return f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(names)})"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
