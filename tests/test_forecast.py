"""Forecasting: a known seasonal Poisson history forecast back, outliers, the bank log, scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from supportsim.calibration import read_log
from supportsim.forecast import VolumeHistory, forecast_volume, history_from_log
from supportsim.reports import write_forecast, write_forecast_scenario
from supportsim.results import simulate
from supportsim.scenario import load_scenario

BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "anonymous_bank" / "data_anonymous_bank_february.txt"
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

START = pd.Timestamp("2025-01-06")  # a Monday
WEEKS, TRAIN_WEEKS, HORIZON = 10, 8, 14
OPEN_FROM, OPEN_TO = 14, 42  # 07:00-21:00 in 30-minute slots
WEEKDAY = np.array([1.15, 1.0, 1.0, 0.95, 0.85, 0.0, 0.0])  # closed at weekends


def true_rates() -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Mean contacts per 30-minute interval: level with a trend × weekday × a two-peak day."""
    days = pd.date_range(START, periods=7 * WEEKS, freq="D")
    slots = np.arange(48)
    shape = np.exp(-0.5 * ((slots - 20) / 4) ** 2) + 0.7 * np.exp(-0.5 * ((slots - 33) / 5) ** 2) + 0.15
    shape = np.where((slots >= OPEN_FROM) & (slots < OPEN_TO), shape, 0.0)
    shape /= shape.sum()
    level = 900.0 * (1 + 0.003 * np.arange(len(days)))
    return days, (level * WEEKDAY[days.day_of_week.to_numpy()])[:, None] * shape[None, :]


def history_of(counts: np.ndarray, days: pd.DatetimeIndex) -> VolumeHistory:
    starts = pd.DatetimeIndex(
        (days.to_numpy()[:, None] + pd.to_timedelta(np.arange(48) * 30, unit="min").to_numpy()[None, :]).ravel()
    )
    volumes = pd.DataFrame(
        {"interval_start": starts, "channel": "phone", "volume": counts.ravel().astype(float), "aht_seconds": np.nan}
    )
    problems = pd.DataFrame(columns=["line", "column", "reason", "action"])
    return VolumeHistory("synthetic", 30, volumes, problems, rows_read=counts.size)


@pytest.fixture(scope="module")
def synthetic() -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    days, rates = true_rates()
    counts = np.random.default_rng(2024).poisson(rates).astype(float)
    return days, rates, counts


def train_until() -> pd.Timestamp:
    return START + pd.Timedelta(weeks=TRAIN_WEEKS)


def test_a_seasonal_poisson_history_is_forecast_back(synthetic):
    days, rates, counts = synthetic
    result = forecast_volume(history_of(counts, days), train_until(), HORIZON)
    rows = result.intervals
    # only the open days and hours are forecast
    assert set(rows["interval_start"].dt.day_of_week) == {0, 1, 2, 3, 4}
    minutes = rows["interval_start"].dt.hour * 60 + rows["interval_start"].dt.minute
    assert minutes.min() == OPEN_FROM * 30 and minutes.max() == (OPEN_TO - 1) * 30
    held = days >= train_until()
    truth = rates[held][:, OPEN_FROM:OPEN_TO][rates[held].sum(axis=1) > 0].ravel()
    forecast = rows["volume"].to_numpy()
    # the mean per interval pattern (weekday, time), within sampling tolerance: an interval's
    # share is estimated from TRAIN_WEEKS Poisson counts of mean lam (relative sd 1/sqrt(weeks*lam)),
    # the level to a few percent; 4 sd of the first and 5% for the second bound every pattern.
    patterns = pd.DataFrame({"w": rows["interval_start"].dt.day_of_week, "m": minutes, "f": forecast, "t": truth})
    by_pattern = patterns.groupby(["w", "m"])[["f", "t"]].mean()
    relative = (by_pattern["f"] / by_pattern["t"] - 1).abs()
    tolerance = 4 / np.sqrt(TRAIN_WEEKS * by_pattern["t"]) + 0.05
    assert (relative < tolerance).all(), relative[relative >= tolerance]
    assert relative.median() < 0.06
    assert abs(forecast.sum() / truth.sum() - 1) < 0.04
    accuracy = result.accuracy
    assert accuracy is not None
    assert 0.7 <= accuracy["forecast"]["coverage_80"] <= 0.9
    assert accuracy["forecast"]["wape_interval"] < accuracy["seasonal_naive"]["wape_interval"]


def with_outliers(counts: np.ndarray, days: pd.DatetimeIndex) -> np.ndarray:
    """The last training day exported at 15:00, an outage hour at zero, a doubled day."""
    dirty = counts.copy()
    last = int(np.flatnonzero(days < train_until())[-1]) - 2  # the last open (Friday) training day
    dirty[last, 30:] = 0  # exported mid-afternoon: nothing after 15:00
    dirty[last - 10, 22:24] = 0  # an outage hour, 11:00-12:00
    dirty[last - 16] *= 2  # a doubled day
    return dirty


def test_outliers_do_not_drag_the_forecast(synthetic):
    days, _, counts = synthetic
    clean = forecast_volume(history_of(counts, days), train_until(), HORIZON)
    dirty = forecast_volume(history_of(with_outliers(counts, days), days), train_until(), HORIZON)
    assert clean.accuracy is not None and dirty.accuracy is not None
    gap = dirty.accuracy["forecast"]["wape_interval"] - clean.accuracy["forecast"]["wape_interval"]
    assert abs(gap) < 0.02
    kinds = set(dirty.fits["phone"].outliers["kind"])
    assert "outage" in kinds and "day high" in kinds
    touched_days = set(dirty.fits["phone"].outliers["date"])
    last = days[days < train_until()][-3].date().isoformat()
    assert last in touched_days


@pytest.fixture(scope="module")
def bank_forecast(tmp_path_factory):
    if not BANK.exists():
        pytest.skip("the Anonymous Bank log is not in ../shared/data")
    history = history_from_log(read_log(BANK, "anonymous_bank"), 30)
    result = forecast_volume(history, "1999-02-22", 7)
    out = tmp_path_factory.mktemp("bank")
    write_forecast(result, out)
    return result, out


def test_on_the_bank_log_the_forecast_beats_seasonal_naive(bank_forecast):
    _, out = bank_forecast
    accuracy = json.loads((out / "accuracy.json").read_text())
    assert accuracy["forecast"]["wape_interval"] < accuracy["seasonal_naive"]["wape_interval"]
    assert sorted(p.name for p in out.iterdir()) == [
        "accuracy.json",
        "forecast.csv",
        "history.png",
        "profile.png",
        "report.md",
    ]
    assert "Candidates" in (out / "report.md").read_text()


def test_the_bank_reports_numbers_match_pandas(bank_forecast):
    _, out = bank_forecast
    raw = pd.read_csv(BANK, sep="\t", dtype=str)
    raw = raw[raw["outcome"].str.strip() != "PHANTOM"]
    arrival = pd.to_datetime(
        "19" + raw["date"].str.strip() + " " + raw["vru_entry"].str.strip(), format="%Y%m%d %H:%M:%S"
    )
    counts = arrival.dt.floor("30min").value_counts()
    forecast = pd.read_csv(out / "forecast.csv", parse_dates=["interval_start"])
    actual = counts.reindex(forecast["interval_start"], fill_value=0).to_numpy(float)
    naive = counts.reindex(forecast["interval_start"] - pd.Timedelta(days=7), fill_value=0).to_numpy(float)
    accuracy = json.loads((out / "accuracy.json").read_text())
    wape = np.abs(actual - forecast["volume"]).sum() / actual.sum()
    assert accuracy["forecast"]["wape_interval"] == pytest.approx(wape, abs=2e-4)  # volumes rounded to 3 decimals
    assert accuracy["seasonal_naive"]["wape_interval"] == pytest.approx(np.abs(actual - naive).sum() / actual.sum())
    inside = (actual >= forecast["volume_lo80"]) & (actual <= forecast["volume_hi80"])
    assert accuracy["forecast"]["coverage_80"] == pytest.approx(inside.mean())
    day = forecast["interval_start"].dt.normalize()
    daily = pd.DataFrame({"a": actual, "f": forecast["volume"], "d": day}).groupby("d").sum()
    assert accuracy["forecast"]["wape_daily"] == pytest.approx(
        (daily["a"] - daily["f"]).abs().sum() / daily["a"].sum(), abs=2e-4
    )


def test_a_scenario_from_a_forecast_carries_its_spread(synthetic, tmp_path):
    days, _, counts = synthetic
    result = forecast_volume(history_of(counts, days), train_until(), 5)
    output = tmp_path / "next.yaml"
    write_forecast_scenario(result, SCENARIOS / "single_queue.yaml", output)
    scenario = load_scenario(output)
    assert scenario.horizon.days == 5 and scenario.horizon.start_weekday == "mon"
    assert scenario.channel("phone").arrivals.daily_cv == pytest.approx(result.fits["phone"].daily_cv, abs=1e-4)
    simulated = simulate(scenario, seed=3, replications=40, keep_tickets=False)
    offered = simulated.intervals.query("scope == 'channel' and name == 'phone'")
    totals = offered.groupby(["replication", "day"])["offered"].sum().unstack()
    expected = result.daily["volume"].to_numpy()
    cv = result.fits["phone"].daily_cv
    predictive_sd = np.sqrt(expected + (cv * expected) ** 2)
    # 40 replications: the mean within 3 standard errors, the spread within ±35% (chi-square, 40 draws)
    assert np.all(np.abs(totals.mean().to_numpy() - expected) < 3 * predictive_sd / np.sqrt(40))
    ratio = totals.std(ddof=1).to_numpy() / predictive_sd
    assert np.all((ratio > 0.65) & (ratio < 1.35)), ratio


def test_a_forecast_of_calls_does_not_add_the_base_scenarios_callbacks_again(synthetic, tmp_path):
    days, _, counts = synthetic
    result = forecast_volume(history_of(counts, days), train_until(), 5)
    base = tmp_path / "base.yaml"
    text = (SCENARIOS / "single_queue.yaml").read_text()
    base.write_text(
        text.replace(
            "    target: {answer_within_seconds: 20",
            "    retrial: {probability: 0.9, delay_minutes: {dist: exponential, mean: 5}}\n"
            "    target: {answer_within_seconds: 20",
        )
    )
    assert load_scenario(base).channel("phone").retrial is not None
    output = tmp_path / "next.yaml"
    write_forecast_scenario(result, base, output)
    assert load_scenario(output).channel("phone").retrial is None
