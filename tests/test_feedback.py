"""The feedback stage: survey draws, ``csat`` against its base rate, common random numbers,
and the satisfaction model fitted back from a simulated log.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import supportsim
from supportsim.results.stats import paired_interval
from supportsim.scenario.io import ScenarioError, scenario_from_dict


def _scenario(feedback: dict[str, Any] | None, *, agents: int = 10, days: int = 2, **extra: Any) -> supportsim.Scenario:
    data: dict[str, Any] = {
        "name": "survey",
        "horizon": {"days": days, "interval_minutes": 60},
        "channels": [{"name": "phone", "mode": "realtime", "arrivals": {"per_hour": 100},
                      "patience_seconds": {"dist": "exponential", "mean": 600},
                      "target": {"answer_within_seconds": 20}}],
        "categories": [{"name": "q", "channels": {"phone": 1.0}, "skill": "s",
                        "handle_minutes": {"dist": "exponential", "mean": 5.5}}],
        "groups": [{"name": "desk", "skills": ["s"], "headcount": agents}],
        **extra,
    }
    if feedback is not None:
        data["feedback"] = feedback
    return scenario_from_dict(data)


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


ZERO_EFFECTS = {"per_wait_minute": 0, "per_resolution_hour": 0, "per_escalation": 0, "reopened": 0, "bot_handoff": 0}


def test_csat_with_all_effects_zero_is_the_base_rate_within_its_interval() -> None:
    """P(satisfied) = 0.7 for everyone: the mean csat over replications covers 0.7 (99.9%
    Student-t interval), and responses are half of the resolved (a binomial share).
    """
    feedback = {"survey_share": 1.0, "response_rate": 0.5,
                "satisfaction": {"intercept": _logit(0.7), **ZERO_EFFECTS}}
    result = supportsim.simulate(_scenario(feedback), seed=3, replications=12)
    csat = result.values("channels", "phone", "csat")
    half = stats.t.ppf(0.9995, csat.size - 1) * csat.std(ddof=1) / math.sqrt(csat.size)
    assert abs(csat.mean() - 0.7) <= half, (csat.mean(), half)
    share = result.values("channels", "phone", "responses") / result.values("channels", "phone", "resolved")
    half = stats.t.ppf(0.9995, share.size - 1) * share.std(ddof=1) / math.sqrt(share.size)
    assert abs(share.mean() - 0.5) <= half
    tickets = result.tickets
    assert tickets["satisfied"].notna().sum() == result.values("overall", "", "responses").sum()
    assert tickets.loc[tickets["satisfied"].notna(), "outcome"].isin(["resolved", "deflected"]).all()


def test_no_feedback_section_means_no_responses_and_no_csat() -> None:
    result = supportsim.simulate(_scenario(None, days=1), seed=1)
    assert result.metric("channels", "phone", "responses") == 0
    assert math.isnan(result.metric("channels", "phone", "csat"))
    assert result.tickets["satisfied"].isna().all()


def test_csat_falls_when_waits_grow_on_common_random_numbers() -> None:
    """Two agents fewer make waits longer; with a negative wait coefficient csat falls, and
    the paired 95% interval of the difference lies below 0. The survey's own stream leaves
    the other streams alone: the same customers arrive with or without a survey.
    """
    feedback = {"survey_share": 1.0, "response_rate": 0.3,
                "satisfaction": {"intercept": 2.0, **(ZERO_EFFECTS | {"per_wait_minute": -0.5})}}
    base = supportsim.simulate(_scenario(feedback, agents=10, days=1), seed=5, replications=6)
    fewer = supportsim.simulate(_scenario(feedback, agents=9, days=1), seed=5, replications=6)
    waits = fewer.values("channels", "phone", "asa_seconds") - base.values("channels", "phone", "asa_seconds")
    assert (waits > 0).all()
    mean, half = paired_interval(fewer.values("channels", "phone", "csat") - base.values("channels", "phone", "csat"))
    assert mean + half < 0, (mean, half)
    plain = supportsim.simulate(_scenario(None, agents=10, days=1), seed=5, replications=6)
    np.testing.assert_array_equal(plain.values("channels", "phone", "asa_seconds"),
                                  base.values("channels", "phone", "asa_seconds"))


def test_the_survey_is_reproducible() -> None:
    scenario = _scenario({"response_rate": 0.4}, days=1)
    a = supportsim.simulate(scenario, seed=9).tickets["satisfied"].to_numpy()
    b = supportsim.simulate(scenario, seed=9).tickets["satisfied"].to_numpy()
    np.testing.assert_array_equal(a, b)


# --- the satisfaction model fitted back ------------------------------------------------------

TRUE = {"intercept": 1.5, "per_wait_minute": -0.15, "per_resolution_hour": -0.3, "per_escalation": -0.6,
        "reopened": -0.8, "bot_handoff": -0.5}


def _rich_scenario() -> dict[str, Any]:
    """Waits, escalation, reopens and a bot hand-off (chat only) all vary, so every coefficient
    is estimable."""
    data = _scenario({"survey_share": 1.0, "response_rate": 1.0, "satisfaction": TRUE}, agents=9, days=3,
                     ).model_dump(by_alias=True, exclude_none=True)
    chat = {**data["channels"][0], "name": "chat"}
    data["channels"][0]["arrivals"] = chat["arrivals"] = {"per_hour": 50}
    data["channels"].append(chat)
    data["categories"][0]["channels"] = {"phone": 1.0, "chat": 1.0}
    data["automation"] = [{"name": "bot", "channels": ["chat"], "resolves": {"q": 0.1},
                           "bot_minutes": {"dist": "exponential", "mean": 1}}]
    return data


def _as_log(tickets: pd.DataFrame) -> pd.DataFrame:
    """The simulated tickets as a log's contact table with a ``satisfied`` column."""
    start = pd.Timestamp("2026-01-05")
    created = start + pd.to_timedelta(tickets["arrival_minute"], unit="min")
    return pd.DataFrame({
        "created": created,
        "ended": created + pd.to_timedelta(tickets["resolution_minutes"], unit="min"),
        "wait_seconds": tickets["wait_seconds"].where(tickets["answered"]),
        "escalated": tickets["escalations"],
        "reopened": tickets["reopened"],
        "ivr_seconds": np.where(tickets["bot"], 60.0, 0.0),
        "satisfied": tickets["satisfied"],
    })


@pytest.fixture(scope="module")
def fitted() -> supportsim.SatisfactionFit:
    data = _rich_scenario()
    data["categories"][0]["escalation"] = [{"skill": "t2", "probability": 0.3,
                                            "handle_minutes": {"dist": "exponential", "mean": 20}}]
    data["categories"][0]["follow_up"] = {"probability": 0.2, "delay_hours": {"dist": "exponential", "mean": 24},
                                          "channel": "phone"}
    data["groups"].append({"name": "back", "skills": ["t2"], "headcount": 6})
    result = supportsim.simulate(scenario_from_dict(data), seed=11, replications=2)
    return supportsim.fit_satisfaction(_as_log(result.tickets))


@pytest.mark.parametrize("name", list(TRUE))
def test_known_coefficients_are_fitted_back_within_their_interval(fitted: supportsim.SatisfactionFit,
                                                                  name: str) -> None:
    """Each maximum-likelihood estimate within its 99.9% Wald interval of the true value."""
    assert fitted.responses > 2000 and not fitted.omitted
    z = stats.norm.ppf(0.9995)
    assert abs(fitted.coefficients[name] - TRUE[name]) <= z * fitted.standard_errors[name], (
        name, fitted.coefficients[name], fitted.standard_errors[name])


def test_the_fitted_model_goes_into_a_scenario(fitted: supportsim.SatisfactionFit) -> None:
    scenario = _scenario({"satisfaction": fitted.model.model_dump()}, days=1)
    assert scenario.feedback is not None and scenario.feedback.satisfaction == fitted.model


def test_a_log_that_cannot_give_a_fit_says_why_in_one_line() -> None:
    base = pd.DataFrame({"wait_seconds": np.arange(100.0), "satisfied": [1, 0] * 50})
    with pytest.raises(ValueError, match="no 'satisfied' column"):
        supportsim.fit_satisfaction(base.drop(columns="satisfied"))
    with pytest.raises(ValueError, match="at least 30"):
        supportsim.fit_satisfaction(base.head(10))
    with pytest.raises(ValueError, match="every response is the same"):
        supportsim.fit_satisfaction(base.assign(satisfied="yes"))
    fit = supportsim.fit_satisfaction(base.assign(satisfied=["y", "n"] * 50))
    assert fit.omitted == ["per_resolution_hour", "per_escalation", "reopened", "bot_handoff"]
    assert fit.model.reopened == 0 and fit.csat == 0.5


def test_bad_feedback_fields_name_the_field() -> None:
    with pytest.raises(ScenarioError, match=r"feedback.*response_rate"):
        _scenario({"response_rate": 1.5})
    with pytest.raises(ScenarioError, match=r"feedback.*satisfaction.*nope"):
        _scenario({"satisfaction": {"nope": 1}})


def test_a_customer_gets_the_same_survey_draws_whatever_the_staffing() -> None:
    """With no effects, satisfaction depends on the ticket's own uniforms only: a customer
    resolved in both runs answers the same, although their tickets finish in another order.
    """
    feedback = {"survey_share": 1.0, "response_rate": 0.5, "satisfaction": {"intercept": 0.0, **ZERO_EFFECTS}}
    a = supportsim.simulate(_scenario(feedback, agents=10, days=1), seed=2).tickets.set_index("ticket_id")
    b = supportsim.simulate(_scenario(feedback, agents=9, days=1), seed=2).tickets.set_index("ticket_id")
    both = a.index.intersection(b.index)
    resolved = both[(a.loc[both, "outcome"] == "resolved") & (b.loc[both, "outcome"] == "resolved")]
    assert len(resolved) > 1000
    order_a = a.loc[resolved, "resolution_minutes"] + a.loc[resolved, "arrival_minute"]
    order_b = b.loc[resolved, "resolution_minutes"] + b.loc[resolved, "arrival_minute"]
    assert (order_a.rank().to_numpy() != order_b.rank().to_numpy()).any()  # they finish in another order
    np.testing.assert_array_equal(a.loc[resolved, "satisfied"].to_numpy(), b.loc[resolved, "satisfied"].to_numpy())


def test_fit_on_a_csv_log_with_a_satisfied_column_writes_the_feedback_section(tmp_path) -> None:
    """``supportsim fit`` with a mapping that names ``satisfied``: the fitted scenario's
    ``feedback.satisfaction`` recovers the wait coefficient the log was simulated with.
    """
    from typer.testing import CliRunner

    from supportsim.cli import app

    truth = {"intercept": 1.5, "per_wait_minute": -0.3, "per_resolution_hour": 0.0, "per_escalation": 0.0,
             "reopened": 0.0, "bot_handoff": 0.0}
    scenario = _scenario({"survey_share": 1.0, "response_rate": 0.5, "satisfaction": truth}, agents=9, days=3)
    tickets = supportsim.simulate(scenario, seed=5).tickets
    start = pd.Timestamp("2026-01-05")
    created = start + pd.to_timedelta(tickets["arrival_minute"], unit="min")
    answered = created + pd.to_timedelta(tickets["wait_seconds"].where(tickets["answered"]), unit="s")
    log = pd.DataFrame({
        "created": created.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "answered": answered.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "resolved": (created + pd.to_timedelta(tickets["resolution_minutes"], unit="min")).dt.strftime(
            "%Y-%m-%d %H:%M:%S"),
        "outcome": np.where(tickets["answered"], "served", "abandoned"),
        "satisfied": tickets["satisfied"].map(lambda v: "" if pd.isna(v) else ("yes" if v else "no")),
    })
    log = log[tickets["outcome"].isin(["resolved", "abandoned"]).to_numpy()]
    (tmp_path / "log.csv").write_text(log.to_csv(index=False))
    (tmp_path / "map.yaml").write_text(
        "created: created\nanswered: answered\nresolved: resolved\noutcome: outcome\nsatisfied: satisfied\n"
    )
    output = tmp_path / "fitted.yaml"
    args = ["fit", str(tmp_path / "log.csv"), "--format", "csv", "--mapping", str(tmp_path / "map.yaml"),
            "--interval-minutes", "60", "-o", str(output)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    fitted = supportsim.load_scenario(output).feedback
    assert fitted is not None
    report = pd.read_json(tmp_path / "fitted_fit_report" / "fit_report.json", typ="series")["satisfaction"]
    z = stats.norm.ppf(0.9995)
    for name in ("intercept", "per_wait_minute"):
        value = getattr(fitted.satisfaction, name)
        assert abs(value - truth[name]) <= z * report["standard_errors"][name], (name, value)
    responses = int(tickets["satisfied"].notna().sum())
    assert report["responses"] == responses
    assert fitted.response_rate == pytest.approx(responses / int((log["outcome"] == "served").sum()), abs=1e-4)
