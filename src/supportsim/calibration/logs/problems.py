"""Bad rows of a log: collected as (line, column, reason, action), never silent.

A row that cannot be a contact is ``excluded``; a row with one bad field stays, with that
field unknown (the action says which, e.g. ``kept; handle time unknown``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from supportsim.calibration.logs.contacts import LogError

PROBLEM_COLUMNS = ("line", "column", "reason", "action")


class Problems:
    """Collects problem rows: (line, column, reason, action)."""

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def add(self, lines: pd.Series | np.ndarray, column: str, reason: str, action: str) -> None:
        """Record ``reason`` for the rows at file ``lines`` (none: nothing recorded)."""
        lines = np.asarray(lines, dtype=np.int64)
        if lines.size:
            self.frames.append(pd.DataFrame({"line": lines, "column": column, "reason": reason, "action": action}))

    def add_empty(self, empty: NDArray[np.int64]) -> None:
        """Record the empty rows among the data (lines from :func:`~.parsing.read_table`)."""
        self.add(empty, "(all)", "empty row", "excluded")

    def drop_negative(self, values: pd.Series, lines: pd.Series, column: str, what: str) -> pd.Series:
        """``values`` with negative durations made unknown (NaN), each recorded as a problem."""
        negative = values < 0
        self.add(lines[negative], column, f"negative {what}", f"kept; {what} unknown")
        return values.where(~negative)

    def frame(self) -> pd.DataFrame:
        """All problems by line; a row left out is listed only for why it was left out."""
        if not self.frames:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "line" else "object") for c in PROBLEM_COLUMNS})
        found = pd.concat(self.frames, ignore_index=True)
        excluded = found.loc[found["action"] == "excluded", "line"]
        found = found[(found["action"] == "excluded") | ~found["line"].isin(excluded)]
        return found.sort_values("line", kind="stable").reset_index(drop=True)


def no_contacts(path: Path, problems: pd.DataFrame) -> LogError:
    """The error for a file with no usable contact, naming its most common problem."""
    reasons = problems["reason"].value_counts()
    top = f" (most common problem: {reasons.index[0]}, {reasons.iloc[0]} rows)" if len(reasons) else ""
    return LogError(path, f"no usable contacts in the file{top}")
