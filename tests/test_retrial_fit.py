"""The retrial and priority estimators (calibration/retrials.py) on logs generated with known values.

The synthetic log: identified customers call in the background as a Poisson process; every
call (first or retrial) abandons with a fixed probability, and an abandoner calls back with
probability ``P`` after an exponential delay of mean ``MEAN_DELAY`` minutes. The estimator
must recover ``P`` and the mean delay. Tolerances come from the spread over ``RUNS``
independent logs: the mean estimate must lie within 3 standard errors of the truth, and the
standard error the estimator reports must match the spread it actually has.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from supportsim.calibration.logs import read_log
from supportsim.calibration.retrials import fit_priority, fit_retrials, repeat_delays

P = 0.6
MEAN_DELAY = 10.0  # minutes
ABANDON = 0.3
RUNS = 20
BANK = "../shared/data/anonymous_bank/data_anonymous_bank_february.txt"


def synthetic_log(seed: int, customers: int = 1500, days: int = 28, calls_per_day: float = 0.15) -> pd.DataFrame:
    """A contact table with known retrial behaviour (waits 60 s, no IVR, handle 0)."""
    rng = np.random.default_rng(seed)
    count = rng.poisson(customers * days * calls_per_day)
    minute = rng.uniform(0, days * 1440, count)
    who = rng.integers(0, customers, count)
    rows_minute, rows_who, rows_abandoned = [], [], []
    while minute.size:
        abandoned = rng.random(minute.size) < ABANDON
        rows_minute.append(minute)
        rows_who.append(who)
        rows_abandoned.append(abandoned)
        back = abandoned & (rng.random(minute.size) < P)
        # a retrial arrives MEAN_DELAY on average after the abandonment, which ends 1 minute after arrival
        minute = minute[back] + 1.0 + rng.exponential(MEAN_DELAY, int(back.sum()))
        who = who[back]
    minute_all = np.concatenate(rows_minute)
    abandoned_all = np.concatenate(rows_abandoned)
    created = pd.Timestamp("2000-01-03") + pd.to_timedelta(minute_all, unit="min")
    return pd.DataFrame(
        {
            "customer_id": np.concatenate(rows_who).astype(str),
            "created": created,
            "outcome": np.where(abandoned_all, "abandoned", "served"),
            "ivr_seconds": 0.0,
            "wait_seconds": 60.0,
            "ended": (created + pd.Timedelta(seconds=60)).where(~abandoned_all),
            "priority": "",
            "category": "x",
        }
    )


@pytest.fixture(scope="module")
def fits():
    return [fit_retrials(synthetic_log(seed)) for seed in range(RUNS)]


def test_retrial_probability_is_recovered(fits):
    estimates = np.array([f.probability for f in fits])
    spread = estimates.std(ddof=1)
    assert abs(estimates.mean() - P) <= 3 * spread / math.sqrt(RUNS), (estimates.mean(), spread)
    # the reported standard error is the spread the estimator has (ratio of sds: a chi-square
    # interval with 19 degrees of freedom at 99% is about [0.63, 1.6])
    reported = np.mean([f.probability_se for f in fits])
    assert 0.6 <= spread / reported <= 1.6, (spread, reported)


def test_retrial_delay_is_recovered(fits):
    means = np.array([f.delay.mean_minutes for f in fits])
    assert abs(means.mean() - MEAN_DELAY) <= 3 * means.std(ddof=1) / math.sqrt(RUNS), (means.mean(), means.std())
    assert all(f.window_minutes <= 180 for f in fits)


def test_delays_are_measured_from_the_end_of_the_abandoned_contact():
    contacts = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", ""],
            "created": pd.to_datetime(["2000-01-03 10:00", "2000-01-03 10:30", "2000-01-03 12:00", "2000-01-03 13:00"]),
            "outcome": ["abandoned", "served", "served", "served"],
            "ivr_seconds": [60.0, 0.0, 0.0, 0.0],
            "wait_seconds": [240.0, 0.0, 0.0, 0.0],
            "ended": pd.to_datetime([None, "2000-01-03 10:40", "2000-01-03 12:10", "2000-01-03 13:05"]),
        }
    )
    delays = repeat_delays(contacts)
    # abandoned at 10:05 (1 min IVR + 4 min wait), next call 10:30; served until 10:40, next 12:00;
    # the last call of the customer has no next; the anonymous caller is left out
    assert delays["delay_minutes"].tolist() == [25.0, 80.0, math.inf]
    assert delays["room_minutes"].tolist() == [175.0, 140.0, 50.0]


def test_priority_share_and_credit_on_a_deterministic_log():
    # one cell with long waits: priority contacts wait 90 s less than regular ones
    base = pd.Timestamp("2000-01-03 10:00")
    rows = []
    for i in range(5):  # 5 cells of 15 minutes, each with 3 regular and 3 priority contacts
        for j in range(3):
            rows.append(("1", base + pd.Timedelta(minutes=15 * i + j), 300.0 + 10 * j))
            rows.append(("2", base + pd.Timedelta(minutes=15 * i + j), 210.0 + 10 * j))
    rows.append(("0", base, 0.0))
    contacts = pd.DataFrame(rows, columns=["priority", "created", "wait_seconds"])
    contacts["outcome"] = "served"
    contacts["category"] = "PS"
    fit = fit_priority(contacts)
    assert fit.share == pytest.approx(15 / 31)
    assert fit.credit_seconds == pytest.approx(90.0)
    assert fit.slots == 5


@pytest.mark.skipif(not __import__("pathlib").Path(BANK).exists(), reason="bank log not available")
def test_the_bank_log_gives_a_plausible_retrial_estimate():
    fit = fit_retrials(read_log(BANK, "anonymous_bank").contacts)
    # figures measured on the log (docs in the fit report): p about 0.47, window 3 h
    assert 0.3 < fit.probability < 0.6
    assert fit.window_minutes == 180.0
