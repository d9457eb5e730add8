"""The command line: run, validate, schema; errors exit 2 with no output written."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from supportsim.cli import app
from supportsim.scenario import scenario_json_schema
from tests.conftest import SCENARIOS

runner = CliRunner()


def test_schema_file_is_up_to_date() -> None:
    on_disk = json.loads((SCENARIOS / "scenario.schema.json").read_text())
    assert on_disk == scenario_json_schema(), "run: supportsim schema > scenarios/scenario.schema.json"


def test_schema_command_prints_the_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "Scenario"


def test_run_writes_summary_intervals_and_tickets(tmp_path: Path) -> None:
    scenario = tmp_path / "short.yaml"
    scenario.write_text((SCENARIOS / "single_queue.yaml").read_text().replace("days: 30", "days: 1"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scenario), "--seed", "4", "--replications", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Service level" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) >= {"channels", "categories", "groups", "overall"}
    assert summary["seed"] == 4
    asa = summary["channels"]["phone"]["asa_seconds"]
    assert set(asa) == {"mean", "ci95"} and asa["ci95"] is not None
    assert (out / "intervals.csv").stat().st_size > 0
    assert (out / "tickets.csv").read_text().startswith("ticket_id,")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")], "staging folder left behind"


def test_validate_accepts_a_good_file() -> None:
    result = runner.invoke(app, ["validate", str(SCENARIOS / "single_queue.yaml")])
    assert result.exit_code == 0
    assert "valid scenario" in result.stdout


def test_bad_file_exits_2_with_one_clear_message_and_no_output(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_text((SCENARIOS / "single_queue.yaml").read_text().replace("headcount: 5", "headcount: -5"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert f"{bad}: groups[1].headcount: must be >= 0" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml: no such file" in result.output


def test_every_metric_is_defined_in_the_readme(single_queue) -> None:  # type: ignore[no-untyped-def]
    import re

    import supportsim

    readme = (SCENARIOS.parent / "README.md").read_text()
    defined = set(re.findall(r"`([a-z_0-9{}]+)`", readme))
    scenario = single_queue.model_copy(update={"horizon": single_queue.horizon.model_copy(update={"days": 1})})
    summary = supportsim.simulate(scenario, seed=1).summary
    metrics = set(summary["overall"])
    for scope in ("channels", "categories", "groups"):
        for values in summary[scope].values():
            metrics |= set(values)
    normalise = {m: re.sub(r"tier\d+$", "tier{j}", m) for m in metrics}
    undefined = {
        m
        for m, n in normalise.items()
        if n not in defined and m.removesuffix("_p50").removesuffix("_p90") not in defined
    }
    assert not undefined, f"metrics without a definition in README.md: {sorted(undefined)}"


def _one_day(tmp_path: Path) -> Path:
    scenario = tmp_path / "short.yaml"
    scenario.write_text((SCENARIOS / "single_queue.yaml").read_text().replace("days: 30", "days: 1"))
    return scenario


def test_comparing_a_file_with_itself_numbers_the_copy(tmp_path: Path) -> None:
    scenario = _one_day(tmp_path)
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(scenario), str(scenario), "--replications", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = json.loads((out / "comparison.json").read_text())
    rows = table["rows"]
    variants = [r for r in rows if r["scenario"].endswith("(2)")]
    assert variants and all(r["difference"] == 0 for r in variants)


def test_mistakes_found_at_run_time_are_one_line_and_exit_2(tmp_path: Path) -> None:
    scenario = str(_one_day(tmp_path))
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    cases = {
        "--seed": ["run", scenario, "--seed", "-5"],
        "is a file": ["run", scenario, "--out", str(a_file)],
        "neither 'local' nor": ["run", scenario, "--replications", "2", "--dask", "bogus"],
        "no groups named 'nosuch'": ["run", scenario, "--precision", "0.1", "--kpi", "groups:nosuch:utilization"],
        "no metric 'nonsense'": ["run", scenario, "--precision", "0.5", "--kpi", "overall:nonsense"],
        "give --precision too": ["run", scenario, "--kpi", "overall:asa_seconds"],
        "no metric 'utilisation'": ["compare", scenario, scenario, "--replications", "2",
                                    "--kpi", "groups:tier1:utilisation"],
        "erlangs (per hour x AHT)": ["erlang", "--per-hour", "1e12", "--aht-seconds", "240",
                                     "--answer-within-seconds", "20", "--service-level", "0.8"],
    }
    for expected, args in cases.items():
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert a_file.read_text() == ""  # nothing written over it
    assert not list(tmp_path.glob(".a_file*"))  # and no staging folder left behind
