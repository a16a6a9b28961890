"""Streamlit glue shared by every page: cached data access, the shared filters, tiles and charts.

Pages import from here and stay thin: read filters, run named queries, show figures.
The filter state lives in the URL query string; widgets are initialised from it on a
session's first run and write it back on every run, so links and reloads keep the view.
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

from impact.app import chart_menu
from impact.app.text import plain
from impact.charts import catalog, export, theme
from impact.charts.export import column_label
from impact.model import calendar, metrics
from impact.storage import store
from impact.model.metrics import NUMBER_FORMATS, format_metric, format_value, metric
from impact.query import db, indicators
from impact.query.filters import Choices, Filters, from_query_params

# Plotly fetches map outlines from here (static/world_110m.json), never from its CDN.
PLOTLY_CONFIG = {"topojsonURL": "app/static/", "displaylogo": False, "responsive": True}


@st.cache_resource(max_entries=8, show_spinner=False)
def _database(version: str, path: str) -> db.Database:
    return db.open_database(path, version)


PROGRAMME_PARAM = "programme"


def programme_id() -> str | None:
    """The programme chosen in this session (the link's ?programme=, else the store's first)."""
    chosen = st.session_state.get("_programme")
    if chosen is not None:  # checked when it was chosen
        return chosen
    known = store.programmes()
    wanted = st.query_params.get(PROGRAMME_PARAM)
    if wanted is not None and wanted not in known:
        st.session_state["_programme_notice"] = (f"Ignored the programme '{wanted[:32]}' in the link: there is no "
                                                 f"such programme here ({', '.join(known)}).")
    chosen = wanted if wanted in known else store.default_programme()
    st.session_state["_programme"] = chosen
    return chosen


def _active() -> store.ActiveVersion:
    return store.active(programme=programme_id())


def database() -> db.Database:
    """The open database of the chosen programme's active data version (picked up without a restart).

    Its programme's indicators become metrics for this run, whichever page asks first.
    """
    return _opened()[1]


def active_version() -> store.ActiveVersion:
    """The data version this run reads (its id and folder): the one `begin_run` found, whatever became active since,
    so that everything a run shows comes from one version. Functions cached per version take it as their key."""
    return _opened()[0]


def version_database(version: str, path: str) -> db.Database:
    """The open database of one data version (opened once, shared by every session): for a function cached per
    version, given the `active_version()` of the run that called it."""
    return _database(version, path)


_RUN = "_run_opened"  # session state: (programme id, active version, database) as this run's first look found them


def begin_run() -> None:
    """Look at the store once for this run (app.py, after the programme is chosen): every query and chart of the
    run, and of the fragments rerun before the next full run, reads that version. A new version is picked up by
    the next run, as before, and a run never mixes two."""
    st.session_state[_SENT] = False
    st.session_state.pop(_RUN, None)
    active, data = _opened()
    st.session_state[_RUN] = (programme_id(), active, data)


def _opened() -> tuple[store.ActiveVersion, db.Database]:
    """The active version and its open database (one look at the store for both, once a run)."""
    seen = st.session_state.get(_RUN)
    if seen is not None and seen[0] == programme_id():
        active, data = seen[1], seen[2]
    else:
        active = _active()
        data = _database(active.version, str(active.path))
    if metrics.active_programme() is not data.programme:
        metrics.activate(data.programme)
    return active, data


def programme():
    """The chosen programme's definition (impact.model.programme.Programme)."""
    return database().programme


@st.cache_data(ttl=3600, max_entries=2000, show_spinner=False)
def _cached_query(version: str, path: str, name: str, params: dict) -> pd.DataFrame:
    return db.run_query(_database(version, path), name, params)


def query(name: str, params: dict | None = None) -> pd.DataFrame:
    """Run a named query on the chosen programme's active version, cached per version and parameters."""
    active, _ = _opened()  # opens it (and makes its indicators metrics) on a run's first query
    return _cached_query(active.version, str(active.path), name, params or {})


@st.cache_data(ttl=3600, max_entries=500, show_spinner=False)
def _cached_compute(version: str, path: str, chart_id: str, options: dict, params: dict) -> pd.DataFrame:
    return catalog.chart(chart_id, options).fetch(_database(version, path), params, options)


def chart_frame(spec: catalog.ChartSpec, options: dict | None = None, params: dict | None = None) -> pd.DataFrame:
    """A catalogued chart's table under the filters (`params` override them), cached per version."""
    merged = {**filter_params(), **(params or {})}
    if spec.compute is None:
        return query(spec.query, spec.query_params(merged, options))
    active, _ = _opened()
    return _cached_compute(active.version, str(active.path), spec.id, dict(options or {}), merged)


def totals(params: dict) -> pd.Series:
    """The headline figures under `params`: the structural metrics and the programme's indicators."""
    active, _ = _opened()
    return _cached_totals(active.version, str(active.path), params)


@st.cache_data(ttl=3600, max_entries=500, show_spinner=False)
def _cached_totals(version: str, path: str, params: dict) -> pd.Series:
    row = _cached_query(version, path, "headline_totals", params).iloc[0]
    figures = indicators.totals(_cached_query(version, path, "indicator_totals", params),
                                _database(version, path).programme)
    return pd.concat([row, pd.Series(figures, dtype="float64")])


def filter_choices() -> Choices:
    """Allowed filter values for the active data."""
    active, _ = _opened()
    return _cached_choices(active.version, str(active.path))


@st.cache_data(ttl=3600, max_entries=50, show_spinner=False)
def _cached_choices(version: str, path: str) -> Choices:
    return Choices.from_frame(_cached_query(version, path, "filter_choices", {}), _database(version, path).programme)


def ensure_navigation() -> None:
    """Rerun through app.py when Streamlit ran this page file on its own (old `pages/` mode).

    Streamlit 1.67 starts every server in its old multipage mode because a `pages/` folder
    exists, and leaves it only when `st.navigation` is called. If the first visit after a start
    goes straight to a sub-page URL (a shared Present link), the page file runs alone — no
    navigation, no sidebar filters — and the server stays in that mode. Pages call this first.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


# ---- the page's look -----------------------------------------------------------------------

# Streamlit draws captions in its text colour at 60% opacity (#767D83 on white, 4.2:1, and #717981 on the
# sidebar, 4.0:1): below WCAG's 4.5:1, and there is no theme option for it. The theme's muted colour,
# opaque, reaches 4.5:1 on both backgrounds (tests/test_theme_contrast.py).
# A chart's text alternative (`_description`) is read by screen readers but takes no room on screen.
ACCESSIBLE_CSS = f"""
<style>
[data-testid="stCaptionContainer"] {{ color: {theme.COLORS["muted"]}; opacity: 1; }}
[data-testid="stElementContainer"]:has(.impact-sr-only), .impact-sr-only {{
  position: absolute !important; width: 1px !important; height: 1px !important; margin: -1px !important;
  padding: 0 !important; overflow: hidden !important; clip: rect(0 0 0 0) !important; white-space: nowrap;
  border: 0 !important;
}}
</style>
"""


# Streamlit draws a popover's content (the Download menu) at the end of the page, so Tab from its button
# goes on through the page and reaches the menu only after everything else. This moves the focus into a
# popover when it opens, and back to its button on Escape or past either end of the menu. A constant
# script, no data in it.
POPOVER_FOCUS_JS = """
<script>
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  if (doc.defaultView.__impactPopoverFocus) return;
  doc.defaultView.__impactPopoverFocus = true;
  const focusable = 'button:not([disabled]), a[href], input:not([disabled]), [tabindex]:not([tabindex="-1"])';
  let opener = null;
  let handled = null;
  doc.addEventListener('focusin', (event) => {
    if (event.target.closest && event.target.closest('[data-testid="stPopoverButton"]')) opener = event.target;
  });
  new MutationObserver(() => {
    const body = doc.querySelector('[data-testid="stPopoverBody"]');
    if (!body) { handled = null; return; }
    const first = body.querySelector(focusable);
    if (first && body !== handled && opener && doc.activeElement === opener) {
      handled = body;
      setTimeout(() => first.focus(), 0);
    }
  }).observe(doc.body, {childList: true, subtree: true});
  doc.addEventListener('keydown', (event) => {
    const body = opener && event.target.closest && event.target.closest('[data-testid="stPopoverBody"]');
    if (!body) return;
    const items = [...body.querySelectorAll(focusable)];
    const back = opener;
    if (event.key === 'Escape') {
      setTimeout(() => back.focus(), 0);
    } else if (event.key === 'Tab' && event.target === items[event.shiftKey ? 0 : items.length - 1]) {
      // Leaving the menu's ends goes back to its button, whence Tab carries on through the page.
      event.preventDefault();
      back.focus();
    }
  }, true);
})();
</script>
"""


def page_style() -> None:
    """Styles every page needs (readable captions, keyboard focus into menus); Present adds the projector's."""
    st.html(ACCESSIBLE_CSS)
    st.html(POPOVER_FOCUS_JS, unsafe_allow_javascript=True)


# ---- shared filters -------------------------------------------------------------------------

def _url() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def _write_state(filters: Filters, opts: Choices) -> None:
    first = filters.period_from or opts.first_period
    last = filters.period_to or opts.last_period
    st.session_state["f_from"] = calendar.quarter_label(first)
    st.session_state["f_to"] = calendar.quarter_label(last)
    for dim in opts.dimensions:
        st.session_state[f"f_{dim.filter}"] = list(getattr(filters, dim.key))


def _read_state(opts: Choices) -> Filters:
    labels = {calendar.quarter_label(q): q for q in opts.quarters}
    start, end = sorted((st.session_state.get("f_from"), st.session_state.get("f_to")), key=str)
    chosen = {
        "period_from": labels.get(start) if labels.get(start) != opts.first_period else None,
        "period_to": labels.get(end) if labels.get(end) != opts.last_period else None,
    }
    for dim in opts.dimensions:
        allowed = opts.values.get(dim.key, ())
        chosen[dim.key] = tuple(v for v in st.session_state.get(f"f_{dim.filter}", []) if v in allowed)
    return Filters(**chosen)


def _sync_url(filters: Filters, opts: Choices) -> None:
    current = _url()
    keys = {"from", "to", *(d.filter for d in opts.dimensions)}
    wanted = {k: v for k, v in current.items() if k not in keys and k != PROGRAMME_PARAM}
    wanted |= filters.to_query_params(opts) | programme_link()
    if wanted != current:
        st.query_params.from_dict(wanted)


def programme_link() -> dict[str, list[str]]:
    """The programme's URL key (left out for the store's default programme)."""
    chosen = programme_id()
    return {} if chosen == store.default_programme() else {PROGRAMME_PARAM: [chosen]}


def link_params() -> dict[str, list[str]]:
    """The URL of the current view's shared state: the programme and the filters."""
    return current_filters().to_query_params(st.session_state.get("_filter_choices")) | programme_link()


def _switch_programme() -> None:
    """Another programme was chosen: its vocabularies differ, so filters and page choices start afresh (and
    its own default deck replaces the old programme's, unless the deck was edited)."""
    chart_menu.forget_default_deck(st.session_state.get("_programme"))
    st.session_state["_programme"] = st.session_state["f_programme"]
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(("f_", "u_"))]:
        if key != "f_programme":
            del st.session_state[key]
    st.query_params.from_dict({PROGRAMME_PARAM: st.session_state["f_programme"]})


def programme_chooser() -> None:
    """The programme select box at the top of the sidebar (shown when the store holds several)."""
    known = store.programmes()
    chosen = programme_id()
    if len(known) > 1:
        names = {pid: _programme_name(pid, path) for pid, path in known.items()}
        st.session_state["f_programme"] = chosen
        st.sidebar.selectbox("Programme", list(known), key="f_programme", format_func=names.get,
                             on_change=_switch_programme)
    notice = st.session_state.pop("_programme_notice", None)
    if notice:
        st.sidebar.caption(plain(notice))


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def _programme_name(pid: str, path) -> str:
    try:
        return store.load_definition(store.active_path(path)).name
    except (OSError, ValueError):
        return pid


def sidebar_filters() -> Filters:
    """Draw the shared filters in the sidebar and return the selection (kept in the URL)."""
    opts = filter_choices()
    st.session_state["_filter_choices"] = opts
    if "f_from" not in st.session_state:
        # A new session (or widget state Streamlit dropped): the URL is the source of truth.
        filters, notices = from_query_params(_url(), opts)
        _write_state(filters, opts)
        st.session_state["_filter_notices"] = notices
    quarters = [calendar.quarter_label(q) for q in opts.quarters]
    with st.sidebar:
        title, reset = st.columns([3, 2], vertical_alignment="center")
        title.markdown("**Filters**")
        if reset.button("Reset", help="Clear every filter", width="stretch"):
            _write_state(Filters(), opts)
        start, end = st.columns(2)
        start.selectbox("From", quarters, key="f_from")
        end.selectbox("To", quarters, key="f_to")
        for dim in opts.dimensions:
            fmt = (lambda iso: opts.countries.get(iso, iso)) if dim.key == "country" else str
            label = f"{dim.label} (training figures)" if dim.training_only else dim.label
            st.multiselect(label, opts.values[dim.key], key=f"f_{dim.filter}", format_func=fmt,
                           placeholder="All")
        for notice in st.session_state.get("_filter_notices", []):
            st.caption(plain(notice))
    filters = _read_state(opts)
    _sync_url(filters, opts)
    st.session_state["_filters"] = filters
    return filters


def current_filters() -> Filters:
    """The filters chosen in this run (drawn by app.py before the page runs)."""
    return st.session_state.get("_filters", Filters())


def filter_params() -> dict:
    """Bound SQL parameters for the current filters."""
    return current_filters().params(st.session_state.get("_filter_choices"))


def filter_summary() -> str:
    """The current filters in words."""
    return current_filters().describe(st.session_state.get("_filter_choices"))


def current_provenance() -> export.Provenance:
    """Source, version, date and filters of what is on screen."""
    return export.Provenance.of(database(), filter_summary())


# ---- page elements --------------------------------------------------------------------------

def data_notice() -> None:
    """Label the data in use: its programme, illustrative or not, and its version."""
    data = database()
    with st.sidebar:
        if data.illustrative or data.programme.illustrative:
            st.info(f"**Illustrative data.** {plain(data.label)}: generated, not real project data.",
                    icon=":material/info:")
        st.caption(plain(f"{data.programme.name} · data version {data.version}"))


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
            figure = programme().reference(key) if published else None
            if figure is not None:
                source = f" ({figure.source})" if figure.source else ""
                lines.append(f"Published: {figure.text(format_value(figure.value, m.fmt))}{source}.")
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
        st.warning(f"This chart cannot be drawn: {plain(str(error))}.")
        return None
    key = key or f"chart_{chart_id}" + (f"_{_options_key(options)}" if options else "")
    merged = {**filter_params(), **(params or {})}
    active, _ = _opened()  # opens it (and makes its indicators metrics) before the cache is asked
    subtitle = filter_summary()
    frame, drawn = _cached_drawing(active.version, str(active.path), chart_id, _canonical(options or {}),
                                   _canonical(merged), subtitle, height, pio.templates.default,
                                   _spec=spec, _options=dict(options or {}), _params=merged)
    return _show(spec, frame, drawn, options, key=key, provenance=None, deck=True, **plotly_kwargs)


def show_chart(spec: catalog.ChartSpec, frame: pd.DataFrame, options: dict | None = None, *, key: str,
               height: int | None = None, subtitle: str | None = None, provenance=None, deck: bool = True,
               **plotly_kwargs):
    """Show a chart drawn from `frame`: the chart, its caption, its table (opened under it), the download menu and
    (with `deck`) Add to deck. `provenance` names the source on exports (default: the data in use and the filters)."""
    subtitle = filter_summary() if subtitle is None else subtitle
    drawn = drawing(spec, frame, options, subtitle=subtitle, height=height)
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


def drawing(spec: catalog.ChartSpec, frame: pd.DataFrame, options: dict | None = None, *, subtitle: str = "",
            height: int | None = None) -> Drawing:
    """A chart's rows, figure, caption, screen-reader text and column formats, each built once from `frame`."""
    rows = spec.rows(frame)
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
def _cached_drawing(version: str, path: str, chart_id: str, options_key: str, params_key: str, subtitle: str,
                    height: int | None, template: str, *, _spec: catalog.ChartSpec, _options: dict,
                    _params: dict) -> tuple[pd.DataFrame, Drawing]:
    if _spec.compute is None:
        frame = _cached_query(version, path, _spec.query, _spec.query_params(_params, _options))
    else:
        frame = _cached_compute(version, path, _spec.id, _options, _params)
    return frame, drawing(_spec, frame, _options, subtitle=subtitle, height=height)


def _canonical(values: dict) -> str:
    """A dict of options or parameters as a cache key: the same choices give the same text."""
    return repr(sorted(values.items()))


def _show(spec: catalog.ChartSpec, frame: pd.DataFrame, drawn: Drawing, options: dict | None, *, key: str,
          provenance, deck: bool, **plotly_kwargs):
    if drawn.figure is None:
        st.info(plain(spec.when_empty or f"{spec.title}: no results for these filters."))
        return None
    # The chart, its caption and, under them, its numbers in an expander drawn when opened (a hidden grid costs the
    # server and the browser on every run; an expander costs the browser a fifth of what a pair of tabs did).
    # The explorer's table view: the numbers first, the chart in the expander.
    event = None
    if _table_first(options):
        table(drawn.rows, formats=drawn.formats)
        _caption(drawn)
        shown = st.expander("Chart", key=f"{key}_chart", on_change="rerun")
        if shown.open:
            with shown:
                event = _plot(drawn, key, plotly_kwargs)
    else:
        event = _plot(drawn, key, plotly_kwargs)
        _caption(drawn)
        numbers = st.expander("Table", key=f"{key}_table", on_change="rerun")
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


_SENT = "_sent_before_charts"  # session state: this run has sent what it drew before its first chart
SEND_PAUSE_S = 0.015  # three of Streamlit's 5 ms flush cycles (30 ms measured no better)


def _send_what_is_drawn() -> None:
    """Before a run's first chart, let the server send what the run has drawn so far (the title, the headline
    figures). The script thread holds Python's lock while it draws, so Streamlit's loop sends a cached page's
    elements in one burst at its end, and the browser shows the new numbers only after drawing every chart; a
    short pause here lets it send the numbers first, and the browser draws them first (measured, benchmark medians:
    a filter change to the Overview's new numbers 0.35-0.45 s -> 0.19-0.34 s, to idle no later). Only with a
    browser to send to."""
    if st.session_state.get(_SENT, True) or not _browser_attached():
        return
    st.session_state[_SENT] = True
    time.sleep(SEND_PAUSE_S)


def _browser_attached() -> bool:
    """This run is a live session's, with a browser connected (not AppTest's, whose runtime is a stand-in)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx is not None and Runtime.exists() and Runtime.instance().is_active_session(ctx.session_id) is True


def _plot(drawn: Drawing, key: str, plotly_kwargs: dict):
    """The chart, after its text for screen readers (hidden on screen)."""
    _send_what_is_drawn()
    _sr_only(drawn.description)
    return st.plotly_chart(drawn.figure, theme=None, config=PLOTLY_CONFIG, key=key, **plotly_kwargs)


def _description(spec: catalog.ChartSpec, caption: str | None, subtitle: str, *, table_first: bool = False) -> str:
    """A chart's text for screen readers, just before it: its title, filters and caption, and where the numbers
    are (the SVG's own text is a jumble of tick labels). Hidden on screen; data text escaped by `_sr_only`."""
    where = "in the table above" if table_first else "in the Table under it"
    parts = [f"Chart: {spec.title}.", f"Filters: {subtitle}." if subtitle else "", caption or "",
             f"The numbers are {where}."]
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


ROW_LIMIT = 1_000  # rows a listing draws in its table; its counts and its CSV and Excel files cover every one


def listing(name: str, params: dict, *, every: bool = False) -> tuple[pd.DataFrame, dict[str, int]]:
    """A listing query's first ROW_LIMIT rows (`every`: all of them) and its counts of every matching row (its
    `matching…` columns, the same on each row)."""
    frame = query(name, {**params, "row_limit": None if every else ROW_LIMIT})
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
        st.caption(f"The first {len(shown):,} of {counts['matching']:,} {noun} ({order}) are in the table: search or "
                   "filter to narrow them; the CSV and Excel files hold every one.")
    if projects:
        project_table(shown, key=key)
    else:
        table(shown.drop(columns="institution_id", errors="ignore"), key=key)
    every = (lambda: listing(name, params, every=True)[0]) if counts["matching"] > len(shown) else (lambda: shown)
    table_downloads(spec, every, key=key)
    return shown


def projects_listing(params: dict, key: str, *, then: str) -> pd.DataFrame:
    """The projects under `params` (filters and a search): their count, then `then`; a row opens the project."""
    return listing_table(catalog.PROJECTS_TABLE, "projects_list", params, key, projects=True, noun="projects",
                         order="by project id", summary=lambda n: f"{n['matching']:,} projects. {then}")


def institutions_listing(params: dict, key: str, *, where: str = "") -> pd.DataFrame:
    """The partner institutions on the projects under `params`: how many (`where` they are), in the UK and overseas."""
    return listing_table(catalog.INSTITUTIONS_TABLE, "institutions_list", params, key, noun="institutions",
                         order="UK first, then by projects",
                         summary=lambda n: f"{n['matching']:,} institutions{where}: {n['matching_uk']:,} in the UK and "
                                           f"{n['matching'] - n['matching_uk']:,} overseas.")


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


def url_choice(label: str, choices: list[str], url_key: str, default: str, *, format_func=str,
               widget=None, read=None, **kwargs) -> str:
    """A page's own choice (select box, radio or segmented control) kept in the URL under `url_key`.

    The URL value is read on the widget's first run (through `read`, e.g. `calendar.normal_quarter`, when
    the link may spell a choice another way; unknown values fall back to the default with a notice); every
    change is written back, the default leaving the URL clean.
    """
    widget = widget or st.selectbox
    state = f"u_{url_key}"
    if state not in st.session_state:  # first run of this widget: the link decides
        raw = st.query_params.get(url_key)
        raw = read(raw) if read and raw is not None else raw
        if raw is not None and raw not in choices:
            st.caption(plain(f"Ignored '{raw[:24]}' for {url_key} in the link: not one of the choices."))
        st.session_state[state] = raw if raw in choices else default
    elif st.session_state[state] not in choices:  # an earlier choice no longer applies (e.g. another metric)
        st.session_state[state] = default
    value = widget(label, choices, key=state, format_func=format_func, **kwargs)
    if value is None:  # a segmented control can be cleared: keep the choice
        value = st.session_state[state] = default
    set_url(url_key, value, default)
    return value


def set_url(url_key: str, value: str, default: str = "") -> None:
    """Write a page's own value into the URL (removed when it is the default)."""
    if value == default:
        if url_key in st.query_params:
            del st.query_params[url_key]
    elif st.query_params.get(url_key) != value:
        st.query_params[url_key] = value


def drop_url(*url_keys: str) -> None:
    """Remove page choices from the URL (a callback, e.g. when the choices they belong to change)."""
    for url_key in url_keys:
        if url_key in st.query_params:
            del st.query_params[url_key]
        st.session_state.pop(f"u_{url_key}", None)
        st.session_state.pop(f"u_{url_key}_range", None)


def url_multi(label: str, choices: list[str], url_key: str, **kwargs) -> list[str]:
    """A page's own multiple choice kept in the URL under `url_key` (unknown values dropped with a notice)."""
    state = f"u_{url_key}"
    if state not in st.session_state:
        raw = st.query_params.get_all(url_key)
        unknown = [v for v in raw if v not in choices]
        if unknown:
            st.caption(plain(f"Ignored '{unknown[0][:24]}' for {url_key} in the link: not one of the choices."))
        st.session_state[state] = [v for v in dict.fromkeys(raw) if v in choices]
    else:
        st.session_state[state] = [v for v in st.session_state[state] if v in choices]
    chosen = st.multiselect(label, choices, key=state, **kwargs)
    if chosen != st.query_params.get_all(url_key):
        st.query_params[url_key] = chosen
    return chosen


def all_databases() -> list[db.Database]:
    """The active version of every programme in the store, top-level programme first (the chosen programme's is the
    version this run reads)."""
    out, chosen = [], programme_id()
    for pid in store.programmes():
        active = active_version() if pid == chosen else store.active(programme=pid)
        if store.is_complete(store.data_dir(programme=pid), active.version):
            out.append(_database(active.version, str(active.path)))
    return out


def url_text(label: str, url_key: str, *, max_chars: int = 80, **kwargs) -> str:
    """A page's own text box (e.g. a search) kept in the URL under `url_key`."""
    state = f"u_{url_key}"
    if state not in st.session_state:
        st.session_state[state] = (st.query_params.get(url_key) or "")[:max_chars]
    value = st.text_input(label, key=state, max_chars=max_chars, **kwargs).strip()
    set_url(url_key, value)
    return value


def url_range(label: str, choices: list[str], url_key: str, default: tuple[str, str], *, read=None,
              **kwargs) -> tuple[str, str]:
    """A page's own range of choices (e.g. quarters) kept in the URL as 'first:last' (each end through `read`)."""
    state = f"u_{url_key}_range"
    if state not in st.session_state or not set(st.session_state[state]) <= set(choices):
        first, _, last = (st.query_params.get(url_key) or "").partition(":")
        first, last = (read(first), read(last)) if read else (first, last)
        st.session_state[state] = (first, last) if first in choices and last in choices else default
    first, last = st.select_slider(label, choices, key=state, **kwargs)
    set_url(url_key, f"{first}:{last}", f"{default[0]}:{default[1]}")
    return first, last


# ---- moving between pages: a country's profile, a project's page -----------------------------

def choose_country(iso3: str | None) -> None:
    """Narrow the shared country filter to one country (its profile), or clear it (a callback)."""
    st.session_state["f_country"] = [iso3] if iso3 else []


def choose_country_on_map(key: str = "country_map", elsewhere: bool = False) -> None:
    """Open the profile of the country clicked on the map (the map's selection callback).

    With `elsewhere` (a map on another page) the Countries page opens on the next run.
    """
    points = st.session_state[key].selection.points if key in st.session_state else []
    allowed = st.session_state["_filter_choices"].values["country"]
    chosen = [p.get("location") for p in points if p.get("location") in allowed]
    if chosen:
        choose_country(chosen[0])
        st.session_state["_open_country"] = elsewhere


def open_chosen_country() -> None:
    """Go to the Countries page if a map elsewhere was clicked (callbacks cannot switch pages)."""
    if st.session_state.pop("_open_country", False):
        st.switch_page("pages/countries.py", query_params=link_params())


def choose_country_from_state(key: str) -> None:
    """Open the profile of the country chosen in the select box `key` (a callback)."""
    if st.session_state.get(key):
        choose_country(st.session_state[key])


PROJECT_PARAM = "project"


def project_table(frame: pd.DataFrame, key: str) -> None:
    """Projects as a sortable table; selecting a row opens that project's page (Partnerships)."""
    event = table(frame, key=key, on_select="rerun", selection_mode="single-row")
    rows = event.selection.rows if event is not None else []
    if rows:
        open_project(str(frame["project_id"].iloc[rows[0]]))


def open_project(project_id: str) -> None:
    """Go to the Partnerships page of one project, keeping the filters in the link."""
    st.switch_page("pages/partnerships.py", query_params={**link_params(), PROJECT_PARAM: project_id})
