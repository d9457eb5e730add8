"""Log readers: one tidy contact table, bad rows counted and reported, broken files refused.

Small fixtures in tests/data/logs state each case row by row; the real logs in ../shared/data
are compared with plain pandas computations on the raw files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from supportsim.calibration.logs import (
    CONTACT_COLUMNS,
    ColumnMap,
    ContactLog,
    LogError,
    read_anonymous_bank,
    read_csv_log,
    read_servicenow,
)
from supportsim.cli import app as supportsim_app

LOGS = Path(__file__).resolve().parent / "data" / "logs"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BANK = SHARED_DATA / "anonymous_bank" / "data_anonymous_bank_february.txt"
SERVICENOW = SHARED_DATA / "servicenow_incidents" / "incident_event_log_subset.csv"


def shared_file(path: Path) -> Path:
    """``path`` in ../shared/data; missing data fail the test (never a skip: these are the
    issue's checks on the real logs)."""
    if not path.exists():
        pytest.fail(f"{path} not found: the shared data must sit beside the repository (../shared/data)")
    return path


def cli() -> typer.Typer:
    return supportsim_app


def problems(log: ContactLog) -> set[tuple[int, str, str]]:
    return {(int(r.line), r.reason, r.action) for r in log.problems.itertuples()}


# --- Anonymous Bank ------------------------------------------------------------------------------


def test_bank_rows_become_contacts_with_each_problem_reported() -> None:
    log = read_anonymous_bank(LOGS / "bank_small.txt")
    contacts = log.contacts.set_index("line")
    assert list(log.contacts.columns) == list(CONTACT_COLUMNS)
    assert log.rows_read == 10
    assert 6 not in contacts.index, "the phantom call is left out"
    assert problems(log) == {
        (6, "phantom call (outcome PHANTOM)", "excluded"),
        (7, "negative IVR time", "kept; IVR time unknown"),
        (8, "served call without service times", "kept; handle time unknown"),
        (9, "served call with no agent named (NO_SERVER)", "kept; not counted in staffing"),
    }
    assert contacts["outcome"].to_dict() == {
        2: "served",
        3: "served",
        4: "abandoned",
        5: "left_ivr",
        7: "served",
        8: "served",
        9: "served",
        10: "served",
        11: "served",
    }
    # waits are the recorded queue times; a call served without queueing waited 0
    assert contacts.loc[[2, 3, 4, 11], "wait_seconds"].tolist() == [50, 0, 120, 27]
    assert np.isnan(contacts.loc[5, "wait_seconds"]) and np.isnan(contacts.loc[7, "ivr_seconds"])
    assert np.isnan(contacts.loc[8, "handle_seconds"]) and contacts.loc[8, "wait_seconds"] == 60
    # a service that ends after midnight ends on the next day
    assert contacts.loc[10, "ended"] == pd.Timestamp("1999-02-02 00:02:50")
    assert contacts.loc[10, "handle_seconds"] == 180
    assert contacts.loc[9, "agent"] is None and contacts.loc[2, "agent"] == "DORIT"
    assert (log.period_start, log.days, log.start_weekday) == (pd.Timestamp("1999-02-01"), 2, "mon")
    counts = log.problem_counts()
    assert counts["rows"].sum() == 4 and log.excluded == 1


def test_the_bank_log_is_read_as_pandas_reads_it() -> None:
    raw = pd.read_csv(shared_file(BANK), sep="\t", dtype=str)
    log = read_anonymous_bank(BANK)
    real = raw[raw["outcome"] != "PHANTOM"]
    queued = (real["q_start"] != "0:00:00") | (real["q_time"].astype(int) > 0)
    assert log.rows_read == len(raw)
    assert len(log.contacts) == len(real)
    assert log.excluded == int((raw["outcome"] == "PHANTOM").sum())
    outcomes = log.contacts["outcome"].value_counts()
    assert outcomes["served"] == (real["outcome"] == "AGENT").sum()
    assert outcomes["abandoned"] == ((real["outcome"] == "HANG") & queued).sum()
    assert outcomes["left_ivr"] == ((real["outcome"] == "HANG") & ~queued).sum()
    counts = log.problem_counts().set_index("reason")["rows"]
    assert counts["negative IVR time"] == (real["vru_time"].astype(int) < 0).sum()
    assert (
        counts["served call with no agent named (NO_SERVER)"]
        == ((real["outcome"] == "AGENT") & (real["server"] == "NO_SERVER")).sum()
    )
    assert log.days == 28 and log.start_weekday == "mon"


# --- ServiceNow ----------------------------------------------------------------------------------


def test_servicenow_events_become_one_contact_per_incident() -> None:
    log = read_servicenow(LOGS / "servicenow_small.csv")
    contacts = log.contacts.set_index("contact_id")
    assert log.mode == "async" and log.rows_read == 14 and len(contacts) == 4
    inc1, inc2 = contacts.loc["INC1"], contacts.loc["INC2"]
    # first response = first update out of state New; handle = to the last resolved_at
    assert inc1["wait_seconds"] == 3600 and inc1["handle_seconds"] == 3 * 3600
    assert bool(inc1["escalated"]) and not bool(inc1["reopened"])
    assert bool(inc2["reopened"]) and inc2["reopen_delay_hours"] == 22
    assert inc2["handle_seconds"] == 23 * 3600
    assert problems(log) == {
        (11, "missing resolved_at", "kept; handle time unknown"),
        (11, "no resolver named", "kept; not counted in staffing"),
        (13, "first response before opened_at", "kept; wait and handle unknown"),
    }
    assert np.isnan(contacts.loc["INC4", "wait_seconds"]) and np.isnan(contacts.loc["INC4", "handle_seconds"])


def test_servicenow_event_without_an_incident_number_is_reported(tmp_path: Path) -> None:
    lines = (LOGS / "servicenow_small.csv").read_text().splitlines()
    lines[2] = "," + lines[2].split(",", 1)[1]  # line 3 (INC1's second event) loses its number
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n")
    log = read_servicenow(path)
    assert log.rows_read == 14 and log.excluded == 1
    assert (3, "event without an incident number", "excluded") in problems(log)
    assert len(log.contacts) == 4


def test_the_servicenow_log_is_read_as_pandas_reads_it() -> None:
    raw = pd.read_csv(shared_file(SERVICENOW), dtype=str)
    log = read_servicenow(SERVICENOW)
    last = raw.groupby("number").tail(1).set_index("number")
    assert len(log.contacts) == raw["number"].nunique()
    contacts = log.contacts.set_index("contact_id")
    assert contacts["escalated"].sum() == (last["reassignment_count"].astype(int) > 0).sum()
    assert contacts["reopened"].sum() == (last["reopen_count"].astype(int) > 0).sum()
    opened = pd.to_datetime(raw.groupby("number")["opened_at"].first(), format="%d-%m-%Y %H:%M")
    pd.testing.assert_series_equal(
        contacts["created"].sort_index(), opened.sort_index(), check_names=False, check_dtype=False
    )
    missing = log.problem_counts().set_index("reason")["rows"]["missing resolved_at"]
    assert missing == (raw.groupby("number")["resolved_at"].apply(lambda s: (s == "?").all())).sum()


# --- generic CSV ---------------------------------------------------------------------------------


def test_generic_csv_with_a_mapping_file() -> None:
    log = read_csv_log(LOGS / "generic_small.csv", ColumnMap.from_yaml(LOGS / "generic_small.yaml"))
    contacts = log.contacts.set_index("contact_id")
    assert list(contacts.index) == ["t1", "t2", "t3", "t4", "t5", "t8"]
    assert contacts["outcome"].tolist() == [
        "served",
        "abandoned",
        "left_ivr",
        "served",
        "served",
        "served",
    ]
    assert contacts.loc["t1", ["ivr_seconds", "wait_seconds", "handle_seconds"]].tolist() == [
        20,
        40,
        240,
    ]
    assert contacts.loc["t2", "wait_seconds"] == 90, "an abandoned contact waits until it leaves"
    assert contacts["escalated"].tolist()[:1] == [False] and bool(contacts.loc["t4", "escalated"])
    assert contacts.loc["t8", "channel"] == "email"
    assert problems(log) == {
        (6, "negative handle time", "kept; handle time unknown"),
        (7, "missing arrival time (start)", "excluded"),
        (8, "phantom contact", "excluded"),
        (10, "unknown outcome 'transfer'", "excluded"),
    }


def test_generic_csv_flags_override_the_mapping_file() -> None:
    mapping = ColumnMap.from_yaml(LOGS / "generic_small.yaml", category="line", channel=None)
    log = read_csv_log(LOGS / "generic_small.csv", mapping)
    assert set(log.contacts["category"]) == {"chat", "email"}


def test_generic_csv_without_outcome_column_infers_it() -> None:
    mapping = ColumnMap.build({"created": "start", "answered": "answer", "resolved": "end"})
    log = read_csv_log(LOGS / "generic_small.csv", mapping)
    outcome = log.contacts.set_index("line")["outcome"]  # no id column: lines identify contacts
    assert (outcome[2], outcome[3], outcome[8]) == ("served", "abandoned", "abandoned")


# --- broken logs ---------------------------------------------------------------------------------

GENERIC = ["--created", "start", "--answered", "answer", "--resolved", "end"]


@pytest.mark.parametrize(
    ("file", "args", "message"),
    [
        (
            "bank_missing_column.txt",
            ["--format", "anonymous_bank"],
            "missing column 'q_time' (Anonymous Bank format)",
        ),
        (
            "bank_bad_time.txt",
            ["--format", "anonymous_bank"],
            "line 3: column 'vru_entry': cannot read '7:6x:00' as a time of day H:MM:SS",
        ),
        ("empty.txt", ["--format", "anonymous_bank"], "the file is empty"),
        ("header_only.csv", ["--format", "csv", *GENERIC], "no data rows after the header"),
        (
            "servicenow_bad_time.csv",
            ["--format", "servicenow"],
            "line 3: column 'opened_at': cannot read '31-02-2016 25:00' as a time",
        ),
        (
            "generic_bad_time.csv",
            ["--format", "csv", *GENERIC],
            "line 4: column 'start': cannot read 'yesterday'",
        ),
        (
            "generic_small.csv",
            ["--format", "csv", "--created", "start", "--answered", "answer_at"],
            "missing column 'answer_at' (mapped as answered)",
        ),
        (
            "generic_small.csv",
            ["--format", "csv", "--answered", "answer"],
            "needs at least 'created'",
        ),
        (
            "generic_long_row.csv",
            ["--format", "csv", *GENERIC],
            "line 2: 11 fields separated by ',', the header has 10",
        ),
        ("no_such_file.csv", ["--format", "csv", *GENERIC], "no such file"),
        ("servicenow_small.csv", ["--format", "anonymous_bank"], "missing column 'vru+line'"),
    ],
)
@pytest.mark.parametrize("command", ["fit", "backtest"])
def test_broken_logs_exit_2_naming_the_file_and_the_column_or_line(
    tmp_path: Path, file: str, args: list[str], message: str, command: str
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text((Path(__file__).resolve().parents[1] / "scenarios" / "single_queue.yaml").read_text())
    out = tmp_path / "out"
    where = ["-o", str(out / "fitted.yaml")] if command == "fit" else ["--scenario", str(scenario), "--out", str(out)]
    result = CliRunner().invoke(cli(), [command, str(LOGS / file), *args, *where])
    assert result.exit_code == 2, result.output
    assert f"{LOGS / file}: " in result.output and message in result.output
    assert "Traceback" not in result.output
    assert not out.exists(), "nothing is written for a broken log"


def test_log_errors_name_the_file_for_the_python_api() -> None:
    with pytest.raises(LogError, match=r"bank_bad_time\.txt: line 3: column 'vru_entry'"):
        read_anonymous_bank(LOGS / "bank_bad_time.txt")


@pytest.mark.parametrize("command", ["fit", "backtest"])
def test_an_output_that_cannot_be_written_exits_2(tmp_path: Path, command: str) -> None:
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "anonymous_bank_weekday.yaml"
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder")
    if command == "fit":
        where, message = ["-o", str(tmp_path)], "is a folder"
    else:
        where, message = ["--scenario", str(scenario), "--out", str(blocker)], "is a file"
    args = [command, str(LOGS / "bank_small.txt"), "--format", "anonymous_bank", *where]
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_empty_rows_inside_a_log_are_reported_blank_lines_at_the_end_are_not(
    tmp_path: Path,
) -> None:
    lines = (LOGS / "generic_small.csv").read_text().splitlines()[:4]
    path = tmp_path / "log.csv"
    # line 3 blank, line 4 a row of empty cells, lines 7-8 blank at the end
    path.write_text("\n".join([lines[0], lines[1], "", ",,,,,,,,,", *lines[2:4], "", ""]) + "\n")
    log = read_csv_log(path, ColumnMap.from_yaml(LOGS / "generic_small.yaml"))
    assert list(log.contacts["contact_id"]) == ["t1", "t2", "t3"]
    assert list(log.contacts["line"]) == [2, 5, 6]
    assert problems(log) == {(3, "empty row", "excluded"), (4, "empty row", "excluded")}
    assert log.rows_read == 5 and log.excluded == 2
