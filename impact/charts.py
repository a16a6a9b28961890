"""Chart builders: pure functions from a query result to a themed Plotly figure.

No Streamlit here, so the app, the exports and the command line draw the same
figure. Colours come from theme roles; numbers use the metric's format; text
that comes from the data is escaped so Plotly shows it literally.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from impact import theme
from impact.metrics import d3_format, format_value, metric


def safe_text(values) -> list[str]:
    """Data text made safe for Plotly labels: markup is shown, never interpreted."""
    return [html.escape(str(v), quote=False) for v in values]


def _hover(label_ref: str, key: str) -> str:
    m = metric(key)
    return f"{label_ref}<br>{html.escape(m.label)}: %{{customdata}}<extra></extra>"


def _formatted(values, key: str) -> list[str]:
    fmt = metric(key).fmt
    return [format_value(v, fmt) for v in values]


def _value_axis(key: str) -> dict:
    m = metric(key)
    axis = dict(title=dict(text=html.escape(m.label)), tickformat=d3_format(m.fmt), rangemode="tozero")
    if m.fmt == "gbp":
        axis["tickprefix"] = "£"
    return axis


def titled(fig: go.Figure, title: str = "", subtitle: str = "") -> go.Figure:
    """Set the figure's title and a smaller subtitle line (both escaped)."""
    if title or subtitle:
        text = html.escape(title)
        if subtitle:
            text += f"<br><span style='font-size:0.7em'>{html.escape(subtitle)}</span>"
        fig.update_layout(title=dict(text=text),
                          margin=dict(t=110 if subtitle else 72))
    return fig


def bar(
    frame: pd.DataFrame,
    category: str,
    value: str,
    *,
    horizontal: bool = True,
    role: str = "primary",
    title: str = "",
    subtitle: str = "",
) -> go.Figure:
    """A single-series bar chart of metric `value` by `category`, largest on top when horizontal."""
    data = frame.sort_values(value, ascending=True) if horizontal else frame
    labels = safe_text(data[category])
    values = data[value].tolist()
    text = _formatted(values, value)
    trace = go.Bar(
        x=values if horizontal else labels,
        y=labels if horizontal else values,
        orientation="h" if horizontal else "v",
        marker_color=theme.COLORS[role],
        text=text,
        textposition="auto",
        textfont=dict(size=14),
        customdata=text,
        hovertemplate=_hover("%{y}" if horizontal else "%{x}", value),
        cliponaxis=False,
    )
    fig = go.Figure(trace)
    axis = _value_axis(value)
    if horizontal:
        fig.update_layout(xaxis=axis, yaxis=dict(title=None, type="category"), bargap=0.25)
    else:
        fig.update_layout(yaxis=axis, xaxis=dict(title=None, type="category"), bargap=0.25)
    return titled(fig, title, subtitle)


def trend(
    frame: pd.DataFrame,
    period: str,
    value: str,
    cumulative: str | None = None,
    *,
    title: str = "",
    subtitle: str = "",
) -> go.Figure:
    """Bars per period with, optionally, the running total as a line on a second axis."""
    periods = safe_text(frame[period])
    text = _formatted(frame[value], value)
    fig = go.Figure(
        go.Bar(
            x=periods, y=frame[value], name=f"Per {period}",
            marker_color=theme.COLORS["primary"], customdata=text,
            hovertemplate=_hover("%{x}", value),
        )
    )
    if cumulative:
        running = _formatted(frame[cumulative], value)
        fig.add_trace(
            go.Scatter(
                x=periods, y=frame[cumulative], name="Cumulative", yaxis="y2", mode="lines+markers",
                line=dict(color=theme.COLORS["uk"], width=4), marker=dict(size=9), customdata=running,
                hovertemplate="%{x}<br>Cumulative: %{customdata}<extra></extra>",
            )
        )
        fig.update_layout(
            yaxis2=dict(_value_axis(value), overlaying="y", side="right", showgrid=False, tickmode="auto",
                        title=dict(text="Cumulative")),
        )
    fig.update_layout(yaxis=_value_axis(value), xaxis=dict(title=None, type="category"))
    return titled(fig, title, subtitle)


def choropleth(
    frame: pd.DataFrame,
    iso3: str,
    name: str,
    value: str,
    *,
    title: str = "",
    subtitle: str = "",
) -> go.Figure:
    """A world choropleth of metric `value` by ISO-3 code, zoomed to the countries shown.

    The outlines come from the topojson shipped in `static/` (see `export.py` and
    `ui.PLOTLY_CONFIG`), never from Plotly's CDN.
    """
    text = _formatted(frame[value], value)
    m = metric(value)
    fig = go.Figure(
        go.Choropleth(
            locations=frame[iso3],
            locationmode="ISO-3",
            z=frame[value],
            text=safe_text(frame[name]),
            customdata=text,
            hovertemplate=_hover("%{text}", value),
            coloraxis="coloraxis",
            marker_line_color="#FFFFFF",
            marker_line_width=0.6,
        )
    )
    fig.update_layout(
        coloraxis=dict(colorbar=dict(title=dict(text=html.escape(m.label)), tickformat=d3_format(m.fmt))),
        margin=dict(l=0, r=0, t=64, b=0),
    )
    if len(frame):
        fig.update_geos(fitbounds="locations", visible=True)
    return titled(fig, title, subtitle)
