"""Any spreadsheet as it is: the cells of a CSV file or of each worksheet of an Excel workbook, as text, with the
row numbers a person sees and the merged ranges — the input of the mapping step (`impact.ingest.mapping`).

The extract reader (`impact.ingest.readers`) takes the product's own tables; this one takes a sheet in its own
shape, so it reads every row (title rows, blank rows, total rows are the mapping's business) and refuses the same
hostile files as the extract import: a file larger than the limits, a workbook that is a zip bomb
(`readers.check_archive`), a macro-enabled workbook (`.xlsm`, or a `vbaProject.bin` inside), a workbook with
external links, XML declaring entities (a DOCTYPE, checked in every part before reading), a CSV that is not
UTF-8 text. A workbook's cells are read by calamine (Rust: a 100,000-row sheet in seconds, where openpyxl took
minutes): formulas as the values Excel saved with them, never evaluated (one saved without a value reads empty);
the merged ranges and error cells (#DIV/0!), which calamine does not give, from one streamed scan of each sheet's
XML (`sheet_marks`).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from impact.ingest import readers
from impact.ingest.validate import Report
from impact.model import i18n
from impact.model.i18n import gettext as _

SHEET_COLUMNS = 256  # columns read from one sheet: a wide sheet has many, never this many
SCAN_BYTES = 1 << 20  # the chunk a worksheet's XML is scanned in for its merged ranges
DENSE_CELLS = 8_000_000  # a sheet's used range (rows x columns) read at once by calamine; beyond it (a stray cell in
# column XFD), or wider than SHEET_COLUMNS, the sheet is streamed row by row by openpyxl instead (slower, bounded)
SHEET_EXTENSIONS = ("csv", "xlsx", "json")
DHIS2_FIELDS = ("dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo", "value",
                "storedBy", "created", "lastUpdated", "comment", "followup")  # a DHIS2 data value's fields, in order


@dataclass
class Sheet:
    """One sheet's cells as text (`cells[i]` is the file's row `numbers[i]`), and its merged ranges
    (first row, first column, last row, last column; numbered from 1 as Excel does)."""

    file: str
    name: str  # the worksheet's name; "" for a CSV file
    cells: list[list[str]]
    numbers: list[int]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def shown(self) -> str:
        """How messages name it: 'master.xlsx, sheet Data' or 'master.csv'."""
        return _("{file}, sheet {sheet}").format(file=self.file, sheet=self.name) if self.name else self.file


def read(path: str | Path, shown: str | None = None, report: Report | None = None,
         limits: readers.Limits = readers.LIMITS) -> list[Sheet]:
    """The sheets of the CSV or Excel file at `path` (a workbook's sheets that hold something, in order); a file
    refused is reported (file, sheet, row where known) and gives no sheet."""
    path = Path(path)
    shown = shown or path.name
    report = report if report is not None else Report()
    ext = path.name.rpartition(".")[2].lower()
    if ext == "xlsm" or ext not in SHEET_EXTENSIONS:
        report.add(shown, None, "", "", "unknown-file",
                   (_("'{file}' is a macro-enabled workbook: save it as .xlsx (Excel Workbook) and import that.")
                    if ext == "xlsm" else
                    _("'{file}' is not a CSV (.csv), Excel (.xlsx) or DHIS2 data value set (.json) file.")).format(
                       file=path.name))
        return []
    size = path.stat().st_size
    if size > limits.file_bytes:
        words = i18n.active()
        report.add(shown, None, "", "", "too-large", _("The file is {size} bytes; the limit is {limit}.").format(
            size=words.number(size), limit=words.number(limits.file_bytes)))
        return []
    if size == 0:
        report.add(shown, None, "", "", "empty-file", _("The file is empty."))
        return []
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "json": _read_dhis2_json}[ext]
    return reader(path, shown, report, limits)


def _read_dhis2_json(path: Path, shown: str, report: Report, limits: readers.Limits) -> list[Sheet]:
    """A DHIS2 data value set as its API and Import/Export app write it ({"dataValues": [{dataElement, period,
    orgUnit, categoryOptionCombo, attributeOptionCombo, value, ...}]}) as one sheet: a header of its fields, a row
    per data value (numbered from 2, as the same set exported as CSV would be)."""
    import json

    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        report.add(shown, None, "", "", "unreadable", _("The file is not JSON text ({error}).").format(
            error=type(error).__name__))
        return []
    values = data.get("dataValues") if isinstance(data, dict) else None
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        report.add(shown, None, "", "", "unknown-file", _('The JSON file is not a DHIS2 data value set: it needs a '
                                                          '"dataValues" list of objects.'))
        return []
    if len(values) > limits.rows:
        report.add(shown, None, "", "", "too-many-rows", _("The set has {count} data values; the most one import "
                                                           "takes is {limit}.").format(
            count=i18n.active().number(len(values)), limit=i18n.active().number(limits.rows)))
        return []
    header = [f for f in DHIS2_FIELDS if any(f in v for v in values)]
    header += sorted({k for v in values for k in v if k not in DHIS2_FIELDS})[:SHEET_COLUMNS - len(header)]
    cells = [header] + [[readers.cell_text(v.get(f)) if not isinstance(v.get(f), (dict, list)) else ""
                         for f in header] for v in values]
    return [Sheet(shown, "", cells, list(range(1, len(cells) + 1)))]


def _read_csv(path: Path, shown: str, report: Report, limits: readers.Limits) -> list[Sheet]:
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:8192]:
        report.add(shown, 1, "", "", "encoding", _("The file is not CSV text (UTF-16 or binary data). Save it as "
                                                    "'CSV UTF-8 (Comma delimited)' and import again."))
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        report.add(shown, line, "", "", "encoding", _("The file is not UTF-8 text (line {line}); save it as 'CSV "
                                                      "UTF-8 (Comma delimited)' and import again.").format(line=line))
        return []
    first = text.split("\n", 20)[:20]
    delimiter = max((",", ";", "\t", "|"), key=lambda d: sum(line.count(d) for line in first))
    cells, numbers = [], []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if number > limits.rows:
                report.add(shown, number, "", "", "too-many-rows",
                           _("The file has more than {limit} rows, the most one import takes.").format(
                               limit=i18n.active().number(limits.rows)))
                return []
            cells.append([value.strip() for value in row[:SHEET_COLUMNS]])
            numbers.append(number)
    except csv.Error as error:
        report.add(shown, len(numbers) + 1, "", "", "unreadable", _("The CSV cannot be read ({error}).").format(
            error=error))
        return []
    return [Sheet(shown, "", cells, numbers)]


def _read_xlsx(path: Path, shown: str, report: Report, limits: readers.Limits) -> list[Sheet]:
    archive = readers.check_archive(path, shown, report, limits, limits.xlsx_members, limits.xlsx_unpacked_bytes)
    if archive is None:
        return []
    with archive:
        parts = [info.filename for info in archive.infolist()]
        try:
            declared = _declares_entities(archive)
        except Exception as error:  # a damaged member (bad CRC, unknown compression)
            report.add(shown, None, "", "", "unreadable", _unreadable_workbook(error))
            return []
    macros = [p for p in parts if p.lower().endswith("vbaproject.bin")]
    links = [p for p in parts if p.lower().startswith("xl/externallinks/")]
    if macros:
        report.add(shown, None, "", macros[0], "unsafe-file", _("The workbook holds macros (a VBA project); save it "
                                                               "as .xlsx without macros and import that."))
    if links:
        report.add(shown, None, "", links[0], "unsafe-file", _("The workbook links to other workbooks (external "
                                                              "links); paste the values in and remove the links (Data "
                                                              "> Edit Links > Break Link), then import it."))
    if macros or links:
        return []
    if declared:
        report.add(shown, None, "", declared, "unsafe-file", _("The workbook's XML declares entities (a DOCTYPE), "
                                                               "which Excel never writes; save it from Excel as .xlsx "
                                                               "and import that."))
        return []
    import python_calamine

    try:
        # The cell values as Excel saved them (formulas never evaluated; one saved without a value reads empty),
        # read by calamine (Rust); the merged ranges and error cells, which it does not give, from the sheets' XML.
        marks = sheet_marks(path)
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as error:  # the zip, XML and calamine readers raise many kinds for a damaged or hostile file
        report.add(shown, None, "", "", "unreadable", _unreadable_workbook(error))
        return []
    out = []
    try:
        for meta in book.sheets_metadata:
            if meta.visible != python_calamine.SheetVisibleEnum.Visible or \
                    meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            where = _("{file}, sheet {sheet}").format(file=shown, sheet=meta.name)
            # A sheet the scan did not find (its part named otherwise) is streamed: its extent is not known.
            merged, errors, (height, width) = marks.get(meta.name, ([], {}, (0, SHEET_COLUMNS + 1)))
            if height > limits.rows:
                report.add(where, limits.rows + 1, "", "", "too-many-rows", _too_many_rows(limits))
                return []
            try:
                if width > SHEET_COLUMNS or height * width > DENSE_CELLS:
                    cells = _streamed(path, meta.name, min(width, SHEET_COLUMNS), where, report, limits)
                    if cells is None:
                        return []
                else:
                    values = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
                    cells = [_row_text(row[:SHEET_COLUMNS]) for row in values]
            except Exception as error:
                report.add(where, None, "", "", "unreadable", _("The sheet cannot be read ({error}); save the "
                                                                "workbook from Excel as .xlsx.").format(
                    error=type(error).__name__))
                return []
            if len(cells) > limits.rows:
                report.add(where, limits.rows + 1, "", "", "too-many-rows", _too_many_rows(limits))
                return []
            for (row, column), text in errors.items():  # calamine reads an error cell (#DIV/0!) as empty
                if row <= limits.rows and column <= SHEET_COLUMNS:
                    cells.extend([] for _ in range(row - len(cells)))
                    line = cells[row - 1]
                    line.extend([""] * (column - len(line)))
                    line[column - 1] = text
            if any(any(c for c in row) for row in cells):
                out.append(Sheet(shown, meta.name, cells, list(range(1, len(cells) + 1)), merged))
    finally:
        book.close()
    if not out:
        report.add(shown, None, "", "", "empty-file", _("No sheet of the workbook holds anything."))
    return out


def _streamed(path: Path, name: str, width: int, where: str, report: Report,
              limits: readers.Limits) -> list[list[str]] | None:
    """One sheet's cells streamed row by row by openpyxl (read-only, the values Excel saved; XML through
    defusedxml), its first `width` columns: for a sheet whose used range is too large to read at once."""
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        cells = []
        for number, values in enumerate(book[name].iter_rows(values_only=True, max_col=max(width, 1)), start=1):
            if number > limits.rows:
                report.add(where, number, "", "", "too-many-rows", _too_many_rows(limits))
                return None
            cells.append(_row_text(values))
        return cells
    finally:
        book.close()


def _unreadable_workbook(error: Exception) -> str:
    return _("The file cannot be read as an Excel workbook ({error}); save it from Excel as .xlsx.").format(
        error=type(error).__name__)


def _too_many_rows(limits: readers.Limits) -> str:
    return _("The sheet has more than {limit} rows, the most one import takes.").format(
        limit=i18n.active().number(limits.rows))


def _row_text(values: list) -> list[str]:
    """One row's cells as text (as wide as the sheet's used range)."""
    return [v.strip() if isinstance(v, str) else readers.cell_text(v).strip() for v in values]


def _declares_entities(archive) -> str:
    """The first XML part of the workbook that declares a DOCTYPE or entities (what defusedxml refuses), or ""."""
    for info in archive.infolist():
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            with archive.open(info) as stream:
                head = stream.read(1 << 16)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                return info.filename
    return ""


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATION = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7})\"")
# An error cell (t="e": #DIV/0!, #N/A...), its reference and the error it holds; a formula before the value may be
# long, so the tail kept between chunks (TAIL) covers the longest formula Excel writes.
_ERROR = re.compile(rb"<(?:\w+:)?c\s(?=[^>]*?\bt=\"e\")[^>]*?\br=\"([A-Z]{1,3}[0-9]{1,7})\"[^>]*>"
                    rb"(?:(?!</(?:\w+:)?c>).){0,%d}?<(?:\w+:)?v>([^<]{1,64})</(?:\w+:)?v>" % (1 << 14), re.DOTALL)
TAIL = (1 << 14) + 512
_CELL = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]{1,3})([0-9]{1,7})\"")


def merged_ranges(path: Path) -> dict[str, list[tuple[int, int, int, int]]]:
    """Each worksheet's merged ranges (first row, first column, last row, last column), read from the workbook's
    XML (see `sheet_marks`)."""
    return {name: merged for name, (merged, _errors, _extent) in sheet_marks(path).items()}


def sheet_marks(path: Path) -> dict[str, tuple[list[tuple[int, int, int, int]], dict[tuple[int, int], str],
                                               tuple[int, int]]]:
    """Each worksheet's merged ranges (first row, first column, last row, last column), error cells ((row,
    column) -> '#DIV/0!') and extent (the last row and column a cell names: what reading it at once costs), read
    from the workbook's XML: the workbook's parts with defusedxml (no entities), each sheet's XML scanned in
    chunks, so a large sheet is never held in memory."""
    import posixpath
    import zipfile

    from defusedxml import ElementTree
    from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple, range_boundaries

    out: dict[str, tuple[list, dict]] = {}
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
            return out
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in relations}
        for sheet in workbook.iter(f"{_MAIN}sheet"):
            target = targets.get(sheet.get(_RELATION), "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if part not in names:
                continue
            ranges, errors, buffer, height, width = [], {}, b"", 0, ""
            with archive.open(part) as stream:  # scanned in chunks, not parsed
                while True:
                    chunk = stream.read(SCAN_BYTES)
                    buffer += chunk
                    # A <mergeCell> (or an error cell with its formula) is shorter than TAIL bytes: one starting
                    # before the limit is whole in the buffer.
                    limit = len(buffer) if not chunk else max(0, len(buffer) - TAIL)
                    # ... and cut where a tag starts, so no cell reference straddles it
                    limit = limit if not chunk else max(0, buffer.rfind(b"<", 0, limit))
                    refs = _CELL.findall(buffer, 0, limit)
                    if refs:
                        height = max(height, max(int(digits) for _letters, digits in refs))
                        width = max(width, max((letters for letters, _digits in refs), key=lambda c: (len(c), c)),
                                    key=lambda c: (len(c), c))
                    for match in _MERGE.finditer(buffer, 0, len(buffer)):
                        if match.start() >= limit:
                            break
                        ranges.append(range_boundaries(match.group(1).decode("ascii")))
                    if b'"e"' in buffer:
                        for match in _ERROR.finditer(buffer):
                            if match.start() >= limit:
                                break
                            at = coordinate_to_tuple(match.group(1).decode("ascii"))
                            errors[at] = match.group(2).decode("utf-8", "replace").strip()
                    buffer = buffer[limit:]
                    if not chunk:
                        break
            columns = column_index_from_string(width.decode("ascii")) if width else 0
            out[sheet.get("name")] = ([(r[1], r[0], r[3], r[2]) for r in ranges], errors, (height, columns))
    return out
