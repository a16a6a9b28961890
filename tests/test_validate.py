"""Validation and readers: files people really send are accepted, export-extract round-trips exactly,
spreadsheet exports carry no formulas, and the report is complete and safe to open."""

from __future__ import annotations

import csv
import io
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from impact.ingest import extract_io, validate
from impact.model import cells, schema
from impact.model import programme as programmes
from impact.query import db
from impact.query.filters import Filters
from impact.storage import store
from tests.data_helpers import make_store, read_rows, write_rows

HOSTILE_TITLES = [
    "=HYPERLINK(\"http://example.invalid\",\"click\")",
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "'=already escaped",
    "''two apostrophes",
    "'Tis a plain apostrophe",
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "[link](javascript:alert(1)) **bold** $x$",
    "Robert'); DROP TABLE projects;--",
    "Ünïcödé — 東京 🙂",
]


def _tables(folder) -> dict[str, pa.Table]:
    return {name: pq.read_table(path) for name, path in store.table_files(folder).items()}


def _figures(data_dir) -> dict:
    row = db.run_query(db.open_active(store.open_store(data_dir)), "headline_totals", Filters().params()).iloc[0]
    return {k: (None if v != v else v) for k, v in row.to_dict().items()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_export_then_import_round_trips_exactly(fmt, fixture_dir, tmp_path):
    data_dir = make_store(fixture_dir, tmp_path / "store")
    before_tables = _tables(data_dir)
    before_figures = _figures(data_dir)
    out = tmp_path / "export"
    written = extract_io.export_extract(fmt, out, store.open_store(data_dir))
    assert sorted(p.name for p in written) == sorted([f"{n}.{fmt}" for n in schema.TABLE_NAMES] + ["programme.json"])
    result = extract_io.import_extract(out, data_dir)
    assert result.ok, result.report.to_text()
    # the tables kept from IATI files are empty here, and an optional table with no rows is left as it is
    assert result.replaced == sorted(n for n in schema.TABLE_NAMES if n not in schema.IATI_TABLES)
    after = _tables(store.open_store(data_dir).active().path)
    for name in schema.TABLE_NAMES:
        assert after[name].equals(before_tables[name]), name
    assert _figures(data_dir) == before_figures


def _store_with_titles(fixture_dir, tmp_path):
    data_dir = make_store(fixture_dir, tmp_path / "store")
    source = tmp_path / "source"
    extract_io.export_extract("parquet", source, store.open_store(data_dir))
    projects = pq.read_table(source / "projects.parquet")
    titles = projects.column("title").to_pylist()
    titles[: len(HOSTILE_TITLES)] = HOSTILE_TITLES
    projects = projects.set_column(projects.column_names.index("title"), "title", pa.array(titles))
    only = tmp_path / "titles"
    only.mkdir()
    pq.write_table(projects, only / "projects.parquet")
    result = extract_io.import_extract(only, data_dir)
    assert result.ok, result.report.to_text()
    return data_dir


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spreadsheet_export_neutralises_formulas_and_imports_back_unchanged(fmt, fixture_dir, tmp_path):
    data_dir = _store_with_titles(fixture_dir, tmp_path)
    before = _tables(store.open_store(data_dir).active().path)
    out = tmp_path / "sheet"
    extract_io.export_extract(fmt, out, store.open_store(data_dir))
    if fmt == "csv":
        raw = read_rows(out / "projects.csv")
        cells_out = [r[1] for r in raw[1:len(HOSTILE_TITLES) + 1]]
        numbers = [r[-1] for r in raw[1:]]
        assert all(n.isdigit() for n in numbers)  # numbers are written as they are
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(out / "projects.xlsx")["projects"]
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
        cells_out = [sheet.cell(row=i + 2, column=2).value for i in range(len(HOSTILE_TITLES))]
        assert all(isinstance(sheet.cell(row=r, column=11).value, int) for r in range(2, 20))
    for title, cell in zip(HOSTILE_TITLES, cells_out, strict=True):
        assert not cell.startswith(cells.FORMULA_TRIGGERS), cell
        assert cells.restore(cell) == title
    result = extract_io.import_extract(out, data_dir)
    assert result.ok, result.report.to_text()
    after = _tables(store.open_store(data_dir).active().path)
    for name in schema.TABLE_NAMES:
        assert after[name].equals(before[name]), name


def test_neutralise_and_restore_are_inverse():
    samples = HOSTILE_TITLES + ["", "'", "''", "=", "\t=1", "\r", "plain", "-", "'-", "a=b", "'a", "'''"]
    for text in samples:
        assert cells.restore(cells.neutralise(text)) == text
        assert not cells.neutralise(text).startswith(cells.FORMULA_TRIGGERS)
    assert cells.neutralise(-5) == -5 and cells.neutralise(3.5) == 3.5 and cells.neutralise(None) is None


def _import_countries(tmp_path, data: bytes, data_dir):
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    (folder / "countries.csv").write_bytes(data)
    return extract_io.import_extract(folder, data_dir)


def _countries_csv(csv_extract, delimiter=",", bom=False, line="\r\n", sep_hint=False) -> bytes:
    rows = read_rows(csv_extract / "countries.csv")
    out = io.StringIO()
    if sep_hint:
        out.write(f"sep={delimiter}{line}")
    csv.writer(out, delimiter=delimiter, lineterminator=line, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


@pytest.mark.parametrize("variant", [
    {"delimiter": ","}, {"delimiter": ";"}, {"delimiter": "\t"}, {"bom": True}, {"bom": False, "line": "\n"},
    {"delimiter": ";", "sep_hint": True, "bom": True}, {"line": "\r"},
])
def test_csv_dialects_people_send_are_accepted(variant, csv_extract, data_store, tmp_path):
    result = _import_countries(tmp_path, _countries_csv(csv_extract, **variant), data_store)
    assert result.ok, result.report.to_text()
    imported = pq.read_table(store.open_store(data_store).active().path / "countries.parquet")
    assert imported.equals(pq.read_table(data_store / "countries.parquet"))


def test_excel_style_quirks_are_tidied(csv_extract, data_store, tmp_path):
    rows = read_rows(csv_extract / "training.csv")
    header = [f" {h.upper()} " for h in rows[0]] + [""]  # spaced, upper-case, a trailing empty column
    body = [[f"  {v} " for v in r] + [""] for r in rows[1:]]
    body[0][6] = "1,234"  # a thousands separator inside quotes
    body[1][6] = "12.0"  # Excel's whole number with a decimal point
    text = io.StringIO()
    csv.writer(text, quoting=csv.QUOTE_ALL).writerows([header, *body[:3], [""] * len(header), *body[3:]])
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "training.csv").write_text(text.getvalue(), encoding="utf-8")
    result = extract_io.import_extract(folder, data_store)
    assert result.ok, result.report.to_text()
    trainees = pq.read_table(store.open_store(data_store).active().path / "training.parquet").column("trainees").to_pylist()
    assert trainees[:2] == [1234, 12]
    assert trainees[2:] == [int(r[6]) for r in rows[3:]]


def test_single_table_import_replaces_only_that_table(csv_extract, data_store, tmp_path):
    rows = read_rows(csv_extract / "partnership_scores.csv")
    rows[1][2] = "1" if rows[1][2] != "1" else "2"
    write_rows(tmp_path / "in" / "partnership_scores.csv", rows)
    result = extract_io.import_extract(tmp_path / "in" / "partnership_scores.csv", data_store)
    assert result.ok, result.report.to_text()
    new = store.open_store(data_store).active().path
    for name in schema.TABLE_NAMES:
        same = (new / f"{name}.parquet").read_bytes() == (data_store / f"{name}.parquet").read_bytes()
        assert same == (name != "partnership_scores"), name


def test_replacing_projects_checks_the_tables_in_use(csv_extract, data_store, tmp_path):
    rows = read_rows(csv_extract / "projects.csv")
    dropped = rows.pop(1)[0]
    write_rows(tmp_path / "in" / "projects.csv", rows)
    result = extract_io.import_extract(tmp_path / "in", data_store)
    assert not result.ok
    problems = [p for p in result.report.problems if p.rule == "unknown-reference" and p.value == dropped]
    assert "training in version base (in use)" in {p.file for p in problems}
    assert all("projects.csv" in p.message for p in problems)


def test_good_zip_with_a_folder_inside_is_accepted(csv_extract, data_store, tmp_path):
    import zipfile

    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name in schema.TABLE_NAMES:
            z.write(csv_extract / f"{name}.csv", f"my extract/{name}.csv")
        z.writestr("__MACOSX/._training.csv", b"junk")
        z.writestr("my extract/.DS_Store", b"junk")
    result = extract_io.import_extract(archive, data_store)
    assert result.ok, result.report.to_text()
    # the tables kept from IATI files have no rows here: left as they are, unchecked
    assert result.report.files.keys() == {f"extract.zip/{n}.csv" for n in schema.TABLE_NAMES
                                          if n not in schema.IATI_TABLES}


def test_report_csv_is_safe_to_open_in_a_spreadsheet(data_store, tmp_path):
    result = _import_countries(tmp_path, b"iso3,name,region\r\n=cmd|' /C calc'!A0,x,@SUM(1)\r\n", data_store)
    assert not result.ok
    text = result.report.to_csv().decode("utf-8-sig")
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        for cell in row:
            assert not cell.startswith(cells.FORMULA_TRIGGERS), cell
    frame = result.report.to_frame()
    assert list(frame.columns) == ["file", "row", "column", "value", "rule", "message"]


def test_check_table_on_clean_text_gives_schema_types(fixture_dir):
    table = pq.read_table(fixture_dir / "projects.parquet")
    raw = validate.RawTable("projects", "projects.csv", table.column_names,
                            {c: pa.compute.cast(table.column(c).combine_chunks(), pa.string())
                             for c in table.column_names},
                            __import__("numpy").arange(2, table.num_rows + 2))
    report = validate.Report()
    checked = validate.check_table(raw, report, programmes.load(fixture_dir))
    assert report.ok, report.to_text()
    assert checked.table().equals(table)


def test_limits_are_checked_before_parsing(csv_extract, data_store, tmp_path, monkeypatch):
    from impact.ingest import readers

    called = []
    monkeypatch.setattr(readers, "_read_csv", lambda *a: called.append(a))
    shutil.copy(csv_extract / "training.csv", tmp_path / "training.csv")
    result = extract_io.import_extract(tmp_path / "training.csv", data_store,
                                       limits=readers.Limits(file_bytes=1000))
    assert not result.ok and not called
