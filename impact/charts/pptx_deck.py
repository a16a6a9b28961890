"""Decks as PowerPoint: 16:9, a title slide, one slide per chart with its title, filters, key number and source
footer, speaker notes with the filters and the source, native charts for bar/column/line/area/pie (their data
in the embedded workbook, neutralised like every exported cell) and pictures drawn by Kaleido for the rest."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from impact.charts import catalog, export, theme
from impact.charts import deck as decks
from impact.model.i18n import gettext as _
from impact.model.metrics import excel_format, is_metric, metric

NATIVE_KINDS = ("bar", "column", "line", "area", "pie")  # drawn as PowerPoint charts; the other kinds as pictures


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
    columns = decks.series_columns(spec, rows)
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


def add_native_chart(slide, spec: catalog.ChartSpec, frame: pd.DataFrame, box) -> None:
    """Draw the chart on `slide` in `box` (left, top, width, height) as a PowerPoint chart in the one theme."""
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


def build_pptx(deck: decks.Deck, slides: list[decks.PreparedSlide], provenance: export.Provenance,
               progress: decks.Progress | None = None) -> bytes:
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
    cover.notes_slide.notes_text_frame.text = decks.cover_notes(deck, provenance, len(slides))
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
            _textbox(page, *chart_box, spec.when_empty or _("No results for these filters."), 20, color=muted)
        elif spec.kind in NATIVE_KINDS:
            add_native_chart(page, spec, prepared.frame, chart_box)
        else:
            left, top, box_w, box_h = chart_box
            px_w, px_h = 1200, round(1200 * box_h / box_w)
            image = export.render(_picture_figure(spec, prepared.frame, slide_def.options), "png",
                                  scale=1, width=px_w, height=px_h)
            page.shapes.add_picture(io.BytesIO(image), left, top, width=box_w, height=Emu(box_h))
        _textbox(page, margin, Inches(6.9), width, Inches(0.4), provenance.footer, 11, color=muted)
        page.notes_slide.notes_text_frame.text = decks.speaker_notes(slide_def, provenance)
    report(total, total, "Done")
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
