"""The chart catalogue: every chart the product can draw, by id.

A chart is a named query plus a builder plus what its columns mean. Pages, the
export menu, the Present deck and `python -m impact export` all look charts up here,
so a chart drawn in the app and exported from the command line is the same figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
import plotly.graph_objects as go

from impact.charts import captions, figures
from impact.model import calendar, i18n, metrics
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.model.metrics import format_metric, metric
from impact.query import db, explore, filters, indicators, portfolio, results


@dataclass(frozen=True, kw_only=True)
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
    # A family of charts (e.g. any metric by any dimension): options -> the concrete chart.
    resolve: Callable[[dict], ChartSpec] | None = None
    # Query result -> the table the chart draws (e.g. one column per split value).
    shape: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    # Query parameters of a resolved chart; they override the filters' (e.g. compared periods).
    bound: tuple[tuple[str, object], ...] = ()
    # Choices a chart cannot be drawn without (e.g. which project): decks and the command line ask for them.
    required: tuple[str, ...] = ()
    # The drawn table -> its series columns, when they depend on the data (one per split value).
    series_of: Callable[[pd.DataFrame], list[str]] | None = None
    # A chart computed from several queries: (database, filter parameters, options) -> its table. `query`
    # then only names it (for caches); `fetch` runs the one or the other.
    compute: Callable[..., pd.DataFrame] | None = None
    # What to say when there is nothing to draw (default: no results for these filters).
    when_empty: str = ""
    # Series drawn as markers at their points, with no line between them (a line chart's targets).
    points: tuple[str, ...] = ()
    # Number formats of columns not named after a metric: (column, format) pairs.
    formats: tuple[tuple[str, str], ...] = ()

    def fetch(self, database, filter_params: dict, options: dict | None = None) -> pd.DataFrame:
        """The chart's table under the filters: its query's result, or what `compute` makes of the data."""
        if self.compute is not None:
            extra = {k: v for k, v in (options or {}).items() if k in self.options}
            return self.compute(database, filters.apply({**filter_params, **_thawed(self.bound)}), **extra)
        return db.run_query(database, self.query, self.query_params(filter_params, options))

    def rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows the chart shows: shaped, and the top N when the chart is a top-N."""
        shaped = self.shape(frame) if self.shape else frame
        return shaped.head(self.top) if self.top else shaped

    def series(self, rows: pd.DataFrame) -> list[str]:
        """The value columns drawn as series (the metric columns, or one per split value)."""
        return self.series_of(rows) if self.series_of else list(self.values)

    def column_formats(self, rows: pd.DataFrame) -> dict[str, str]:
        """The number format of each column of the drawn table: a metric's column its own; series named
        after data values (a split, compared periods) and their change the chart's metric's; % change percent."""
        head = self.values[0] if self.values and metrics.is_metric(self.values[0]) else None
        carried = {*self.series(rows), "change"} if head else set()
        out = {}
        own = dict(self.formats)
        for column in rows.columns:
            if column in own:
                out[column] = own[column]
            elif metrics.is_metric(column):
                out[column] = metrics.metric(column).fmt
            elif column == "pct_change":
                out[column] = "percent"
            elif column in carried:
                out[column] = metrics.metric(head).fmt
        return out

    def query_params(self, filter_params: dict, options: dict | None = None) -> dict:
        """Bound parameters for the chart's query: the filters plus its own options."""
        extra = {k: v for k, v in (options or {}).items() if k in self.options}
        return filters.apply({**filter_params, **extra, **_thawed(self.bound)})

    def figure(
        self, frame: pd.DataFrame, subtitle: str = "", title: str | None = None, options: dict | None = None
    ) -> go.Figure:
        """Build the themed figure for a query result."""
        return self.figure_of_rows(self.rows(frame), subtitle, title, options)

    def figure_of_rows(
        self, rows: pd.DataFrame, subtitle: str = "", title: str | None = None, options: dict | None = None
    ) -> go.Figure:
        """Build the themed figure from the rows the chart shows (`rows(frame)`, when they are at hand)."""
        extra = {k: v for k, v in (options or {}).items() if k in self.options}
        return self.draw(rows, title=self.title if title is None else title, subtitle=subtitle, **extra)


def _frozen(params: dict) -> tuple:
    """Bound parameters as a tuple of pairs a frozen spec can hold (lists and the grouping struct as tuples)."""
    return tuple((k, tuple(v.items()) if isinstance(v, dict) else tuple(v) if isinstance(v, list) else v)
                 for k, v in params.items())


def _thawed(bound: tuple) -> dict:
    """`_frozen`'s parameters as DuckDB binds them: the grouping struct a dict, lists as lists."""
    return {k: dict(v) if k == "grouping" else list(v) if isinstance(v, tuple) else v for k, v in bound}


def _trend(frame, **kw):
    return figures.trend(frame, "year", "trainees", "cumulative_trainees", **kw)


def _ranking_caption(category: str, value: str):
    return lambda rows: captions.ranking(rows, category, value)


# ---- chart families: one builder, parameterised by metric and dimension ----------------------

def _explore(options: dict) -> ChartSpec:
    """Any metric by any dimension (optionally split, or two periods compared): the explorer's chart."""
    view = explore.View.from_options(options).checked()
    column = view.category_column
    value = view.metric

    def draw(rows, title="", subtitle="", **_):
        return figures.series(rows, column, explore.series_columns(rows, view), value,
                             kind="bar" if view.chart == "table" else view.chart,
                             horizontal=not view.over_time and view.chart in ("bar", "table"),
                             title=title, subtitle=subtitle)

    def caption(rows):
        if view.compare:
            first, second = view.series_labels
            return captions.comparison(rows, column, first, second, value)
        if view.split:
            return captions.split(rows, column, explore.series_columns(rows, view), value,
                                  explore.breakdowns()[view.split].shown_label)
        return (captions.over_time if view.over_time else captions.ranking)(rows, column, value)

    def shape(frame):
        wide = indicators.widen(frame) if view.query == explore.QUERIES["outcomes"] else frame
        return explore.shape(wide, view)

    def key_number(frame):
        rows = shape(frame)
        columns = explore.series_columns(rows, view)
        label = metric(value).label
        if rows.empty:
            return None
        if metric(value).aggregation == "sum":
            if view.compare:
                return (f"{label}, {view.series_labels[1]}", format_metric(value, rows[columns[1]].sum()))
            return (f"{label}, total", format_metric(value, rows[columns].to_numpy().sum()))
        best = rows[columns[0]].idxmax()
        return (f"{label}, highest ({rows[column][best]})", format_metric(value, rows[columns[0]][best]))

    return replace(
        CHARTS["explore"], title=view.title, key_number=key_number, query=view.query, kind=view.kind, category=column, values=(value,),
        draw=draw, caption=caption, shape=shape, resolve=None, options=(),
        series_of=lambda rows: explore.series_columns(rows, view),
        bound=_frozen(view.params()),
        description=f"{metric(value).description} {metric(value).how_counted}",
    )


MAP_METRICS = ("trainees", "volunteer_days", "projects", "institutions", "women_share")


def _country_map(options: dict) -> ChartSpec:
    """A world map of one of `MAP_METRICS` by country."""
    value = str((options or {}).get("metric", "trainees"))
    if value not in MAP_METRICS:
        raise ValueError(f"the map shows one of {', '.join(MAP_METRICS)}, not {value[:24]!r}")
    label = metric(value).label

    def draw(rows, title="", subtitle="", **_):
        return figures.choropleth(rows, "iso3", "country", value, title=title, subtitle=subtitle)

    def shape(frame):
        keep = frame[frame[value].notna() & (frame[value] > 0)] if value != "women_share" else frame[frame[value].notna()]
        return keep[["iso3", "country", "region", value]].sort_values(value, ascending=False).reset_index(drop=True)

    return replace(
        CHARTS["country_map"], title=_("{metric} by country").format(metric=label), values=(value,), draw=draw, shape=shape,
        caption=_ranking_caption("country", value), resolve=None, options=(),
        description=f"{metric(value).description} {metric(value).how_counted}",
    )


def _project_results(frame, project_id=None, **kw):
    return figures.series(frame, "quarter", ["trainees", "volunteer_days"], "trainees", kind="line", **kw)


def _project_results_caption(rows) -> str:
    trained, days = rows["trainees"].sum(), rows["volunteer_days"].sum()
    peak = rows.loc[rows["trainees"].idxmax()] if len(rows) else None
    words = i18n.active()
    text = _("{trained_label}: {trained}; volunteer days: {days}, over {quarters} quarters").format(
        trained_label=metric("trainees").label, trained=words.number(trained), days=words.number(days),
        quarters=len(rows))
    if peak is not None and trained:
        return text + _("; the most trained in {quarter} ({trained}).").format(quarter=peak["quarter"],
                                                                                trained=words.number(peak["trainees"]))
    return text + "."


def _for_project(chart_id: str):
    """A project's chart, titled with the project it shows."""
    def resolve(options: dict) -> ChartSpec:
        base = in_language(CHARTS[chart_id])
        return replace(base, title=f"{base.title}, {str(options['project_id'])[:40]}", resolve=None)

    return resolve


def _radar(frame, project_id=None, **kw):
    programme = metrics.active_programme()
    order = programme.values("principle") if programme is not None else None
    return figures.radar(frame, "principle", "score", order=order, **kw)


def _radar_caption(rows) -> str:
    if rows.empty:
        return _("This partnership has no self-assessment scores.")
    data = rows.sort_values(["score", "principle"], ascending=[False, True])
    return _("Average self-assessed score {average} of 5; strongest: {strongest} ({high}), weakest: {weakest} "
             "({low}).").format(average=i18n.active().number(rows["score"].mean(), 1),
                                strongest=data["principle"].iloc[0], high=data["score"].iloc[0],
                                weakest=data["principle"].iloc[-1], low=data["score"].iloc[-1])


def _results(options: dict) -> ChartSpec:
    """One metric's cumulative actual against its targets: the programme's, or a project's (`project_id`)."""
    value = str(options.get("metric", ""))
    if value not in metrics.targetable():
        raise ValueError(f"targets are set for metrics counted over time ({', '.join(metrics.targetable())}), "
                         f"not {value[:40]!r}")
    project = str(options.get("project_id") or "")[:40]
    label = metric(value).label
    whose = f", {project}" if project else ""
    words = i18n.active()

    empty = _("{metric}: nothing to show. No target is set for it, or the targets are the programme's own, for the "
              "whole programme, which cannot be split by the filters (clear them to see it).").format(
        metric=label + whose)

    def caption(rows):
        known = rows[rows[value].notna()]
        due = rows[rows["target"].notna()]
        if known.empty or due.empty:
            return empty
        last = known.iloc[-1]
        expected = "" if pd.isna(last["expected"]) else _(" against {expected} expected by then").format(
            expected=results.figure(last["expected"], value))
        return _("{metric}: {actual} by {month}{expected}; end target {target} by {due}.").format(
            metric=label + whose, actual=results.figure(last[value], value), month=words.date(last["date"], "MMMM y"),
            expected=expected, target=results.figure(due["target"].iloc[-1], value),
            due=words.date(due["date"].iloc[-1], "MMMM y"))

    return replace(CHARTS["results"], title=_("{metric} against the project's targets").format(metric=label) + whose
                   if project else _("{metric} against the programme's targets").format(metric=label),
                   values=(value,), resolve=None, caption=caption, when_empty=empty,
                   draw=lambda rows, title="", subtitle="", **_: figures.milestones(rows, "date", value, title=title,
                                                                                    subtitle=subtitle),
                   series_of=lambda rows: [value, "expected", "target"],
                   key_number=lambda rows: _results_key(rows, value),
                   description=_("{metric}: the cumulative actual, the path its milestones expect, and each "
                                 "target at its due date.").format(metric=label))


def _results_key(rows: pd.DataFrame, value: str) -> tuple[str, str]:
    known = rows[rows[value].notna()]
    if known.empty:
        return (_("Actual"), "—")
    last = known.iloc[-1]
    return (_("Actual, {month}").format(month=i18n.active().date(last["date"], "MMMM y")),
            results.figure(last[value], value))


def _map(frame, **kw):
    return figures.choropleth(frame, "iso3", "country", "trainees", **kw)


def _by_theme(frame, **kw):
    return figures.bar(frame, "theme", "trainees", **kw)


def _by_country(frame, **kw):
    return figures.bar(frame, "country", "trainees", **kw)


CHARTS: dict[str, ChartSpec] = {
    c.id: c
    for c in (
        ChartSpec(
            id="trainees_trend", title=N_("Health workers trained per year"), query="trainees_by_year", kind="column", category="year",
            values=("trainees", "cumulative_trainees"), draw=_trend,
            description=N_("Trained each calendar year (bars) and the running total (line)."),
            secondary=("cumulative_trainees",), caption=lambda rows: captions.over_time(rows, "year", "trainees"),
        ),
        ChartSpec(
            id="trainees_map", title=N_("Where health workers were trained"), query="trainees_by_country", kind="map", category="country",
            values=("trainees",), draw=_map, description=N_("Health workers trained by country."), caption=_ranking_caption("country", "trainees"),
        ),
        ChartSpec(
            id="trainees_by_theme", title=N_("Health workers trained by theme"), query="trainees_by_theme", kind="bar", category="theme",
            values=("trainees",), draw=_by_theme, description=N_("Health workers trained, by the project's main theme."),
            caption=_ranking_caption("theme", "trainees"),
        ),
        ChartSpec(
            id="trainees_by_country", title=N_("Top countries by health workers trained"), query="trainees_by_country", kind="bar",
            category="country", values=("trainees",), draw=_by_country, description=N_("The ten countries that trained most."), top=10,
            caption=_ranking_caption("country", "trainees"),
        ),
        ChartSpec(
            id="explore", title=N_("Any metric by any dimension"), query="training_by_dimension", kind="bar", category="category",
            values=("trainees",), draw=figures.series, description=N_("Any metric, grouped by any dimension, optionally split or compared."),
            options=explore.OPTION_KEYS, resolve=_explore,
        ),
        ChartSpec(
            id="country_map", title=N_("Map of a metric by country"), query="country_metrics", kind="map", category="country", values=("trainees",),
            draw=_map, description=N_("A metric by country (health workers trained, volunteer days, projects, institutions, "
            "women's share)."), options=("metric",), resolve=_country_map,
        ),
        ChartSpec(
            id="project_results", title=N_("Results by quarter"), query="project_results_by_quarter", kind="line", category="quarter",
            values=("trainees", "volunteer_days"), draw=_project_results,
            description=N_("One project's health workers trained and volunteer days, quarter by quarter."),
            options=("project_id",), required=("project_id",), caption=_project_results_caption,
            resolve=_for_project("project_results"),
        ),
        ChartSpec(
            id="results", title=N_("Results against targets"), query="results_timeline", kind="line", category="date",
            values=("trainees",), draw=figures.milestones,
            description=N_("A metric's cumulative actual against its milestones and end target (the programme's, "
                        "or a project's with project_id)."),
            options=("metric", "project_id"), required=("metric",), resolve=_results,
            compute=results.timeline_frame, points=("target",),
        ),
        ChartSpec(
            id="partnership_scores", title=N_("Partnership self-assessment"), query="project_scores", kind="radar",
            category="principle", values=("score",), draw=_radar,
            description=N_("The partnership's own scores (1 = weak, 5 = strong) on the programme's principles of partnership."),
            options=("project_id",), required=("project_id",), caption=_radar_caption,
            resolve=_for_project("partnership_scores"),
            key_number=lambda frame: ("Average score (of 5)", f"{frame['score'].mean():.1f}"),
        ),
    )
}


# The projects-against-targets table (not a chart: exported as CSV and Excel from the Results page).
RESULTS_TABLE = ChartSpec(
    id="results_table", title=N_("Projects against their targets"), query="", kind="table", category="project_id",
    values=(), draw=lambda rows, **_: go.Figure(),
    description=N_("Every project and indicator with a target: the end target, the value expected by the date, the "
                "actual, % achieved and the annual review's score. % achieved = (actual - baseline) / (expected - "
                "baseline); values of share indicators are fractions (0.5 = 50%)."),
    formats=(("achieved", "percent"), ("of_end", "percent")),
)


# The Partnerships and Countries listings (not charts: exported as CSV and Excel beside their tables).
PROJECTS_TABLE = ChartSpec(
    id="projects", title=N_("Projects"), query="projects_list", kind="table", category="project_id", values=(),
    draw=lambda rows, **_: go.Figure(),
    description=N_("Projects active under the filters (and the search): their leads, country, theme, grant, phase, "
                "dates and budget, and the health workers trained and volunteer days under the filters."),
)
INSTITUTIONS_TABLE = ChartSpec(
    id="institutions", title=N_("Partner institutions"), query="institutions_list", kind="table", category="name",
    values=(), draw=lambda rows, **_: go.Figure(),
    description=N_("Partner institutions, at home and overseas, on the projects active under the filters (and the "
                   "search): how many of those projects each is on, and in how many it leads."),
)


def chart(chart_id: str, options: dict | None = None) -> ChartSpec:
    """The chart called `chart_id`, resolved with its options when it is a family.

    UnknownName (a KeyError) lists the known ids; ValueError says which option cannot be drawn.
    """
    try:
        spec = CHARTS[chart_id]
    except KeyError:
        raise metrics.UnknownName(f"unknown chart {chart_id!r}; known: {', '.join(CHARTS)}") from None
    missing = [key for key in spec.required if not (options or {}).get(key)]
    if missing:
        raise ValueError(f"chart {chart_id!r} needs the option(s) {', '.join(missing)}")
    spec = spec.resolve(dict(options or {})) if spec.resolve else spec
    return in_language(spec)


def in_language(spec: ChartSpec) -> ChartSpec:
    """`spec` with its title, description and empty-chart text in the active language (English when not translated)."""
    words = i18n.active()
    if words.language == i18n.SOURCE:
        return spec
    return replace(spec, title=words.gettext(spec.title), description=words.gettext(spec.description),
                   when_empty=words.gettext(spec.when_empty) if spec.when_empty else spec.when_empty)


def labelled(spec: ChartSpec, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows a chart shows with its category's values as the active language labels them: a vocabulary's (themes,
    cadres…) from the programme's definition, a country's name from CLDR; the values themselves stay what is stored."""
    programme, words = metrics.active_programme(), i18n.active()
    if programme is None or words.language == i18n.SOURCE or spec.category not in rows.columns:
        return rows
    if spec.category == "country" and "iso3" in rows.columns:  # its name in the language (CLDR's, through Babel)
        return rows.assign(country=[words.country(iso3, name) for iso3, name in zip(rows["iso3"], rows["country"])])
    if spec.category == "quarter":  # 2016Q3 written as the language writes a quarter (T3 2016 in French)
        days = [calendar.parse_quarter(str(v)) for v in rows["quarter"]]
        return rows.assign(quarter=[words.quarter(day) if day else v for day, v in zip(days, rows["quarter"])])
    if spec.category not in programme.vocabularies:
        return rows
    return rows.assign(**{spec.category: [programme.label(spec.category, v) if isinstance(v, str) else v
                                          for v in rows[spec.category]]})


def standalone() -> list[str]:
    """The charts that can be drawn with no options of their own (offered in the deck editor)."""
    return [chart_id for chart_id, spec in CHARTS.items() if not spec.required]


# ---- the Portfolio page: every programme side by side (frames from impact.query.portfolio) ------------

def _portfolio_per_year(value: str, title: str, kind: str) -> ChartSpec:
    def draw(rows, title="", subtitle="", **_):
        columns = [c for c in rows.columns if c != "year"]
        return figures.series(rows, "year", columns, value, kind=kind, title=title, subtitle=subtitle)

    return ChartSpec(
        id=f"portfolio_{value}", title=title, query="", kind="line" if kind == "line" else "column",
        category="year", values=(value,), draw=draw, shape=lambda frame: portfolio.wide(frame, value),
        series_of=lambda rows: [c for c in rows.columns if c != "year"],
        description=N_("Each programme's own figure per calendar year, side by side."),
    )


def _portfolio_map() -> ChartSpec:
    def draw(rows, title="", subtitle="", **_):
        return figures.choropleth(rows, "iso3", "country", "trainees", title=title, subtitle=subtitle)

    return ChartSpec(
        id="portfolio_map", title=N_("Where the programmes trained health workers"), query="", kind="map",
        category="country", values=("trainees",), draw=draw,
        shape=lambda frame: frame[frame["trainees"] > 0].reset_index(drop=True),
        description=N_("Health workers trained by country, all programmes added up; the table names the programmes."),
    )


PORTFOLIO: dict[str, ChartSpec] = {  # the Portfolio page's charts: one frame from every programme
    "portfolio_trainees": _portfolio_per_year("trainees", N_("Health workers trained per year, by programme"), "bar"),
    "portfolio_women_share": _portfolio_per_year("women_share", N_("Women's share of trainees per year, by programme"), "line"),
    "portfolio_volunteer_days": _portfolio_per_year("volunteer_days", N_("Volunteer days per year, by programme"), "bar"),
    "portfolio_map": _portfolio_map(),
}
