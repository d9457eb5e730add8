"""Timed callbacks on SimPy's event queue: the engine's most frequent operation, made cheap.

:func:`call_after` puts on the environment's queue exactly what
``Environment.schedule(event, NORMAL, delay)`` would (same time, priority and event-id
tie-break), for a minimal event (:class:`Call`) that runs one callback with a value;
``Environment.step`` processes it like any event. It saves two method calls and an event
object per step, and reads SimPy's private ``_queue``, ``_now`` and ``_eid``: ``pyproject.toml``
therefore pins ``simpy>=4.1,<5``, and ``tests/test_calls.py`` checks on a small trace that the
event order is that of ``Environment.schedule``.
"""

from __future__ import annotations

from heapq import heappush
from typing import Any

import simpy
from simpy.events import NORMAL

__all__ = ["NORMAL", "Call", "call_after"]


class Call:
    """A SimPy event that runs one callback with a value: a lighter ``Timeout``, scheduled on
    the same environment queue and processed by ``Environment.step`` like any event.
    """

    __slots__ = ("_value", "callbacks")
    _ok = True  # a call never fails (read by ``Environment.step``)

    def __init__(self, callback: Any, value: Any):
        self.callbacks: tuple[Any, ...] | None = (callback,)
        self._value = value


def call_after(env: simpy.Environment, delay: float, callback: Any, value: Any) -> None:
    """Call ``callback(event)`` after ``delay`` seconds, with ``event._value = value``."""
    entry: Any = (env._now + delay, NORMAL, next(env._eid), Call(callback, value))
    heappush(env._queue, entry)
