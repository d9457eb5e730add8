"""Agents on duty over time: each group's roster steps turned into agents joining and leaving.

From :func:`supportsim.scenario.profiles.roster_steps`, a group has at each step a number of
people rostered (paid, breaks included) and of agents available (net of shrinkage).
:class:`Duty` brings the group's agents taking contacts to the available number at each
step: extra agents start work at once; when the number falls, idle agents leave first and
busy ones finish the contact in hand, then leave.

Breaks (scenario ``breaks.when_busy``): with ``late`` (the default) each break sends that
many agents away for the full break, idle agents at once and busy ones when their contacts
are done; with ``shorten`` breaks are steps down and up of the available number, so a busy
agent's break ends on time, shortened by the contact in hand.

Overtime is time an agent spends on contacts beyond the people rostered: per group, the
time integral of ``max(0, agents on duty - people rostered)``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Final

import numpy as np
import simpy
from numpy.typing import NDArray

from supportsim.engine.entities import Agent, AgentGroup
from supportsim.engine.levels import Level
from supportsim.scenario.model import Scenario
from supportsim.scenario.profiles import agents_for, break_starts, roster_steps

Step = tuple[float, int, int, int, float]
"""(time in seconds, group index, agents available from then on, people rostered from then on,
-1.0) for a roster step; (time, group, agents going on break, -1, break seconds) for a break.
"""


def _integrate_per_interval(
    times: NDArray[np.float64], values: NDArray[np.float64], intervals: int, interval_s: float
) -> NDArray[np.float64]:
    """Integral of a step function over each measured interval."""
    level = Level(intervals, interval_s, float(values[0]) if times[0] <= 0 else 0.0)
    for t, v in zip(times.tolist(), values.tolist(), strict=True):
        level.set(max(t, 0.0), v)
    level.close(intervals * interval_s)
    return level.interval_areas


_KNOWN_STEPS: dict[str, tuple[list[Step], NDArray[np.float64], NDArray[np.float64]]] = {}
_KNOWN_STEPS_KEPT: Final = 32


def duty_steps(scenario: Scenario) -> tuple[list[Step], NDArray[np.float64], NDArray[np.float64]]:
    """Every group's roster steps and breaks, sorted by time; paid agent-seconds per group and
    measured interval; and the most people rostered at once per group in the measured window.

    Remembered for up to 32 rosters (groups, horizon and breaks; all forgotten when full), as
    replications and a staffing search ask again for the same; callers must not change what is
    returned. Each step on the memory is one call, safe between threads without a lock (which
    a process forked while another thread held it would inherit held).
    """
    key = scenario.model_dump_json(include={"groups": True, "horizon": True, "breaks": True})
    known = _KNOWN_STEPS.get(key)
    if known is None:
        known = _duty_steps(scenario)
        if len(_KNOWN_STEPS) >= _KNOWN_STEPS_KEPT:
            _KNOWN_STEPS.clear()
        _KNOWN_STEPS[key] = known
    return known


def _duty_steps(scenario: Scenario) -> tuple[list[Step], NDArray[np.float64], NDArray[np.float64]]:
    horizon = scenario.horizon
    late_breaks = scenario.breaks.when_busy == "late"
    interval_s = horizon.interval_minutes * 60.0
    steps: list[Step] = []
    rostered_seconds = np.zeros((len(scenario.groups), horizon.intervals))
    rostered_peak = np.zeros(len(scenario.groups))
    for g, group in enumerate(scenario.groups):
        step_times, rostered, available = roster_steps(group, horizon, with_breaks=not late_breaks)
        measured = (step_times >= 0) | (np.append(step_times[1:], np.inf) > 0)
        rostered_peak[g] = float(rostered[measured].max())
        steps += [
            (t, g, n, r, -1.0)
            for t, n, r in zip(step_times.tolist(), available.tolist(), rostered.tolist(), strict=True)
        ]
        if late_breaks:
            breaks = break_starts(group, horizon)
            agents = agents_for([people for _, people, _ in breaks], group.shrinkage).tolist()
            steps += [(t, g, n, -1, s) for (t, _, s), n in zip(breaks, agents, strict=True)]
        rostered_seconds[g] = _integrate_per_interval(step_times, rostered.astype(float), horizon.intervals, interval_s)
    steps.sort(key=lambda step: step[0])
    rostered_seconds.flags.writeable = False
    rostered_peak.flags.writeable = False
    return steps, rostered_seconds, rostered_peak


class Duty:
    """Follows the roster steps and breaks: ``agent_free(agent)`` is called for every agent who
    starts (or resumes) taking contacts, and ``closed(g)`` when group ``g``'s last rostered
    person goes off shift; ``staffed[g]`` counts group ``g``'s agents on duty
    (taking contacts or finishing them), ``overtime[g]`` those beyond the people rostered.
    """

    def __init__(
        self,
        env: simpy.Environment,
        groups: list[AgentGroup],
        staffed: list[Level],
        overtime: list[Level],
        agent_free: Callable[[Agent], None],
        closed: Callable[[int], None],
    ):
        self._env = env
        self._closed = closed
        self._groups = groups
        self._staffed = staffed
        self._overtime = overtime
        self._agent_free = agent_free
        self.rostered = [0] * len(groups)  # people rostered now, per group (on a break or not)
        self._away: list[dict[Agent, None]] = [{} for _ in groups]  # on a break, in order

    def follow(self, steps: list[Step]) -> Generator[simpy.Event, Any, None]:
        """A SimPy process that applies ``steps`` at their times."""
        env = self._env
        for t, g, count, rostered, break_seconds in steps:
            if t > env.now:
                yield env.timeout(t - env.now)
            if break_seconds < 0:
                was_on_shift = self.rostered[g] > 0
                self.rostered[g] = rostered
                self.set_available(g, count)
                self._count(g, 0)
                if was_on_shift and rostered == 0:
                    self._closed(g)
            else:
                self.start_break(g, count, break_seconds)

    def _count(self, g: int, delta: int) -> None:
        """Change group ``g``'s agents on duty by ``delta``, and its overtime with it."""
        now = self._env.now
        staffed = self._staffed[g]
        staffed.add(now, delta)
        overtime = max(0.0, staffed.value - self.rostered[g])
        if overtime != self._overtime[g].value:
            self._overtime[g].set(now, overtime)

    def set_available(self, g: int, count: int) -> None:
        """Bring the number of agents of group ``g`` taking contacts (or away on a break that
        they come back from) to ``count``.
        """
        group = self._groups[g]
        away = self._away[g]
        working = [a for a in group.on_duty if not a.leaving or a.break_due]
        change = count - len(working) - len(away)
        if change > 0:
            for agent in [a for a in group.on_duty if a.leaving and not a.break_due][:change]:
                agent.leaving = False
                change -= 1
                self._agent_free(agent)
            for _ in range(change):
                agent = Agent(g)
                group.on_duty[agent] = None
                self._count(g, 1)
                self._agent_free(agent)
        elif change < 0:
            remove = -change
            while remove and group.idle:
                agent = group.idle.pop()
                del group.on_duty[agent]
                self._count(g, -1)
                remove -= 1
            while remove and away:
                agent = next(reversed(away))
                del away[agent]
                agent.away = False  # goes home from the break: its return is ignored
                remove -= 1
            for agent in working:
                if remove == 0:
                    break
                if agent.count > 0:
                    self._hold(agent)
                    agent.break_due = 0.0
                    remove -= 1

    def _hold(self, agent: Agent) -> None:
        """``agent`` takes no new contact from now on."""
        agent.leaving = True
        if agent.in_partial:
            agent.in_partial = False
            self._groups[agent.group].partial.remove(agent)

    def start_break(self, g: int, agents: int, seconds: float) -> None:
        """``agents`` of group ``g`` go on a break of ``seconds``: idle ones at once, busy ones
        when the contacts in hand are done (see :meth:`release`).
        """
        group = self._groups[g]
        while agents and group.idle:
            agent = group.idle.pop()
            self._go_away(agent, seconds)
            agents -= 1
        for agent in list(group.on_duty):
            if agents == 0:
                break
            if not agent.leaving:
                self._hold(agent)
                agent.break_due = seconds
                agents -= 1

    def release(self, agent: Agent) -> None:
        """``agent``, holding no contact and told to stop, goes home or takes its break."""
        if agent.break_due:
            self._go_away(agent, agent.break_due)
            agent.break_due = 0.0
            agent.leaving = False
        else:
            agent.leaving = False
            del self._groups[agent.group].on_duty[agent]
            self._count(agent.group, -1)

    def _go_away(self, agent: Agent, seconds: float) -> None:
        del self._groups[agent.group].on_duty[agent]
        self._count(agent.group, -1)
        agent.away = True
        self._away[agent.group][agent] = None
        self._env.timeout(seconds).callbacks.append(lambda _event: self._come_back(agent))

    def _come_back(self, agent: Agent) -> None:
        if not agent.away:  # sent home during the break
            return
        agent.away = False
        g = agent.group
        del self._away[g][agent]
        self._groups[g].on_duty[agent] = None
        self._count(g, 1)
        self._agent_free(agent)
