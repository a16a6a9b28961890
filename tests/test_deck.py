"""Decks: the model and its validation, and the PowerPoint and PDF builders checked against SQL."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import zlib

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches
from pypdf import PdfReader

from impact.charts import catalog, deck, deck_writers, export, pptx_deck
from impact.query import db
from impact.query.filters import Filters
from tests.test_export import HOSTILE_SERIES, OWASP_PAYLOADS, hostile_copy, hostile_split, live_formulas

DAY = dt.date(2026, 11, 23)
FILTERS = Filters(country=("UGA", "TZA", "ETH"), period_from=dt.date(2013, 1, 1))
PARAMS = {"countries": ["UGA", "TZA", "ETH"], "start": dt.date(2013, 1, 1)}  # the same, for independent SQL


def _build(extract_dir, the_deck: deck.Deck, fmt: str, filters: Filters = FILTERS):
    database = db.open_database(extract_dir, "fixture-v1")
    options = export.filter_choices(database)
    provenance = export.Provenance.of(database, filters.describe(options), DAY)
    slides = deck.prepare(the_deck, lambda spec, opts: export.chart_data(database, spec, filters, options, opts))
    steps = []
    data = deck_writers.build(the_deck, slides, provenance, fmt, progress=lambda done, total, what: steps.append(done))
    return data, provenance, steps


# ---- the model -----------------------------------------------------------------------------

def test_default_deck_ships_and_names_known_charts():
    shipped = deck.default_deck()
    assert shipped.name == "HPS impact"
    assert len(shipped.slides) >= 4
    assert all(s.chart in catalog.CHARTS for s in shipped.slides)


def test_json_and_url_token_round_trip(tmp_path):
    original = deck.Deck("Donor meeting", (
        deck.Slide("trainees_map", {}, "Where", "Say: 'thirty countries'"),
        deck.Slide("trainees_by_theme"),
    ))
    path = tmp_path / "d.json"
    deck.save(original, path)
    assert deck.load(path) == original
    assert deck.from_token(original.to_token()) == original
    assert set(original.to_token()) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_add_move_remove():
    d = deck.Deck("x", (deck.Slide("trainees_map"), deck.Slide("trainees_trend")))
    d = d.add(deck.Slide("trainees_by_theme"))
    assert [s.chart for s in d.slides] == ["trainees_map", "trainees_trend", "trainees_by_theme"]
    assert [s.chart for s in d.move(2, -1).slides] == ["trainees_map", "trainees_by_theme", "trainees_trend"]
    assert [s.chart for s in d.move(0, -5).slides] == [s.chart for s in d.slides]
    assert [s.chart for s in d.remove(0).slides] == ["trainees_trend", "trainees_by_theme"]
    with pytest.raises(deck.DeckError):
        d.remove(7)
    with pytest.raises(deck.DeckError, match="unknown chart"):
        d.add(deck.Slide("nope"))


@pytest.mark.parametrize("data, message", [
    ({"name": "x", "slides": [{"chart": "drop_tables"}]}, "unknown chart"),
    ({"name": "x", "slides": [{"chart": "trainees_map", "options": {"sql": "1"}}]}, "has no option"),
    ({"name": "x", "slides": [{"chart": "trainees_map", "title": "t" * 500}]}, "longer than"),
    ({"name": "", "slides": []}, "empty"),
    ({"name": "x", "slides": "trainees_map"}, "must be a list"),
    ({"name": "x", "slides": [], "script": "<script>"}, "unknown deck field"),
    ({"name": "x", "slides": [{"chart": "trainees_map"}] * (deck.MAX_SLIDES + 1)}, "at most"),
    ([1, 2], "JSON object"),
])
def test_invalid_decks_are_refused_with_a_reason(data, message):
    with pytest.raises(deck.DeckError, match=message):
        deck.from_dict(data)


def test_bad_tokens_are_refused():
    for token in ("", "not base64 !!", "A" * (deck.MAX_TOKEN + 1), base64.urlsafe_b64encode(b"junk").decode()):
        with pytest.raises(deck.DeckError):
            deck.from_token(token)
    bomb = base64.urlsafe_b64encode(zlib.compress(b" " * 5_000_000)).decode()
    with pytest.raises(deck.DeckError):
        deck.from_token(bomb)
    with pytest.raises(deck.DeckError, match="not valid JSON"):
        deck.from_json("{name: ")


def test_key_number_is_the_total_of_an_additive_metric(fixture_dir, independent):
    database = db.open_database(fixture_dir)
    options = export.filter_choices(database)
    spec = catalog.chart("trainees_by_country")  # a top-10 chart: the key number counts every country
    frame = export.chart_data(database, spec, Filters(), options)
    label, value = deck.key_number(spec, frame)
    total = independent.scalar("select sum(trainees) from training")
    assert value == f"{total:,}"
    assert label.startswith("Health workers trained")


# ---- PowerPoint ----------------------------------------------------------------------------

def _series(chart) -> dict[str, list[float]]:
    return {s.name: list(s.values) for plot in chart.plots for s in plot.series}


def test_pptx_slides_native_charts_and_notes(fixture_dir, independent):
    the_deck = deck.default_deck()
    data, provenance, steps = _build(fixture_dir, the_deck, "pptx")
    assert steps[0] == 0 and steps[-1] == len(the_deck.slides) + 1
    prs = Presentation(io.BytesIO(data))
    assert (prs.slide_width, prs.slide_height) == (Inches(13.333), Inches(7.5))
    slides = list(prs.slides)
    assert len(slides) == len(the_deck.slides) + 1
    cover_text = " ".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    assert the_deck.name in cover_text and provenance.filters in cover_text

    for page, slide_def in zip(slides[1:], the_deck.slides, strict=True):
        spec = slide_def.spec
        texts = " ".join(s.text_frame.text for s in page.shapes if s.has_text_frame)
        assert slide_def.heading in texts and provenance.footer in texts  # editable text boxes
        notes = page.notes_slide.notes_text_frame.text
        assert f"Filters: {provenance.filters}" in notes and provenance.source in notes
        charts = [s for s in page.shapes if s.has_chart]
        if slide_def.chart == "results":  # the programme's targets cannot be split by the country filter
            assert not charts and spec.when_empty in texts
        elif spec.kind in pptx_deck.NATIVE_KINDS:
            assert len(charts) == 1, spec.id
        else:
            assert not charts and any(s.shape_type == MSO_SHAPE_TYPE.PICTURE for s in page.shapes)

    for page in slides[1:]:  # a chart with several series names them in a legend; one series needs none
        for shape in (s for s in page.shapes if s.has_chart):
            count = sum(len(p.series) for p in shape.chart.plots)
            assert shape.chart.has_legend == (count > 1), (count, shape.chart.has_legend)

    by_id = {s.chart: page for s, page in zip(the_deck.slides, slides[1:], strict=True)}
    # bars by theme: one series, values equal the independent totals in the query's order
    chart = next(s for s in by_id["trainees_by_theme"].shapes if s.has_chart).chart
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    expected = independent.rows(
        "select p.theme, sum(t.trainees) from training t join projects p using (project_id) "
        "where t.iso3 = any($countries) and t.period >= $start group by 1 order by 2 desc, 1", PARAMS)
    assert list(chart.plots[0].categories) == [r[0] for r in expected]
    assert _series(chart) == {"Health workers trained": [float(r[1]) for r in expected]}

    # the trend: yearly columns plus the running total as a line on a second axis
    chart = next(s for s in by_id["trainees_trend"].shapes if s.has_chart).chart
    yearly = independent.rows("select year(period), sum(trainees) from training "
                              "where iso3 = any($countries) and period >= $start group by 1 order by 1", PARAMS)
    running = [sum(r[1] for r in yearly[: i + 1]) for i in range(len(yearly))]
    assert list(chart.plots[0].categories) == [str(r[0]) for r in yearly]
    assert _series(chart) == {"Health workers trained": [float(r[1]) for r in yearly],
                              "Cumulative trainees": [float(v) for v in running]}
    assert [p.__class__.__name__ for p in chart.plots] == ["BarPlot", "LinePlot"]
    assert len(chart._chartSpace.findall(".//{*}valAx")) == 2


def test_pptx_native_chart_workbook_has_no_formulas(fixture_dir, tmp_path):
    hostile = hostile_copy(fixture_dir, tmp_path / "hostile")
    the_deck = deck.Deck("x", (deck.Slide("trainees_by_country"),))
    data, _, _ = _build(hostile, the_deck, "pptx", Filters())
    chart = next(s for s in Presentation(io.BytesIO(data)).slides[1].shapes if s.has_chart).chart
    categories = list(chart.plots[0].categories)
    assert {("'" + p).replace("\r", "\n") for p in OWASP_PAYLOADS} <= set(categories)  # XML reads CR as LF
    book = load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob))
    assert all(c.data_type != "f" for sheet in book for row in sheet.iter_rows() for c in row)


def test_pptx_native_chart_series_and_category_names_are_neutralised():
    from pptx.util import Inches

    spec, frame = hostile_split()
    prs = Presentation()
    page = prs.slides.add_slide(prs.slide_layouts[6])
    pptx_deck.add_native_chart(page, spec, frame, (Inches(1), Inches(1), Inches(8), Inches(5)))
    saved = io.BytesIO()
    prs.save(saved)
    chart = next(s for s in Presentation(io.BytesIO(saved.getvalue())).slides[0].shapes if s.has_chart).chart
    names = [s.name for plot in chart.plots for s in plot.series]
    assert sorted(names) == sorted("'" + v for v in HOSTILE_SERIES)
    assert live_formulas(names) == [] and live_formulas(chart.plots[0].categories) == []
    book = load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob))
    every = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert {"'" + v for v in HOSTILE_SERIES} <= {c.value for c in every}  # row 1 and column A
    assert all(c.data_type != "f" for c in every)
    assert live_formulas(c.value for c in every) == [] and live_formulas(s.title for s in book) == []


# ---- PDF -----------------------------------------------------------------------------------

def test_pdf_has_a_title_page_and_one_16_9_page_per_slide(fixture_dir, independent):
    the_deck = deck.default_deck()
    data, provenance, _ = _build(fixture_dir, the_deck, "pdf")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == len(the_deck.slides) + 1
    for page in reader.pages:
        assert float(page.mediabox.width) / float(page.mediabox.height) == pytest.approx(16 / 9, rel=0.01)
    assert the_deck.name in reader.pages[0].extract_text()
    total = independent.scalar(
        "select sum(trainees) from training where iso3 = any($countries) and period >= $start", PARAMS)
    days = independent.scalar(
        "select sum(volunteer_days) from volunteering where iso3 = any($countries) and period >= $start", PARAMS)
    for page, slide_def in zip(reader.pages[1:], the_deck.slides, strict=True):
        text = page.extract_text()
        assert slide_def.heading in text
        if slide_def.chart == "results":  # the programme's targets cannot be split by the country filter
            assert "cannot be split" in " ".join(text.split())
            continue
        key = {"trainees": total, "volunteer_days": days}[slide_def.spec.values[0]]
        assert f"{key:,}" in text  # the key number
    assert reader.metadata.title == the_deck.name


def test_token_survives_json_escaping():
    d = deck.Deck("Dar es Salaam — 2017 <symposium>", (deck.Slide("trainees_map", note="“quotes” & <b>"),))
    assert json.loads(d.to_json())["name"] == d.name
    assert deck.from_token(d.to_token()) == d


# ---- the Present page (AppTest) ------------------------------------------------------------

def _slide_label(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Slide "))


def test_present_page_steps_through_the_default_deck_with_filters(app_data, independent):
    from tests.conftest import make_app

    at = make_app("pages/present.py", {"country": ["UGA"]})
    shipped = deck.default_deck()
    assert _slide_label(at).startswith(f"**Slide 1 of {len(shipped.slides)}**")
    assert at.title[0].value == shipped.slides[0].heading
    total = independent.scalar("select sum(trainees) from training where iso3 = 'UGA'")
    assert at.metric[0].value == f"{total:,}"
    at.button(key="present_next").click().run()
    assert _slide_label(at).startswith("**Slide 2 of")
    assert at.query_params["slide"] in ("2", ["2"])
    at.button(key="present_prev").click().run()
    assert _slide_label(at).startswith("**Slide 1 of")
    assert at.button(key="present_prev").disabled


def test_present_page_opens_a_deck_from_the_link_and_refuses_a_bad_one(app_data):
    from tests.conftest import make_app

    custom = deck.Deck("Board <b>meeting</b>", (deck.Slide("trainees_by_theme", title="Themes"),))
    at = make_app("pages/present.py", {"deck": [custom.to_token()]})
    assert _slide_label(at).startswith("**Slide 1 of 1**")
    assert at.title[0].value == "Themes"
    bad = make_app("pages/present.py", {"deck": ["eJwrSS0u0cvIzEvPz0nVS87PBQA7cQaE"]})
    assert "was not loaded" in bad.warning[0].value
    assert _slide_label(bad).startswith(f"**Slide 1 of {len(deck.default_deck().slides)}**")


def test_add_to_deck_from_a_chart_and_edit_the_deck(app_data):
    from tests.conftest import make_app

    at = make_app()
    at.button(key="chart_trainees_by_theme_add_to_deck").click().run()
    assert not at.exception
    at.switch_page("pages/present.py")
    at.run()
    count = len(deck.default_deck("hps").slides) + 1
    assert _slide_label(at).startswith(f"**Slide 1 of {count}**")
    linked = at.query_params["deck"]
    linked = linked if isinstance(linked, str) else linked[0]
    assert deck.from_token(linked).slides[-1].chart == "trainees_by_theme"  # the link opens this deck
    at.button(key=f"deck_remove_{count - 1}").click().run()
    assert _slide_label(at).startswith(f"**Slide 1 of {count - 1}**")
    at.button(key="deck_down_0").click().run()
    assert at.title[0].value == deck.default_deck("hps").slides[1].heading
    token = at.query_params["deck"]
    token = token if isinstance(token, str) else token[0]
    assert deck.from_token(token).slides[1].chart == deck.default_deck("hps").slides[0].chart


def test_the_deck_editor_offers_a_results_slide_per_programme_target(app_data, independent):
    from tests.conftest import make_app

    at = make_app("pages/present.py")
    offered = [o for o in at.selectbox(key="deck_add_chart").options if o.endswith("against the programme's targets")]
    metrics = [m for (m,) in independent.rows(
        "select metric from targets where scope = 'programme' group by metric order by metric")]
    assert len(offered) == len(metrics) > 0


@pytest.mark.parametrize("kind, chart_type", [
    ("column", XL_CHART_TYPE.COLUMN_CLUSTERED),
    ("line", XL_CHART_TYPE.LINE_MARKERS),
    ("area", XL_CHART_TYPE.AREA),
    ("pie", XL_CHART_TYPE.PIE),
])
def test_every_native_kind_becomes_an_editable_chart(fixture_dir, independent, monkeypatch, kind, chart_type):
    """Charts other engineers add get native slides from their kind, category and values alone."""
    from dataclasses import replace

    spec = replace(catalog.chart("trainees_by_theme"), id=f"theme_{kind}", kind=kind)
    monkeypatch.setitem(catalog.CHARTS, spec.id, spec)
    data, _, _ = _build(fixture_dir, deck.Deck("k", (deck.Slide(spec.id),)), "pptx", Filters())
    chart = next(s for s in Presentation(io.BytesIO(data)).slides[1].shapes if s.has_chart).chart
    assert chart.chart_type == chart_type
    expected = independent.rows("select p.theme, sum(t.trainees) from training t join projects p "
                                "using (project_id) group by 1 order by 2 desc, 1")
    assert list(chart.plots[0].categories) == [r[0] for r in expected]
    assert _series(chart) == {"Health workers trained": [float(r[1]) for r in expected]}


SPLIT_AND_COMPARED = deck.Deck(name="Legends", slides=(
    deck.Slide(chart="explore", options={"by": "cadre", "split": "gender"}),
    deck.Slide(chart="explore", options={"by": "theme", "cmp": "period", "a": "2012Q1:2013Q4",
                                         "b": "2016Q1:2017Q4"}),
))


def test_a_split_and_a_compared_slide_carry_a_legend_in_every_medium(fixture_dir):
    import re as regex

    pptx, _, _ = _build(fixture_dir, SPLIT_AND_COMPARED, "pptx", Filters())
    for page in list(Presentation(io.BytesIO(pptx)).slides)[1:]:
        chart = next(s for s in page.shapes if s.has_chart).chart
        assert sum(len(p.series) for p in chart.plots) > 1 and chart.has_legend
    database = db.open_database(fixture_dir, "fixture-v1")
    choices = export.filter_choices(database)
    slides = deck.prepare(SPLIT_AND_COMPARED,
                          lambda spec, opts: export.chart_data(database, spec, Filters(), choices, opts))
    for prepared in slides:  # the figure the PDF, the Present page and the HTML deck draw
        fig = prepared.spec.figure(prepared.frame, options=prepared.slide.options)
        assert len(fig.data) > 1 and fig.layout.showlegend is True
    html = deck_writers.build(SPLIT_AND_COMPARED, slides, export.Provenance.of(database, "All", DAY), "html").decode()
    figures = regex.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, regex.S)
    shown = [json.loads(f)["layout"].get("showlegend") for f in figures if '"layout"' in f]
    assert shown[-2:] == [True, True]
