"""Tables as one Excel workbook (.xlsx, one sheet per table), for planners who live in spreadsheets."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import pandas as pd

_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_names(names: list[str]) -> list[str]:
    """Excel's rules: at most 31 characters, no brackets, colons, stars, question marks or slashes; unique
    ignoring case.
    """
    out: list[str] = []
    for name in names:
        base = _BAD.sub("_", name).strip("'") or "sheet"
        candidate, k = base[:31], 2
        while candidate.lower() in {o.lower() for o in out}:
            suffix = f" ({k})"
            candidate, k = base[: 31 - len(suffix)] + suffix, k + 1
        out.append(candidate)
    return out


def workbook_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """An .xlsx workbook holding each table on its own sheet (sheet name = key, cut to Excel's
    31 characters), the columns as a header row and no index; numbers stay numbers (openpyxl).
    """
    if not tables:
        raise ValueError("a workbook needs at least one table")
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet, table in zip(_sheet_names(list(tables)), tables.values(), strict=True):
            frame = table.copy()
            for column in frame.columns:  # Excel has no lists, categories or time zones
                if frame[column].dtype == object:
                    frame[column] = frame[column].map(
                        lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
                    )
                elif isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                    frame[column] = frame[column].dt.tz_localize(None)
            frame.to_excel(writer, sheet_name=sheet, index=False)
            worksheet = writer.sheets[sheet]
            for k, column in enumerate(frame.columns, start=1):
                width = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200))])
                worksheet.column_dimensions[worksheet.cell(1, k).column_letter].width = min(width + 2, 60)
            worksheet.freeze_panes = "A2"
    return buffer.getvalue()
