"""Replications, confidence intervals, paired comparison, variants and executors."""

from __future__ import annotations

import math
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

import supportsim
from supportsim.cli import app
from supportsim.engine.streams import replication_seeds
from supportsim.planning import analytic
from supportsim.results.comparison import Kpi, compare
from supportsim.results.simulation import Task, collect, run_task, simulate_to_precision
from supportsim.results.stats import confidence_half_width, unpaired_half_width
from supportsim.scenario.io import ScenarioError, load_scenario, scenario_to_yaml
from tests.conftest import SCENARIOS, mmc


def _small(days: int = 1):  # type: ignore[no-untyped-def]
    scenario = load_scenario(SCENARIOS / "single_queue.yaml")
    return scenario.model_copy(update={"horizon": scenario.horizon.model_copy(update={"days": days})})


def _same(a: supportsim.SimulationResult, b: supportsim.SimulationResult) -> None:
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.tickets, b.tickets)
    pd.testing.assert_frame_equal(a.intervals, b.intervals)


def test_results_are_identical_in_process_in_a_pool_and_on_dask() -> None:
    scenario = _small()
    one = supportsim.simulate(scenario, seed=42, replications=4, workers=1)
    _same(one, supportsim.simulate(scenario, seed=42, replications=4, workers=2))
    _same(one, supportsim.simulate(scenario, seed=42, replications=4, dask="local", workers=2))


def test_a_dask_worker_killed_mid_run_changes_nothing() -> None:
    from distributed import Client, LocalCluster

    scenario = _small(days=3)
    expected = supportsim.simulate(scenario, seed=5, replications=8, keep_tickets=False)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        first_done = threading.Event()
        result: list[supportsim.SimulationResult] = []

        def run() -> None:
            result.append(
                supportsim.simulate(
                    scenario,
                    seed=5,
                    replications=8,
                    keep_tickets=False,
                    dask=cluster.scheduler_address,
                    progress=lambda done, total: first_done.set(),
                )
            )

        runner = threading.Thread(target=run)
        runner.start()
        assert first_done.wait(120)
        pids = client.run(os.getpid)
        victim = sorted(pids)[0]
        os.kill(pids[victim], signal.SIGKILL)
        runner.join(300)
        assert not runner.is_alive()
    assert result[0].replications == 8
    assert result[0].summary == expected.summary


def test_common_random_numbers_narrow_the_interval_of_a_small_change() -> None:
    """One more agent in a 97-agent centre: a like-for-like change. Paired replications see the
    same arrivals and handle times, so their ASAs move together (correlation near 1) and the
    paired interval is much narrower than the unpaired one. (In a 12-agent centre one agent
    changes ASA by half, the two variances differ a lot, and pairing can gain less.)"""
    base = mmc(per_hour=900, handle_minutes=6, agents=97, days=1)
    plus_one = mmc(per_hour=900, handle_minutes=6, agents=98, days=1)
    comparison = compare([base, plus_one], seed=7, replications=15, kpis=[Kpi("overall", "", "asa_seconds")])
    row = comparison.table.iloc[1]
    a = comparison.results[0].values("overall", "", "asa_seconds")
    b = comparison.results[1].values("overall", "", "asa_seconds")
    assert np.corrcoef(a, b)[0, 1] > 0.95
    unpaired = unpaired_half_width(a, b)
    assert unpaired >= 3 * row["difference_ci95"], (unpaired, row["difference_ci95"])
    assert row["verdict"] == "better"


def test_adding_an_agent_never_increases_any_wait_under_common_random_numbers() -> None:
    # FCFS with service times attached to customers: each wait is monotone in the servers.
    base = supportsim.simulate(mmc(per_hour=100, handle_minutes=6, agents=11, days=3), seed=3, replications=6)
    more = supportsim.simulate(mmc(per_hour=100, handle_minutes=6, agents=12, days=3), seed=3, replications=6)
    assert (more.values("overall", "", "asa_seconds") <= base.values("overall", "", "asa_seconds")).all()
    np.testing.assert_array_equal(base.tickets["arrival_minute"], more.tickets["arrival_minute"])
    assert (more.tickets["wait_seconds"].to_numpy() <= base.tickets["wait_seconds"].to_numpy() + 1e-9).all()


def test_comparing_a_scenario_with_itself_finds_no_difference() -> None:
    scenario = _small()
    comparison = compare([scenario, scenario], seed=2, replications=4)
    variant = comparison.table[comparison.table.index % 2 == 1]
    assert len(variant) == len(comparison.kpis)
    assert (variant["difference"] == 0).all()
    assert (variant["verdict"] == "no significant difference").all()


def test_95_percent_intervals_cover_erlang_c_between_90_and_99_percent_of_the_time() -> None:
    # 200 independent experiments of 5 replications each; each gives a 95% interval of ASA.
    agents, per_hour, aht_minutes = 8, 64.0, 6.0
    scenario = mmc(per_hour=per_hour, handle_minutes=aht_minutes, agents=agents, days=2, warmup_hours=8)
    result = supportsim.simulate(scenario, seed=2024, replications=1000, keep_tickets=False, workers=2)
    asa = result.values("channels", "phone", "asa_seconds").reshape(200, 5)
    exact = analytic.erlang_c_asa_seconds(agents, per_hour * aht_minutes / 60, aht_minutes * 60)
    half = stats.t.ppf(0.975, 4) * asa.std(axis=1, ddof=1) / math.sqrt(5)
    covered = int((np.abs(asa.mean(axis=1) - exact) <= half).sum())
    assert 180 <= covered <= 198, covered


def test_precision_mode_stops_when_precise_and_equals_a_plain_run() -> None:
    scenario = _small()
    kpis = [("overall", "", "resolution_minutes")]
    result = simulate_to_precision(scenario, precision=0.03, kpis=kpis, seed=4, min_replications=3, keep_tickets=False)
    assert result.summary["precision"]["met"]
    assert result.summary["precision"]["relative_half_widths"]["overall:resolution_minutes"] <= 0.03
    plain = supportsim.simulate(scenario, seed=4, replications=result.replications, keep_tickets=False)
    assert plain.summary["overall"] == result.summary["overall"]
    # it had to go on: the first batch (the minimum of 3) was not precise enough
    assert result.replications > 3
    first = supportsim.simulate(scenario, seed=4, replications=3, keep_tickets=False)
    h = first.summary["overall"]["resolution_minutes"]
    assert h["ci95"] / h["mean"] > 0.03


def test_the_summary_is_each_metrics_mean_and_half_width_over_its_defined_replications() -> None:
    scenario = _small()
    done = [run_task(Task(scenario, s, i, keep_tickets=False))[1] for i, s in enumerate(replication_seeds(3, 5))]
    per_replication = [r.metrics for r in done]
    assert {"service_level", "asa_seconds"} <= set(per_replication[0]["channels"]["phone"])
    per_replication[0]["channels"]["phone"]["service_level"] = math.nan  # undefined in one replication
    for r in per_replication:
        r["channels"]["phone"]["asa_seconds"] = math.nan  # undefined in all
    for count in (1, 2, 5):
        summary = collect(scenario, 3, done[:count]).summary
        for scope in ("overall", "channels", "groups"):
            for name, metrics in per_replication[0][scope].items():
                entries = summary[scope] if scope == "overall" else summary[scope][name]
                for metric in metrics:
                    values = np.array([r[scope][name][metric] for r in per_replication[:count]], dtype=float)
                    defined = values[~np.isnan(values)]
                    mean = float(defined.mean()) if defined.size else None
                    half = confidence_half_width(values) if count > 1 else None
                    assert entries[metric] == {"mean": mean, "ci95": half}, (count, scope, name, metric)  # to the bit


def test_ctrl_c_keeps_the_replications_already_finished() -> None:
    def interrupt_after_two(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    result = supportsim.simulate(_small(), seed=1, replications=6, progress=interrupt_after_two)
    assert result.replications == 2
    assert result.warnings[0].startswith("interrupted: 2 of 6")
    assert set(result.tickets["replication"]) == {0, 1}


def test_ctrl_c_stops_a_process_pool_cleanly() -> None:
    def interrupt_after_one(done: int, total: int) -> None:
        if done == 1:
            raise KeyboardInterrupt

    result = supportsim.simulate(_small(), seed=1, replications=6, workers=2, progress=interrupt_after_one)
    assert 1 <= result.replications < 6
    assert "interrupted" in result.warnings[0]


def test_a_variant_extends_its_base_and_overrides_only_what_changes(tmp_path: Path) -> None:
    (tmp_path / "variant.yaml").write_text(
        f"extends: {SCENARIOS / 'single_queue.yaml'}\n"
        "name: More tier 2\n"
        "groups:\n  - {name: tier2, headcount: 7}\n  - {name: specialists, skills: [tier2], headcount: 1}\n"
        "automation:\n  - {name: ivr, remove: true}\n"
        "horizon: {days: 2}\n"
    )
    variant = load_scenario(tmp_path / "variant.yaml")
    base = load_scenario(SCENARIOS / "single_queue.yaml")
    assert variant.name == "More tier 2"
    assert [g.name for g in variant.groups] == ["tier1", "tier2", "specialists"]
    assert variant.groups[1].headcount == 7 and variant.groups[1].skills == ["tier2"]
    assert variant.automation == []
    assert variant.horizon.days == 2 and variant.horizon.warmup_hours == base.horizon.warmup_hours
    assert variant.channels == base.channels
    # a variant written in full is the same scenario
    (tmp_path / "full.yaml").write_text(scenario_to_yaml(variant))
    assert load_scenario(tmp_path / "full.yaml") == variant


def test_extends_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: b\n")
    with pytest.raises(ScenarioError, match=r"b.yaml: extends: 'a.yaml' extends itself \(a cycle\)"):
        load_scenario(tmp_path / "a.yaml")
    (tmp_path / "c.yaml").write_text("extends: nowhere.yaml\nname: c\n")
    with pytest.raises(ScenarioError, match=r"c\.yaml: extends: no such file"):
        load_scenario(tmp_path / "c.yaml")
    (tmp_path / "d.yaml").write_text(
        f"extends: {SCENARIOS / 'single_queue.yaml'}\ngroups:\n  - {{name: tier1, headcount: -1}}\n"
    )
    with pytest.raises(ScenarioError, match=r"d.yaml: groups\[0\].headcount: must be >= 0"):
        load_scenario(tmp_path / "d.yaml")


def test_compare_command_writes_table_json_and_charts(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(f"extends: {SCENARIOS / 'single_queue.yaml'}\nhorizon: {{days: 1}}\n")
    (tmp_path / "more.yaml").write_text(
        "extends: base.yaml\nname: one more\ngroups:\n  - {name: tier1, headcount: 13}\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "compare",
            str(tmp_path / "base.yaml"),
            str(tmp_path / "more.yaml"),
            "--replications",
            "3",
            "--workers",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "asa_seconds" in result.stdout
    assert {p.name for p in out.iterdir()} == {
        "comparison.csv",
        "comparison.json",
        "kpi_deltas.png",
        "queue_over_day.png",
    }
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario"]) == {"Single phone queue", "one more"}
    assert (out / "kpi_deltas.png").read_bytes()[:4] == b"\x89PNG"


def test_run_with_precision_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(f"extends: {SCENARIOS / 'single_queue.yaml'}\nhorizon: {{days: 1}}\n")
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(tmp_path / "s.yaml"),
            "--precision",
            "0.05",
            "--replications",
            "3",
            "--kpi",
            "overall:resolution_minutes",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    bad = CliRunner().invoke(app, ["run", str(tmp_path / "s.yaml"), "--precision", "0.05", "--kpi", "nonsense"])
    assert bad.exit_code == 2
    assert "--kpi" in bad.stderr
