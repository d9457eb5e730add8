"""Random number streams: one ``numpy.random.Generator`` per random source.

A run has one root ``SeedSequence``; each replication gets a child spawned from it, and
inside a replication each (source, channel) pair gets its own generator derived from the
replication's seed and the *names* of the source and channel. Two scenarios run with the
same seed therefore draw the same arrivals, handle times and patience for a channel they
share, whatever else differs between them (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

SOURCES = (
    "arrivals",
    "category",
    "handle",
    "patience",
    "automation",
    "routing",
    "follow_up",
    "retrial",
    "initial",
    "feedback",
)
"""Every random source of the engine."""


def replication_seeds(seed: int | np.random.SeedSequence, replications: int) -> list[np.random.SeedSequence]:
    """The seeds of ``replications`` independent replications under one root ``seed``."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(replications)


def _name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """The generators of one replication, created on first use and keyed by name."""

    def __init__(self, seed: np.random.SeedSequence):
        self._seed = seed
        self._generators: dict[tuple[str, str], np.random.Generator] = {}

    def get(self, source: str, channel: str) -> np.random.Generator:
        """The generator of ``source`` (one of :data:`SOURCES`) for ``channel``."""
        key = (source, channel)
        generator = self._generators.get(key)
        if generator is None:
            if source not in SOURCES:
                raise KeyError(f"unknown random source {source!r}")
            child = np.random.SeedSequence(
                entropy=self._seed.entropy,
                spawn_key=(*self._seed.spawn_key, SOURCES.index(source), _name_key(channel)),
            )
            generator = np.random.Generator(np.random.PCG64(child))
            self._generators[key] = generator
        return generator
