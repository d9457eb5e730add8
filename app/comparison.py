"""The Compare page's cards and chart data, shaped from results of ``supportsim``'s public API."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.formats import fmt
from supportsim import (
    LOWER_IS_BETTER,
    Kpi,
    SimulationResult,
    comparison_table,
    default_kpis,
    mean_by_time_of_day,
)

PREFERRED_PAIR = ("Helpdesk baseline week", "Helpdesk week with chatbot and self-service")


@dataclass(frozen=True)
class CardSpec:
    """A KPI card: what it shows and how to format it."""

    label: str
    kpi: Kpi
    unit: str  # "min", "s", "%", "", "cost"


@dataclass(frozen=True)
class Card:
    """A KPI card's numbers for one scenario against the base."""

    label: str
    value: str
    delta: str | None
    ci: str
    verdict: str
    lower_is_better: bool

    @property
    def delta_color(self) -> str:
        """Streamlit's ``delta_color``: coloured only when the difference is significant."""
        if self.verdict not in ("better", "worse"):
            return "off"
        return "inverse" if self.lower_is_better else "normal"


def busiest_group(result: SimulationResult) -> str:
    """Name the group with the highest mean occupancy."""
    groups = result.summary["groups"]
    return max(groups, key=lambda g: groups[g]["occupancy"]["mean"] or -1.0)


def default_pair(names: list[str]) -> list[str]:
    """Pick the scenarios preselected on the Compare page: the helpdesk pair if present."""
    if all(n in names for n in PREFERRED_PAIR):
        return list(PREFERRED_PAIR)
    return names[:2]


def card_specs(base: SimulationResult) -> list[CardSpec]:
    """Choose the ten KPI cards of the Compare page."""
    realtime = any(c.mode == "realtime" for c in base.scenario.channels)
    busiest = busiest_group(base)
    return [
        CardSpec("Resolution time", Kpi("overall", "", "resolution_minutes"), "min"),
        CardSpec("First response", Kpi("overall", "", "first_response_minutes"), "min"),
        CardSpec("ASA" + (" (live)" if realtime else ""),
                 Kpi("overall", "", "asa_seconds_realtime" if realtime else "asa_seconds"), "s"),
        CardSpec(
            "Service level" + (" (live)" if realtime else " (async)"),
            Kpi("overall", "", "service_level_realtime" if realtime else "service_level_async"),
            "%",
        ),
        CardSpec("Abandonment", Kpi("overall", "", "abandon_rate"), "%"),
        CardSpec("Queue length", Kpi("overall", "", "mean_waiting"), ""),
        CardSpec(f"Occupancy {busiest}", Kpi("groups", busiest, "occupancy"), "%"),
        CardSpec("Cost per resolved", Kpi("overall", "", "cost_per_resolved"), "cost"),
        CardSpec("Deflection", Kpi("overall", "", "deflection_rate"), "%"),
        CardSpec("Total cost", Kpi("overall", "", "total_cost"), "cost"),
    ]


def comparison_kpis(base: SimulationResult) -> list[Kpi]:
    """Every KPI of the comparison table: the cards' and the library's defaults."""
    kpis = default_kpis(base.scenario)
    for spec in card_specs(base):
        if spec.kpi not in kpis:
            kpis.append(spec.kpi)
    return kpis


def comparison_frame(results: list[SimulationResult]) -> pd.DataFrame:
    """Build the paired comparison table (first result is the base)."""
    return comparison_table(results, comparison_kpis(results[0]))


def cards(table: pd.DataFrame, specs: list[CardSpec], scenario: str, is_base: bool) -> list[Card]:
    """Fill the cards of ``scenario``: value and (variants) difference from the base with CI."""
    out = []
    for spec in specs:
        rows = table[(table["kpi"] == spec.kpi.label) & (table["scenario"] == scenario)]
        if rows.empty:
            out.append(Card(spec.label, "n/a", None, "", "not available", True))
            continue
        row = rows.iloc[0]
        half = fmt(row["difference_ci95"], spec.unit).replace("%", " pp")
        ci = "" if is_base or half == "n/a" else f"±{half}"
        delta = fmt(row["difference"], spec.unit, signed=True)
        out.append(
            Card(
                label=spec.label,
                value=fmt(row["mean"], spec.unit),
                delta=None if is_base or delta == "n/a" else delta,
                ci=ci,
                verdict="" if is_base else str(row["verdict"]),
                lower_is_better=spec.kpi.metric in LOWER_IS_BETTER
                or spec.kpi.metric == "occupancy",
            )
        )
    return out


def _by_time(result: SimulationResult, scope: str, column: str) -> pd.DataFrame:
    return mean_by_time_of_day(result, scope, column).assign(scenario=result.scenario.name)


def queue_by_time(results: list[SimulationResult]) -> pd.DataFrame:
    """Mean number waiting per channel by time of day (over days and replications)."""
    frames = [_by_time(r, "channel", "mean_waiting") for r in results]
    return pd.concat(frames, ignore_index=True).rename(columns={"name": "channel"})


def service_level_by_time(results: list[SimulationResult]) -> pd.DataFrame:
    """Service level per channel by time of day, with the channel's target."""
    frames = []
    for r in results:
        frame = _by_time(r, "channel", "service_level")
        targets = {
            c.name: (c.target.service_level if c.target else math.nan) for c in r.scenario.channels
        }
        frames.append(frame.assign(target=frame["name"].map(targets)))
    return (
        pd.concat(frames, ignore_index=True)
        .rename(columns={"name": "channel"})
        .dropna(subset=["service_level"])
    )


def occupancy_by_time(results: list[SimulationResult]) -> pd.DataFrame:
    """Occupancy per group by time of day (NaN where nobody is staffed is dropped)."""
    frames = [_by_time(r, "group", "occupancy") for r in results]
    return (
        pd.concat(frames, ignore_index=True)
        .rename(columns={"name": "group"})
        .dropna(subset=["occupancy"])
    )


def resolution_cdf(results: list[SimulationResult], points: int = 150) -> pd.DataFrame:
    """Empirical CDF of resolution time (minutes) per scenario, on ``points`` quantiles."""
    frames = []
    q = np.linspace(0.0, 1.0, points)
    for r in results:
        if r.tickets.empty:
            continue
        minutes = r.tickets["resolution_minutes"].dropna().to_numpy()
        if minutes.size == 0:
            continue
        frames.append(
            pd.DataFrame(
                {"minutes": np.quantile(minutes, q), "share": q, "scenario": r.scenario.name}
            )
        )
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["minutes", "share", "scenario"])
    )


def _difference_text(row: pd.Series, unit: str) -> str:
    half = fmt(row["difference_ci95"], unit).replace("%", " pp")
    return f"{fmt(row['difference'], unit, signed=True)} (±{half})"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def verdict_sentence(table: pd.DataFrame, specs: list[CardSpec], variant: str, base: str) -> str:
    """One sentence per variant from the cards' paired intervals, e.g. ``Chatbot vs baseline:
    resolution time -4.7 min (±2.0 min) and service level +2.4 pp (±0.6 pp) better; cost per
    resolved +0.39 (±0.04) worse; no significant change in 2 KPIs``.
    """
    groups: dict[str, list[str]] = {"better": [], "worse": [], "higher": [], "lower": []}
    unchanged = 0
    for spec in specs:
        rows = table[(table["kpi"] == spec.kpi.label) & (table["scenario"] == variant)]
        if rows.empty or not math.isfinite(float(rows.iloc[0]["difference"])):
            continue
        row = rows.iloc[0]
        verdict = str(row["verdict"])
        if verdict in groups:
            label = spec.label if spec.label[:2].isupper() else spec.label[0].lower() + spec.label[1:]
            groups[verdict].append(f"{label} {_difference_text(row, spec.unit)}")
        else:
            unchanged += 1
    clauses = [f"{_join(parts)} {verdict}" for verdict, parts in groups.items() if parts]
    if unchanged:
        clauses.append(f"no significant change in {unchanged} KPI{'s' if unchanged > 1 else ''}")
    return f"{variant} vs {base}: " + ("; ".join(clauses) if clauses else "nothing to compare")


def verdict_counts(table: pd.DataFrame, specs: list[CardSpec], variant: str) -> dict[str, int]:
    """How many of the cards' KPIs are better, worse or unchanged for ``variant``."""
    labels = {spec.kpi.label for spec in specs}
    rows = table[(table["scenario"] == variant) & table["kpi"].isin(labels)]
    return {v: int((rows["verdict"] == v).sum()) for v in ("better", "worse", "no significant difference")}


def grouped_warnings(results: list[SimulationResult]) -> list[str]:
    """Each warning once, with the scenarios it concerns: ``A, B: in k of n replications: ...``."""
    seen: dict[str, list[str]] = {}
    for result in results:
        for warning in result.grouped_warnings:
            seen.setdefault(warning, []).append(result.scenario.name)
    return [f"{', '.join(names)}: {warning}" for warning, names in seen.items()]
