"""The fit report: the fitted scenario as commented YAML, and the choices, tables and plots of a fit.

``fit_report.md`` and ``fit_report.json`` say what was chosen and why (the report of
:class:`~supportsim.calibration.FitResult`), with PNG plots of the arrival profile and agents
on duty, the patience survival curves and the handle-time fits. Figures are built with
``matplotlib.figure.Figure`` and returned; the ``write_*`` functions save them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from supportsim.calibration import FitResult
from supportsim.calibration.durations import floor_zeros, kaplan_meier
from supportsim.calibration.fitting import safe_name
from supportsim.reports.files import json_ready
from supportsim.scenario.io import scenario_to_yaml

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_COLOURS = {
    "exponential": "tab:red",
    "lognormal": "tab:orange",
    "gamma": "tab:green",
    "weibull": "tab:blue",
}


def scenario_yaml(result: FitResult, header: list[str]) -> str:
    """Render the fitted scenario as YAML with ``header`` lines as comments on top."""
    lines = [f"# {line}" if line else "#" for line in header]
    return "\n".join(lines) + "\n" + scenario_to_yaml(result.scenario)


def write_fit_report(result: FitResult, folder: Path) -> None:
    """Write ``fit_report.md``, ``fit_report.json`` and the PNG plots into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    figures = write_fit_figures(result, folder)
    (folder / "fit_report.md").write_text(report_markdown(result, figures), encoding="utf-8")
    (folder / "fit_report.json").write_text(json.dumps(json_ready(result.report), indent=2) + "\n", encoding="utf-8")


# --- Markdown ------------------------------------------------------------------------------------


def _md_table(frame: pd.DataFrame, floatfmt: str | None = None) -> str:
    """Render ``frame`` as a Markdown table.

    Floats use ``floatfmt``; by default 4 significant digits, and one decimal from 1000 on
    (so AIC differences stay visible).
    """

    def cell(value: Any) -> str:
        if isinstance(value, float | np.floating):
            number = float(value)
            if math.isnan(number):
                return "–"
            if floatfmt is not None:
                return floatfmt.format(number)
            return f"{number:,.1f}" if abs(number) >= 1000 else f"{number:.4g}"
        return str(value).replace("|", "\\|")

    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def report_markdown(result: FitResult, figures: dict[str, str]) -> str:
    """Render the fit report as Markdown; ``figures`` maps a figure key to its file name."""
    r = result.report
    out = [
        f"# Fit report: {Path(r['source']).name}",
        "",
        f"Source `{r['source']}` ({r['format']} format, sha256 `{r['sha256']}`). "
        f"{r['rows_read']} rows read, {r['contacts']} contacts used, "
        f"{r['rows_excluded']} rows excluded. Period: {r['period']['days']} days from "
        f"{r['period']['start']} ({r['period']['start_weekday']}).",
        "",
        "## Choices",
        "",
        *[f"- {c}" for c in r["choices"]],
        "",
        "## Rows not used as they stand",
        "",
    ]
    problems = pd.DataFrame(r["problems"])
    out.append(_md_table(problems) if len(problems) else "None.")
    out += ["", *[f"- {note}" for note in r["notes"]], ""]
    for channel, info in r["channels"].items():
        out += _md_arrivals(channel, info, figures)
        out += _md_patience(channel, info, figures)
        out += _md_callbacks(info)
        out += _md_ivr(info)
        out += _md_categories(channel, r["categories"][channel], figures)
        out += _md_on_duty(info, figures)
    out += _md_satisfaction(r.get("satisfaction", {}))
    return "\n".join(out) + "\n"


def _md_satisfaction(info: dict[str, Any]) -> list[str]:
    """The fitted satisfaction model (``feedback.satisfaction``), or why there is none."""
    out = ["## Satisfaction (feedback stage)", ""]
    if not info.get("fitted"):
        return [*out, info.get("reason", "Not fitted."), ""]
    rows = pd.DataFrame(
        {
            "coefficient": list(info["coefficients"]),
            "estimate": list(info["coefficients"].values()),
            "standard error": [info["standard_errors"].get(name, float("nan")) for name in info["coefficients"]],
        }
    )
    omitted = ", ".join(info["omitted"]) or "none"
    return [
        *out,
        f"Logistic model of P(satisfied) fitted on {info['responses']} survey responses "
        f"(observed CSAT {info['csat']:.1%}); covariates the log does not know, left at 0: {omitted}.",
        "",
        _md_table(rows, "{:.4f}"),
        "",
    ]


def _md_arrivals(channel: str, info: dict[str, Any], figures: dict[str, str]) -> list[str]:
    out = [f"## Channel `{channel}`", ""]
    summary = {k: v for k, v in info.items() if not isinstance(v, dict)}
    out.append(_md_table(pd.DataFrame([summary])))
    out += ["", "### Arrivals per weekday and hour (mean per day)", ""]
    hourly = pd.DataFrame(info["arrivals_per_weekday_hour"], index=[f"{h:02d}" for h in range(24)])
    out.append(_md_table(hourly.reset_index(names="hour"), "{:.2f}"))
    if "arrivals" in figures:
        out += ["", f"![arrival profile]({figures['arrivals']})"]
    out += ["", f"Daily volume cv beyond Poisson: {info['daily_cv']:.3f}.", ""]
    return out


def _md_patience(channel: str, info: dict[str, Any], figures: dict[str, str]) -> list[str]:
    if "patience" not in info:
        return []
    p = info["patience"]
    out = ["### Patience (seconds)", "", f"Estimator: {p['estimator']}.", ""]
    out.append(
        _md_table(pd.DataFrame([{k: v for k, v in p.items() if not isinstance(v, list | dict) and k != "estimator"}]))
    )
    if p.get("candidates"):
        out += ["", _md_table(pd.DataFrame(p["candidates"]))]
    key = f"patience:{channel}"
    if key in figures:
        out += ["", f"![patience]({figures[key]})"]
    out.append("")
    return out


def _md_callbacks(info: dict[str, Any]) -> list[str]:
    """Retrials after abandonment (the excess repeat-call curve) and the priority class."""
    out: list[str] = []
    r = info.get("retrial")
    if r:
        out += [
            "### Callbacks after abandonment",
            "",
            f"Estimator: {r['estimator']}. Retrial probability {r['probability']:.3f} "
            f"(standard error {r['probability_se']:.3f}) within a window of {r['window_minutes']:g} min, "
            f"from {r['identified_abandonments']} abandonments and {r['identified_served']} services of "
            "identified customers. G: share of abandonments followed by a call of the same customer "
            "within the time; B: the same after a service (background); H = (G − B)/(1 − B).",
            "",
            _md_table(pd.DataFrame(r["curve"])),
            "",
            _md_table(pd.DataFrame(r["delay_candidates"])),
            "",
        ]
    p = info.get("priority")
    if p:
        out += [
            "### Priority class",
            "",
            f"Share of contacts with priority {p['priority_level']}: {p['share']:.3f}; credit estimated "
            f"{p['credit_seconds'] if p['credit_seconds'] is None else round(p['credit_seconds'], 1)} s "
            f"over {p['slots']} cells, used {p['credit_used_seconds']}.",
            "",
            _md_table(pd.DataFrame([p["share_by_category"]])),
            "",
            _md_table(pd.DataFrame(p["credit_by_min_wait"])) if p["credit_by_min_wait"] else "",
            "",
        ]
    return out


def _md_ivr(info: dict[str, Any]) -> list[str]:
    if "ivr" not in info:
        return []
    return [
        "### IVR time (seconds)",
        "",
        _md_table(pd.DataFrame(info["ivr"]["candidates"])),
        "",
        f"Share leaving in the IVR: {info['ivr']['abandon']:.4f}.",
        "",
    ]


def _md_categories(channel: str, categories: dict[str, Any], figures: dict[str, str]) -> list[str]:
    out = ["### Categories", ""]
    rows = []
    for cat in categories.values():
        best = cat["handle"]["candidates"][0]
        rows.append(
            {
                "category": cat["scenario_category"],
                "contacts": cat["contacts"],
                "share": cat["share"],
                "served": cat["served_with_handle"],
                "mean handle (s)": cat["mean_handle_seconds"] if cat["mean_handle_seconds"] is not None else math.nan,
                "chosen": best["family"],
                "fitted mean (min)": best["mean"],
                "cv": best["cv"],
                "KS": best["ks"],
                "escalation p": cat.get("escalation", {}).get("probability", math.nan),
                "reopen p": cat.get("reopen", {}).get("probability", math.nan),
                "handle from": cat["handle_source"],
            }
        )
    out.append(_md_table(pd.DataFrame(rows)))
    out += ["", "AIC of each family (lower is better):", ""]
    aic_rows = [
        {"category": name, **{c["family"]: c["aic"] for c in cat["handle"]["candidates"]}}
        for name, cat in categories.items()
    ]
    out.append(_md_table(pd.DataFrame(aic_rows), "{:.1f}"))
    key = f"handle:{channel}"
    if key in figures:
        out += ["", f"![handle times]({figures[key]})"]
    return out


def _md_on_duty(info: dict[str, Any], figures: dict[str, str]) -> list[str]:
    on_duty = info["staffing"]  # the report's key for the agents on duty inferred from the log
    out = [
        "",
        "### Agents on duty",
        "",
        f"Method: {on_duty['method']}; {on_duty['agents_named']} agents named; "
        f"concurrency {on_duty['concurrency']}. Mean agents on duty "
        f"{on_duty['mean_on_duty']:.2f}, ready {on_duty['mean_ready']:.2f}: shrinkage "
        f"{on_duty['shrinkage']:.1%}.",
        "",
    ]
    if "on_duty" in figures:
        out += [f"![agents on duty]({figures['on_duty']})", ""]
    return out


# --- figures -------------------------------------------------------------------------------------


def arrivals_figure(result: FitResult) -> Figure:
    """Per channel: arrivals per hour and agents on duty per hour, one line per weekday."""
    from matplotlib.figure import Figure  # heavy: imported when a figure is drawn

    channels = result.report["channels"]
    fig = Figure(figsize=(10, 4 * len(channels)), layout="constrained")
    axes = fig.subplots(len(channels), 2, squeeze=False)
    hours = np.arange(24)
    for row, (channel, info) in enumerate(channels.items()):
        for weekday, values in info["arrivals_per_weekday_hour"].items():
            axes[row, 0].step(hours, values, where="post", label=weekday)
        axes[row, 0].set(
            title=f"{channel}: arrivals per hour (mean per day)",
            xlabel="hour of day",
            ylabel="contacts",
        )
        axes[row, 0].legend(ncols=4, fontsize="small")
        for weekday, values in info["staffing"]["mean_on_duty_per_weekday_hour"].items():
            axes[row, 1].step(hours, values, where="post", label=weekday)
        axes[row, 1].set(title=f"{channel}: agents on duty (inferred)", xlabel="hour of day", ylabel="agents")
    return fig


def patience_figure(channel: str, patience: dict[str, Any]) -> Figure:
    """Kaplan–Meier survival of patience (seconds) against each fitted family; the chosen one bold."""
    from matplotlib.figure import Figure  # heavy: imported when a figure is drawn

    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    times, survival = kaplan_meier(patience["waits"], patience["abandoned"])
    ax.step(times, survival, where="post", color="black", label="Kaplan-Meier")
    grid = np.linspace(0, float(times.max()), 200)
    for f in patience["fits"]:
        ax.plot(
            grid,
            f.frozen.sf(grid),
            label=f"{f.family} (AIC {f.aic:.1f})",
            lw=2.5 if f is patience["fit"] else 1,
            color=_COLOURS[f.family],
        )
    ax.set(
        title=f"{channel}: patience survival",
        xlabel="seconds in queue",
        ylabel="P(patience > t)",
    )
    ax.legend(fontsize="small")
    return fig


def handle_figure(result: FitResult, names: list[str]) -> Figure:
    """Handle-time cdf in minutes of the categories ``names``: observed against each fitted family."""
    from matplotlib.figure import Figure  # heavy: imported when a figure is drawn

    cols = min(3, len(names))
    rows = math.ceil(len(names) / cols)
    fig = Figure(figsize=(4 * cols, 3 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        handle = result.fits["handle"][name]
        values = np.sort(floor_zeros(handle["values"], result.log.resolution_seconds)) / 60
        if values.size:
            ax.step(
                values,
                np.arange(1, values.size + 1) / values.size,
                where="post",
                color="black",
                label="observed",
            )
        grid = np.geomspace(
            max(values.min() if values.size else 0.01, 1e-3),
            max(values.max() if values.size else 10, 1e-2),
            200,
        )
        for f in handle["fits"]:
            ax.plot(
                grid,
                f.frozen.cdf(grid * 60),
                lw=2.5 if f is handle["fit"] else 1,
                color=_COLOURS[f.family],
                label=f.family,
            )
        ax.set_xscale("log")
        pooled = ", pooled fit" if handle["pooled"] else ""
        ax.set(
            title=f"{name}: {handle['fit'].family}{pooled}",
            xlabel="handle minutes",
            ylabel="cdf",
        )
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize="small")
    return fig


def write_fit_figures(result: FitResult, folder: Path) -> dict[str, str]:
    """PNG plots of the fit into ``folder``; returns figure key → file name."""
    figures: dict[str, str] = {}
    arrivals_figure(result).savefig(folder / "arrivals.png", dpi=90)
    figures["arrivals"] = figures["on_duty"] = "arrivals.png"
    for channel, patience in result.fits["patience"].items():
        name = f"patience_{safe_name(channel)}.png"
        patience_figure(channel, patience).savefig(folder / name, dpi=90)
        figures[f"patience:{channel}"] = name
    by_channel: dict[str, list[str]] = {}
    for category_entry in result.data["categories"]:
        by_channel.setdefault(next(iter(category_entry["channels"])), []).append(category_entry["name"])
    for channel, names in by_channel.items():
        largest = sorted(names, key=lambda n: -len(result.fits["handle"][n]["values"]))[:12]
        name = f"handle_{safe_name(channel)}.png"
        handle_figure(result, largest).savefig(folder / name, dpi=90)
        figures[f"handle:{channel}"] = name
    return figures
