"""Forecast: a volume history in (an uploaded interval report or a log), the next days' contacts
with their 80% band and the accuracy against seasonal naive out, then a scenario to plan with.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import streamlit as st
from app import forecast_page as fp
from app import state, workspace
from app.formats import fmt

from supportsim import VolumeForecast, VolumeHistory

NONE = "—"
REMEMBERED = "forecast"

st.title("Forecast")
st.caption(
    "Contacts per interval for the coming days, from history: per channel the method that did "
    "best in backtests (seasonal naive, weekday means, exponential smoothing), with an 80% band. "
    "Turn it into a scenario and plan the staffing it needs."
)


@st.cache_data(show_spinner=False, max_entries=20)
def _history(path: str, kind: str, name: str, stamp: float, interval: int, columns: str) -> VolumeHistory:
    """The history of a source (cached by file, its modification time, interval and columns)."""
    return fp.read_history(fp.Source(name, Path(path), kind), interval, json.loads(columns))


@st.cache_data(show_spinner=False, max_entries=20)
def _forecast(
    path: str, kind: str, name: str, stamp: float, interval: int, columns: str, until: date, horizon: int
) -> VolumeForecast:
    """The forecast (cached by its whole input)."""
    return fp.forecast(_history(path, kind, name, stamp, interval, columns), until, horizon)


@st.cache_data(show_spinner=False, max_entries=20)
def _workbook(
    path: str, kind: str, name: str, stamp: float, interval: int, columns: str, until: date, horizon: int
) -> bytes:
    """The forecast's .xlsx workbook (cached like the forecast: a rerun does not rewrite it)."""
    return fp.forecast_xlsx(_forecast(path, kind, name, stamp, interval, columns, until, horizon))


def _remember() -> None:
    workspace.save_state(REMEMBERED, {"source": st.session_state.get("fc_source")})


# --------------------------------------------------------------------------- source and settings
pick, drop = st.columns([3, 2])
with drop:
    upload = st.file_uploader("Upload an interval report (CSV, at most 5 MB)", type=["csv", "txt"], key="fc_upload")
    if upload is not None and st.session_state.get("fc_upload_done") != upload.file_id:
        try:
            saved = fp.save_report(upload.name, upload.getvalue())
        except fp.HistoryError as exc:
            st.error(str(exc))
        else:
            st.session_state["fc_upload_done"] = upload.file_id
            st.session_state["fc_source"] = str(saved.path)
            _remember()

sources = {str(s.path): s for s in fp.saved_reports() + fp.shared_logs()}
if not sources:
    pick.info("Upload an interval report (one row per interval and queue: start time, contacts offered).")
    st.stop()
if st.session_state.get("fc_source") not in sources:
    last = (workspace.load_state(REMEMBERED) or {}).get("source")
    st.session_state["fc_source"] = last if last in sources else next(iter(sources))
key = pick.selectbox(
    "History",
    list(sources),
    format_func=lambda k: sources[k].label,
    key="fc_source",
    on_change=_remember,
    help="Interval reports you uploaded (kept in the workspace) and the logs found in ../shared/data.",
)
source = sources[key]
every, since, ahead = pick.columns(3)
interval = every.selectbox(
    "Interval (minutes)",
    list(fp.INTERVALS),
    index=fp.INTERVALS.index(30),
    key="fc_interval",
    help="The planning interval: a scenario's interval is 15, 30 or 60 minutes; report rows must divide it.",
)
columns: dict[str, str | None] = {}
if source.kind == "interval":
    settings = fp.report_settings(source.path)
    header = [str(c) for c in settings.get("header", [])]
    cells = st.columns([2, 2, 2, 2, 2, 1.5], vertical_alignment="bottom")
    for cell, (field, label) in zip(cells, fp.FIELDS.items(), strict=False):
        widget = f"fc_col_{field}|{source.path.stem}"
        if widget not in st.session_state:
            chosen = settings.get("columns", {}).get(field)
            st.session_state[widget] = chosen if chosen in header else NONE
        value = cell.selectbox(f"Column: {label}", [NONE, *header], key=widget)
        columns[field] = None if value == NONE else value
    columns["time_format"] = (
        cells[4].text_input(
            "Time format",
            value=settings.get("columns", {}).get("time_format") or "",
            key=f"fc_fmt|{source.path.stem}",
            placeholder="ISO 8601",
            help="Blank for ISO 8601 (2025-01-06 08:30); else strftime, e.g. %d/%m/%Y %H:%M",
        )
        or None
    )
    fp.save_columns(source.path, columns)
    columns["delimiter"] = settings.get("delimiter", ",")
    if cells[5].button("Delete upload", key="fc_delete", icon=":material/delete:", help=f"Forget {source.name}"):
        fp.delete_report(source)
        st.session_state.pop("fc_source", None)
        st.rerun()

spec = json.dumps(columns, sort_keys=True)
stamp = source.path.stat().st_mtime
try:
    with st.spinner(f"Reading {source.name} …", show_time=True):
        history = _history(str(source.path), source.kind, source.name, stamp, interval, spec)
    first, last = fp.date_bounds(history)
except fp.HistoryError as exc:
    st.error(str(exc))
    st.stop()
until_default, horizon_default = fp.default_settings(history)
until = since.date_input(
    "Train until (first day forecast)",
    value=until_default,
    min_value=first,
    max_value=last,
    key=f"fc_until|{key}|{interval}",
    format="YYYY-MM-DD",
    help=f"Fit on the days before this date. {last:%a %d %b %Y} (the day after the history) forecasts the coming "
    "days; an earlier date holds the days after it out, to measure the accuracy.",
)
horizon = int(
    ahead.number_input(
        "Days to forecast",
        min_value=1,
        max_value=56,
        value=horizon_default,
        key="fc_horizon",
        help="Calendar days from the train-until date.",
    )
)

try:
    with st.spinner(f"Forecasting {horizon} days of {source.name} …", show_time=True):
        result = _forecast(str(source.path), source.kind, source.name, stamp, interval, spec, until, horizon)
except fp.HistoryError as exc:
    st.error(str(exc))
    st.stop()

# --------------------------------------------------------------------------- chart and accuracy
frame = fp.chart_frame(result)
channels = list(result.fits)
for channel in channels:
    st.altair_chart(fp.forecast_chart(frame, channel, 280 if len(channels) == 1 else 200), width="stretch")
st.caption(
    f"{fp.span_text(result)}. Grey: actual contacts per {interval}-minute interval ({fp.DAYS_SHOWN} days before "
    "the forecast, and the held-out days); blue: the forecast from the dashed line on; shaded: its 80% band. "
    "Closed hours count 0."
)
if len(history.problems):
    with st.expander(f"{len(history.problems):,} rows of {source.name} not used as they stand"):
        st.dataframe(history.problem_counts(), hide_index=True, width="stretch")

accuracy = fp.accuracy_table(result)
cards = st.columns(4)
cards[0].metric(
    f"Contacts forecast, {horizon} day{'s' if horizon > 1 else ''}",
    f"{result.daily['volume'].sum():,.0f}",
    border=True,
    help=fp.span_text(result),
)
if result.accuracy is not None:
    held, naive = result.accuracy["forecast"], result.accuracy["seasonal_naive"]
    pairs = ((cards[1], "wape_interval", "WAPE per interval"), (cards[2], "wape_daily", "WAPE per day"))
    for cell, metric, title in pairs:
        change = fmt(held[metric] - naive[metric], "%", signed=True)
        cell.metric(
            f"{title} (held out)",
            fmt(held[metric], "%"),
            border=True,
            delta_color="inverse",
            delta=f"{change} vs seasonal naive ({fmt(naive[metric], '%')})",
            help="Sum of |actual − forecast| over the sum of actuals, on the held-out days; lower is better.",
        )
    cards[3].metric(
        "80% band coverage",
        fmt(held["coverage_80"], "%"),
        border=True,
        help="Share of held-out intervals whose actual count fell inside the 80% band (80% is right).",
    )
else:
    cards[1].caption("No held-out days: set an earlier train-until date to see the accuracy against actuals.")

if accuracy is not None and result.accuracy is not None:
    st.subheader(f"Accuracy on the {result.accuracy['days']} held-out days")
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(
        accuracy,
        hide_index=True,
        width="stretch",
        column_config={
            "wape_interval": percent,
            "wape_daily": percent,
            "coverage_80": percent,
            "contacts": st.column_config.NumberColumn(format="localized"),
        },
    )
    st.caption(
        "wape: sum of |actual − forecast| / sum of actual, per interval and per day; coverage_80: share of "
        "intervals inside the 80% band. seasonal_naive: the same interval one week earlier."
    )
with st.expander("How each channel's method was chosen (backtests inside the training history)"):
    st.dataframe(
        fp.backtest_table(result),
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.NumberColumn(format="percent") for c in ("wape", "daily_wape", "coverage")},
    )

# --------------------------------------------------------------------------- scenario and export
st.subheader("Make a scenario")
lib = state.library()
scenarios = {name: state.scenario(name) for name in lib}
options = fp.bases(result, scenarios)
if not options:
    st.info(
        f"No scenario in the library has the forecast's channels ({', '.join(channels)}): upload or save one "
        "on the Scenarios page."
    )
else:
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    base = left.selectbox(
        "Base scenario",
        options,
        key="fc_base",
        help="Its agents, skills, handle times, shifts and targets; the forecast replaces the arrivals of "
        f"{', '.join(channels)} for {fp.span_text(result)}.",
    )
    if right.button("Make scenario", type="primary", key="fc_make", width="stretch"):
        try:
            made = fp.make_scenario(result, scenarios[base])
        except fp.HistoryError as exc:
            st.session_state.pop("fc_made", None)  # the success of an earlier scenario would mislead
            st.error(str(exc))
        else:
            st.session_state["fc_made"] = state.add_to_library(made)
    made_name = st.session_state.get("fc_made")
    if made_name in lib:
        first_day = state.scenario(made_name).horizon.start_weekday
        st.success(
            f"Saved **{made_name}** in the workspace ({fp.span_text(result)}); it is on every page's scenario list. "
            f"A one-day plan on Staffing takes its first day ({first_day})."
        )
        if st.button("Plan staffing with it", type="primary", key="fc_plan", icon=":material/groups:"):
            st.session_state["st_scenario"] = made_name
            st.switch_page("views/staffing.py")

st.subheader("Download")
csv_col, xlsx_col, _ = st.columns([1, 1, 2])
stem = Path(source.name).stem
csv_col.download_button(
    "Download forecast (CSV)",
    fp.forecast_csv(result),
    f"{stem}_forecast.csv",
    "text/csv",
    key="fc_csv",
    width="stretch",
)
xlsx_col.download_button(
    "Download workbook (.xlsx)",
    _workbook(str(source.path), source.kind, source.name, stamp, interval, spec, until, horizon),
    f"{stem}_forecast.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="fc_xlsx",
    width="stretch",
)
