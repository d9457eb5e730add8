"""The Compare page's charts (Altair): one colour per scenario, the base always the first colour,
full scenario names in the legends, one panel with its own y-axis per channel.
"""

from __future__ import annotations

import io
import zipfile

import altair as alt
import pandas as pd

PALETTE = ["#1f4e79", "#e8590c", "#2b8a3e", "#862e9c"]  # base, then variants, in the order chosen
PANEL_WIDTH = 300


def colour(names: list[str]) -> alt.Color:
    """Colour by scenario: the base always ``PALETTE[0]``; the legend shows full names, one a line."""
    return alt.Color(
        "scenario:N",
        title="scenario",
        scale=alt.Scale(domain=names, range=PALETTE[: len(names)]),
        legend=alt.Legend(orient="bottom", direction="vertical", columns=1, labelLimit=0, titleLimit=0),
    )


def _time_axis(data: pd.DataFrame) -> alt.X:
    return alt.X(
        "time:O",
        title="time of day",
        axis=alt.Axis(labelAngle=-45, values=sorted(set(data["time"]))[::4]),
    )


def queue_chart(data: pd.DataFrame, names: list[str]) -> alt.FacetChart:
    """Mean contacts waiting by time of day: one panel per channel, each with its own y-axis."""
    return (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=_time_axis(data),
            y=alt.Y("mean_waiting:Q", title="contacts waiting (mean)"),
            color=colour(names),
            tooltip=["scenario", "channel", "time", alt.Tooltip("mean_waiting:Q", format=".2f")],
        )
        .properties(height=200, width=PANEL_WIDTH)
        .facet(facet=alt.Facet("channel:N", title=None, header=alt.Header(labelFontSize=14)), columns=3)
        .resolve_scale(y="independent")
    )


def service_level_chart(data: pd.DataFrame, names: list[str]) -> alt.FacetChart:
    """Service level by time of day per channel; the target as one horizontal dashed rule."""
    lines = (
        alt.Chart()
        .mark_line(point=True)
        .encode(
            x=_time_axis(data),
            y=alt.Y("service_level:Q", title="service level", axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1])),
            color=colour(names),
            tooltip=["scenario", "channel", "time", alt.Tooltip("service_level:Q", format=".1%")],
        )
    )
    target = alt.Chart().mark_rule(strokeDash=[6, 4], color="black", size=1.5).encode(y="mean(target):Q")
    return (
        alt.layer(lines, target, data=data)
        .properties(height=200, width=PANEL_WIDTH)
        .facet(facet=alt.Facet("channel:N", title=None, header=alt.Header(labelFontSize=14)), columns=3)
    )


def cdf_chart(data: pd.DataFrame, names: list[str]) -> alt.Chart:
    """Share of tickets resolved within a time (log-like scale)."""
    return (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X("minutes:Q", title="resolution time (minutes, log scale)", scale=alt.Scale(type="symlog")),
            y=alt.Y("share:Q", title="share of tickets resolved", axis=alt.Axis(format="%")),
            color=colour(names),
        )
        .properties(height=320)
    )


def heatmap(data: pd.DataFrame, metric: str) -> alt.FacetChart:
    """Busy share per group and time of day, one row of panels per scenario (names written
    above each panel, never rotated); the colour legend below, inside the page's width.
    """
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=_time_axis(data),
            y=alt.Y("group:N", title=None),
            color=alt.Color(
                f"{metric}:Q",
                title=metric,
                scale=alt.Scale(scheme="orangered", domain=[0, 1]),
                legend=alt.Legend(format="%", orient="bottom", gradientLength=300),
            ),
            tooltip=["scenario", "group", "time", alt.Tooltip(f"{metric}:Q", format=".0%")],
        )
        .properties(height=alt.Step(22), width=720)
        .facet(
            row=alt.Row(
                "scenario:N",
                title=None,
                sort=list(dict.fromkeys(data["scenario"])),
                header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top",
                                  labelLimit=0, labelFontSize=13),
            )
        )
    )


def png_zip(charts: dict[str, alt.TopLevelMixin]) -> bytes:
    """The charts as PNG files (vl-convert, no browser needed) in one zip archive."""
    import vl_convert as vlc  # imported on demand: only the download needs it

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, chart in charts.items():
            archive.writestr(f"{name}.png", vlc.vegalite_to_png(chart.to_json(), scale=2))
    return buffer.getvalue()
