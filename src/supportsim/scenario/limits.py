"""Every cap on what the program reads or is asked to do, in one place (see ``docs/limits.md``).

Each cap bounds time or memory before any is spent: files are measured before they are
read, YAML is measured before it is built, a scenario is measured before it is simulated.
"""

from __future__ import annotations

import reprlib

MAX_SCENARIO_BYTES = 1_000_000
"""A scenario file, an ``extends:`` base or an uploaded scenario (bytes)."""
MAX_TABLE_BYTES = 20_000_000
"""A CSV arrival table (``arrivals.csv``) (bytes)."""
MAX_LOG_BYTES = 200_000_000
"""A contact log (bytes); pandas holds a few times this in memory while reading it."""
MAX_MAPPING_BYTES = 100_000
"""A column-mapping YAML file for ``--format csv`` logs (bytes)."""
MAX_LOG_DAYS = 3_660
"""Days from a log's first to its last arrival (ten years): fits and replays allocate per day."""

MAX_REPORT_CHANNELS = 50
"""Channels (queues) at most in an interval report: each is laid out per interval and fitted."""

MAX_EXTENDS_DEPTH = 10
"""Files in an ``extends:`` chain, the variant included."""
MAX_YAML_DEPTH = 20
"""Nesting of YAML mappings and lists (a scenario needs about 8)."""
MAX_YAML_NODES = 500_000
"""YAML nodes in one file, each alias counted as the nodes it stands for."""
MAX_ALIAS_NODES = 10_000
"""YAML nodes added by aliases (``*name``) in one file: a few reused distributions, not a bomb."""

MAX_HEADCOUNT = 100_000
"""Agents of one group at one time (``headcount``, each ``headcount_per_interval``, a group's shifts)."""
MAX_LINES = 1_000_000
"""Lines (trunks) of one channel: ``lines``."""
MAX_INITIAL = 100_000
"""Contacts one channel carries in at the start (``initial``), drawn before the run."""
MAX_EXPECTED_TICKETS = 50_000_000
"""Expected new contacts over the horizon and warm-up, all channels together."""
MAX_DURATION = 1_000_000.0
"""Any duration parameter (mean, value, high, empirical value), in the unit of its key."""
MAX_AMOUNT = 1e12
"""Any cost or per-contact amount (``cost_per_hour``, ``cost_per_conversation``, ``extra_handle_minutes``)."""
MIN_WEIBULL_CV = 0.01
"""Smallest coefficient of variation of a Weibull distribution (its shape is then about 130)."""

MAX_REPLICATIONS = 10_000
"""Replications of one run (``--replications``, ``--max-replications``, ``simulate``)."""
MAX_VALUE_CHARS = 80
"""A value quoted in an error message is shortened to this many characters."""


def shortened(value: object) -> str:
    """``repr(value)`` cut to :data:`MAX_VALUE_CHARS` characters (with ``...``)."""
    text = _SHORT.repr(value)  # bounded: never walks a whole (aliased) structure
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


_SHORT = reprlib.Repr()  # Python 3.11 takes no keyword arguments here
_SHORT.maxlevel = 3
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 6
_SHORT.maxstring = _SHORT.maxother = MAX_VALUE_CHARS
