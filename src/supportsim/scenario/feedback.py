"""The feedback stage of a scenario: who is surveyed after resolution, who answers, and a
logistic model of whether a respondent is satisfied.

Part of :class:`~supportsim.scenario.model.Scenario` (``feedback:``). The default
coefficients are illustrative, not measured: set them from your own survey data
(``supportsim.fit_satisfaction`` estimates them from a log with a ``satisfied`` column).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Satisfaction(_Frozen):
    """Logistic model of P(satisfied): ``1 / (1 + exp(-z))`` with
    ``z = intercept + per_wait_minute·wait + per_resolution_hour·resolution + per_escalation·escalations
    + reopened·[reopens] + bot_handoff·[came through a bot]``.

    ``wait`` is the first wait in the human queue (minutes, 0 if none), ``resolution`` is arrival
    to resolution (hours). The defaults are illustrative (a base rate of about 88%).
    """

    intercept: float = Field(2.0, ge=-20, le=20, description="Log-odds of satisfaction with no wait and no effect.")
    per_wait_minute: float = Field(-0.05, ge=-20, le=20, description="Change of log-odds per minute of first wait.")
    per_resolution_hour: float = Field(
        -0.02, ge=-20, le=20, description="Change of log-odds per hour from arrival to resolution."
    )
    per_escalation: float = Field(-0.4, ge=-20, le=20, description="Change of log-odds per escalation tier.")
    reopened: float = Field(-0.8, ge=-20, le=20, description="Change of log-odds when the ticket will reopen.")
    bot_handoff: float = Field(
        -0.3, ge=-20, le=20, description="Change of log-odds for a contact handed from a bot to a human."
    )

    def probability(
        self, wait_minutes: float, resolution_hours: float, escalations: int, reopened: bool, bot_handoff: bool
    ) -> float:
        """P(satisfied) of one respondent (0-1)."""
        z = (
            self.intercept
            + self.per_wait_minute * wait_minutes
            + self.per_resolution_hour * resolution_hours
            + self.per_escalation * escalations
            + (self.reopened if reopened else 0.0)
            + (self.bot_handoff if bot_handoff else 0.0)
        )
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


class Feedback(_Frozen):
    """The survey after resolution: a share of resolved customers is surveyed, a share of those
    responds, and each respondent is satisfied with the probability of :class:`Satisfaction`.

    Tickets resolved by a human or deflected by a bot are surveyed; abandoned, blocked and
    open ones are not.
    """

    survey_share: float = Field(1.0, ge=0, le=1, description="Share of resolved customers who get a survey.")
    response_rate: float = Field(0.25, ge=0, le=1, description="Share of surveyed customers who respond.")
    satisfaction: Satisfaction = Satisfaction()
