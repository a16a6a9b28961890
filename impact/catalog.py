"""The chart catalogue: every chart the product can draw, by id.

A chart is a named query plus a builder plus what its columns mean. Pages, the
export menu, the Present deck and `python -m impact export` all look charts up here,
so a chart drawn in the app and exported from the command line is the same figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from impact import charts


@dataclass(frozen=True)
class ChartSpec:
    """One chart: its query, builder, and the columns that hold its categories and values."""

    id: str
    title: str
    query: str
    kind: str  # bar, column, line, map: how exports treat it (native PowerPoint chart or image)
    category: str  # the column of categories (x for columns/lines, y for bars)
    values: tuple[str, ...]  # the metric columns plotted, first one is the headline
    draw: Callable[..., go.Figure]
    description: str = ""
    top: int | None = None  # keep only the largest N rows
    caption: Callable[[pd.DataFrame], str] | None = None  # a sentence computed from the numbers
    options: tuple[str, ...] = ()  # extra parameters (beyond the filters) the query and builder take
    # Value columns drawn as a line on a second axis (e.g. a running total over yearly columns);
    # exports use it to build the same combination as a native PowerPoint chart.
    secondary: tuple[str, ...] = ()
    # The one number a slide shows next to the chart: frame -> (label, formatted value).
    # None means the default in `deck.key_number` (the total of an additive headline metric).
    key_number: Callable[[pd.DataFrame], tuple[str, str]] | None = None

    def rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows the chart shows (the top N when the chart is a top-N)."""
        return frame.head(self.top) if self.top else frame

    def query_params(self, filter_params: dict, options: dict | None = None) -> dict:
        """Bound parameters for the chart's query: the filters plus its own options."""
        extra = {k: v for k, v in (options or {}).items() if k in self.options}
        return {**filter_params, **extra}

    def figure(
        self, frame: pd.DataFrame, subtitle: str = "", title: str | None = None, options: dict | None = None
    ) -> go.Figure:
        """Build the themed figure for a query result."""
        extra = {k: v for k, v in (options or {}).items() if k in self.options}
        return self.draw(self.rows(frame), title=self.title if title is None else title, subtitle=subtitle, **extra)


def _trend(frame, **kw):
    return charts.trend(frame, "year", "trainees", "cumulative_trainees", **kw)


def _map(frame, **kw):
    return charts.choropleth(frame, "iso3", "country", "trainees", **kw)


def _by_theme(frame, **kw):
    return charts.bar(frame, "theme", "trainees", **kw)


def _by_country(frame, **kw):
    return charts.bar(frame, "country", "trainees", **kw)


CHARTS: dict[str, ChartSpec] = {
    c.id: c
    for c in (
        ChartSpec(
            "trainees_trend", "Health workers trained per year", "trainees_by_year", "column", "year",
            ("trainees", "cumulative_trainees"), _trend,
            "Trained each calendar year (bars) and the running total (line).",
            secondary=("cumulative_trainees",),
        ),
        ChartSpec(
            "trainees_map", "Where health workers were trained", "trainees_by_country", "map", "country",
            ("trainees",), _map, "Health workers trained by country.",
        ),
        ChartSpec(
            "trainees_by_theme", "Health workers trained by theme", "trainees_by_theme", "bar", "theme",
            ("trainees",), _by_theme, "Health workers trained, by the project's main theme.",
        ),
        ChartSpec(
            "trainees_by_country", "Top countries by health workers trained", "trainees_by_country", "bar",
            "country", ("trainees",), _by_country, "The ten countries that trained most.", top=10,
        ),
    )
}


def chart(chart_id: str) -> ChartSpec:
    """The chart called `chart_id` (KeyError lists the known ids)."""
    try:
        return CHARTS[chart_id]
    except KeyError:
        raise KeyError(f"unknown chart {chart_id!r}; known: {', '.join(CHARTS)}") from None
