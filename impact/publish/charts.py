"""One published chart: its rows (suppressed), figure, caption, table, and the files a reader takes away.

A chart of the catalogue (`impact.charts.catalog`) under fixed filters becomes, in its programme's `charts/`
folder: `<slug>.csv` (the numbers, neutralised cells, suppressed cells empty), `<slug>.json` (its metadata: title,
subtitle, filters, how it is counted, source, data version, date published, licence), `<slug>.oembed.json` and,
drawn later in one Kaleido session, `<slug>.svg`. Its permalink and embed pages are rendered by `site`. Its words
(title, caption, headings, the labels of its categories) and numbers are the active language's (`impact.model.i18n`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from impact.charts import catalog, export, html_deck
from impact.model import i18n, metrics
from impact.model.i18n import gettext as _
from impact.publish import suppress

FIGURE_HEIGHT = 420  # px of a chart on a page; the embed page fills its frame
EMBED_WIDTH, EMBED_HEIGHT = 720, 480  # the iframe the snippet proposes


@dataclass(frozen=True)
class Context:
    """What every file of one programme's site says about where its numbers come from."""

    source: str  # the programme's name and its data's label
    version: str
    published: dt.date
    licence: str
    threshold: int
    base_url: str = ""  # where the site will be served ("" = links stay relative)

    @property
    def licence_text(self) -> str:
        """The licence as a page says it."""
        return self.licence or _("No licence stated: ask the programme before reusing these figures.")


def fewer(threshold: int) -> str:
    """How a suppressed cell reads on a page, in the active language: "fewer than 5"."""
    return _("fewer than {n}").format(n=i18n.active().number(threshold))


@dataclass
class Chart:
    """A chart as published: what its pages show, and where its files are (paths from the site's root)."""

    slug: str
    folder: str  # e.g. "hps/charts"
    title: str
    subtitle: str
    how: str
    caption: str
    headings: list[str]
    cells: list[list[tuple[str, bool]]]  # each row's cells: (text, suppressed)
    figure: go.Figure | None
    rows: pd.DataFrame  # the table as published (suppressed cells missing)
    table_spec: catalog.ChartSpec  # the chart's spec with `rows` already shaped (for the CSV writer)
    suppressed: int = 0
    has_svg: bool = True  # a pre-rendered SVG is (or will be) drawn for it
    tree: str = ""  # its language's folder from the site's root ("" for English, "fr/"); its paths are inside it

    def path(self, kind: str) -> str:
        """The site path of one of its files: page, embed, csv, meta, oembed, svg."""
        return {"page": f"{self.folder}/{self.slug}.html", "embed": f"{self.folder}/embed/{self.slug}.html",
                "csv": f"{self.folder}/{self.slug}.csv", "meta": f"{self.folder}/{self.slug}.json",
                "oembed": f"{self.folder}/{self.slug}.oembed.json", "svg": f"{self.folder}/{self.slug}.svg"}[kind]

    @functools.cached_property
    def plotly_json(self) -> str:
        """The figure as Plotly's JSON, written once (its pages, its embed and its SVG's drawing read it)."""
        return pio.to_json(self.figure, validate=False) if self.figure is not None else ""

    @property
    def figure_json(self) -> str:
        """The figure as JSON safe inside a `<script>` element ("" when there is nothing to draw)."""
        return html_deck.script_json(self.plotly_json) if self.figure is not None else ""

    @property
    def draws_outlines(self) -> bool:
        """Whether the figure is a map (its page loads the world outlines)."""
        return self.figure is not None and html_deck.draws_outlines(self.figure)


def build(spec: catalog.ChartSpec, frame: pd.DataFrame, *, slug: str, folder: str, subtitle: str,
          threshold: int, options: dict | None = None, svg: bool = True,
          hide: Callable[[pd.DataFrame], pd.DataFrame] | None = None, tree: str = "") -> Chart:
    """The chart of `spec` drawn from `frame` (its query's result), small cells suppressed, and the cells `hide`
    marks in its rows (a boolean mask of some of their columns: complementary suppression); in the active
    language, for the tree `tree` of the site."""
    rows = spec.rows(frame).reset_index(drop=True)
    head = spec.values[0] if spec.values else ""
    counted = suppress.columns(rows, spec.series(rows), head)
    shown, mask = suppress.apply(rows, counted, threshold, hide(rows) if hide is not None else None)
    hidden = int(mask.to_numpy().sum())
    small = int(suppress.apply(rows, counted, threshold)[1].to_numpy().sum()) if hide is not None else hidden
    shown = catalog.labelled(spec, shown)  # a theme, a country… as the language names it (the mask keeps its index)
    figure = None
    if not shown.empty:
        figure = spec.figure_of_rows(shown, title="", subtitle="", options=options)
        figure.update_layout(height=FIGURE_HEIGHT)
    caption = ""
    if spec.caption is not None and not shown.empty:
        kept = shown[~mask.any(axis=1)] if hidden else shown
        caption = spec.caption(kept) if not kept.empty else ""
        if hidden:
            words = i18n.active()
            if small == hidden:
                said = (_("{n} figure below {threshold} is not shown (small-cell suppression).") if hidden == 1 else
                        _("{n} figures below {threshold} are not shown (small-cell suppression)."))
            else:
                said = (_("{n} figures are not shown (small-cell suppression): {small} below {threshold}, and {more} "
                          "that would give it away by subtraction.") if small == 1 else
                        _("{n} figures are not shown (small-cell suppression): {small} below {threshold}, and {more} "
                          "that would give them away by subtraction."))
            caption += " " + said.format(n=words.number(hidden), threshold=words.number(threshold),
                                         small=words.number(small), more=words.number(hidden - small))
    how = spec.description
    if head and metrics.is_metric(head) and metrics.metric(head).how_counted not in how:
        how = f"{how} {metrics.metric(head).how_counted}".strip()
    formats = spec.column_formats(shown)
    headings = [export.column_label(c) for c in shown.columns]
    cells = [[_cell(row[c], formats.get(c), bool(mask.at[i, c]), threshold) for c in shown.columns]
             for i, row in shown.iterrows()]
    return Chart(slug=slug, folder=folder, title=spec.title, subtitle=subtitle, how=how, caption=caption,
                 headings=headings, cells=cells, figure=figure, rows=shown,
                 table_spec=replace(spec, shape=None, top=None), suppressed=hidden,
                 has_svg=svg and figure is not None, tree=tree)


def _cell(value, fmt: str | None, hidden: bool, threshold: int) -> tuple[str, bool]:
    if hidden:
        return fewer(threshold), True
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—", False
    if fmt:
        return metrics.format_value(value, fmt), False
    if isinstance(value, (dt.date, pd.Timestamp)):
        return f"{value:%Y-%m-%d}", False
    if isinstance(value, float) and value.is_integer():  # a sum read as a float (a year stays an int: 2019)
        return i18n.active().number(int(value)), False
    return str(value), False


def metadata(chart: Chart, context: Context, filters: dict[str, list[str]]) -> dict:
    """The chart's metadata (its `<slug>.json`): title, subtitle, filters, how it is counted, caption, source, data
    version, date published, licence, what was suppressed, its language, columns and files. A chart page with a
    period range carries it too, and writes the metadata of a reader's choice from it (`site.js`)."""
    return {
        "title": chart.title, "subtitle": chart.subtitle, "filters": filters, "how_counted": chart.how,
        "caption": chart.caption, "source": context.source, "data_version": context.version,
        "date_published": context.published.isoformat(), "licence": context.licence or None,
        "suppressed": {"cells": chart.suppressed, "below": context.threshold,
                       "rule": _("counts from 1 to {last} are left out (empty) of this file and the CSV, and any other "
                                 "figure that would give one away by subtraction (complementary suppression)").format(
                                     last=i18n.active().number(context.threshold - 1))}
        if context.threshold > 1 else None,
        "language": i18n.active().language,
        "columns": chart.headings,
        "files": {"page": _name(chart, "page"), "embed": f"embed/{chart.slug}.html", "csv": _name(chart, "csv"),
                  "svg": _name(chart, "svg") if chart.has_svg else None,
                  "oembed": _name(chart, "oembed")},
    }


def metadata_text(meta: dict) -> str:
    """The metadata file's text (the page writes a choice's the same way: `JSON.stringify(meta, null, 1)`)."""
    return json.dumps(meta, ensure_ascii=False, indent=1) + "\n"


def write_files(chart: Chart, root: Path, context: Context, filters: dict[str, list[str]]) -> dict:
    """Write the chart's CSV, metadata and oEmbed files under the site's `root`; its metadata."""
    rows, spec = chart.rows, chart.table_spec
    (root / chart.path("csv")).parent.mkdir(parents=True, exist_ok=True)
    (root / chart.path("csv")).write_bytes(export.csv_bytes(spec, rows))
    meta = metadata(chart, context, filters)
    (root / chart.path("meta")).write_text(metadata_text(meta), encoding="utf-8")
    oembed = {"version": "1.0", "type": "rich", "title": chart.title, "provider_name": context.source,
              "width": EMBED_WIDTH, "height": EMBED_HEIGHT, "html": snippet(chart, context, chart.path("page")),
              "license": context.licence or None}
    (root / chart.path("oembed")).write_text(json.dumps(oembed, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return meta


def _name(chart: Chart, kind: str) -> str:
    return chart.path(kind).rsplit("/", 1)[-1]


def embed_src(chart: Chart, context: Context, from_page: str) -> str:
    """The embed page's address for the snippet: absolute under `base_url`, else relative to `from_page`."""
    if context.base_url:
        return f"{context.base_url.rstrip('/')}/{chart.path('embed')}"
    return relative(from_page, chart.path("embed"))


def snippet(chart: Chart, context: Context, from_page: str) -> str:
    """The `<iframe>` to paste into another site (its text; the page escapes it)."""
    title = chart.title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return (f'<iframe src="{embed_src(chart, context, from_page)}" title="{title}" width="{EMBED_WIDTH}" '
            f'height="{EMBED_HEIGHT}" style="border:0" loading="lazy"></iframe>')


def relative(from_page: str, to: str) -> str:
    """The path of `to` (from the site's root) as a link on the page at `from_page` (from the site's root)."""
    depth = from_page.count("/")
    return "../" * depth + to


class Drawer:
    """Draws charts' SVGs in a Kaleido session of its own (`export.Drawing`: plotly.js loaded once, the ids seeded
    from each figure, so a build gives the same bytes as the last) on a thread of its own, while the site's pages are
    written (Chromium draws on one core while Python writes pages on the other), into each chart's language's tree
    under `root`; a figure the same in several languages (no words, or the same ones) is drawn once.

    `add` the charts as their pages are written, then `finish` (how many were drawn; an error drawing one is
    raised there)."""

    def __init__(self, root: Path):
        self.root = root
        self.drawn: dict[str, bytes] = {}
        self.error: BaseException | None = None
        self._queue: queue.Queue[Chart | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="svg-drawer", daemon=True)
        self._thread.start()

    def add(self, charts: list[Chart]) -> None:
        for chart in charts:
            if chart.has_svg:
                self._queue.put(chart)

    def stop(self) -> None:
        """Stop drawing (the build failed): what was queued is left undrawn."""
        self.error = self.error or RuntimeError("the build stopped")
        self._queue.put(None)
        self._thread.join()

    def finish(self) -> int:
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error
        return len(self.drawn)

    def _run(self) -> None:
        ended = False
        try:
            with export.Drawing() as drawing:  # a Chromium of its own, its page loaded once
                while (chart := self._queue.get()) is not None:
                    if self.error is None:  # else drain: the error is raised by `finish`
                        self._draw(drawing, chart)
                ended = True
        except BaseException as error:  # noqa: BLE001 (raised again by `finish`, in the building thread)
            self.error = self.error or error
        while not ended and self._queue.get() is not None:  # Chromium failed: drain until `finish` or `stop`
            pass

    def _draw(self, drawing: export.Drawing, chart: Chart) -> None:
        try:
            key = hashlib.sha256(chart.plotly_json.encode()).hexdigest()
            if key not in self.drawn:
                self.drawn[key] = drawing.svg(chart.figure, width=export.SLIDE_WIDTH, height=FIGURE_HEIGHT)
            (self.root / chart.tree / chart.path("svg")).write_bytes(self.drawn[key])
        except BaseException as error:  # noqa: BLE001 (raised again by `finish`, in the building thread)
            self.error = error
