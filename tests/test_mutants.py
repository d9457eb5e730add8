"""Planted bugs that the suite must catch: each mutant is one small, realistic change to a
copy of the package (never to the tree), run against the few tests that guard that part of
the model; the mutant is killed when at least one of them fails.

A mutant that survives is a missing test. When the code a mutant patches changes, the test
says so (its ``old`` text is no longer found once): move the mutant with the code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportsim.engine import engine_build

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "supportsim"


@dataclass(frozen=True)
class Mutant:
    """Replace ``old`` (found exactly once) by ``new`` in ``file``; one of ``tests`` must fail."""

    name: str
    file: str  # relative to src/supportsim
    old: str
    new: str
    tests: tuple[str, ...]


THEORY = "tests/test_theory.py"
FEATURES = "tests/test_features.py"
CENTRE = "tests/test_contact_centre.py"
MMC_70 = f"{THEORY}::test_mmc_matches_erlang_c[0.7-8-10-10]"

MUTANTS = [
    Mutant(
        "handle times x1.1",
        "engine/dispatch.py",
        "handle = ticket.base_handle[ticket.stage] * factor",
        "handle = ticket.base_handle[ticket.stage] * factor * 1.1",
        # the general handlers: a bot and a second tier keep the scenario off the plain path
        (f"{FEATURES}::test_resolution_time_adds_bot_handle_handoff_and_tier_two_time",),
    ),
    Mutant(
        "handle times x1.1 on the plain path",
        "engine/plain.py",
        "handle = base * (self.groups[g].proficiency[skill] * (1.0 + self.slowdown[c] * agent.count)) + 0.0",
        "handle = base * (self.groups[g].proficiency[skill] * (1.0 + self.slowdown[c] * agent.count)) * 1.1",
        (f"{FEATURES}::test_proficiency_multiplies_handle_time",),
    ),
    Mutant(
        "the plain path forgets the contacts still in service at the horizon's end",
        "engine/plain.py",
        "                tickets.append(ticket)",
        "                pass",
        ("tests/test_simulate.py::test_every_ticket_is_accounted_for", "tests/test_plain_path.py"),
    ),
    Mutant(
        "a channel with patience taken for plain (nobody abandons there)",
        "engine/plain.py",
        "if c.retrial is not None or c.patience_seconds is not None or c.vip_share > 0:",
        "if c.retrial is not None or c.vip_share > 0:",
        (f"{THEORY}::test_mmc_with_abandonment_matches_erlang_a[100-10-180.0]",),
    ),
    Mutant(
        "last in, first out",
        "engine/dispatch.py",
        "self.queues[(skill, ticket.channel, ticket.klass, credited)].append((ticket, ticket.visit))",
        "self.queues[(skill, ticket.channel, ticket.klass, credited)].appendleft((ticket, ticket.visit))",
        (MMC_70,),
    ),
    Mutant(
        "escalated work served last in, first out (same mean wait, another distribution)",
        "engine/dispatch.py",
        "self.queues[(skill, ticket.channel, ticket.klass, credited)].append((ticket, ticket.visit))",
        "queue = self.queues[(skill, ticket.channel, ticket.klass, credited)]\n"
        "        (queue.appendleft if ticket.stage else queue.append)((ticket, ticket.visit))",
        (f"{THEORY}::test_two_tier_escalation_matches_jackson_network",),
    ),
    Mutant(
        "overflow after twice after_seconds",
        "engine/dispatch.py",
        "at = now + max(0.0, delay - (now - since))",
        "at = now + 2 * max(0.0, delay - (now - since))",
        (f"{FEATURES}::test_overflow_group_takes_a_ticket_only_after_it_has_waited",),
    ),
    Mutant(
        "bot hand-off priority ignored",
        "engine/simulation.py",
        "ticket.priority = max(ticket.priority, handoff.priority)",
        "ticket.priority = ticket.priority",
        (f"{THEORY}::test_bot_hand_off_priority_matches_the_non_preemptive_priority_formula",),
    ),
    Mutant(
        "VIP priority ignored",
        "engine/simulation.py",
        "ticket.priority = self.vip_priority if ticket.vip else 0\n        ticket.patience",
        "ticket.priority = 0\n        ticket.patience",
        (f"{THEORY}::test_vip_priority_matches_the_non_preemptive_priority_formula",),
    ),
    Mutant(
        "chat slowdown ignored",
        "engine/dispatch.py",
        "factor = group.proficiency[ticket.skill] * (1.0 + self.slowdown[channel] * agent.count)",
        "factor = group.proficiency[ticket.skill]",
        (f"{FEATURES}::test_chat_slowdown_stretches_a_conversation_started_beside_another",),
    ),
    Mutant(
        "fill agents already chatting before idle ones",
        "engine/choice.py",
        "self._fill_first = fill_first",
        "self._fill_first = [not fill for fill in fill_first]",
        (
            f"{FEATURES}::test_a_chat_goes_to_an_idle_agent_before_one_already_chatting",
            f"{CENTRE}::test_chat_assignment_fills_an_agent_or_takes_an_idle_one",
        ),
    ),
    Mutant(
        "nobody abandons",
        "engine/dispatch.py",
        "if ticket.stage == 0 and ticket.patience < math.inf:",
        "if False and ticket.patience < math.inf:",
        (f"{THEORY}::test_mmc_with_abandonment_matches_erlang_a[100-10-180.0]",),
    ),
    Mutant(
        "agents on duty one interval late",
        "engine/duty.py",
        "(t, g, n, r, -1.0)",
        "(t + interval_s, g, n, r, -1.0)",
        (f"{THEORY}::test_shifts_and_breaks_set_the_staffed_level",),
    ),
    Mutant(
        "shrinkage ignored",
        "scenario/profiles.py",
        "available = agents_for(on_duty, group.shrinkage)",
        "available = agents_for(on_duty, 0.0)",
        (f"{THEORY}::test_shifts_and_breaks_set_the_staffed_level",),
    ),
    Mutant(
        "follow-up probability ignored",
        "engine/draws.py",
        "follows_up[mine] = routing[:, 2 * stages] < category.follow_up.probability",
        "follows_up[mine] = routing[:, 2 * stages] < 1.0",
        (f"{FEATURES}::test_follow_ups_come_back_on_their_channel_after_the_delay",),
    ),
    Mutant(
        "escalation probability halved",
        "engine/draws.py",
        "going &= routing[:, j] < tier.probability",
        "going &= routing[:, j] < tier.probability * 0.5",
        (f"{THEORY}::test_two_tier_escalation_matches_jackson_network",),
    ),
    Mutant(
        "service level counts abandons as answered in time",
        "engine/counting.py",
        'add("answered_within", answered & (wait <= threshold))',
        'add("answered_within", (answered | (outcome == ABANDONED)) & (wait <= threshold))',
        (f"{THEORY}::test_mmc_with_abandonment_matches_erlang_a[150-12-60.0]",),
    ),
    Mutant(
        "warm-up arrivals measured",
        "engine/counting.py",
        "    if not measured.all():\n"
        "        rows, still_waiting, end = rows[measured], still_waiting[measured], end[measured]\n",
        "",
        ("tests/test_simulate.py::test_every_ticket_is_accounted_for",),
    ),
    Mutant(
        "a follow-up after the FCR window still spoils first-contact resolution (the row's delay unread)",
        "engine/counting.py",
        'soon = follows & (rows["follow_up_delay"] <= rules.fcr_window[c])',
        "soon = follows",
        ("tests/test_kpis.py::test_first_contact_resolution_window_defaults_to_seven_days",),
    ),
    Mutant(
        "a customer who calls back counted as given up (the row's retrying flag unread)",
        "engine/counting.py",
        'add("gave_up", gave_up & ~rows["retrying"])',
        'add("gave_up", gave_up)',
        ("tests/test_kpis.py::test_customer_counters_on_a_trace_of_attempts",),
    ),
    Mutant(
        "a channel's waiting level shared with a skill that other tickets need too",
        "engine/dispatch.py",
        "if len(needed) == 1 and uses[s] == {(c, 0)}:",
        "if len(needed) == 1 and (c, 0) in uses[s]:",
        ("tests/test_benchmarks.py::test_a_waiting_level_is_shared_only_where_the_counts_are_always_equal",),
    ),
    Mutant(
        "retrials ignored",
        "engine/simulation.py",
        "if decide < (retrial.probability if outcome == ABANDONED else retrial.blocked_probability):",
        "if False:",
        ("tests/test_lines_and_retrials_theory.py::test_retrials_agree_with_the_exact_markov_chain",),
    ),
    Mutant(
        "lines never block",
        "engine/simulation.py",
        "if self.in_lines[c] >= self.lines[c]:",
        "if False:",
        ("tests/test_lines_and_retrials_theory.py::test_lines_equal_to_the_agents_give_erlang_b_blocking",),
    ),
    Mutant(
        "group choice always by preference",
        "engine/choice.py",
        'if self.rule == "preference":',
        "if True:",
        (f"{CENTRE}::test_a_group_with_one_free_agent_against_three_gets_a_quarter",),
    ),
    Mutant(
        "VIP credit ignored",
        "engine/dispatch.py",
        "key = head.joined - credit",
        "key = head.joined",
        (f"{CENTRE}::test_a_vip_credit_orders_the_vip_as_if_it_had_come_earlier",),
    ),
    Mutant(
        "a break that falls on a call is shortened",
        "engine/duty.py",
        'late_breaks = scenario.breaks.when_busy == "late"',
        "late_breaks = False",
        (f"{CENTRE}::test_a_break_that_falls_on_a_call_is_taken_in_full_after_it",),
    ),
    Mutant(
        "VIPs served last in, first out within their class (same mean wait, another distribution)",
        "engine/dispatch.py",
        "self.queues[(skill, ticket.channel, ticket.klass, credited)].append((ticket, ticket.visit))",
        "queue = self.queues[(skill, ticket.channel, ticket.klass, credited)]\n"
        "        (queue.appendleft if ticket.vip else queue.append)((ticket, ticket.visit))",
        (f"{THEORY}::test_vip_priority_matches_the_non_preemptive_priority_formula",),
    ),
    Mutant(
        "no queue built for VIP contacts (queues are made only for the priorities that can occur)",
        "engine/dispatch.py",
        "if any(c.vip_share > 0 for c in self.channels):",
        "if False:",
        (f"{THEORY}::test_vip_priority_matches_the_non_preemptive_priority_formula",),
    ),
    Mutant(
        "no queue built for escalated work",
        "engine/dispatch.py",
        "if any(c.escalation for c in self.categories):",
        "if False:",
        (f"{THEORY}::test_two_tier_escalation_matches_jackson_network",),
    ),
]


def _patched_copy(mutant: Mutant, folder: Path) -> Path:
    """A copy of the package with the mutant applied; returns the ``src`` folder to import from."""
    src = folder / "src"
    shutil.copytree(PACKAGE, src / "supportsim", ignore=shutil.ignore_patterns("__pycache__"))
    target = src / "supportsim" / mutant.file
    text = target.read_text(encoding="utf-8")
    assert text.count(mutant.old) == 1, f"{mutant.name}: the code it patches moved; update the mutant"
    target.write_text(text.replace(mutant.old, mutant.new), encoding="utf-8")
    return src


def _env(src: Path) -> dict[str, str]:
    """The environment in which Python imports ``supportsim`` from ``src`` (before the install)."""
    return {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}


def test_the_tests_of_a_mutant_import_its_copy(tmp_path: Path) -> None:
    """The mechanism every mutant relies on: with ``PYTHONPATH`` on the copy, the copy is imported,
    and a patched engine module from its source (not from the modules the install compiled).
    """
    src = _patched_copy(MUTANTS[0], tmp_path)
    code = "import supportsim.engine as e, supportsim.engine.dispatch as d; print(d.__file__); print(e.engine_build())"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(src), capture_output=True, text=True)
    module, build = done.stdout.splitlines()
    assert module == str(src / "supportsim" / "engine" / "dispatch.py"), done.stderr
    if engine_build().startswith("compiled"):  # the copy holds the build, which its edit makes stale
        assert build.startswith("Python sources (edited since the build"), build
    else:
        assert build.startswith("Python sources"), build


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_killed(mutant: Mutant, tmp_path: Path) -> None:
    src = _patched_copy(mutant, tmp_path)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--tb=line"]
    done = subprocess.run(
        [*command, *mutant.tests], cwd=ROOT, env=_env(src), capture_output=True, text=True, timeout=600, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, f"mutant '{mutant.name}' survived {mutant.tests}:\n{output[-1500:]}"
    assert done.returncode == 1 and " failed" in output, f"'{mutant.name}': not a test failure:\n{output[-1500:]}"
