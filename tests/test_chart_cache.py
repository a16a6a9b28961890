"""What a rerun costs: charts built once per data version, chart, options, filters and theme; a chart's
Download menu drawn only while open, its files built only when asked, and then the same bytes as
`impact.charts.export`."""

from __future__ import annotations

import json

import plotly.io as pio

from impact.app import chart_menu, drawing
from impact.charts import catalog, export
from impact.model import i18n, metrics
from impact.query import db, filters
from impact.storage import store
from tests.conftest import make_app

OVERVIEW_CHARTS = 4


def _figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _countries(at):
    return next(m for m in at.sidebar.multiselect if m.key == "f_country")


def test_a_rerun_reuses_each_chart_and_a_filter_change_rebuilds_it(app_data, monkeypatch):
    built = []
    real = drawing.prepare
    monkeypatch.setattr(drawing, "prepare", lambda spec, *a, **k: built.append(spec.id) or real(spec, *a, **k))
    at = make_app()
    assert len(built) == OVERVIEW_CHARTS
    shown = _figures(at)

    at.run()
    assert len(built) == OVERVIEW_CHARTS, "a rerun with nothing changed built a chart again"
    assert _figures(at) == shown

    country = _countries(at).options[0]
    _countries(at).set_value([country]).run()
    assert not at.exception
    assert len(built) == 2 * OVERVIEW_CHARTS
    narrowed = _figures(at)
    assert narrowed != shown

    _countries(at).set_value([]).run()
    assert len(built) == 2 * OVERVIEW_CHARTS, "the first filters' charts are still cached"
    assert _figures(at) == shown


def test_the_cached_chart_is_the_figure_the_catalogue_draws(app_data):
    database = _database()
    for chart_id, options in (("trainees_by_theme", {}), ("explore", {"by": "cadre", "split": "gender"})):
        spec = catalog.chart(chart_id, options)
        frame = db.run_query(database, spec.query, spec.query_params(_all(database), options))
        drawn = drawing.prepare(spec, frame, options, subtitle="All data")
        assert drawn.figure.to_dict() == spec.figure(frame, subtitle="All data", options=options).to_dict()
        assert drawn.rows.equals(spec.rows(frame))
        assert drawn.caption == (spec.caption(spec.rows(frame)) if spec.caption else None)
        assert drawn.formats == spec.column_formats(spec.rows(frame))


def _database() -> db.Database:
    active = store.open_store().active()
    database = db.open_database(active.path, active.version)
    metrics.activate(database.programme)
    return database


def _all(database) -> dict:
    from impact.query.filters import Filters

    return Filters().params(export.filter_choices(database))


def test_the_chart_cache_keys_on_version_filters_and_theme(app_data):
    active = store.open_store().active()
    database = _database()
    spec = catalog.chart("trainees_by_theme")
    params = _all(database)

    def cached(version=active.version, params=params, template=pio.templates.default, height=None, language="en"):
        return drawing.cached_drawing(version, str(active.path), spec.id, drawing.canonical({}),
                                      drawing.canonical(params), "All data", height, template, language,
                                      _spec=spec, _options={}, _params=params)

    frame, drawn = cached()
    again = cached()
    assert again[1] is drawn and again[0] is frame
    assert cached(version=f"{active.version}-next")[1] is not drawn
    assert cached(template="impact_projector")[1] is not drawn
    assert cached(height=400)[1].figure.layout.height == 400
    with i18n.using("fr"):
        french = cached(language="fr")[1]
    assert french is not drawn and french.figure.layout.separators == ",\u202f"
    assert drawn.figure.layout.separators == ".,"
    fewer = filters.with_filters(params, country=["UGA"])
    assert cached(params=fewer)[1] is not drawn
    assert cached()[1] is drawn


def test_download_files_are_built_only_when_asked(app_data, monkeypatch):
    calls = []
    real = export.chart_bytes
    monkeypatch.setattr(export, "chart_bytes", lambda *a, **k: calls.append(a[3]) or real(*a, **k))
    at = make_app()
    assert at.get("download_button") == [], "a closed menu sends no file buttons"
    assert len([p for p in at.get("popover")]) == OVERVIEW_CHARTS
    at.session_state["chart_trainees_by_theme_downloads"] = True  # the menu opened
    at.run()
    offered = at.get("download_button")
    assert [b.proto.label for b in offered] == [label for label, *_ in chart_menu.IMAGE_CHOICES]
    assert calls == [], "a page run built a download file"

    database = _database()
    spec = catalog.chart("trainees_by_theme")
    frame = db.run_query(database, spec.query, spec.query_params(_all(database)))
    provenance = export.Provenance.of(database, "All data")
    for fmt in ("csv", "xlsx"):
        asked = chart_menu.deferred_file(spec, frame, provenance, fmt, 1, None)
        assert calls.count(fmt) == 0
        built = asked()
        assert calls.count(fmt) == 1
        direct = export.csv_bytes(spec, frame) if fmt == "csv" else None
        if direct is not None:
            assert built == direct
        else:  # a workbook carries no timestamp of its own that differs between two builds of one day
            assert _cells(built) == _cells(real(spec, frame, provenance, "xlsx"))


def _cells(workbook: bytes) -> list:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook))
    return [[cell.value for row in sheet.iter_rows() for cell in row] for sheet in book.worksheets]
