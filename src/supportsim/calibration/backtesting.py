"""Backtest: replay a log's own period through a scenario and compare, interval by interval.

The replay keeps the scenario's behaviour (handle times, patience, IVR time, escalation,
routing) and replaces what the log observed: the horizon becomes the log's period (no
warm-up), contacts arrive exactly when and in the category the log says (an
:class:`~supportsim.engine.ArrivalTrace`), and each group is staffed per interval with the
agents the log shows ready in it (see :func:`supportsim.calibration.on_duty.infer_on_duty`;
rounded to whole agents, at least one where anyone was seen working; shrinkage 0). The log's
calls include its customers' retrials, so the scenario's ``retrial`` is left out of the replay. Who left
in the IVR is observed too: a trace cannot say which contact a bot should lose, so only
contacts that reached the human queue are replayed, through the bot's time with no bot
abandonment or resolution; those who left in the IVR count as offered on both sides.

KPIs per channel and interval of arrival (:data:`BACKTEST_KPIS`) are computed by one function
for the log and for the simulated tickets (pooled over replications), so both sides use the
same definitions; ``service_level`` is the one of ``docs/metrics.md``. An interval is scored
when the log has at least ``min_contacts`` queued contacts in it. Per KPI: ``bias`` = mean of
(simulated − observed) over scored intervals, ``relative_bias`` = Σ(simulated − observed) ÷
Σ observed, ``mape`` = mean of |simulated − observed| ÷ |observed| over scored intervals with
observed ≠ 0, ``wape`` = Σ|simulated − observed| ÷ Σ|observed| (robust where observed values
come near 0), and ``noise_mape`` and ``noise_wape``: the MAPE and WAPE one replication gets
against the mean of the others, i.e. what a model that were exactly right would score given
the noise of a single day (MAPE is unstable where values come near 0; compare WAPE with
``noise_wape`` there). ``pooled_by_hour`` scores abandonment rate and mean wait per hour of
day, every chosen weekday pooled (e.g. a bank's Sunday-Thursday week), over the hours with
at least ``pool_min_contacts`` queued contacts per pooled day.

The files (``backtest.csv``, ``summary.json``, plots) are written by
:mod:`supportsim.reports.backtest_report`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from supportsim.calibration.arrivals import period_weekdays
from supportsim.calibration.logs import ContactLog
from supportsim.calibration.on_duty import OnDuty, infer_on_duty
from supportsim.calibration.scores import interval_kpis, kpi_errors, pooled_by_hour
from supportsim.engine import ArrivalTrace
from supportsim.results import simulate
from supportsim.scenario.calendar import clock_text, weekday_after
from supportsim.scenario.edit import edited
from supportsim.scenario.model import Horizon, Scenario

BACKTEST_KPIS = {
    "offered": "contacts that arrived (equal by construction: the replay uses the log's arrivals)",
    "abandon_rate": "abandoned ÷ (answered + abandoned)",
    "mean_wait_seconds": "mean wait in the human queue of answered contacts (ASA)",
    "service_level": (
        "answered within the channel's target ÷ queued contacts whose fate against the target is known: "
        "answered, abandoned, or still waiting after more than the target when the replay ended"
    ),
}
"""The compared KPIs and their definitions."""


class BacktestError(ValueError):
    """A log and a scenario that cannot be compared (e.g. a channel the scenario lacks)."""


@dataclass
class BacktestResult:
    """Per-interval observed and simulated KPIs, their error summary, and the replayed scenario."""

    intervals: pd.DataFrame
    summary: dict[str, Any]
    scenario: Scenario
    by_time_of_day: pd.DataFrame = field(repr=False)


# --- the replayed scenario -----------------------------------------------------------------------


def _retime(table: list[Any], days: int, start: str, per_day: int, new_days: int, new_start: str) -> list[Any]:
    """Map a per-interval table of a ``days``-day horizon onto another horizon by weekday."""
    if len(table) == per_day:
        return table
    old = [weekday_after(start, d) for d in range(days)]
    out: list[Any] = []
    for d in range(new_days):
        weekday = weekday_after(new_start, d)
        source = old.index(weekday) if weekday in old else d % days
        out += table[source * per_day : (source + 1) * per_day]
    return out


def _category_map(scenario: Scenario, contacts: pd.DataFrame) -> dict[tuple[str, str], str] | None:
    """Scenario category of each (channel, category) of the log, or None if one is missing."""
    names = {c.name for c in scenario.categories}
    out = {}
    for channel, category in contacts[["channel", "category"]].drop_duplicates().itertuples(index=False):
        if category in names:
            out[(channel, category)] = category
        elif f"{category} ({channel})" in names:
            out[(channel, category)] = f"{category} ({channel})"
        else:
            return None
    return out


def _check_channels(log: ContactLog, scenario: Scenario) -> None:
    """:class:`BacktestError` for a channel of the log the scenario lacks or has in another mode."""
    names = {c.name for c in scenario.channels}
    missing = sorted(set(log.contacts["channel"]) - names)
    if missing:
        raise BacktestError(
            f"channel '{missing[0]}' of the log is not in the scenario (its channels: {', '.join(sorted(names))})"
        )
    for channel in scenario.channels:
        if channel.name in set(log.contacts["channel"]) and channel.mode != log.mode:
            raise BacktestError(f"channel '{channel.name}' is {log.mode} in the log but {channel.mode} in the scenario")


def _first_groups(scenario: Scenario, on_duty: OnDuty) -> dict[str, str]:
    """The group first in line for each channel the log shows agents on."""
    served_by: dict[str, str] = {}
    for channel in scenario.channels:
        skills = [c.skill for c in scenario.categories if channel.name in c.channels]
        routes = scenario.routes(skills[0]) if skills else []
        if routes and channel.name in on_duty.ready:
            served_by[channel.name] = routes[0].group
    return served_by


def _staff_group(
    group: dict[str, Any], ready: list[Any], horizon: Horizon, log: ContactLog, warnings: list[str]
) -> None:
    """Staff a group (plain data) with the ``ready`` agents observed per interval, if any."""
    if ready:
        total = np.sum(ready, axis=0)
        # an interval in which anyone was seen working keeps at least one agent
        counts = np.maximum(np.rint(total), (total > 0).astype(float)).astype(int)
        for key in ("headcount", "shifts"):
            group.pop(key, None)
        group["headcount_per_interval"] = [int(v) for v in counts]
        group["shrinkage"] = 0.0
    elif "headcount_per_interval" in group:
        group["headcount_per_interval"] = _retime(
            group["headcount_per_interval"],
            horizon.days,
            horizon.start_weekday,
            horizon.intervals_per_day,
            log.days,
            log.start_weekday,
        )
        warnings.append(f"group '{group['name']}' serves no channel of the log: it keeps its own schedule")


def replay(
    log: ContactLog, scenario: Scenario, *, gap_minutes: float = 30.0
) -> tuple[Scenario, ArrivalTrace, list[str]]:
    """Set the scenario to the log's period and agents; return it, the trace and warnings."""
    _check_channels(log, scenario)
    horizon = scenario.horizon
    on_duty = infer_on_duty(log, horizon.interval_minutes, gap_minutes)
    served_by = _first_groups(scenario, on_duty)
    warnings: list[str] = []

    def change(data: dict[str, Any]) -> None:
        data["horizon"] |= {"days": log.days, "start_weekday": log.start_weekday, "warmup_hours": 0}
        for channel in data["channels"]:
            channel["arrivals"] = {"per_hour": 0.0}  # replaced by the trace
            channel.pop("retrial", None)  # the log's calls include its retrials: the trace replays them
        for bot in data.get("automation", []):
            bot["abandon"], bot["resolves"] = 0.0, {}  # IVR outcomes are replayed as observed
        for group in data["groups"]:
            ready = [on_duty.ready[c] for c, g in served_by.items() if g == group["name"]]
            _staff_group(group, ready, horizon, log, warnings)

    replayed = edited(scenario, change, source="<backtest scenario>")
    reached = (log.contacts["outcome"] != "left_ivr").to_numpy()
    contacts = log.contacts[reached]
    mapping = _category_map(replayed, contacts)
    categories = None
    if mapping is None:
        warnings.append(
            "some categories of the log are not in the scenario: categories drawn from the scenario's shares"
        )
    else:
        keys = zip(contacts["channel"], contacts["category"], strict=True)
        categories = np.array([mapping[k] for k in keys], dtype=object)
    trace = ArrivalTrace(
        channel=contacts["channel"].to_numpy(dtype=object),
        arrival_minute=log.arrival_minutes()[reached],
        category=categories,
    )
    return replayed, trace, warnings


# --- KPIs ----------------------------------------------------------------------------------------


def _observed_table(log: ContactLog, interval_minutes: int) -> pd.DataFrame:
    """The log's contacts as KPI inputs: the log's period holds every contact's fate."""
    contacts = log.contacts
    minutes = log.arrival_minutes()
    return pd.DataFrame(
        {
            "channel": contacts["channel"].to_numpy(),
            "interval": (minutes // interval_minutes).astype(np.int64),
            "queued": contacts["outcome"].isin(["served", "abandoned", "open"]).to_numpy(),
            "answered": (contacts["outcome"] == "served").to_numpy(),
            "abandoned": (contacts["outcome"] == "abandoned").to_numpy(),
            "wait_seconds": contacts["wait_seconds"].to_numpy(float),
            "waiting_at_end": False,
        }
    )


def _simulated_table(tickets: pd.DataFrame, observed: pd.DataFrame, replications: int) -> pd.DataFrame:
    """Tabulate the new simulated tickets, plus the log's IVR leavers in each replication.

    Contacts that left in the IVR are not replayed: they count as offered, never queued.
    """
    new = tickets[tickets["origin"] == "new"]
    queued = new["queued"].to_numpy(bool)
    answered = new["answered"].to_numpy(bool)
    simulated = pd.DataFrame(
        {
            "replication": new["replication"].to_numpy(),
            "channel": new["channel"].astype(str).to_numpy(),
            "interval": new["interval"].to_numpy(np.int64),
            "queued": queued,
            "answered": answered,
            "abandoned": (new["outcome"] == "abandoned").to_numpy(),
            "wait_seconds": new["wait_seconds"].to_numpy(float),
            "waiting_at_end": queued & ~answered & (new["outcome"] == "open").to_numpy(),
        }
    )
    left = observed[~observed["queued"]]
    copies = [left.assign(replication=r) for r in range(replications)]
    return pd.concat([simulated, *copies], ignore_index=True)


def backtest(
    log: ContactLog,
    scenario: Scenario,
    *,
    replications: int = 5,
    seed: int = 0,
    min_contacts: int = 20,
    gap_minutes: float = 30.0,
    workers: int = 1,
    pool_weekdays: tuple[str, ...] | None = None,
    pool_min_contacts: int = 5,
) -> BacktestResult:
    """Replay ``log``'s period through ``scenario`` and compare KPIs per interval (module notes);
    ``summary["pooled_by_hour"]`` scores them per hour of day pooled over ``pool_weekdays``
    (:func:`pooled_by_hour`).
    """
    replayed, trace, warnings = replay(log, scenario, gap_minutes=gap_minutes)
    horizon = replayed.horizon
    result = simulate(
        replayed,
        seed=seed,
        replications=replications,
        trace=trace,
        workers=workers,
        keep_tickets=True,  # the KPIs are tabulated from the simulated tickets
    )
    sides = _Sides.of(log, replayed, result.tickets, replications)
    observed, simulated = sides.per_interval()
    scored = observed["queued"] >= min_contacts
    table = _interval_table(log, horizon, sides.grid, scored, observed, simulated)
    kpis = {}
    noise = _noise(sides.simulated, sides.thresholds, sides.grid, scored, replications)
    for kpi, definition in BACKTEST_KPIS.items():
        kpis[kpi] = kpi_errors(observed[kpi][scored], simulated[kpi][scored]) | {
            "noise_mape": noise.get(kpi, {}).get("mape", math.nan),
            "noise_wape": noise.get(kpi, {}).get("wape", math.nan),
            "definition": definition,
        }
    summary = {
        "source": log.source,
        "scenario": scenario.name,
        "rows_read": log.rows_read,
        "contacts": len(log.contacts),
        "rows_excluded": log.excluded,
        "problems": log.problem_counts().to_dict(orient="records"),
        "period": {
            "start": str(log.period_start.date()),
            "days": log.days,
            "start_weekday": log.start_weekday,
        },
        "interval_minutes": horizon.interval_minutes,
        "replications": replications,
        "seed": seed,
        "min_contacts": min_contacts,
        "intervals_scored": int(scored.sum()),
        "intervals": len(sides.grid),
        "kpis": kpis,
        "totals": sides.totals(),
        "pooled_by_hour": pooled_by_hour(
            (sides.observed, sides.simulated),
            sides.thresholds,
            replications,
            period_weekdays(log),
            horizon.interval_minutes,
            pool_weekdays,
            pool_min_contacts,
        ),
        "warnings": warnings + list(result.warnings),
    }
    return BacktestResult(table, summary, replayed, sides.by_time_of_day(horizon.intervals_per_day, log.days))


@dataclass(frozen=True)
class _Sides:
    """The observed and simulated contact tables, the channels' targets and the interval grid."""

    observed: pd.DataFrame
    simulated: pd.DataFrame
    thresholds: dict[str, float]
    grid: pd.MultiIndex
    replications: int

    @classmethod
    def of(cls, log: ContactLog, replayed: Scenario, tickets: pd.DataFrame, replications: int) -> _Sides:
        horizon = replayed.horizon
        observed = _observed_table(log, horizon.interval_minutes)
        simulated = _simulated_table(tickets, observed, replications)
        grid = pd.MultiIndex.from_product(
            [
                [c.name for c in replayed.channels if c.name in set(observed["channel"])],
                range(horizon.intervals),
            ],
            names=["channel", "interval"],
        )
        thresholds = {c.name: c.target_seconds for c in replayed.channels}
        return cls(observed, simulated, thresholds, grid, replications)

    def per_interval(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Observed and simulated KPIs on the grid; counts 0 where nothing arrived."""
        keys = ["channel", "interval"]
        observed = interval_kpis(self.observed, self.thresholds, keys).reindex(self.grid)
        simulated = interval_kpis(self.simulated, self.thresholds, keys, self.replications).reindex(self.grid)
        for frame in (observed, simulated):
            for column in ("offered", "queued", "answered", "abandoned"):
                frame[column] = frame[column].fillna(0.0)
        return observed, simulated

    def totals(self) -> dict[str, dict[str, dict[str, float]]]:
        """Per channel and KPI over the whole period: observed, simulated and its sd over replications."""
        observed = interval_kpis(self.observed, self.thresholds, ["channel"])
        simulated = interval_kpis(self.simulated, self.thresholds, ["channel"], self.replications)
        per_replication = interval_kpis(self.simulated, self.thresholds, ["channel", "replication"])
        spread = per_replication.groupby(level="channel").std(ddof=1) if self.replications > 1 else None
        return {
            channel: {
                kpi: {
                    "observed": float(observed.loc[channel, kpi]),
                    "simulated": float(simulated.loc[channel, kpi]),
                    "simulated_sd": float(spread.loc[channel, kpi]) if spread is not None else math.nan,
                }
                for kpi in BACKTEST_KPIS
            }
            for channel in observed.index
        }

    def by_time_of_day(self, per_day: int, days: int) -> pd.DataFrame:
        """KPIs per channel and slot of the day, all days pooled, one row per side."""
        slots = {"slot": lambda f: f["interval"] % per_day}
        keys = ["channel", "slot"]
        return pd.concat(
            {
                "observed": interval_kpis(self.observed.assign(**slots), self.thresholds, keys, days),
                "simulated": interval_kpis(
                    self.simulated.assign(**slots), self.thresholds, keys, self.replications * days
                ),
            },
            names=["side"],
        ).reset_index()


def _interval_table(
    log: ContactLog,
    horizon: Horizon,
    grid: pd.MultiIndex,
    scored: pd.Series,
    observed: pd.DataFrame,
    simulated: pd.DataFrame,
) -> pd.DataFrame:
    """``backtest.csv``: one row per channel and interval, its date and time, and both sides' KPIs."""
    table = grid.to_frame(index=False)
    per_day = horizon.intervals_per_day
    weekdays = np.array(period_weekdays(log))
    table["date"] = [str((log.period_start + pd.Timedelta(days=int(k // per_day))).date()) for k in table["interval"]]
    table["weekday"] = weekdays[(table["interval"] // per_day).to_numpy()]
    minutes = (table["interval"] % per_day) * horizon.interval_minutes
    table["time"] = [clock_text(int(m)) for m in minutes]
    table["scored"] = scored.to_numpy()
    table["queued_observed"] = observed["queued"].to_numpy()
    for kpi in BACKTEST_KPIS:
        table[f"{kpi}_observed"] = observed[kpi].to_numpy()
        table[f"{kpi}_simulated"] = simulated[kpi].to_numpy()
    return table


def _noise(
    simulated: pd.DataFrame,
    thresholds: dict[str, float],
    grid: pd.MultiIndex,
    scored: pd.Series,
    replications: int,
) -> dict[str, dict[str, float]]:
    """Per KPI, mean over replications of the MAPE and WAPE of one against the pool of the others."""
    if replications < 2:
        return {}
    per_kpi: dict[str, dict[str, list[float]]] = {k: {"mape": [], "wape": []} for k in BACKTEST_KPIS}
    for r in range(replications):
        one = interval_kpis(simulated[simulated["replication"] == r], thresholds, ["channel", "interval"]).reindex(grid)
        rest = interval_kpis(
            simulated[simulated["replication"] != r],
            thresholds,
            ["channel", "interval"],
            replications - 1,
        ).reindex(grid)
        for frame in (one, rest):
            frame["offered"] = frame["offered"].fillna(0.0)
        for kpi in BACKTEST_KPIS:
            errors = kpi_errors(one[kpi][scored], rest[kpi][scored])
            for measure, values in per_kpi[kpi].items():
                values.append(errors[measure])
    return {
        kpi: {m: float(np.nanmean(v)) if np.isfinite(v).any() else math.nan for m, v in measures.items()}
        for kpi, measures in per_kpi.items()
    }
