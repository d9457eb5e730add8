"""The engine's shortcut onto SimPy's event queue orders events exactly as SimPy's own
``Environment.schedule`` does (it reads private names, so ``pyproject.toml`` pins SimPy 4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from supportsim.engine.calls import call_after, call_at

Schedule = Callable[[simpy.Environment, float, Any, Any], None]

# (delay, label): ties at equal times on purpose, so the order among them is what is tested
PLAN = [(3.0, "a"), (1.0, "b"), (2.0, "c"), (1.0, "d"), (0.0, "e"), (3.0, "f"), (1.0, "g")]


def with_timeout(env: simpy.Environment, delay: float, callback: Any, value: Any) -> None:
    """The public way: a ``Timeout`` (scheduled by ``Environment.schedule`` at NORMAL priority)."""
    env.timeout(delay, value).callbacks.append(callback)  # type: ignore[union-attr]


def trace(schedule: Schedule) -> list[tuple[float, str]]:
    """Run a small model whose callbacks schedule more work, mixing the given way of scheduling
    with SimPy's own timeouts, and record (time, label) as events are processed."""
    env = simpy.Environment()
    log: list[tuple[float, str]] = []

    def callback(event: Any) -> None:
        label = event._value
        log.append((env.now, label))
        if len(label) < 3:  # each event spawns two more: one now, one later, one of each kind
            schedule(env, 0.0, callback, label + "0")
            with_timeout(env, 1.0, callback, label + "1")

    for delay, label in PLAN:
        schedule(env, delay, callback, label)
        with_timeout(env, delay, callback, label.upper())
    env.run()
    return log


def test_call_after_orders_events_like_environment_schedule() -> None:
    expected = trace(with_timeout)
    assert len(expected) == 2 * len(PLAN) * (1 + 2 + 4)
    assert trace(call_after) == expected


def test_call_at_now_plus_delay_is_call_after() -> None:
    def at_now_plus_delay(env: simpy.Environment, delay: float, callback: Any, value: Any) -> None:
        call_at(env._queue, next(env._eid), env._now + delay, (callback,), value)

    assert trace(at_now_plus_delay) == trace(with_timeout)
