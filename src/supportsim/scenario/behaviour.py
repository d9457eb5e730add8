"""How customers and agents behave beyond arriving, waiting and being served: retrials after
abandonment or a busy signal, the queue and backlog carried in at the start, and the rule for
breaks that fall while an agent is on a contact.

These are parts of :class:`~supportsim.scenario.model.Scenario` (``channels[].retrial``,
``initial``, ``breaks``); they live here to keep the model module readable.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from supportsim.scenario.distributions import Distribution
from supportsim.scenario.limits import MAX_INITIAL


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Retrial(_Frozen):
    """Customers who abandon the queue (or get a busy signal) and try again later.

    A retrial is a new attempt by the same customer: same category, work and VIP status, and a
    new patience draw (``patience: new``) or the first attempt's (``same``: a customer who gave
    up quickly once does so again); it goes straight to the human queue (it does not meet the
    bot again).
    """

    probability: float = Field(ge=0, le=1, description="Share of abandoning customers who try again.")
    delay_minutes: Distribution = Field(description="Time from giving up to the next attempt.")
    blocked_probability: float = Field(
        0.0, ge=0, le=1, description="Share of blocked callers (all lines taken) who try again."
    )
    patience: Literal["new", "same"] = Field("new", description="The next attempt's patience: a new draw or the same.")


class InitialQueue(_Frozen):
    """Contacts already in a channel's queue when the run starts (warm start).

    ``waiting`` (realtime) or ``backlog`` (async) contacts, each of an age drawn from an
    exponential distribution of mean ``mean_age_hours`` (at least one millisecond). They
    arrived before the measured window, so they count in no arrival-based statistic (offered,
    service level, ...), but they take agents' time and sit in the queue and backlog.
    """

    waiting: int = Field(0, ge=0, le=MAX_INITIAL)
    backlog: int = Field(0, ge=0, le=MAX_INITIAL)
    mean_age_hours: float = Field(0.0, ge=0, le=24 * 365)

    @model_validator(mode="after")
    def _one_kind(self) -> InitialQueue:
        if self.waiting and self.backlog:
            raise ValueError("give waiting (realtime channels) or backlog (async channels), not both")
        return self

    @property
    def count(self) -> int:
        """Contacts carried in."""
        return self.waiting + self.backlog


class Breaks(_Frozen):
    """What an agent does when a rostered break falls while a contact is in hand.

    ``late`` (default, as centres work): the agent finishes the contact, then takes the full
    break. ``shorten`` (the rule before version 0.3): the break ends on time, shortened by the
    contact, or skipped if the contact outlasts it.
    """

    when_busy: Literal["late", "shorten"] = "late"

