import json
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from supportsim import load_scenario
from supportsim.planning import plan
from supportsim.reports.plan_report import erlang_report, plan_figure, write_plan

DATA = Path(__file__).parent / "data" / "planning"


@pytest.fixture(scope="module")
def small_plan():
    return plan(load_scenario(DATA / "mmc_day.yaml"), seed=0, replications=2)


def test_plan_figure_has_one_panel_per_group_with_four_steps(small_plan):
    fig = plan_figure(small_plan)
    assert isinstance(fig, Figure)
    groups = [g.name for g in small_plan.scenario.groups]
    assert [ax.get_ylabel() for ax in fig.axes] == groups
    assert all(len(ax.get_lines()) == 4 for ax in fig.axes)  # Erlang, simulated, scheduled, today
    assert fig.axes[0].get_legend() is not None


def test_write_plan_writes_every_file_at_once(small_plan, tmp_path):
    out = tmp_path / "plan"
    write_plan(small_plan, out)
    names = {"staffing.csv", "shifts.csv", "roster.csv", "kpis.csv", "checks.csv", "misses.csv", "uncovered.csv",
             "summary.json", "staffing.png"}
    assert {p.name for p in out.iterdir()} == names
    summary = json.loads((out / "summary.json").read_text())
    current = summary["current_roster"]
    assert set(current) == {"paid_hours", "cost", "targets_met", "targets_total"}
    assert current["targets_total"] == len(small_plan.current.checks)
    assert summary["targets_total"] == len(small_plan.checks)
    assert summary["agents"] == len(pd.read_csv(out / "roster.csv"))
    misses = pd.read_csv(out / "misses.csv")
    assert list(misses.columns) == ["roster", "interval", "day", "weekday", "time", "scope", "name", "kpi", "value",
                                    "bound", "target", "p_meet"]
    # each miss carries the share of replications meeting its target there, as checks.csv has it
    checks = pd.read_csv(out / "checks.csv").set_index(["interval", "kind", "name"])
    for r in misses[misses["roster"] == "plan"].itertuples():
        assert r.p_meet == pytest.approx(checks.loc[(r.interval, r.kpi, r.name), "p_meet"])
    assert len(misses) == (summary["targets_total"] - summary["targets_met"]
                           + current["targets_total"] - current["targets_met"])
    assert "current_headcount" in pd.read_csv(out / "staffing.csv")
    assert summary["roster_seed"] == 1 and summary["cost"] == small_plan.cost
    assert summary["agent_intervals"]["simulated"] == int(small_plan.requirement["simulated_agents"].sum())
    assert list(tmp_path.iterdir()) == [out]  # no staging folder left behind


def test_erlang_report_rows_surround_the_requirement():
    report = erlang_report(100, 180, 20, 0.8)
    agents = [row["agents"] for row in report["table"]]
    assert agents == list(range(report["required_agents"] - 3, report["required_agents"] + 4))
    assert report["model"] == "Erlang C" and report["required_headcount"] == report["required_agents"]
