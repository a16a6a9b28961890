"""Quarterly returns from partners: a reporting workbook per project and quarter, and taking returns in.

`workbook` writes one .xlsx per project and reporting period (a quarter): a sheet per kind of result
(training, volunteering, outcomes) with the project, quarter, country and programme at the top, locked
(sheet protection), then one row per valid combination of the programme's vocabularies (training: each
cadre x gender x training type) with the combination filled in and dropdowns on it, and unlocked number
cells that take only whole numbers in range. A partner types numbers and leaves the rest blank: a row
whose numbers are all blank is "none this quarter" (no row); a 0 is reported as 0. An Instructions sheet
says this in plain words; "Reported before" lists the project's earlier figures. A very hidden sheet
(`_return`) marks the workbook as ours: the project, period, programme and the locked cells' values, signed
(HMAC-SHA256) with a key only the store holds (`partners/return-key`, made once, never in a workbook), so a
changed locked cell, a marker rewritten for another project or a foreign workbook is refused on import. A cell
holding a formula is taken at the value the spreadsheet saved with it (the report says so) or, with none saved,
refused with its cell named: never read as blank.

`import_returns` takes a batch of returns (files, folders, zips of workbooks), checks each with the same
validation as a full import, replaces exactly each return's project rows for its quarter in training,
volunteering and outcomes, and writes ONE new version through the import transaction (impact.storage.transaction).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import io
import itertools
import json
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.ingest import readers, template, validate
from impact.model import calendar, cells, i18n, schema
from impact.model import programme as programmes
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.reporting import checks
from impact.storage import files, store, transaction

FORMAT = "impact-return/2"  # /2: the marker is signed with the store's key (/1 had an unkeyed checksum)
MARKER = "_return"
KEY = "partners/return-key"  # in the store: the key that signs the markers
REFERENCE = N_("Reported before")
INSTRUCTIONS = N_("Instructions")
HEADER_ROW = 6  # the column headings; data rows below
FIXED = ("project_id", "iso3", "period")  # filled in from the locked cells
LOCKED_LABELS = (("A1", N_("Project")), ("A2", N_("Quarter")), ("A3", N_("Country")), ("A4", N_("Programme")))
# A workbook in another language than English names its sheets and headings in it (English keeps the tables' and
# columns' own names, as workbooks always had them); what it names them is kept in its marker.
SHEET_TITLES = {"training": N_("Training"), "volunteering": N_("Volunteering"), "outcomes": N_("Outcomes")}
SHEET_WHAT = {"training": N_("Health workers trained"), "volunteering": N_("Volunteer time"),
              "outcomes": N_("Reported outcomes")}
HEADINGS = {"cadre": N_("Cadre"), "gender": N_("Gender"), "training_type": N_("Training type"),
            "trainees": N_("Trainees"), "location": N_("Location"), "profession": N_("Profession"),
            "volunteers": N_("Volunteers"), "volunteer_days": N_("Volunteer days"), "indicator": N_("Indicator"),
            "value": N_("Value")}
REFERENCE_HEADINGS = (("quarter", N_("Quarter")), ("table", N_("Sheet")), ("details", N_("Details")),
                      ("measure", N_("Measure")), ("value", N_("Value")))
SHOWN = ("language", "sheets", "shown_headings")  # the marker's record of a workbook's words (signed, with labels.*)
LABELS = "labels."  # marker key prefix: a column's value -> label, as the workbook shows them
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Kind:
    """One kind of result a return carries: its table, the columns a row is made of, the numbers typed."""

    table: str
    dimensions: tuple[str, ...]
    measures: tuple[str, ...]


KINDS = (
    Kind("training", ("cadre", "gender", "training_type"), ("trainees",)),
    Kind("volunteering", ("location", "profession"), ("volunteers", "volunteer_days")),
    Kind("outcomes", ("indicator",), ("value",)),
)
TABLES = tuple(k.table for k in KINDS)


def kinds(definition: programmes.Programme) -> tuple[Kind, ...]:
    """The kinds of a programme's return: a row of a table it declares disaggregations on is made of those too."""
    return tuple(Kind(k.table, (*k.dimensions, *(d.key for d in definition.disaggregations_of(k.table))), k.measures)
                 for k in KINDS)


# ---- the workbook -------------------------------------------------------------------------

@dataclass(frozen=True)
class Project:
    """What a workbook needs to know about its project."""

    project_id: str
    title: str
    iso3: str
    start: dt.date
    end: dt.date


def project_ids(folder: Path) -> list[str]:
    """Every project of a version folder, sorted."""
    return sorted(_projects(Path(folder)))


def _projects(folder: Path) -> dict[str, Project]:
    table = store.read_table(folder, "projects").to_pylist()
    return {r["project_id"]: Project(r["project_id"], r["title"], r["iso3"], r["start_date"], r["end_date"])
            for r in table}


def _check_due(project: Project, period: dt.date) -> None:
    if period not in calendar.quarter_range(project.start, project.end):
        raise ValueError(f"{project.project_id} runs from {project.start} to {project.end}; "
                         f"{calendar.quarter_label(period)} is outside it")


def _locked_values(programme_id: str, project: Project, period: dt.date) -> dict[str, str]:
    """The values of the locked cells B1:B4 on every data sheet."""
    return {"B1": project.project_id, "B2": calendar.quarter_label(period), "B3": project.iso3, "B4": programme_id}


def _headings(kind: Kind) -> list[str]:
    return [*kind.dimensions, *kind.measures]


def return_key(programme_store: store.Store, *, create: bool = True) -> bytes | None:
    """The store's key for signing workbook markers, made the first time a workbook is written (without `create`:
    None while no workbook was ever written, so reading a return writes nothing)."""
    return files.secret(programme_store, KEY, create=create)


def signature(marker: dict, key: bytes) -> str:
    """The signature of a workbook's identity and locked cells (as its marker records them), with the store's key."""
    fields = {k: marker[k] for k in ("format", "programme", "project", "period", "locked", "headings")}
    fields |= {k: marker[k] for k in marker if k in SHOWN or k.startswith(LABELS)}  # a workbook in another language
    return hmac.new(key, json.dumps(fields, sort_keys=True).encode("utf-8"), hashlib.sha256).hexdigest()


def combinations(kind: Kind, definition: programmes.Programme) -> list[tuple[str, ...]]:
    """Every valid combination of a kind's dimensions under the programme's vocabularies."""
    spec = schema.table(kind.table, definition)
    return list(itertools.product(*(schema.allowed(spec.column(d), definition) for d in kind.dimensions)))


@dataclass(frozen=True)
class Wording:
    """How a workbook in one language names its sheets and column headings and shows the values of its lists. In
    English: the tables', columns' and values' own names; in another: the catalogue's words and the definition's
    translated labels. A workbook's marker records its wording, so it reads back to the same codes whatever the
    catalogues or the definition's translations say later."""

    language: str
    sheets: dict[str, str]  # table -> sheet title
    headings: dict[str, list[str]]  # table -> its column headings, as shown
    labels: dict[str, dict[str, str]]  # a row's column -> value -> the label shown for it (only those that differ)

    def label(self, column: str, value: str) -> str:
        """How `value` of `column` is shown."""
        return self.labels.get(column, {}).get(value, value)

    def reader(self, column: str) -> dict[str, str]:
        """A label (trimmed, case set aside) -> the value it stands for."""
        return {label.strip().casefold(): value for value, label in self.labels.get(column, {}).items()}


def sheet_title(text: str, fallback: str) -> str:
    """A valid sheet name (no []:*?/\\, at most 31 characters, no leading apostrophe or formula character)."""
    title = _SHEET_NAME_FORBIDDEN.sub(" ", text).strip().lstrip("'=+-@").strip()[:31].strip().rstrip("'")
    return title or fallback


def wording(definition: programmes.Programme, language: str = i18n.SOURCE) -> Wording:
    """The words of a workbook of `definition` in `language` (a language not shipped: English)."""
    language = language if language in i18n.LANGUAGES else i18n.SOURCE
    all_kinds = kinds(definition)
    if language == i18n.SOURCE:
        return Wording(language, {k.table: k.table for k in all_kinds}, {k.table: _headings(k) for k in all_kinds}, {})
    own = {d.key for d in definition.disaggregations}
    with i18n.using(language):
        others = {_(INSTRUCTIONS).casefold(), _(REFERENCE).casefold(), template.LISTS.casefold(), MARKER.casefold()}
        sheets = {}
        for kind in all_kinds:
            title = sheet_title(_(SHEET_TITLES[kind.table]), kind.table)
            taken = others | {t.casefold() for t in sheets.values()}
            sheets[kind.table] = kind.table if title.casefold() in taken else title
        headings = {}
        for kind in all_kinds:
            shown = [definition.disaggregation_label(n, language) if n in own else _(HEADINGS.get(n, n))
                     for n in _headings(kind)]
            unique = len({h.strip().casefold() for h in shown}) == len(shown) and all(h.strip() for h in shown)
            headings[kind.table] = shown if unique else _headings(kind)
    labels = {}
    for kind in all_kinds:
        spec = schema.table(kind.table, definition)
        for name in kind.dimensions:
            column = spec.column(name)
            values = schema.allowed(column, definition) or ()
            shown = template.shown_labels(definition, column.vocabulary or name, tuple(values), language)
            differ = {v: label for v, label in shown.items() if label != v}
            if differ and len(json.dumps(differ)) < 30_000:  # a marker cell holds at most 32,767 characters
                labels[name] = differ
    return Wording(language, sheets, headings, labels)


def _marker_words(words: Wording) -> dict:
    """The marker's record of a workbook's words (nothing for English, whose words are the names themselves)."""
    if words.language == i18n.SOURCE:
        return {}
    return {"language": words.language, "sheets": words.sheets, "shown_headings": words.headings,
            **{LABELS + column: labels for column, labels in words.labels.items()}}


def workbook(project_id: str, period: str | dt.date, programme_store: store.Store,
             language: str = i18n.SOURCE) -> bytes:
    """The reporting workbook of one project and quarter (.xlsx bytes), from the active version, in `language`:
    its sheets, labels, instructions, headings, lists and messages (the values it reads back stay the codes)."""
    with i18n.using(language if language in i18n.LANGUAGES else i18n.SOURCE) as words:
        return _workbook(project_id, period, programme_store, words)


def _workbook(project_id: str, period: str | dt.date, programme_store: store.Store, words: i18n.Translator) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    day = calendar.require_quarter(period) if isinstance(period, str) else period
    current = programme_store.active()
    definition = store.load_definition(current.path)
    projects = _projects(current.path)
    if project_id not in projects:
        raise ValueError(f"there is no project {project_id[:40]!r} in programme {definition.id}")
    project = projects[project_id]
    _check_due(project, day)
    shown = wording(definition, words.language)
    locked = _locked_values(definition.id, project, day)
    marker = {"format": FORMAT, "programme": definition.id, "project": project_id, "period": calendar.quarter_label(day),
              "locked": locked, "headings": {k.table: _headings(k) for k in kinds(definition)},
              **_marker_words(shown), "made_from": current.version,
              "made_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")}
    marker["signature"] = signature(marker, return_key(programme_store))

    book = Workbook()
    guide = book.active
    guide.title = sheet_title(_(INSTRUCTIONS), INSTRUCTIONS)
    for line in instructions(definition, project, day, shown):
        guide.append([cells.neutralise(line)])
    guide.column_dimensions["A"].width = 110
    guide["A1"].font = Font(bold=True, size=14)
    lists = book.create_sheet(template.LISTS)
    ranges = template.write_lists(lists, definition, shown.language)  # the programme template's hidden Lists sheet
    heading_fill = PatternFill("solid", fgColor="DDE7F0")
    entry_fill = PatternFill("solid", fgColor="FFF8DC")
    open_cell = Protection(locked=False)
    quarter = _("{first} to {last}").format(first=words.day(day), last=words.day(calendar.quarter_end(day)))
    captions = {"B1": project.title, "B2": quarter, "B3": "", "B4": definition.name_in(shown.language)}
    for kind in kinds(definition):
        spec = schema.table(kind.table, definition)
        sheet = book.create_sheet(shown.sheets[kind.table])
        for cell, label in LOCKED_LABELS:
            sheet[cell] = cells.neutralise(_(label))
            sheet[cell].font = Font(bold=True)
            sheet[cell.replace("A", "B")] = cells.neutralise(locked[cell.replace("A", "B")])
            sheet[cell.replace("A", "C")] = cells.neutralise(captions[cell.replace("A", "B")])
        headings = shown.headings[kind.table]
        sheet["A5"] = cells.neutralise(_sheet_note(kind, spec, headings, words))
        names = _headings(kind)
        for index, name in enumerate(headings, start=1):
            cell = sheet.cell(row=HEADER_ROW, column=index, value=cells.neutralise(name))
            cell.font, cell.fill = Font(bold=True), heading_fill
            sheet.column_dimensions[get_column_letter(index)].width = max(16, len(name) + 4)
        sheet.column_dimensions["A"].width = 24
        rows = combinations(kind, definition)
        for offset, combo in enumerate(rows):
            row = HEADER_ROW + 1 + offset
            for index, (name, value) in enumerate(zip(kind.dimensions, combo, strict=True), start=1):
                sheet.cell(row=row, column=index, value=cells.neutralise(shown.label(name, value))).protection = open_cell
            for index in range(len(combo) + 1, len(names) + 1):
                cell = sheet.cell(row=row, column=index)
                cell.protection, cell.fill = open_cell, entry_fill
        last = HEADER_ROW + max(1, len(rows))
        for index, (name, heading) in enumerate(zip(names, headings, strict=True), start=1):
            column = spec.column(name)
            letter = get_column_letter(index)
            check = template.column_validation(column, definition, ranges, DataValidation, heading)
            check.allow_blank = True  # a blank number is "none this quarter"
            if check.type == "list":  # OOXML stores a formula without its "=" (as Excel writes it)
                check.formula1 = check.formula1.removeprefix("=")
            check.add(f"{letter}{HEADER_ROW + 1}:{letter}{last}")
            sheet.add_data_validation(check)
        sheet.freeze_panes = f"A{HEADER_ROW + 1}"
        sheet.protection.sheet = True  # no password: a guard against slips; the signature catches the rest
        sheet.protection.formatColumns = False  # partners may widen columns
    reference = book.create_sheet(sheet_title(_(REFERENCE), REFERENCE))
    reference.append([cells.neutralise(name if shown.language == i18n.SOURCE else _(label))
                      for name, label in REFERENCE_HEADINGS])
    for row in reported_before(project_id, current.path, shown):
        reference.append([cells.neutralise(v) for v in row])
    reference.column_dimensions["C"].width = 60
    reference.protection.sheet = True
    hidden = book.create_sheet(MARKER)
    for key, value in marker.items():
        hidden.append([key, cells.neutralise(json.dumps(value) if isinstance(value, dict) else value)])
    hidden.sheet_state = "veryHidden"
    lists.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_note(kind: Kind, spec: schema.Table, headings: list[str], words: i18n.Translator) -> str:
    """The line above a sheet's headings: what it counts and how to fill it in."""
    if words.language == i18n.SOURCE:
        return (f"{spec.description} Type the numbers in the yellow cells; leave a row blank when there was none.")
    return _("{what}: one row for each {columns}. Type the numbers in the yellow cells; leave a row blank when there "
             "was none.").format(what=_(SHEET_WHAT[kind.table]),
                                 columns=words.listing(headings[:len(kind.dimensions)]))


def reported_before(project_id: str, folder: Path, shown: Wording | None = None) -> list[list]:
    """The project's figures in the version at `folder`: quarter, table, details, measure, value (sheets, headings
    and values as a workbook's `shown` words name them; by default their own names)."""
    definition = store.load_definition(folder)
    shown = shown or wording(definition)
    rows = []
    for kind in kinds(definition):
        table = store.read_table(folder, kind.table)
        mine = table.filter(pc.equal(table["project_id"], project_id)).to_pylist()
        heading = dict(zip(_headings(kind), shown.headings[kind.table], strict=True))
        for record in mine:
            details = " · ".join(str(shown.label(d, record[d])) for d in kind.dimensions)
            for measure in kind.measures:
                rows.append([calendar.quarter_label(record["period"]), shown.sheets[kind.table], details,
                             heading[measure], record[measure]])
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    return rows


def instructions(definition: programmes.Programme, project: Project, period: dt.date,
                 shown: Wording | None = None) -> list[str]:
    """The Instructions sheet, line by line, in plain words, in the active language."""
    words = i18n.active()
    shown = shown or wording(definition, words.language)
    sheets = [shown.sheets[k.table] for k in kinds(definition)]
    first = kinds(definition)[0]
    quarter = calendar.quarter_label(period)
    return [
        _("Quarterly return: {project}, {quarter}").format(project=project.project_id, quarter=quarter),
        _("{programme}. Project: {title}. Quarter: {first} to {last}.").format(
            programme=definition.name_in(shown.language), title=project.title, first=words.day(period),
            last=words.day(calendar.quarter_end(period))),
        "",
        _("1. There is a sheet for each kind of result: {sheets}.").format(sheets=words.listing(sheets)),
        _("2. Each sheet has one row for every combination the programme counts (for {sheet}: each {columns}). "
          "Type the number for the quarter in the yellow cells of the rows that apply.").format(
            sheet=shown.sheets[first.table],
            columns=words.listing(shown.headings[first.table][:len(first.dimensions)])),
        _("3. Leave a row blank when there was none; type 0 only to say 'none' explicitly. Numbers are whole "
          "numbers."),
        _("4. Do not change the project, quarter, country or programme at the top of each sheet, or the column "
          "headings: they are locked, and a return whose locked cells were changed is refused."),
        _("5. The sheet '{sheet}' lists what the project reported earlier, for reference; it is not read "
          "back.").format(sheet=_(REFERENCE)),
        _("6. This return replaces everything the project reported for this quarter. If the quarter already has "
          "figures, fill in all of them again (see '{sheet}'); rows you leave out are removed, and the programme "
          "team is asked to confirm that.").format(sheet=_(REFERENCE)),
        _("7. Save the workbook as .xlsx and send it back to the programme team (or send it yourself on the "
          "project's page, signed in as its partner); the team imports it with 'python -m impact return import "
          "FILE' or on the Data page."),
    ]


def zip_workbooks(project_ids: list[str], period: str | dt.date, programme_store: store.Store,
                  language: str = i18n.SOURCE) -> bytes:
    """A .zip of the reporting workbooks of several projects for one quarter, in `language`."""
    day = calendar.require_quarter(period) if isinstance(period, str) else period
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for project_id in project_ids:
            archive.writestr(file_name(project_id, day), workbook(project_id, day, programme_store, language))
    return out.getvalue()


def file_name(project_id: str, period: dt.date) -> str:
    """The file name of a project's workbook for a quarter."""
    return f"return-{re.sub(r'[^A-Za-z0-9_-]', '_', project_id)}-{calendar.quarter_label(period)}.xlsx"


def due_projects(period: str | dt.date, programme_store: store.Store) -> list[str]:
    """The projects that report for a quarter (it falls within their dates)."""
    day = calendar.require_quarter(period) if isinstance(period, str) else period
    projects = _projects(programme_store.active().path)
    return sorted(p.project_id for p in projects.values() if day in calendar.quarter_range(p.start, p.end))


# ---- reading returns ------------------------------------------------------------------------

@dataclass
class Return:
    """One return read from its workbook: its identity and its tables as text (RawTable)."""

    name: str
    sha256: str
    programme: str
    project: str
    period: dt.date
    raws: list[validate.RawTable] = field(default_factory=list)


def collect(paths: list[str | Path], workdir: Path, report: validate.Report,
            limits: readers.Limits = readers.LIMITS) -> list[tuple[Path, str]]:
    """The workbooks in `paths` (files, folders, zips of workbooks): (path on disk, name shown)."""
    found: list[tuple[Path, str]] = []
    for number, given in enumerate(Path(p) for p in paths):
        if given.is_dir():
            found += [(p, p.name) for p in sorted(given.iterdir())
                      if p.suffix.lower() == ".xlsx" and not readers.IGNORED.match(p.name)]
        elif given.suffix.lower() == ".zip" and given.is_file():
            for target, shown in readers.unpack(given, given.name, workdir / f"zip{number}", report, limits):
                if target.suffix.lower() == ".xlsx":
                    found.append((target, shown))
                else:
                    report.add(shown[:80], None, "", "", "unknown-file",
                               _("A zip of returns holds only .xlsx workbooks."))
        elif given.suffix.lower() == ".xlsx" and given.is_file():
            found.append((given, given.name))
        elif not given.exists():
            report.add(str(given)[:80], None, "", "", "no-file", _("There is no such file or folder."))
        else:
            report.add(given.name[:80], None, "", "", "unknown-file",
                       _("A return is an .xlsx workbook (or a .zip or folder of them)."))
    if not found and report.ok:
        report.add(", ".join(str(p) for p in paths)[:80], None, "", "", "no-returns",
                   _("No .xlsx workbooks were found."))
    return found


def read_return(path: Path, shown: str, report: validate.Report, limits: readers.Limits = readers.LIMITS, *,
                key: bytes | None) -> Return | None:
    """Read one returned workbook: check it is ours (its marker signed with the store's `key`) and its locked cells
    are unchanged; its rows as text."""
    import openpyxl

    if path.stat().st_size > limits.file_bytes:
        report.add(shown, None, "", "", "too-large", _("The file is larger than any return can be."))
        return None
    archive = readers.check_archive(path, shown, report, limits, limits.xlsx_members, limits.xlsx_unpacked_bytes)
    if archive is None:
        return None
    archive.close()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
            written = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        report.add(shown, None, "", "", "unreadable",
                   _("The file cannot be read as an Excel workbook ({error}); save it as .xlsx.").format(
                       error=type(error).__name__))
        return None
    try:
        return _read_book(book, written, path, shown, report, limits, key)
    finally:
        book.close()
        written.close()


def _read_wording(marker: dict) -> Wording | None:
    """The words a workbook was written in, as its (signed) marker records them; None when they cannot be read."""
    language = marker.get("language", i18n.SOURCE)
    if language == i18n.SOURCE and not any(k in marker for k in SHOWN):
        return Wording(i18n.SOURCE, {t: t for t in TABLES}, dict(marker["headings"]), {})
    sheets, headings = marker.get("sheets"), marker.get("shown_headings")
    labels = {k.removeprefix(LABELS): v for k, v in marker.items() if k.startswith(LABELS)}
    texts = (language in i18n.LANGUAGES and isinstance(sheets, dict) and all(isinstance(v, str) for v in sheets.values())
             and isinstance(headings, dict) and all(isinstance(v, list) and all(isinstance(h, str) for h in v)
                                                    for v in headings.values())
             and all(isinstance(v, dict) and all(isinstance(a, str) and isinstance(b, str) for a, b in v.items())
                     for v in labels.values()))
    if not texts or any(len(headings.get(t, marker["headings"].get(t, []))) != len(marker["headings"].get(t, []))
                        for t in TABLES):
        return None
    return Wording(str(language), sheets, headings, labels)


def _not_ours(report: validate.Report, shown: str, why: str) -> None:
    report.add(shown, None, "", "", "not-a-return",
               _("This is not one of the dashboard's reporting workbooks ({why}). Download the workbook for the "
                 "project and quarter (python -m impact return template, or the project's page) and fill that in.")
               .format(why=why))


def _formulas(sheet, limits: readers.Limits):
    """Per row of a sheet (as the workbook was written, formulas and all): {column index: formula} of its formula
    cells."""
    columns = min(sheet.max_column or limits.columns, limits.columns)
    for row in sheet.iter_rows(max_col=columns):
        yield {i: str(c.value) for i, c in enumerate(row) if getattr(c, "data_type", None) == "f"}


def _take_formulas(values: tuple, formulas: dict[int, str], headings: list[str], where: str, number: int,
                   report: validate.Report) -> None:
    """A row's formula cells: each taken at its saved value (noted), or refused with its cell named when the
    spreadsheet saved none."""
    from openpyxl.utils import get_column_letter

    for index, formula in sorted(formulas.items()):
        cell = f"{get_column_letter(index + 1)}{number}"
        column = headings[index] if index < len(headings) else _("column {number}").format(number=index + 1)
        saved = values[index] if index < len(values) else None
        shown_formula = validate.shown(formula)
        if saved is None or saved == "":
            report.add(where, number, column, formula, "formula",
                       _("Cell {cell} holds the formula '{formula}' with no saved value, so its number cannot be "
                         "read. Type the number itself, or open the workbook in Excel or LibreOffice and save it again "
                         "(which saves each formula's value).").format(cell=cell, formula=shown_formula))
        else:
            report.note(_("{file}, cell {cell} ({column}): the formula '{formula}' was taken at its saved value, "
                          "{value}.").format(file=where, cell=cell, column=column, formula=shown_formula,
                                             value=readers.cell_text(saved)))


def _read_book(book, written, path: Path, shown: str, report: validate.Report, limits: readers.Limits,
               key: bytes | None) -> Return | None:
    if MARKER not in book.sheetnames:
        _not_ours(report, shown, _("it has no {sheet} sheet").format(sheet=MARKER))
        return None
    marker: dict = {}
    for row in book[MARKER].iter_rows(values_only=True, max_col=2, max_row=50):
        if row and isinstance(row[0], str):
            marker[row[0]] = cells.restore(row[1]) if isinstance(row[1], str) else row[1]
    try:
        for name in ("locked", "headings", *(k for k in marker if k in SHOWN[1:] or k.startswith(LABELS))):
            marker[name] = json.loads(marker[name])
        ours = key is not None and marker.get("format") == FORMAT and hmac.compare_digest(str(marker.get("signature", "")),
                                                                      signature(marker, key))
    except (KeyError, TypeError, ValueError):
        ours = False
    if not ours:
        _not_ours(report, shown, _("its {sheet} sheet is not one the dashboard wrote, or was changed").format(
            sheet=MARKER))
        return None
    try:
        period = calendar.require_quarter(marker["period"])
    except ValueError:
        _not_ours(report, shown, _("its quarter cannot be read"))
        return None
    words = _read_wording(marker)
    if words is None:
        _not_ours(report, shown, _("its {sheet} sheet is not one the dashboard wrote, or was changed").format(
            sheet=MARKER))
        return None
    found = Return(shown, store.sha256(path), marker["programme"], marker["project"], period)
    changed = False
    for kind in KINDS:
        title = words.sheets.get(kind.table, kind.table)
        where = f"{shown} › {title}"
        if title not in book.sheetnames:
            report.add(where, None, "", "", "missing-sheet",
                       _("The sheet '{sheet}' is missing; a return keeps every sheet of the workbook it came in.")
                       .format(sheet=title))
            changed = True
            continue
        sheet = book[title]
        rows = sheet.iter_rows(values_only=True, max_col=min(sheet.max_column or limits.columns, limits.columns))
        headings = marker["headings"][kind.table]
        data: dict[str, list[str]] = {name: [] for name in FIXED + tuple(headings)}
        numbers: list[int] = []
        formulas = _formulas(written[title], limits)
        shown_headings = words.headings.get(kind.table, headings)
        for number, values in enumerate(rows, start=1):
            formula_cells = next(formulas, {})
            if formula_cells and number > HEADER_ROW:
                _take_formulas(values, formula_cells, headings, where, number, report)
            texts = [readers.cell_text(v) for v in values]
            texts += [""] * (len(headings) - len(texts))
            if number <= len(LOCKED_LABELS):
                cell = f"B{number}"
                expected = marker["locked"][cell]
                if cells.restore(texts[1].strip()) != expected:
                    report.add(where, number, LOCKED_LABELS[number - 1][1].lower(), texts[1], "locked-changed",
                               _("Cell {cell} ({label}) was changed to '{value}'; the workbook was made for "
                                 "'{expected}'. Locked cells cannot be changed: download a fresh workbook for the "
                                 "right project and quarter.").format(
                                   cell=cell, label=_(LOCKED_LABELS[number - 1][1]), value=validate.shown(texts[1]),
                                   expected=expected))
                    changed = True
                continue
            if number == HEADER_ROW:
                given = [t.strip().lower() for t in texts[:len(headings)]]
                if given != headings and given != [cells.neutralise(h).strip().lower() for h in shown_headings]:
                    report.add(where, number, "", ", ".join(given)[:60], "locked-changed",
                               _("The column headings were changed; they must be {headings}.").format(
                                   headings=", ".join(shown_headings)))
                    changed = True
                continue
            if number < HEADER_ROW:
                continue
            if number - HEADER_ROW > limits.rows:
                report.add(where, number, "", "", "too-many-rows",
                           _("The sheet has more rows than a return can hold."))
                return None
            measures = texts[len(headings) - len(kind.measures):len(headings)]  # the workbook's own headings
            if not any(t.strip() for t in measures):
                continue  # a combination with nothing this quarter
            beyond = [t for t in texts[len(headings):] if t.strip()]
            if beyond:
                report.add(where, number, _("column {number}").format(number=len(headings) + 1), beyond[0],
                           "ragged-row", _("This row has a value to the right of the last column; delete it."))
            for name, text in zip(headings, texts[:len(headings)], strict=True):
                data[name].append(text)
            data["project_id"].append(found.project)
            data["iso3"].append(marker["locked"]["B3"])
            data["period"].append(found.period.isoformat())
            numbers.append(number)
        columns = {name: readers.tidy(pa.array(values, pa.string()), spreadsheet=True) for name, values in data.items()}
        for name in kind.dimensions:  # a label of the workbook's language stands for its value (the code stored)
            if words.labels.get(name):
                labels = words.reader(name)
                columns[name] = pa.array([labels.get(t.strip().casefold(), t) for t in columns[name].to_pylist()],
                                         pa.string())
        found.raws.append(validate.RawTable(kind.table, where, list(FIXED) + headings, columns,
                                            np.asarray(numbers, dtype=np.int64)))
    return None if changed else found


# ---- taking returns in ------------------------------------------------------------------------

@dataclass
class ReturnsResult:
    """What a batch of returns did: problems, the new version (None when nothing changed) and what changed."""

    report: validate.Report
    version: str | None = None
    previous: str = ""
    accepted: list[str] = field(default_factory=list)  # file names
    rejected: list[str] = field(default_factory=list)
    changes: pd.DataFrame | None = None  # per project, quarter and table: rows before/after, added, changed, removed
    totals: pd.DataFrame | None = None  # per project, quarter, table and measure: total before and after
    removals: pd.DataFrame | None = None  # rows reported before that the returns would remove
    needs_confirmation: bool = False
    flags: list[dict] = field(default_factory=list)  # the rules broken and unusual values (file, project, quarter…)
    unchanged: list[str] = field(default_factory=list)  # returns that carry exactly the figures in use (file names)

    @property
    def nothing_changed(self) -> bool:
        """True when every return carried exactly the figures in use: no version was made, none was needed."""
        return self.version is None and bool(self.unchanged) and self.report.ok and not self.needs_confirmation

    @property
    def ok(self) -> bool:
        """True when a new version was written and made active."""
        return self.version is not None

    def summary(self) -> str:
        """One paragraph for people, in the reader's language: what landed, what was refused, what needs
        confirming."""
        words = i18n.active()
        if self.needs_confirmation:
            n = 0 if self.removals is None else len(self.removals)
            return _("The returns would remove {count} row(s) reported before (listed below); nothing was imported. "
                     "Confirm the removals (--confirm-removals, or the tick on the Data page) to import them.").format(
                count=words.number(n))
        if self.nothing_changed:
            return _("Nothing changed: the {count} return(s) carry exactly the figures already in use (version "
                     "{version}), so no new version was made.").format(count=words.number(len(self.unchanged)),
                                                                       version=self.previous)
        if self.ok:
            text = _("{count} return(s) imported as version {version}.").format(
                count=words.number(len(self.accepted)), version=self.version)
            if self.unchanged:
                text += " " + _("Nothing changed in {count} of them: {returns}.").format(
                    count=words.number(len(self.unchanged)), returns=", ".join(self.unchanged))
            if self.rejected:
                text += " " + _("{count} refused (listed with their problems): {returns}.").format(
                    count=words.number(len(self.rejected)), returns=", ".join(self.rejected))
            return text
        if self.rejected:
            return _("{count} problem(s) in {returns} return(s); nothing was imported and the data in use is "
                     "unchanged.").format(count=words.number(self.report.total), returns=words.number(len(self.rejected)))
        return _("{count} problem(s) in the return(s); nothing was imported and the data in use is unchanged.").format(
            count=words.number(self.report.total))


def _merge(into: validate.Report, part: validate.Report) -> None:
    into.total += part.total
    into.kinds.update(part.kinds)
    room = validate.DETAILS_MAX - len(into.problems)
    into.problems.extend(part.problems[:max(0, room)])
    into.files.update(part.files)
    into.notes.extend(part.notes[:max(0, validate.DETAILS_MAX - len(into.notes))])


def _key_frame(table: pa.Table, kind: Kind) -> pd.DataFrame:
    frame = table.select(list(FIXED) + list(kind.dimensions) + list(kind.measures)).to_pandas()
    return frame.set_index(list(FIXED) + list(kind.dimensions))


def diff(before: pa.Table, after: pa.Table, kind: Kind) -> tuple[int, int, int]:
    """Rows added, changed (same key, other numbers) and removed from `before` to `after`."""
    old, new = _key_frame(before, kind), _key_frame(after, kind)
    both = old.index.intersection(new.index)
    changed = int((old.loc[both, list(kind.measures)] != new.loc[both, list(kind.measures)]).any(axis=1).sum())
    return len(new.index.difference(old.index)), changed, len(old.index.difference(new.index))


def import_returns(paths: list[str | Path], programme_store: store.Store,
                   accept_valid: bool = False, confirm_removals: bool = False, who: str | None = None,
                   limits: readers.Limits = readers.LIMITS, submitted: dict[str, str] | None = None,
                   record: Callable[[store.Store, Return, Path, str, str], object] | None = None) -> ReturnsResult:
    """Check a batch of returns and, when all is well (or with `accept_valid`, for the valid ones), make them
    ONE new version in which each return replaces its project's rows for its quarter and nothing else.

    `submitted` maps a workbook's sha256 to when a partner submitted it (its arrival, kept in the manifest);
    `record(programme_store, return, workbook, who, version)` is called for each imported return before the lock is
    let go (`partners.record_import` writes it to its project's trail as imported and approved by `who`)."""
    report = validate.Report()
    result = ReturnsResult(report)
    with tempfile.TemporaryDirectory(prefix="impact-returns-") as work, transaction.begin(programme_store) as txn:
        current = txn.current or programme_store.active()
        result.previous = current.version
        definition = store.load_definition(current.path)
        projects = _projects(current.path)
        in_use = {name: store.read_table(current.path, name).cast(schema.arrow_schema(name, definition))
                  for name in schema.TABLE_NAMES}
        context = {name: (table, f"{name} in version {current.version} (in use)")
                   for name, table in in_use.items() if name not in TABLES}
        key = return_key(programme_store, create=False)
        found_files = collect(paths, Path(work), report, limits)
        if not report.ok and not accept_valid:
            return result
        good: list[tuple[Return, dict[str, pa.Table]]] = []
        kept: dict[str, Path] = {}
        seen: dict[tuple[str, dt.date], str] = {}
        for path, shown in found_files:
            found, typed, part = _check(path, shown, definition, projects, context, seen, limits, key)
            if found is not None and part.ok:
                good.append((found, typed))
                result.flags += [{"file": shown, "project": found.project,
                                  "quarter": calendar.quarter_label(found.period), **f.to_dict()}
                                 for f in flags_of(in_use, found, typed, definition)]
                kept[found.sha256] = path
                result.accepted.append(shown)
            else:
                result.rejected.append(shown)
            _merge(report, part)
        if (not report.ok and not accept_valid) or not good:
            result.accepted = [] if not report.ok else result.accepted
            return result
        tables = dict(in_use)
        changes, totals, removals, changing = [], [], [], []
        landed = _landed(programme_store, current.version)
        for found, typed in good:
            moved = 0
            for kind in kinds(definition):
                table = tables[kind.table]
                mine = pc.and_(pc.equal(table["project_id"], found.project),
                               pc.equal(table["period"], pa.scalar(found.period, pa.date32())))
                before = table.filter(mine)
                after = typed[kind.table].cast(schema.arrow_schema(kind.table, definition))
                tables[kind.table] = pa.concat_tables([table.filter(pc.invert(mine)), after])
                added, changed, removed = diff(before, after, kind)
                moved += added + changed + removed
                changes.append({"project": found.project, "quarter": calendar.quarter_label(found.period), "table": kind.table,
                                "rows before": before.num_rows, "rows after": after.num_rows, "added": added,
                                "changed": changed, "removed": removed, "file": found.name})
                measures = kind.measures
                for measure in measures if kind.table != "outcomes" else ():
                    totals.append({"project": found.project, "quarter": calendar.quarter_label(found.period),
                                   "table": kind.table, "measure": measure,
                                   "before": int(pc.sum(before[measure]).as_py() or 0),
                                   "after": int(pc.sum(after[measure]).as_py() or 0)})
                if kind.table == "outcomes":
                    old = dict(zip(before["indicator"].to_pylist(), before["value"].to_pylist(), strict=True))
                    new = dict(zip(after["indicator"].to_pylist(), after["value"].to_pylist(), strict=True))
                    for code in sorted(set(old) | set(new)):
                        totals.append({"project": found.project, "quarter": calendar.quarter_label(found.period),
                                       "table": kind.table, "measure": code, "before": int(old.get(code, 0)),
                                       "after": int(new.get(code, 0))})
                if removed:
                    gone = _key_frame(before, kind).index.difference(_key_frame(after, kind).index)
                    for key in gone:
                        removals.append({"file": found.name, "project": found.project,
                                         "quarter": calendar.quarter_label(found.period), "table": kind.table,
                                         "row": " · ".join(str(v) for v in key[len(FIXED):])})
            if moved or found.sha256 not in landed:  # a first arrival is kept even when its figures are the same
                changing.append((found, typed))
            else:
                result.unchanged.append(found.name)
        result.changes = pd.DataFrame(changes)
        result.totals = pd.DataFrame(totals, columns=["project", "quarter", "table", "measure", "before", "after"])
        result.removals = pd.DataFrame(removals, columns=["file", "project", "quarter", "table", "row"])
        if removals and not confirm_removals:
            result.needs_confirmation = True
            return result
        if not changing:  # the same figures again: a new version would change nothing (and say something did)
            return result
        good = changing
        files_in_use = store.table_files(current.path)
        described = ", ".join(f"{r.project} {calendar.quarter_label(r.period)}" for r, _ in good)
        write = {name: tables[name] if name in TABLES else files_in_use[name] for name in schema.TABLE_NAMES}
        result.version = txn.commit(
            tables=write, definition=definition, who=who,
            label=f"Quarterly returns: {described}"[:300], replaced_tables=list(TABLES),
            sources=[{"name": r.name, "sha256": r.sha256} for r, _ in good],
            returns=[{"project": r.project, "period": r.period.isoformat(), "file": r.name, "sha256": r.sha256,
                      **({"submitted_at": submitted[r.sha256]} if r.sha256 in (submitted or {}) else {})}
                     for r, _ in good])
        if record is not None:  # the team's own path approves as it imports: each return's trail says so
            for found, _ in good:
                record(programme_store, found, kept[found.sha256], txn.written["created_by"], result.version)
        return result


def _check(path: Path, shown: str, definition: programmes.Programme, projects: dict[str, Project], context: dict,
           seen: dict[tuple[str, dt.date], str], limits: readers.Limits, key: bytes
           ) -> tuple[Return | None, dict[str, pa.Table], validate.Report]:
    """One return read and checked as a full import would check it: (the return, its typed tables, problems)."""
    part = validate.Report()
    found = read_return(path, shown, part, limits, key=key)
    if found is not None:
        _check_identity(found, definition, projects, seen, part)
        seen.setdefault((found.project, found.period), shown)
    typed = {}
    if found is not None and part.ok:
        typed = validate.validate(found.raws, context, part, definition)
    return found, {name: typed.get(name, schema.empty(name, definition)) for name in TABLES}, part


def flags_of(tables: dict[str, pa.Table], found: Return, typed: dict[str, pa.Table],
             definition: programmes.Programme) -> list[checks.Flag]:
    """The validation rules a checked return breaks and its unusual values against its project's history in
    `tables` (the version in use)."""
    before = {name: tables[name].filter(pc.equal(tables[name]["project_id"], found.project)).to_pandas()
              for name in TABLES}
    return checks.flags(found.project, found.period, {n: t.to_pandas() for n, t in typed.items()}, before, definition)


def check_return(path: str | Path, shown: str, programme_store: store.Store,
                 limits: readers.Limits = readers.LIMITS) -> tuple[Return | None, validate.Report]:
    """Read and check one return against the version in use, as `import_returns` would, changing nothing."""
    found, report, _flags = check_and_flag(path, shown, programme_store, limits)
    return found, report


def check_and_flag(path: str | Path, shown: str, programme_store: store.Store,
                   limits: readers.Limits = readers.LIMITS) -> tuple[Return | None, validate.Report, list[checks.Flag]]:
    """`check_return`, and the flags of a return without problems (rules broken, unusual values)."""
    current = programme_store.active()
    definition = store.load_definition(current.path)
    context = {name: (store.read_table(current.path, name).cast(schema.arrow_schema(name, definition)),
                      f"{name} in version {current.version} (in use)")
               for name in schema.TABLE_NAMES if name not in TABLES}
    found, typed, report = _check(Path(path), shown, definition, _projects(current.path), context, {}, limits,
                                  return_key(programme_store, create=False))
    if found is None or not report.ok:
        return found, report, []
    tables = {name: store.read_table(current.path, name) for name in TABLES}
    return found, report, flags_of(tables, found, typed, definition)


def _check_identity(found: Return, definition: programmes.Programme, projects: dict[str, Project],
                    seen: dict[tuple[str, dt.date], str], report: validate.Report) -> None:
    """A return for this programme, a known project, a quarter within its dates, once per batch."""
    if found.programme != definition.id:
        report.add(found.name, None, "programme", found.programme, "other-programme",
                   _("This workbook is for the programme '{given}', not '{programme}'; import it with --programme "
                     "{given}.").format(given=found.programme, programme=definition.id))
        return
    project = projects.get(found.project)
    if project is None:
        report.add(found.name, None, "project", found.project, "unknown-project",
                   _("There is no project {project} in the data in use.").format(project=found.project))
        return
    if found.period not in calendar.quarter_range(project.start, project.end):
        report.add(found.name, None, "quarter", calendar.quarter_label(found.period), "period-outside-project",
                   _("{project} runs from {start} to {end}; a return for {quarter} falls outside it.").format(
                       project=project.project_id, start=project.start, end=project.end,
                       quarter=calendar.quarter_label(found.period)))
    first = seen.get((found.project, found.period))
    if first:
        report.add(found.name, None, "quarter", calendar.quarter_label(found.period), "duplicate-return",
                   _("{file} in this batch is already the return of {project} for {quarter}; send one return per "
                     "project and quarter.").format(file=first, project=found.project,
                                                    quarter=calendar.quarter_label(found.period)))


def _landed(programme_store: store.Store, version: str) -> set[str]:
    """The sha256 of every return that landed in `version` or the versions it was built on."""
    seen, found = set(), set()
    while version and version != store.BASE_VERSION and version not in seen:
        seen.add(version)
        manifest = store.read_manifest(programme_store.version_path(version))
        found |= {entry.get("sha256") for entry in manifest.get("returns", [])}
        version = manifest.get("parent")
    return found


def arrivals(programme_store: store.Store) -> pd.DataFrame:
    """When each project's return for a quarter arrived, from the manifests of the active version and the versions
    it was built on: project_id, period, arrived (UTC, ISO 8601: the first return's submission, else its import),
    version and file (the latest return's: a correction replaces the figures, not the arrival)."""
    version, seen, rows = programme_store.active().version, set(), []
    while version and version != store.BASE_VERSION and version not in seen:
        seen.add(version)
        manifest = store.read_manifest(programme_store.version_path(version))
        for entry in manifest.get("returns", []):
            rows.append({"project_id": entry.get("project"), "period": entry.get("period"),
                         "arrived": entry.get("submitted_at") or manifest.get("created_at", ""), "version": version,
                         "file": entry.get("file")})
        version = manifest.get("parent")
    frame = pd.DataFrame(rows, columns=["project_id", "period", "arrived", "version", "file"])
    first = frame.groupby(["project_id", "period"], sort=False)["arrived"].transform("min")
    latest = frame.assign(arrived=first).drop_duplicates(["project_id", "period"], keep="first")  # newest first
    return latest.reset_index(drop=True)


@functools.lru_cache(maxsize=256)
def _fingerprints(folder: str) -> dict[tuple[str, str], tuple[int, int]]:
    """Per project and results table of a version folder: (rows, a hash of its rows' text) — versions are
    immutable, so a folder's answer never changes."""
    import duckdb

    out: dict[tuple[str, str], tuple[int, int]] = {}
    conn = duckdb.connect()
    try:
        for name in TABLES:
            path = Path(folder) / f"{name}.parquet"
            if not path.is_file():
                continue
            rows = conn.execute("select project_id, count(*), sum(hash(x::varchar)::hugeint) "
                                "from read_parquet($path) x group by project_id", {"path": str(path)}).fetchall()
            out.update({(project, name): (int(n), int(h)) for project, n, h in rows})
    finally:
        conn.close()
    return out


def versions_changing(project_id: str, programme_store: store.Store) -> pd.DataFrame:
    """The versions that changed a project's figures (training, volunteering or outcomes rows against the version
    each was made from; the shipped extract when it has figures for the project), newest first: version, when,
    by, label, tables, in_use."""
    listed = programme_store.versions()
    by_name = {v.version: v for v in listed}
    rows = []
    for info in listed:
        mine = {t: f for (p, t), f in _fingerprints(str(info.path)).items() if p == project_id}
        parent = by_name.get(info.manifest.get("parent") or "")
        before = ({t: f for (p, t), f in _fingerprints(str(parent.path)).items() if p == project_id}
                  if parent is not None else {})
        changed = [t for t in TABLES if mine.get(t) != before.get(t)]
        if changed:
            rows.append({"version": info.version, "when": info.created_at, "by": info.manifest.get("created_by", ""),
                         "label": info.manifest.get("label", ""), "tables": ", ".join(changed), "in_use": info.active})
    return pd.DataFrame(rows, columns=["version", "when", "by", "label", "tables", "in_use"])
