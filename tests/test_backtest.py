"""Backtest: the replay is faithful, KPIs mean the same on both sides, and a log made by the
model itself is reproduced within the replications' own noise; on the bank log the observed
side equals a plain pandas computation on the raw file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

import supportsim
from supportsim.calibration import BACKTEST_KPIS, BacktestError, ColumnMap, ContactLog, backtest, read_csv_log, replay
from supportsim.calibration.backtesting import interval_kpis
from supportsim.reports.backtest_report import backtest_figures
from supportsim.scenario.io import load_scenario, scenario_from_dict
from supportsim.scenario.model import Scenario
from tests.test_fitting import ROOT, ROUND_TRIP_MAP, simulated_log
from tests.test_logs import BANK, LOGS, cli, shared_file

Z = 4.0


def test_interval_kpis_follow_their_definitions() -> None:
    table = pd.DataFrame(
        {
            "channel": ["phone"] * 5,
            "interval": [0, 0, 0, 0, 1],
            "queued": [True, True, True, False, True],
            "answered": [True, True, False, False, True],
            "abandoned": [False, False, True, False, False],
            "wait_seconds": [10.0, 30.0, 50.0, np.nan, 5.0],
        }
    )
    kpis = interval_kpis(table, {"phone": 20.0}, ["channel", "interval"]).loc["phone"]
    assert kpis.loc[0, ["offered", "queued"]].tolist() == [4, 3]
    assert kpis.loc[0, "abandon_rate"] == pytest.approx(1 / 3)
    assert kpis.loc[0, "mean_wait_seconds"] == 20  # answered contacts only
    assert kpis.loc[0, "service_level"] == pytest.approx(1 / 3)  # within 20 s ÷ (answered + abandoned)
    assert kpis.loc[1, ["offered", "abandon_rate", "mean_wait_seconds", "service_level"]].tolist() == [1, 0, 5, 1]
    doubled = interval_kpis(pd.concat([table, table]), {"phone": 20.0}, ["channel", "interval"], 2).loc["phone"]
    pd.testing.assert_frame_equal(doubled, kpis)


def test_service_level_counts_contacts_still_waiting_past_the_target_as_misses() -> None:
    """docs/metrics.md: the fate of a contact still waiting after more than T at the end is known."""
    table = pd.DataFrame(
        {
            "channel": ["phone"] * 4,
            "interval": [0] * 4,
            "queued": [True] * 4,
            "answered": [True, False, False, False],
            "abandoned": [False] * 4,
            "wait_seconds": [10.0, 30.0, 10.0, np.nan],
            "waiting_at_end": [False, True, True, False],
        }
    )
    kpis = interval_kpis(table, {"phone": 20.0}, ["channel", "interval"]).loc["phone"]
    # answered within 20 s ÷ (answered + still waiting after more than 20 s); the 10 s wait is not yet known
    assert kpis.loc[0, "service_level"] == pytest.approx(1 / 2)
    assert kpis.loc[0, "abandon_rate"] == 0 and kpis.loc[0, "mean_wait_seconds"] == 10


def mmc_scenario() -> Scenario:
    return scenario_from_dict(
        {
            "name": "M/M/5+M",
            "horizon": {"days": 3, "interval_minutes": 30},
            "channels": [
                {
                    "name": "phone",
                    "mode": "realtime",
                    "arrivals": {"per_hour": 42},
                    "patience_seconds": {"dist": "exponential", "mean": 120},
                    "target": {"answer_within_seconds": 20},
                }
            ],
            "categories": [
                {
                    "name": "general",
                    "channels": {"phone": 1.0},
                    "skill": "general",
                    "handle_minutes": {"dist": "exponential", "mean": 6},
                }
            ],
            "groups": [{"name": "agents", "skills": ["general"], "headcount": 5}],
        }
    )


@pytest.fixture(scope="module")
def own_log(tmp_path_factory: pytest.TempPathFactory) -> ContactLog:
    """A log the model itself wrote, with agents named as the engine would pick them."""
    path = tmp_path_factory.mktemp("own") / "log.csv"
    simulated_log(mmc_scenario(), 3, path, agents={"agents": 5})
    return read_csv_log(path, ColumnMap.build(ROUND_TRIP_MAP | {"agent": "agent"}))


def test_the_replay_uses_the_logs_period_arrivals_and_staffing(own_log: ContactLog) -> None:
    scenario, trace, warnings = replay(own_log, mmc_scenario())
    assert not warnings
    assert (
        scenario.horizon.days,
        scenario.horizon.start_weekday,
        scenario.horizon.warmup_hours,
    ) == (3, "mon", 0)
    np.testing.assert_array_equal(trace.arrival_minute, own_log.arrival_minutes())
    assert trace.category is not None and set(trace.category) == {"general"}
    staffed = np.array(scenario.groups[0].headcount_per_interval)
    assert len(staffed) == 3 * 48 and staffed.max() == 5
    assert np.median(staffed) == 5, "five agents worked all along; the log shows them"


def test_a_scenario_missing_a_channel_of_the_log_is_refused(own_log: ContactLog) -> None:
    data = mmc_scenario().model_dump(mode="json", by_alias=True, exclude_none=True)
    data["channels"][0]["name"] = "chat"
    data["categories"][0]["channels"] = {"chat": 1.0}
    with pytest.raises(BacktestError, match="channel 'phone' of the log is not in the scenario"):
        replay(own_log, scenario_from_dict(data))


def test_a_scenario_whose_channel_has_another_mode_is_refused(own_log: ContactLog) -> None:
    data = mmc_scenario().model_dump(mode="json", by_alias=True, exclude_none=True)
    data["channels"][0] = {"name": "phone", "mode": "async", "arrivals": {"per_hour": 42}}
    with pytest.raises(BacktestError, match="'phone' is realtime in the log but async"):
        replay(own_log, scenario_from_dict(data))


def test_a_log_made_by_the_model_is_reproduced_within_noise(own_log: ContactLog) -> None:
    replications = 8
    result = backtest(own_log, mmc_scenario(), replications=replications, seed=2, min_contacts=5)
    table = result.intervals
    np.testing.assert_array_equal(table["offered_observed"], table["offered_simulated"])
    assert len(table) == 3 * 48 and table["scored"].all()  # about 21 calls per half hour
    for kpi in ("abandon_rate", "mean_wait_seconds", "service_level"):
        total = result.summary["totals"]["phone"][kpi]
        # observed is one draw of the model given the arrivals; simulated the mean of R draws
        bound = Z * total["simulated_sd"] * math.sqrt(1 + 1 / replications)
        assert abs(total["observed"] - total["simulated"]) <= bound, (kpi, total)
    assert result.summary["kpis"]["offered"]["mape"] == 0


def test_the_simulated_service_level_is_the_metric_of_a_run(own_log: ContactLog) -> None:
    """One definition: the backtest's simulated side equals ``simulate``'s service_level."""
    data = mmc_scenario().model_dump(mode="json", by_alias=True, exclude_none=True)
    del data["channels"][0]["patience_seconds"]  # nobody abandons ...
    data["categories"][0]["handle_minutes"]["mean"] = 9  # ... and the queue grows to the end
    slow = scenario_from_dict(data)
    result = backtest(own_log, slow, replications=1, seed=3, min_contacts=5)
    replayed, trace, _ = replay(own_log, slow)
    run = supportsim.simulate(replayed, seed=3, replications=1, trace=trace)
    waiting = run.summary["channels"]["phone"]["open_at_end"]["mean"]
    assert waiting > 100, "contacts are still waiting when the replay ends"
    simulated = result.summary["totals"]["phone"]["service_level"]["simulated"]
    assert simulated == pytest.approx(run.summary["channels"]["phone"]["service_level"]["mean"], rel=1e-12)
    figures = backtest_figures(result)
    assert list(figures) == ["phone"] and isinstance(figures["phone"], Figure)


@pytest.fixture(scope="module")
def bank_backtest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("bank") / "backtest"
    args = [
        "backtest",
        str(shared_file(BANK)),
        "--format",
        "anonymous_bank",
        "--scenario",
        str(ROOT / "scenarios" / "anonymous_bank_weekday.yaml"),
        "--replications",
        "2",
        "--seed",
        "1",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 0, result.output
    return out, result


def test_bank_backtest_writes_one_row_per_interval_and_a_summary(
    bank_backtest: tuple[Path, Any],
) -> None:
    out, run = bank_backtest
    table = pd.read_csv(out / "backtest.csv")
    assert len(table) == 28 * 48
    for kpi in BACKTEST_KPIS:
        assert {f"{kpi}_observed", f"{kpi}_simulated"} <= set(table.columns)
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["kpis"]) == set(BACKTEST_KPIS)
    for kpi in BACKTEST_KPIS:
        assert {"bias", "mape", "wape", "relative_bias", "noise_mape", "noise_wape", "intervals"} <= set(
            summary["kpis"][kpi]
        )
    assert summary["intervals_scored"] == int(table["scored"].sum()) > 0
    assert (out / "backtest_phone.png").stat().st_size > 0
    assert "Backtest of" in run.stdout and "abandon_rate" in run.stdout
    # the log's bad rows are reported by the backtest too
    raw = pd.read_csv(BANK, sep="\t", dtype=str)
    phantom = int((raw["outcome"] == "PHANTOM").sum())
    assert summary["rows_read"] == len(raw) and summary["rows_excluded"] == phantom
    reasons = {p["reason"]: p["rows"] for p in summary["problems"]}
    assert reasons["phantom call (outcome PHANTOM)"] == phantom
    assert f"{phantom} x phantom call" in run.stdout


def test_bank_backtest_observed_side_matches_pandas(bank_backtest: tuple[Path, Any]) -> None:
    out, _ = bank_backtest
    table = pd.read_csv(out / "backtest.csv").set_index("interval")
    raw = pd.read_csv(BANK, sep="\t", dtype=str)
    calls = raw[raw["outcome"] != "PHANTOM"]
    day = (pd.to_datetime(calls["date"], format="%y%m%d") - pd.Timestamp("1999-02-01")).dt.days
    clock = calls["vru_entry"].str.split(":", expand=True).astype(int)
    interval = day * 48 + (clock[0] * 3600 + clock[1] * 60 + clock[2]) // 1800
    offered = interval.value_counts().reindex(range(28 * 48), fill_value=0)
    np.testing.assert_array_equal(table["offered_observed"].to_numpy(), offered.to_numpy())
    queued = (calls["outcome"] == "AGENT") | (
        (calls["outcome"] == "HANG") & ((calls["q_start"] != "0:00:00") | (calls["q_time"].astype(int) > 0))
    )
    abandoned = (calls["outcome"] == "HANG") & queued
    rate = abandoned.groupby(interval).sum() / queued.groupby(interval).sum()
    observed = table["abandon_rate_observed"]
    np.testing.assert_allclose(observed.loc[rate.dropna().index], rate.dropna(), rtol=1e-12)


def test_backtest_refuses_a_scenario_without_the_logs_channel(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        "backtest",
        str(LOGS / "generic_small.csv"),
        "--format",
        "csv",
        "--mapping",
        str(LOGS / "generic_small.yaml"),
        "--scenario",
        str(ROOT / "scenarios" / "single_queue.yaml"),
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 2
    assert "channel 'chat' of the log is not in the scenario" in result.output
    assert not out.exists()


def test_a_broken_scenario_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    result = CliRunner().invoke(
        cli(),
        [
            "backtest",
            str(LOGS / "bank_small.txt"),
            "--format",
            "anonymous_bank",
            "--scenario",
            str(bad),
        ],
    )
    assert result.exit_code == 2 and f"{bad}: horizon: is required" in result.output


def test_bank_scenario_loads(bank_backtest: tuple[Path, Any]) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "anonymous_bank_weekday.yaml")
    assert scenario.automation and scenario.channel("phone").patience_seconds is not None


def test_pooled_by_hour_on_a_hand_computed_table() -> None:
    """Two days (Sunday, Monday) of 60-minute intervals; only Sunday pooled. Hour 9 of Sunday:
    observed 3 answered (waits 10, 20, 30 s) and 1 abandoned; simulated (2 replications) 5
    answered with waits 10 s and 3 abandoned. Monday's contacts must be left out."""
    from supportsim.calibration.scores import pooled_by_hour

    def table(rows: list[tuple[int, bool, float]]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "channel": "phone",
                "interval": [r[0] for r in rows],
                "queued": True,
                "answered": [r[1] for r in rows],
                "abandoned": [not r[1] for r in rows],
                "wait_seconds": [r[2] for r in rows],
            }
        )

    monday_9 = 24 + 9
    observed = table([(9, True, 10.0), (9, True, 20.0), (9, True, 30.0), (9, False, 50.0), (monday_9, False, 1.0)])
    simulated = table([(9, True, 10.0)] * 5 + [(9, False, 5.0)] * 3 + [(monday_9, True, 99.0)] * 4)
    pooled = pooled_by_hour((observed, simulated), {"phone": 20.0}, 2, ["sun", "mon"], 60, ("sun",), 1)
    assert pooled["days"] == 1 and pooled["weekdays"] == ["sun"] and pooled["hours_scored"] == 1
    row = next(r for r in pooled["table"] if r["hour"] == 9)
    assert row["abandon_rate_observed"] == pytest.approx(1 / 4)
    assert row["abandon_rate_simulated"] == pytest.approx(3 / 8)
    assert row["mean_wait_seconds_observed"] == pytest.approx(20.0)
    assert row["mean_wait_seconds_simulated"] == pytest.approx(10.0)
    assert pooled["kpis"]["abandon_rate"]["mape"] == pytest.approx((3 / 8 - 1 / 4) / (1 / 4))
    assert pooled["kpis"]["mean_wait_seconds"]["mape"] == pytest.approx(0.5)
    # hours below the threshold of queued contacts per pooled day are not scored
    assert (
        pooled_by_hour((observed, simulated), {"phone": 20.0}, 2, ["sun", "mon"], 60, ("sun",), 5)["hours_scored"] == 0
    )
