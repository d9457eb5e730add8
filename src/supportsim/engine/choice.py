"""Which free agent takes a new contact: the scenario's ``routing.group_choice`` among the
groups that serve the contact's skill, and the channel's ``concurrency.assign`` inside a group.

A free agent of a group, for a contact on channel ``c``, is an idle agent or, when ``c``
allows concurrency, an agent holding fewer than the limit of ``c``'s conversations.
"""

from __future__ import annotations

import numpy as np

from supportsim.engine.entities import Agent, AgentGroup

_BLOCK = 1024
"""Uniforms drawn at a time for random group choices."""


class AgentChoice:
    """Chooses the agent for a new contact (see the module docstring)."""

    def __init__(
        self,
        rule: str,
        groups: list[AgentGroup],
        limits: list[int],
        fill_first: list[bool],
        rng: np.random.Generator,
    ):
        self.rule = rule
        self._groups = groups
        self._limits = limits
        self._fill_first = fill_first
        self._rng = rng
        self._uniforms: list[float] = []

    def take(self, group: AgentGroup, channel: int) -> Agent | None:
        """A free agent of ``group`` for a contact on ``channel``, removed from the idle list:
        the longest idle first (``idle_first``), or the agent holding the most conversations
        of that channel who still has room (``fill_first``; idle agents after them).
        """
        limit = self._limits[channel]
        if limit > 1 and group.partial and (self._fill_first[channel] or not group.idle):
            fill = self._fill_first[channel]
            best = None
            for agent in group.partial:
                if (
                    agent.channel == channel
                    and agent.count < limit
                    and (best is None or (agent.count > best.count if fill else agent.count < best.count))
                ):
                    best = agent
            if best is not None:
                return best
        if group.idle:
            return group.idle.popleft()
        return None

    def choose(self, routes: list[tuple[int, float]], channel: int) -> Agent | None:
        """The agent of the first-listed group with a free one (``preference``), or as the
        rule says among every group of ``routes`` without delay that has a free agent.
        """
        groups = self._groups
        if self.rule == "preference":
            for g, delay in routes:
                if delay <= 0:
                    agent = self.take(groups[g], channel)
                    if agent is not None:
                        return agent
            return None
        candidates = [groups[g] for g, delay in routes if delay <= 0]
        if self.rule == "longest_idle":
            idle = [group for group in candidates if group.idle]
            if idle:
                return min(idle, key=lambda group: group.idle[0].idle_since).idle.popleft()
            return self._first_with_room(candidates, channel)
        free = [self.free(group, channel) for group in candidates]
        total = sum(free)
        if total == 0:
            return None
        pick = self._uniform() * total
        chosen = candidates[-1]
        for group, n in zip(candidates, free, strict=True):
            if pick < n:
                chosen = group
                break
            pick -= n
        if self.rule == "proportional_to_free":
            return self.take(chosen, channel)
        return self._nth_free(chosen, channel, min(int(pick), free[candidates.index(chosen)] - 1))  # random_free

    def free(self, group: AgentGroup, channel: int) -> int:
        """Free agents of ``group`` for a contact on ``channel``."""
        limit = self._limits[channel]
        room = 0
        if limit > 1:
            room = sum(1 for a in group.partial if a.channel == channel and a.count < limit)
        return len(group.idle) + room

    def _first_with_room(self, candidates: list[AgentGroup], channel: int) -> Agent | None:
        for group in candidates:
            agent = self.take(group, channel)
            if agent is not None:
                return agent
        return None

    def _nth_free(self, group: AgentGroup, channel: int, n: int) -> Agent:
        """The ``n``-th free agent of ``group`` (idle ones first), removed from the idle list."""
        if n < len(group.idle):
            agent = group.idle[n]
            del group.idle[n]
            return agent
        n -= len(group.idle)
        limit = self._limits[channel]
        room = [a for a in group.partial if a.channel == channel and a.count < limit]
        return room[min(n, len(room) - 1)]

    def _uniform(self) -> float:
        if not self._uniforms:
            self._uniforms = self._rng.random(_BLOCK).tolist()
            self._uniforms.reverse()
        return self._uniforms.pop()
