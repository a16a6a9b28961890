"""Decks: a named, ordered list of slides (chart, its options, title, note) and how to build them.

A deck is plain data, saved as a small JSON file (`decks/*.json`) or packed into a URL token;
both are validated on the way in (known charts, known options, bounded text). The builders turn
a deck into PowerPoint (16:9, a title slide, one slide per chart, speaker notes with the filters
and the source, native charts for bar/column/line/area/pie, images for the rest), into PDF
(pages drawn by Kaleido and joined with pypdf) or into one self-contained HTML file of live charts
(`impact.charts.html_deck`). The Present page shows the same slides.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from impact.charts import catalog, export, theme
from impact.data import store
from impact.data.metrics import excel_format, format_metric, is_metric, metric

DECK_DIR = store.PROJECT_ROOT / "decks"
DEFAULT_DECK = DECK_DIR / "default.json"  # a programme's own default deck is decks/<programme id>.json
MAX_SLIDES = 60
MAX_NAME = 120
MAX_TITLE = 160
MAX_NOTE = 4000
MAX_OPTION = 120
MAX_TOKEN = 12_000  # characters of a deck packed into a URL
NATIVE_KINDS = ("bar", "column", "line", "area", "pie")
FORMATS = ("pptx", "pdf", "html")  # what `build` writes; the file extension names the format

Progress = Callable[[int, int, str], None]  # (done, total, what is being built)


class DeckError(ValueError):
    """A deck file, token or edit that is not valid; the message says what is wrong."""


@dataclass(frozen=True)
class Slide:
    """One slide: a catalogued chart, its own options, an optional title override and a note."""

    chart: str
    options: dict = field(default_factory=dict)
    title: str = ""
    note: str = ""

    @property
    def spec(self) -> catalog.ChartSpec:
        """The chart this slide shows."""
        return catalog.chart(self.chart, self.options)

    @property
    def heading(self) -> str:
        """The slide title: its own, else the chart's."""
        return self.title or self.spec.title

    def to_dict(self) -> dict:
        """The slide as JSON-ready data (empty fields left out)."""
        out: dict = {"chart": self.chart}
        if self.options:
            out["options"] = dict(self.options)
        if self.title:
            out["title"] = self.title
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Deck:
    """A named, ordered list of slides."""

    name: str
    slides: tuple[Slide, ...] = ()

    def to_dict(self) -> dict:
        """The deck as JSON-ready data."""
        return {"name": self.name, "slides": [s.to_dict() for s in self.slides]}

    def to_json(self) -> str:
        """The deck as an indented JSON document."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_token(self) -> str:
        """The deck packed for a URL query parameter (compressed JSON, base64url)."""
        raw = json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")

    def add(self, slide: Slide) -> Deck:
        """A copy with `slide` appended."""
        if len(self.slides) >= MAX_SLIDES:
            raise DeckError(f"a deck holds at most {MAX_SLIDES} slides")
        return replace(self, slides=self.slides + (validate_slide(slide.to_dict(), len(self.slides) + 1),))

    def remove(self, index: int) -> Deck:
        """A copy without the slide at `index` (0-based)."""
        self._check(index)
        return replace(self, slides=self.slides[:index] + self.slides[index + 1 :])

    def move(self, index: int, offset: int) -> Deck:
        """A copy with the slide at `index` moved by `offset` places (clamped to the ends)."""
        self._check(index)
        target = max(0, min(len(self.slides) - 1, index + offset))
        slides = list(self.slides)
        slides.insert(target, slides.pop(index))
        return replace(self, slides=tuple(slides))

    def renamed(self, name: str) -> Deck:
        """A copy with another name."""
        return replace(self, name=_text(name, "deck name", MAX_NAME, required=True))

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self.slides):
            raise DeckError(f"no slide {index + 1}: the deck has {len(self.slides)}")


# ---- validation, files and URL tokens ------------------------------------------------------

def _text(value, what: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DeckError(f"{what} must be text")
    value = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()
    if required and not value:
        raise DeckError(f"{what} is empty")
    if len(value) > limit:
        raise DeckError(f"{what} is longer than {limit} characters")
    return value


def validate_slide(data, number: int) -> Slide:
    """A Slide from JSON data, checked: known chart, known options with short scalar values."""
    where = f"slide {number}"
    if not isinstance(data, dict):
        raise DeckError(f"{where} is not an object")
    unknown = set(data) - {"chart", "options", "title", "note"}
    if unknown:
        raise DeckError(f"{where} has unknown field(s): {', '.join(sorted(map(str, unknown)))[:80]}")
    chart_id = data.get("chart")
    if not isinstance(chart_id, str) or chart_id not in catalog.CHARTS:
        shown = chart_id if isinstance(chart_id, str) and len(chart_id) < 60 else "?"
        raise DeckError(f"{where}: unknown chart {shown!r}; known: {', '.join(catalog.CHARTS)}")
    spec = catalog.CHARTS[chart_id]
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise DeckError(f"{where}: options must be an object")
    clean = {}
    for key, value in options.items():
        if key not in spec.options:
            allowed = ", ".join(spec.options) or "none"
            raise DeckError(f"{where}: chart {chart_id!r} has no option {str(key)[:40]!r} (options: {allowed})")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise DeckError(f"{where}: option {key!r} must be text or a number")
        clean[key] = _text(value, f"{where} option {key!r}", MAX_OPTION) if isinstance(value, str) else value
    try:
        catalog.chart(chart_id, clean)
    except ValueError as error:
        raise DeckError(f"{where}: {error}") from None
    return Slide(
        chart_id, clean,
        _text(data.get("title"), f"{where} title", MAX_TITLE),
        _text(data.get("note"), f"{where} note", MAX_NOTE),
    )


def from_dict(data) -> Deck:
    """A Deck from JSON data, every field checked (DeckError says what is wrong)."""
    if not isinstance(data, dict):
        raise DeckError("a deck is a JSON object with 'name' and 'slides'")
    unknown = set(data) - {"name", "slides"}
    if unknown:
        raise DeckError(f"unknown deck field(s): {', '.join(sorted(map(str, unknown)))[:80]}")
    slides = data.get("slides")
    if not isinstance(slides, list):
        raise DeckError("'slides' must be a list")
    if len(slides) > MAX_SLIDES:
        raise DeckError(f"a deck holds at most {MAX_SLIDES} slides")
    name = _text(data.get("name"), "deck name", MAX_NAME, required=True)
    return Deck(name, tuple(validate_slide(s, i) for i, s in enumerate(slides, start=1)))


def from_json(text: str | bytes) -> Deck:
    """A Deck from a JSON document."""
    if isinstance(text, bytes):
        if len(text) > 1_000_000:
            raise DeckError("the deck file is too large")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DeckError("the deck file is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DeckError(f"the deck is not valid JSON: {error.msg} (line {error.lineno})") from None
    return from_dict(data)


def from_token(token: str) -> Deck:
    """A Deck from a URL token made by `Deck.to_token` (validated like a file)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        raise DeckError("the deck in the link is empty or too long")
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, 200_000)
        if inflater.unconsumed_tail:
            raise DeckError("the deck in the link is too large")
        return from_json(raw)
    except (binascii.Error, zlib.error, ValueError) as error:
        if isinstance(error, DeckError):
            raise
        raise DeckError("the deck in the link is damaged") from None


def load(path: str | Path) -> Deck:
    """Read a deck file."""
    return from_json(Path(path).read_bytes())


def save(deck: Deck, path: str | Path) -> None:
    """Write a deck file (JSON)."""
    Path(path).write_text(deck.to_json(), encoding="utf-8")


def default_deck(programme_id: str | None = None) -> Deck:
    """The default deck of a programme (default: the active one): its own `decks/<id>.json` if it has one,
    else the shipped generic deck."""
    from impact.data import metrics

    if programme_id is None and metrics.active_programme() is not None:
        programme_id = metrics.active_programme().id
    own = DECK_DIR / f"{programme_id}.json" if programme_id else None
    return load(own if own is not None and own.is_file() else DEFAULT_DECK)


# ---- slides with their data ----------------------------------------------------------------

@dataclass(frozen=True)
class PreparedSlide:
    """A slide with its query result: what every builder and the Present page draw."""

    slide: Slide
    frame: pd.DataFrame

    @property
    def spec(self) -> catalog.ChartSpec:
        """The slide's chart."""
        return self.slide.spec

    @property
    def key_number(self) -> tuple[str, str] | None:
        """The one number shown on the slide: (label, formatted value)."""
        return key_number(self.spec, self.frame)

    @property
    def caption(self) -> str:
        """The sentence under the chart, computed from the numbers it shows ('' if the chart has none)."""
        return self.spec.caption(self.spec.rows(self.frame)) if self.spec.caption else ""

    @property
    def has_legend(self) -> bool:
        """Whether the chart names its series in a legend: it draws more than one."""
        return len(series_columns(self.spec, self.spec.rows(self.frame))) > 1


def prepare(deck: Deck, run: Callable[[catalog.ChartSpec, dict], pd.DataFrame]) -> list[PreparedSlide]:
    """Each slide with its data; `run(spec, options)` queries under the active filters."""
    return [PreparedSlide(s, run(s.spec, s.options)) for s in deck.slides]


def key_number(spec: catalog.ChartSpec, frame: pd.DataFrame) -> tuple[str, str] | None:
    """The chart's key number: its own, else the total of an additive headline metric, else the top value."""
    if spec.key_number:
        return spec.key_number(frame)
    head = spec.values[0] if spec.values else None
    if frame.empty or not is_metric(head) or head not in frame:
        return None
    m = metric(head)
    if m.aggregation == "sum":
        return (f"{m.label}, total", format_metric(head, frame[head].sum()))
    top = frame.sort_values(head, ascending=False).iloc[0]
    where = f" ({top[spec.category]})" if spec.category in frame else ""
    return (f"{m.label}, highest{where}", format_metric(head, top[head]))


def series_columns(spec: catalog.ChartSpec, rows: pd.DataFrame) -> list[str]:
    """The value columns a deck draws as series: every series, except a pie's single one."""
    columns = spec.series(rows)
    return columns[:1] if spec.kind == "pie" else columns


def cover_notes(deck: Deck, provenance: export.Provenance, slide_count: int) -> str:
    """Speaker notes of the title slide: the deck, the filters, source, data version and date."""
    return "\n".join(
        [f"{deck.name}: {slide_count} chart slides", f"Filters: {provenance.filters}",
         f"Source: {provenance.source}", f"Data version: {provenance.version}",
         f"Exported: {provenance.day.isoformat()}"]
    )


def speaker_notes(slide: Slide, provenance: export.Provenance) -> str:
    """Speaker notes: the slide's note, then the filters, source, data version and date."""
    lines = [slide.note] if slide.note else []
    lines += [
        f"Filters: {provenance.filters}",
        f"Source: {provenance.source}",
        f"Data version: {provenance.version}",
        f"Exported: {provenance.day.isoformat()}",
    ]
    if slide.spec.description:
        lines.append(f"About this chart: {slide.spec.description}")
    return "\n".join(lines)


# ---- PowerPoint ----------------------------------------------------------------------------

def _rgb(hex_color: str):
    from pptx.dml.color import RGBColor

    return RGBColor.from_string(hex_color.lstrip("#").upper())


def _textbox(slide, left, top, width, height, text: str, size: int, *, bold=False, color=None, align=None):
    from pptx.util import Pt

    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(text.split("\n")):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = "Arial"
        run.font.color.rgb = _rgb(color or theme.COLORS["text"])
    return box


def native_chart_data(spec: catalog.ChartSpec, frame: pd.DataFrame):
    """The chart's categories and series as python-pptx chart data (category text and series names neutralised)."""
    from pptx.chart.data import CategoryChartData

    rows = spec.rows(frame)
    columns = series_columns(spec, rows)
    formats = spec.column_formats(rows)
    data = CategoryChartData(number_format=_head_format(spec))
    # The embedded workbook is written by XlsxWriter, which turns text starting with '=' into a formula: its
    # category cells (column A) and series names (row 1) are neutralised like every exported cell.
    data.categories = [f"{v:%b %Y}" if isinstance(v, dt.date) else export.neutralise(str(v))
                       for v in rows[spec.category]]
    for column in columns:
        values = [None if pd.isna(v) else float(v) for v in rows[column]]
        data.add_series(export.heading(column), values, number_format=excel_format(formats.get(column, "count")))
    return data


def _head_format(spec: catalog.ChartSpec) -> str:
    """The number format code of the chart's headline metric."""
    head = spec.values[0] if spec.values else None
    return excel_format(metric(head).fmt if is_metric(head) else "count")


def _add_native_chart(slide, spec: catalog.ChartSpec, frame: pd.DataFrame, box) -> None:
    from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_MARKER_STYLE
    from pptx.util import Pt

    kinds = {
        "bar": XL_CHART_TYPE.BAR_CLUSTERED,
        "column": XL_CHART_TYPE.COLUMN_CLUSTERED,
        "line": XL_CHART_TYPE.LINE_MARKERS,
        "area": XL_CHART_TYPE.AREA,
        "pie": XL_CHART_TYPE.PIE,
    }
    data = native_chart_data(spec, frame)
    chart = slide.shapes.add_chart(kinds[spec.kind], *box, data).chart
    chart.has_title = False  # the slide carries the title
    chart.font.size = Pt(14)
    chart.font.name = "Arial"
    chart.font.color.rgb = _rgb(theme.COLORS["text"])
    number_format = _head_format(spec)
    plot = chart.plots[0]
    if spec.kind == "pie":
        plot.has_data_labels = True
        labels = plot.data_labels
        labels.number_format, labels.number_format_is_linked = "0%", False
        labels.show_percentage, labels.show_value, labels.show_category_name = True, False, True
        labels.position = XL_LABEL_POSITION.OUTSIDE_END
        for i, point in enumerate(plot.series[0].points):
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = _rgb(theme.CATEGORICAL[i % len(theme.CATEGORICAL)])
        chart.has_legend = False
        return
    points = {export.heading(c) for c in spec.points}  # series are named by their headings
    for i, series in enumerate(plot.series):
        color = _rgb(theme.CATEGORICAL[i % len(theme.CATEGORICAL)])
        if spec.kind == "line" and series.name in points:  # markers at their dates, no line between them
            series.format.line.fill.background()
            series.marker.style = XL_MARKER_STYLE.DIAMOND
            series.marker.size = 11
            series.marker.format.fill.solid()
            series.marker.format.fill.fore_color.rgb = color
        elif spec.kind in ("line",):
            series.format.line.color.rgb = color
            series.format.line.width = Pt(3)
            series.smooth = False
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = color
    if spec.kind in ("bar", "column"):
        plot.gap_width = 60
        if len(plot.series) == 1 or spec.secondary:
            plot.has_data_labels = len(data.categories) <= 16
            if plot.has_data_labels:
                plot.data_labels.number_format, plot.data_labels.number_format_is_linked = number_format, False
                plot.data_labels.font.size = Pt(12)
    value_axis = chart.value_axis
    value_axis.tick_labels.number_format, value_axis.tick_labels.number_format_is_linked = number_format, False
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = _rgb(theme.COLORS["grid"])
    value_axis.format.line.fill.background()
    chart.category_axis.format.line.color.rgb = _rgb(theme.COLORS["grid"])
    if spec.kind == "bar":  # first row (the largest) on top, as in the app
        chart.category_axis.reverse_order = True
    if spec.secondary:
        _secondary_lines(chart, spec)
    # Every series needs its name on the slide: a split or a comparison has one value column but several series.
    chart.has_legend = sum(len(p.series) for p in chart.plots) > 1
    if chart.has_legend:
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False


def _secondary_lines(chart, spec: catalog.ChartSpec) -> None:
    """Move the `secondary` series of a bar/column chart to a line on a second value axis."""
    from pptx.oxml import parse_xml
    from pptx.oxml.ns import nsdecls, qn

    plot_area = chart._chartSpace.chart.plotArea
    bars = plot_area.find(qn("c:barChart"))
    names = [export.heading(c) for c in spec.secondary]
    cat_id, val_id = "60010001", "60010002"
    line = parse_xml(
        f'<c:lineChart {nsdecls("c")}><c:grouping val="standard"/><c:varyColors val="0"/></c:lineChart>'
    )
    for ser in list(bars.findall(qn("c:ser"))):
        name = ser.find(qn("c:tx")).find(".//" + qn("c:v")).text
        if name not in names:
            continue
        bars.remove(ser)
        for tag in ("c:invertIfNegative", "c:shape", "c:spPr", "c:dLbls"):
            for child in ser.findall(qn(tag)):
                ser.remove(child)
        color = theme.COLORS["uk"].lstrip("#")
        ser.find(qn("c:tx")).addnext(parse_xml(
            f'<c:spPr {nsdecls("c", "a")}><a:ln w="38100" cap="rnd"><a:solidFill><a:srgbClr val="{color}"/>'
            f'</a:solidFill></a:ln></c:spPr>'
        ))
        ser.find(qn("c:spPr")).addnext(parse_xml(
            f'<c:marker {nsdecls("c", "a")}><c:symbol val="circle"/><c:size val="7"/><c:spPr><a:solidFill>'
            f'<a:srgbClr val="{color}"/></a:solidFill><a:ln><a:noFill/></a:ln></c:spPr></c:marker>'
        ))
        ser.append(parse_xml(f'<c:smooth {nsdecls("c")} val="0"/>'))
        line.append(ser)
    line.append(parse_xml(f'<c:marker {nsdecls("c")} val="1"/>'))
    line.append(parse_xml(f'<c:axId {nsdecls("c")} val="{cat_id}"/>'))
    line.append(parse_xml(f'<c:axId {nsdecls("c")} val="{val_id}"/>'))
    bars.addnext(line)
    number_format = _head_format(spec)
    last_axis = plot_area.findall(qn("c:valAx"))[-1]
    last_axis.addnext(parse_xml(
        f'<c:valAx {nsdecls("c")}><c:axId val="{val_id}"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="r"/><c:numFmt formatCode="{number_format}" sourceLinked="0"/>'
        f'<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{cat_id}"/><c:crosses val="max"/><c:crossBetween val="between"/></c:valAx>'
    ))
    last_axis.addnext(parse_xml(
        f'<c:catAx {nsdecls("c")}><c:axId val="{cat_id}"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="1"/><c:axPos val="b"/><c:majorTickMark val="none"/><c:minorTickMark val="none"/>'
        f'<c:tickLblPos val="nextTo"/><c:crossAx val="{val_id}"/><c:crosses val="autoZero"/>'
        f'<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
    ))


def _picture_figure(spec: catalog.ChartSpec, frame: pd.DataFrame, options: dict):
    theme.register()
    fig = spec.figure(frame, title="", subtitle="", options=options)
    margin = fig.layout.margin
    fig.update_layout(margin=dict(t=max(margin.t or 0, 24) if spec.kind != "map" else 8, l=margin.l, r=margin.r))
    return fig


def build_pptx(deck: Deck, slides: list[PreparedSlide], provenance: export.Provenance,
               progress: Progress | None = None) -> bytes:
    """The deck as a 16:9 PowerPoint file: a title slide, then one slide per chart with notes."""
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Inches

    total = len(slides) + 1
    report = progress or (lambda done, total, what: None)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]  # positions are set by hand: the default layouts keep 4:3 boxes
    muted = theme.COLORS["muted"]
    margin, width = Inches(0.55), prs.slide_width - Inches(1.1)

    report(0, total, "Title slide")
    cover = prs.slides.add_slide(blank)
    _textbox(cover, margin, Inches(2.3), width, Inches(1.3), deck.name, 44, bold=True)
    _textbox(cover, margin, Inches(3.7), width, Inches(0.9), provenance.filters, 22, color=muted)
    _textbox(cover, margin, Inches(6.6), width, Inches(0.5), provenance.footer, 12, color=muted)
    cover.notes_slide.notes_text_frame.text = cover_notes(deck, provenance, len(slides))
    chart_box = (margin, Inches(1.55), width, Inches(5.15))
    for number, prepared in enumerate(slides, start=1):
        spec, slide_def = prepared.spec, prepared.slide
        report(number, total, f"Slide {number}: {slide_def.heading}")
        page = prs.slides.add_slide(blank)
        _textbox(page, margin, Inches(0.3), Inches(9.6), Inches(0.8), slide_def.heading, 30, bold=True)
        _textbox(page, margin, Inches(1.0), Inches(9.6), Inches(0.5), provenance.filters, 16, color=muted)
        key = prepared.key_number
        if key:
            _textbox(page, Inches(10.3), Inches(0.25), Inches(2.5), Inches(0.7), key[1], 34, bold=True,
                     color=theme.COLORS["primary"], align=PP_ALIGN.RIGHT)
            _textbox(page, Inches(10.3), Inches(0.95), Inches(2.5), Inches(0.6), key[0], 12, color=muted,
                     align=PP_ALIGN.RIGHT)
        if prepared.frame.empty:
            _textbox(page, *chart_box, spec.when_empty or "No results for these filters.", 20, color=muted)
        elif spec.kind in NATIVE_KINDS:
            _add_native_chart(page, spec, prepared.frame, chart_box)
        else:
            left, top, box_w, box_h = chart_box
            px_w, px_h = 1200, round(1200 * box_h / box_w)
            image = export.render(_picture_figure(spec, prepared.frame, slide_def.options), "png",
                                  scale=1, width=px_w, height=px_h)
            page.shapes.add_picture(io.BytesIO(image), left, top, width=box_w, height=Emu(box_h))
        _textbox(page, margin, Inches(6.9), width, Inches(0.4), provenance.footer, 11, color=muted)
        page.notes_slide.notes_text_frame.text = speaker_notes(slide_def, provenance)
    report(total, total, "Done")
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


# ---- PDF -----------------------------------------------------------------------------------

def title_figure(deck: Deck, provenance: export.Provenance, slide_count: int):
    """The deck's title page as a figure (same fonts and colours as the charts)."""
    import plotly.graph_objects as go

    theme.register()
    fig = go.Figure()
    fig.update_layout(xaxis=dict(visible=False), yaxis=dict(visible=False), margin=dict(l=48, r=48, t=48, b=48))
    lines = (
        (0.62, f"<b>{export._escape(deck.name)}</b>", 44, theme.COLORS["text"]),
        (0.45, export._escape(provenance.filters), 20, theme.COLORS["muted"]),
        (0.36, f"{slide_count} charts", 16, theme.COLORS["muted"]),
        (0.0, export._escape(provenance.footer), 12, theme.COLORS["muted"]),
    )
    for y, text, size, color in lines:
        fig.add_annotation(text=text, x=0, y=y, xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                           showarrow=False, align="left", font=dict(size=size, color=color))
    return fig


def build_pdf(deck: Deck, slides: list[PreparedSlide], provenance: export.Provenance,
              progress: Progress | None = None) -> bytes:
    """The deck as a PDF: a title page, then one 16:9 page per chart (vector, drawn by Kaleido)."""
    from pypdf import PdfReader, PdfWriter

    total = len(slides) + 1
    report = progress or (lambda done, total, what: None)
    writer = PdfWriter()
    report(0, total, "Title page")
    pages = [export.render(title_figure(deck, provenance, len(slides)), "pdf")]
    for number, prepared in enumerate(slides, start=1):
        report(number, total, f"Slide {number}: {prepared.slide.heading}")
        fig = export.slide_figure(prepared.spec, prepared.frame, provenance, title=prepared.slide.heading,
                                  chart_options=prepared.slide.options, key_number=prepared.key_number)
        pages.append(export.render(fig, "pdf"))
    for page in pages:
        writer.append(PdfReader(io.BytesIO(page)))
    writer.add_metadata({"/Title": deck.name, "/Subject": provenance.filters, "/Creator": provenance.footer})
    report(total, total, "Done")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def build(deck: Deck, slides: list[PreparedSlide], provenance: export.Provenance, fmt: str,
          progress: Progress | None = None) -> bytes:
    """The deck as 'pptx', 'pdf' or 'html' (one self-contained file of live charts)."""
    if fmt == "pptx":
        return build_pptx(deck, slides, provenance, progress)
    if fmt == "pdf":
        return build_pdf(deck, slides, provenance, progress)
    if fmt == "html":
        from impact.charts import html_deck  # it builds on this module's slides

        return html_deck.build_html(deck, slides, provenance, progress)
    raise ValueError(f"unknown deck format {fmt!r}; use {', '.join(FORMATS)}")
