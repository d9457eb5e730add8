"""What the event handlers read of the draws, per ticket: Python lists in native classes.

:mod:`supportsim.engine.draws` draws in numpy and hands the engine these: a ticket's values
are items of lists (cheap to read one at a time), held by classes that the compiled engine
reads as fields rather than looking them up by name (``COMPILED`` lists this module).
"""

from __future__ import annotations

__all__ = ["NO_ARRIVALS", "DayArrivals", "DrawRows"]


class DrawRows:
    """Random attributes of the tickets of one channel (or one batch), row ``i`` being one
    ticket's, in arrival order; times in seconds (see ``draws.TicketDraws``).
    """

    __slots__ = (
        "bot_abandons",
        "bot_resolves",
        "bot_seconds",
        "category",
        "depth",
        "follow_up_delay",
        "follows_up",
        "handle",
        "handoff",
        "patience",
        "vip",
    )

    def __init__(
        self,
        category: list[int],
        vip: list[bool],
        patience: list[float],
        handle: list[list[float]],
        handoff: list[list[float]],
        depth: list[int],
        bot_seconds: list[float],
        bot_resolves: list[bool],
        bot_abandons: list[bool],
        follows_up: list[bool],
        follow_up_delay: list[float],
    ):
        self.category = category
        self.vip = vip
        self.patience = patience
        self.handle = handle  # per ticket, seconds per stage
        self.handoff = handoff  # per ticket, seconds before joining stage j + 1
        self.depth = depth
        self.bot_seconds = bot_seconds
        self.bot_resolves = bot_resolves
        self.bot_abandons = bot_abandons
        self.follows_up = follows_up
        self.follow_up_delay = follow_up_delay


class DayArrivals:
    """The new contacts of one day, all channels merged in arrival order: arrival ``k`` comes
    at ``times[k]`` (seconds) on channel ``channels[k]``, with the attributes of row
    ``index[k]`` of ``rows[block[k]]`` (the blocks of rows drawn ahead, see ``draws.DayDraws``).
    """

    __slots__ = ("block", "channels", "index", "rows", "times")

    def __init__(
        self, rows: list[DrawRows], times: list[float], channels: list[int], block: list[int], index: list[int]
    ):
        self.rows = rows
        self.times = times
        self.channels = channels
        self.block = block
        self.index = index


NO_ARRIVALS = DayArrivals([], [], [], [], [])
"""No contacts (between two days' draws)."""
