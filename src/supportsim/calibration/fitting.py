"""Fitting a scenario to a contact log: each estimator in its own module, put together here.

- Arrivals (:mod:`.arrivals`): per channel, contacts per interval of each weekday, averaged
  over the days of that weekday in the log's period, as ``rates_per_hour`` of a one-week
  horizon (or of the log's days when it is shorter), with ``daily_cv``.
- Durations (:mod:`.durations`): handle and IVR times by maximum likelihood, family by AIC;
  patience by censored maximum likelihood (Erlang A in the exponential family).
- Categories (:mod:`.categories`): shares, handle time, escalation and reopen.
- Agents on duty (:mod:`.on_duty`), when no roster is given: the mean agents on duty per
  weekday and interval become ``headcount_per_interval``, the not-ready share ``shrinkage``.
- Callbacks and priority classes (:mod:`.retrials`), on realtime channels whose log names
  its customers: ``retrial`` (probability and delay after an abandonment), and the expected
  retrials are taken out of the arrival rates (the engine adds them back); ``vip_share`` and
  ``routing.priority.vip_credit_seconds`` from the priority class.

The report (:attr:`FitResult.report`) records every choice and its numbers; the
:mod:`supportsim.reports.fit_report` module writes it as Markdown, JSON and plots.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.calibration.arrivals import arrival_counts, daily_cv, hourly, period_weekdays, weekly_profile
from supportsim.calibration.categories import category_names, escalated_skill, fit_categories
from supportsim.calibration.durations import fit_ivr, fit_patience, round_significant
from supportsim.calibration.logs import ContactLog
from supportsim.calibration.on_duty import OnDuty, closed_line, infer_on_duty
from supportsim.calibration.retrials import PriorityFit, RetrialFit, expected_retrials, fit_priority, fit_retrials
from supportsim.calibration.satisfaction import feedback_section
from supportsim.scenario.calendar import Weekday
from supportsim.scenario.io import scenario_from_dict
from supportsim.scenario.model import Scenario


@dataclass(frozen=True)
class FitOptions:
    """Choices the log cannot tell: interval length, targets, session gap, minimum samples;
    ``retrials`` False leaves callbacks out; ``vip_credit_seconds`` replaces the estimated
    priority credit (seconds).
    """

    interval_minutes: int = 30
    answer_within_seconds: float = 20.0
    respond_within_hours: float = 24.0
    service_level: float = 0.8
    gap_minutes: float = 30.0
    min_sample: int = 30
    reopen_delay_hours: float = 24.0
    name: str | None = None
    retrials: bool = True
    vip_credit_seconds: float | None = None


@dataclass
class FitResult:
    """A fitted scenario (validated) and everything the fit report shows.

    ``data`` is the scenario as plain data; ``fits`` holds the fitted distributions by kind
    (``handle`` by scenario category, ``patience`` and ``ivr`` by channel) for the plots.
    """

    scenario: Scenario
    data: dict[str, Any]
    report: dict[str, Any]
    log: ContactLog
    on_duty: OnDuty
    fits: dict[str, Any] = field(default_factory=dict)


def safe_name(text: str) -> str:
    """``text`` with every character but letters, digits, ``-`` and ``_`` made ``_`` (for names and files)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text.strip()) or "x"


def fit(log: ContactLog, options: FitOptions | None = None) -> FitResult:
    """Fit a scenario to ``log``; see the module notes for each estimator."""
    options = options or FitOptions()
    if 1440 % options.interval_minutes or options.interval_minutes not in (15, 30, 60):
        raise ValueError("interval_minutes must be 15, 30 or 60")
    on_duty = infer_on_duty(log, options.interval_minutes, options.gap_minutes)
    retrials = _fit_retrials(log, options)
    arrivals = _Arrivals.of(log, on_duty, options.interval_minutes, _retrial_counts(log, retrials, options))
    report = _report_head(log, options)
    fits: dict[str, Any] = {"handle": {}, "patience": {}, "ivr": {}}
    parts = _Parts()
    names = category_names(log.contacts)
    for channel in sorted(log.contacts["channel"].unique()):
        info = _fit_channel(channel, log, options, on_duty, arrivals, parts, fits)
        _callbacks_and_priority(channel, arrivals.rows(channel), retrials.get(channel), options, parts, info)
        entries, report["categories"][channel] = fit_categories(
            arrivals.rows(channel),
            channel,
            names,
            fits["handle"],
            resolution=log.resolution_seconds,
            min_sample=options.min_sample,
            reopen_delay_hours=options.reopen_delay_hours,
        )
        parts.categories += entries
        needs_tier = any(bool(entry.get("escalation")) for entry in entries)
        parts.groups.append(_group(channel, log, options, on_duty, needs_tier, info))
        weekdays, per_day = _week(log, options)
        info["arrivals_per_weekday_hour"] = hourly(arrivals.observed_table(channel), weekdays, per_day, total=True)
        info["scenario_arrivals_per_weekday_hour"] = hourly(arrivals.table(channel), weekdays, per_day, total=True)
        info["daily_cv"] = arrivals.cvs.get(channel, 0.0)
        report["channels"][channel] = info
    data = _scenario_data(log, options, parts)
    feedback, report["satisfaction"] = feedback_section(log.contacts)
    if feedback is not None:
        data["feedback"] = feedback
    report["choices"] = _choices(report, options, log)
    scenario = scenario_from_dict(data, source="<fitted scenario>")
    return FitResult(scenario, data, report, log, on_duty, fits)


def _week(log: ContactLog, options: FitOptions) -> tuple[list[Weekday], int]:
    """The weekdays of the fitted horizon (the log's first week at most) and intervals per day."""
    return period_weekdays(log)[: min(7, log.days)], 1440 // options.interval_minutes


@dataclass
class _Parts:
    """The scenario's lists, filled channel by channel."""

    channels: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    automation: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    routing: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Arrivals:
    """Arrival counts and weekly profiles: as observed, and without contacts of a closed line."""

    log: ContactLog
    closed: NDArray[np.bool_]
    observed_counts: pd.DataFrame
    counts: pd.DataFrame
    profile: pd.DataFrame
    observed_profile: pd.DataFrame
    cvs: dict[str, float]

    @classmethod
    def of(cls, log: ContactLog, on_duty: OnDuty, interval_minutes: int, retrials: pd.Series) -> _Arrivals:
        """``retrials``: expected retrial arrivals per (channel, day, slot), taken out of the rates."""
        closed = closed_line(log, on_duty, interval_minutes)
        observed_counts = arrival_counts(log, interval_minutes)
        counts = arrival_counts(log, interval_minutes, ~closed)
        less = retrials.reindex(pd.MultiIndex.from_frame(counts[["channel", "day", "slot"]]), fill_value=0.0)
        counts["contacts"] = np.maximum(counts["contacts"].to_numpy(float) - less.to_numpy(float), 0.0)
        profile = weekly_profile(counts, "contacts")
        observed_profile = weekly_profile(observed_counts, "contacts")
        return cls(log, closed, observed_counts, counts, profile, observed_profile, daily_cv(counts))

    def rows(self, channel: str) -> pd.DataFrame:
        """The channel's contacts, those that met a closed line left out."""
        contacts = self.log.contacts
        return contacts[(contacts["channel"] == channel).to_numpy() & ~self.closed]

    def table(self, channel: str) -> pd.Series:
        """Mean contacts per (weekday, slot) of the fitted rates."""
        return self.profile[self.profile["channel"] == channel].set_index(["weekday", "slot"])["contacts"]

    def observed_table(self, channel: str) -> pd.Series:
        """Mean contacts per (weekday, slot) as observed."""
        observed = self.observed_profile
        return observed[observed["channel"] == channel].set_index(["weekday", "slot"])["contacts"]


def _report_head(log: ContactLog, options: FitOptions) -> dict[str, Any]:
    """The report's fields about the log and the options; channels and categories still empty."""
    return {
        "source": log.source,
        "sha256": _sha256(log.source),
        "format": log.format,
        "mode": log.mode,
        "rows_read": log.rows_read,
        "contacts": len(log.contacts),
        "rows_excluded": log.excluded,
        "problems": log.problem_counts().to_dict(orient="records"),
        "notes": list(log.notes),
        "period": {
            "start": str(log.period_start.date()),
            "days": log.days,
            "start_weekday": log.start_weekday,
        },
        "options": options.__dict__,
        "choices": [],
        "channels": {},
        "categories": {},
    }


def _sha256(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _fit_channel(
    channel: str,
    log: ContactLog,
    options: FitOptions,
    on_duty: OnDuty,
    arrivals: _Arrivals,
    parts: _Parts,
    fits: dict[str, Any],
) -> dict[str, Any]:
    """Add the channel (rates, target, patience) and its IVR bot to ``parts``; its report entry so far."""
    contacts = log.contacts
    all_rows = contacts[contacts["channel"] == channel]
    rows = arrivals.rows(channel)
    weekdays, per_day = _week(log, options)
    table = arrivals.table(channel)
    rates = [
        round_significant(float(table.get((w, s), 0.0)) * 60.0 / options.interval_minutes, 6)
        for w in weekdays
        for s in range(per_day)
    ]
    entry: dict[str, Any] = {
        "name": channel,
        "mode": log.mode,
        "arrivals": {"rates_per_hour": rates},
    }
    if arrivals.cvs.get(channel, 0.0) > 0:
        entry["arrivals"]["daily_cv"] = round_significant(arrivals.cvs[channel], 3)
    counts = arrivals.observed_counts
    info = _channel_summary(log, all_rows, counts[counts["channel"] == channel], options)
    info["left_ivr_while_closed"] = len(all_rows) - len(rows)
    if log.mode == "realtime":
        entry["target"] = {
            "answer_within_seconds": options.answer_within_seconds,
            "service_level": options.service_level,
        }
        patience = fit_patience(rows, log.resolution_seconds)
        info["patience"] = patience["report"]
        if patience["fit"] is not None:
            entry["patience_seconds"] = patience["fit"].spec()
            fits["patience"][channel] = patience
    else:
        entry["target"] = {
            "respond_within_hours": options.respond_within_hours,
            "service_level": options.service_level,
        }
    if on_duty.concurrency[channel] > 1:
        entry["concurrency"] = {"max": on_duty.concurrency[channel]}
    parts.channels.append(entry)
    ivr = fit_ivr(rows, log.resolution_seconds)
    if ivr is not None:
        fits["ivr"][channel] = ivr
        info["ivr"] = ivr["report"]
        parts.automation.append(
            {
                "name": f"ivr_{safe_name(channel)}",
                "channels": [channel],
                "resolves": {},
                "bot_minutes": ivr["fit"].spec(1 / 60),
                "abandon": round_significant(ivr["abandon"], 4),
            }
        )
    return info


def _group(
    channel: str, log: ContactLog, options: FitOptions, on_duty: OnDuty, needs_tier: bool, info: dict[str, Any]
) -> dict[str, Any]:
    """The channel's agent group: mean agents on duty per weekday and interval; adds ``info["staffing"]``."""
    weekdays, per_day = _week(log, options)
    weekly = weekly_profile(
        pd.DataFrame(
            {
                "channel": channel,
                "weekday": np.repeat(period_weekdays(log), per_day),
                "slot": np.tile(np.arange(per_day), log.days),
                "agents": on_duty.on_duty[channel],
            }
        ),
        "agents",
    ).set_index(["weekday", "slot"])["agents"]
    roster = [round(float(weekly.get((w, s), 0.0))) for w in weekdays for s in range(per_day)]
    skill = str(channel)
    group: dict[str, Any] = {
        "name": f"{safe_name(channel)}_agents",
        "skills": [skill, escalated_skill(channel)] if needs_tier else [skill],
        "headcount_per_interval": roster,
    }
    if on_duty.shrinkage[channel] > 0:
        group["shrinkage"] = round_significant(on_duty.shrinkage[channel], 4)
    # the agents on duty, under the report's key that readers of fit_report.json know
    info["staffing"] = {
        "method": on_duty.method[channel],
        "shrinkage": on_duty.shrinkage[channel],
        "mean_on_duty": float(on_duty.on_duty[channel].mean()),
        "mean_ready": float(on_duty.ready[channel].mean()),
        "agents_named": on_duty.agents[channel],
        "concurrency": on_duty.concurrency[channel],
        "mean_on_duty_per_weekday_hour": hourly(weekly, weekdays, per_day),
    }
    return group


def _scenario_data(log: ContactLog, options: FitOptions, parts: _Parts) -> dict[str, Any]:
    """The fitted scenario as plain data (what its YAML says)."""
    start = log.period_start.date()
    data: dict[str, Any] = {
        "name": options.name or f"Fitted to {Path(log.source).name}",
        "description": (
            f"Fitted by supportsim fit to {Path(log.source).name} ({log.format} format), "
            f"{log.days} days from {start} ({log.start_weekday}); {len(log.contacts)} contacts."
        ),
        "horizon": {
            "days": min(7, log.days),
            "interval_minutes": options.interval_minutes,
            "start_weekday": log.start_weekday,
        },
        "channels": parts.channels,
        "categories": parts.categories,
        "groups": parts.groups,
    }
    if parts.automation:
        data["automation"] = parts.automation
    if parts.routing:
        data["routing"] = parts.routing
    return data


def _channel_summary(log: ContactLog, rows: pd.DataFrame, counts: pd.DataFrame, options: FitOptions) -> dict[str, Any]:
    """Counts by outcome, ASA and contacts per day by weekday of one channel, as observed."""
    served = int((rows["outcome"] == "served").sum())
    abandoned = int((rows["outcome"] == "abandoned").sum())
    queued = served + abandoned
    waits = rows.loc[rows["outcome"] == "served", "wait_seconds"].dropna()
    per_day = (
        counts.groupby("weekday", sort=False)["contacts"].sum() / counts.groupby("weekday", sort=False)["day"].nunique()
    )
    return {
        "contacts": len(rows),
        "served": served,
        "abandoned": abandoned,
        "left_ivr": int((rows["outcome"] == "left_ivr").sum()),
        "open": int((rows["outcome"] == "open").sum()),
        "queued": queued,
        "abandon_share_of_queued": abandoned / queued if queued else None,
        "asa_seconds": float(waits.mean()) if len(waits) else None,
        "mean_per_day_by_weekday": {str(k): round(float(v), 3) for k, v in per_day.items()},
    }


def _choices(report: dict[str, Any], options: FitOptions, log: ContactLog) -> list[str]:
    """Plain-language notes on what was chosen and why."""
    resolution = log.resolution_seconds
    notes = [
        f"Arrivals: mean contacts per {options.interval_minutes}-minute interval of each weekday "
        f"over the {log.days} days of the log (days with no contacts count as zero), as "
        f"rates_per_hour of a {min(7, log.days)}-day horizon starting on {log.start_weekday}.",
        "Handle times: maximum likelihood in the exponential, lognormal, gamma and Weibull "
        "families; the lowest AIC is chosen. KS statistics are distances only: with estimated "
        f"parameters and times rounded to {resolution:g} s their p-values would not be valid. "
        f"Durations recorded as 0 are set to {resolution / 2:g} s.",
        "Staffing: agents on duty per interval are inferred from agent activity (sessions of "
        f"services with gaps of at most {options.gap_minutes:g} min), averaged per weekday and "
        "interval, as headcount_per_interval; shrinkage is the share of on-duty time agents "
        "were not ready.",
    ]
    if log.mode == "realtime":
        notes.append(
            "Patience: censored maximum likelihood (a served customer's patience only exceeds "
            "their wait); family by AIC. The exponential fit is the Erlang A estimator (total "
            "wait ÷ abandonments). Kaplan-Meier is the non-parametric check (KS distance) and is "
            "plotted."
        )
        notes.append(
            f"Service target answer_within_seconds {options.answer_within_seconds:g} at "
            f"{options.service_level:g} is an assumption (logs hold no targets)."
        )
    else:
        notes.append(
            "Async channel: handle time is the elapsed time from first response to resolution "
            "(logs of this kind record no effort), so handle times and staffing describe work in "
            "progress: an agent holds up to `concurrency` tickets at once. Work of the same "
            "agents on tickets outside the log is invisible to the fit. Target "
            f"respond_within_hours {options.respond_within_hours:g} is an assumption."
        )
    closed = sum(info.get("left_ivr_while_closed", 0) for info in report["channels"].values())
    if closed:
        notes.append(
            f"{closed} contacts arrived while no agent was on duty and left in the IVR (the line "
            "was closed): they are in the observed arrival table but not in the scenario's rates "
            "or IVR shares, because the engine has no opening hours and would queue them until "
            "they abandon."
        )
    notes += _callback_notes(report)
    if any("escalation" in c for ch in report["categories"].values() for c in ch.values()):
        notes.append(
            "Escalation: probability = escalated share of served contacts; the escalated tier's "
            "handle time is the difference of mean handle times of escalated and other contacts "
            "(the log has no per-tier times), served by the same agents."
        )
    return notes


def _fit_retrials(log: ContactLog, options: FitOptions) -> dict[str, RetrialFit | None]:
    """The retrial fit of each realtime channel whose log names customers (none if ``options.retrials`` is off)."""
    contacts = log.contacts
    if not options.retrials or log.mode != "realtime" or not (contacts["customer_id"] != "").any():
        return {}
    return {str(ch): fit_retrials(rows) for ch, rows in contacts.groupby("channel", sort=True)}


def _retrial_counts(log: ContactLog, retrials: dict[str, RetrialFit | None], options: FitOptions) -> pd.Series:
    """Expected retrial arrivals per (channel, day, slot) given every abandonment of the log."""
    pieces = []
    minutes = (
        log.arrival_minutes()
        + (log.contacts["ivr_seconds"].fillna(0) + log.contacts["wait_seconds"].fillna(0)).to_numpy(float) / 60.0
    )
    for channel, retrial in retrials.items():
        if retrial is None:
            continue
        mask = ((log.contacts["channel"] == channel) & (log.contacts["outcome"] == "abandoned")).to_numpy()
        table = expected_retrials(minutes[mask], retrial, log.days, options.interval_minutes)
        days, slots = np.indices(table.shape)
        index = pd.MultiIndex.from_arrays([[channel] * table.size, days.ravel(), slots.ravel()])
        pieces.append(pd.Series(table.ravel(), index=index))
    if not pieces:
        return pd.Series(dtype=float, index=pd.MultiIndex.from_arrays([[], [], []]))
    return pd.concat(pieces)


def _callbacks_and_priority(
    channel: str,
    rows: pd.DataFrame,
    retrial: RetrialFit | None,
    options: FitOptions,
    parts: _Parts,
    info: dict[str, Any],
) -> None:
    """Add the channel's ``retrial`` and ``vip_share`` (and the priority credit) to ``parts``; report them."""
    entry = next(c for c in parts.channels if c["name"] == channel)
    if retrial is not None:
        info["retrial"] = retrial.report()
        if retrial.delay is not None and retrial.probability > 0:
            entry["retrial"] = {
                "probability": round_significant(retrial.probability, 3),
                "delay_minutes": retrial.delay.spec(),
            }
    if entry["mode"] != "realtime":
        return
    priority: PriorityFit | None = fit_priority(rows)
    if priority is None:
        return
    info["priority"] = priority.report()
    credit = options.vip_credit_seconds if options.vip_credit_seconds is not None else priority.credit_seconds
    info["priority"]["credit_used_seconds"] = round_significant(credit, 3) if credit is not None else None
    if credit is not None and credit > 0:
        entry["vip_share"] = round_significant(priority.share, 4)
        parts.routing = {"priority": {"vip_credit_seconds": round_significant(credit, 3)}}


def _callback_notes(report: dict[str, Any]) -> list[str]:
    """Plain-language notes on the callback and priority estimates."""
    notes = []
    for channel, info in report["channels"].items():
        r = info.get("retrial")
        if r:
            notes.append(
                f"Callbacks ({channel}): {r['probability']:.1%} ± {1.96 * r['probability_se']:.1%} of customers "
                f"who abandon call again within {r['window_minutes']:g} min, beyond the repeat calls that follow a "
                f"service (the background): the excess repeat curve flattens there. Estimated on the "
                f"{r['identified_abandonments']} abandonments of identified customers; anonymous callers "
                "(customer_id 0 or empty) cannot be linked and are assumed to behave alike. Delay: "
                f"{r['chosen_delay']} by least squares on the excess curve (smallest KS). The expected "
                "retrials are taken out of the arrival rates, since the engine adds them back."
            )
        p = info.get("priority")
        if p:
            credit = p["credit_used_seconds"]
            est = p["credit_seconds"]
            est_text = f"{est:.0f} ± {1.96 * p['credit_se']:.0f} s" if est is not None else "not estimable"
            notes.append(
                f"Priority ({channel}): {p['share']:.1%} of contacts have priority {p['priority_level']}. "
                f"Their waits against regular contacts of the same type and 15 minutes where waits are long "
                f"give a credit of {est_text} (a lower bound: contacts that wait less than the credit gain "
                f"less); used: {'none (first come, first served)' if not credit else f'{credit:g} s'}."
            )
    return notes
