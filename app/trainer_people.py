"""The trainer's staffing slider in whole people: each step adds or removes one person."""

from __future__ import annotations

import supportsim
from supportsim import Scenario


def people(scenario: Scenario, group: str) -> int:
    """People behind a group: its headcount, the peak of its per-interval headcount, or the
    people on all its shift lines.
    """
    g = next(g for g in scenario.groups if g.name == group)
    if g.headcount is not None:
        return int(g.headcount)
    if g.headcount_per_interval:
        return int(max(g.headcount_per_interval))
    return int(sum(s.count for s in g.shifts or []))


def share_out(counts: list[int], total: int) -> list[int]:
    """``total`` people over shift lines in proportion to ``counts`` (largest remainders, ties
    to the earlier line), so the lines add up to ``total`` exactly.
    """
    today = sum(counts)
    if today == 0:
        return [total // len(counts) + (1 if k < total % len(counts) else 0) for k in range(len(counts))]
    quotas = [c * total / today for c in counts]
    out = [int(q) for q in quotas]
    order = sorted(range(len(counts)), key=lambda k: (-(quotas[k] - out[k]), k))
    for k in order[: total - sum(out)]:
        out[k] += 1
    return out


def with_people(scenario: Scenario, group: str, total: int) -> Scenario:
    """``scenario`` with ``group`` at ``total`` people (see :func:`people`): a headcount set to
    it, a per-interval headcount scaled so its peak is ``total``, shift lines shared out.
    """
    index, g = next((i, g) for i, g in enumerate(scenario.groups) if g.name == group)
    if g.headcount is not None:
        return supportsim.with_values(scenario, {f"groups[{index}].headcount": total})
    if g.headcount_per_interval:
        peak = max(g.headcount_per_interval)
        return supportsim.scale_headcount(scenario, group, total / peak) if peak else scenario
    lines = share_out([s.count for s in g.shifts or []], total)
    return supportsim.with_values(
        scenario, {f"groups[{index}].shifts[{k}].count": n for k, n in enumerate(lines)}
    )


def caption(scenario: Scenario, group: str, total: int) -> str:
    """``tier2: 13 -> 12 people`` (``(unchanged)`` when it is today's number)."""
    today = people(scenario, group)
    g = next(g for g in scenario.groups if g.name == group)
    what = "people at the peak" if g.headcount_per_interval else "people"
    if total == today:
        return f"{group}: {today} {what} (today)"
    return f"{group}: {today} → {total} {what}"
