"""Agents on duty over time: each group's roster steps turned into agents joining and leaving.

From :func:`supportsim.scenario.profiles.roster_steps`, a group has at each step a number of
people rostered (paid, breaks included) and of agents available (off break, net of
shrinkage). :class:`Duty` brings the group's agents taking contacts to the available
number at each step: extra agents start work at once; when the number falls, idle agents
leave first and busy ones finish the contact in hand (overtime), then leave.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

from supportsim.engine.entities import Agent, AgentGroup
from supportsim.engine.levels import Level
from supportsim.scenario.model import Scenario
from supportsim.scenario.profiles import roster_steps

Step = tuple[float, int, int]
"""(time in seconds, group index, agents available from then on)."""


def _integrate_per_interval(
    times: NDArray[np.float64], values: NDArray[np.float64], intervals: int, interval_s: float
) -> NDArray[np.float64]:
    """Integral of a step function over each measured interval."""
    level = Level(intervals, interval_s, float(values[0]) if times[0] <= 0 else 0.0)
    for t, v in zip(times.tolist(), values.tolist(), strict=True):
        level.set(max(t, 0.0), v)
    level.close(intervals * interval_s)
    return level.interval_areas


def duty_steps(scenario: Scenario) -> tuple[list[Step], NDArray[np.float64], NDArray[np.float64]]:
    """Every group's steps of available agents, sorted by time; paid agent-seconds per group and
    measured interval; and the most people rostered at once per group in the measured window.
    """
    horizon = scenario.horizon
    interval_s = horizon.interval_minutes * 60.0
    steps: list[Step] = []
    rostered_seconds = np.zeros((len(scenario.groups), horizon.intervals))
    rostered_peak = np.zeros(len(scenario.groups))
    for g, group in enumerate(scenario.groups):
        step_times, rostered, available = roster_steps(group, horizon)
        measured = (step_times >= 0) | (np.append(step_times[1:], np.inf) > 0)
        rostered_peak[g] = float(rostered[measured].max())
        steps += [(float(t), g, int(n)) for t, n in zip(step_times, available, strict=True)]
        rostered_seconds[g] = _integrate_per_interval(step_times, rostered.astype(float), horizon.intervals, interval_s)
    steps.sort(key=lambda step: step[0])
    return steps, rostered_seconds, rostered_peak


class Duty:
    """Follows the steps of available agents: ``agent_free(agent)`` is called for every agent
    who starts (or, after a step down was undone, resumes) taking contacts; ``staffed[g]``
    counts group ``g``'s agents taking contacts, overtime included.
    """

    def __init__(
        self,
        env: simpy.Environment,
        groups: list[AgentGroup],
        staffed: list[Level],
        agent_free: Callable[[Agent], None],
    ):
        self._env = env
        self._groups = groups
        self._staffed = staffed
        self._agent_free = agent_free

    def follow(self, steps: list[Step]) -> Generator[simpy.Event, Any, None]:
        """A SimPy process that applies ``steps`` at their times."""
        env = self._env
        for t, g, count in steps:
            if t > env.now:
                yield env.timeout(t - env.now)
            self.set_available(g, count)

    def set_available(self, g: int, count: int) -> None:
        """Bring the number of agents of group ``g`` taking contacts to ``count``."""
        group = self._groups[g]
        now = self._env.now
        working = [a for a in group.on_duty if not a.leaving]
        change = count - len(working)
        if change > 0:
            for agent in [a for a in group.on_duty if a.leaving][:change]:
                agent.leaving = False
                change -= 1
                self._agent_free(agent)
            for _ in range(change):
                agent = Agent(g)
                group.on_duty[agent] = None
                self._staffed[g].add(now, 1)
                self._agent_free(agent)
        elif change < 0:
            remove = -change
            while remove and group.idle:
                agent = group.idle.pop()
                del group.on_duty[agent]
                self._staffed[g].add(now, -1)
                remove -= 1
            for agent in working:
                if remove == 0:
                    break
                if agent.count > 0:
                    agent.leaving = True
                    if agent.in_partial:
                        agent.in_partial = False
                        group.partial.remove(agent)
                    remove -= 1
