"""Interval reports: gaps, duplicates, daylight-saving changes, closed days, zeros and bad rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supportsim.forecast import IntervalColumns, IntervalReportError, read_interval_report

COLUMNS = IntervalColumns(time="Start", volume="Offered", channel="Queue", aht="AHT")


def write(tmp_path: Path, rows: list[str], header: str = "Start,Queue,Offered,AHT") -> Path:
    path = tmp_path / "report.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def fifteen_minute_rows(day: str, queue: str = "sales", offered: int = 3, hours: range = range(9, 11)) -> list[str]:
    return [f"{day}T{h:02d}:{m:02d},{queue},{offered},300" for h in hours for m in (0, 15, 30, 45)]


def test_rows_are_summed_into_the_planning_interval_and_gaps_count_zero(tmp_path):
    rows = fifteen_minute_rows("2025-03-03") + fifteen_minute_rows("2025-03-05")  # 03-04 absent: closed
    rows.remove("2025-03-03T09:15,sales,3,300")  # a gap: no row, zero contacts
    history = read_interval_report(write(tmp_path, rows), COLUMNS, 30)
    volumes = history.volumes.set_index("interval_start")["volume"]
    assert volumes[pd.Timestamp("2025-03-03 09:00")] == 3
    assert volumes[pd.Timestamp("2025-03-03 09:30")] == 6
    assert volumes[pd.Timestamp("2025-03-04 09:00")] == 0  # the closed day reads as zeros
    assert len(history.days()) == 3 and history.slots_per_day == 48
    assert history.problems.empty


def test_zero_volume_rows_are_kept_and_aht_is_volume_weighted(tmp_path):
    rows = ["2025-03-03T09:00,sales,0,", "2025-03-03T09:15,sales,1,100", "2025-03-03T09:30,sales,3,200"]
    rows.append("2025-03-03T09:45,sales,1,600")
    history = read_interval_report(write(tmp_path, rows), COLUMNS, 30)
    table = history.volumes.set_index("interval_start")
    assert table.loc[pd.Timestamp("2025-03-03 09:00"), "volume"] == 1
    assert table.loc[pd.Timestamp("2025-03-03 09:30"), "aht_seconds"] == pytest.approx((3 * 200 + 600) / 4)
    assert np.isnan(table.loc[pd.Timestamp("2025-03-03 10:00"), "aht_seconds"])


def test_bad_rows_are_reported_with_line_and_column(tmp_path):
    rows = fifteen_minute_rows("2025-03-03")
    rows[1] = "2025-03-03T09:15,sales,three,300"  # line 3
    rows[2] = "yesterday,sales,3,300"  # line 4
    rows[3] = "2025-03-03T09:45,sales,2,-5"  # line 5: AHT unknown, row kept
    rows[4] = "2025-03-03T10:07,sales,2,300"  # line 6: off the 15-minute grid
    rows.append("2025-03-03T10:15,sales,9,300")  # line 10: duplicate of line 7
    history = read_interval_report(write(tmp_path, rows), COLUMNS, 30)
    problems = history.problems.set_index("line")
    assert problems.loc[3, "column"] == "Offered" and problems.loc[3, "action"] == "excluded"
    assert problems.loc[4, "column"] == "Start" and "does not parse" in problems.loc[4, "reason"]
    assert problems.loc[5, "column"] == "AHT" and problems.loc[5, "action"] == "kept; AHT unknown"
    assert "boundary" in problems.loc[6, "reason"]
    assert problems.loc[10, "reason"] == "duplicate of line 7"
    volumes = history.volumes.set_index("interval_start")["volume"]
    assert volumes[pd.Timestamp("2025-03-03 09:30")] == 2
    assert volumes[pd.Timestamp("2025-03-03 10:00")] == 3  # 10:07 excluded, 10:15 once
    assert len(history.problem_counts()) == 5


def test_daylight_saving_changes(tmp_path):
    spring = [f"2025-03-30T{h:02d}:{m:02d}:00+0{1 if h < 2 else 2}:00,sales,2,60" for h in (0, 1, 3) for m in (0, 30)]
    autumn = [f"2025-10-26T01:{m:02d}:00+02:00,sales,2,60" for m in (0, 30)]
    autumn += [f"2025-10-26T02:{m:02d}:00+02:00,sales,2,60" for m in (0, 30)]
    autumn += [f"2025-10-26T02:{m:02d}:00+01:00,sales,5,60" for m in (0, 30)]  # the hour clocks go back
    history = read_interval_report(write(tmp_path, spring + autumn), COLUMNS, 60)
    volumes = history.volumes.set_index("interval_start")["volume"]
    assert volumes[pd.Timestamp("2025-03-30 02:00")] == 0  # the skipped hour: absent, zero
    assert volumes[pd.Timestamp("2025-03-30 03:00")] == 4
    assert volumes[pd.Timestamp("2025-10-26 02:00")] == 14  # both passes of 02:00-03:00 count
    assert history.problems.empty
    assert any("daylight-saving" in note for note in history.notes)


def test_reports_that_cannot_be_read_name_the_column(tmp_path):
    path = write(tmp_path, fifteen_minute_rows("2025-03-03"))
    with pytest.raises(IntervalReportError, match="no column 'Calls' \\(--volume-column\\)"):
        read_interval_report(path, IntervalColumns(time="Start", volume="Calls"), 30)
    with pytest.raises(IntervalReportError, match="no data rows"):
        read_interval_report(write(tmp_path, []), COLUMNS, 30)
    odd = [f"2025-03-03T09:{m:02d},sales,1,1" for m in range(0, 60, 7)]
    with pytest.raises(IntervalReportError, match="column 'Start': rows are 7 minutes apart"):
        read_interval_report(write(tmp_path, odd), COLUMNS, 30)
    hourly = [f"2025-03-03T{h:02d}:00,sales,1,1" for h in range(9, 14)]
    with pytest.raises(IntervalReportError, match="multiple"):
        read_interval_report(write(tmp_path, hourly), COLUMNS, 30)


def test_a_yaml_mapping_with_flags_overriding(tmp_path):
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("time: Start\nvolume: Offered\nchannel: Queue\n", encoding="utf-8")
    columns = IntervalColumns.from_yaml(mapping, aht="AHT")
    assert columns == COLUMNS
    mapping.write_text("time: Start\nvolumes: Offered\n", encoding="utf-8")
    with pytest.raises(IntervalReportError, match="unknown key"):
        IntervalColumns.from_yaml(mapping)


def test_the_forecast_command_writes_its_files_or_names_the_bad_flag(tmp_path):
    from typer.testing import CliRunner

    from supportsim.cli import app

    rng = np.random.default_rng(5)
    days = pd.date_range("2025-01-06", periods=35, freq="D")
    rows = []
    for day in days:
        if day.day_of_week < 5:
            for slot in range(16, 36):  # 08:00-18:00, 30-minute rows
                start = day + pd.Timedelta(minutes=30 * slot)
                rows.append(f"{start:%Y-%m-%d %H:%M},{rng.poisson(20)},{rng.normal(300, 20):.0f}")
    path = write(tmp_path, rows, header="Start,Offered,AHT")
    base = ["forecast", str(path), "--time-column", "Start", "--volume-column", "Offered", "--aht-column", "AHT"]
    base += ["--train-until", "2025-02-03", "--horizon-days", "7"]
    done = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["accuracy.json", "forecast.csv", "history.png", "profile.png", "report.md"]
    table = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert list(table.columns) == ["interval_start", "channel", "volume", "volume_lo80", "volume_hi80", "aht_seconds"]
    assert len(table) == 5 * 20 and table["interval_start"].iloc[0] == "2025-02-03T08:00:00"
    bad = CliRunner().invoke(app, [*base[:5], "Calls", *base[6:], "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "no column 'Calls' (--volume-column)" in bad.output
    assert not (tmp_path / "bad").exists()
