"""Every benchmark mode runs: the suite (``--quick``) and the profiler (``--profile mmc``), tiny;
and the engine's shortcuts for speed (issue 14) keep their promises.

The modes run ``benchmarks/run.py`` as a user would, in a subprocess with this interpreter,
and check the report's sections and figures are there. No timing is asserted: the figures move
with machine load.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(RUN), *args], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False
    )
    assert done.returncode == 0, f"run.py {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_quick_suite_runs_every_case_and_peer(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    text = _run("--quick", "--days", "1", "--json", str(out))
    for number in (1, 2, 3, 4):
        assert f"\nCase {number}: " in text
    assert text.count("  verdict: ") == 4
    for engine in ("supportsim", "supportsim_tickets", "ciw", "simpy"):
        assert f"\n  {engine} " in text
    for ratio in ("supportsim/ciw", "supportsim/simpy", "supportsim_tickets/ciw", "supportsim_tickets/simpy"):
        assert f"ratio {ratio} " in text
    assert "Erlang C mean wait (all arrivals answered): 80.9 s" in text
    assert "ticket table share of the default call (1 - t_off / t_on, paired): median " in text
    assert "EXTRAPOLATED (straight line through the sizes above) to 10,000,000 tickets" in text

    figures = json.loads(out.read_text())
    assert list(figures["cases"]) == ["mmc", "helpdesk", "day", "memory"]
    assert figures["meta"]["quick"] is True
    for entry in figures["cases"].values():
        for result in entry["results"]:
            for engine in result["engines"].values():
                assert engine["tickets"] > 0 and engine["wall_s"] > 0 and engine["peak_rss_mb"] > 0
    assert [r["size"]["tickets"] for r in figures["cases"]["memory"]["results"]] == [25_200, 50_400]
    assert figures["cases"]["mmc"]["results"][0]["size"] == {"days": 1}
    assert set(figures["cases"]["mmc"]["verdict"]) == {"vs_ciw", "vs_simpy", "table_share", "met"}


def test_scaling_times_one_worker_two_cold_and_warm_and_the_ceiling() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "scaling.py"), "--replications", "2", "--repeats", "1"],
        capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for mode in ("1 worker", "2 cold", "2 warm", "2 apart"):
        assert f"\n  {mode} " in done.stdout
    assert re.search(r"2 warm reaches \d+% of the ceiling's speed-up", done.stdout), done.stdout
    assert "results identical on 1 and 2 workers, cold and warm: yes" in done.stdout


def test_the_ticket_table_is_packed_and_made_a_dataframe_only_when_read() -> None:
    """Issue 14's budget: at most 120 bytes a kept ticket, and no DataFrame before ``tickets`` is read."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from cases import mmc_case_scenario
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    import numpy as np

    import supportsim
    from supportsim.engine import run_replication

    scenario = mmc_case_scenario(2)
    output = run_replication(scenario, np.random.SeedSequence(3))
    kept = output.kept
    assert len(kept.rows) == output.tickets_created > 4000  # several chunks of rows
    assert (kept.rows.nbytes + kept.waiting_at_end.nbytes + kept.satisfied.nbytes) / len(kept.rows) <= 120
    result = supportsim.simulate(scenario, seed=3)
    assert "tickets" not in vars(result)  # not built yet
    assert len(result.tickets) == result.summary["overall"]["offered"]["mean"]
    assert "tickets" in vars(result)  # built once, then kept


def test_profile_mmc_prints_every_section(tmp_path: Path) -> None:
    text = _run(
        "--profile", "mmc", "--profile-days", "1", "--ablation-repeats", "1", "--micro-events", "2000",
        "--profile-out", str(tmp_path),
    )
    sections = (
        "profile of case 1 M/M/12, 1 days + 24 h warm-up, keep_tickets=False",
        "tickets in the simulation: ",
        "phases (median of 1,",
        "run_replication(): the engine",
        "one simulate() call: ",
        "garbage collector: ",
        "memory per ticket: ",
        "ablations (median of 1,",
        "gc disabled during the call",
        "keep_tickets=True instead of False",
        "12 calls in a row in one process",
        "cProfile of one simulate() call",
        "where the time goes",
        "engine: event handlers",
        "SimPy kernel: event loop and heap",
        "engine: records",
        "results: tables",
        "SimPy events processed (calls of Environment.step): ",
        "cProfile top 30 by own time",
        "micro-costs of the SimPy kernel",
    )
    missing = [s for s in sections if s not in text]
    assert not missing, f"missing from the profile: {missing}\n{text[-3000:]}"
    assert (tmp_path / "mmc.prof").stat().st_size > 0


def _two_channel_day(escalate: bool) -> Any:
    """Phone and chat whose first stage both need skill ``general`` (one group), and a
    ``billing`` skill only phone needs; with ``escalate``, billing work escalates to ``general``.
    """
    from supportsim import scenario_from_dict

    def category(name: str, channels: dict[str, float]) -> dict[str, Any]:
        return {"name": name, "channels": channels, "skill": name, "handle_minutes": {"dist": "exponential", "mean": 6}}

    billing = category("billing", {"phone": 0.5})
    if escalate:
        billing["escalation"] = [{"skill": "general", "probability": 0.5, "handle_minutes": billing["handle_minutes"]}]
    return scenario_from_dict(
        {
            "name": "shared skill",
            "horizon": {"days": 1, "interval_minutes": 60, "warmup_hours": 0},
            "channels": [
                {"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 50}},
                {"name": "chat", "mode": "realtime", "arrivals": {"per_hour": 40}},
                {"name": "web", "mode": "realtime", "arrivals": {"per_hour": 30}},
            ],
            "categories": [category("general", {"phone": 0.5, "chat": 1.0}), billing, category("web", {"web": 1.0})],
            "groups": [
                {"name": "front", "skills": ["general"], "headcount": 7},
                {"name": "billing", "skills": ["billing"], "headcount": 3},
                {"name": "web", "skills": ["web"], "headcount": 3},
            ],
        }
    )


def test_a_waiting_level_is_shared_only_where_the_counts_are_always_equal() -> None:
    """Issue 14's shortcut (one ``Level`` for a channel and a skill whose waiting counts are the
    same at every instant) is taken only there; elsewhere each level keeps its own tickets.
    Exact identities of the step functions (up to float rounding): the web channel is its
    skill; phone and chat wait for skills general and billing only, so general + billing
    = phone + chat, plus billing's escalations to general when there are any.
    """
    import numpy as np

    from supportsim.engine import run_replication

    for escalate in (False, True):
        output = run_replication(_two_channel_day(escalate), np.random.SeedSequence(5), keep_tickets=False)
        by_channel = dict(zip(("phone", "chat", "web"), output.waiting_by_channel, strict=True))
        by_skill = dict(zip(output.skills, output.waiting_by_skill, strict=True))
        assert by_skill["web"] is by_channel["web"]  # the shortcut is taken where it holds
        assert all(by_skill[s] is not level for s in ("general", "billing") for level in by_channel.values())
        skills = by_skill["general"].interval_areas + by_skill["billing"].interval_areas
        channels = by_channel["phone"].interval_areas + by_channel["chat"].interval_areas
        assert by_channel["chat"].interval_areas.sum() > 0 and by_skill["billing"].interval_areas.sum() > 0
        rounding = 1e-9 * skills.max()
        if escalate:  # escalated billing work waits for general too
            assert (skills >= channels - rounding).all() and skills.sum() > channels.sum() + 1.0
        else:
            np.testing.assert_allclose(skills, channels, rtol=0, atol=rounding)
