"""The Forecast page: its logic (``app/forecast_page.py``) on a generated interval report whose
numbers are known, and the page itself under Streamlit's AppTest."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from app import forecast_page as fp
from app import logic
from streamlit.testing.v1 import AppTest

import supportsim
from supportsim.scenario.limits import MAX_REPORT_CHANNELS

MAIN = str(Path(__file__).resolve().parent.parent / "app" / "main.py")
START = pd.Timestamp("2025-01-06")  # a Monday
DAYS = 21
OPEN = range(32, 72)  # 08:00-18:00 in 15-minute rows, Monday to Friday
NAME = "acd export.csv"


def report_rows(days: int = DAYS, queues: tuple[str, ...] = ("phone",), seed: int = 1) -> pd.DataFrame:
    """A 15-minute ACD report: Poisson counts around a mid-morning peak, AHT near 300 s."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in pd.date_range(START, periods=days, freq="D"):
        if day.day_of_week >= 5:
            continue  # closed at weekends: no rows, as ACD exports leave them out
        for slot in OPEN:
            for k, queue in enumerate(queues):
                mean = (6 + 4 * np.sin(np.pi * (slot - 32) / 40)) * (1 + k)
                rows.append(
                    {
                        "Interval Start": f"{day + pd.Timedelta(minutes=15 * slot):%Y-%m-%d %H:%M}",
                        "Queue": queue,
                        "Calls Offered": int(rng.poisson(mean)),
                        "Calls Handled": 0,
                        "AHT": round(float(rng.normal(300, 20)), 1),
                    }
                )
    return pd.DataFrame(rows)


def report_bytes(rows: pd.DataFrame) -> bytes:
    return rows.to_csv(index=False).encode()


COLUMNS = {"time": "Interval Start", "volume": "Calls Offered", "channel": "Queue", "aht": "AHT", "delimiter": ","}


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test saves into its own workspace and sees no shared logs (unless it plants some)."""
    folder = tmp_path / "workspace"
    monkeypatch.setenv("SUPPORTSIM_WORKSPACE", str(folder))
    monkeypatch.setattr(fp, "SHARED_DATA", tmp_path / "no_shared_data")
    return folder


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return report_rows()


@pytest.fixture(scope="module")
def result(rows: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> supportsim.VolumeForecast:
    source = fp.save_report(NAME, report_bytes(rows), tmp_path_factory.mktemp("ws"))
    history = fp.read_history(source, 30, COLUMNS)
    return fp.forecast(history, *fp.default_settings(history))


# --------------------------------------------------------------------------- sources and columns


def test_columns_are_guessed_from_the_header() -> None:
    header = ["Interval Start", "Queue", "Calls Offered", "Calls Handled", "AHT"]
    assert fp.guess_columns(header) == {
        "time": "Interval Start",
        "volume": "Calls Offered",
        "channel": "Queue",
        "aht": "AHT",
    }
    assert fp.guess_columns(["date", "calls", "avg handle time (s)"]) == {
        "time": "date",
        "volume": "calls",
        "channel": None,
        "aht": "avg handle time (s)",
    }
    assert fp.guess_columns(["a", "b"]) == dict.fromkeys(fp.FIELDS)
    # one column is never given two roles: "Calls per queue" is the volume, not also the channel
    assert fp.guess_columns(["Start", "Calls per queue"]) == {
        "time": "Start",
        "volume": "Calls per queue",
        "channel": None,
        "aht": None,
    }
    assert fp.guess_columns(["Start time", "Offered"]) == {
        "time": "Start time",
        "volume": "Offered",
        "channel": None,
        "aht": None,
    }


def test_an_upload_is_kept_in_the_workspace_once(workspace: Path, rows: pd.DataFrame) -> None:
    data = report_bytes(rows).replace(b",", b";")
    source = fp.save_report(NAME, data)
    again = fp.save_report(NAME, data)
    assert source == again and source.path.parent == workspace / fp.REPORTS
    assert source.path.read_bytes() == data
    assert fp.saved_reports() == [source]
    settings = fp.report_settings(source.path)
    assert settings["delimiter"] == ";" and settings["header"] == list(rows.columns)
    fp.save_columns(source.path, {"time": "Interval Start", "volume": "Calls Handled"})
    assert fp.report_settings(source.path)["columns"]["volume"] == "Calls Handled"  # survives a reload
    fp.delete_report(source)
    assert fp.saved_reports() == [] and not source.path.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"x" * (fp.MAX_REPORT_BYTES + 1), "5.0 MB; an interval report is limited to 5 MB"),
        (b"Start,Offered\n2025-01-06 08:00,3\n\xff\xfe,1\n", "line 3 is not UTF-8"),
        (b"\n\n", "the file is empty"),
        (b"just one column\n1\n", "line 1 has one column"),
    ],
)
def test_a_bad_upload_is_refused_in_one_line_and_not_kept(workspace: Path, data: bytes, message: str) -> None:
    with pytest.raises(fp.HistoryError) as info:
        fp.save_report("calls.csv", data)
    assert str(info.value).startswith("calls.csv: ") and message in str(info.value)
    assert "\n" not in str(info.value)
    assert fp.saved_reports() == []


def test_logs_beside_the_checkout_are_offered_with_their_format(tmp_path: Path) -> None:
    bank, now = tmp_path / "anonymous_bank", tmp_path / "servicenow_incidents"
    bank.mkdir()
    now.mkdir()
    (bank / "data_anonymous_bank_march.txt").write_text("x")
    (bank / "data_anonymous_bank_shifts.csv").write_text("x")  # a roster, not a log
    (now / "incident_event_log_subset.csv").write_text("x")
    found = fp.shared_logs(tmp_path)
    assert [(s.name, s.kind) for s in found] == [
        ("data_anonymous_bank_march.txt", "anonymous_bank"),
        ("incident_event_log_subset.csv", "servicenow"),
    ]
    assert fp.shared_logs(tmp_path / "absent") == []


# --------------------------------------------------------------------------- reading and settings


def test_the_history_sums_the_reports_rows_into_the_interval(rows: pd.DataFrame) -> None:
    source = fp.save_report(NAME, report_bytes(rows))
    history = fp.read_history(source, 30, COLUMNS)
    starts = pd.to_datetime(rows["Interval Start"]).dt.floor("30min")
    expected = rows.assign(t=starts).groupby("t")["Calls Offered"].sum()
    got = history.volumes.set_index("interval_start")["volume"]
    assert got.sum() == rows["Calls Offered"].sum()
    assert (got.reindex(expected.index) == expected).all()
    assert got.drop(expected.index).eq(0).all()  # nights and weekends count zero
    assert history.days()[0] == START and len(history.days()) == DAYS - 2  # the last weekend has no rows


def test_a_bad_report_names_the_file_and_the_column_or_line(rows: pd.DataFrame) -> None:
    source = fp.save_report(NAME, report_bytes(rows))
    with pytest.raises(fp.HistoryError, match=r"^acd export\.csv: no column 'Calls' \(--volume-column\)") as info:
        fp.read_history(source, 30, COLUMNS | {"volume": "Calls"})
    assert str(source.path) not in str(info.value)  # the user's file name, not the workspace's path
    with pytest.raises(fp.HistoryError, match=r"^acd export\.csv: choose the column of the interval start \(time\)"):
        fp.read_history(source, 30, COLUMNS | {"time": None})
    broken = rows.astype({"Calls Offered": object})
    broken.loc[3, "Calls Offered"] = "lots"
    history = fp.read_history(fp.save_report("b.csv", report_bytes(broken)), 30, COLUMNS)
    assert history.problems.to_dict("records") == [
        {"line": 5, "column": "Calls Offered", "reason": "offered 'lots' is not a count >= 0", "action": "excluded"}
    ]


def test_a_report_too_long_or_too_wide_is_refused_before_it_is_laid_out() -> None:
    """A few hundred bytes must not make the library lay out centuries of intervals, or a
    thousand queues, before anything can be said."""
    rows = [f"{year}-01-06 08:{m:02d},phone,1" for year in (1900, 2200) for m in (0, 15, 30, 45)]
    far = fp.save_report("far.csv", ("Start,Queue,Offered\n" + "\n".join(rows) + "\n").encode())
    with pytest.raises(fp.HistoryError, match=r"^far\.csv: column 'Start': the times span 109,573 days \(1900-01-06"):
        fp.read_history(far, 30, {"time": "Start", "volume": "Offered"})
    rows = [f"2025-01-06 08:{m:02d},q{k},1" for k in range(MAX_REPORT_CHANNELS + 1) for m in (0, 15)]
    wide = fp.save_report("wide.csv", ("Start,Queue,Offered\n" + "\n".join(rows) + "\n").encode())
    spec = {"time": "Start", "volume": "Offered", "channel": "Queue"}
    with pytest.raises(fp.HistoryError, match=r"^wide\.csv: column 'Queue': 51 different channels; at most 50 "):
        fp.read_history(wide, 30, spec)
    limit = fp.save_report("fifty.csv", ("Start,Queue,Offered\n" + "\n".join(rows[:-2]) + "\n").encode())
    assert len(fp.read_history(limit, 30, spec).channels) == MAX_REPORT_CHANNELS  # the limit itself is read


def test_default_settings_hold_the_last_week_out_or_forecast_what_comes_next() -> None:
    def history(days: int) -> supportsim.VolumeHistory:
        return fp.read_history(fp.save_report(f"{days}.csv", report_bytes(report_rows(days))), 30, COLUMNS)

    three_weeks = history(DAYS)  # Mon 6 Jan .. Fri 24 Jan 2025 (the weekend after has no rows)
    assert fp.default_settings(three_weeks) == (date(2025, 1, 18), 7)
    assert fp.date_bounds(three_weeks) == (date(2025, 1, 13), date(2025, 1, 25))
    ten_days = history(10)  # Mon 6 .. Wed 15 Jan: too short to hold a week out
    assert fp.default_settings(ten_days) == (date(2025, 1, 16), 7)
    with pytest.raises(fp.HistoryError, match=r"^5\.csv: 5 day\(s\) of history; a forecast needs at least 7"):
        fp.default_settings(history(5))


# --------------------------------------------------------------------------- chart and tables


def test_the_chart_shows_the_forecast_its_band_and_the_actuals(result: supportsim.VolumeForecast) -> None:
    frame = fp.chart_frame(result)
    forecast = frame[frame["series"] == "forecast"].set_index("time")
    table = result.intervals.set_index("interval_start")
    assert (forecast.loc[table.index, "volume"] == table["volume"]).all()
    assert (forecast.loc[table.index, "lo"] == table["volume_lo80"]).all()
    assert (forecast.loc[table.index, "hi"] == table["volume_hi80"]).all()
    closed = forecast.drop(table.index)
    assert len(closed) and (closed[["volume", "lo", "hi"]] == 0).all().all()
    assert forecast.index.min() == result.train_until and len(forecast) == result.horizon_days * 48
    actual = frame[frame["series"] == "actual"].set_index("time")["volume"]
    first = max(result.train_until - pd.Timedelta(days=fp.DAYS_SHOWN), result.history.days()[0])
    assert actual.index.min() == first  # at most DAYS_SHOWN days before the forecast
    assert actual.index.max() == result.history.days()[-1] + pd.Timedelta(hours=23, minutes=30)  # held-out days
    volumes = result.history.volumes.set_index("interval_start")["volume"]
    assert (actual == volumes.reindex(actual.index)).all()
    spec = fp.forecast_chart(frame, "phone").to_dict()
    band, line, rule = spec["layer"]
    assert band["mark"]["type"] == "area" and band["encoding"]["y"]["field"] == "lo"
    assert band["encoding"]["y2"]["field"] == "hi"
    assert line["mark"]["type"] == "line" and line["encoding"]["y"]["field"] == "volume"
    assert rule["mark"]["type"] == "rule" and set(rule["encoding"]) == {"x"}
    assert line["encoding"]["color"]["scale"]["domain"] == ["actual", "forecast", "80% band"]


def test_the_accuracy_table_is_wape_against_the_held_out_actuals(result: supportsim.VolumeForecast) -> None:
    table = fp.accuracy_table(result)
    assert table is not None and list(table["model"]) == [f"forecast ({result.fits['phone'].method})", "seasonal_naive"]
    volumes = result.history.volumes.set_index("interval_start")["volume"]
    when = result.intervals["interval_start"]
    actual = volumes.reindex(when).to_numpy()
    naive = volumes.reindex(when - pd.Timedelta(days=7)).to_numpy()
    forecast = result.intervals["volume"].to_numpy()
    # the table's volumes are rounded to 3 decimals: each interval off by at most 0.0005
    rounding = 0.0005 * len(actual) / actual.sum()
    assert table.loc[0, "wape_interval"] == pytest.approx(np.abs(actual - forecast).sum() / actual.sum(), abs=rounding)
    assert table.loc[1, "wape_interval"] == pytest.approx(np.abs(actual - naive).sum() / actual.sum(), rel=1e-12)
    inside = (actual >= result.intervals["volume_lo80"]) & (actual <= result.intervals["volume_hi80"])
    assert table.loc[0, "coverage_80"] == pytest.approx(inside.mean(), rel=1e-12)
    days = when.dt.normalize()
    daily = pd.DataFrame({"a": actual, "f": forecast, "n": naive}).groupby(days.to_numpy()).sum()
    assert table.loc[0, "wape_daily"] == pytest.approx(
        (daily["a"] - daily["f"]).abs().sum() / daily["a"].sum(), abs=rounding
    )
    assert table.loc[1, "wape_daily"] == pytest.approx(
        (daily["a"] - daily["n"]).abs().sum() / daily["a"].sum(), rel=1e-12
    )
    assert (table["contacts"] == actual.sum()).all()


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> supportsim.VolumeForecast:
    """A forecast of two channels, phone and chat, from Monday 20 January for 5 days (held out)."""
    data = report_bytes(report_rows(queues=("phone", "chat")))
    history = fp.read_history(fp.save_report("two.csv", data, tmp_path_factory.mktemp("ws")), 30, COLUMNS)
    return fp.forecast(history, date(2025, 1, 20), 5)


def test_two_channels_get_an_all_channels_row(
    two: supportsim.VolumeForecast, result: supportsim.VolumeForecast
) -> None:
    table = fp.accuracy_table(two)
    assert table is not None and list(table["channel"]) == ["all channels"] * 2 + ["chat"] * 2 + ["phone"] * 2
    accuracy = two.accuracy
    assert accuracy is not None and table.loc[0, "wape_interval"] == accuracy["forecast"]["wape_interval"]
    assert table.loc[2, "wape_interval"] == accuracy["channels"]["chat"]["forecast"]["wape_interval"]
    assert table.loc[5, "wape_interval"] == accuracy["channels"]["phone"]["seasonal_naive"]["wape_interval"]
    after = fp.date_bounds(result.history)[1]  # the day after the history: nothing held out
    assert fp.accuracy_table(fp.forecast(result.history, after, 1)) is None


def test_only_bases_with_the_forecasts_channels_are_offered(
    result: supportsim.VolumeForecast, two: supportsim.VolumeForecast
) -> None:
    scenarios = {p.stem: supportsim.load_scenario(p) for p in logic.example_files()}
    offered = fp.bases(result, scenarios)
    assert offered[0] == "anonymous_bank_weekday"  # one channel, "phone", 30-minute intervals: first
    assert {"helpdesk_baseline", "single_queue"} <= set(offered)
    both = fp.bases(two, scenarios)
    assert "helpdesk_baseline" in both  # phone and chat (and email, kept as it is)
    assert "single_queue" not in both and "anonymous_bank_weekday" not in both  # no chat channel
    assert all({"phone", "chat"} <= {c.name for c in scenarios[n].channels} for n in both)


def test_the_workbook_holds_the_csvs_numbers(result: supportsim.VolumeForecast) -> None:
    csv = pd.read_csv(io.BytesIO(fp.forecast_csv(result)))
    assert list(csv.columns) == ["interval_start", "channel", "volume", "volume_lo80", "volume_hi80", "aht_seconds"]
    book = openpyxl.load_workbook(io.BytesIO(fp.forecast_xlsx(result)))
    assert book.sheetnames == ["forecast", "daily", "accuracy", "backtests"]
    sheet = list(book["forecast"].values)
    assert list(sheet[0]) == list(csv.columns) and len(sheet) == len(csv) + 1
    for got, want in zip(sheet[1:], csv.itertuples(index=False), strict=True):
        assert got[0].isoformat() == want[0] and got[1] == want[1]
        assert list(got[2:]) == pytest.approx(list(want[2:]), rel=1e-12)


# --------------------------------------------------------------------------- scenario


def test_the_scenario_carries_the_forecast_rates(result: supportsim.VolumeForecast) -> None:
    base = supportsim.load_scenario(logic.SCENARIO_DIR / "single_queue.yaml")
    made = fp.make_scenario(result, base)
    assert made.name == "Single phone queue (forecast from 2025-01-18)"
    assert (made.horizon.days, made.horizon.start_weekday, made.horizon.interval_minutes) == (7, "sat", 30)
    arrivals = made.channel("phone").arrivals
    rates = np.asarray(arrivals.rates_per_hour)
    grid = pd.date_range(result.train_until, periods=7 * 48, freq="30min")
    volume = result.intervals.set_index("interval_start")["volume"].reindex(grid, fill_value=0.0)
    assert rates == pytest.approx(volume.to_numpy() * 2, abs=1e-4)  # contacts per 30 minutes -> per hour
    assert arrivals.daily_cv == pytest.approx(result.fits["phone"].daily_cv, abs=1e-4)
    assert made.groups == base.groups  # the base's operation is kept
    assert logic.scenario_from_yaml(logic.canonical_yaml(made)) == made  # self-contained: safe to store


def test_a_base_that_cannot_carry_the_forecast_is_named_in_one_line(result: supportsim.VolumeForecast) -> None:
    bilingual = supportsim.load_scenario(logic.SCENARIO_DIR / "published_bilingual.yaml")
    if bilingual.horizon.interval_minutes == result.interval_minutes:
        pytest.skip("published_bilingual plans in 30-minute intervals now")
    with pytest.raises(fp.HistoryError) as info:
        fp.make_scenario(result, bilingual)
    text = str(info.value)
    assert text.startswith(f"{bilingual.name} cannot carry this forecast: ") and "\n" not in text
    assert f"{bilingual.horizon.interval_minutes}-minute intervals, the forecast 7 day(s) in 30-minute ones" in text
    assert "/tmp" not in text


# --------------------------------------------------------------------------- the page


def _page(workspace: Path, after: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    if after is not None:  # a page visited before, whose widgets Streamlit then forgets
        at.switch_page(f"views/{after}.py")
        at.run()
    at.switch_page("views/forecast.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_without_any_history_the_page_asks_for_an_upload(workspace: Path) -> None:
    at = _page(workspace)
    assert at.title[0].value == "Forecast"
    assert any("Upload an interval report" in i.value for i in at.info)
    assert not at.metric


def test_the_page_forecasts_an_upload_and_makes_a_scenario_for_staffing(
    workspace: Path, rows: pd.DataFrame, result: supportsim.VolumeForecast
) -> None:
    source = fp.save_report(NAME, report_bytes(rows))  # what the uploader does with the file
    at = _page(workspace, after="staffing")  # its scenario box already chosen once
    assert at.selectbox(key="fc_source").value == str(source.path)
    assert at.selectbox(key=f"fc_col_time|{source.path.stem}").value == "Interval Start"  # guessed
    assert at.date_input(key=f"fc_until|{source.path}|30").value == date(2025, 1, 18)
    cards = {m.label: m.value for m in at.metric}
    assert cards["Contacts forecast, 7 days"] == f"{result.daily['volume'].sum():,.0f}"
    assert cards["WAPE per interval (held out)"] == f"{result.accuracy['forecast']['wape_interval'] * 100:.1f}%"
    shown = next(d.value for d in at.dataframe if "wape_interval" in d.value.columns)
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), fp.accuracy_table(result))
    assert len(at.get("vega_lite_chart")) == 1  # one channel, one chart

    at.selectbox(key=f"fc_col_time|{source.path.stem}").set_value("Queue").run()  # a wrong column
    assert not at.exception
    assert [e.value for e in at.error] == [
        "acd export.csv: no row with a usable time ('Queue') and volume ('Calls Offered')"
    ]
    assert fp.report_settings(source.path)["columns"]["time"] == "Queue"  # the choice is kept
    at.selectbox(key=f"fc_col_time|{source.path.stem}").set_value("Interval Start").run()
    assert not at.error

    at.selectbox(key="fc_base").set_value("Single phone queue")
    at.button(key="fc_make").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    made = "Single phone queue (forecast from 2025-01-18)"
    assert any(made in s.value for s in at.success)
    expected = fp.make_scenario(result, supportsim.load_scenario(logic.SCENARIO_DIR / "single_queue.yaml"))
    saved = [supportsim.load_scenario(p) for p in (workspace / "scenarios").glob("*.yaml")]
    assert saved == [expected]  # in the workspace: in the library after a reload too
    at.button(key="fc_plan").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Staffing"
    assert at.selectbox(key="st_scenario").value == made  # preselected for planning


def test_the_chosen_history_survives_a_reload_and_an_upload_can_be_deleted(
    workspace: Path, rows: pd.DataFrame
) -> None:
    kept = fp.save_report("older.csv", report_bytes(rows.iloc[: len(rows) // 2]))
    doomed = fp.save_report(NAME, report_bytes(rows))
    os.utime(kept.path, (1e9, 1e9))  # older by decades, whatever the file system's clock resolution
    at = _page(workspace)
    assert at.selectbox(key="fc_source").value == str(doomed.path)  # the newest upload first
    at.selectbox(key="fc_source").set_value(str(kept.path)).run()
    assert _page(workspace).selectbox(key="fc_source").value == str(kept.path)  # a new session: still chosen
    at.selectbox(key="fc_source").set_value(str(doomed.path)).run()
    at.button(key="fc_delete").click().run()
    assert not at.exception, at.exception
    assert fp.saved_reports() == [kept] and not doomed.path.exists()
    assert at.selectbox(key="fc_source").value == str(kept.path)
