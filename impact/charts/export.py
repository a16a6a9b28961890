"""Exports of catalogued charts: slide-sized images (PNG, SVG, PDF) and the numbers (CSV, Excel).

Every exported image carries its context: the chart title, the active filters in words as a
subtitle, and a footer naming the source, the data version and the date. Images are drawn by
Kaleido through one persistent Chromium per process (started on the first export), with map
outlines read from the topojson shipped in `static/`, so nothing is fetched from the network.

Spreadsheet cells that would start a formula (`=`, `+`, `-`, `@`, tab, CR) are neutralised with a
leading apostrophe, as OWASP recommends for CSV injection; numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from impact.charts import catalog, theme
from impact.model import cells, i18n, metrics
from impact.model import programme as programmes
from impact.model.i18n import N_
from impact.query import db
from impact.query.filters import Choices, Filters
from impact.storage import store

# A 16:9 slide laid out at 960×540 CSS pixels; PNG scale 2 gives 1920×1080, scale 4 gives 3840×2160.
SLIDE_WIDTH = 960
SLIDE_HEIGHT = 540
PNG_SCALE = 2
IMAGE_FORMATS = ("png", "svg", "pdf")
TABLE_FORMATS = ("csv", "xlsx")
FORMATS = IMAGE_FORMATS + TABLE_FORMATS
MIME_TYPES = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "json": "application/json",
    "html": "text/html",
}
# Plotly's world outlines, shipped with the project so maps draw offline (Kaleido, the app, HTML decks).
TOPOJSON_DIR = store.PROJECT_ROOT / "static"
_HEADER_HEIGHT = 112  # title, key number and filters above the plot (px of the 960×540 layout)
# (Labels with a % sign put it after a word: pybabel reads "% c…" or "% o…" as a %-format placeholder.)
_COLUMN_LABELS = {"iso3": N_("ISO-3 code"), "pct_change": N_("Change (%)"), "grant_type": N_("Grant type"),
                  "expected": N_("Expected by then (milestone path)"),
                  "target": N_("Target due"), "end_target": N_("End target"), "end_due": N_("End target due"),
                  "achieved": N_("% achieved"), "of_end": N_("Of end target (%)"),
                  "how": N_("How % achieved is computed"), "indicator": N_("Indicator"), "baseline": N_("Baseline"),
                  "judged_at": N_("Judged at"), "actual": N_("Actual"), "score": N_("Score"),
                  # the columns of the public site's files (in English as the fallback below writes them)
                  "country": N_("Country"), "region": N_("Region"), "theme": N_("Theme"), "year": N_("Year"),
                  "date": N_("Date"), "quarter": N_("Quarter"), "title": N_("Title"), "project_id": N_("Project id"),
                  "phase": N_("Phase"), "start_date": N_("Start date"), "end_date": N_("End date"),
                  "programme": N_("Programme"), "name": N_("Name"), "years": N_("Years"), "currency": N_("Currency"),
                  "programmes": N_("Programmes"), "grant_funding": N_("Grant funding"),
                  "cumulative_trainees": N_("Cumulative trainees")}

_LEADS = {"uk_lead": "home", "overseas_lead": "overseas"}  # the listings' lead columns, by side

_kaleido_lock = threading.Lock()


@dataclass(frozen=True)
class Provenance:
    """What an export says about where its numbers come from: source, version, date, filters."""

    source: str
    version: str
    day: dt.date
    filters: str

    @classmethod
    def of(cls, database: db.Database, filters: str, day: dt.date | None = None) -> Provenance:
        """The provenance of charts drawn from `database` under `filters` (in words)."""
        return cls(f"{database.programme.name_in()}, {database.label}", database.version, day or dt.date.today(),
                   filters)

    @property
    def footer(self) -> str:
        """One line for the foot of an image or slide."""
        words = i18n.active()
        return words.gettext("Source: {source} · Data version {version} · {day}").format(
            source=self.source, version=self.version, day=words.date(self.day, "d MMMM y"))


def column_label(column: str) -> str:
    """A column heading people read: the metric label, else the column name in words."""
    if metrics.is_metric(column):
        return metrics.metric(column).label
    if column in _LEADS:  # the sides' leads, as the active programme's definition names the sides ("UK lead")
        programme = metrics.active_programme()
        home = programme.home_in() if programme is not None else programmes.Home()
        return i18n.active().gettext(N_("{side} lead")).format(side=home.label(_LEADS[column]))
    if column in _COLUMN_LABELS:
        return i18n.active().gettext(_COLUMN_LABELS[column])
    # Series named after data values (a split by gender, a compared phase) keep their own spelling.
    return column.replace("_", " ").capitalize() if re.fullmatch(r"[a-z0-9_]+", column) else column


def heading(column: str) -> str:
    """A column's heading in a file people take away (a CSV or Excel header, a chart's series name): its label,
    neutralised like every other cell, since a split names columns after data values such as `=Undisclosed`."""
    return cells.neutralise(column_label(column))


# ---- figures and images ---------------------------------------------------------------------

def slide_figure(
    spec: catalog.ChartSpec,
    frame: pd.DataFrame,
    provenance: Provenance,
    *,
    title: str | None = None,
    chart_options: dict | None = None,
    key_number: tuple[str, str] | None = None,
    projector: bool = False,
) -> go.Figure:
    """The chart as a self-contained slide: title, filters subtitle, footer, optional key number."""
    theme.register()
    # Its categories as the active language labels them (a theme's label, a country's name, T3 2016), as on screen.
    fig = spec.figure_of_rows(catalog.labelled(spec, spec.rows(frame)), subtitle="", title="", options=chart_options)
    if projector:
        theme.projector(fig)
    text_color = theme.PROJECTOR["text"] if projector else theme.COLORS["text"]
    muted = theme.PROJECTOR["text"] if projector else theme.COLORS["muted"]
    # The footer is the figure's own title, placed under the plot: with automargin Plotly keeps
    # it clear of tick labels and axis titles whatever their size.
    fig.update_layout(
        title=dict(
            text=escape_markup(provenance.footer), font=dict(size=11, color=muted), xref="container", x=0.01,
            xanchor="left", yref="container", y=0, yanchor="bottom", automargin=True, pad=dict(t=12, b=8),
        ),
        margin=dict(t=_HEADER_HEIGHT, b=8),
    )
    heading = f"<b>{escape_markup(spec.title if title is None else title)}</b>"
    if key_number:
        label, value = key_number
        accent = theme.PROJECTOR["primary"] if projector else theme.COLORS["primary"]
        heading += (f"<br><span style='font-size:0.8em;color:{accent}'><b>{escape_markup(value)}</b></span>"
                    f"<span style='font-size:0.62em;color:{muted}'>  {escape_markup(label)}</span>")
    if provenance.filters:
        heading += f"<br><span style='font-size:0.62em;color:{muted}'>{escape_markup(provenance.filters)}</span>"
    fig.add_annotation(
        text=heading, xref="paper", yref="paper", x=0, y=1, xanchor="left", yanchor="top",
        yshift=_HEADER_HEIGHT - 6, showarrow=False, align="left", font=dict(size=24, color=text_color),
    )
    if spec.rows(frame).empty:  # say why there is nothing to draw
        fig.add_annotation(text=escape_markup(spec.when_empty or "No results for these filters."), xref="paper",
                           yref="paper", x=0.5, y=0.5, showarrow=False, font=dict(size=16, color=muted))
    return fig


def escape_markup(text: str) -> str:
    """Text shown as itself in a figure's labels (Plotly reads <, > and & in them as markup)."""
    return html.escape(str(text), quote=False)


def start_renderer() -> None:
    """Start this process's persistent Kaleido browser (once; restarted if it died)."""
    import kaleido
    import plotly.io as pio

    pio.defaults.topojson = TOPOJSON_DIR.resolve().as_uri() + "/"
    pio.defaults.mathjax = None
    pio.defaults.headers = None
    server = kaleido._global_server  # the sync server is a process singleton
    thread = getattr(server, "_thread", None)
    if server.is_running() and thread is not None and not thread.is_alive():
        server._initialized = False  # its browser died: start a fresh one
    if not server.is_running():
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)


def render(fig: go.Figure, fmt: str, scale: float = 1, width: int = SLIDE_WIDTH, height: int = SLIDE_HEIGHT) -> bytes:
    """Draw a figure as PNG, SVG or PDF; PNG at scale 1 is 1920×1080 (2× of the slide layout)."""
    import plotly.io as pio

    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use one of {', '.join(IMAGE_FORMATS)}")
    with _kaleido_lock:  # the sync server answers one request at a time
        start_renderer()
        return pio.to_image(fig, format=fmt, width=width, height=height,
                            scale=PNG_SCALE * scale if fmt == "png" else 1)


SEEDED_IDS = Path(__file__).resolve().parent / "seeded_ids.js"


class Drawing:
    """A Chromium of its own for drawing many figures in a row (the public site's SVGs), from any one thread.

    `render`'s persistent Kaleido reloads its page after every image, which parses plotly.js (4.8 MB) again: 4/5 of
    each image's time (0.2 s of Chromium's CPU where the drawing takes 0.04 s). Here the page is loaded once and
    each figure drawn in it (plotly.js draws a figure in a div of its own and removes it), and the random ids
    plotly.js gives a figure's clip paths and traces are seeded from the figure (`seeded_ids.js`): the same figure
    gives the same bytes in every build. Use it as a context manager; `svg` draws one figure (callers take turns)."""

    def __init__(self):
        self._loop = None
        self._thread: threading.Thread | None = None
        self._browser = None
        self._lock = threading.Lock()

    def __enter__(self) -> Drawing:
        import asyncio

        import kaleido
        import plotly.io as pio

        pio.defaults.topojson = TOPOJSON_DIR.resolve().as_uri() + "/"
        self._topojson = pio.defaults.topojson
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido-drawing", daemon=True)
        self._thread.start()
        page = kaleido.PageGenerator(mathjax=False, others=[SEEDED_IDS.as_uri()])
        try:
            self._browser = self._call(_steady_browser(page).__aenter__())
        except BaseException:
            self._stop_loop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._browser is not None:
                self._call(self._browser.__aexit__(None, None, None))
        finally:
            self._browser = None
            self._stop_loop()

    def _call(self, coroutine):
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def svg(self, fig: go.Figure, width: int = SLIDE_WIDTH, height: int = SLIDE_HEIGHT) -> bytes:
        """The figure as SVG, drawn as `render(fig, "svg", width=…, height=…)` draws it (its ids seeded)."""
        with self._lock:
            return self._call(self._browser.calc_fig(fig.to_dict(), opts={"format": "svg", "width": width,
                                                                         "height": height, "scale": 1},
                                                     topojson=self._topojson))


def _steady_browser(page):
    """A Kaleido browser for `page` that puts its tab back after a figure without reloading the page (`Drawing`)."""
    import kaleido

    class Steady(kaleido.Kaleido):
        async def _return_kaleido_tab(self, tab) -> None:  # Kaleido's own reloads the page first
            await self.tabs_ready.put(tab)

    return Steady(page_generator=page)


# ---- numbers --------------------------------------------------------------------------------

neutralise = cells.neutralise  # one rule for every spreadsheet the product writes


def table(spec: catalog.ChartSpec, frame: pd.DataFrame, *, neutral: bool = True) -> pd.DataFrame:
    """The numbers behind the chart, with readable headings and (unless told) neutralised text cells and headings."""
    rows = spec.rows(frame).reset_index(drop=True)
    label = heading if neutral else column_label
    return pd.DataFrame({label(c): _column(rows[c], neutral) for c in rows.columns})


def _column(series: pd.Series, neutral: bool) -> pd.Series:
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        # DuckDB sums arrive as floats: write 8,309 people as 8309, not 8309.0.
        return series.astype("Int64") if (whole == whole.round()).all() else series
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series
    keep = neutralise if neutral else (lambda v: v)
    return series.map(lambda v: keep(v) if isinstance(v, str) else (v if v is None or pd.isna(v) else str(v)))


def csv_bytes(spec: catalog.ChartSpec, frame: pd.DataFrame) -> bytes:
    """The numbers behind the chart as UTF-8 CSV (with a byte-order mark so Excel reads accents)."""
    buffer = io.StringIO()
    table(spec, frame).to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(spec: catalog.ChartSpec, frame: pd.DataFrame, provenance: Provenance, title: str | None = None) -> bytes:
    """The numbers behind the chart as an Excel workbook: a Data sheet and an About sheet."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    def text(value: str) -> str:
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))

    data = table(spec, frame, neutral=False)  # text() below strips control characters, then neutralises
    columns = list(spec.rows(frame).columns)  # the column keys behind the readable headings
    book = Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append([text(c) for c in data.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for record in data.itertuples(index=False):
        sheet.append([text(v) if isinstance(v, str) else _cell_number(v) for v in record])
    formats = spec.column_formats(spec.rows(frame))
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(48, len(str(data.columns[index - 1])) + 4))
        fmt = formats.get(column)
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = metrics.excel_format(fmt)
    about = book.create_sheet("About")
    for label, value in (
        ("Chart", title or spec.title),
        ("Filters", provenance.filters),
        ("Source", provenance.source),
        ("Data version", provenance.version),
        ("Exported", provenance.day.isoformat()),
        ("Description", spec.description),
    ):
        about.append([label, text(value)])
        about.cell(row=about.max_row, column=1).font = Font(bold=True)
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell_number(value):
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars -> Python numbers
        return value.item()
    return value


# ---- one call for the command line and the app ---------------------------------------------

def chart_bytes(
    spec: catalog.ChartSpec,
    frame: pd.DataFrame,
    provenance: Provenance,
    fmt: str,
    *,
    scale: float = 1,
    title: str | None = None,
    chart_options: dict | None = None,
) -> bytes:
    """The chart exported as `fmt` (png, svg, pdf, csv or xlsx)."""
    if fmt in IMAGE_FORMATS:
        fig = slide_figure(spec, frame, provenance, title=title, chart_options=chart_options)
        return render(fig, fmt, scale=scale)
    if fmt == "csv":
        return csv_bytes(spec, frame)
    if fmt == "xlsx":
        return xlsx_bytes(spec, frame, provenance, title)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def file_name(chart_id: str, fmt: str, scale: float = 1) -> str:
    """A download file name such as `trainees_by_theme.png` or `trainees_by_theme@2x.png`."""
    suffix = f"@{scale:g}x" if fmt == "png" and scale != 1 else ""
    return f"{chart_id}{suffix}.{fmt}"


def chart_data(
    database: db.Database, spec: catalog.ChartSpec, filters: Filters, choices: Choices, chart_options: dict | None = None
) -> pd.DataFrame:
    """Run the chart's query under the filters (outside Streamlit: the command line, decks)."""
    return spec.fetch(database, filters.params(choices), chart_options)


def filter_choices(database: db.Database) -> Choices:
    """Allowed filter values of a database (outside Streamlit)."""
    return Choices.from_frame(db.run_query(database, "filter_choices"), database.programme)
