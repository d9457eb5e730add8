import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from supportsim.cli import app
from supportsim.planning import required_agents

DATA = Path(__file__).parent / "data" / "planning"
runner = CliRunner()


def test_erlang_json_keys_and_values():
    args = ["erlang", "--per-hour", "200", "--aht-seconds", "240", "--answer-within-seconds", "20",
            "--service-level", "0.8", "--patience-seconds", "120", "--shrinkage", "0.3", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    expected = required_agents(200, 240, answer_within_seconds=20, service_level=0.8, patience_seconds=120)
    assert report["required_agents"] == expected.raw_agents
    assert report["required_headcount"] == required_agents(
        200, 240, answer_within_seconds=20, service_level=0.8, patience_seconds=120, shrinkage=0.3
    ).agents
    rows = report["table"]
    assert {tuple(sorted(r)) for r in rows} == {
        ("abandon_rate", "agents", "asa_seconds", "occupancy", "p_wait", "service_level")
    }
    by_agents = {r["agents"]: r for r in rows}
    n = report["required_agents"]
    assert by_agents[n]["service_level"] >= 0.8 > by_agents[n - 1]["service_level"]
    assert all(r["abandon_rate"] > 0 for r in rows)


def test_erlang_table_and_erlang_c_without_patience():
    args = ["erlang", "--per-hour", "200", "--aht-seconds", "240", "--answer-within-seconds", "20",
            "--service-level", "0.8"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert "Erlang C" in result.stdout and "17 agents" in result.stdout
    report = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert all(r["abandon_rate"] == 0 for r in report["table"])


def test_erlang_bad_input_exits_2():
    result = runner.invoke(app, ["erlang", "--per-hour", "-5", "--aht-seconds", "240",
                                 "--answer-within-seconds", "20", "--service-level", "0.8"])
    assert result.exit_code == 2


def test_staff_missing_file_one_line_exit_2(tmp_path):
    result = runner.invoke(app, ["staff", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_staff_invalid_scenario_names_file_and_field(tmp_path):
    text = (DATA / "mmc_day.yaml").read_text().replace("headcount: 20", "headcount: -1")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    result = runner.invoke(app, ["staff", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "groups[0].headcount" in result.output
    assert "Traceback" not in result.output


def test_staff_writes_its_outputs(tmp_path):
    out = tmp_path / "plan"
    result = runner.invoke(app, ["staff", str(DATA / "mmc_day.yaml"), "--replications", "6", "--seed", "3",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Achieved KPIs" in result.stdout and "Shifts" in result.stdout
    assert "Weekly roster" in result.stdout and "Today's roster on the same seeds" in result.stdout
    staffing = pd.read_csv(out / "staffing.csv")
    assert {"interval", "group", "analytic_headcount", "simulated_headcount", "scheduled_headcount"} <= set(staffing)
    assert len(staffing) == 24
    assert (staffing["scheduled_headcount"] >= staffing["simulated_headcount"]).all()
    shifts = pd.read_csv(out / "shifts.csv")
    assert shifts["count"].min() >= 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["replications"] == 6
    # close decisions taken again on up to 2 x 6 replications (planning.sequential), and the
    # requirement's uncertainty per interval beside it
    assert summary["requirement_replications"] in (6, 12)
    assert staffing["agents_uncertainty"].notna().any()
    assert summary["requirement_uncertainty_agents_mean"] == pytest.approx(staffing["agents_uncertainty"].mean(),
                                                                           abs=1e-3)
    assert summary["paid_hours"] == shifts["paid_hours"].sum()
    assert (out / "staffing.png").stat().st_size > 1000
    assert (out / "kpis.csv").exists()


def test_staff_on_local_dask_writes_the_same_plan(tmp_path):
    args = ["staff", str(DATA / "mmc_day.yaml"), "--replications", "2", "--seed", "5"]
    here = runner.invoke(app, [*args, "--out", str(tmp_path / "here")])
    assert here.exit_code == 0, here.output
    dask = runner.invoke(app, [*args, "--dask", "local", "--out", str(tmp_path / "dask")])
    assert dask.exit_code == 0, dask.output
    for name in ("staffing.csv", "shifts.csv", "roster.csv", "kpis.csv", "checks.csv", "misses.csv", "summary.json"):
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name


def test_staff_bad_dask_address_one_line_exit_2(tmp_path):
    out = tmp_path / "plan"
    result = runner.invoke(app, ["staff", str(DATA / "mmc_day.yaml"), "--dask", "nonsense", "--out", str(out)])
    assert result.exit_code == 2
    assert "nonsense" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize(("rule", "field"), [
    ("{max_part_time_share: 1.5}", "planning.max_part_time_share"),
    ('{earliest_start: "25:00"}', "planning.earliest_start"),
    ("{shift_lengths: [{hours: 4, breaks: [{after_hours: 3.9, minutes: 30}]}]}", "planning.shift_lengths"),
    ("{days_off_per_week: 9}", "planning.days_off_per_week"),
])
def test_staff_bad_planning_rule_names_file_and_field(tmp_path, rule, field):
    text = (DATA / "mmc_day.yaml").read_text() + f"planning: {rule}\n"
    bad = tmp_path / "rules.yaml"
    bad.write_text(text)
    result = runner.invoke(app, ["staff", str(bad)])
    assert result.exit_code == 2
    assert "rules.yaml" in result.output and field in result.output
    assert "Traceback" not in result.output
