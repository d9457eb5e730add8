# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. From history to plan: forecast next week's volume, with its uncertainty, and staff it
#
# *For the workforce planner who sizes next period's headcount from history.*
#
# Most planners have their ACD's interval report (offered contacts per queue and half hour)
# rather than a per-contact log; `supportsim.read_interval_report` reads one. Here the history
# is the Anonymous Bank log (February 1999), counted per half hour. The walk-through:
#
# 1. the history, counted per interval, and the rows the reader could not use;
# 2. a forecast of the fourth week, fitted on the first three: the method chosen by
#    rolling-origin backtests, the outliers replaced, and the 80% band;
# 3. the forecast against what happened, and against the seasonal-naive baseline;
# 4. a scenario that extends the fitted bank scenario with the forecast, its uncertainty as
#    day-to-day variation, simulated: the replications spread as the forecast does;
# 5. the Erlang staffing first guess for the forecast week.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from supportsim import (
    analytic_requirement,
    forecast_volume,
    history_from_log,
    load_scenario,
    read_log,
    simulate,
    write_forecast_scenario,
)

ROOT = Path.cwd() if (Path.cwd() / "scenarios").is_dir() else Path.cwd().parent
LOG = ROOT.parent / "shared" / "data" / "anonymous_bank" / "data_anonymous_bank_february.txt"
BASE = ROOT / "scenarios" / "anonymous_bank_weekday.yaml"
TRAIN_UNTIL = "1999-02-22"  # a Monday: three weeks of history before it
HORIZON_DAYS = 7
SEED = 4

# %% [markdown]
# ## 1. The history per half hour

# %%
log = read_log(LOG, "anonymous_bank")
history = history_from_log(log, interval_minutes=30)
print(f"{log.rows_read} rows, {len(log.contacts)} contacts, {history.interval_minutes}-minute intervals")
display(history.problem_counts())

# %% [markdown]
# ## 2. The forecast of the fourth week
#
# Each candidate is scored by interval WAPE on backtests inside the three training weeks
# (several origins, never the future); the best one forecasts. The band is a negative
# binomial count distribution whose dispersion and tails were calibrated on the backtests.

# %%
forecast = forecast_volume(history, TRAIN_UNTIL, HORIZON_DAYS)
fit = forecast.fits["phone"]
print(f"method: {fit.method} {fit.parameters}")
display(fit.candidates)
display(fit.outliers)
display(forecast.daily)

# %% [markdown]
# ## 3. Forecast against what happened

# %%
actual = history.volumes.set_index("interval_start")["volume"]
rows = forecast.intervals
held_out = actual.reindex(rows["interval_start"]).to_numpy()
fig, ax = plt.subplots(figsize=(11, 4))
ax.fill_between(rows["interval_start"], rows["volume_lo80"], rows["volume_hi80"], alpha=0.3, label="80% band")
ax.plot(rows["interval_start"], rows["volume"], ".", ms=3, label="forecast")
ax.plot(rows["interval_start"], held_out, ".", ms=3, color="k", label="actual")
ax.set(title="Forecast of the fourth week and what happened", xlabel="time", ylabel="calls per half hour")
ax.legend()
fig.tight_layout()
plt.show()
accuracy = forecast.accuracy
assert accuracy is not None
display(pd.DataFrame({name: accuracy[name] for name in ("forecast", "seasonal_naive")}))

# %% [markdown]
# ## 4. A scenario carrying the forecast and its uncertainty
#
# The scenario `extends:` the fitted bank scenario; each channel's arrivals become the
# forecast's rates (a CSV table beside it) and `daily_cv` the forecast's day-level error, so
# every replication draws a different volume for each day.

# %%
folder = Path(tempfile.mkdtemp())
write_forecast_scenario(forecast, BASE, folder / "next_week.yaml")
scenario = load_scenario(folder / "next_week.yaml")
print(scenario.name, "-", scenario.horizon.days, "days, daily_cv", scenario.channel("phone").arrivals.daily_cv)
result = simulate(scenario, seed=SEED, replications=8, keep_tickets=False)
offered = result.intervals.query("scope == 'channel' and name == 'phone'")
per_day = offered.groupby(["day", "replication"])["offered"].sum().unstack()
fig, ax = plt.subplots(figsize=(11, 4))
days = forecast.daily["date"].astype(str)
ax.fill_between(
    days, forecast.daily["volume_lo80"], forecast.daily["volume_hi80"], alpha=0.3, label="forecast 80% band"
)
ax.plot(days, forecast.daily["volume"], "o-", label="forecast")
for replication in per_day.columns:
    ax.plot(days, per_day[replication].to_numpy(), ".", color="k", alpha=0.5)
ax.set(title="Daily calls: the forecast's band and 8 simulated replications", xlabel="day", ylabel="calls per day")
ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. The Erlang first guess for the forecast week
#
# Agents per half hour and group from the forecast's mean rates (the simulation-based search,
# `simulated_requirement`, refines it as in notebook 2).

# %%
first_guess = analytic_requirement(scenario)
headcount = first_guess.pivot_table(index="interval", columns="group", values="analytic_headcount", aggfunc="sum")
fig, ax = plt.subplots(figsize=(11, 4))
hours = headcount.index * scenario.horizon.interval_minutes / 60
for group in headcount.columns:
    ax.step(hours, headcount[group], where="post", label=group)
ax.set(title="Erlang first guess for the forecast week", xlabel="hours from Monday 00:00", ylabel="headcount")
ax.legend()
fig.tight_layout()
plt.show()
print(f"{(headcount.sum(axis=1) * scenario.horizon.interval_minutes / 60).sum():,.0f} paid hours in the week")
