"""Chart builders: pure functions from a query result to a themed Plotly figure.

No Streamlit here, so the app, the exports and the command line draw the same
figure. Colours come from theme roles; numbers use the metric's format; text
that comes from the data is escaped so Plotly shows it literally.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from impact.charts import theme
from impact.model import calendar, i18n
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.model.metrics import currency_symbol, d3_format, format_value, is_metric, metric


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
    if m.fmt == "money":
        axis["tickprefix"] = currency_symbol()
    return axis


def _title(title: str = "", subtitle: str = "") -> dict:
    """The layout of a figure's title and a smaller subtitle line (both escaped), with room for them."""
    if not (title or subtitle):
        return {}
    text = html.escape(title)
    if subtitle:
        text += f"<br><span style='font-size:0.7em'>{html.escape(subtitle)}</span>"
    return dict(title=dict(text=text), margin=dict(t=110 if subtitle else 72))


def date_ticks(days: list) -> dict:
    """A date axis's ticks written as the active language writes months (juil. 2016 in French), not by Plotly.js:
    Streamlit's and Kaleido's Plotly carry no locale dictionary. Spread over the axis: every quarter, half-year or
    year, at most about eight ticks."""
    stamps = [pd.Timestamp(d) for d in days if not pd.isna(d)]
    if not stamps:
        return {}
    first, last = calendar.quarter_start(min(stamps).date()), max(stamps).date()
    span = (last.year - first.year) * 12 + last.month - first.month
    step = next((months for months in (3, 6, 12, 24, 36) if span / months <= 8), 60)
    if step >= 12:
        first = first.replace(month=1)
    ticks, month = [], first.year * 12 + first.month - 1
    while month <= last.year * 12 + last.month - 1:
        ticks.append(pd.Timestamp(month // 12, month % 12 + 1, 1).date())
        month += step
    words = i18n.active()
    return dict(tickmode="array", tickvals=[pd.Timestamp(t) for t in ticks], ticktext=[words.month(t) for t in ticks])


def quarter_labels(values) -> list[str]:
    """Quarters ('2016Q3') as the active language writes them (T3 2016 in French); anything else as it is (escaped)."""
    words = i18n.active()
    out = []
    for value in values:
        day = calendar.parse_quarter(str(value)) if words.language != i18n.SOURCE else None
        out.append(html.escape(words.quarter(day)) if day else html.escape(str(value)))
    return out


def _figure(data: list, layout: dict, title: str = "", subtitle: str = "") -> go.Figure:
    """A figure built at once from its traces and layout, titled (one `update_layout` per property costs
    a millisecond or more; a page draws a dozen figures). A layout's own margin keeps what the title's
    does not set."""
    heading = _title(title, subtitle)
    if "margin" in heading and "margin" in layout:
        heading["margin"] = {**layout["margin"], **heading["margin"]}
    # Numbers on axes and in hovers written as the active language writes them (12 345 in French).
    return go.Figure(data=data, layout={"separators": i18n.active().plotly_separators, **layout, **heading})


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
        textangle=0,
        textfont=dict(size=14),
        customdata=text,
        hovertemplate=_hover("%{y}" if horizontal else "%{x}", value),
        cliponaxis=False,
    )
    axes = {"xaxis": _value_axis(value), "yaxis": dict(title=None, type="category")}
    if not horizontal:
        axes = {"yaxis": axes["xaxis"], "xaxis": axes["yaxis"]}
    return _figure([trace], dict(axes, bargap=0.25), title, subtitle)


# The periods a trend's bars are named after ("Per year"), marked so the catalogue holds their words.
PERIOD_WORDS = (N_("year"), N_("quarter"))


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
    data = [go.Bar(
        x=periods, y=frame[value], name=_("Per {period}").format(period=_(period)),
        marker_color=theme.COLORS["primary"], customdata=text,
        hovertemplate=_hover("%{x}", value),
    )]
    layout = dict(yaxis=_value_axis(value), xaxis=dict(title=None, type="category"))
    if cumulative:
        running = _formatted(frame[cumulative], value)
        data.append(go.Scatter(
            x=periods, y=frame[cumulative], name=_("Cumulative"), yaxis="y2", mode="lines+markers",
            line=dict(color=theme.COLORS["uk"], width=4), marker=dict(size=9), customdata=running,
            hovertemplate="%{x}<br>" + html.escape(_("Cumulative")) + ": %{customdata}<extra></extra>",
        ))
        layout["yaxis2"] = dict(_value_axis(value), overlaying="y", side="right", showgrid=False, tickmode="auto",
                                title=dict(text=html.escape(_("Cumulative"))))
    return _figure(data, layout, title, subtitle)


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
    `drawing.PLOTLY_CONFIG`), never from Plotly's CDN.
    """
    text = _formatted(frame[value], value)
    m = metric(value)
    trace = go.Choropleth(
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
    layout = dict(
        coloraxis=dict(colorbar=dict(title=dict(text=html.escape(m.label)), tickformat=d3_format(m.fmt))),
        margin=dict(l=0, r=0, t=64, b=0),
    )
    if len(frame):
        layout["geo"] = dict(fitbounds="locations", visible=True)
    return _figure([trace], layout, title, subtitle)


def series(
    frame: pd.DataFrame,
    category: str,
    columns: list[str],
    value: str,
    *,
    kind: str = "bar",
    horizontal: bool = False,
    title: str = "",
    subtitle: str = "",
) -> go.Figure:
    """One or more series of metric `value` by `category` as bars, lines or areas.

    Bars are grouped; with `horizontal` the largest category is on top. Series colours follow
    the theme's categorical palette in column order; one series takes the primary colour.
    """
    data = frame.iloc[::-1] if horizontal else frame
    labels = safe_text(data[category])
    palette = theme.CATEGORICAL if len(columns) > 1 else [theme.COLORS["primary"]]
    traces = []
    for index, column in enumerate(columns):
        values = data[column].tolist()
        text = _formatted(values, value)
        name = html.escape(metric(column).label if is_metric(column) else str(column)) if len(columns) > 1 \
            else html.escape(metric(value).label)
        hover = f"{'%{y}' if horizontal else '%{x}'}<br>{name}: %{{customdata}}<extra></extra>"
        color = palette[index % len(palette)]
        common = dict(name=name, customdata=text, hovertemplate=hover)
        if kind == "bar":
            traces.append(go.Bar(
                x=values if horizontal else labels, y=labels if horizontal else values,
                orientation="h" if horizontal else "v", marker_color=color, cliponaxis=False,
                text=text if len(columns) == 1 else None, textposition="auto", textangle=0, textfont=dict(size=14),
                **common,
            ))
        else:
            traces.append(go.Scatter(
                x=labels, y=values, mode="lines+markers" if kind == "line" else "lines",
                line=dict(color=color, width=3), marker=dict(size=7),
                stackgroup="one" if kind == "area" else None, **common,
            ))
    axis = _value_axis(value)
    if len(columns) > 1 and (horizontal or all(is_metric(c) for c in columns)):
        # The legend names the series; an axis title under horizontal bars would sit on top of it.
        axis["title"] = None
    categories = dict(title=None, type="category")
    axes = dict(xaxis=axis, yaxis=categories) if horizontal and kind == "bar" else dict(yaxis=axis, xaxis=categories)
    return _figure(traces, dict(axes, bargap=0.25, barmode="group", showlegend=len(columns) > 1), title, subtitle)


def radar(
    frame: pd.DataFrame,
    axis: str,
    value: str,
    *,
    order: tuple[str, ...] = (),
    maximum: float = 5,
    title: str = "",
    subtitle: str = "",
) -> go.Figure:
    """A radar (polar) chart of one score per axis, in `order` when given, on a 0..`maximum` scale."""
    data = frame.set_index(axis).reindex([a for a in order if a in set(frame[axis])]) if order else frame.set_index(axis)
    labels = [wrap(label) for label in safe_text(data.index)]
    scores = data[value].tolist()
    trace = go.Scatterpolar(
        r=scores + scores[:1], theta=labels + labels[:1], fill="toself", mode="lines+markers",
        line=dict(color=theme.COLORS["primary"], width=3), marker=dict(size=8),
        fillcolor=theme.translucent(theme.COLORS["primary"], 0.18), name=html.escape(str(value).capitalize()),
        customdata=[_("{score} of {maximum}").format(score=i18n.active().decimal(s), maximum=i18n.active().decimal(maximum))
                    for s in scores + scores[:1]],
        hovertemplate="%{theta}<br>" + html.escape(_("Score")) + ": %{customdata}<extra></extra>",
    )
    layout = dict(
        polar=dict(radialaxis=dict(range=[0, maximum], dtick=1, gridcolor=theme.COLORS["grid"], angle=90,
                                   tickangle=90, tickfont=dict(size=11)),
                   angularaxis=dict(gridcolor=theme.COLORS["grid"], rotation=90, direction="clockwise",
                                    tickfont=dict(size=13)),
                   bgcolor=theme.COLORS["background"], domain=dict(y=[0.1, 0.95])),
        showlegend=False,
    )
    # the polar axes' labels need room on every side, more than a title alone asks for
    margin = dict(l=90, r=90, t=140 if subtitle else 100, b=30)
    return _figure([trace], {**layout, **_title(title, subtitle), "margin": margin})


def wrap(text: str, width: int = 16) -> str:
    """Break an (escaped) label into lines of about `width` characters for Plotly (`<br>`)."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def milestones(
    frame: pd.DataFrame,
    category: str,
    value: str,
    *,
    title: str = "",
    subtitle: str = "",
) -> go.Figure:
    """A cumulative actual against its targets: the actual as a line, the path the milestones expect as a
    dashed line, each target as a marker at its due date and the end target as a dotted line across."""
    labels = pd.to_datetime(frame[category]).tolist()  # a date axis: Plotly spaces the points, Babel writes the ticks
    words = i18n.active()
    fmt_name = html.escape(metric(value).label)

    def dated(days, values) -> list[list[str]]:  # hover text: the month as the language writes it, and the value
        return [[html.escape(words.month(d.date())), text] for d, text in zip(days, _formatted(values, value))]

    actual = frame[value].tolist()
    traces = [go.Scatter(x=labels, y=actual, name=html.escape(_("Actual (cumulative)")), mode="lines",
                         line=dict(color=theme.COLORS["primary"], width=3), customdata=dated(labels, actual),
                         hovertemplate=f"%{{customdata[0]}}<br>{fmt_name}: %{{customdata[1]}}<extra></extra>")]
    expected = frame["expected"].tolist()
    traces.append(go.Scatter(x=labels, y=expected, name=html.escape(_("Expected (milestone path)")), mode="lines",
                             line=dict(color=theme.COLORS["muted"], width=2, dash="dash"),
                             customdata=dated(labels, expected),
                             hovertemplate="%{customdata[0]}<br>" + html.escape(_("Expected by then"))
                             + ": %{customdata[1]}<extra></extra>"))
    due = frame[frame["target"].notna()]
    targets = due["target"].tolist()
    due_days = pd.to_datetime(due[category]).tolist()
    traces.append(go.Scatter(x=due_days, y=targets, name=html.escape(_("Milestones and target")),
                             mode="markers", marker=dict(symbol="diamond", size=13, color=theme.COLORS["uk"],
                                                         line=dict(color=theme.COLORS["text"], width=1)),
                             customdata=dated(due_days, targets),
                             hovertemplate="%{customdata[0]}<br>" + html.escape(_("Due"))
                             + ": %{customdata[1]}<extra></extra>"))
    layout = dict(yaxis=_value_axis(value), xaxis=dict(title=None, type="date", **date_ticks(labels + due_days)),
                  showlegend=True)
    if targets:  # the end target across the plot, labelled at its left (what `add_hline` writes, at once)
        end = targets[-1]
        layout["shapes"] = [dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=end, y1=end,
                                 line=dict(color=theme.COLORS["uk"], width=2, dash="dot"))]
        layout["annotations"] = [dict(text=html.escape(_("End target {value}").format(
            value=format_value(end, metric(value).fmt))), showarrow=False, xref="x domain", x=0, xanchor="left",
            yref="y", y=end, yanchor="bottom")]
    return _figure(traces, layout, title, subtitle)


REPORTING_ROLES = {N_("reported"): "positive", N_("reported late"): "warning", N_("missing"): "negative",
                   N_("not yet due"): "no_data"}


def reporting_heatmap(frame: pd.DataFrame, *, title: str = "", subtitle: str = "") -> go.Figure:
    """Projects (rows) x quarters (columns), each cell coloured by its return's status (reported, reported
    late, missing, not yet due); `frame` has project_id, period and status, one row per project and quarter."""
    statuses = list(REPORTING_ROLES)
    grid = (frame.assign(code=frame["status"].map({s: i for i, s in enumerate(statuses)}))
            .pivot(index="project_id", columns="period", values="code").sort_index())
    shown = [html.escape(_(s)) for s in statuses]  # the statuses in the active language (the codes stay the data's)
    labels = grid.apply(lambda column: column.map(lambda v: "" if pd.isna(v) else shown[int(v)]))
    colours = [theme.COLORS[REPORTING_ROLES[s]] for s in statuses]
    n = len(statuses)
    scale = [[edge / n, colour] for i, colour in enumerate(colours) for edge in (i, i + 1)]
    trace = go.Heatmap(
        z=grid.to_numpy(), x=quarter_labels(grid.columns), y=safe_text(grid.index), customdata=labels.to_numpy(),
        zmin=-0.5, zmax=n - 0.5, colorscale=scale, xgap=1, ygap=1,
        colorbar=dict(tickvals=list(range(n)), ticktext=shown, title=dict(text="")),
        hovertemplate="%{y}, %{x}: %{customdata}<extra></extra>")
    return _figure([trace], dict(height=max(320, 14 * len(grid) + 160), yaxis=dict(autorange="reversed", title=None),
                                 xaxis=dict(title=None, type="category")), title, subtitle)
