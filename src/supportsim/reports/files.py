"""Output files: written all at once or not at all, JSON without NaN, and a run's tables."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from supportsim.results.simulation import SimulationResult


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` whose files are moved into ``out`` only once all of
    them are written, so a failure never leaves a half-written output folder.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        yield staging
        out.mkdir(exist_ok=True)
        for item in staging.iterdir():
            item.replace(out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def json_ready(value: Any) -> Any:
    """``value`` as plain JSON: NaN and infinities become None, numpy scalars Python ones,
    mapping keys strings.
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_run(result: SimulationResult, out: Path, *, parquet: bool = False) -> None:
    """Write ``summary.json`` and the ``intervals`` and ``tickets`` tables into ``out``
    (all or nothing), as CSV or, with ``parquet``, Parquet.
    """
    with staged_output(out) as staging:
        (staging / "summary.json").write_text(json.dumps(json_ready(result.summary), indent=2) + "\n")
        if parquet:
            result.intervals.to_parquet(staging / "intervals.parquet", index=False)
            result.tickets.to_parquet(staging / "tickets.parquet", index=False)
        else:
            result.intervals.to_csv(staging / "intervals.csv", index=False)
            result.tickets.to_csv(staging / "tickets.csv", index=False)
