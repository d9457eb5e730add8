"""The engine against exact queueing theory.

Each check runs independent replications with fixed seeds and compares the mean over
replications with the exact value using the replications' own Student-t confidence
interval. Every comparison uses a two-sided level of ``1 - ALPHA`` with ALPHA = 0.001:
with the ~120 comparisons in this file, a correct engine fails one of them with
probability of about 11% for a random seed, and the seeds are fixed. Nothing here is a
golden number: the exact values come from :mod:`supportsim.planning.analytic` or from closed
forms written out in the test.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

import supportsim
from supportsim.planning import analytic
from supportsim.results.simulation import SimulationResult
from supportsim.scenario.io import scenario_from_dict
from tests.conftest import exp, mmc, with_channel

ALPHA = 0.001


def assert_matches(values: np.ndarray, exact: float, what: str) -> None:
    """The exact value lies in the (1 - ALPHA) t-interval of the replications' mean."""
    values = np.asarray(values, dtype=float)
    n = values.size
    mean = values.mean()
    half = stats.t.ppf(1 - ALPHA / 2, n - 1) * values.std(ddof=1) / math.sqrt(n)
    assert abs(mean - exact) <= half, f"{what}: simulated {mean:.6g} ± {half:.3g}, exact {exact:.6g}"


def per_replication(result: SimulationResult, fn: Any) -> np.ndarray:
    """Apply ``fn`` to each replication's ticket table."""
    return np.array([fn(group) for _, group in result.tickets.groupby("replication")])


WAIT_POINTS = (10.0, 30.0, 60.0, 120.0)
"""Seconds at which a waiting-time distribution is compared with Erlang C's."""


def assert_erlang_c_waits(waits: Any, per_hour: float, aht_minutes: float, agents: int, what: str) -> None:
    """The waits (one Series per replication, answered contacts only) follow M/M/c's law:
    P(W > t) = C exp(-(c mu - lambda) t) at t = 0 and every t of :data:`WAIT_POINTS`."""
    load = per_hour * aht_minutes / 60
    drain = agents / (aht_minutes * 60) - per_hour / 3600  # c mu - lambda, per second
    assert_exponential_waits(waits, analytic.erlang_c(agents, load), drain, what)


def assert_exponential_waits(waits: Any, p_wait: float, drain: float, what: str) -> None:
    """The waits (one Series per replication) follow P(W > t) = p_wait exp(-drain t), ``drain``
    per second, at t = 0 and every t of :data:`WAIT_POINTS`."""
    for t in (0.0, *WAIT_POINTS):
        shares = np.array([float((w > t).mean()) for w in waits])
        assert_matches(shares, p_wait * math.exp(-drain * t), f"{what}: P(W > {t:g} s)")


def waits_by_replication(result: SimulationResult, select: Any = None, column: str = "wait_seconds") -> list[Any]:
    """Per replication, ``column`` of the answered tickets that ``select(tickets)`` keeps."""
    out = []
    for _, tickets in result.tickets.groupby("replication"):
        keep = tickets["answered"] if select is None else tickets["answered"] & select(tickets)
        out.append(tickets.loc[keep, column])
    return out


# --- M/M/c: Erlang C -------------------------------------------------------------------

ERLANG_C_CASES = [
    # (load per agent, agents, replications, days)
    (0.70, 8, 10, 10),
    (0.80, 10, 10, 10),
    (0.90, 12, 16, 15),
    (0.95, 20, 24, 15),
]


@pytest.mark.parametrize(("rho", "agents", "replications", "days"), ERLANG_C_CASES)
def test_mmc_matches_erlang_c(rho: float, agents: int, replications: int, days: int) -> None:
    aht_minutes = 6.0
    per_hour = rho * agents * 60 / aht_minutes
    load = per_hour * aht_minutes / 60
    target = 20.0
    scenario = mmc(per_hour=per_hour, handle_minutes=aht_minutes, agents=agents, days=days, warmup_hours=24,
                   answer_within_seconds=target)
    result = supportsim.simulate(scenario, seed=1000 + agents, replications=replications)

    p_wait = analytic.erlang_c(agents, load)
    assert_matches(per_replication(result, lambda t: (t["wait_seconds"] > 0)[t["answered"]].mean()), p_wait, "P(wait)")
    assert_matches(
        result.values("channels", "phone", "service_level"),
        analytic.erlang_c_service_level(agents, load, aht_minutes * 60, target),
        "service level",
    )
    assert_matches(
        result.values("channels", "phone", "asa_seconds"),
        analytic.erlang_c_asa_seconds(agents, load, aht_minutes * 60),
        "ASA",
    )
    assert_matches(result.values("groups", "agents", "utilization"), rho, "utilization")
    # time-average queue length: Lq = C * a / (n - a)
    assert_matches(result.values("channels", "phone", "mean_waiting"), p_wait * load / (agents - load), "Lq")
    # the waiting-time distribution, not only its mean
    assert_erlang_c_waits(waits_by_replication(result), per_hour, aht_minutes, agents, "M/M/c")


# --- M/M/c+M: Erlang A -----------------------------------------------------------------

@pytest.mark.parametrize(("per_hour", "agents", "patience"), [(100, 10, 180.0), (150, 12, 60.0), (80, 7, 300.0)])
def test_mmc_with_abandonment_matches_erlang_a(per_hour: float, agents: int, patience: float) -> None:
    aht_minutes, target = 6.0, 20.0
    scenario = mmc(per_hour=per_hour, handle_minutes=aht_minutes, agents=agents, days=10,
                   patience_seconds=patience, answer_within_seconds=target)
    result = supportsim.simulate(scenario, seed=agents, replications=12)
    exact = analytic.erlang_a(agents, per_hour, aht_minutes * 60, patience, target)
    assert_matches(result.values("channels", "phone", "abandon_rate"), exact.abandon_rate, "abandonment")
    assert_matches(result.values("channels", "phone", "service_level"), exact.service_level, "service level")
    assert_matches(
        result.values("channels", "phone", "service_level_answered"), exact.service_level_answered, "SL answered"
    )
    assert_matches(result.values("channels", "phone", "asa_seconds"), exact.asa_seconds, "ASA of answered")
    assert_matches(result.values("channels", "phone", "mean_waiting"), exact.mean_queue, "mean queue")
    assert_matches(result.values("groups", "agents", "utilization"), exact.occupancy, "occupancy")
    assert_matches(
        per_replication(result, lambda t: (t["wait_seconds"] > 0).mean()), exact.p_wait, "P(wait)"
    )


# --- Tandem tiers: a Jackson network ---------------------------------------------------

def _mm_c_sojourn_minutes(per_hour: float, aht_minutes: float, agents: int) -> float:
    load = per_hour * aht_minutes / 60
    return analytic.erlang_c_asa_seconds(agents, load, aht_minutes * 60) / 60 + aht_minutes


def test_two_tier_escalation_matches_jackson_network() -> None:
    per_hour, p = 90.0, 0.3
    t1_minutes, t1_agents = 6.0, 11
    t2_minutes, t2_agents = 12.0, 7
    scenario = scenario_from_dict(
        {
            "name": "tandem",
            "horizon": {"days": 10, "interval_minutes": 60, "warmup_hours": 24},
            "channels": [{"name": "phone", "mode": "realtime", "arrivals": {"per_hour": per_hour}}],
            "categories": [
                {
                    "name": "general", "channels": {"phone": 1.0}, "skill": "t1", "handle_minutes": exp(t1_minutes),
                    "escalation": [{"skill": "t2", "probability": p, "handle_minutes": exp(t2_minutes)}],
                }
            ],
            "groups": [
                {"name": "tier1", "skills": ["t1"], "headcount": t1_agents},
                {"name": "tier2", "skills": ["t2"], "headcount": t2_agents},
            ],
        }
    )
    result = supportsim.simulate(scenario, seed=21, replications=12)
    # Burke: tier 1's departures are Poisson, so tier 2 is M/M/c at p * lambda.
    exact = _mm_c_sojourn_minutes(per_hour, t1_minutes, t1_agents) + p * _mm_c_sojourn_minutes(
        p * per_hour, t2_minutes, t2_agents
    )
    assert_matches(result.values("overall", "", "resolution_minutes"), exact, "mean resolution time")
    assert_matches(result.values("groups", "tier2", "utilization"), p * per_hour * t2_minutes / 60 / t2_agents,
                   "tier-2 utilization")
    assert_matches(result.values("categories", "general", "escalation_rate_tier1"), p, "escalation rate")
    # each station's waiting-time law: tier 1 M/M/c at lambda, tier 2 M/M/c at p lambda (its wait
    # is the escalated ticket's total wait less its first)
    assert_erlang_c_waits(waits_by_replication(result), per_hour, t1_minutes, t1_agents, "tier 1")
    tier2 = [
        (t["total_wait_seconds"] - t["wait_seconds"])[(t["escalations"] > 0) & t["outcome"].eq("resolved")]
        for _, t in result.tickets.groupby("replication")
    ]
    assert_erlang_c_waits(tier2, p * per_hour, t2_minutes, t2_agents, "tier 2")


# --- Deflection ------------------------------------------------------------------------

def test_deflection_leaves_an_erlang_c_queue_at_the_reduced_rate() -> None:
    per_hour, deflect, aht_minutes, agents = 140.0, 0.35, 6.0, 11
    scenario = mmc(
        per_hour=per_hour, handle_minutes=aht_minutes, agents=agents, days=10,
        automation=[{"name": "bot", "channels": ["phone"], "resolves": {"general": deflect},
                     "bot_minutes": exp(2.0)}],
    )
    result = supportsim.simulate(scenario, seed=5, replications=12)
    load = (1 - deflect) * per_hour * aht_minutes / 60
    assert_matches(result.values("channels", "phone", "deflection_rate"), deflect, "deflection rate")
    assert_matches(result.values("channels", "phone", "asa_seconds"),
                   analytic.erlang_c_asa_seconds(agents, load, aht_minutes * 60), "ASA after the bot")
    assert_matches(result.values("channels", "phone", "service_level"),
                   analytic.erlang_c_service_level(agents, load, aht_minutes * 60, 20), "SL after the bot")
    assert_matches(result.values("groups", "agents", "utilization"), load / agents, "utilization")


# --- Two disjoint skills ---------------------------------------------------------------

def test_two_disjoint_skills_are_two_independent_erlang_c_queues() -> None:
    per_hour = 150.0
    cases = {"billing": (0.4, 8.0, 9), "tech": (0.6, 5.0, 9)}  # share, AHT minutes, agents
    scenario = scenario_from_dict(
        {
            "name": "two skills",
            "horizon": {"days": 10, "interval_minutes": 60, "warmup_hours": 24},
            "channels": [{"name": "phone", "mode": "realtime", "arrivals": {"per_hour": per_hour},
                          "target": {"answer_within_seconds": 30}}],
            "categories": [
                {"name": n, "channels": {"phone": s}, "skill": n, "handle_minutes": exp(m)}
                for n, (s, m, _) in cases.items()
            ],
            "groups": [{"name": n, "skills": [n], "headcount": c} for n, (_, _, c) in cases.items()],
        }
    )
    result = supportsim.simulate(scenario, seed=8, replications=12)
    for name, (share, minutes, agents) in cases.items():
        load = share * per_hour * minutes / 60
        assert_matches(result.values("categories", name, "asa_seconds"),
                       analytic.erlang_c_asa_seconds(agents, load, minutes * 60), f"{name} ASA")
        assert_matches(result.values("categories", name, "service_level"),
                       analytic.erlang_c_service_level(agents, load, minutes * 60, 30), f"{name} SL")
        assert_matches(result.values("groups", name, "utilization"), load / agents, f"{name} utilization")
        waits = waits_by_replication(result, lambda t, name=name: t["category"] == name)
        assert_erlang_c_waits(waits, share * per_hour, minutes, agents, name)


# --- Chat concurrency ------------------------------------------------------------------

def test_chat_concurrency_without_slowdown_is_m_m_c_times_k() -> None:
    # an agent holding up to 3 chats with no slowdown is 3 independent servers
    per_hour, aht_minutes, agents, k = 80.0, 9.0, 5, 3
    scenario = with_channel(mmc(per_hour=per_hour, handle_minutes=aht_minutes, agents=agents, days=10),
                            concurrency={"max": k, "slowdown": 0.0})
    result = supportsim.simulate(scenario, seed=3, replications=12)
    load = per_hour * aht_minutes / 60
    assert_matches(result.values("channels", "phone", "asa_seconds"),
                   analytic.erlang_c_asa_seconds(agents * k, load, aht_minutes * 60), "ASA")
    assert_matches(result.values("groups", "agents", "utilization"), load / (agents * k), "utilization")
    assert_erlang_c_waits(waits_by_replication(result), per_hour, aht_minutes, agents * k, "chats")


# --- Priorities: non-preemptive M/M/c with classes -------------------------------------

def test_vip_priority_matches_the_non_preemptive_priority_formula() -> None:
    # Cobham's formula for M/M/c with equal service rates: class i (1 = highest) waits
    # Wq_i = C / (c mu (1 - s_{i-1}) (1 - s_i)), s_i = load share of classes 1..i.
    per_hour, aht_minutes, agents, vip = 90.0, 6.0, 10, 0.25
    scenario = with_channel(mmc(per_hour=per_hour, handle_minutes=aht_minutes, agents=agents, days=10),
                            vip_share=vip)
    result = supportsim.simulate(scenario, seed=17, replications=12)
    load = per_hour * aht_minutes / 60
    c_mu = agents / (aht_minutes * 60)  # per second
    p_wait = analytic.erlang_c(agents, load)
    s1 = vip * load / agents
    s2 = load / agents
    exact_vip = p_wait / (c_mu * (1 - s1))
    exact_regular = p_wait / (c_mu * (1 - s1) * (1 - s2))
    vip_wait = per_replication(result, lambda t: t.loc[t["vip"] & t["answered"], "wait_seconds"].mean())
    regular_wait = per_replication(result, lambda t: t.loc[~t["vip"] & t["answered"], "wait_seconds"].mean())
    assert_matches(vip_wait, exact_vip, "VIP wait")
    assert_matches(regular_wait, exact_regular, "regular wait")
    # The distribution: with equal service rates the busy servers are those of FCFS M/M/c, so
    # both classes wait with Erlang C's probability (PASTA); a waiting VIP waits for the VIPs
    # ahead of it, served at c mu while all agents are busy: exponential at c mu (1 - s1).
    assert_exponential_waits(waits_by_replication(result, lambda t: t["vip"]), p_wait, c_mu * (1 - s1), "VIP")
    regular = waits_by_replication(result, lambda t: ~t["vip"])
    assert_matches(np.array([float((w > 0).mean()) for w in regular]), p_wait, "regular P(W > 0)")


def test_bot_hand_off_priority_matches_the_non_preemptive_priority_formula() -> None:
    # Chat contacts pass a bot (infinite server: its output is again Poisson) that hands them
    # over with priority 3; phone contacts of the same skill queue with priority 0. Equal
    # service rates, so Cobham's formula above gives each class's mean wait.
    phone, chat, aht_minutes, agents = 60.0, 30.0, 6.0, 10
    data = {
        "name": "hand-off priority",
        "horizon": {"days": 10, "interval_minutes": 60, "warmup_hours": 12},
        "channels": [
            {"name": "phone", "mode": "realtime", "arrivals": {"per_hour": phone}},
            {"name": "chat", "mode": "realtime", "arrivals": {"per_hour": chat}},
        ],
        "categories": [
            {"name": "general", "channels": {"phone": 1.0, "chat": 1.0}, "skill": "general",
             "handle_minutes": exp(aht_minutes)},
        ],
        "automation": [
            {"name": "bot", "channels": ["chat"], "resolves": {"general": 0.0}, "bot_minutes": exp(1.0),
             "handoff": {"priority": 3}},
        ],
        "groups": [{"name": "agents", "skills": ["general"], "headcount": agents}],
    }
    result = supportsim.simulate(scenario_from_dict(data), seed=29, replications=12)
    load = (phone + chat) * aht_minutes / 60
    c_mu = agents / (aht_minutes * 60)
    p_wait = analytic.erlang_c(agents, load)
    s1 = chat * aht_minutes / 60 / agents
    s2 = load / agents
    assert_matches(result.values("channels", "chat", "asa_seconds"), p_wait / (c_mu * (1 - s1)), "handed-off wait")
    assert_matches(result.values("channels", "phone", "asa_seconds"), p_wait / (c_mu * (1 - s1) * (1 - s2)),
                   "phone wait")
    # and the distributions, as for VIPs above
    chats = waits_by_replication(result, lambda t: t["channel"] == "chat")
    assert_exponential_waits(chats, p_wait, c_mu * (1 - s1), "handed-off chats")
    calls = waits_by_replication(result, lambda t: t["channel"] == "phone")
    assert_matches(np.array([float((w > 0).mean()) for w in calls]), p_wait, "phone P(W > 0)")


# --- Little's law ----------------------------------------------------------------------

def test_littles_law_holds_on_queue_length_and_waits() -> None:
    """Area under the queue-length step function = sum of the waits inside the window,
    up to the waits of warm-up arrivals still queued at time 0 (bounded below)."""
    scenario = mmc(per_hour=110, handle_minutes=6, agents=12, days=5, patience_seconds=120)
    result = supportsim.simulate(scenario, seed=2)
    horizon_s = scenario.horizon.days * 86400
    intervals = result.intervals
    phone = intervals[(intervals["scope"] == "channel") & (intervals["name"] == "phone")]
    area = float(phone["mean_waiting"].sum() * 3600)
    waits = result.tickets.loc[result.tickets["queued"], "wait_seconds"]
    carried_in = float(phone["max_waiting"].iloc[0]) * float(waits.max())
    assert 0 <= area - waits.sum() <= carried_in + 1e-6
    # and in rates: L = lambda * W over the horizon, to the same bound
    little_l = result.metric("channels", "phone", "mean_waiting")
    assert little_l == pytest.approx(len(waits) / horizon_s * waits.mean(), abs=carried_in / horizon_s + 1e-9)


# --- Time-varying arrivals -------------------------------------------------------------

def test_arrivals_follow_the_intraday_and_weekday_profile() -> None:
    intraday = [0.0] * 8 + [1, 2, 3, 3, 2, 2, 2, 2, 1, 1] + [0.0] * 6  # 24 hourly weights
    weekday = {"sat": 0.5, "sun": 0.0}
    scenario = mmc(per_hour=1, handle_minutes=1, agents=50, days=14, warmup_hours=0)
    scenario = with_channel(scenario, arrivals={"per_day": 2000, "intraday": intraday, "weekday": weekday})
    tickets = supportsim.simulate(scenario, seed=9).tickets
    weights = np.array(intraday) / sum(intraday)
    hours = (tickets["arrival_minute"] // 60).astype(int)
    day = hours // 24
    weekday_factor = np.array([[1, 1, 1, 1, 1, 0.5, 0.0][d % 7] for d in range(14)])
    expected = np.outer(weekday_factor, weights).ravel() * 2000
    observed = np.bincount(hours, minlength=14 * 24)
    assert observed[expected == 0].sum() == 0
    # Poisson counts: chi-square goodness of fit over the hours with arrivals
    mask = expected > 0
    chi2 = float((((observed[mask] - expected[mask]) ** 2) / expected[mask]).sum())
    assert stats.chi2.sf(chi2, mask.sum()) > ALPHA
    assert day.max() == 12  # Sunday of week 2 has none


def test_shifts_and_breaks_set_the_staffed_level() -> None:
    scenario = mmc(per_hour=1, handle_minutes=1, agents=1, days=7, warmup_hours=0)
    group = {
        "name": "agents", "skills": ["general"], "shrinkage": 0.25,
        "shifts": [
            {"start": "08:00", "hours": 8, "count": 8, "weekdays": ["mon", "tue", "wed", "thu", "fri"],
             "break": {"after_hours": 4, "minutes": 60}},
            {"start": "22:00", "hours": 4, "count": 4},
        ],
    }
    scenario = scenario_from_dict(scenario.model_dump(by_alias=True) | {"groups": [group]})
    result = supportsim.simulate(scenario, seed=1)
    g = result.intervals[(result.intervals["scope"] == "group")].set_index("interval")
    # Monday: 08-12 six available (8 * 0.75), 12-13 break, 13-16 six, night 22-02 three
    monday = g.loc[0:23, "staffed"].to_numpy()
    expected = np.zeros(24)
    expected[8:12] = 6
    expected[13:16] = 6
    expected[22:24] = 3
    expected[0:2] = 3  # the Sunday-night shift runs into Monday
    np.testing.assert_allclose(monday, expected, atol=0.02)  # overtime to finish a 1-minute call is tiny
    paid = result.metric("groups", "agents", "paid_hours")
    assert paid == pytest.approx(5 * 8 * 8 + 7 * 4 * 4)
