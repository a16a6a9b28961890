"""Readers for imported extracts: folders, .zip archives, CSV, Excel (.xlsx) and Parquet files.

Every reader hands the validator text columns plus the row number a person sees in the
file (header = row 1 in CSV and Excel; Parquet rows are numbered as records from 1), and
reports anything it cannot read as a problem rather than raising. Hostile files are
refused before they are parsed: sizes and row counts are checked against `Limits` from
file sizes, archive directories and Parquet metadata, zip members with paths outside
their folder are refused, and Excel XML is parsed by openpyxl with defusedxml (no
entity expansion), so a bomb can neither hang the import nor exhaust memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import stat
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from impact.ingest.validate import RawTable, Report
from impact.model import i18n, schema
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.model.programme import FILE as DEFINITION
from impact.storage.store import RECIPES

MiB = 1024 * 1024
EXTENSIONS = ("csv", "xlsx", "parquet")
IGNORED = re.compile(r"^(\..*|~\$.*|extract\.json|thumbs\.db|desktop\.ini)$", re.IGNORECASE)
_CHUNK = 100_000
DEFINITION_TABLE = "(programme definition)"  # the SourceFile.table of a programme.json
RECIPES_TABLE = "(recipes)"  # the SourceFile.table of a recipes.json (the programme's saved recipes)
WORKBOOK = "extract.xlsx"  # one workbook with a sheet per table (the programme template's)
WORKBOOK_TABLE = "(workbook)"


@dataclass(frozen=True)
class Limits:
    """Sizes beyond which a file is refused with a clear message, before it is parsed."""

    file_bytes: int = 200 * MiB  # one file as uploaded or unpacked
    rows: int = 2_000_000  # data rows in one table
    columns: int = 64  # columns in one table
    unpacked_bytes: int = 1024 * MiB  # all members of an uploaded .zip, unpacked
    xlsx_unpacked_bytes: int = 512 * MiB  # all parts of an .xlsx, unpacked (openpyxl holds its strings in memory)
    compression_ratio: int = 250  # unpacked/packed for a member over 1 MiB (zero-filled bombs reach 1000)
    archive_members: int = 64  # files in an uploaded .zip
    xlsx_members: int = 2000  # parts inside an .xlsx
    parquet_uncompressed_bytes: int = 1024 * MiB  # a Parquet file's data, uncompressed, per its metadata


LIMITS = Limits()


@dataclass(frozen=True)
class SourceFile:
    """A file to import: the table it holds, where it is on disk, and the name shown in messages."""

    table: str
    path: Path
    name: str
    fmt: str


def _size(n: int) -> str:
    return f"{n / MiB:,.0f} MB" if n >= MiB else f"{n / 1024:,.0f} KB"


# ---- finding the files ------------------------------------------------------------------

def collect(source: Path, workdir: Path, report: Report, limits: Limits = LIMITS,
            display: str | None = None) -> list[SourceFile]:
    """The table files in `source` (a folder, a .zip or one file); zips are unpacked safely into `workdir`."""
    source = Path(source)
    shown = display or source.name
    if source.is_dir():
        return _from_folder(source, report, prefix="", limits=limits)
    if not source.is_file():
        report.add(shown, None, "", "", "not-found", _("There is no file or folder called {file}.").format(file=shown))
        return []
    if source.suffix.lower() == ".zip":
        return _from_zip(source, shown, workdir, report, limits)
    found = _identify(source, shown, report)
    return _one_per_table([found], report, limits) if found else []


def _identify(path: Path, shown: str, report: Report) -> SourceFile | None:
    if path.name.lower() == DEFINITION:
        return SourceFile(DEFINITION_TABLE, path, shown, "json")
    if path.name.lower() == RECIPES:
        return SourceFile(RECIPES_TABLE, path, shown, "json")
    if path.name.lower() == WORKBOOK:
        return SourceFile(WORKBOOK_TABLE, path, shown, "xlsx")
    stem, _dot, ext = path.name.rpartition(".")
    ext = ext.lower()
    table = stem.strip().lower()
    if ext not in EXTENSIONS or table not in schema.TABLE_NAMES:
        report.add(shown, None, "", path.name, "unknown-file",
                   _("'{file}' is not a table of the extract. Name each file after its table ({tables}) with the "
                     "extension .csv, .xlsx or .parquet, or call the programme's definition {definition} and its "
                     "recipes {recipes}.").format(file=path.name, tables=", ".join(schema.TABLE_NAMES),
                                                  definition=DEFINITION, recipes=RECIPES))
        return None
    return SourceFile(table, path, shown, ext)


def _from_folder(folder: Path, report: Report, prefix: str, limits: Limits = LIMITS) -> list[SourceFile]:
    found: list[SourceFile] = []
    for path in sorted(folder.iterdir()):
        if IGNORED.match(path.name) or path.is_dir():
            continue
        if path.is_symlink():
            report.add(prefix + path.name, None, "", path.name, "unsafe-file",
                       _("'{file}' is a link to another file; copy the file itself instead.").format(file=path.name))
            continue
        item = _identify(path, prefix + path.name, report)
        if item:
            found.append(item)
    return _one_per_table(found, report, limits)


def _sheets(item: SourceFile, report: Report, limits: Limits) -> list[SourceFile]:
    """The filled-in table sheets of an `extract.xlsx` workbook, one source per sheet."""
    archive = check_archive(item.path, item.name, report, limits, limits.xlsx_members, limits.xlsx_unpacked_bytes)
    if archive is None:
        return []
    archive.close()
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(item.path, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        kind = "unsafe-file" if _refused_xml(error) else "unreadable"
        report.add(item.name, None, "", "", kind, _("The workbook cannot be read ({error}); save it from Excel as .xlsx "
                                                    "and import again.").format(error=type(error).__name__))
        return []
    try:
        # A sheet with its header only was left blank: its table is kept from the version in use.
        filled = [name for name in book.sheetnames if name in schema.TABLE_NAMES and _has_data(book[name])]
    finally:
        book.close()
    if not filled:
        report.add(item.name, None, "", "", "no-tables", _("No sheet of the workbook is filled in; the sheets are "
                                                           "named after the tables ({tables}).").format(
            tables=", ".join(schema.TABLE_NAMES)))
    return [SourceFile(name, item.path, f"{item.name}/{name}", "xlsx") for name in filled]


def _header_only(path: Path) -> bool:
    """True for a small text file with at most one non-blank line (a header and nothing else)."""
    if path.stat().st_size > 64 * 1024:
        return False
    lines = path.read_bytes().splitlines()
    return sum(1 for line in lines if line.strip().strip(b",;\t\"")) <= 1


def _has_data(sheet) -> bool:
    """True when a worksheet has a non-blank cell below its header (in its first 1,000 rows)."""
    return any(any(v not in (None, "") for v in row)
               for row in sheet.iter_rows(min_row=2, max_row=1001, values_only=True))


def _one_per_table(found: list[SourceFile], report: Report, limits: Limits = LIMITS) -> list[SourceFile]:
    found = [sheet for item in found
             for sheet in (_sheets(item, report, limits) if item.table == WORKBOOK_TABLE else [item])]
    sheets = {item.table for item in found if item.name.endswith(f"{WORKBOOK}/{item.table}")}
    # A table's CSV with its header only (as the programme template writes it) gives way to a filled-in sheet.
    found = [item for item in found if not (item.table in sheets and item.fmt == "csv" and _header_only(item.path))]
    seen: dict[str, SourceFile] = {}
    for item in found:
        if item.table in seen:
            report.add(item.name, None, "", item.name, "duplicate-file",
                       _("Two files hold the table {table}: {first} and {second}; keep only one.").format(
                           table=item.table, first=seen[item.table].name, second=item.name))
        else:
            seen[item.table] = item
    return list(seen.values())


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return _("a path outside its folder")
    if stat.S_ISLNK(info.external_attr >> 16):
        return _("a symbolic link")
    if info.flag_bits & 0x1:
        return _("an encrypted file")
    return None


def check_archive(path: Path, shown: str, report: Report, limits: Limits, members: int,
                  unpacked: int | None = None) -> zipfile.ZipFile | None:
    """Open a zip container if its directory is within the limits (no bomb); else report why not."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        report.add(shown, None, "", "", "unreadable", _("The file cannot be opened as a zip/Excel file ({error}).").format(error=error))
        return None
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    unpacked = limits.unpacked_bytes if unpacked is None else unpacked
    reason = None
    if len(infos) > members:
        reason = _("it holds {count} parts, more than the {limit} allowed").format(
            count=i18n.active().number(len(infos)), limit=i18n.active().number(members))
    elif total > unpacked:
        reason = _("it unpacks to {size}, more than the {limit} allowed").format(size=_size(total),
                                                                                  limit=_size(unpacked))
    else:
        for info in infos:
            packed = max(info.compress_size, 1)
            if info.file_size > MiB and info.file_size / packed > limits.compression_ratio:
                reason = _("'{file}' unpacks {ratio} times larger than it is packed, the sign of a decompression "
                           "bomb").format(file=info.filename[:60], ratio=i18n.active().number(info.file_size / packed))
                break
    if reason:
        archive.close()
        report.add(shown, None, "", "", "too-large", _("The file was not opened: {reason}.").format(reason=reason))
        return None
    return archive


def _from_zip(path: Path, shown: str, workdir: Path, report: Report, limits: Limits) -> list[SourceFile]:
    found = [item for target, label in unpack(path, shown, workdir, report, limits)
             if (item := _identify(target, label, report))]
    return _one_per_table(found, report, limits)


def unpack(path: Path, shown: str, workdir: Path, report: Report, limits: Limits = LIMITS) -> list[tuple[Path, str]]:
    """The files of the uploaded .zip at `path`, unpacked into `workdir`: (where on disk, its name as shown,
    "<zip>/<file>"); folders, hidden and system files and Mac metadata left out. The one reader of uploaded zips
    (extracts, quarterly returns). The whole zip is refused — nothing unpacked, the reason reported naming the
    member — when it is larger than a file may be, holds too many members, unpacks too large or as a bomb
    (`check_archive`), or holds a member with an absolute path, `..`, a link or encryption, or one that cannot be
    read; a member larger than a file may be is reported and left out."""
    if path.stat().st_size > limits.file_bytes:
        report.add(shown, None, "", "", "too-large",
                   _("The file is {size}; the limit is {limit}.").format(size=_size(path.stat().st_size),
                                                                          limit=_size(limits.file_bytes)))
        return []
    archive = check_archive(path, shown, report, limits, limits.archive_members)
    if archive is None:
        return []
    with archive:
        infos = archive.infolist()
        unsafe = [(info, why) for info in infos if (why := _unsafe_member(info))]
        for info, why in unsafe:
            report.add(shown, None, "", info.filename[:80], "unsafe-archive",
                       _("The zip holds '{file}', {why}; the zip was not unpacked. Zip the files themselves (or "
                         "one folder holding them).").format(file=info.filename[:80], why=why))
        if unsafe:
            return []
        out: list[tuple[Path, str]] = []
        for number, info in enumerate(infos):
            name = PurePosixPath(info.filename.replace("\\", "/")).name
            if info.is_dir() or IGNORED.match(name) or "__MACOSX" in info.filename:
                continue
            label = f"{shown}/{name}"
            if info.file_size > limits.file_bytes:
                report.add(label, None, "", "", "too-large",
                           _("The file unpacks to {size}; the limit is {limit}.").format(
                               size=_size(info.file_size), limit=_size(limits.file_bytes)))
                continue
            target = workdir / f"member{number}" / name
            target.parent.mkdir(parents=True)
            try:
                with archive.open(info) as src, open(target, "wb") as dst:
                    copied = 0
                    while chunk := src.read(MiB):  # zipfile stops at the declared size; counted all the same
                        copied += len(chunk)
                        if copied > limits.file_bytes:
                            raise zipfile.BadZipFile("larger than its declared size")
                        dst.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as error:
                report.add(shown, None, "", info.filename[:80], "unreadable",
                           _("The zip's member '{file}' cannot be unpacked ({error}); the zip was not unpacked.")
                           .format(file=info.filename[:80], error=error))
                return []
            out.append((target, label))
        return out


# ---- reading one file -------------------------------------------------------------------

def read(source: SourceFile, report: Report, limits: Limits = LIMITS) -> RawTable | None:
    """Read one table file into text columns; report and return None when it cannot be used."""
    size = source.path.stat().st_size
    if size > limits.file_bytes:
        report.add(source.name, None, "", "", "too-large",
                   _("The file is {size}; the limit is {limit}. Split the extract or send it as Parquet.").format(
                       size=_size(size), limit=_size(limits.file_bytes)))
        return None
    if size == 0:
        report.add(source.name, None, "", "", "empty-file",
                   _("The file is empty: it needs a header row naming the columns, then one row per record."))
        return None
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "parquet": _read_parquet}[source.fmt]
    return reader(source, report, limits)


class _Columns:
    """Text columns built in chunks, so a large file never sits in memory as Python strings."""

    def __init__(self, width: int):
        self.pending: list[list[str]] = [[] for _ in range(width)]
        self.chunks: list[list[pa.Array]] = [[] for _ in range(width)]
        self.rows: list[int] = []

    def add(self, row_number: int, values) -> None:
        self.rows.append(row_number)
        for column, value in zip(self.pending, values, strict=True):
            column.append(value)
        if len(self.pending[0]) >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        for pending, chunks in zip(self.pending, self.chunks, strict=True):
            if pending:
                chunks.append(pa.array(pending, pa.string()))
                pending.clear()

    def finish(self, header: list[str], spreadsheet: bool) -> tuple[dict[str, pa.Array], np.ndarray]:
        self.flush()
        out = {}
        for name, chunks in zip(header, self.chunks, strict=True):
            text = pa.chunked_array(chunks, pa.string()).combine_chunks() if chunks else pa.array([], pa.string())
            out[name] = tidy(text, spreadsheet)
        return out, np.asarray(self.rows, dtype=np.int64)


def tidy(text: pa.Array, spreadsheet: bool) -> pa.Array:
    """Trim surrounding whitespace; for spreadsheet formats undo the export's formula neutralising."""
    text = pc.utf8_trim_whitespace(pc.fill_null(text, ""))
    if spreadsheet:
        escaped = pc.match_substring_regex(text, r"^'[=+\-@\t\r']")
        text = pc.if_else(escaped, pc.utf8_slice_codeunits(text, 1), text)
    return text


# A header cell without a name is read as this column name (a key the reader matches on, never translated); it is
# shown to people in their language (`unnamed_shown`).
UNNAMED = N_("(column {number} without a name)")


def unnamed_shown(name: str) -> str:
    """A column without a name as people read it in the active language: '(colonne 3 sans nom)'."""
    number = name[len("(column "):].split(" ", 1)[0]
    return _(UNNAMED).format(number=number) if number.isdigit() else name


def _header(raw: list, source: SourceFile, report: Report, header_row: int) -> list[str] | None:
    names = [str(v).strip().lower() if v is not None else "" for v in raw]
    while names and not names[-1]:
        names.pop()
    if not names:
        report.add(source.name, header_row, "", "", "empty-file",
                   _("The first row is empty; it must name the columns."))
        return None
    seen = set()
    for position, name in enumerate(names):
        if name and name in seen:
            report.add(source.name, header_row, name, name, "duplicate-column",
                       _("The column '{column}' appears twice in the header; keep one.").format(column=name))
        seen.add(name)
        if not name:
            names[position] = UNNAMED.format(number=position + 1)  # a key: the same in every language
    return names


def _finish(source: SourceFile, report: Report, header: list[str], columns: _Columns,
            header_row: int, spreadsheet: bool) -> RawTable | None:
    if not columns.rows and source.table not in schema.MAY_BE_EMPTY:  # those are read as empty: not reported yet
        if not schema.table(source.table).optional:  # an optional table with no rows is left as it is
            report.add(source.name, header_row, "", "", "no-rows",
                       _("The file has a header but no data rows."))
        return None
    data, rows = columns.finish(header, spreadsheet)
    unnamed = [h for h in header if h.startswith("(column ")]
    for name in unnamed:
        if pc.any(pc.not_equal(data[name], "")).as_py():
            shown = unnamed_shown(name)
            report.add(source.name, header_row, shown, "", "unnamed-column",
                       _("The {column} holds values; give it one of the table's column names or delete it.").format(
                           column=shown[1:-1]))
        data.pop(name)
    kept: dict[str, pa.Array] = {}
    for name in header:
        if name in data and name not in kept:
            kept[name] = data[name]
    return RawTable(source.table, source.name, [h for h in header if h not in unnamed], kept, rows)


# ---- CSV ----------------------------------------------------------------------------------

_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32", codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16",
}


def _sniff_delimiter(line: str, table: str) -> str:
    known = set(schema.table(table).column_names)
    best, score = ",", (-1, -1)
    for delimiter in (",", ";", "\t", "|"):
        fields = next(csv.reader([line], delimiter=delimiter), [])
        names = {f.strip().lower() for f in fields}
        candidate = (len(names & known), len(fields))
        if candidate > score:
            best, score = delimiter, candidate
    return best


def _read_csv(source: SourceFile, report: Report, limits: Limits) -> RawTable | None:
    with open(source.path, "rb") as fh:
        head = fh.read(8192)
    for bom, name in _BOMS.items():
        if head.startswith(bom):
            report.add(source.name, 1, "", "", "encoding",
                       _("The file is saved as {encoding} text. Save it as 'CSV UTF-8 (Comma delimited)' and import "
                         "again.").format(encoding=name))
            return None
    if b"\x00" in head:
        report.add(source.name, 1, "", "", "encoding",
                   _("The file holds binary data (or UTF-16 text without a marker), not CSV text. Save it as "
                     "'CSV UTF-8 (Comma delimited)' and import again."))
        return None
    record = 0
    try:
        with open(source.path, encoding="utf-8-sig", errors="strict", newline="") as stream:
            first = stream.readline(1 * MiB)
            header_row = 1
            delimiter = None
            match = re.fullmatch(r"sep=(.)\r?\n?", first)
            if match:  # Excel's "sep=;" hint line
                delimiter, header_row = match.group(1), 2
                first = stream.readline(1 * MiB)
            if not first.strip():
                report.add(source.name, header_row, "", "", "empty-file",
                           _("The file has no header row naming the columns."))
                return None
            delimiter = delimiter or _sniff_delimiter(first.rstrip("\r\n"), source.table)
            lines = _chain_first(first, stream)
            reader = csv.reader(lines, delimiter=delimiter)
            header = _header(next(reader), source, report, header_row)
            record = header_row
            if header is None:
                return None
            width = len(header)
            columns = _Columns(width)
            for fields in reader:
                record += 1
                if record - header_row > limits.rows:
                    report.add(source.name, record, "", "", "too-many-rows",
                               _("The file has more than {limit} data rows, the most one import takes. Split it by "
                                 "year or send it as Parquet.").format(limit=i18n.active().number(limits.rows)))
                    return None
                if len(fields) != width:
                    if not any(f.strip() for f in fields):
                        continue  # a blank line
                    if len(fields) > width and not any(f.strip() for f in fields[width:]):
                        fields = fields[:width]  # trailing separators, as some tools write
                    else:
                        report.add(source.name, record, "", delimiter.join(fields)[:60], "ragged-row",
                                   _("This row has {cells} cells but the header has {width} columns; look for a "
                                     "missing or extra '{delimiter}' (a value containing '{delimiter}' must be in "
                                     "double quotes).").format(cells=len(fields), width=width, delimiter=delimiter))
                        continue
                elif not any(f.strip() for f in fields):
                    continue
                columns.add(record, fields)
    except UnicodeDecodeError:
        line, bad = _first_bad_byte(source.path)
        report.add(source.name, line, "", bad, "encoding",
                   _("The file is not UTF-8 text: the first character that is not UTF-8 is on line {line}. It is "
                     "probably saved as Windows-1252 or Latin-1; save it as 'CSV UTF-8 (Comma delimited)' and import "
                     "again.").format(line=line))
        return None
    except csv.Error as error:
        report.add(source.name, record + 1, "", "", "unreadable",
                   _("The CSV cannot be read near row {row} ({error}); a quotation mark may be left open.").format(
                       row=record + 1, error=error))
        return None
    return _finish(source, report, header, columns, header_row, spreadsheet=True)


def _first_bad_byte(path: Path) -> tuple[int, str]:
    """The line number and bytes (in hex) of the first byte sequence that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(MiB):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                # the error's positions are within this chunk plus bytes the decoder held back
                held = len(error.object) - len(chunk)
                start = max(error.start - held, 0)
                lines += chunk[:start].count(b"\n")
                return lines, chunk[start:start + 4].hex(" ")
            lines += chunk.count(b"\n")
    return lines, ""


def _chain_first(first: str, stream):
    yield first
    while line := stream.readline(1 * MiB + 1):
        if len(line) > MiB:
            raise csv.Error("a line is longer than 1 MB")
        yield line


# ---- Excel --------------------------------------------------------------------------------

def cell_text(value) -> str:
    """A spreadsheet cell value as text: dates as YYYY-MM-DD, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value)


def _refused_xml(error: BaseException | None) -> bool:
    """True when defusedxml refused the XML somewhere in the exception's chain."""
    from defusedxml import DefusedXmlException

    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DefusedXmlException):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _read_xlsx(source: SourceFile, report: Report, limits: Limits) -> RawTable | None:
    archive = check_archive(source.path, source.name, report, limits, limits.xlsx_members,
                            limits.xlsx_unpacked_bytes)
    if archive is None:
        return None
    archive.close()
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = openpyxl.load_workbook(source.path, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        if _refused_xml(error):
            report.add(source.name, None, "", "", "unsafe-file",
                       _("The Excel file was refused: its XML declares entities or a DTD (an 'XML bomb'), which "
                         "Excel itself never writes."))
            return None
        report.add(source.name, None, "", "", "unreadable",
                   _("The file cannot be read as an Excel workbook ({error}); save it from Excel as .xlsx and "
                     "import again.").format(error=type(error).__name__))
        return None
    try:
        sheet = book[source.table] if source.table in book.sheetnames else book.worksheets[0]
        declared = sheet.max_column or limits.columns
        rows = sheet.iter_rows(values_only=True, max_col=min(declared, limits.columns))
        first = next(rows, None)
        header = _header(list(first or []), source, report, 1) if first is not None else None
        if first is None:
            report.add(source.name, 1, "", "", "empty-file", _("The worksheet is empty."))
        if header is None:
            return None
        width = len(header)
        columns = _Columns(width)
        number = 1
        for values in rows:
            number += 1
            if number - 1 > limits.rows:
                report.add(source.name, number, "", "", "too-many-rows",
                           _("The worksheet has more than {limit} data rows, the most one import takes.").format(
                               limit=i18n.active().number(limits.rows)))
                return None
            texts = [cell_text(v) for v in values]
            if not any(t.strip() for t in texts):
                continue
            beyond = [i for i, t in enumerate(texts[width:], start=width) if t.strip()]
            if beyond:
                report.add(source.name, number, _("column {number}").format(number=beyond[0] + 1), texts[beyond[0]],
                           "ragged-row", _("This row has a value to the right of the table's last named column; "
                                           "delete it or name its column."))
                continue
            columns.add(number, texts[:width] + [""] * (width - len(texts)))
        return _finish(source, report, header, columns, 1, spreadsheet=True)
    except Exception as error:
        if _refused_xml(error):
            report.add(source.name, None, "", "", "unsafe-file",
                       _("The Excel file was refused: its XML declares entities or a DTD (an 'XML bomb')."))
            return None
        report.add(source.name, None, "", "", "unreadable",
                   _("The worksheet cannot be read ({error}).").format(
                       error=f"{type(error).__name__}: {str(error)[:80]}"))
        return None
    finally:
        book.close()


# ---- Parquet ------------------------------------------------------------------------------

def _parquet_text(column: pa.ChunkedArray) -> pa.Array | None:
    data = column.combine_chunks()
    kind = data.type
    if pa.types.is_dictionary(kind):
        data = data.dictionary_decode()
        kind = data.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pc.cast(data, pa.string())
    if pa.types.is_integer(kind) or pa.types.is_date(kind) or pa.types.is_boolean(kind):
        return pc.cast(data, pa.string())
    if pa.types.is_floating(kind):
        values = data.to_numpy(zero_copy_only=False)
        whole = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2**53)
        text = [str(int(v)) if w else ("" if np.isnan(v) else repr(float(v))) for v, w in zip(values, whole, strict=True)]
        return pa.array(text, pa.string())
    if pa.types.is_timestamp(kind):
        return pc.strftime(data, format="%Y-%m-%d %H:%M:%S")
    if pa.types.is_decimal(kind):
        return pc.cast(data, pa.string())
    return None


def _read_parquet(source: SourceFile, report: Report, limits: Limits) -> RawTable | None:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source.path)
        meta = parquet.metadata
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError, … for a damaged file
        report.add(source.name, None, "", "", "unreadable",
                   _("The file cannot be read as Parquet ({error}).").format(error=type(error).__name__))
        return None
    uncompressed = sum(meta.row_group(i).column(j).total_uncompressed_size
                       for i in range(meta.num_row_groups) for j in range(meta.num_columns))
    if meta.num_rows > limits.rows:
        report.add(source.name, None, "", "", "too-many-rows",
                   _("The file has {count} rows; the most one import takes is {limit}.").format(
                       count=i18n.active().number(meta.num_rows), limit=i18n.active().number(limits.rows)))
        return None
    if meta.num_columns > limits.columns:
        report.add(source.name, None, "", "", "too-large",
                   _("The file has {count} columns; a table has at most {limit}.").format(
                       count=i18n.active().number(meta.num_columns), limit=limits.columns))
        return None
    if uncompressed > limits.parquet_uncompressed_bytes:
        report.add(source.name, None, "", "", "too-large",
                   _("The file's data unpacks to {size}, more than the {limit} allowed (a decompression bomb, or an "
                     "extract to split).").format(size=_size(uncompressed),
                                                  limit=_size(limits.parquet_uncompressed_bytes)))
        return None
    names = [n for n in parquet.schema_arrow.names if n != "__index_level_0__"]
    header = _header(names, source, report, 0)
    if header is None:
        return None
    wanted = list(names)  # every column: one the table does not have is reported by the checks, not dropped
    try:
        table = parquet.read(columns=wanted, use_threads=False)
    except Exception as error:
        report.add(source.name, None, "", "", "unreadable",
                   _("The file's data cannot be read ({error}).").format(
                       error=f"{type(error).__name__}: {str(error)[:80]}"))
        return None
    if table.num_rows != meta.num_rows:
        report.add(source.name, None, "", "", "unreadable",
                   _("The file's row count does not match its metadata."))
        return None
    if table.num_rows == 0 and source.table not in schema.MAY_BE_EMPTY:
        if not schema.table(source.table).optional:  # an optional table with no rows is left as it is (as in CSV)
            report.add(source.name, None, "", "", "no-rows", _("The file has no rows."))
        return None
    columns: dict[str, pa.Array] = {}
    for name in wanted:
        text = _parquet_text(table.column(name))
        if text is None:
            report.add(source.name, None, name.strip().lower(), str(table.column(name).type), "wrong-type",
                       _("The column holds {type} values, which an extract never has.").format(
                           type=table.column(name).type))
            continue
        columns[name.strip().lower()] = tidy(text, spreadsheet=False)
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return RawTable(source.table, source.name, header, columns, rows, row_label="record")
