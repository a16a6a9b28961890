"""Drawing on a page: headline tiles, charts with their caption, Table expander and menus, tables and their
downloads, listings of projects and institutions.

A catalogued chart's rows, figure and texts are built once per data version, chart, options, filters and theme
(`cached_drawing`) and shared by every session; the chart builders themselves are pure (impact.charts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import time
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from impact.app import chart_menu, navigation, session, sidebar, streamlit_compat
from impact.app.text import plain
from impact.charts import catalog, export
from impact.charts.export import column_label
from impact.ingest import validate
from impact.model import i18n, metrics, schema
from impact.model.i18n import gettext as _
from impact.model.metrics import NUMBER_FORMATS, format_metric, format_value, metric

# Plotly fetches map outlines from here (static/world_110m.json), never from its CDN.
PLOTLY_CONFIG = {"topojsonURL": "app/static/", "displaylogo": False, "responsive": True}


def chart_frame(spec: catalog.ChartSpec, options: dict | None = None, params: dict | None = None) -> pd.DataFrame:
    """A catalogued chart's table under the filters (`params` override them), cached per version."""
    merged = {**sidebar.filter_params(), **(params or {})}
    if spec.compute is None:
        return session.query(spec.query, spec.query_params(merged, options))
    active = session.active_version()
    return session.cached_compute(active.version, str(active.path), spec.id, dict(options or {}), merged)



def current_provenance() -> export.Provenance:
    """Source, version, date and filters of what is on screen."""
    return export.Provenance.of(session.database(), sidebar.filter_summary())


def kpi_tiles(row: pd.Series, keys: list[str], columns: int = 4, *, published: bool = False,
              notes: dict[str, str] | None = None) -> None:
    """Headline tiles for metric `keys`, each with how it is counted (and, if asked, the figure the
    programme published, from its definition's reference figures; `notes`: a line under a tile, such as
    its progress against the programme's target)."""
    for start in range(0, len(keys), columns):
        cols = st.columns(columns)
        for col, key in zip(cols, keys[start : start + columns]):
            m = metric(key)
            # Two elements a tile (the framed number, one caption of its lines): a browser redraws every element
            # of a page on each run, and a frame and a caption per line doubled what the tiles cost it.
            lines = [m.how_counted, (notes or {}).get(key)]
            figure = session.programme().reference(key) if published else None
            if figure is not None:
                source = f" ({figure.source})" if figure.source else ""
                lines.append(_("Published: {figure}{source}.").format(
                    figure=figure.text(format_value(figure.value, m.fmt)), source=source))
            with col:
                st.metric(m.label, format_metric(key, row.get(key)), help=m.description, border=True)
                st.caption("  \n".join(plain(line) for line in lines if line))


def chart(chart_id: str, options: dict | None = None, *, key: str | None = None, params: dict | None = None,
          height: int | None = None, **plotly_kwargs):
    """Show a catalogued chart for the current filters: the chart, its caption, its table (opened under it), exports.

    `options` are the chart's own parameters (e.g. a country, or the explorer's choices);
    `params` override filter parameters for this chart only; `height` is the chart's in pixels;
    extra keyword arguments go to
    `st.plotly_chart` (e.g. `on_select`). Returns what `st.plotly_chart` returns.
    The table, figure and texts are built once per data version, chart, options, filters and theme.
    """
    try:
        spec = catalog.chart(chart_id, options)
    except ValueError as error:
        st.warning(_("This chart cannot be drawn: {reason}.").format(reason=plain(str(error))))
        return None
    key = key or f"chart_{chart_id}" + (f"_{_options_key(options)}" if options else "")
    merged = {**sidebar.filter_params(), **(params or {})}
    active = session.active_version()  # opens it (and makes its indicators metrics) before the cache is asked
    subtitle = sidebar.filter_summary()
    frame, drawn = cached_drawing(active.version, str(active.path), chart_id, canonical(options or {}),
                                  canonical(merged), subtitle, height, pio.templates.default,
                                  i18n.active().language, _spec=spec, _options=dict(options or {}), _params=merged)
    return _show(spec, frame, drawn, options, key=key, provenance=None, deck=True, **plotly_kwargs)


def show_chart(spec: catalog.ChartSpec, frame: pd.DataFrame, options: dict | None = None, *, key: str,
               height: int | None = None, subtitle: str | None = None, provenance=None, deck: bool = True,
               **plotly_kwargs):
    """Show a chart drawn from `frame`: the chart, its caption, its table (opened under it), the download menu and
    (with `deck`) Add to deck. `provenance` names the source on exports (default: the data in use and the filters)."""
    subtitle = sidebar.filter_summary() if subtitle is None else subtitle
    drawn = prepare(spec, frame, options, subtitle=subtitle, height=height)
    return _show(spec, frame, drawn, options, key=key, provenance=provenance, deck=deck, **plotly_kwargs)


@dataclass(frozen=True)
class Drawing:
    """What `show_chart` draws of one chart, built once: the rows, the figure (None: no rows) and texts."""

    rows: pd.DataFrame
    figure: go.Figure | None
    subtitle: str = ""
    caption: str | None = None  # None: the chart has no caption
    description: str = ""
    formats: dict = field(default_factory=dict)


def prepare(spec: catalog.ChartSpec, frame: pd.DataFrame, options: dict | None = None, *, subtitle: str = "",
            height: int | None = None) -> Drawing:
    """A chart's rows, figure, caption, screen-reader text and column formats, each built once from `frame`."""
    rows = catalog.labelled(spec, spec.rows(frame))  # a theme, a cadre… as the session's language labels it
    if rows.empty:
        return Drawing(rows, None)
    fig = spec.figure_of_rows(rows, subtitle=subtitle, options=options)
    if height:
        fig.layout.height = height
    caption = spec.caption(rows) if spec.caption else None
    description = _description(spec, caption, subtitle, table_first=_table_first(options))
    return Drawing(rows, fig, subtitle, caption, description, spec.column_formats(rows))


# Shared by every session and returned as is (not copied): nothing may change what it holds. st.plotly_chart
# serialises a copy of the figure, st.dataframe and the exports only read the tables.
@st.cache_resource(ttl=3600, max_entries=500, show_spinner=False)
def cached_drawing(version: str, path: str, chart_id: str, options_key: str, params_key: str, subtitle: str,
                   height: int | None, template: str, language: str, *, _spec: catalog.ChartSpec, _options: dict,
                   _params: dict) -> tuple[pd.DataFrame, Drawing]:
    """A catalogued chart's table and its `Drawing` on one data version, keyed by the chart, its options and
    parameters (`canonical`), the subtitle, height, Plotly template and language."""
    if _spec.compute is None:
        frame = session.cached_query(version, path, _spec.query, _spec.query_params(_params, _options))
    else:
        frame = session.cached_compute(version, path, _spec.id, _options, _params)
    return frame, prepare(_spec, frame, _options, subtitle=subtitle, height=height)


def canonical(values: dict) -> str:
    """A dict of options or parameters as a cache key: the same choices give the same text."""
    return repr(sorted(values.items()))


def _nothing_to_draw(spec: catalog.ChartSpec) -> str:
    """Why a chart is empty: nothing reported yet in the table its metrics count (a programme started from an IATI
    file, say), or nothing under the filters."""
    rows = session.database().manifest.get("rows", {})
    sources = {metrics.metric(v).source for v in spec.values if metrics.is_metric(v)}
    facts = sorted(s for s in sources if s in schema.FACT_TABLES)
    if rows and facts and not any(rows.get(name) for name in facts):
        return _("{title}: not reported yet. This programme has no {tables} rows yet; they appear here once imported "
                 "(Data page, or returns from partners).").format(title=spec.title, tables=_(" or ").join(facts))
    return _("{title}: no results for these filters.").format(title=spec.title)


def _show(spec: catalog.ChartSpec, frame: pd.DataFrame, drawn: Drawing, options: dict | None, *, key: str,
          provenance, deck: bool, **plotly_kwargs):
    if drawn.figure is None:
        st.info(plain(spec.when_empty or _nothing_to_draw(spec)))
        return None
    # The chart, its caption and, under them, its numbers in an expander drawn when opened (a hidden grid costs the
    # server and the browser on every run; an expander costs the browser a fifth of what a pair of tabs did).
    # The explorer's table view: the numbers first, the chart in the expander.
    event = None
    if _table_first(options):
        table(drawn.rows, formats=drawn.formats)
        _caption(drawn)
        shown = st.expander(_("Chart"), key=f"{key}_chart", on_change="rerun")
        if shown.open:
            with shown:
                event = _plot(drawn, key, plotly_kwargs)
    else:
        event = _plot(drawn, key, plotly_kwargs)
        _caption(drawn)
        numbers = st.expander(_("Table"), key=f"{key}_table", on_change="rerun")
        if numbers.open:
            with numbers:
                # Series named after data values (a split, compared periods) carry the chart's metric.
                table(drawn.rows, formats=drawn.formats)
    chart_menu.chart_actions(spec, frame, options, key, provenance=provenance or current_provenance(), deck=deck)
    return event


def _table_first(options: dict | None) -> bool:
    return (options or {}).get("chart") == "table"


def _caption(drawn: Drawing) -> None:
    if drawn.caption is not None:
        st.caption(plain(drawn.caption))


SEND_PAUSE_S = 0.015  # three of Streamlit's 5 ms flush cycles (30 ms measured no better)


def _send_what_is_drawn() -> None:
    """Before a run's first chart, let the server send what the run has drawn so far (the title, the headline
    figures). The script thread holds Python's lock while it draws, so Streamlit's loop sends a cached page's
    elements in one burst at its end, and the browser shows the new numbers only after drawing every chart; a
    short pause here lets it send the numbers first, and the browser draws them first (measured, benchmark medians:
    a filter change to the Overview's new numbers 0.35-0.45 s -> 0.19-0.34 s, to idle no later). Only with a
    browser to send to."""
    if session.first_chart_of_run() and streamlit_compat.browser_attached():
        time.sleep(SEND_PAUSE_S)


def _plot(drawn: Drawing, key: str, plotly_kwargs: dict):
    """The chart, after its text for screen readers (hidden on screen)."""
    _send_what_is_drawn()
    _sr_only(drawn.description)
    return st.plotly_chart(drawn.figure, theme=None, config=PLOTLY_CONFIG, key=key, **plotly_kwargs)


def _description(spec: catalog.ChartSpec, caption: str | None, subtitle: str, *, table_first: bool = False) -> str:
    """A chart's text for screen readers, just before it: its title, filters and caption, and where the numbers
    are (the SVG's own text is a jumble of tick labels). Hidden on screen; data text escaped by `_sr_only`."""
    parts = [_("Chart: {title}.").format(title=spec.title),
             _("Filters: {filters}.").format(filters=subtitle) if subtitle else "", caption or "",
             _("The numbers are in the table above.") if table_first else _("The numbers are in the Table under it.")]
    return " ".join(" ".join(p.split()) for p in parts if p)


def _sr_only(text: str) -> None:
    st.html(f'<p class="impact-sr-only" data-testid="impact-chart-description">{html.escape(text)}</p>')


def _options_key(options: dict) -> str:
    return hashlib.sha256(repr(sorted(options.items())).encode()).hexdigest()[:10]


def _is_date(values: pd.Series) -> bool:
    """True for a column of dates: datetime64, or Python dates (pandas 3 keeps DuckDB/Parquet DATEs as objects)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    present = values.dropna()
    return values.dtype == object and len(present) > 0 and all(isinstance(v, dt.date) for v in present)


def table(frame: pd.DataFrame, formats: dict[str, str] | None = None, **kwargs):
    """A data table with readable headings and numbers formatted by their metric (text shown as text).

    `formats` gives the number format of columns that are not named after a metric.
    """
    config = {}
    for column in frame.columns:
        label = column_label(column)
        fmt = metric(column).fmt if metrics.is_metric(column) else (formats or {}).get(column)
        if column == "pct_change":
            fmt = "percent"
        if fmt in NUMBER_FORMATS:
            suffix = f" ({metrics.currency_symbol().strip()})" if fmt == "money" else ""
            config[column] = st.column_config.NumberColumn(f"{label}{suffix}", format=NUMBER_FORMATS[fmt].app)
        elif pd.api.types.is_numeric_dtype(frame[column]):
            config[column] = st.column_config.NumberColumn(label, format="localized")
        elif _is_date(frame[column]):  # a TextColumn would show a date as its epoch milliseconds
            config[column] = st.column_config.DateColumn(label, format="D MMM YYYY")
        else:
            config[column] = st.column_config.TextColumn(label)
    return st.dataframe(frame, hide_index=True, width="stretch", column_config=config, **kwargs)


def headed(frame: pd.DataFrame, headings: dict[str, str], **kwargs):
    """A table of text (and counts) under the headings given per column (a column not given keeps its name)."""
    config = {}
    for column in frame.columns:
        heading = headings.get(column, column)
        if pd.api.types.is_bool_dtype(frame[column]):
            config[column] = st.column_config.CheckboxColumn(heading)
        elif pd.api.types.is_numeric_dtype(frame[column]):
            plain_number = column in ("row", "line")  # a place in a file, not a quantity
            config[column] = st.column_config.NumberColumn(heading, format="plain" if plain_number else "localized")
        else:
            config[column] = st.column_config.TextColumn(heading)
    return st.dataframe(frame, hide_index=True, width="stretch", column_config=config, **kwargs)


def problems(frame: pd.DataFrame, **kwargs):
    """An import's problems (file, row, column, value, rule, message), or their counts by kind, headed in the session's
    language; the messages are in the language the check ran in, the values and rule codes as they are."""
    return headed(frame, {column: _(heading) for column, heading in validate.HEADINGS.items()}, **kwargs)


ROW_LIMIT = 1_000  # rows a listing draws in its table; its counts and its CSV and Excel files cover every one


def listing(name: str, params: dict, *, every: bool = False) -> tuple[pd.DataFrame, dict[str, int]]:
    """A listing query's first ROW_LIMIT rows (`every`: all of them) and its counts of every matching row (its
    `matching…` columns, the same on each row)."""
    frame = session.query(name, {**params, "row_limit": None if every else ROW_LIMIT})
    counted = [c for c in frame.columns if c.startswith("matching")]
    counts = {c: int(frame[c].iloc[0]) if len(frame) else 0 for c in counted}
    return frame.drop(columns=counted), counts


def listing_table(spec: catalog.ChartSpec, name: str, params: dict, key: str, *, summary, noun: str, order: str,
                  projects: bool = False) -> pd.DataFrame:
    """A listing under the filters: `summary(counts)` (a sentence), the first ROW_LIMIT rows in a table (with
    `projects`, a row opens its project) and every one as CSV and Excel, built when clicked. Returns the rows shown."""
    shown, counts = listing(name, params)
    st.caption(plain(summary(counts)))
    if counts["matching"] > len(shown):
        words = i18n.active()
        st.caption(_("The first {shown} of {matching} {noun} ({order}) are in the table: search or filter to narrow "
                     "them; the CSV and Excel files hold every one.").format(
            shown=words.number(len(shown)), matching=words.number(counts["matching"]), noun=noun, order=order))
    if projects:
        project_table(shown, key=key)
    else:
        table(shown.drop(columns="institution_id", errors="ignore"), key=key)
    every = (lambda: listing(name, params, every=True)[0]) if counts["matching"] > len(shown) else (lambda: shown)
    table_downloads(spec, every, key=key)
    return shown


def projects_listing(params: dict, key: str, *, then: str) -> pd.DataFrame:
    """The projects under `params` (filters and a search): their count, then `then`; a row opens the project."""
    words = i18n.active()
    return listing_table(catalog.PROJECTS_TABLE, "projects_list", params, key, projects=True, noun=_("projects"),
                         order=_("by project id"),
                         summary=lambda n: _("{count} projects. {then}").format(count=words.number(n["matching"]),
                                                                                then=then))


def institutions_listing(params: dict, key: str, *, where: str = "") -> pd.DataFrame:
    """The partner institutions on the projects under `params`: how many (`where` they are), on the home side (in the
    UK) and overseas."""
    home = session.programme().home_in()
    words = i18n.active()
    return listing_table(catalog.INSTITUTIONS_TABLE, "institutions_list", params, key, noun=_("institutions"),
                         order=_("{home} first, then by projects").format(home=home.home),
                         summary=lambda n: _("{count} institutions{where}: {uk} on the {home} side and {overseas} "
                                             "overseas.").format(count=words.number(n["matching"]), where=where,
                                                                 uk=words.number(n["matching_uk"]), home=home.home,
                                                                 overseas=words.number(n["matching"] - n["matching_uk"])))


def table_downloads(spec: catalog.ChartSpec, rows, key: str) -> None:
    """A table as CSV and Excel (numbers as numbers, text cells that cannot run as formulas); `rows` builds it when
    a file is clicked."""
    prov = current_provenance()
    row = st.container(horizontal=True)
    row.download_button("CSV", lambda: export.csv_bytes(spec, rows()), file_name=f"{spec.id}.csv",
                        mime=export.MIME_TYPES["csv"], icon=":material/download:", on_click="ignore", key=f"{key}_csv")
    row.download_button("Excel", lambda: export.xlsx_bytes(spec, rows(), prov), file_name=f"{spec.id}.xlsx",
                        mime=export.MIME_TYPES["xlsx"], icon=":material/download:", on_click="ignore",
                        key=f"{key}_xlsx")


def project_table(frame: pd.DataFrame, key: str) -> None:
    """Projects as a sortable table; selecting a row opens that project's page (Partnerships)."""
    event = table(frame, key=key, on_select="rerun", selection_mode="single-row")
    rows = event.selection.rows if event is not None else []
    if rows:
        navigation.open_project(str(frame["project_id"].iloc[rows[0]]))

