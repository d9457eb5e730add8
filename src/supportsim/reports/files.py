"""Output files: written all at once or not at all, JSON without NaN, and a run's tables."""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from supportsim.results.simulation import SimulationResult


class OutputRefused(ValueError):
    """A path the program will not write over: it exists and is not what it should be."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        super().__init__(f"{path}: {reason}")


def _not_a_file(path: Path) -> bool:
    """True if something other than a regular file (or nothing) is at ``path`` (symlinks not followed)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISLNK(mode))


def _normal_mode() -> int:
    """0644 before the umask, as ``open()`` would create a file (``mkstemp`` makes 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_writable_file(path: Path) -> None:
    """Refuse ``path`` if it exists and is not a regular file (a device, FIFO, socket, folder)."""
    if _not_a_file(path):
        kind = "a folder" if path.is_dir() else "not a regular file (a device, FIFO or socket)"
        raise OutputRefused(path, f"is {kind}; it will not be written over")


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` all at once (a temporary file renamed), with normal permissions."""
    check_writable_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, _normal_mode())
        Path(tmp).replace(path)
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextmanager
def staged_output(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` whose files are moved into ``out`` only once all of
    them are written, so a failure never leaves a half-written output folder. Nothing that
    exists and is not a folder (``out``) or a regular file (inside it) is written over.
    """
    if out.exists() and not out.is_dir():
        raise OutputRefused(out, "is not a folder; it will not be written over")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        yield staging
        items = list(staging.iterdir())
        for item in items:
            target = out / item.name
            if item.is_file() and _not_a_file(target):
                raise OutputRefused(target, "exists and is not a regular file; nothing was written")
        out.mkdir(exist_ok=True)
        for item in items:
            if item.is_file():
                os.chmod(item, _normal_mode())
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
