"""The app's scenario helpers, free of Streamlit: the examples, uploads, the editor's fields.

Pages stay thin and call these helpers (and, for the Compare and Staffing pages,
``app.comparison`` and ``app.plan_tables``; for the trainer's diagram ``app.flow_chart``).
Everything computed comes from ``supportsim``'s public API; the helpers are tested with
plain pytest (``tests/test_app_logic.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from supportsim import Scenario, ScenarioError, parse_scenario, scenario_to_yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
MAX_UPLOAD_BYTES = 1_000_000


class UploadError(ValueError):
    """An uploaded scenario that cannot be used; ``problems`` are plain sentences."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# --------------------------------------------------------------------------- scenarios


def example_files(directory: Path = SCENARIO_DIR) -> list[Path]:
    """List the example scenario files, sorted by name."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def scenario_from_yaml(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario YAML (raises :class:`ScenarioError`)."""
    return parse_scenario(text, source=source, base_dir=SCENARIO_DIR)


def problem_lines(error: ScenarioError) -> list[str]:
    """One readable line per problem, ``field: message``."""
    return [f"{path}: {message}" if path else message for path, message in error.problems]


def read_upload(name: str, data: bytes) -> Scenario:
    """Validate an uploaded file through the library's loading gate: at most 1 MB of UTF-8
    (a BOM is fine), safe YAML within its node and depth budgets (an alias bomb is refused
    before it is built), self-contained (no ``extends:``, no CSV tables).
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(
            [f"{name} is {len(data) / 1e6:.1f} MB; scenario files are limited to 1 MB."]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UploadError([f"{name} is not a text file (line {line} is not UTF-8)."]) from None
    try:
        return parse_scenario(text, source=name, base_dir=SCENARIO_DIR, self_contained=True)
    except ScenarioError as exc:
        raise UploadError(problem_lines(exc)) from None


def canonical_yaml(scenario: Scenario) -> str:
    """Write the YAML text the app stores and caches results under."""
    return scenario_to_yaml(scenario)


# --------------------------------------------------------------------------- editor fields


@dataclass(frozen=True)
class EditField:
    """A number a manager may change, at a path of the scenario's data."""

    section: str  # expander title, e.g. "Channel phone"
    path: str
    label: str
    value: float
    integer: bool = False


def _dist_field(section: str, path: str, label: str, dist: dict[str, Any]) -> list[EditField]:
    key = "mean" if "mean" in dist else ("value" if "value" in dist else None)
    return [] if key is None else [EditField(section, f"{path}.{key}", label, float(dist[key]))]


def edit_fields(scenario: Scenario) -> list[EditField]:
    """List the numbers the Scenarios page offers.

    Volumes, patience, targets, handle times, escalation, automation, headcount, shrinkage
    and cost; shift counts are edited as a table (:func:`shift_counts`).
    """
    data = scenario.model_dump(by_alias=True, exclude_none=True)
    fields: list[EditField] = []
    for i, c in enumerate(data["channels"]):
        sec, p = f"Channel: {c['name']}", f"channels[{i}]"
        arrivals = c["arrivals"]
        for key, label in (("per_hour", "contacts per hour"), ("per_day", "contacts per day")):
            if key in arrivals:
                fields.append(EditField(sec, f"{p}.arrivals.{key}", label, float(arrivals[key])))
        if "patience_seconds" in c:
            fields += _dist_field(
                sec, f"{p}.patience_seconds", "mean patience (s)", c["patience_seconds"]
            )
        target = c.get("target", {})
        for key, label in (
            ("answer_within_seconds", "answer within (s)"),
            ("respond_within_hours", "respond within (h)"),
            ("service_level", "service-level target (0–1)"),
        ):
            if key in target:
                fields.append(EditField(sec, f"{p}.target.{key}", label, float(target[key])))
    for i, cat in enumerate(data["categories"]):
        sec, p = f"Category: {cat['name']}", f"categories[{i}]"
        fields += _dist_field(
            sec, f"{p}.handle_minutes", "handle time (min)", cat["handle_minutes"]
        )
        for j, tier in enumerate(cat.get("escalation", [])):
            fields.append(
                EditField(
                    sec,
                    f"{p}.escalation[{j}].probability",
                    f"escalation to {tier['skill']} (0–1)",
                    float(tier["probability"]),
                )
            )
            fields += _dist_field(
                sec,
                f"{p}.escalation[{j}].handle_minutes",
                f"{tier['skill']} handle time (min)",
                tier["handle_minutes"],
            )
    for i, bot in enumerate(data.get("automation", [])):
        sec, p = f"Automation: {bot['name']}", f"automation[{i}]"
        for name, share in bot["resolves"].items():
            fields.append(
                EditField(sec, f"{p}.resolves.{name}", f"resolves {name} (0–1)", float(share))
            )
        fields.append(
            EditField(sec, f"{p}.abandon", "leave in the bot (0–1)", float(bot.get("abandon", 0.0)))
        )
    for i, g in enumerate(data["groups"]):
        sec, p = f"Group: {g['name']}", f"groups[{i}]"
        if "headcount" in g:
            fields.append(
                EditField(sec, f"{p}.headcount", "headcount", float(g["headcount"]), integer=True)
            )
        fields.append(
            EditField(sec, f"{p}.shrinkage", "shrinkage (0–1)", float(g.get("shrinkage", 0.0)))
        )
        fields.append(
            EditField(
                sec, f"{p}.cost_per_hour", "cost per hour", float(g.get("cost_per_hour", 0.0))
            )
        )
    return fields


def shift_counts(scenario: Scenario) -> dict[str, pd.DataFrame]:
    """Per group with shifts (by path ``groups[i].shifts``): its shift lines as a table."""
    out = {}
    for i, g in enumerate(scenario.groups):
        if g.shifts:
            out[f"groups[{i}].shifts"] = pd.DataFrame(
                [
                    {
                        "start": s.start,
                        "hours": s.hours,
                        "weekdays": ",".join(s.weekdays),
                        "count": s.count,
                    }
                    for s in g.shifts
                ]
            )
    return out


def errors_by_field(error: ScenarioError) -> dict[str, list[str]]:
    """Key the problems of a scenario error by their field path."""
    out: dict[str, list[str]] = {}
    for path, message in error.problems:
        out.setdefault(path, []).append(message)
    return out
