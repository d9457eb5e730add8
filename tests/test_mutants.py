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
MMC_70 = f"{THEORY}::test_mmc_matches_erlang_c[0.7-8-10-10]"

MUTANTS = [
    Mutant(
        "handle times x1.1",
        "engine/replication.py",
        "handle = ticket.base_handle[ticket.stage] * factor",
        "handle = ticket.base_handle[ticket.stage] * factor * 1.1",
        (f"{FEATURES}::test_proficiency_multiplies_handle_time",),
    ),
    Mutant(
        "last in, first out",
        "engine/replication.py",
        "self.queues[(skill, ticket.channel, ticket.klass)].append((ticket, ticket.visit))",
        "self.queues[(skill, ticket.channel, ticket.klass)].appendleft((ticket, ticket.visit))",
        (MMC_70,),
    ),
    Mutant(
        "escalated work served last in, first out (same mean wait, another distribution)",
        "engine/replication.py",
        "self.queues[(skill, ticket.channel, ticket.klass)].append((ticket, ticket.visit))",
        "queue = self.queues[(skill, ticket.channel, ticket.klass)]\n"
        "        (queue.appendleft if ticket.stage else queue.append)((ticket, ticket.visit))",
        (f"{THEORY}::test_two_tier_escalation_matches_jackson_network",),
    ),
    Mutant(
        "overflow after twice after_seconds",
        "engine/replication.py",
        "call_after(self.env, delay, self._overflow, (ticket, ticket.visit, g))",
        "call_after(self.env, 2 * delay, self._overflow, (ticket, ticket.visit, g))",
        (f"{FEATURES}::test_overflow_group_takes_a_ticket_only_after_it_has_waited",),
    ),
    Mutant(
        "bot hand-off priority ignored",
        "engine/replication.py",
        "ticket.priority = max(ticket.priority, handoff.priority)",
        "ticket.priority = ticket.priority",
        (f"{THEORY}::test_bot_hand_off_priority_matches_the_non_preemptive_priority_formula",),
    ),
    Mutant(
        "VIP priority ignored",
        "engine/replication.py",
        "ticket.priority = self.priorities.vip if ticket.vip else 0\n        ticket.patience",
        "ticket.priority = 0\n        ticket.patience",
        (f"{THEORY}::test_vip_priority_matches_the_non_preemptive_priority_formula",),
    ),
    Mutant(
        "chat slowdown ignored",
        "engine/replication.py",
        "factor = group.proficiency[ticket.skill] * (1.0 + self.slowdown[channel] * agent.count)",
        "factor = group.proficiency[ticket.skill]",
        (f"{FEATURES}::test_chat_slowdown_stretches_a_conversation_started_beside_another",),
    ),
    Mutant(
        "fill agents already chatting before idle ones",
        "engine/replication.py",
        "        if group.idle:\n            return group.idle.popleft()\n        limit = self.concurrency[channel]\n"
        "        if limit > 1 and group.partial:",
        "        limit = self.concurrency[channel]\n"
        "        if group.idle and not (limit > 1 and any(a.channel == channel for a in group.partial)):\n"
        "            return group.idle.popleft()\n"
        "        if limit > 1 and group.partial:",
        (f"{FEATURES}::test_a_chat_goes_to_an_idle_agent_before_one_already_chatting",),
    ),
    Mutant(
        "nobody abandons",
        "engine/replication.py",
        "if ticket.stage == 0 and ticket.patience < math.inf:",
        "if False and ticket.patience < math.inf:",
        (f"{THEORY}::test_mmc_with_abandonment_matches_erlang_a[100-10-180.0]",),
    ),
    Mutant(
        "agents on duty one interval late",
        "engine/duty.py",
        "steps += [(float(t), g, int(n)) for t, n in zip(step_times, available, strict=True)]",
        "steps += [(float(t) + interval_s, g, int(n)) for t, n in zip(step_times, available, strict=True)]",
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
        "follows_up[mask] = routing_u[mask, 2 * stages] < category.follow_up.probability",
        "follows_up[mask] = routing_u[mask, 2 * stages] < 1.0",
        (f"{FEATURES}::test_follow_ups_come_back_on_their_channel_after_the_delay",),
    ),
    Mutant(
        "escalation probability halved",
        "engine/draws.py",
        "going &= routing_u[mask, j] < tier.probability",
        "going &= routing_u[mask, j] < tier.probability * 0.5",
        (f"{THEORY}::test_two_tier_escalation_matches_jackson_network",),
    ),
    Mutant(
        "service level counts abandons as answered in time",
        "engine/records.py",
        "within = answered and wait <= threshold",
        "within = (answered or outcome == ABANDONED) and wait <= threshold",
        (f"{THEORY}::test_mmc_with_abandonment_matches_erlang_a[150-12-60.0]",),
    ),
    Mutant(
        "warm-up arrivals measured",
        "engine/records.py",
        "        if ticket.arrival < 0:\n            return\n",
        "",
        ("tests/test_simulate.py::test_every_ticket_is_accounted_for",),
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
    """The mechanism every mutant relies on: with ``PYTHONPATH`` on the copy, the copy is imported."""
    src = _patched_copy(MUTANTS[0], tmp_path)
    code = "import supportsim; print(supportsim.__file__)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(src), capture_output=True, text=True)
    assert done.stdout.strip() == str(src / "supportsim" / "__init__.py"), done.stderr


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
