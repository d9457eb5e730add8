"""What the app's pages should show, computed from the library alone (``supportsim``'s public
API) and written with the page's number format (:func:`app.formats.fmt`).

The app tests compare every card and chart with these, so a page that shows a different
number than the library computes fails, whichever of the app's helpers got it wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from app.formats import fmt

import supportsim
from supportsim import Kpi, SimulationResult


@dataclass(frozen=True)
class ExpectedCard:
    """A KPI card as the Compare page should draw it."""

    label: str
    value: str
    delta: str | None
    ci: str
    help: str | None


def _card_kpis(base: SimulationResult) -> list[tuple[str, Kpi, str]]:
    """(label, KPI, unit) of the ten cards, as the Compare page's help text describes them:
    the busiest group is the one with the highest mean occupancy in the base."""
    realtime = any(c.mode == "realtime" for c in base.scenario.channels)
    groups = [g.name for g in base.scenario.groups]
    busiest = max(groups, key=lambda g: np.nan_to_num(np.nanmean(base.values("groups", g, "occupancy")), nan=-1))
    live = " (live)" if realtime else ""
    return [
        ("Resolution time", Kpi("overall", "", "resolution_minutes"), "min"),
        ("First response", Kpi("overall", "", "first_response_minutes"), "min"),
        ("ASA" + live, Kpi("overall", "", "asa_seconds_realtime" if realtime else "asa_seconds"), "s"),
        ("Service level" + (live or " (async)"),
         Kpi("overall", "", "service_level_realtime" if realtime else "service_level_async"), "%"),
        ("Abandonment", Kpi("overall", "", "abandon_rate"), "%"),
        ("Queue length", Kpi("overall", "", "mean_waiting"), ""),
        (f"Occupancy {busiest}", Kpi("groups", busiest, "occupancy"), "%"),
        ("Cost per resolved", Kpi("overall", "", "cost_per_resolved"), "cost"),
        ("Deflection", Kpi("overall", "", "deflection_rate"), "%"),
        ("Total cost", Kpi("overall", "", "total_cost"), "cost"),
    ]


def compare_cards(results: list[SimulationResult], shown: int) -> list[ExpectedCard]:
    """The cards of ``results[shown]`` against the base ``results[0]``: the mean over
    replications, and (variants) the paired difference and its 95% half-width."""
    base, result = results[0], results[shown]
    kpis = _card_kpis(base)
    table = supportsim.comparison_table(results, [kpi for _, kpi, _ in kpis])
    cards = []
    for label, kpi, unit in kpis:
        values = result.values(kpi.scope, kpi.name, kpi.metric)
        finite = values[np.isfinite(values)]
        value = fmt(float(finite.mean()) if finite.size else math.nan, unit)
        if shown == 0:
            cards.append(ExpectedCard(label, value, None, "", None))
            continue
        difference, half = supportsim.paired_interval(values - base.values(kpi.scope, kpi.name, kpi.metric))
        delta = fmt(difference, unit, signed=True)
        half_text = fmt(half, unit).replace("%", " pp")
        row = table[(table["kpi"] == kpi.label) & (table["scenario"] == result.scenario.name)].iloc[0]
        cards.append(ExpectedCard(
            label, value, None if delta == "n/a" else delta, "" if half_text == "n/a" else f"±{half_text}",
            f"Verdict: {row['verdict']}",
        ))
    return cards


def by_time_of_day(results: list[SimulationResult], scope: str, column: str, key: str) -> pd.DataFrame:
    """The library's mean by time of day of ``column`` for every result, with its scenario."""
    frames = [supportsim.mean_by_time_of_day(r, scope, column).assign(scenario=r.scenario.name) for r in results]
    return pd.concat(frames, ignore_index=True).rename(columns={"name": key})


def resolution_quantiles(results: list[SimulationResult], points: int = 150) -> pd.DataFrame:
    """Quantiles of the resolution time of every resolved ticket, per scenario."""
    q = np.linspace(0.0, 1.0, points)
    return pd.concat([
        pd.DataFrame({"minutes": np.quantile(r.tickets["resolution_minutes"].dropna(), q), "share": q,
                      "scenario": r.scenario.name})
        for r in results
    ], ignore_index=True)


def same_rows(shown: pd.DataFrame, expected: pd.DataFrame, keys: list[str], numbers: list[str]) -> None:
    """Assert ``shown`` holds exactly ``expected``'s rows (any order): same keys, numbers
    equal to floating-point rounding (a chart's data goes through Arrow)."""
    left = shown[keys + numbers].sort_values(keys).reset_index(drop=True)
    right = expected[keys + numbers].sort_values(keys).reset_index(drop=True)
    assert len(left) == len(right), (len(left), len(right))
    for key in keys:
        assert left[key].astype(str).tolist() == right[key].astype(str).tolist(), key
    for number in numbers:
        np.testing.assert_allclose(left[number].to_numpy(float), right[number].to_numpy(float), rtol=1e-12,
                                   err_msg=number)
