"""The satisfaction model of the feedback stage, estimated from a log with survey answers.

A log whose contact table has a ``satisfied`` column (1/0, or true/false; empty where the
contact gave no answer: the generic CSV reader maps it like any other column) gives one row
per survey response. :func:`fit_satisfaction` fits the logistic model of
:class:`~supportsim.scenario.feedback.Satisfaction` on those rows by maximum likelihood
(``statsmodels`` Logit) and returns the coefficients, their standard errors and the model
ready for a scenario's ``feedback.satisfaction``.

Covariates from the contact table (:data:`~supportsim.calibration.logs.CONTACT_COLUMNS`):
``wait_seconds`` / 60 (``per_wait_minute``), (``ended`` − ``created``) in hours
(``per_resolution_hour``), ``escalated`` as 0/1 (``per_escalation``: the log says whether a
contact was escalated, not how many times), ``reopened`` and, for ``bot_handoff``, whether
the contact spent time in the IVR or bot before a human (``ivr_seconds`` > 0). A covariate
the log does not know (all empty) or that does not vary is left out: its coefficient is 0
and it is listed in ``omitted``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from supportsim.scenario.feedback import Satisfaction

COVARIATES = {
    "per_wait_minute": "first wait in the human queue, minutes",
    "per_resolution_hour": "arrival to resolution, hours",
    "per_escalation": "escalated at least once (0/1)",
    "reopened": "reopened after resolution (0/1)",
    "bot_handoff": "went through the IVR or bot before a human (0/1)",
}
"""The model's coefficients (besides ``intercept``) and the covariate each multiplies."""

MIN_RESPONSES = 30
"""Fewest survey responses a fit is attempted on."""


@dataclass(frozen=True)
class SatisfactionFit:
    """A fitted satisfaction model: ``model`` for a scenario's ``feedback.satisfaction``,
    ``coefficients`` and ``standard_errors`` by name (``intercept`` included), the number of
    ``responses`` used, the observed share satisfied (``csat``) and the covariates ``omitted``.
    """

    model: Satisfaction
    coefficients: dict[str, float]
    standard_errors: dict[str, float]
    responses: int
    csat: float
    omitted: list[str] = field(default_factory=list)


def _flag(values: pd.Series) -> pd.Series:
    """0/1 (float, NaN unknown) from booleans, numbers or text such as yes/no, true/false."""
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        text = values.astype("string").str.strip().str.lower()
        mapped = text.map({"1": 1.0, "0": 0.0, "true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0,
                           "y": 1.0, "n": 0.0, "1.0": 1.0, "0.0": 0.0})
        return mapped.astype(float)
    return pd.to_numeric(values.astype("Float64"), errors="coerce").astype(float)


def satisfaction_table(contacts: pd.DataFrame) -> pd.DataFrame:
    """One row per survey response: ``satisfied`` (0/1) and one column per covariate of
    :data:`COVARIATES` (NaN where the log does not say).
    """
    if "satisfied" not in contacts.columns:
        raise ValueError("the log has no 'satisfied' column (map one in the column mapping)")
    nan = pd.Series(math.nan, index=contacts.index)

    def column(name: str) -> pd.Series:
        return contacts[name] if name in contacts.columns else nan

    resolution = (pd.to_datetime(column("ended")) - pd.to_datetime(column("created"))).dt.total_seconds() / 3600.0
    ivr = pd.to_numeric(column("ivr_seconds"), errors="coerce")
    table = pd.DataFrame(
        {
            "satisfied": _flag(contacts["satisfied"]),
            "per_wait_minute": pd.to_numeric(column("wait_seconds"), errors="coerce") / 60.0,
            "per_resolution_hour": resolution,
            "per_escalation": _flag(column("escalated")),
            "reopened": _flag(column("reopened")),
            "bot_handoff": (ivr > 0).astype(float).where(ivr.notna()),
        }
    )
    return table[table["satisfied"].isin([0.0, 1.0])].reset_index(drop=True)


def fit_satisfaction(contacts: pd.DataFrame) -> SatisfactionFit:
    """Fit the logistic satisfaction model on the survey responses of a contact table.

    Raises ``ValueError`` (one line) when the log has no ``satisfied`` column, fewer than
    :data:`MIN_RESPONSES` responses, or answers that leave the model undetermined (all
    satisfied, all not, or a covariate that separates them perfectly).
    """
    import statsmodels.api as sm  # heavy: imported when a fit is asked for

    table = satisfaction_table(contacts)
    used: list[str] = []
    omitted: list[str] = []
    for name in COVARIATES:
        known = table[name].dropna()
        (used if known.size and known.nunique() > 1 else omitted).append(name)
    table = table.dropna(subset=used)
    if len(table) < MIN_RESPONSES:
        raise ValueError(f"satisfied: {len(table)} survey responses; at least {MIN_RESPONSES} are needed for a fit")
    y = table["satisfied"].to_numpy()
    if y.min() == y.max():
        raise ValueError("satisfied: every response is the same; the model cannot be estimated")
    x = sm.add_constant(table[used].to_numpy(dtype=float), has_constant="add")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = sm.Logit(y, x).fit(disp=0, maxiter=200)
    except (np.linalg.LinAlgError, ValueError) as error:  # PerfectSeparationError is a ValueError
        raise ValueError(f"satisfied: the logistic model cannot be estimated ({error})") from None
    names = ["intercept", *used]
    params = dict(zip(names, map(float, result.params), strict=True))
    errors = dict(zip(names, map(float, result.bse), strict=True))
    if not all(math.isfinite(v) and abs(v) <= 20 for v in params.values()):
        raise ValueError("satisfied: the fitted coefficients diverge (a covariate separates the answers)")
    values = {name: params.get(name, 0.0) for name in ("intercept", *COVARIATES)}
    return SatisfactionFit(
        model=Satisfaction(**values),
        coefficients=values,
        standard_errors=errors,
        responses=len(table),
        csat=float(y.mean()),
        omitted=omitted,
    )


def feedback_section(contacts: pd.DataFrame) -> tuple[dict[str, object] | None, dict[str, object]]:
    """The fitted scenario's ``feedback:`` section and its report entry, from a contact table.

    Without survey answers (no ``satisfied`` column, or none answered) the section is None and
    the report says why. ``survey_share`` is 1 and ``response_rate`` the share of served
    contacts that answered (the log cannot tell unsurveyed from silent customers).
    """
    if "satisfied" not in contacts.columns or not contacts["satisfied"].notna().any():
        return None, {"fitted": False, "reason": "the log has no survey answers (map a 'satisfied' column)"}
    try:
        fitted = fit_satisfaction(contacts)
    except ValueError as error:
        return None, {"fitted": False, "reason": str(error)}
    served = int((contacts["outcome"] == "served").sum()) if "outcome" in contacts.columns else 0
    rate = min(1.0, fitted.responses / served) if served else 1.0
    section: dict[str, object] = {
        "survey_share": 1.0,
        "response_rate": round(rate, 4),
        "satisfaction": {name: round(value, 4) for name, value in fitted.coefficients.items()},
    }
    report: dict[str, object] = {
        "fitted": True,
        "responses": fitted.responses,
        "csat": fitted.csat,
        "coefficients": fitted.coefficients,
        "standard_errors": fitted.standard_errors,
        "omitted": fitted.omitted,
    }
    return section, report
