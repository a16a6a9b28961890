"""A corpus of bad extracts, each made from the fixture extract by one mutation.

Every case must be rejected with a problem naming the right file, row, column and rule, and
the data store must be byte-identical afterwards (nothing written, the active version unchanged).
"""

from __future__ import annotations

import io
import shutil
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from impact.ingest import extract_io, readers
from impact.storage import store
from tests.data_helpers import make_store, read_rows, snapshot, write_rows


@dataclass(frozen=True)
class Case:
    """One bad extract: how to make it, and the problem it must produce."""

    id: str
    make: Callable[[Path, Path], Path]  # (csv extract, work folder) -> path to import
    file: str
    row: int | None
    column: str
    rule: str
    limits: readers.Limits = readers.LIMITS


def _edit(table: str, row: int, column: str, value: str):
    """Copy `table`.csv with one cell changed (row numbers as in the file: header = 1)."""
    def make(src: Path, work: Path) -> Path:
        rows = read_rows(src / f"{table}.csv")
        rows[row - 1][rows[0].index(column)] = value
        write_rows(work / f"{table}.csv", rows)
        return work
    return make


def _rows(table: str, change: Callable[[list[list[str]]], None], **options):
    def make(src: Path, work: Path) -> Path:
        rows = read_rows(src / f"{table}.csv")
        change(rows)
        write_rows(work / f"{table}.csv", rows, **options)
        return work
    return make


def _raw(name: str, data: bytes):
    def make(src: Path, work: Path) -> Path:
        work.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
        return work
    return make


def _drop_column(rows, name):
    at = rows[0].index(name)
    for r in rows:
        del r[at]


def _find(rows, column, value) -> int:
    """Row number (header = 1) of the first row whose `column` equals `value`."""
    at = rows[0].index(column)
    return next(i for i, r in enumerate(rows) if i and r[at] == value) + 1


def _new_approaches_above_surveyed(rows):
    head = rows[0]
    key = lambda r: (r[0], r[1], r[2])  # noqa: E731
    surveyed = {key(r): int(r[head.index("value")]) for r in rows[1:] if r[3] == "uk_volunteers_surveyed"}
    i = next(i for i, r in enumerate(rows) if i and r[3] == "uk_volunteers_new_approaches")
    rows[i][4] = str(surveyed.get(key(rows[i]), 0) + 1)
    _CONTEXT["new_approaches_row"] = i + 1


_CONTEXT: dict = {}


def _first_new_approaches_row(src: Path) -> int:
    rows = read_rows(src / "outcomes.csv")
    return next(i for i, r in enumerate(rows) if i and r[3] == "uk_volunteers_new_approaches") + 1


def _first_busy_volunteering_row(src: Path) -> int:
    rows = read_rows(src / "volunteering.csv")
    return next(i for i, r in enumerate(rows) if i and int(r[5]) > 0) + 1


def _period_outside_project(src: Path, work: Path) -> Path:
    projects = {r[0]: (r[8], r[9]) for r in read_rows(src / "projects.csv")[1:]}
    rows = read_rows(src / "training.csv")
    start, end = projects[rows[1][0]]
    rows[1][2] = "2011-07-01" if start > "2011-10-01" else "2019-01-01"
    assert not start <= rows[1][2] <= end
    write_rows(work / "training.csv", rows)
    return work


def _end_before_start(src: Path, work: Path) -> Path:
    import datetime as dt

    rows = read_rows(src / "projects.csv")
    start = dt.date.fromisoformat(rows[1][8])
    rows[1][9] = (start - dt.timedelta(days=1)).isoformat()
    write_rows(work / "projects.csv", rows)
    return work


def _uk_lead_overseas(src: Path, work: Path) -> Path:
    institutions = read_rows(src / "institutions.csv")
    overseas = next(r[0] for r in institutions[1:] if r[2] == "Overseas")
    return _edit("projects", 2, "uk_lead_id", overseas)(src, work)


def _cp1252(src: Path, work: Path) -> Path:
    rows = read_rows(src / "countries.csv")
    rows[3][1] = "Côte d'Ivoire"
    write_rows(work / "countries.csv", rows, encoding="cp1252")
    return work


def _utf16(src: Path, work: Path) -> Path:
    rows = read_rows(src / "countries.csv")
    write_rows(work / "countries.csv", rows, encoding="utf-16")
    return work


def _unclosed_quote(src: Path, work: Path) -> Path:
    text = (src / "countries.csv").read_text(encoding="utf-8-sig").splitlines()
    text[4] = text[4].replace(",", ',"', 1)
    (work).mkdir(parents=True, exist_ok=True)
    (work / "countries.csv").write_text("\r\n".join(text) + "\r\n", encoding="utf-8")
    return work


def _xlsx_from_csv(src: Path, work: Path, table: str, row: int, column: str, value) -> Path:
    from openpyxl import Workbook

    rows = read_rows(src / f"{table}.csv")
    rows[row - 1][rows[0].index(column)] = value
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table)
    for r in rows:
        sheet.append([int(v) if v.isdigit() else v for v in r])
    work.mkdir(parents=True, exist_ok=True)
    book.save(work / f"{table}.xlsx")
    return work


def _xlsx_billion_laughs(src: Path, work: Path) -> Path:
    from openpyxl import Workbook

    work.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.active.append(["iso3", "name", "region"])
    book.active.append(["UGA", "Uganda", "East Africa"])
    plain = io.BytesIO()
    book.save(plain)
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
           + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(work / "countries.xlsx", "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = lol.encode() if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info)
            zout.writestr(info.filename, data)
    return work


def _zip_with_member(member: str, data: bytes, name: str = "extract.zip", attr: int | None = None):
    def make(src: Path, work: Path) -> Path:
        work.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(work / name, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("countries.csv", (src / "countries.csv").read_bytes())
            info = zipfile.ZipInfo(member)
            if attr is not None:
                info.external_attr = attr << 16
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
        return work / name
    return make


def _bomb_xlsx(src: Path, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(work / "training.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b" " * (1 << 20)
            for _ in range(64):  # 64 MB of blanks packs to ~64 KB
                member.write(block)
    return work


def _bomb_zip(src: Path, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(work / "extract.zip", "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("training.csv", "w", force_zip64=True) as member:
            block = b"0" * (1 << 20)
            for _ in range(64):
                member.write(block)
    return work / "extract.zip"


def _parquet_row_bomb(src: Path, work: Path) -> Path:
    import numpy as np

    work.mkdir(parents=True, exist_ok=True)
    rows = 3_000_000  # a few KB on disk, beyond the 2,000,000-row limit
    pq.write_table(pa.table({"score": np.zeros(rows, dtype=np.int64)}), work / "partnership_scores.parquet",
                   compression="zstd")
    assert (work / "partnership_scores.parquet").stat().st_size < 200_000
    return work


def _parquet_size_bomb(src: Path, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    table = pa.table({"iso3": ["UGA"], "name": ["x" * (8 << 20)], "region": ["East Africa"]})
    pq.write_table(table, work / "countries.parquet", compression="zstd")
    return work


def _parquet_bad_value(src: Path, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    rows = read_rows(src / "training.csv")
    columns = {name: [r[i] for r in rows[1:]] for i, name in enumerate(rows[0])}
    columns["trainees"][9] = "lots"  # the tenth record
    pq.write_table(pa.table(columns), work / "training.parquet")
    return work


def _two_files(src: Path, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "countries.csv", work / "countries.csv")
    pq.write_table(pa.table({"iso3": ["UGA"]}), work / "countries.parquet")
    return work


def _sep_hint(src: Path, work: Path) -> Path:
    rows = read_rows(src / "training.csv")
    rows[6][3] = "Wizard"  # file row 8: the hint line is row 1, the header row 2
    write_rows(work / "training.csv", rows, delimiter=";", prefix="sep=;\r\n")
    return work


SMALL_ROWS = readers.Limits(rows=1000)
SMALL_FILES = readers.Limits(file_bytes=20_000)

CASES = [
    # columns and types
    Case("missing-column", _rows("training", lambda r: _drop_column(r, "trainees")), "training.csv", 1, "trainees",
         "missing-column"),
    Case("unknown-column", _rows("countries", lambda r: [x.append("notes" if i == 0 else "") for i, x in enumerate(r)]),
         "countries.csv", 1, "notes", "unknown-column"),
    Case("text-in-count", _edit("training", 5, "trainees", "twelve"), "training.csv", 5, "trainees", "not-a-number"),
    Case("decimal-count", _edit("training", 6, "trainees", "3.5"), "training.csv", 6, "trainees", "not-whole"),
    Case("negative-count", _edit("training", 7, "trainees", "-4"), "training.csv", 7, "trainees", "below-minimum"),
    Case("absurd-count", _edit("volunteering", 8, "volunteer_days", "5000000"), "volunteering.csv", 8,
         "volunteer_days", "above-maximum"),
    Case("count-with-unit", _edit("training", 9, "trainees", "12 nurses"), "training.csv", 9, "trainees",
         "not-a-number"),
    Case("bad-date-format", _edit("projects", 4, "start_date", "31/12/2015"), "projects.csv", 4, "start_date",
         "not-a-date"),
    Case("impossible-date", _edit("projects", 5, "end_date", "2015-02-30"), "projects.csv", 5, "end_date",
         "not-a-date"),
    Case("empty-cell", _edit("countries", 3, "name", ""), "countries.csv", 3, "name", "missing-value"),
    Case("budget-text", _edit("projects", 6, "budget", "£100k"), "projects.csv", 6, "budget",
         "not-a-number"),
    # allowed values and codes
    Case("unknown-iso3", _edit("countries", 2, "iso3", "XYZ"), "countries.csv", 2, "iso3", "unknown-iso3"),
    Case("lowercase-iso3", _edit("training", 3, "iso3", "uga"), "training.csv", 3, "iso3", "unknown-iso3"),
    Case("institution-iso3", _edit("institutions", 4, "iso3", "UK"), "institutions.csv", 4, "iso3", "unknown-iso3"),
    Case("unknown-region", _edit("countries", 4, "region", "Middle Earth"), "countries.csv", 4, "region",
         "not-allowed"),
    Case("unknown-cadre", _edit("training", 10, "cadre", "Wizard"), "training.csv", 10, "cadre", "not-allowed"),
    Case("unknown-gender", _edit("training", 11, "gender", "F"), "training.csv", 11, "gender", "not-allowed"),
    Case("unknown-theme", _edit("projects", 7, "theme", "Dentistry"), "projects.csv", 7, "theme", "not-allowed"),
    Case("unknown-grant-type", _edit("projects", 8, "grant_type", "Huge grant"), "projects.csv", 8, "grant_type",
         "not-allowed"),
    Case("unknown-phase", _edit("projects", 9, "phase", "2020-2022"), "projects.csv", 9, "phase", "not-allowed"),
    Case("unknown-indicator", _edit("outcomes", 3, "indicator", "happiness"), "outcomes.csv", 3, "indicator",
         "not-allowed"),
    Case("score-out-of-range", _edit("partnership_scores", 4, "score", "7"), "partnership_scores.csv", 4, "score",
         "above-maximum"),
    Case("control-character", _edit("projects", 3, "title", "Two\nlines"), "projects.csv", 3, "title",
         "control-character"),
    Case("text-too-long", _edit("projects", 10, "title", "x" * 600), "projects.csv", 10, "title", "too-long"),
    # periods
    Case("period-not-quarter", _edit("training", 12, "period", "2014-02-01"), "training.csv", 12, "period",
         "not-quarter-start"),
    Case("period-after-programme", _edit("outcomes", 4, "period", "2020-01-01"), "outcomes.csv", 4, "period",
         "outside-programme"),
    Case("period-outside-project", _period_outside_project, "training.csv", 2, "period", "period-outside-project"),
    # keys and references
    Case("duplicate-key", _rows("training", lambda r: r.append(list(r[1]))), "training.csv", None, "training_type",
         "duplicate-key"),
    Case("duplicate-project", _rows("projects", lambda r: r[3].__setitem__(0, r[2][0])), "projects.csv", 4,
         "project_id", "duplicate-key"),
    Case("unknown-project", _edit("training", 13, "project_id", "HPS-999"), "training.csv", 13, "project_id",
         "unknown-reference"),
    Case("unknown-institution", _edit("project_partners", 5, "institution_id", "INS-99999"), "project_partners.csv",
         5, "institution_id", "unknown-reference"),
    Case("country-not-in-countries", _edit("training", 14, "iso3", "FRA"), "training.csv", 14, "iso3",
         "unknown-reference"),
    # totals and dates that cannot be right
    Case("new-approaches-above-surveyed", _rows("outcomes", _new_approaches_above_surveyed), "outcomes.csv", None,
         "value", "more-than-denominator"),
    Case("days-below-placements", lambda s, w: _edit("volunteering", _first_busy_volunteering_row(s),
                                                      "volunteer_days", "0")(s, w),
         "volunteering.csv", None, "volunteer_days", "days-below-placements"),
    Case("end-before-start", _end_before_start, "projects.csv", 2, "end_date",
         "end-before-start"),
    Case("side-mismatch", _edit("institutions", 2, "iso3", "UGA"), "institutions.csv", 2, "iso3", "side-mismatch"),
    Case("uk-lead-overseas", _uk_lead_overseas, "projects.csv", 2, "uk_lead_id", "lead-side"),
    # files, encodings and dialects
    Case("empty-file", _raw("training.csv", b""), "training.csv", None, "", "empty-file"),
    Case("header-only", _raw("countries.csv", b"iso3,name,region\r\n"), "countries.csv", 1, "", "no-rows"),
    Case("ragged-row", _rows("countries", lambda r: r[5].append("extra")), "countries.csv", 6, "", "ragged-row"),
    Case("unclosed-quote", _unclosed_quote, "countries.csv", 5, "", "ragged-row"),
    Case("windows-1252", _cp1252, "countries.csv", 4, "", "encoding"),
    Case("utf-16", _utf16, "countries.csv", 1, "", "encoding"),
    Case("semicolon-bad-value", _rows("training", lambda r: r[14].__setitem__(4, "X"), delimiter=";"),
         "training.csv", 15, "gender", "not-allowed"),
    Case("excel-sep-hint", _sep_hint, "training.csv", 8, "cadre", "not-allowed"),
    Case("unknown-file-name", _raw("trainings.csv", b"a,b\r\n1,2\r\n"), "trainings.csv", None, "", "unknown-file"),
    Case("two-files-one-table", _two_files, "countries.parquet", None, "", "duplicate-file"),
    Case("too-many-rows", lambda s, w: shutil.copytree(s, w) and w, "training.csv", 1002, "", "too-many-rows",
         SMALL_ROWS),
    Case("file-too-large", lambda s, w: shutil.copytree(s, w) and w, "training.csv", None, "", "too-large",
         SMALL_FILES),
    # Excel
    Case("xlsx-bad-value", lambda s, w: _xlsx_from_csv(s, w, "training", 10, "cadre", "Wizard"), "training.xlsx",
         10, "cadre", "not-allowed"),
    Case("xlsx-text-in-count", lambda s, w: _xlsx_from_csv(s, w, "training", 20, "trainees", "n/a"), "training.xlsx",
         20, "trainees", "not-a-number"),
    Case("xlsx-xml-bomb", _xlsx_billion_laughs, "countries.xlsx", None, "", "unsafe-file"),
    Case("xlsx-zip-bomb", _bomb_xlsx, "training.xlsx", None, "", "too-large"),
    Case("xlsx-not-a-workbook", _raw("countries.xlsx", b"iso3,name\r\nUGA,Uganda\r\n"), "countries.xlsx", None, "",
         "unreadable"),
    # Parquet
    Case("parquet-row-bomb", _parquet_row_bomb, "partnership_scores.parquet", None, "", "too-many-rows"),
    Case("parquet-size-bomb", _parquet_size_bomb, "countries.parquet", None, "", "too-large",
         readers.Limits(parquet_uncompressed_bytes=4 << 20)),
    Case("parquet-text-in-count", _parquet_bad_value, "training.parquet", 10, "trainees", "not-a-number"),
    Case("parquet-corrupt", _raw("training.parquet", b"PAR1" + b"\x00garbage" * 100 + b"PAR1"), "training.parquet",
         None, "", "unreadable"),
    # zip archives
    Case("zip-path-traversal", _zip_with_member("../training.csv", b"x"), "extract.zip", None, "", "unsafe-archive"),
    Case("zip-absolute-path", _zip_with_member("/tmp/training.csv", b"x"), "extract.zip", None, "", "unsafe-archive"),
    Case("zip-windows-traversal", _zip_with_member("..\\..\\training.csv", b"x"), "extract.zip", None, "",
         "unsafe-archive"),
    Case("zip-symlink", _zip_with_member("training.csv", b"/etc/passwd", attr=stat.S_IFLNK | 0o777), "extract.zip",
         None, "", "unsafe-archive"),
    Case("zip-bomb", _bomb_zip, "extract.zip", None, "", "too-large"),
    Case("zip-bad-member", _zip_with_member("notes.docx", b"hello"), "extract.zip/notes.docx", None, "",
         "unknown-file"),
]


@pytest.fixture(scope="module")
def corpus_store(fixture_dir, tmp_path_factory) -> Path:
    """One data store shared by the corpus: every rejected import must leave it byte-identical."""
    return make_store(fixture_dir, tmp_path_factory.mktemp("corpus_store"))


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_extract_is_rejected_with_its_place_and_nothing_changes(case, csv_extract, corpus_store, tmp_path):
    before = snapshot(corpus_store)
    active_before = store.open_store(corpus_store).active().version
    target = case.make(csv_extract, tmp_path / "work")
    result = extract_io.import_extract(target, who="test", limits=case.limits, location=corpus_store)

    assert not result.ok and result.version is None
    matches = [p for p in result.report.problems
               if p.file.endswith(case.file) and p.rule == case.rule and p.column == case.column]
    assert matches, result.report.to_text()
    expected_row = case.row
    if case.id == "new-approaches-above-surveyed":
        expected_row = _CONTEXT["new_approaches_row"]
    elif case.id == "days-below-placements":
        expected_row = _first_busy_volunteering_row(csv_extract)
    elif case.id == "duplicate-key":
        expected_row = len(read_rows(csv_extract / "training.csv")) + 1
    if expected_row is not None:
        assert expected_row in [p.row for p in matches], result.report.to_text()
    problem = next(p for p in matches if expected_row is None or p.row == expected_row)
    assert problem.message and len(problem.message) > 20
    text = result.report.to_text(limit=len(result.report.problems))
    where = f"{problem.file}, row {problem.row}" if problem.row is not None else problem.file
    assert where in text and f"[{case.rule}]" in text
    if problem.column:
        assert f"column {problem.column}" in text

    assert snapshot(corpus_store) == before
    assert store.open_store(corpus_store).active().version == active_before
    assert not (corpus_store / "versions").exists() or not any((corpus_store / "versions").iterdir())


def test_zip_traversal_writes_nothing_outside(csv_extract, corpus_store, tmp_path):
    work = tmp_path / "deep" / "work"
    target = _zip_with_member("../escaped.csv", b"pwned")(csv_extract, work)
    extract_io.import_extract(target, location=corpus_store)
    assert not list(tmp_path.rglob("escaped.csv"))


def test_all_problems_are_reported_at_once_and_counted(csv_extract, corpus_store, tmp_path):
    rows = read_rows(csv_extract / "training.csv")
    at = rows[0].index("trainees")
    for r in rows[1:]:
        r[at] = "bad"
    rows[3][rows[0].index("cadre")] = "Wizard"
    write_rows(tmp_path / "in" / "training.csv", rows)
    result = extract_io.import_extract(tmp_path / "in", location=corpus_store)
    report = result.report
    assert report.kinds[("training.csv", "trainees", "not-a-number")] == len(rows) - 1
    assert report.kinds[("training.csv", "cadre", "not-allowed")] == 1
    assert report.total >= len(rows)
    assert len(report.problems) < 100  # details are capped, the count is not
    assert f"{report.total:,} problem(s)" in report.summary()
