"""How the app writes numbers: values with their units, durations, clock times."""

from __future__ import annotations

import math


def fmt(value: float, unit: str, signed: bool = False) -> str:
    """Format a number with its unit, e.g. ``87.3%``, ``12.4 min``, ``+3.1 s``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if signed else ""
    if unit == "s" and abs(value) >= 120:
        return f"{value / 60:{sign},.1f} min"
    if unit == "%":
        return f"{value * 100:{sign}.1f}{' pp' if signed else '%'}"
    if unit == "cost":
        return f"{value:{sign},.2f}"
    suffix = f" {unit}" if unit else ""
    return f"{value:{sign},.1f}{suffix}" if abs(value) < 1000 else f"{value:{sign},.0f}{suffix}"


def fmt_duration(seconds: float) -> str:
    """``25 s``, ``4.2 min`` or ``3.1 h``."""
    if not math.isfinite(seconds):
        return "n/a"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def fmt_with_ci(value: float, half_width: float, unit: str) -> str:
    """``value ± half_width`` in one unit: ``11.3 min ± 1.8 min``, never ``11.3 min ± 109.0 s``."""
    text = fmt(value, unit)
    if half_width is None or not math.isfinite(half_width) or text == "n/a":
        return text
    if unit == "s" and abs(value) >= 120:
        return f"{text} ± {half_width / 60:,.1f} min"
    if unit == "s":
        return f"{text} ± {half_width:,.1f} s"
    return f"{text} ± {fmt(half_width, unit)}"
