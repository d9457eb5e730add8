"""Which columns of a generic CSV log hold what (:class:`ColumnMap`), from flags or a YAML file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportsim.calibration.logs.contacts import OUTCOMES, LogError, Mode
from supportsim.scenario.files import FileRefused, read_text
from supportsim.scenario.limits import MAX_MAPPING_BYTES, shortened
from supportsim.scenario.yaml_loader import YamlRefused, load_yaml

TEXT_FIELDS = ("time_format", "mode", "channel_name", "category_name")


@dataclass(frozen=True)
class ColumnMap:
    """Which columns of a generic CSV log hold what; only ``created`` is required.

    ``queued`` (joined the human queue; default: ``created``), ``answered`` (service
    started), ``resolved`` (service ended; for an abandoned contact, when it left).
    Without an ``outcome`` column a contact with ``answered`` is served, one without is
    abandoned (realtime) or open (async). ``outcomes`` maps ``served``, ``abandoned``,
    ``left_ivr``, ``open`` and ``phantom`` to the values of the outcome column meaning them;
    any other value is a bad row. ``escalated``/``reopened`` are columns of true/false or counts;
    ``satisfied`` the survey answer (true/false; empty: no response).
    Without a channel or category column every contact gets ``channel_name`` or
    ``category_name``. ``time_format`` is a ``strftime`` format (default: inferred).
    """

    created: str
    queued: str | None = None
    answered: str | None = None
    resolved: str | None = None
    channel: str | None = None
    category: str | None = None
    agent: str | None = None
    outcome: str | None = None
    priority: str | None = None
    escalated: str | None = None
    reopened: str | None = None
    satisfied: str | None = None
    id: str | None = None
    time_format: str | None = None
    delimiter: str = ","
    mode: Mode = "realtime"
    channel_name: str = "phone"
    category_name: str = "general"
    outcomes: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "served": ("served", "answered", "resolved", "agent"),
            "abandoned": ("abandoned", "hang", "hangup", "abandon"),
            "left_ivr": ("left_ivr", "ivr"),
            "open": ("open", "waiting", "in_progress"),
            "phantom": ("phantom",),
        }
    )

    COLUMN_FIELDS = (
        "created",
        "queued",
        "answered",
        "resolved",
        "channel",
        "category",
        "agent",
        "outcome",
        "priority",
        "escalated",
        "reopened",
        "satisfied",
        "id",
    )

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> ColumnMap:
        """Read a mapping file.

        It holds the column fields at top level (or under ``columns:``), plus ``time_format``,
        ``delimiter``, ``mode``, ``channel_name``, ``category_name`` and ``outcomes``;
        ``overrides`` (e.g. from command-line flags, None = not given) win.
        """
        path = Path(path)
        try:
            data = load_yaml(read_text(path, limit=MAX_MAPPING_BYTES, what="column mapping"),
                             what="column mappings") or {}
        except FileRefused as exc:
            raise LogError(path, exc.reason) from None
        except YamlRefused as exc:
            raise LogError(path, str(exc)) from None
        if not isinstance(data, dict):
            raise LogError(path, "a column mapping is a YAML mapping such as 'created: opened_at'")
        columns = data.pop("columns", {}) or {}
        if not isinstance(columns, dict):
            raise LogError(path, "columns: a mapping such as 'created: opened_at'")
        merged = {**data, **columns}
        known = set(cls.COLUMN_FIELDS) | {
            "time_format",
            "delimiter",
            "mode",
            "channel_name",
            "category_name",
            "outcomes",
        }
        unknown = sorted(set(merged) - known)
        if unknown:
            raise LogError(path, f"unknown key '{unknown[0]}' (expected one of: {', '.join(sorted(known))})")
        if "outcomes" in merged:
            outcomes = merged["outcomes"]
            if not isinstance(outcomes, dict) or not all(
                isinstance(v, str | int | float)
                for vs in outcomes.values()
                for v in _as_list(vs)
            ):
                raise LogError(path, "outcomes: a mapping such as 'served: [AGENT]' (values are text)")
            merged["outcomes"] = {str(k): tuple(str(v) for v in _as_list(vs)) for k, vs in outcomes.items()}
        return cls.build(merged | {k: v for k, v in overrides.items() if v is not None}, source=str(path))

    @classmethod
    def build(cls, values: dict[str, Any], *, source: str = "<mapping>") -> ColumnMap:
        """Build a mapping from a plain dict; :class:`LogError` if ``created`` is missing."""
        if not values.get("created"):
            raise LogError(source, "the column mapping needs at least 'created' (the arrival time column)")
        for key in (*cls.COLUMN_FIELDS, *TEXT_FIELDS):
            value = values.get(key)
            if value is not None and not isinstance(value, str):
                raise LogError(source, f"{key}: must be text (a column name or format), got {shortened(value)}")
        delimiter = values.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
            raise LogError(source, f"delimiter: must be one character such as ',' or ';', got {shortened(delimiter)}")
        if values.get("mode", "realtime") not in ("realtime", "async"):
            raise LogError(source, f"mode must be realtime or async, got {values['mode']!r}")
        outcomes = values.get("outcomes")
        if outcomes is not None:
            unknown = sorted(set(outcomes) - set(OUTCOMES) - {"phantom"})
            if unknown:
                raise LogError(
                    source,
                    f"outcomes: unknown outcome '{unknown[0]}' (expected served, abandoned, left_ivr, open, phantom)",
                )
        return cls(**values)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]
