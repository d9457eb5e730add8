"""The scenario: a support operation described as pure data.

A :class:`Scenario` is what a YAML file says, validated: channels and their arrival
profiles, ticket categories with their escalation paths, automation in front of
channels, agent groups with skills and schedules, and routing rules. It holds no
randomness and runs nothing; :mod:`supportsim.engine.replication` turns it into a simulation.

Units are in the key names: ``handle_minutes``, ``patience_seconds``,
``answer_within_seconds``, ``respond_within_hours``. Weekdays are written
``mon`` .. ``sun``; clock times ``"HH:MM"``.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from supportsim.scenario.behaviour import Breaks, InitialQueue, Retrial
from supportsim.scenario.calendar import WEEKDAYS, Weekday, clock_minutes
from supportsim.scenario.checks import cross_check
from supportsim.scenario.distributions import Distribution
from supportsim.scenario.feedback import Feedback
from supportsim.scenario.limits import MAX_AMOUNT, MAX_DURATION, MAX_HEADCOUNT, MAX_LINES
from supportsim.scenario.planning_rules import PlanningRules

Share = float  # a probability in [0, 1]


class ScenarioInvalid(ValueError):
    """A scenario that parses but contradicts itself; ``problems`` pairs a field path with a message."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Horizon(_Frozen):
    """How long to simulate. Measurement starts at 00:00 of day 1, after the warm-up."""

    days: int = Field(gt=0, le=400, description="Measured days.")
    interval_minutes: Literal[15, 30, 60] = Field(30, description="Reporting and planning interval.")
    warmup_hours: float = Field(0.0, ge=0, le=24 * 28, description="Simulated before day 1 and not measured.")
    start_weekday: Weekday = Field("mon", description="Weekday of day 1.")

    @property
    def intervals_per_day(self) -> int:
        """Number of intervals in a day."""
        return 1440 // self.interval_minutes

    @property
    def intervals(self) -> int:
        """Number of measured intervals."""
        return self.days * self.intervals_per_day


class Arrivals(_Frozen):
    """Arrival rate of new contacts: give exactly one of the four forms.

    - ``per_hour``: a constant rate.
    - ``per_day`` with ``intraday`` weights (one per interval of the day, or one per hour;
      normalised to sum to 1) and ``weekday`` multipliers (missing days count 1.0).
    - ``rates_per_hour``: a table of rates, one per interval of a day (repeated daily) or
      one per interval of the whole horizon.
    - ``csv``: a CSV file (path relative to the scenario file) with a ``per_hour`` column,
      read into ``rates_per_hour`` when the scenario is loaded.

    ``daily_cv`` adds day-to-day volume uncertainty: each day's rates are multiplied by a
    gamma variable of mean 1 and this coefficient of variation.
    """

    per_hour: float | None = Field(None, ge=0)
    per_day: float | None = Field(None, ge=0)
    intraday: list[float] | None = None
    weekday: dict[Weekday, float] | None = None
    rates_per_hour: list[float] | None = None
    csv: str | None = None
    daily_cv: float = Field(0.0, ge=0, le=2)

    @field_validator("intraday", "rates_per_hour")
    @classmethod
    def _non_negative_list(cls, values: list[float] | None) -> list[float] | None:
        if values is not None:
            if any(v < 0 or not math.isfinite(v) for v in values):
                raise ValueError("values must be finite and >= 0")
            if any(v > MAX_AMOUNT for v in values):
                raise ValueError(f"values must be <= {MAX_AMOUNT:g}")
            if not values:
                raise ValueError("must not be empty")
        return values

    @field_validator("weekday")
    @classmethod
    def _non_negative_weekday(cls, values: dict[str, float] | None) -> dict[str, float] | None:
        if values is not None and any(v < 0 for v in values.values()):
            raise ValueError("weekday multipliers must be >= 0")
        if values is not None and any(v > MAX_AMOUNT for v in values.values()):
            raise ValueError(f"weekday multipliers must be <= {MAX_AMOUNT:g}")
        return values

    @model_validator(mode="after")
    def _one_form(self) -> Arrivals:
        given = [k for k in ("per_hour", "per_day", "rates_per_hour", "csv") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of per_hour, per_day, rates_per_hour, csv")
        if self.per_day is None and (self.intraday is not None or self.weekday is not None):
            raise ValueError("intraday and weekday weights go with per_day")
        if self.intraday is not None and sum(self.intraday) <= 0:
            raise ValueError("intraday weights must not all be zero")
        return self


class Concurrency(_Frozen):
    """Chat concurrency: conversations one agent holds at once.

    A conversation that starts while the agent already holds ``k`` others takes
    ``1 + slowdown * k`` times its drawn handle time. A new conversation goes, within a
    group, to an idle agent before one who already holds some (``assign: idle_first``, the
    default), or to the agent holding the most who still has room (``fill_first``).
    """

    max: int = Field(1, ge=1, le=10)
    slowdown: float = Field(0.0, ge=0, le=5)
    assign: Literal["idle_first", "fill_first"] = "idle_first"


class Target(_Frozen):
    """Service target of a channel.

    Realtime channels: ``answer_within_seconds`` for ``service_level`` of contacts.
    Async channels: first response within ``respond_within_hours`` for ``service_level``.
    ``max_abandon_rate`` is an optional ceiling used by the staffing planner.
    ``formula`` says which contacts the service level counts (see docs/metrics.md);
    ``fcr_window_days`` is the repeat-contact window of ``first_contact_resolution``.
    """

    answer_within_seconds: float | None = Field(None, gt=0, le=MAX_DURATION)
    respond_within_hours: float | None = Field(None, gt=0, le=MAX_DURATION)
    service_level: float = Field(0.8, gt=0, le=1)
    max_abandon_rate: float | None = Field(None, ge=0, le=1)
    formula: Literal["all_offered", "answered_only", "exclude_short_abandons"] = Field(
        "all_offered", description="Service-level denominator: all contacts, answered only, or without short abandons."
    )
    short_abandon_seconds: float | None = Field(
        None, gt=0, le=MAX_DURATION, description="Abandons within this many seconds are left out."
    )
    fcr_window_days: float = Field(7.0, gt=0, le=365, description="A follow-up within this many days is a repeat.")

    @model_validator(mode="after")
    def _one_threshold(self) -> Target:
        if (self.answer_within_seconds is None) == (self.respond_within_hours is None):
            raise ValueError("give exactly one of answer_within_seconds, respond_within_hours")
        if (self.formula == "exclude_short_abandons") != (self.short_abandon_seconds is not None):
            raise ValueError("short_abandon_seconds goes with formula: exclude_short_abandons, and only with it")
        return self


class Channel(_Frozen):
    """A contact channel: ``realtime`` (phone, chat) or ``async`` (email, social, web form)."""

    name: str = Field(min_length=1)
    mode: Literal["realtime", "async"]
    arrivals: Arrivals
    patience_seconds: Distribution | None = Field(
        None, description="Time a waiting customer stays before abandoning (realtime only)."
    )
    concurrency: Concurrency = Concurrency()
    target: Target | None = None
    vip_share: Share = Field(0.0, ge=0, le=1, description="Share of contacts that are VIP.")
    lines: int | None = Field(
        None,
        ge=1,
        le=MAX_LINES,
        description="Most contacts of this channel in the system at once (bot, queue or first-tier "
        "service); more are blocked (busy signal).",
    )
    retrial: Retrial | None = Field(None, description="Customers who abandon or are blocked try again.")
    at_close: Literal["wait", "disconnect"] = Field(
        "wait",
        description="disconnect: contacts waiting when no agent who serves them is on shift are disconnected.",
    )

    @model_validator(mode="after")
    def _mode_rules(self) -> Channel:
        if self.mode == "async" and self.patience_seconds is not None:
            raise ValueError("async channels have no patience_seconds (customers do not abandon)")
        if self.mode == "async" and self.retrial is not None:
            raise ValueError("async channels have no retrial (their customers do not abandon)")
        if self.target is not None:
            if self.mode == "realtime" and self.target.answer_within_seconds is None:
                raise ValueError("a realtime channel's target is answer_within_seconds")
            if self.mode == "async" and self.target.respond_within_hours is None:
                raise ValueError("an async channel's target is respond_within_hours")
        return self

    @property
    def target_seconds(self) -> float:
        """The target's time limit in seconds (answer within, or first response within); NaN
        without a target.
        """
        if self.target is None:
            return math.nan
        if self.target.answer_within_seconds is not None:
            return float(self.target.answer_within_seconds)
        assert self.target.respond_within_hours is not None
        return self.target.respond_within_hours * 3600.0


class Tier(_Frozen):
    """One escalation step: the ticket moves on with ``probability`` from the tier before."""

    skill: str = Field(min_length=1)
    probability: Share = Field(ge=0, le=1)
    handle_minutes: Distribution
    handoff_minutes: Distribution | None = Field(None, description="Delay before it joins the queue.")


class FollowUp(_Frozen):
    """A resolved ticket comes back (reopens) as a new contact after a delay."""

    probability: Share = Field(ge=0, le=1)
    delay_hours: Distribution
    channel: str


class Category(_Frozen):
    """A ticket type: which channels bring it, who handles it, and where it escalates."""

    name: str = Field(min_length=1)
    channels: dict[str, Share] = Field(min_length=1, description="Share of each channel's contacts.")
    skill: str = Field(min_length=1)
    handle_minutes: Distribution
    escalation: list[Tier] = []
    follow_up: FollowUp | None = None

    @field_validator("channels")
    @classmethod
    def _shares(cls, shares: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= v <= 1 for v in shares.values()):
            raise ValueError("shares must be between 0 and 1")
        return shares


class Handoff(_Frozen):
    """What happens to contacts the bot passes on to humans."""

    priority: int = Field(0, ge=0, le=9)
    extra_handle_minutes: float = Field(0.0, ge=0, le=MAX_DURATION)


class Automation(_Frozen):
    """A bot or self-service step in front of channels."""

    name: str = Field(min_length=1)
    channels: list[str] = Field(min_length=1)
    resolves: dict[str, Share] = Field(description="Share of each category the bot resolves.")
    bot_minutes: Distribution
    abandon: Share = Field(0.0, ge=0, le=1, description="Share of the unresolved who leave in the bot.")
    handoff: Handoff = Handoff()
    cost_per_conversation: float = Field(0.0, ge=0, le=MAX_AMOUNT)

    @field_validator("resolves")
    @classmethod
    def _shares(cls, shares: dict[str, float]) -> dict[str, float]:
        if any(not 0 <= v <= 1 for v in shares.values()):
            raise ValueError("shares must be between 0 and 1")
        return shares


class Break(_Frozen):
    """One unpaid-from-the-queue break inside a shift."""

    after_hours: float = Field(gt=0)
    minutes: float = Field(gt=0, le=240)


class Shift(_Frozen):
    """``count`` agents working from ``start`` for ``hours`` on the given weekdays."""

    start: str
    hours: float = Field(gt=0, le=24)
    count: int = Field(ge=0, le=MAX_HEADCOUNT)
    weekdays: list[Weekday] = list(WEEKDAYS)
    break_: Break | None = Field(None, alias="break")

    @field_validator("start", mode="before")
    @classmethod
    def _clock(cls, text: object) -> str:
        if not isinstance(text, str):
            raise ValueError('clock times must be quoted, e.g. start: "09:00"')
        clock_minutes(text)
        return text

    @model_validator(mode="after")
    def _break_inside(self) -> Shift:
        if self.break_ is not None and self.break_.after_hours * 60 + self.break_.minutes > self.hours * 60:
            raise ValueError("the break must end before the shift does")
        return self

    @property
    def start_minutes(self) -> int:
        """Minutes after midnight when the shift starts."""
        return clock_minutes(self.start)


class Group(_Frozen):
    """A team of agents sharing skills and a schedule.

    Give exactly one of ``headcount`` (constant), ``headcount_per_interval`` (one per interval
    of a day, repeated daily, or one per interval of the horizon) or ``shifts``. Headcount is
    people rostered; ``shrinkage`` is the share of them not available for contacts, so the
    engine staffs ``round(headcount * (1 - shrinkage))`` agents.
    """

    name: str = Field(min_length=1)
    skills: list[str] = Field(min_length=1)
    proficiency: dict[str, float] = Field(
        default_factory=dict, description="Handle-time multiplier per skill (1.2 = 20% slower)."
    )
    headcount: int | None = Field(None, ge=0, le=MAX_HEADCOUNT)
    headcount_per_interval: list[int] | None = None
    shifts: list[Shift] | None = None
    shrinkage: float = Field(0.0, ge=0, lt=1)
    cost_per_hour: float = Field(0.0, ge=0, le=MAX_AMOUNT)

    @field_validator("headcount_per_interval")
    @classmethod
    def _counts(cls, counts: list[int] | None) -> list[int] | None:
        if counts is not None and (not counts or min(counts) < 0):
            raise ValueError("must be a non-empty list of counts >= 0")
        if counts is not None and max(counts) > MAX_HEADCOUNT:
            raise ValueError(f"counts must be <= {MAX_HEADCOUNT:,} (agents of one group at one time)")
        return counts

    @field_validator("proficiency")
    @classmethod
    def _factors(cls, factors: dict[str, float]) -> dict[str, float]:
        if any(not 0 < v <= 10 for v in factors.values()):
            raise ValueError("handle-time multipliers must be > 0 and <= 10")
        return factors

    @model_validator(mode="after")
    def _one_schedule(self) -> Group:
        given = [k for k in ("headcount", "headcount_per_interval", "shifts") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of headcount, headcount_per_interval, shifts")
        return self


class Route(_Frozen):
    """A group that serves a skill, once a ticket has waited ``after_seconds`` (overflow)."""

    group: str
    after_seconds: float = Field(0.0, ge=0, le=MAX_DURATION)


class Priorities(_Frozen):
    """Queue priorities (higher is served first) of special tickets; ordinary tickets have 0.

    ``vip_credit_seconds`` replaces the VIP's strict level by a waiting credit: a VIP contact
    waits in the ordinary queue, ordered as if it had arrived that many seconds earlier.
    """

    escalated: int = Field(1, ge=0, le=9)
    vip: int = Field(2, ge=0, le=9)
    vip_credit_seconds: float = Field(0.0, ge=0, le=MAX_DURATION)


class Routing(_Frozen):
    """Skill-based routing.

    ``skills`` lists, per skill, the groups that serve it in preference order (default:
    every group with the skill, in file order, without delay). ``group_choice`` picks, for a
    new contact, among the listed groups with a free agent (and whose ``after_seconds`` has
    passed): ``preference`` the first listed; ``longest_idle`` the agent idle longest across
    them; ``proportional_to_free`` a group with probability proportional to its free agents,
    then its longest-idle agent; ``random_free`` a uniformly random free agent. A freed agent
    serves waiting tickets realtime before async (when ``realtime_first``), then by
    priority, then longest waiting first.
    """

    skills: dict[str, list[Route]] = {}
    priority: Priorities = Priorities()
    realtime_first: bool = True
    group_choice: Literal["preference", "longest_idle", "proportional_to_free", "random_free"] = "preference"


class Scenario(_Frozen):
    """A whole support operation, as written in a scenario file."""

    name: str = Field(min_length=1)
    description: str = ""
    horizon: Horizon
    channels: list[Channel] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    automation: list[Automation] = []
    groups: list[Group] = Field(min_length=1)
    routing: Routing = Routing()
    planning: PlanningRules = PlanningRules()
    initial: dict[str, InitialQueue] = Field(
        default_factory=dict, description="Per channel: contacts waiting or in the backlog at time 0."
    )
    breaks: Breaks = Breaks()
    feedback: Feedback | None = Field(None, description="The survey after resolution (CSAT); none by default.")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        problems = cross_check(self)
        if problems:
            raise ScenarioInvalid(problems)
        return self

    def channel(self, name: str) -> Channel:
        """The channel called ``name``."""
        return next(c for c in self.channels if c.name == name)

    def skills_needed(self) -> list[str]:
        """Every skill some ticket needs, in order of first mention."""
        skills: dict[str, None] = {}
        for category in self.categories:
            skills[category.skill] = None
            for tier in category.escalation:
                skills[tier.skill] = None
        return list(skills)

    def routes(self, skill: str) -> list[Route]:
        """The groups serving ``skill`` in preference order."""
        if skill in self.routing.skills:
            return self.routing.skills[skill]
        return [Route(group=g.name) for g in self.groups if skill in g.skills]
