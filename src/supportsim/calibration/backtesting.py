"""Backtest: replay a log's own period through a scenario and compare, interval by interval.

The replay keeps the scenario's behaviour (handle times, patience, IVR time, escalation,
routing) and replaces what the log observed: the horizon becomes the log's period (no
warm-up), contacts arrive exactly when and in the category the log says (an
:class:`~supportsim.engine.ArrivalTrace`), and each group is staffed per interval with the
agents the log shows ready in it (see :func:`supportsim.fitting.infer_staffing`; rounded to
whole agents, at least one where anyone was seen working; shrinkage 0). Who left in the
IVR is observed too: a trace cannot say which contact a bot should lose, so only contacts
that reached the human queue are replayed, through the bot's time with no bot abandonment
or resolution; those who left in the IVR count as offered on both sides.

KPIs per channel and interval of arrival (:data:`KPIS`) are computed by one function for
the log and for the simulated tickets (pooled over replications), so both sides use the
same definitions. An interval is scored when the log has at least ``min_contacts`` queued
contacts in it. Per KPI: ``bias`` = mean of (simulated − observed) over scored intervals,
``relative_bias`` = Σ(simulated − observed) ÷ Σ observed, ``mape`` = mean of
|simulated − observed| ÷ |observed| over scored intervals with observed ≠ 0, ``wape`` =
Σ|simulated − observed| ÷ Σ|observed| (robust where observed values come near 0), and
``noise_mape`` and ``noise_wape``: the MAPE and WAPE one replication gets against the mean of
the others, i.e. what a model that were exactly right would score given the noise of a single
day (MAPE is unstable where values come near 0; compare WAPE with ``noise_wape`` there).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from supportsim.calibration.fitting import infer_staffing, period_weekdays
from supportsim.calibration.logs import ContactLog
from supportsim.engine.replication import ArrivalTrace
from supportsim.reports.files import json_ready, staged_output
from supportsim.results.simulation import simulate
from supportsim.scenario.calendar import WEEKDAYS
from supportsim.scenario.io import scenario_from_dict
from supportsim.scenario.model import Scenario

KPIS = {
    "offered": "contacts that arrived (equal by construction: the replay uses the log's arrivals)",
    "abandon_rate": "abandoned ÷ (answered + abandoned)",
    "mean_wait_seconds": "mean wait in the human queue of answered contacts (ASA)",
    "service_level": "answered within the channel's target ÷ (answered + abandoned)",
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

    def write(self, out: Path) -> None:
        """Write ``backtest.csv``, ``summary.json`` and plots into ``out``, all or nothing."""
        with staged_output(out) as staging:
            self.intervals.to_csv(staging / "backtest.csv", index=False)
            (staging / "summary.json").write_text(json.dumps(json_ready(self.summary), indent=2) + "\n")
            write_plots(self, staging)


# --- the replayed scenario -----------------------------------------------------------------------


def _retime(table: list[Any], days: int, start: str, per_day: int, new_days: int, new_start: str) -> list[Any]:
    """Map a per-interval table of a ``days``-day horizon onto another horizon by weekday."""
    if len(table) == per_day:
        return table
    old = [WEEKDAYS[(WEEKDAYS.index(start) + d) % 7] for d in range(days)]
    out: list[Any] = []
    for d in range(new_days):
        weekday = WEEKDAYS[(WEEKDAYS.index(new_start) + d) % 7]
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


def replay(
    log: ContactLog, scenario: Scenario, *, gap_minutes: float = 30.0
) -> tuple[Scenario, ArrivalTrace, list[str]]:
    """Set the scenario to the log's period and staffing; return it, the trace and warnings."""
    horizon = scenario.horizon
    per_day = horizon.intervals_per_day
    names = {c.name for c in scenario.channels}
    missing = sorted(set(log.contacts["channel"]) - names)
    if missing:
        raise BacktestError(
            f"channel '{missing[0]}' of the log is not in the scenario (its channels: {', '.join(sorted(names))})"
        )
    for channel in scenario.channels:
        if channel.name in set(log.contacts["channel"]) and channel.mode != log.mode:
            raise BacktestError(f"channel '{channel.name}' is {log.mode} in the log but {channel.mode} in the scenario")
    warnings: list[str] = []
    staffing = infer_staffing(log, horizon.interval_minutes, gap_minutes)
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["horizon"] |= {"days": log.days, "start_weekday": log.start_weekday, "warmup_hours": 0}
    for channel in data["channels"]:
        channel["arrivals"] = {"per_hour": 0.0}  # replaced by the trace
    for bot in data.get("automation", []):
        bot["abandon"], bot["resolves"] = 0.0, {}  # IVR outcomes are replayed as observed
    served_by: dict[str, str] = {}
    for channel in scenario.channels:
        skills = [c.skill for c in scenario.categories if channel.name in c.channels]
        routes = scenario.routes(skills[0]) if skills else []
        if routes and channel.name in staffing.ready:
            served_by[channel.name] = routes[0].group
    for group in data["groups"]:
        observed = [c for c, g in served_by.items() if g == group["name"]]
        if observed:
            ready = np.sum([staffing.ready[c] for c in observed], axis=0)
            # an interval in which anyone was seen working keeps at least one agent
            counts = np.maximum(np.rint(ready), (ready > 0).astype(float)).astype(int)
            for key in ("headcount", "shifts"):
                group.pop(key, None)
            group["headcount_per_interval"] = [int(v) for v in counts]
            group["shrinkage"] = 0.0
        elif "headcount_per_interval" in group:
            group["headcount_per_interval"] = _retime(
                group["headcount_per_interval"],
                horizon.days,
                horizon.start_weekday,
                per_day,
                log.days,
                log.start_weekday,
            )
            warnings.append(f"group '{group['name']}' serves no channel of the log: it keeps its own schedule")
    replayed = scenario_from_dict(data, source="<backtest scenario>")
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


def interval_kpis(
    table: pd.DataFrame, thresholds: dict[str, float], keys: list[str], replications: int = 1
) -> pd.DataFrame:
    """Compute the KPIs (:data:`KPIS`) per group of ``keys`` of a contact table.

    The table has ``channel``, ``queued``, ``answered``, ``abandoned`` (booleans) and
    ``wait_seconds``; counts are divided by ``replications`` and ratios pooled over them.
    """
    t = table.copy()
    t["threshold"] = t["channel"].map(thresholds).astype(float)
    known_wait = t["answered"] & t["wait_seconds"].notna()
    t["known_wait"] = known_wait
    t["wait_known"] = t["wait_seconds"].where(known_wait, 0.0)
    t["within"] = known_wait & (t["wait_seconds"] <= t["threshold"])
    t["fate"] = known_wait | t["abandoned"]
    t["has_target"] = t["threshold"].notna()
    g = t.groupby(keys, observed=True)
    sums = g[["queued", "answered", "abandoned", "known_wait", "wait_known", "within", "fate"]].sum()
    out = pd.DataFrame(index=sums.index)
    out["offered"] = g.size() / replications
    out["queued"] = sums["queued"] / replications
    out["answered"] = sums["answered"] / replications
    out["abandoned"] = sums["abandoned"] / replications
    with np.errstate(invalid="ignore", divide="ignore"):
        out["abandon_rate"] = sums["abandoned"] / (sums["answered"] + sums["abandoned"])
        out["mean_wait_seconds"] = sums["wait_known"] / sums["known_wait"]
        out["service_level"] = (sums["within"] / sums["fate"]).where(g["has_target"].all())
    return out.replace([np.inf, -np.inf], np.nan)


def _observed_table(log: ContactLog, interval_minutes: int) -> pd.DataFrame:
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
        }
    )


def _simulated_table(tickets: pd.DataFrame, observed: pd.DataFrame, replications: int) -> pd.DataFrame:
    """Tabulate the new simulated tickets, plus the log's IVR leavers in each replication.

    Contacts that left in the IVR are not replayed: they count as offered, never queued.
    """
    new = tickets[tickets["origin"] == "new"]
    simulated = pd.DataFrame(
        {
            "replication": new["replication"].to_numpy(),
            "channel": new["channel"].astype(str).to_numpy(),
            "interval": new["interval"].to_numpy(np.int64),
            "queued": new["queued"].to_numpy(bool),
            "answered": new["answered"].to_numpy(bool),
            "abandoned": (new["outcome"] == "abandoned").to_numpy(),
            "wait_seconds": new["wait_seconds"].to_numpy(float),
        }
    )
    left = observed[~observed["queued"]]
    copies = [left.assign(replication=r) for r in range(replications)]
    return pd.concat([simulated, *copies], ignore_index=True)


def _errors(observed: pd.Series, simulated: pd.Series) -> dict[str, Any]:
    both = observed.notna() & simulated.notna()
    o, s = observed[both], simulated[both]
    nonzero = o != 0
    total = float(o.sum())
    return {
        "intervals": int(both.sum()),
        "bias": float((s - o).mean()) if len(o) else math.nan,
        "relative_bias": float((s - o).sum() / total) if total else math.nan,
        "mape": float(((s - o).abs() / o.abs())[nonzero].mean()) if nonzero.any() else math.nan,
        "wape": float((s - o).abs().sum() / o.abs().sum()) if o.abs().sum() else math.nan,
        "intervals_observed_zero": int((~nonzero).sum()),
    }


def backtest(
    log: ContactLog,
    scenario: Scenario,
    *,
    replications: int = 5,
    seed: int = 0,
    min_contacts: int = 20,
    gap_minutes: float = 30.0,
    workers: int = 1,
) -> BacktestResult:
    """Replay ``log``'s period through ``scenario`` and compare KPIs per interval (module notes)."""
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
    thresholds = {c.name: c.target_seconds for c in replayed.channels}
    observed_table = _observed_table(log, horizon.interval_minutes)
    simulated_table = _simulated_table(result.tickets, observed_table, replications)

    grid = pd.MultiIndex.from_product(
        [
            [c.name for c in replayed.channels if c.name in set(observed_table["channel"])],
            range(horizon.intervals),
        ],
        names=["channel", "interval"],
    )
    observed = interval_kpis(observed_table, thresholds, ["channel", "interval"]).reindex(grid)
    simulated = interval_kpis(simulated_table, thresholds, ["channel", "interval"], replications).reindex(grid)
    for frame in (observed, simulated):
        for column in ("offered", "queued", "answered", "abandoned"):
            frame[column] = frame[column].fillna(0.0)
    scored = observed["queued"] >= min_contacts

    table = grid.to_frame(index=False)
    per_day = horizon.intervals_per_day
    weekdays = np.array(period_weekdays(log))
    table["date"] = [str((log.period_start + pd.Timedelta(days=int(k // per_day))).date()) for k in table["interval"]]
    table["weekday"] = weekdays[(table["interval"] // per_day).to_numpy()]
    minutes = (table["interval"] % per_day) * horizon.interval_minutes
    table["time"] = [f"{m // 60:02d}:{m % 60:02d}" for m in minutes]
    table["scored"] = scored.to_numpy()
    table["queued_observed"] = observed["queued"].to_numpy()
    for kpi in KPIS:
        table[f"{kpi}_observed"] = observed[kpi].to_numpy()
        table[f"{kpi}_simulated"] = simulated[kpi].to_numpy()

    kpis = {}
    noise = _noise(simulated_table, thresholds, grid, scored, replications)
    for kpi in KPIS:
        kpis[kpi] = _errors(observed[kpi][scored], simulated[kpi][scored]) | {
            "noise_mape": noise.get(kpi, {}).get("mape", math.nan),
            "noise_wape": noise.get(kpi, {}).get("wape", math.nan),
            "definition": KPIS[kpi],
        }
    observed_total = interval_kpis(observed_table, thresholds, ["channel"])
    simulated_total = interval_kpis(simulated_table, thresholds, ["channel"], replications)
    per_replication = interval_kpis(simulated_table, thresholds, ["channel", "replication"])
    spread = per_replication.groupby(level="channel").std(ddof=1) if replications > 1 else None
    totals = {
        channel: {
            kpi: {
                "observed": float(observed_total.loc[channel, kpi]),
                "simulated": float(simulated_total.loc[channel, kpi]),
                "simulated_sd": float(spread.loc[channel, kpi]) if spread is not None else math.nan,
            }
            for kpi in KPIS
        }
        for channel in observed_total.index
    }
    slots = {"slot": lambda f: f["interval"] % per_day}
    by_time = pd.concat(
        {
            "observed": interval_kpis(observed_table.assign(**slots), thresholds, ["channel", "slot"], log.days),
            "simulated": interval_kpis(
                simulated_table.assign(**slots),
                thresholds,
                ["channel", "slot"],
                replications * log.days,
            ),
        },
        names=["side"],
    ).reset_index()
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
        "intervals": len(grid),
        "kpis": kpis,
        "totals": totals,
        "warnings": warnings + list(result.warnings),
    }
    return BacktestResult(table, summary, replayed, by_time)


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
    per_kpi: dict[str, dict[str, list[float]]] = {k: {"mape": [], "wape": []} for k in KPIS}
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
        for kpi in KPIS:
            errors = _errors(one[kpi][scored], rest[kpi][scored])
            for measure, values in per_kpi[kpi].items():
                values.append(errors[measure])
    return {
        kpi: {m: float(np.nanmean(v)) if np.isfinite(v).any() else math.nan for m, v in measures.items()}
        for kpi, measures in per_kpi.items()
    }


# --- plots ---------------------------------------------------------------------------------------


def write_plots(result: BacktestResult, folder: Path) -> list[str]:
    """One PNG per channel: observed and simulated KPIs over the time of day (all days pooled)."""
    from matplotlib.figure import Figure

    names = []
    interval_minutes = result.summary["interval_minutes"]
    frame = result.by_time_of_day
    for channel, rows in frame.groupby("channel"):
        fig = Figure(figsize=(11, 7), layout="constrained")
        axes = fig.subplots(math.ceil(len(KPIS) / 2), 2, squeeze=False).flat
        for ax, kpi in zip(axes, KPIS, strict=False):
            for side, style in (
                ("observed", {"color": "black"}),
                ("simulated", {"color": "tab:blue", "ls": "--"}),
            ):
                part = rows[rows["side"] == side].sort_values("slot")
                hours = part["slot"].to_numpy() * interval_minutes / 60
                ax.step(hours, part[kpi].to_numpy(), where="post", label=side, **style)
            ax.set(title=kpi, xlabel="hour of day", xlim=(0, 24))
        fig.axes[0].legend()
        for ax in fig.axes[len(KPIS) :]:
            ax.set_visible(False)
        fig.suptitle(
            f"{channel}: observed vs simulated over the day, "
            f"{result.summary['period']['days']} days pooled "
            f"({result.summary['replications']} replications)"
        )
        name = f"backtest_{''.join(ch if ch.isalnum() else '_' for ch in str(channel))}.png"
        fig.savefig(folder / name, dpi=90)
        names.append(name)
    return names
