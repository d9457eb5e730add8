"""Random attributes of tickets, drawn up front per channel and source, and arrival times.

Each random source draws a fixed block per ticket from its own stream (see
:mod:`supportsim.engine.streams`), ticket by ticket in arrival order, so that common random
numbers survive changes of staffing or routing. An :class:`ArrivalTrace` replays observed
arrivals instead of drawing them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supportsim.engine.rows import DayArrivals, DrawRows
from supportsim.engine.streams import Streams
from supportsim.scenario.model import Category, Channel, Scenario
from supportsim.scenario.profiles import arrival_rates, first_interval


@dataclass
class TicketDraws:
    """Random attributes of ``n`` tickets of one channel, in arrival order."""

    category: NDArray[np.int64]
    vip: NDArray[np.bool_]
    patience: NDArray[np.float64]
    handle: NDArray[np.float64]  # seconds, shape (n, stages)
    handoff: NDArray[np.float64]  # seconds before joining stage j + 1, shape (n, stages)
    depth: NDArray[np.int64]
    bot_seconds: NDArray[np.float64]
    bot_resolves: NDArray[np.bool_]
    bot_abandons: NDArray[np.bool_]
    follows_up: NDArray[np.bool_]
    follow_up_delay: NDArray[np.float64]  # seconds


def rows_of(draws: TicketDraws) -> DrawRows:
    """``draws`` as Python lists, for the event handlers to read one ticket at a time."""
    return DrawRows(**{name: getattr(draws, name).tolist() for name in TicketDraws.__dataclass_fields__})


@dataclass(frozen=True)
class ArrivalTrace:
    """Observed arrivals to replay: per ticket its channel, arrival minute (0 is 00:00 of day 1)
    and, optionally, its category (else drawn from the channel's shares).
    """

    channel: NDArray[np.str_]
    arrival_minute: NDArray[np.float64]
    category: NDArray[np.str_] | None = None

    def for_channel(
        self, name: str, start_s: float, end_s: float, categories: list[str] | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.int64] | None]:
        """Sorted arrival times (seconds) of channel ``name`` in ``[start_s, end_s)`` and their
        category indices (None when the trace has no categories).
        """
        seconds = self.arrival_minute * 60.0
        mask = (self.channel == name) & (seconds >= start_s) & (seconds < end_s)
        order = np.argsort(seconds[mask], kind="stable")
        if self.category is None or categories is None:
            return seconds[mask][order], None
        index = {c: i for i, c in enumerate(categories)}
        return seconds[mask][order], np.array([index[c] for c in self.category[mask][order]], dtype=np.int64)


def _ppf_stages(category: Category, u: NDArray[np.float64], stages: int) -> NDArray[np.float64]:
    out = np.zeros((len(u), stages))
    dists = [category.handle_minutes] + [t.handle_minutes for t in category.escalation]
    for j, dist in enumerate(dists):
        out[:, j] = dist.ppf(u[:, j]) * 60.0
    return out


def _categories(scenario: Scenario, channel: str, u: NDArray[np.float64]) -> NDArray[np.int64]:
    """Category indices of contacts on ``channel`` by the categories' shares, one uniform each."""
    carried = [i for i, c in enumerate(scenario.categories) if channel in c.channels]
    shares = np.array([scenario.categories[i].channels[channel] for i in carried])
    cumulative = np.cumsum(shares / shares.sum())
    local = np.searchsorted(cumulative, u, side="right")
    return np.asarray(np.array(carried)[np.minimum(local, len(carried) - 1)], dtype=np.int64)


def draw_tickets(
    scenario: Scenario,
    channel: Channel,
    n: int,
    streams: Streams,
    *,
    source_prefix: str = "",
    categories: NDArray[np.int64] | None = None,
) -> TicketDraws:
    """Draw the random attributes of ``n`` tickets arriving on ``channel``.

    Each source draws a fixed block per ticket from its own stream, so ticket ``i`` gets
    the same uniforms in any scenario that shares the seed and the channel name.
    With ``source_prefix="follow_up"`` every draw comes from the follow-up stream, and
    ``categories`` fixes the tickets' categories instead of drawing them.
    """
    name = channel.name

    def rng(source: str) -> np.random.Generator:
        return streams.get(source_prefix or source, name)

    stages = 1 + max(len(c.escalation) for c in scenario.categories)
    category_index = _categories(scenario, name, rng("category").random(n)) if categories is None else categories

    handle_u = rng("handle").random((n, stages))
    patience_u = rng("patience").random(n)
    routing_u = rng("routing").random((n, 2 * stages + 3))
    bot_u = rng("automation").random((n, 3))

    handle = np.zeros((n, stages))
    handoff = np.zeros((n, stages))
    depth = np.ones(n, dtype=np.int64)
    follows_up = np.zeros(n, dtype=bool)
    follow_up_delay = np.zeros(n)
    bot_resolves = np.zeros(n, dtype=bool)
    bot_abandons = np.zeros(n, dtype=bool)
    bot_seconds = np.zeros(n)
    bot = next((a for a in scenario.automation if name in a.channels), None)
    for c_index, category in enumerate(scenario.categories):
        mine = np.flatnonzero(category_index == c_index)  # this category's tickets, taken once
        if not len(mine):
            continue
        routing = routing_u[mine]
        handle[mine] = _ppf_stages(category, handle_u[mine], stages)
        going = np.ones(len(mine), dtype=bool)
        for j, tier in enumerate(category.escalation):
            going &= routing[:, j] < tier.probability
            depth[mine[going]] += 1
            if tier.handoff_minutes is not None:
                handoff[mine, j] = tier.handoff_minutes.ppf(routing[:, stages + j]) * 60.0
        if category.follow_up is not None:
            follows_up[mine] = routing[:, 2 * stages] < category.follow_up.probability
            follow_up_delay[mine] = category.follow_up.delay_hours.ppf(routing[:, 2 * stages + 1]) * 3600.0
        if bot is not None:
            resolves = bot_u[mine, 0] < bot.resolves.get(category.name, 0.0)
            bot_resolves[mine] = resolves
            bot_abandons[mine] = ~resolves & (bot_u[mine, 1] < bot.abandon)
    if bot is not None:
        bot_seconds = bot.bot_minutes.ppf(bot_u[:, 2]) * 60.0
    vip = routing_u[:, 2 * stages + 2] < channel.vip_share
    no_patience = channel.patience_seconds is None
    patience = np.full(n, math.inf) if no_patience else channel.patience_seconds.ppf(patience_u)  # type: ignore[union-attr]
    return TicketDraws(
        category_index.astype(np.int64),
        vip,
        patience,
        handle,
        handoff,
        depth,
        bot_seconds,
        bot_resolves,
        bot_abandons,
        follows_up,
        follow_up_delay,
    )


def arrival_times(
    channel: Channel, rates_per_hour: NDArray[np.float64], first: int, interval_s: float, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Sorted arrival times (seconds) over consecutive intervals ``first, first + 1, ...`` with
    the given rates: a Poisson process, constant inside each interval. With ``daily_cv`` > 0
    the rates are first scaled by one gamma multiplier (mean 1) for the whole range, which
    callers keep to one day.
    """
    cv = channel.arrivals.daily_cv
    if cv > 0:
        shape = 1.0 / cv**2
        rates_per_hour = rates_per_hour * rng.gamma(shape, 1.0 / shape)
    counts = rng.poisson(rates_per_hour * interval_s / 3600.0)
    starts = np.repeat((first + np.arange(len(counts))) * interval_s, counts)
    times = starts + rng.random(int(counts.sum())) * interval_s
    times.sort()
    return times


FOLLOW_UP_BATCH = 64
"""Follow-up attributes drawn per batch and (channel, category)."""


class FollowUpDraws:
    """Attributes of follow-up contacts, drawn in batches of :data:`FOLLOW_UP_BATCH` per
    (channel, category) from the follow-up streams and handed out in order.
    """

    def __init__(self, scenario: Scenario, streams: Streams):
        self._scenario = scenario
        self._streams = streams
        self._pools: dict[tuple[int, int], list[Any]] = {}

    def next(self, channel: int, category: int) -> tuple[DrawRows, int]:
        """The rows holding the next follow-up of ``category`` on ``channel``, and its row index."""
        pool = self._pools.get((channel, category))
        if pool is None or pool[1] == FOLLOW_UP_BATCH:
            rows = rows_of(
                draw_tickets(
                    self._scenario,
                    self._scenario.channels[channel],
                    FOLLOW_UP_BATCH,
                    self._streams,
                    source_prefix="follow_up",
                    categories=np.full(FOLLOW_UP_BATCH, category, dtype=np.int64),
                )
            )
            pool = self._pools[(channel, category)] = [rows, 0]
        pool[1] += 1
        return pool[0], pool[1] - 1


TICKET_BLOCK = 2048
"""New contacts' attributes drawn ahead per block and channel (fewer when the channel's profile
expects fewer contacts in the rest of the horizon)."""


class DayDraws:
    """Draws the new contacts day by day: their arrival times from the channels' arrival
    profiles (or from an :class:`ArrivalTrace` when one is given), and their attributes in
    blocks of up to :data:`TICKET_BLOCK` per channel, drawn ahead and used in arrival order
    across days. A block gives each ticket the same draws as drawing day by day (each source
    draws a fixed block per ticket), at less cost per ticket, and memory stays flat however
    long the horizon.
    """

    def __init__(self, scenario: Scenario, streams: Streams, trace: ArrivalTrace | None = None):
        horizon = scenario.horizon
        self._scenario = scenario
        self._streams = streams
        self._trace = trace
        self._interval_s = horizon.interval_minutes * 60.0
        self._first_k = first_interval(horizon)
        self._rates = [arrival_rates(c.arrivals, horizon) for c in scenario.channels]
        # contacts each channel's profile expects from an interval (index into _rates) to the end
        hours = self._interval_s / 3600.0
        self._expected_from = [np.append(np.cumsum(r[::-1])[::-1] * hours, 0.0) for r in self._rates]
        self._ahead: list[tuple[DrawRows, int, int] | None] = [None] * len(scenario.channels)  # (block, used, drawn)

    def draw(self, begin: float, end: float) -> DayArrivals:
        """The contacts arriving in ``[begin, end)`` (seconds; whole intervals of one day)."""
        category_names = [k.name for k in self._scenario.categories]
        first = round(begin / self._interval_s)
        last = round(end / self._interval_s)
        rows: list[DrawRows] = []
        empty = np.zeros(0, dtype=np.int64)  # so that a day with no contacts at all concatenates
        all_times, all_channels, all_blocks, all_index = [], [], [empty], [empty]
        for c, channel in enumerate(self._scenario.channels):
            if self._trace is None:
                rates = self._rates[c][first - self._first_k : last - self._first_k]
                rng = self._streams.get("arrivals", channel.name)
                times = arrival_times(channel, rates, first, self._interval_s, rng)
                segments = self._take(c, len(times), last - self._first_k)
            else:
                times, categories = self._trace.for_channel(channel.name, begin, end, category_names)
                draws = draw_tickets(self._scenario, channel, len(times), self._streams, categories=categories)
                segments = [(rows_of(draws), 0, len(times))]
            for block, start, count in segments:
                all_blocks.append(np.full(count, len(rows), dtype=np.int64))
                all_index.append(np.arange(start, start + count, dtype=np.int64))
                rows.append(block)
            all_times.append(times)
            all_channels.append(np.full(len(times), c, dtype=np.int64))
        times = np.concatenate(all_times)
        order = np.argsort(times, kind="stable")
        return DayArrivals(
            rows,
            times[order].tolist(),
            np.concatenate(all_channels)[order].tolist(),
            np.concatenate(all_blocks)[order].tolist(),
            np.concatenate(all_index)[order].tolist(),
        )

    def _take(self, c: int, n: int, after: int) -> list[tuple[DrawRows, int, int]]:
        """The rows of channel ``c``'s next ``n`` new contacts, as ``(block, first row, count)``
        pieces; ``after``: index (into the rates) of the first interval after these contacts.
        """
        pieces = []
        while n > 0:
            ahead = self._ahead[c]
            if ahead is None:
                size = max(n, min(TICKET_BLOCK, n + math.ceil(self._expected_from[c][after])))
                channel = self._scenario.channels[c]
                ahead = (rows_of(draw_tickets(self._scenario, channel, size, self._streams)), 0, size)
            block, used, drawn = ahead
            count = min(n, drawn - used)
            pieces.append((block, used, count))
            # a used-up block is let go: the day's arrivals hold it, and only until they are done
            self._ahead[c] = (block, used + count, drawn) if used + count < drawn else None
            n -= count
        return pieces


RETRIAL_BATCH = 64
"""Retrial decisions drawn per batch and channel."""


class RetrialDraws:
    """For customers who abandon or are blocked on a channel with ``retrial``, in the order they
    give up: whether they try again, after how long, and their patience on the next attempt;
    drawn in batches of :data:`RETRIAL_BATCH` from the channel's retrial stream.
    """

    def __init__(self, scenario: Scenario, streams: Streams):
        self._channels = scenario.channels
        self._streams = streams
        self._pools: dict[int, list[tuple[float, float, float]]] = {}

    def next(self, channel: int) -> tuple[float, float, float]:
        """``(uniform for the decision, delay seconds, next patience seconds)``."""
        pool = self._pools.get(channel)
        if not pool:
            spec = self._channels[channel]
            assert spec.retrial is not None
            u = self._streams.get("retrial", spec.name).random((RETRIAL_BATCH, 3))
            delay = spec.retrial.delay_minutes.ppf(u[:, 1]) * 60.0
            patience = (
                np.full(RETRIAL_BATCH, math.inf)
                if spec.patience_seconds is None
                else spec.patience_seconds.ppf(u[:, 2])
            )
            pool = self._pools[channel] = list(zip(u[:, 0].tolist(), delay.tolist(), patience.tolist(), strict=True))
            pool.reverse()
        return pool.pop()


def initial_draws(scenario: Scenario, channel: Channel, n: int, streams: Streams) -> tuple[DrawRows, list[float]]:
    """The attributes of ``n`` contacts carried in on ``channel`` at the start, and their ages
    (seconds, exponential with the channel's ``initial`` mean age, at least 1 ms), all from the
    channel's ``initial`` stream.
    """
    rows = rows_of(draw_tickets(scenario, channel, n, streams, source_prefix="initial"))
    mean_s = scenario.initial[channel.name].mean_age_hours * 3600.0
    ages = streams.get("initial", channel.name).exponential(1.0, n) * mean_s
    return rows, np.maximum(ages, 1e-3).tolist()
