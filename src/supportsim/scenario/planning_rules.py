"""Shift rules a scenario states for the planner: the ``planning:`` section.

Read by :func:`supportsim.planning.plan` (the engine ignores it). Hours are paid hours and
include breaks (the engine counts a shift's breaks as paid); clock times are ``"HH:MM"``.
Defaults follow common practice: full-time 8-hour shifts with two 15-minute breaks and a
30-minute meal break; part-time shifts of 4 to 6 hours with a 15-minute break every two
hours or so; part-time at most 30% of paid hours; two consecutive days off a week; 16 to 40
hours a week per agent.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from supportsim.scenario.calendar import clock_minutes
from supportsim.scenario.limits import MAX_HEADCOUNT

__all__ = ["BreakRule", "PlanningRules", "ShiftLength"]


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)


class BreakRule(_Rule):
    """A break ``minutes`` long starting ``after_hours`` hours into the shift (paid, off the queue)."""

    after_hours: float = Field(gt=0, le=24)
    minutes: float = Field(gt=0, le=240)


class ShiftLength(_Rule):
    """An allowed shift: ``hours`` paid (breaks included), its ``breaks``, and whether it is part-time."""

    hours: float = Field(gt=0, le=16)
    part_time: bool = False
    breaks: list[BreakRule] = []

    @model_validator(mode="after")
    def _breaks_inside(self) -> ShiftLength:
        end = 0.0
        for pause in self.breaks:
            if pause.after_hours <= end + 1e-9 and end > 0:
                raise ValueError("breaks must be in order, with work between them")
            end = pause.after_hours + pause.minutes / 60
        if end > self.hours + 1e-9:
            raise ValueError("every break must end before the shift does")
        return self


def _default_lengths() -> list[ShiftLength]:
    """Full-time 8 h (15-min breaks after 2 h and 6 h, 30-min meal after 4 h); part-time 4, 5 and 6 h."""
    return [
        ShiftLength(hours=8, breaks=[BreakRule(after_hours=2, minutes=15), BreakRule(after_hours=4, minutes=30),
                                     BreakRule(after_hours=6, minutes=15)]),
        ShiftLength(hours=4, part_time=True, breaks=[BreakRule(after_hours=2, minutes=15)]),
        ShiftLength(hours=5, part_time=True, breaks=[BreakRule(after_hours=2.5, minutes=15)]),
        ShiftLength(hours=6, part_time=True, breaks=[BreakRule(after_hours=2, minutes=15),
                                                     BreakRule(after_hours=4, minutes=15)]),
    ]


class PlanningRules(_Rule):
    """What shifts and weekly rosters the planner may propose (all defaults are common practice).

    ``break_offsets_minutes``: every break of a shift may move together by these minutes, so
    people starting together do not all take their breaks at once. ``earliest_start`` and
    ``latest_start`` bound shift starts (the planner also starts no shift before a group's
    first busy interval of the day). ``max_agents`` caps the people of a group (by group name).
    ``fte_weekly_hours`` is the paid hours of one full-time equivalent a week.
    ``target_probability`` (None: off) asks that each per-interval target hold on at least
    this share of days drawn from the volume uncertainty (``daily_cv``), shown at the
    planner's one-sided confidence, instead of on the mean (see :mod:`supportsim.planning.targets`).
    """

    shift_lengths: list[ShiftLength] = Field(default_factory=_default_lengths, min_length=1)
    max_part_time_share: float = Field(0.3, ge=0, le=1, description="Share of paid hours in part-time shifts.")
    start_granularity_minutes: int = Field(30, ge=15, le=240, description="Shifts start on multiples of this.")
    earliest_start: str = "00:00"
    latest_start: str = "23:59"
    break_offsets_minutes: list[int] = Field([-30, 0, 30], min_length=1, max_length=9)
    min_weekly_hours: float = Field(16.0, ge=0, le=84)
    max_weekly_hours: float = Field(40.0, gt=0, le=84)
    days_off_per_week: int = Field(2, ge=0, le=6)
    consecutive_days_off: bool = True
    max_agents: dict[str, int] = Field(default_factory=dict, description="Most people per group (by name).")
    fte_weekly_hours: float = Field(40.0, gt=0, le=84)
    target_probability: float | None = Field(
        None, gt=0, lt=1,
        description="Each target must hold in at least this share of replications (days), e.g. 0.8; "
        "None: the mean must meet it.",
    )

    @field_validator("earliest_start", "latest_start", mode="before")
    @classmethod
    def _clock(cls, text: object) -> str:
        if not isinstance(text, str):
            raise ValueError('clock times must be quoted, e.g. "06:00"')
        clock_minutes(text)
        return text

    @field_validator("start_granularity_minutes")
    @classmethod
    def _granularity(cls, minutes: int) -> int:
        if minutes % 15:
            raise ValueError("must be a multiple of 15 minutes")
        return minutes

    @field_validator("break_offsets_minutes")
    @classmethod
    def _offsets(cls, offsets: list[int]) -> list[int]:
        if any(abs(m) > 240 for m in offsets) or len(set(offsets)) != len(offsets):
            raise ValueError("offsets must be distinct and within ±240 minutes")
        return offsets

    @field_validator("max_agents")
    @classmethod
    def _caps(cls, caps: dict[str, int]) -> dict[str, int]:
        if any(not 0 <= v <= MAX_HEADCOUNT for v in caps.values()):
            raise ValueError(f"caps must be between 0 and {MAX_HEADCOUNT:,}")
        return caps

    @model_validator(mode="after")
    def _consistent(self) -> PlanningRules:
        if self.min_weekly_hours > self.max_weekly_hours:
            raise ValueError("min_weekly_hours must be <= max_weekly_hours")
        if clock_minutes(self.earliest_start) > clock_minutes(self.latest_start):
            raise ValueError("earliest_start must be at or before latest_start")
        return self

    @property
    def earliest_minutes(self) -> int:
        """Minutes after midnight of the earliest start."""
        return clock_minutes(self.earliest_start)

    @property
    def latest_minutes(self) -> int:
        """Minutes after midnight of the latest start."""
        return clock_minutes(self.latest_start)
