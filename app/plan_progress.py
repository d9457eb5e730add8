"""Progress of a staffing plan on the Staffing page: a bar and an honest estimate of the time left.

:func:`supportsim.plan` calls ``progress(round, message)`` after each round of its requirement
search (``message`` starts ``stage N: R replications,``, ``settling:`` or ``spikes:``) and
says nothing afterwards, while it chooses the shifts (mixed-integer programs) and checks them
on fresh seeds. The number of rounds is not known in advance, so the estimate of the search's
time left is a range, by this rule:

1. **Seconds a replication**: the mean, over the current stage's rounds so far, of a round's
   seconds (the time between calls; the first round's includes the Erlang first guess)
   divided by its replications (the last stage's for ``settling`` and ``spikes``, which run
   on them). Stages run on different replications: the first on fewer, the sequential stage
   on up to :data:`SEQUENTIAL_FACTOR` times the plan's.
2. **Rounds left**: the example plans took between :data:`ROUNDS` rounds in all, so between
   ``ROUNDS[0] − done`` rounds on the current round's replications (at least 0; 0 once past
   the search's stages, e.g. settling, which stops as soon as every target holds) and
   ``ROUNDS[1] − done`` rounds (at least 1) on up to ``SEQUENTIAL_FACTOR`` times the plan's
   replications remain. Past ``ROUNDS[1]`` no count of rounds left is claimed: the text says so.
3. **Checking the shifts** simulates the roster and today's staffing on every replication,
   which took :data:`CHECK_ROUNDS` rounds on the plan's replications on the examples: added
   to the range.

**Choosing the shifts** is not estimated: its time has nothing to do with the search's rounds
(one HiGHS program per group and roster day, each stopped after
:data:`SHIFT_PROGRAM_LIMIT_SECONDS`; a day whose program repeats one already solved takes its
answer). The text gives that hard bound (7 days x groups x the limit) and the measured span instead.

The example figures are ``benchmarks/plan_rounds.py``'s (one Monday of each example scenario,
10 replications, seed 0, on one process and on two, one per core, as this page plans:
``app/state.py``'s ``PLAN_WORKERS``; the ranges cover both). The text says "about" and gives
the range's ends rounded outwards (never a figure narrower than the rule gives). Free of
Streamlit; tested in ``tests/test_app_logic.py``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ROUNDS = (8, 29)
"""Fewest and most search rounds of the example scenarios' one-day plans (module docstring):
8 (published bilingual) to 29 (ServiceNow desk); most took 13-16.
Plans of several days were not measured: their text says so."""

SEQUENTIAL_FACTOR = 2
"""Close decisions are taken again on up to this many times the plan's replications (the
library's default ``max_replications``)."""

CHECK_ROUNDS = (5.1, 7.7)
"""The roster's simulation and the two target checks after the search, in rounds on the
plan's replications (measured on the same example plans: 5.1-7.7 on one process, 5.2-7.5
on two)."""

SHIFT_PROGRAM_LIMIT_SECONDS = 30.0
"""Time limit of each shift program (the default ``time_limit`` of :func:`supportsim.schedule`)."""

ROSTER_DAYS = 7
"""Days of the roster week: one shift program per group and roster day."""

SHIFT_SECONDS_SEEN = "1 s to 30 s"
"""How long choosing the shifts took on the example plans (1.2 s, published bilingual on two
processes, to 30 s, the single queue's flat round-the-clock day on one, whose tier-2 programs
stop at the node limit; 24 s on two, where the groups' programs run side by side)."""

REPLICATIONS = re.compile(r"(\d+) replications")


def _round_out(seconds: float, up: bool) -> float:
    """Seconds rounded outwards to a step a reader takes in: 5 s, 30 s or 1 min."""
    step = 5.0 if seconds < 60 else 30.0 if seconds < 600 else 60.0
    return (math.ceil if up else math.floor)(seconds / step) * step


def duration_text(seconds: float) -> str:
    """``45 s``, ``2.5 min``, ``12 min``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    return f"{minutes:.1f} min".replace(".0 min", " min") if minutes < 10 else f"{minutes:.0f} min"


def range_text(low: float, high: float) -> str:
    """``about 20–45 s``, ``about 1–3.5 min``, ``up to about 25 s``, rounded outwards."""
    low, high = _round_out(low, up=False), max(_round_out(high, up=True), 5.0)
    if low >= high:
        return f"about {duration_text(high)}"
    if low == 0:
        return f"up to about {duration_text(high)}"
    if high >= 60 and low >= 60:
        return f"about {duration_text(low).removesuffix(' min')}–{duration_text(high)}"
    return f"about {duration_text(low)}–{duration_text(high)}"


@dataclass
class PlanClock:
    """Turns the planner's ``progress(round, message)`` calls into a bar fraction and a text.

    ``replications``, ``groups`` and ``days`` are the plan's (replications per candidate, agent
    groups, plan days);
    ``now`` is the clock (seconds), replaceable in tests.
    """

    replications: int
    groups: int = 1
    days: int = 1
    now: Callable[[], float] = time.monotonic
    started: float = field(init=False)
    rounds: list[tuple[str, float, int]] = field(init=False, default_factory=list)  # (stage, seconds, replications)

    def __post_init__(self) -> None:
        self.started = self.now()
        self._last = self.started

    def remaining(self, rounds: int, stage: str) -> tuple[float, float] | None:
        """(low, high) seconds left for the search and the checks by the module's rule; None past
        :data:`ROUNDS`.
        """
        mine = [(s, r) for name, s, r in self.rounds if name == stage] or [(s, r) for _, s, r in self.rounds]
        per_replication = sum(s / r for s, r in mine) / len(mine)
        if rounds > ROUNDS[1]:
            return None
        current = mine[-1][1]  # the stage's replications
        most = max(current, SEQUENTIAL_FACTOR * self.replications)
        fewest = max(ROUNDS[0] - rounds, 0) if stage.startswith("stage") else 0  # later steps may stop any time
        low = fewest * per_replication * current + CHECK_ROUNDS[0] * per_replication * self.replications
        high = (max(ROUNDS[1] - rounds, 1) * per_replication * most
                + CHECK_ROUNDS[1] * per_replication * self.replications)
        return low, high

    def shifts_text(self) -> str:
        """What is known of the shift programs' time: the hard bound and the span seen."""
        bound = ROSTER_DAYS * self.groups * SHIFT_PROGRAM_LIMIT_SECONDS
        return (f"Choosing the shifts comes on top: {ROSTER_DAYS * self.groups} programs of up to "
                f"{SHIFT_PROGRAM_LIMIT_SECONDS:.0f} s each ({bound / 60:g} min in all; "
                f"{SHIFT_SECONDS_SEEN} on the example days).")

    def tick(self, rounds: int, message: str) -> tuple[float, str]:
        """Record round ``rounds`` (its ``message`` from the planner); the bar's fraction and text."""
        now = self.now()
        stage = message.split(":", 1)[0].strip() if ":" in message else "search"
        said = REPLICATIONS.search(message)
        replications = int(said.group(1)) if said else self.rounds[-1][2] if self.rounds else self.replications
        self.rounds.append((stage, now - self._last, max(replications, 1)))
        self._last = now
        elapsed = now - self.started
        span = self.remaining(rounds, stage)
        per_round = self.rounds[-1][1]
        doing = {"settling": "settling the staffing", "spikes": "cutting spikes"}.get(stage, f"search {stage}")
        head = f"Round {rounds} ({doing}), {duration_text(elapsed)} so far, {per_round:.1f} s this round. "
        if span is None:
            return 0.8, head + (f"This search needs more rounds than the example plans ({ROUNDS[1]} at most): "
                                "no estimate of the rounds left. " + self.shifts_text())
        low, high = span
        whole = elapsed + (low + high) / 2
        fraction = min(0.8, 0.8 * elapsed / whole) if whole > 0 else 0.0
        return fraction, head + (f"Search and checks: {range_text(low, high)} left "
                                 f"(the example one-day plans took {ROUNDS[0]}–{ROUNDS[1]} rounds"
                                 + ("; plans of several days were not measured and may take more" if self.days > 1
                                    else "") + "). " + self.shifts_text())
