"""Shift building and the weekly roster: the cheapest shifts under the scenario's
``planning:`` rules that cover a headcount requirement, and the agents who work them, as one
mixed-integer program per group (``scipy.optimize.milp``, HiGHS).

**Requirement.** People on duty per plan interval and group (headcount after shrinkage, as
:func:`supportsim.scenario.profiles.headcount_for` gives it), laid on a **roster week** of
seven days: roster day ``r`` is the plan's day ``r`` (a plan shorter than a week repeats:
day ``r mod days``; a longer plan takes, per weekday position ``r``, the most any of its
weeks needs, since shift lines repeat weekly).

**Options** (:func:`shift_options`): each allowed shift length of the rules, starting on
multiples of ``start_granularity_minutes`` between ``earliest_start`` and ``latest_start``,
no earlier than the group's first busy interval of the day and, where it fits, ending by
its last (a group busy around the clock may start at any time, shifts running past
midnight), with its breaks moved together by each of ``break_offsets_minutes``, on each
roster day. The scenario's own shift lines are not options (that is today's roster).

**Coverage** holds at every moment: a shift covers a 15-minute slot when its people are on
duty for all of it, and every slot of a plan interval must have the interval's requirement
on duty, so breaks never take the people on duty below the requirement (a 15-minute break
costs one slot, not a whole interval). Shifts past midnight cover the next roster day (the
week is cyclic).

**The programs.** First the shifts, one roster day after another: whole numbers ``x_j`` of
people on each option of the day covering what the day needs beyond the day before's
shifts running past midnight, at least paid hours (the group's ``cost_per_hour`` is the same
for all its shifts), with part-time paid hours at most ``max_part_time_share`` of the day's
and at most ``max_agents`` people, stopping within :data:`GAP` of the cheapest or after
:data:`NODE_LIMIT` nodes (a day whose program repeats one already solved, as a one-day
plan's days do, takes its answer). Intervals no allowed shift reaches (the start-time
rules) are **reported** (``Roster.uncovered``), never raised. Then the week: agents per
work pattern (:func:`supportsim.planning.weekly.staff_patterns`) so that each day's shifts
of each length are exactly the agents of that length working the day, at most
``max_agents``; where that cannot hold exactly, the fewest shifts are added (or, under the
cap, dropped, and their intervals reported uncovered).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.planning.cover import Cover, solve_cover
from supportsim.planning.weekly import ROSTER_DAYS, Pattern, assign_agents, fte, staff_patterns, work_patterns
from supportsim.results.executors import Executor
from supportsim.scenario.calendar import clock_text, interval_labels, weekday_of_day
from supportsim.scenario.edit import edited
from supportsim.scenario.model import Break, Scenario, Shift
from supportsim.scenario.planning_rules import PlanningRules

__all__ = ["Roster", "ShiftOption", "roster_requirement", "schedule", "shift_options"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

GAP = 0.02
"""Relative optimality gap at which a day's shift program stops (2%: proving the last
percent can take minutes when breaks cover half intervals)."""

NODE_LIMIT = 500
"""Branch-and-bound nodes after which a day's shift program stops short of :data:`GAP`: a limit
of work, so the same shifts on any machine (the time limit is a safety net). The helpdesk week's
programs need at most 196; the single queue's flat tier 2 (4-5 people round the clock) needs
700-2,400 (19-43 s) to prove 2%, and has the proof's final shifts, unproven, after 500."""


@dataclass(frozen=True)
class ShiftOption:
    """One allowed shift of a group: ``hours`` paid from ``start_minutes`` after midnight of
    roster day ``day`` (0 is the plan's day 1), with ``breaks`` as (after hours, minutes).
    """

    group: int
    day: int
    start_minutes: int
    length: int  # index into the rules' shift lengths
    hours: float
    part_time: bool
    breaks: tuple[tuple[float, float], ...]

    @property
    def start(self) -> str:
        """``"HH:MM"``."""
        return clock_text(self.start_minutes)

    @property
    def end(self) -> str:
        """``"HH:MM"`` of the end (on the next day when past midnight)."""
        return clock_text(round(self.start_minutes + self.hours * 60) % 1440)

    def duty_seconds(self) -> list[tuple[float, float]]:
        """On-duty spans, seconds after midnight of the shift's day."""
        spans, begin = [], self.start_minutes * 60.0
        for after, minutes in self.breaks:
            pause = self.start_minutes * 60.0 + after * 3600.0
            spans.append((begin, pause))
            begin = pause + minutes * 60.0
        spans.append((begin, self.start_minutes * 60.0 + self.hours * 3600.0))
        return [(a, b) for a, b in spans if b > a]

    def breaks_text(self) -> str:
        """``"10:00-10:15, 12:00-12:30"``."""
        return ", ".join(
            f"{clock_text(round(self.start_minutes + a * 60) % 1440)}-"
            f"{clock_text(round(self.start_minutes + a * 60 + m) % 1440)}"
            for a, m in self.breaks
        )

    def lines(self, count: int, weekday: Any) -> list[Shift]:
        """Engine shift lines for ``count`` people working this option on roster day ``weekday(day)``:
        one line per break (each line ends when its break does), then the rest of the shift.
        """
        lines, begin = [], self.start_minutes
        end = round(self.start_minutes + self.hours * 60)
        for after, minutes in self.breaks:
            pause = round(self.start_minutes + after * 60)
            stop = round(pause + minutes)
            lines.append(Shift(start=clock_text(begin % 1440), hours=(stop - begin) / 60, count=count,
                               weekdays=[weekday(self.day + begin // 1440)],
                               break_=Break(after_hours=(pause - begin) / 60, minutes=stop - pause)))
            begin = stop
        if end > begin:
            lines.append(Shift(start=clock_text(begin % 1440), hours=(end - begin) / 60, count=count,
                               weekdays=[weekday(self.day + begin // 1440)]))
        return lines


SLOT_MINUTES = 15
"""Coverage is counted on this grid: a shift covers a slot when its people are on duty for all of it."""


def coverage(options: list[ShiftOption]) -> FloatArray:
    """``A[s, j] = 1`` when option ``j``'s people are on duty for the whole 15-minute slot ``s``
    of the roster week (cyclic).
    """
    slot_s = SLOT_MINUTES * 60.0
    total = ROSTER_DAYS * 1440 // SLOT_MINUTES
    matrix = np.zeros((total, len(options)))
    for j, option in enumerate(options):
        for begin, end in option.duty_seconds():
            b, e = option.day * 86400.0 + begin, option.day * 86400.0 + end
            for k in range(math.ceil(b / slot_s - 1e-9), math.floor(e / slot_s + 1e-9)):
                matrix[k % total, j] = 1.0
    return matrix


def slots_per_interval(interval_minutes: int) -> int:
    """Coverage slots in one plan interval."""
    return interval_minutes // SLOT_MINUTES


def throughout(on_duty: FloatArray, interval_minutes: int) -> FloatArray:
    """People on duty throughout each interval: the fewest over its slots."""
    return np.asarray(np.asarray(on_duty).reshape(-1, slots_per_interval(interval_minutes)).min(axis=1), dtype=float)


def roster_requirement(required: IntArray, days: int, per_day: int) -> IntArray:
    """A plan's requirement (``days × per_day`` intervals) on the roster week (see the module docstring)."""
    by_day = np.asarray(required, dtype=np.int64).reshape(days, per_day)
    if days < ROSTER_DAYS:
        return by_day[np.arange(ROSTER_DAYS) % days].reshape(-1)
    week = np.zeros((ROSTER_DAYS, per_day), dtype=np.int64)
    for d in range(days):
        week[d % ROSTER_DAYS] = np.maximum(week[d % ROSTER_DAYS], by_day[d])
    return week.reshape(-1)


def _break_variants(rules: PlanningRules, length: int) -> list[tuple[tuple[float, float], ...]]:
    shift = rules.shift_lengths[length]
    variants: dict[tuple[tuple[float, float], ...], None] = {}
    for offset in rules.break_offsets_minutes:
        moved = tuple((b.after_hours + offset / 60, b.minutes) for b in shift.breaks)
        if all(a > 1e-9 for a, _ in moved) and all(a + m / 60 <= shift.hours + 1e-9 for a, m in moved):
            variants[moved] = None
    return list(variants) or [tuple((b.after_hours, b.minutes) for b in shift.breaks)]


def shift_options(scenario: Scenario, g: int, week_required: IntArray) -> list[ShiftOption]:
    """Allowed options of group ``g`` for its roster-week requirement (see the module docstring)."""
    rules = scenario.planning
    per_day, minutes = scenario.horizon.intervals_per_day, scenario.horizon.interval_minutes
    busy = np.flatnonzero(np.asarray(week_required).reshape(ROSTER_DAYS, per_day).max(axis=0) > 0)
    if busy.size == 0:
        return []
    first, close = int(busy[0]) * minutes, (int(busy[-1]) + 1) * minutes
    step = rules.start_granularity_minutes
    options = []
    for index, length in enumerate(rules.shift_lengths):
        span = round(length.hours * 60)
        if busy.size == per_day:
            low, high = rules.earliest_minutes, rules.latest_minutes
        else:
            low = max(first, rules.earliest_minutes)
            high = min(max(low, close - span), rules.latest_minutes)
        starts = range(math.ceil(low / step) * step, high + 1, step)
        for day in range(ROSTER_DAYS):
            for start in starts:
                for breaks in _break_variants(rules, index):
                    options.append(ShiftOption(g, day, start, index, length.hours, length.part_time, breaks))
    return options


@dataclass(frozen=True)
class Roster:
    """Shifts and agents chosen for every group, over one roster week.

    Attributes:
        shifts: One row per chosen option: ``group``, ``day`` (roster day, from 1),
            ``weekday``, ``start``, ``end``, ``hours``, ``contract``, ``breaks`` (clock
            spans), ``break_after_hours`` and ``break_minutes`` (the longest break),
            ``days`` (the plan days, from 1, whose requirement the roster day covers) and
            ``weekdays`` (as ``weekday``), ``count``,
            ``paid_hours`` and ``cost`` (count × hours, × the group's cost per hour).
        coverage: One row per plan interval and group: ``required_headcount`` and
            ``scheduled_headcount`` (people on duty in the chosen shifts throughout the
            interval: the fewest at any moment of it, on a 15-minute grid).
        uncovered: One row per roster-week interval and group the shifts leave short:
            ``day``, ``weekday``, ``time``, ``group``, ``required``, ``scheduled``, ``short``.
        agents: The weekly roster (:func:`supportsim.planning.weekly.assign_agents`), all groups.
        scenario: The scenario with every group staffed by its shifts.
        paid_hours: Paid hours of the roster week.
        cost: Their cost.
        fte: Full-time equivalents (paid hours ÷ the rules' ``fte_weekly_hours``).
        optimal: Whether HiGHS proved every group's programs optimal (within :data:`GAP`).
        warnings: Anything the planner should know (unknown capped groups, unusable lengths).
    """

    shifts: pd.DataFrame
    coverage: pd.DataFrame
    uncovered: pd.DataFrame
    agents: pd.DataFrame
    scenario: Scenario
    paid_hours: float
    cost: float
    fte: float
    optimal: bool
    warnings: list[str]


SHIFT_COLUMNS = ["group", "day", "weekday", "start", "end", "hours", "contract", "breaks", "break_after_hours",
                 "break_minutes", "days", "weekdays", "count", "paid_hours", "cost"]


def _plan_days(days: int, roster_day: int) -> list[int]:
    """The plan days (from 0) whose requirement roster day ``roster_day`` covers."""
    if days < ROSTER_DAYS:
        return [roster_day % days]
    return [d for d in range(days) if d % ROSTER_DAYS == roster_day]


def _shift_row(scenario: Scenario, option: ShiftOption, count: int, rate: float) -> dict[str, Any]:
    weekday = weekday_of_day(scenario.horizon, option.day)
    longest = max(option.breaks, key=lambda b: b[1], default=None)
    paid = option.hours * count
    return {
        "group": scenario.groups[option.group].name, "day": option.day + 1, "weekday": weekday,
        "start": option.start, "end": option.end, "hours": option.hours,
        "contract": "part-time" if option.part_time else "full-time", "breaks": option.breaks_text(),
        "break_after_hours": None if longest is None else longest[0],
        "break_minutes": None if longest is None else longest[1],
        "days": ",".join(str(d + 1) for d in _plan_days(scenario.horizon.days, option.day)), "weekdays": weekday,
        "count": count, "paid_hours": paid, "cost": paid * rate,
    }


def _cover_week(
    scenario: Scenario, options: list[ShiftOption], matrix: FloatArray, week: IntArray, cap: int | None,
    time_limit: float,
) -> tuple[IntArray, bool]:
    """People per option covering ``week`` (per interval; covered slot by slot), one roster day
    after another (each day's program
    sees what the day before's shifts already cover past midnight; the last day's program
    also covers the next day's hours that only its shifts reach, and the last day's what the
    first day still misses).
    """
    from scipy.optimize import LinearConstraint  # heavy: imported when a week is covered

    rules, per_day = scenario.planning, 1440 // SLOT_MINUTES
    week = np.repeat(week, slots_per_interval(scenario.horizon.interval_minutes))
    x = np.zeros(len(options), dtype=np.int64)
    carried = np.zeros(len(week))
    optimal = True
    solved_days: dict[tuple[Any, ...], Cover] = {}  # a day whose program was solved already takes its answer
    for day in range(ROSTER_DAYS):
        idx = np.array([j for j, o in enumerate(options) if o.day == day], dtype=np.int64)
        rows = np.arange(day * per_day, (day + 1) * per_day)
        after = np.arange((day + 1) * per_day, (day + 2) * per_day) % len(week)
        if day == ROSTER_DAYS - 1:  # the first day is decided: cover what it still misses
            rows = np.concatenate([rows, after])
        else:  # next day's hours that only this day's shifts (past midnight) can reach
            own = np.array([j for j, o in enumerate(options) if o.day == day + 1], dtype=np.int64)
            reach = matrix[after][:, own].max(axis=1) if own.size else np.zeros(per_day)
            rows = np.concatenate([rows, after[reach <= 0]])
        if idx.size == 0:
            continue
        need = np.maximum(week[rows] - carried[rows], 0.0)
        day_options = [options[j] for j in idx]
        share = np.array([o.hours * (float(o.part_time) - rules.max_part_time_share) for o in day_options])
        extra = [LinearConstraint(share.reshape(1, -1), lb=-np.inf, ub=1e-9)]
        if cap is not None:
            extra.append(LinearConstraint(np.ones((1, idx.size)), lb=0.0, ub=float(cap)))
        day_costs = np.array([options[j].hours for j in idx])
        short_cost = None if cap is None else 100.0 * float(day_costs.max())  # dearer than any shift
        program = (matrix[rows][:, idx], need, day_costs, share)
        key = tuple((a.shape, np.ascontiguousarray(a, dtype=float).tobytes()) for a in program)
        if key not in solved_days:
            solved_days[key] = solve_cover(*program[:3], extra=extra, time_limit=time_limit, gap=GAP,
                                           short_cost=short_cost, node_limit=NODE_LIMIT)
        solved = solved_days[key]
        optimal &= solved.optimal
        x[idx] = solved.x
        carried += matrix[:, idx] @ solved.x
    return x, optimal


def _match_patterns(
    options: list[ShiftOption], x: IntArray, patterns: list[Pattern], rules: PlanningRules, cap: int | None
) -> tuple[IntArray, list[int]]:
    """Agents per work pattern for the chosen shifts, and the shifts changed to match them
    (added to, or taken from, the day's most staffed option of the length).
    """
    counts: dict[tuple[int, int], int] = {}
    for option, count in zip(options, x, strict=True):
        if count:
            counts[(option.day, option.length)] = counts.get((option.day, option.length), 0) + int(count)
    agents, change = staff_patterns(counts, patterns, [s.hours for s in rules.shift_lengths], cap,
                                    part_time=[s.part_time for s in rules.shift_lengths],
                                    max_part_time_share=rules.max_part_time_share)
    x = x.copy()
    for (day, length), delta in change.items():
        same = [j for j, o in enumerate(options) if o.day == day and o.length == length]
        for _ in range(abs(delta)):
            j = max(same, key=lambda j: x[j]) if delta < 0 or x[same].any() else same[0]
            x[j] += 1 if delta > 0 else -1
    return x, agents


def _group_roster(
    scenario: Scenario, g: int, required: IntArray, patterns: list[Pattern], time_limit: float
) -> tuple[list[ShiftOption], IntArray, FloatArray, IntArray, list[int], bool]:
    """One group's options, people per option, coverage matrix, roster-week requirement,
    agents per pattern and whether every program was proved optimal.
    """
    horizon, rules = scenario.horizon, scenario.planning
    week = roster_requirement(required, horizon.days, horizon.intervals_per_day)
    usable = {p.length for p in patterns}
    options = [o for o in shift_options(scenario, g, week) if o.length in usable]
    matrix = coverage(options)
    cap = rules.max_agents.get(scenario.groups[g].name)
    x, optimal = _cover_week(scenario, options, matrix, week, cap, time_limit)
    x, agents = _match_patterns(options, x, patterns, rules, cap)
    return options, x, matrix, week, agents, optimal


def _group_task(
    task: tuple[Scenario, int, IntArray, list[Pattern], float],
) -> tuple[list[ShiftOption], IntArray, FloatArray, IntArray, list[int], bool]:
    return _group_roster(*task)


def schedule(
    scenario: Scenario, required: IntArray, *, time_limit: float = 30.0, executor: Executor | None = None,
) -> Roster:
    # one piece: per group, its shifts, agents and coverage tables, gathered for all groups
    """Cover ``required[g, k]`` (people per group and plan interval) under the scenario's
    planning rules at least cost, and roster the agents (see the module docstring).
    ``time_limit``: seconds per program. ``executor``: where the groups' programs run (they
    are independent; the result does not depend on it; default: one after another here).
    """
    required = np.asarray(required, dtype=np.int64)
    horizon, rules = scenario.horizon, scenario.planning
    per_day = horizon.intervals_per_day
    names = [g.name for g in scenario.groups]
    warnings = [f"planning.max_agents names no group '{n}'" for n in rules.max_agents if n not in names]
    patterns = work_patterns(rules)
    usable = {p.length for p in patterns}
    warnings += [f"shift length {s.hours:g} h fits no weekly pattern within {rules.min_weekly_hours:g}-"
                 f"{rules.max_weekly_hours:g} hours a week; it is not used"
                 for i, s in enumerate(rules.shift_lengths) if i not in usable]
    week_labels = interval_labels(horizon.model_copy(update={"days": ROSTER_DAYS}))
    plan_rows = np.arange(horizon.intervals) % (ROSTER_DAYS * per_day)
    rows, cover_frames, short_frames, agent_frames, lines = [], [], [], [], []
    optimal, first_agent = True, 1
    day_names = [weekday_of_day(horizon, d) for d in range(ROSTER_DAYS)]
    tasks = [(scenario, g, required[g], patterns, time_limit) for g in range(len(scenario.groups))]
    solved_groups = executor.map(_group_task, tasks) if executor is not None else [_group_task(t) for t in tasks]
    for g, group in enumerate(scenario.groups):
        options, x, matrix, week, agents, solved = solved_groups[g]
        optimal &= solved
        chosen = sorted(((o, int(c)) for o, c in zip(options, x, strict=True) if c > 0),
                        key=lambda oc: (oc[0].day, oc[0].start_minutes, oc[0].length, oc[0].breaks))
        group_lines: list[Shift] = []
        by_day: dict[tuple[int, int], list[str]] = {}
        for option, count in chosen:
            rows.append(_shift_row(scenario, option, count, group.cost_per_hour))
            group_lines += option.lines(count, partial(weekday_of_day, horizon))
            by_day.setdefault((option.day, option.length), []).extend([f"{option.start}-{option.end}"] * count)
        lines.append(group_lines)
        roster = assign_agents(group.name, first_agent, patterns, agents, by_day,
                               [s.hours for s in rules.shift_lengths], [s.part_time for s in rules.shift_lengths],
                               day_names)
        first_agent += len(roster)
        agent_frames.append(roster)
        scheduled = throughout(matrix @ x, horizon.interval_minutes) if options else np.zeros(len(week))
        cover_frames.append(pd.DataFrame({
            "interval": np.arange(horizon.intervals), "group": group.name, "required_headcount": required[g],
            "scheduled_headcount": np.round(scheduled[plan_rows], 6),
        }))
        missing = np.flatnonzero(scheduled < week - 1e-6)
        short_frames.append(week_labels.iloc[missing][["day", "weekday", "time"]].assign(
            group=group.name, required=week[missing], scheduled=np.round(scheduled[missing], 6),
            short=np.round(week[missing] - scheduled[missing], 6),
        ))
    shifts = pd.DataFrame(rows, columns=SHIFT_COLUMNS)
    total_hours = float(shifts["paid_hours"].sum())
    return Roster(
        shifts=shifts,
        coverage=pd.concat(cover_frames, ignore_index=True),
        uncovered=pd.concat(short_frames, ignore_index=True),
        agents=pd.concat(agent_frames, ignore_index=True),
        scenario=edited(scenario, partial(_with_shifts, lines), source="<roster>"),
        paid_hours=total_hours, cost=float(shifts["cost"].sum()), fte=fte(total_hours, rules), optimal=optimal,
        warnings=warnings,
    )


def _with_shifts(lines: list[list[Shift]], data: dict[str, Any]) -> None:
    """Staff every group of the scenario ``data`` by its shift ``lines`` only."""
    for group, shifts in zip(data["groups"], lines, strict=True):
        group.pop("headcount", None)
        group.pop("headcount_per_interval", None)
        group["shifts"] = [line.model_dump(by_alias=True, exclude_none=True) for line in shifts]
