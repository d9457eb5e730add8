"""Timed callbacks on SimPy's event queue: the engine's most frequent operation, made cheap.

:func:`call_after` puts on the environment's queue exactly what
``Environment.schedule(event, NORMAL, delay)`` would (same time, priority and event-id
tie-break), for a minimal event (:class:`Call`) that runs one callback with a value;
``Environment.step`` processes it like any event. It saves two method calls and an event
object per step, and reads SimPy's private ``_queue``, ``_now`` and ``_eid``: ``pyproject.toml``
therefore pins ``simpy>=4.1,<5``, and ``tests/test_calls.py`` checks on a small trace that the
event order is that of ``Environment.schedule``. :func:`call_at` is the same for a handler
that holds the queue (SimPy never replaces it) and has taken the event's id from the
environment's counter, the time ``now + delay`` and the callbacks tuple ``(callback,)``, made
once per handler (a bound method looked up per event would be an allocation each time).
"""

from __future__ import annotations

import heapq
from typing import Any, Final

import simpy
from simpy import events

__all__ = ["NORMAL", "Call", "call_after", "call_at", "heappush"]

NORMAL: Final = events.NORMAL
"""SimPy's priority of an ordinary event (a constant: compiled, read without a lookup by name)."""

heappush: Final = heapq.heappush
"""``heapq.heappush``, as a constant for the same reason (the engine's modules import it from here)."""


class Call:
    """A SimPy event that runs one callback with a value: a lighter ``Timeout``, scheduled on
    the same environment queue and processed by ``Environment.step`` like any event. A
    handler that unpacks a tuple ``_value`` declares the parts' types first, so that the
    compiled engine reads them natively.
    """

    __slots__ = ("_value", "callbacks")
    _ok = True  # a call never fails (read by ``Environment.step``)

    def __init__(self, callbacks: tuple[Any, ...], value: Any):
        self.callbacks: tuple[Any, ...] | None = callbacks  # ``(callback,)``, never changed: shared
        self._value = value


def call_after(env: simpy.Environment, delay: float, callback: Any, value: Any) -> None:
    """Call ``callback(event)`` after ``delay`` seconds, with ``event._value = value``."""
    call_at(env._queue, next(env._eid), env._now + delay, (callback,), value)


def call_at(queue: list[Any], eid: int, at: float, callbacks: tuple[Any, ...], value: Any) -> None:
    """Call ``callback(event)`` at ``at`` seconds (``now + delay``), with ``event._value = value``,
    on the environment whose ``_queue`` is ``queue``; ``eid`` is the event's id, the next of the
    environment's ``_eid`` counter when it was scheduled; ``callbacks`` is ``(callback,)``.
    """
    entry: Any = (at, NORMAL, eid, Call(callbacks, value))
    heappush(queue, entry)
