"""Time-weighted levels against a direct integration of the same step function."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from supportsim.engine.levels import Level


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-50, 400), st.integers(0, 9)), min_size=1, max_size=40))
def test_interval_means_and_maxima_match_direct_integration(changes: list[tuple[float, int]]) -> None:
    changes = sorted(changes, key=lambda c: c[0])
    level = Level(intervals=4, interval_seconds=100.0)
    for t, v in changes:
        level.set(t, v)
    level.close(400.0)
    # exact integral of the step function over each interval, segment by segment
    expected = np.zeros(4)
    knots = [(-np.inf, 0.0), *changes, (400.0, 0.0)]
    for (start, value), (end, _) in itertools.pairwise(knots):
        for k in range(4):
            overlap = min(end, 100.0 * (k + 1)) - max(start, 100.0 * k)
            if overlap > 0:
                expected[k] += value * overlap / 100.0
    np.testing.assert_allclose(level.interval_means, expected, rtol=1e-9, atol=1e-9)
    # maxima: the largest value held at any time inside the interval
    for k in range(4):
        inside = [v for t, v in changes if 100 * k <= t < 100 * (k + 1)]
        before = [v for t, v in changes if t < 100 * k]
        start = before[-1] if before else 0
        assert level.interval_maxima[k] == max([start, *inside])
