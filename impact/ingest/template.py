"""A blank programme to start from: a definition to fill in, every table's header, and one workbook.

`python -m impact programme template --out DIR` writes, for a manager who has never seen the code:
- `programme.json`, a starter definition (a worked skeleton: replace the names, dates and values);
- `<table>.csv` for every table, the header only;
- `extract.xlsx`, one sheet per table with the same headers, dropdown lists (Excel data validation) from
  the definition's vocabularies, whole-number and date checks, and an Instructions sheet.
Given `--definition FILE` (the manager's edited definition), the workbook's dropdowns are that
programme's own. The importer takes the folder, or `extract.xlsx` on its own with `programme.json`.
With `--lang fr` (pt, es) the workbook's Instructions sheet, each heading's help (a note on the header cell: the
column's meaning and rule) and the checks' messages are in that language; the sheets' and columns' names, the
lists' values and `programme.json` stay what the importer reads, so the workbook imports the same in every language.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from impact.model import cells, dictionary, i18n, schema
from impact.model import programme as programmes
from impact.model.i18n import N_
from impact.model.i18n import gettext as _

WORKBOOK = "extract.xlsx"
LISTS = "Lists"
INSTRUCTIONS = N_("Instructions")  # the sheet's name in English; a workbook in another language names it in its own
_FIRST_ROW, _LAST_ROW = 2, 5000  # the rows the checks cover


def starter() -> programmes.Programme:
    """A starter definition: every field present, a few example values, roles marked."""
    term = programmes.Term
    vocab = {
        "theme": ("Theme one", "Theme two"),
        "grant_type": ("Grant type one", "Grant type two"),
        "region": ("Region one", "Region two"),
        "cadre": ("Cadre one", "Cadre two"),
        "gender": ("Women", "Men", "Not stated"),
        "training_type": ("Direct training", "Trainer training", "Trained by trainers"),
        "location": ("In the partner country", "From home"),
        "profession": ("Profession one", "Profession two"),
        "institution_type": ("Institution type one", "Institution type two"),
        "principle": ("Principle one", "Principle two"),
    }
    roles = {("gender", "Women"): "women", ("training_type", "Trainer training"): "trainers",
             ("training_type", "Trained by trainers"): "cascade", ("location", "In the partner country"): "overseas",
             ("location", "From home"): "home"}
    terms = {name: tuple(term(value=v, role=roles.get((name, v), "")) for v in values) for name, values in vocab.items()}
    ind = programmes.Indicator
    return programmes.Programme(
        id="my-programme", name="My programme", short_name="MP", funder="Funder's name",
        managed_by="Managing organisation", currency="GBP", start=dt.date(2024, 1, 1), end=dt.date(2027, 12, 31),
        phases=(programmes.Phase(name="Phase 1", first_day=dt.date(2024, 1, 1), last_day=dt.date(2025, 12, 31)),
                programmes.Phase(name="Phase 2", first_day=dt.date(2026, 1, 1), last_day=dt.date(2027, 12, 31))),
        vocabularies=terms,
        indicators=(
            ind(code="patients_reached", label="Patients reached", description="Patients who used improved services.",
                how_counted="Reported each quarter, added up."),
            ind(code="facilities_supported", label="Facilities supported", unit="institutions", aggregation="latest",
                description="Facilities the partnership supports.", how_counted="Latest count per project, added up."),
            ind(code="staff_surveyed", label="Staff surveyed", headline=False, benefits="home"),
            ind(code="staff_new_skills", label="Staff reporting new skills", headline=False, benefits="home"),
            ind(code="new_skills_share", label="Staff with new skills", unit="share", aggregation="ratio",
                fmt="percent", numerator="staff_new_skills", denominator="staff_surveyed", benefits="home",
                description="Share of surveyed staff who reported new skills."),
        ),
        reference_figures=(programmes.ReferenceFigure(metric="trainees", value=1000, qualifier="over",
                                                      source="Where the programme published it"),),
        illustrative=True, description="Replace this with one paragraph about the programme.",
    )


def write(out: str | Path, definition: programmes.Programme | None = None, language: str = i18n.SOURCE) -> list[Path]:
    """Write the template into `out` (refusing to overwrite files already there), its workbook's instructions and
    help in `language`; return what was written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = [programmes.FILE, WORKBOOK, *(f"{t}.csv" for t in schema.TABLE_NAMES)]
    clashes = [n for n in names if (out / n).exists()]
    if clashes:
        raise ValueError(f"{out} already holds {', '.join(clashes)}; write the template to an empty folder")
    definition = definition or starter()
    written = [definition.write(out)]
    for table in schema.tables(definition):
        path = out / f"{table.name}.csv"
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerow(table.column_names)
        written.append(path)
    with i18n.using(language):
        written.append(workbook(definition, out / WORKBOOK))
    return written


def workbook(definition: programmes.Programme, path: Path) -> Path:
    """The extract as one workbook: a sheet per table with dropdowns and checks, each heading's help (a note) and
    instructions, in the active language (the sheets', columns' and values' names as the importer reads them)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    guide = book.active
    guide.title = _(INSTRUCTIONS)[:31]
    lists = book.create_sheet(LISTS)
    ranges = write_lists(lists, definition)
    for line in instructions(definition):
        guide.append([cells.neutralise(line)])
    guide.column_dimensions["A"].width = 110
    guide["A1"].font = Font(bold=True, size=14)
    header_fill = PatternFill("solid", fgColor="DDE7F0")
    for table in schema.tables(definition):
        sheet = book.create_sheet(table.name)
        sheet.append(table.column_names)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            cell = sheet.cell(row=1, column=index)
            cell.font, cell.fill = Font(bold=True), header_fill
            cell.comment = heading_help(column, definition)
            cell.comment.width, cell.comment.height = 320, 160
            sheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
            area = f"{letter}{_FIRST_ROW}:{letter}{_LAST_ROW}"
            check = column_validation(column, definition, ranges, DataValidation)
            if check is not None:
                check.add(area)
                sheet.add_data_validation(check)
            if column.type == "DATE":
                for row in range(_FIRST_ROW, _FIRST_ROW + 1):
                    sheet.cell(row=row, column=index).number_format = "yyyy-mm-dd"
    lists.sheet_state = "hidden"
    book.save(path)
    return path


def shown_labels(definition: programmes.Programme, name: str, values: tuple[str, ...],
                 language: str = i18n.SOURCE) -> dict[str, str]:
    """How each value of the list `name` is shown in a workbook in `language`: its label from the definition's
    translations (an indicator's translated label), else the value itself. English shows the values. A label that
    two values would share, or that is another value's own spelling, gives way to the value, so every cell reads
    back to exactly one value."""
    if language == i18n.SOURCE:
        return {value: value for value in values}
    if name == "indicator":
        wanted = {v: definition.indicator_texts(v, language).get("label") or v for v in values}
    else:
        wanted = {v: definition.label(name, v, language) for v in values}

    def key(text: str) -> str:
        return text.strip().casefold()

    spelled = {key(v) for v in values}
    count: dict[str, int] = {}
    for label in wanted.values():
        count[key(label)] = count.get(key(label), 0) + 1
    return {v: label if label == v or (count[key(label)] == 1 and key(label) not in spelled and label.strip())
            else v for v, label in wanted.items()}


def write_lists(sheet, definition: programmes.Programme, language: str = i18n.SOURCE) -> dict[str, str]:
    """One column per list of allowed values on the hidden Lists sheet, each value as a workbook in `language`
    shows it (`shown_labels`); vocabulary -> its range."""
    from openpyxl.utils import get_column_letter

    lists = {name: definition.values(name) for name in definition.vocabularies}
    lists["phase"] = definition.phase_names
    lists["indicator"] = definition.reported_codes
    lists["metric"] = schema.allowed(schema.table("targets").column("metric"), definition)
    lists[schema.SIDE] = definition.home.sides
    lists[schema.ROLE] = definition.home.roles
    lists["scope"] = schema.SCOPES
    shown = {name: shown_labels(definition, name, lists[name], language)
             for name in (*definition.vocabularies, "indicator")}
    ranges = {}
    for index, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=name)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index, value=cells.neutralise(shown.get(name, {}).get(value, value)))
        ranges[name] = f"{LISTS}!${letter}$2:${letter}${max(2, len(values) + 1)}"
    return ranges


def column_validation(column: schema.Column, definition: programmes.Programme, ranges: dict[str, str], kind,
                      heading: str | None = None):
    """The data validation for a column: a dropdown, a whole number in range, or a date in the window; its
    messages in the active language, naming the column by `heading` (default: its name)."""
    words = i18n.active()
    name = heading or column.name
    if column.vocabulary or column.allowed:
        listed = column.vocabulary or column.name  # side, role, scope
        # a short list of codes no other sheet lists (the IATI tables' codes) is written in the rule itself
        formula = f"={ranges[listed]}" if listed in ranges else '"' + ",".join(column.allowed) + '"'
        return kind(type="list", formula1=formula, allow_blank=column.nullable, showErrorMessage=True,
                    errorTitle=_("Not in the list")[:32],
                    error=_("Choose a {name} from the list (the programme's definition gives them).").format(
                        name=name))
    if column.type == "BIGINT" and column.minimum is not None:
        return kind(type="whole", operator="between", formula1=str(int(column.minimum)),
                    formula2=str(int(column.maximum)), showErrorMessage=True,
                    errorTitle=_("Not a whole number")[:32],
                    error=_("{name} is a whole number from {minimum} to {maximum}.").format(
                        name=name, minimum=words.number(column.minimum), maximum=words.number(column.maximum)))
    if column.type == "DOUBLE" and column.minimum is not None:
        return kind(type="decimal", operator="greaterThanOrEqual", formula1=f"{column.minimum:g}",
                    allow_blank=column.nullable, showErrorMessage=True, errorTitle=_("Not a number")[:32],
                    error=_("{name} is a number of at least {minimum} (0.5 for 50 %).").format(
                        name=name, minimum=words.decimal(column.minimum)))
    if column.type == "DATE":
        start, end = (definition.start - dt.date(1899, 12, 30)).days, (definition.end - dt.date(1899, 12, 30)).days
        return kind(type="date", operator="between", formula1=str(start), formula2=str(end), showErrorMessage=True,
                    errorTitle=_("Outside the programme")[:32],
                    error=_("{name} is a date from {start} to {end} (YYYY-MM-DD).").format(
                        name=name, start=definition.start, end=definition.end))
    return None


def heading_help(column: schema.Column, definition: programmes.Programme):
    """A header cell's help (an Excel note), in the active language: the column's meaning and its rule in words."""
    from openpyxl.comments import Comment

    rule = dictionary.column_rule(column, definition)
    text = f"{column.name}: {_(column.description)}" + (f"\n{rule}" if rule else "")
    return Comment(text[:2000], _("Programme template"))


def home_rule(home: programmes.Home) -> str:
    """The country rule of the two sides in words, in the active language: "UK institutions carry GBR." for the HPS."""
    countries = list(home.countries)
    codes = countries[0] if len(countries) == 1 else _("{first} or {last}").format(first=", ".join(countries[:-1]),
                                                                                 last=countries[-1])
    return _("{home} institutions carry {codes}.").format(home=home.home, codes=codes)


def instructions(definition: programmes.Programme) -> list[str]:
    """The Instructions sheet, line by line, in plain words, in the active language (the programme's name as its
    definition translates it; the tables' and columns' names as the importer reads them)."""
    lines = [
        _("How to fill in this workbook: {programme}").format(programme=definition.name_in()),
        "",
        _("1. The programme's definition is programme.json, next to this workbook. It names the programme, its start "
          "and end, its phases, the allowed values of every list (themes, grant types, regions, cadres, ...), its "
          "outcome indicators and any published figures. Edit it first; then run 'python -m impact programme template "
          "--out NEWFOLDER --definition programme.json' for a workbook whose dropdown lists are your own."),
        _("2. Fill one sheet per table, one row per record, under the header. Do not rename or reorder the columns."),
        _("3. Cells with a dropdown take only the values in the list; counts take whole numbers; dates are YYYY-MM-DD "
          "inside the programme."),
        _("4. Periods are quarters, written as their first day: YYYY-01-01, YYYY-04-01, YYYY-07-01 or YYYY-10-01."),
        _("5. Countries are ISO 3166-1 alpha-3 codes (UGA for Uganda); {rule}").format(rule=home_rule(definition.home)),
        _("6. Import the folder (or a .zip of this workbook and programme.json) on the Data page, or with 'python -m "
          "impact import FOLDER --programme {id}'. Everything is checked first; every problem is listed with its sheet, "
          "row and column, and nothing changes until there is none.").format(id=definition.id),
        _("Each column's heading carries a note: what the column holds and the rule its values follow."),
        "",
        _("The sheets:"),
    ]
    for table in schema.TABLES:
        lines.append(f"- {table.name}: " + _(table.description) + " "
                     + _("Unique on {key}.").format(key=", ".join(table.key)))
        for column in table.columns:
            lines.append(f"    {column.name}: {_(column.description)}")
    return lines
