"""Applying a recipe: a sheet in its own shape made into tidy rows of the product's tables, previewed against the
version in use, and imported through the one import transaction as one version.

`tidy` reads one sheet through its recipe: the header must still be the recipe's (else refused with the columns
added and missing), wide columns are unpivoted (one row per column a row has a number in), the sheet's spellings
are mapped to the programme's values (`recipe.values`, and for a value the recipe has not seen, the same matching
as the proposal: exact, same, country, project — a near match must be confirmed, or taken with
`accept_proposed`), periods read by the calendar. It refuses a mapping that would drop rows silently or count a
value twice: a row with numbers but no project or period, a number that is not a whole number, two columns for
the same breakdown values, a column for a measure beside columns unpivoted into it, a breakdown given no value,
a project given two themes; every refusal names the file, sheet, row and column.

`import_sheet` then checks the rows as an import checks them (`validate.validate`, against the tables in use),
makes them replace the table's rows of each project and quarter the sheet holds, and reports the change against
the version in use — rows added, changed and removed per table, and each measure's total before and after —
before anything is written. Removing rows needs `confirm_removals`; `dry_run` stops at the preview.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.ingest import mapping, readers, validate
from impact.ingest import recipe as recipes
from impact.ingest import sheets as sheet_files
from impact.model import calendar, i18n, schema
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.storage import store, transaction

MAX_COUNT = 10_000_000  # a number in a cell beyond this is refused before it reaches the table's own checks


@dataclass
class Tidy:
    """One sheet's rows made tidy: text columns of its table and the sheet row each came from."""

    table: str
    file: str  # the sheet as messages name it
    frame: pd.DataFrame  # the table's columns as text, and `_row`: the sheet's row number
    attributes: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)  # project -> column -> (value, row)
    notices: list[str] = field(default_factory=list)


def _where(sheet: sheet_files.Sheet) -> str:
    return sheet.shown


def check_headers(sheet: sheet_files.Sheet, part: recipes.SheetRecipe, found: mapping.Layout,
                  report: validate.Report) -> bool:
    """True when the sheet's header is the recipe's; else report what changed (added, missing columns)."""
    have, want = found.headers, part.headers
    if have == want:
        return True
    added = [h for h in have if h not in want]
    missing = [h for h in want if h not in have]
    moved = not added and not missing
    what = "; ".join(filter(None, [
        _("added: {columns}").format(columns=", ".join(repr(h) for h in added)) if added else "",
        _("missing: {columns}").format(columns=", ".join(repr(h) for h in missing)) if missing else "",
        _("the same columns in another order") if moved else ""]))
    report.add(_where(sheet), part.header_rows[-1], (added or missing or have)[0], "", "columns-changed",
               _("The sheet's columns are no longer the recipe's ({what}); propose a mapping for it again, or edit "
                 "the recipe's columns.").format(what=what))
    return False


def check_recipe(sheet: sheet_files.Sheet, part: recipes.SheetRecipe, programme, report: validate.Report,
                 has_country: bool) -> bool:
    """Refuse a recipe that would count a value twice or leave a breakdown without a value (sheet, row, column)."""
    where, row = _where(sheet), part.header_rows[-1]
    ok = True
    if part.table not in mapping.FACT_TABLES:
        report.add(where, None, "", part.table, "bad-recipe", _("A sheet's rows go to one of {tables}, not {table}.").format(
            tables=", ".join(mapping.FACT_TABLES), table=repr(part.table)))
        return False
    spec = schema.table(part.table, programme)
    breakdowns = [c for c in spec.key if c not in recipes.KEYS]
    measures = [c.name for c in spec.columns if c.name not in spec.key]
    by_role: dict[str, list[recipes.ColumnMap]] = {}
    for column in part.columns:
        by_role.setdefault(column.role, []).append(column)
    for key in recipes.KEYS:
        given = [c for c in by_role.get("key", []) if c.column == key]
        if not given and not (key == "iso3" and has_country):
            report.add(where, row, "", "", "missing-key",
                       (_("No column is mapped to {key}: every row needs its project.") if key == "project_id" else
                        _("No column is mapped to {key}: every row needs its {key}.")).format(key=key))
            ok = False
    seen: dict[tuple, str] = {}
    for column in part.columns:
        if column.role in ("key", "dimension", "measure", "attribute"):
            allowed = {"key": recipes.KEYS, "dimension": breakdowns, "measure": measures,
                       "attribute": recipes.ATTRIBUTES}[column.role]
            if column.column not in allowed:
                report.add(where, row, column.header, column.column or "", "bad-recipe",
                           _("'{header}' is mapped as a {role} to {column}, which is not one of {allowed} "
                             "({table}).").format(header=column.header, role=column.role, column=repr(column.column),
                                                  allowed=", ".join(allowed), table=part.table))
                ok = False
                continue
            slot = (column.role, column.column)
            if slot in seen:
                report.add(where, row, column.header, column.column, "counted-twice",
                           _("'{header}' and '{other}' are both mapped to {column}; map one of them and set the "
                             "other to ignore.").format(header=column.header, other=seen[slot], column=column.column))
                ok = False
            seen[slot] = column.header
        elif column.role == "value":
            bad = [k for k in column.dimensions if k not in breakdowns]
            if column.measure not in measures or bad:
                report.add(where, row, column.header, "", "bad-recipe",
                           _("'{header}' is unpivoted into {measure} for {names}; the measures of {table} are "
                             "{measures} and its breakdowns {breakdowns}.").format(
                               header=column.header, measure=repr(column.measure),
                               names=", ".join(bad) or _("its values"), table=part.table,
                               measures=", ".join(measures), breakdowns=", ".join(breakdowns)))
                ok = False
                continue
            for name, value in column.dimensions.items():
                allowed_values = schema.allowed(spec.column(name), programme) or ()
                if value not in allowed_values:
                    report.add(where, row, column.header, value, "not-allowed",
                               _("'{header}' names {name} {value}, which is not one of the definition's values "
                                 "({allowed}).").format(header=column.header, name=name.replace("_", " "),
                                                        value=repr(value), allowed=", ".join(allowed_values)))
                    ok = False
            slot = ("value", column.measure, tuple(sorted(column.dimensions.items())))
            if slot in seen:
                report.add(where, row, column.header, "", "counted-twice",
                           _("'{header}' and '{other}' both give {measure} for {values}: the same number would be "
                             "counted twice. Set one of them to ignore.").format(
                               header=column.header, other=seen[slot], measure=column.measure,
                               values=", ".join(f"{k} {v}" for k, v in column.dimensions.items())))
                ok = False
            seen[slot] = column.header
    values_columns = by_role.get("value", [])
    for column in by_role.get("measure", []):
        clash = [v.header for v in values_columns if v.measure == column.column]
        if clash:
            report.add(where, row, column.header, "", "counted-twice",
                       _("'{header}' is {column} and so are the unpivoted columns {columns}: the rows would be "
                         "counted twice.").format(header=column.header, column=column.column,
                                                  columns=", ".join(repr(c) for c in clash[:3])))
            ok = False
    long_data = bool(by_role.get("amount"))
    if long_data and (len(by_role.get("element", [])) != 1 or len(by_role["amount"]) != 1
                      or len(by_role.get("combo", [])) > 2):
        report.add(where, row, by_role["amount"][0].header, "", "bad-recipe",
                   _("A sheet of data values has one amount column, one element column saying what each amount "
                     "counts, and at most two combo columns (DHIS2's category and attribute option combos)."))
        ok = False
    dimension_columns = {c.column for c in by_role.get("dimension", [])}
    modes: dict[str, str] = {}
    for column in by_role.get("choice", []):
        if column.column not in breakdowns:
            report.add(where, row, column.header, column.column or "", "bad-recipe",
                       _("'{header}' is a choice of {column}, which is not one of {table}'s breakdowns "
                         "({breakdowns}).").format(header=column.header, column=repr(column.column), table=part.table,
                                                   breakdowns=", ".join(breakdowns)))
            ok = False
        elif column.column in dimension_columns:
            joined = next(c.header for c in by_role["dimension"] if c.column == column.column)
            report.add(where, row, column.header, column.column, "counted-twice",
                       _("'{joined}' and its choice column '{header}' both give the {column}: each submission would "
                         "be counted twice. Map one of them and set the other to ignore.").format(
                           joined=joined, header=column.header, column=column.column.replace("_", " ")))
            ok = False
        elif modes.setdefault(column.column, column.multiple or "one") != (column.multiple or "one"):
            report.add(where, row, column.header, column.multiple or "one", "bad-recipe",
                       _('The choice columns of {column} say both multiple "one" and "each"; say one.').format(
                           column=column.column))
            ok = False
    dimension_columns |= set(modes)
    for name in breakdowns if not long_data else ():  # data values: each row's breakdowns are checked as it is read
        if name in dimension_columns or name in part.constants:
            if name in part.constants and name in dimension_columns:
                report.add(where, row, name, part.constants[name], "bad-recipe",
                           _("{name} is both a column of the sheet and a constant; keep one.").format(name=name))
                ok = False
            continue
        lacking = [c.header for c in values_columns if name not in c.dimensions]
        if not values_columns or lacking:
            report.add(where, row, (lacking or [""])[0], "", "missing-breakdown",
                       (_("Nothing gives the {name} of the columns {columns}: map a column to it, or give it one "
                          "value in the recipe's constants.") if lacking else
                        _("Nothing gives the {name} of the rows: map a column to it, or give it one value in the "
                          "recipe's constants.")).format(name=name.replace("_", " "),
                                                          columns=", ".join(repr(h) for h in lacking[:3])))
            ok = False
    for name, value in part.constants.items():
        allowed_values = schema.allowed(spec.column(name), programme) or () if name in spec.column_names else ()
        if value not in allowed_values:
            report.add(where, None, name, value, "not-allowed",
                       _("The constant {name} = {value} is not one of the definition's values ({allowed}).").format(
                           name=name, value=repr(value), allowed=", ".join(allowed_values)
                           or _("not a breakdown of {table}").format(table=part.table)))
            ok = False
    if not (values_columns or by_role.get("measure") or long_data):
        report.add(where, row, "", "", "no-measure", _("No column gives a number of {table} ({measures}).").format(
            table=part.table, measures=", ".join(measures)))
        ok = False
    return ok


def _mapped(part: recipes.SheetRecipe, column: str, text: str, context: mapping.Context, accept_proposed: bool,
            pending: dict) -> str | None:
    """The programme's value for the sheet's `text` in `column` (None when it must be confirmed or maps nothing:
    gathered in `pending` to be reported once per text)."""
    entries = part.values.setdefault(column, {})
    entry = entries.get(text)
    if entry is None and column == recipes.ELEMENT:
        entry = entries[text] = mapping.propose_element(text, context)
        entry.pop("table", None)
    elif entry is None and column == recipes.COMBO:
        dims = mapping.dimension_values(text, part.table, context.programme)
        entry = entries[text] = ({"to": mapping.breakdown_text(dims) or mapping.NO_BREAKDOWN, "match": "same",
                                  "confirmed": True} if dims or mapping.fold(text) == "default"
                                 else {"to": None, "match": "none", "confirmed": False})
    elif entry is None:
        entry = entries[text] = mapping.match(text, column, context)
    if entry.get("to") and (entry.get("confirmed") or entry.get("match") in ("exact", "same", "country", "project",
                                                                            "manual")
                            or (accept_proposed and entry.get("match") == "near")):
        return entry["to"]
    pending.setdefault((column, text), {"entry": entry, "rows": []})
    return None


def tidy(sheet: sheet_files.Sheet, part: recipes.SheetRecipe, context: mapping.Context, report: validate.Report,
         accept_proposed: bool = False) -> Tidy | None:
    """The sheet's rows through its recipe (see the module); None when refused (the problems reported)."""
    programme = context.programme
    found = mapping.layout(sheet, part.header_rows)
    if not check_headers(sheet, part, found, report):
        return None
    if not check_recipe(sheet, part, programme, report, has_country=bool(context.project_countries)):
        return None
    where = _where(sheet)
    spec = schema.table(part.table, programme)
    positions = {c.header: i for i, c in enumerate(part.columns)}
    keys = {c.column: positions[c.header] for c in part.columns if c.role in ("key", "dimension") and not c.multiple}
    selects: dict[str, list[tuple[int, str | None]]] = {}  # a select-multiple's dimension -> (column, choice name)
    modes: dict[str, str] = {}  # ... -> "one" or "each"
    for c in part.columns:
        if c.role == "dimension" and c.multiple:
            selects.setdefault(c.column, []).append((positions[c.header], None))  # its choices, space-separated
            modes[c.column] = c.multiple
        elif c.role == "choice":
            selects.setdefault(c.column, []).append((positions[c.header], c.header.rsplit("/", 1)[-1]))
            modes[c.column] = c.multiple or "one"
    attributes = {c.column: positions[c.header] for c in part.columns if c.role == "attribute"}
    measures = {c.column: positions[c.header] for c in part.columns if c.role == "measure"}
    wide = [(positions[c.header], c) for c in part.columns if c.role == "value"]
    numeric = [p for p in measures.values()] + [p for p, _ in wide]
    amount = next((positions[c.header] for c in part.columns if c.role == "amount"), None)
    element = next((positions[c.header] for c in part.columns if c.role == "element"), None)
    combos = [positions[c.header] for c in part.columns if c.role == "combo"]
    defaults = [positions[c.header] for c in part.columns if c.role == "default"]  # DHIS2's "default" only
    if amount is not None:
        numeric = [amount]
    submission = next((positions[c.header] for c in part.columns if c.role == "submission"), None)
    breakdowns = [c for c in spec.key if c not in recipes.KEYS]
    values_of: dict[tuple, dict[str, list]] = {}  # data values: key -> measure -> [(period text, number, row)]
    out: list[tuple[dict, int]] = []  # each tidy row (its columns) and the sheet row it came from
    pending: dict = {}
    notices = list(found.notices)
    for c in part.columns:
        split = [d.header for d in part.columns if d.header.startswith(c.header + "/") and d.role == "ignore"]
        if c.role == "dimension" and c.multiple and split:
            notices.append(_("The choice columns {columns} repeat '{header}' (a select-multiple question): left out, "
                             "each submission's {column} read from '{header}' only.").format(
                columns=", ".join(repr(h) for h in split[:4]) + ("…" if len(split) > 4 else ""), header=c.header,
                column=c.column.replace("_", " ")))
    several = 0  # rows choosing several values of a select-multiple counted once per value
    result = Tidy(part.table, where, pd.DataFrame(), {}, notices)
    running = np.zeros(len(numeric))
    rows_since: list[int] = []
    periods: dict[str, object] = {}  # a period's text -> its quarter, read once per sheet
    resolved: dict[tuple[str, str], str] = {}  # (column, the sheet's text) -> the programme's value, once known

    def cell(i: int, position: int) -> str:
        row = sheet.cells[i]
        return row[position] if position < len(row) else ""

    for i in found.data:
        number = sheet.numbers[i]
        figures = [cell(i, p) for p in numeric]
        key_texts = {name: cell(i, p) for name, p in keys.items()}
        if not any(key_texts.get(k) for k in recipes.KEYS if k in keys):
            values = [_count(f) for f in figures]
            if any(figures) and rows_since and all(v is not None for v in values) and np.allclose(values, running):
                notices.append(_("Row {row} holds the sums of rows {first}–{last} (a total row); left out.").format(
                    row=number, first=rows_since[0], last=rows_since[-1]))
                running[:] = 0
                rows_since = []
                continue
            if any(figures):
                report.add(where, number, part.columns[keys.get("project_id", 0)].header, "", "missing-key",
                           _("This row has numbers but no project or period: it would be left out silently. Fill "
                             "them in, or delete the row."))
            continue
        values = []
        for position, text in zip(numeric, figures, strict=True):
            value = _count(text) if text else 0
            if value is None:
                report.add(where, number, part.columns[position].header, text, "not-a-number",
                           _("{value} is not a whole number from 0 to {maximum}; the row would be left out. Correct "
                             "it, or empty the cell.").format(value=repr(validate.shown(text)),
                                                               maximum=i18n.active().number(MAX_COUNT)))
                value = 0
            values.append(value)
        running += np.asarray(values, dtype=float) if values else 0
        rows_since.append(number)
        placed: dict[str, str] = {}
        missing = False
        for name, position in keys.items():
            text = key_texts[name]
            if not text:
                report.add(where, number, part.columns[position].header, "", "missing-value",
                           _("The {name} is empty; the row would be left out. Fill it in.").format(
                               name=name.replace("_", " ")))
                missing = True
                continue
            if name == "period":
                try:
                    day = periods[text] if text in periods else \
                        periods.setdefault(text, _period(part, text, programme.fiscal_year_start))
                except calendar.AmbiguousDate as error:
                    report.add(where, number, part.columns[position].header, text, "ambiguous-date",
                               _ambiguous(text, error))
                    missing = True
                    continue
                except calendar.NotAQuarter as error:
                    report.add(where, number, part.columns[position].header, text, "not-a-quarter",
                               _across_quarters(part, text, error))
                    missing = True
                    continue
                if day is None:
                    report.add(where, number, part.columns[position].header, text, "not-a-period",
                               _("{value} is not a period: write 2018-07-01, 01/07/2018, 2018Q3, Q3 2018, Jul-Sep "
                                 "2018 or FY2018/19 Q2.").format(value=repr(validate.shown(text))))
                    missing = True
                    continue
                placed[name] = day.isoformat()
            else:
                value = resolved.get((name, text)) or _mapped(part, name, text, context, accept_proposed, pending)
                if value is None:
                    pending[(name, text)]["rows"].append((number, part.columns[position].header))
                    missing = True
                    continue
                placed[name] = resolved[(name, text)] = value
        if "iso3" not in keys and "project_id" in placed:
            placed["iso3"] = context.project_countries.get(placed["project_id"], "")
        for name, position in attributes.items():
            text = cell(i, position)
            if not text or "project_id" not in placed:
                continue
            value = _mapped(part, name, text, context, accept_proposed, pending)
            if value is None:
                pending[(name, text)]["rows"].append((number, part.columns[position].header))
                continue
            before = result.attributes.setdefault(placed["project_id"], {}).get(name)
            if before is not None and before[0] != value:
                report.add(where, number, part.columns[position].header, text, "two-values",
                           _("{project} has the {name} {before} on row {row} and {value} here; a project has "
                             "one.").format(project=placed["project_id"], name=name.replace("_", " "),
                                            before=repr(before[0]), row=before[1], value=repr(value)))
            result.attributes[placed["project_id"]].setdefault(name, (value, number))
        chosen: dict[str, list[str]] = {}
        for name, sources in selects.items():
            picked, bad = _chosen(sheet.cells[i], sources, report, where, number, part)
            values = []
            for position, text in picked:
                value = resolved.get((name, text)) or _mapped(part, name, text, context, accept_proposed, pending)
                if value is None:
                    pending[(name, text)]["rows"].append((number, part.columns[position].header))
                    bad = True
                elif value not in values:
                    resolved[(name, text)] = value
                    values.append(value)
            header = part.columns[sources[0][0]].header
            if bad:
                missing = True
            elif not values:
                report.add(where, number, header, "", "missing-value",
                           _("No {name} is chosen; the row would be left out. Choose one.").format(
                               name=name.replace("_", " ")))
                missing = True
            elif len(values) > 1 and modes[name] == "one":
                report.add(where, number, header, " ".join(t for _, t in picked), "several-values",
                           _("{count} values of {name} are chosen ({values}): its numbers would be counted once for "
                             "each. Keep one, or say so in the recipe (multiple: \"each\", the row counted once per "
                             "value).").format(count=i18n.active().number(len(values)), name=name.replace("_", " "),
                                               values=", ".join(values)))
                missing = True
            else:
                several += len(values) > 1
                chosen[name] = values
        for position in defaults:
            text = cell(i, position)
            if text and mapping.fold(text) != "default":
                report.add(where, number, part.columns[position].header, text, "not-default",
                           _("{value} is not DHIS2's default {header}: its values would be added to those of other "
                             "combos. Map the column in the recipe — to a project (role key, column project_id) or to "
                             "breakdown values (role combo) — or export the data value set with the default "
                             "only.").format(value=repr(validate.shown(text)), header=part.columns[position].header))
                missing = True
        if missing:
            continue
        base = {**part.constants, **placed}
        if amount is not None:
            _data_value(part, context, accept_proposed, pending, report, where, number, base, breakdowns,
                        {"amount": cell(i, amount), "element": cell(i, element),
                         "combos": [cell(i, p) for p in combos],
                         "period": key_texts.get("period", "")},
                        {"amount": part.columns[amount].header, "element": part.columns[element].header,
                         "combos": [part.columns[p].header for p in combos]}, values_of)
            continue
        records = []
        if measures:
            record = dict(base)
            filled = False
            for name, position in measures.items():
                text = cell(i, position)
                filled = filled or bool(text)
                record[name] = str(_count(text) or 0) if text else "0"
            if filled:
                records.append((record, list(measures)))
        for position, column in wide:
            text = cell(i, position)
            if not text:
                continue  # an empty cell reports nothing: no row
            value = _count(text)
            records.append(({**base, **column.dimensions, column.measure: str(value if value is not None else 0)},
                            [column.measure]))
        for name, values in chosen.items():  # a select-multiple: the row once per value chosen
            records = [({**record, name: value}, given) for record, given in records for value in values]
        for record, given in records:
            if submission is None:
                out.append((record, number))
                continue
            # Several submissions for one project, quarter and breakdown add up; one submission twice would not.
            uuid = cell(i, submission) or f"(row {number})"
            key = tuple((k, record.get(k, "")) for k in sorted(record) if k in breakdowns or k in recipes.KEYS)
            for measure in given:
                values_of.setdefault(key, {}).setdefault(measure, []).append((uuid, int(record[measure]), number))
    for (name, text), item in pending.items():
        entry, rows = item["entry"], item["rows"]
        first_row, header = rows[0] if rows else (None, name)
        listed = ", ".join(str(r) for r, _ in rows[:10]) + ("…" if len(rows) > 10 else "")
        if entry.get("match") == "near" and entry.get("to"):
            report.add(where, first_row, header, text, "proposed-match",
                       _("{text} is close to {to} but not the same: confirm it (--accept-proposed, or the tick on "
                         "the Data page) or map it in the recipe. {count} row(s): {rows}.").format(
                           text=repr(text), to=repr(entry["to"]), count=i18n.active().number(len(rows)), rows=listed),
                       count=1)
        else:
            report.add(where, first_row, header, text, "no-match",
                       _("{text} matches no {name} of the programme; map it in the recipe's values. {count} row(s): "
                         "{rows}.").format(text=repr(text), name=name.replace("_", " "),
                                           count=i18n.active().number(len(rows)), rows=listed))
    if several:
        notices.append(_("{count} row(s) choose several values of {names}: counted once for each value (the "
                         "recipe's multiple: \"each\"), so a total over those values counts them more than once.").format(
            count=i18n.active().number(several), names=", ".join(n for n in modes if modes[n] == "each")))
    if values_of:
        _roll_up(values_of, spec, out, report, where, notices,
                 part.columns[amount if amount is not None else submission].header,
                 "submission" if submission is not None else "period")
    if not report.ok:
        return None
    frame = {name: [record.get(name, "") for record, _ in out] for name in spec.column_names}
    frame["_row"] = [row for _, row in out]
    result.frame = pd.DataFrame(frame, columns=[*spec.column_names, "_row"])
    return result


TICKED, UNTICKED = ("1", "true", "yes", "1.0"), ("0", "false", "no", "0.0", "")


def _chosen(row: list[str], sources: list[tuple[int, str | None]], report: validate.Report, where: str, number: int,
            part: recipes.SheetRecipe) -> tuple[list[tuple[int, str]], bool]:
    """The choices a row makes in a select-multiple question: (column, choice name) from its joined column's
    space-separated names or from its 0/1 choice columns; and whether a choice column held something else (reported)."""
    picked, bad = [], False
    for position, choice in sources:
        text = row[position] if position < len(row) else ""
        if choice is None:
            picked += [(position, name) for name in text.split()]
        elif text.strip().lower() in TICKED:
            picked.append((position, choice))
        elif text.strip().lower() not in UNTICKED:
            report.add(where, number, part.columns[position].header, text, "not-a-choice",
                       _("{value} is neither 1 (chosen) nor 0 (not chosen).").format(value=repr(validate.shown(text))))
            bad = True
    return picked, bad


def _data_value(part: recipes.SheetRecipe, context: mapping.Context, accept_proposed: bool, pending: dict,
                report: validate.Report, where: str, number: int, base: dict, breakdowns: list[str], texts: dict,
                headers: dict, values_of: dict) -> None:
    """One data value (a DHIS2 row): its element says the measure (and maybe breakdown values), its combo the
    breakdown values; gathered by key so monthly values roll up to their quarter."""
    if not texts["amount"]:
        return
    value = _count(texts["amount"])
    if value is None:
        report.add(where, number, headers["amount"], texts["amount"], "not-a-number",
                   _("{value} is not a whole number from 0 to {maximum}; the value would be left out.").format(
                       value=repr(validate.shown(texts["amount"])), maximum=i18n.active().number(MAX_COUNT)))
        return
    element = _mapped(part, recipes.ELEMENT, texts["element"], context, accept_proposed, pending)
    if element is None:
        pending[(recipes.ELEMENT, texts["element"])]["rows"].append((number, headers["element"]))
        return
    measure, from_element = mapping.element_of(element)
    from_combo: dict[str, str] = {}
    for header, text in zip(headers["combos"], texts["combos"], strict=True):
        if not text:
            continue
        combo = _mapped(part, recipes.COMBO, text, context, accept_proposed, pending)
        if combo is None:
            pending[(recipes.COMBO, text)]["rows"].append((number, header))
            return
        given = mapping.breakdowns_of(combo)
        clash = [k for k in given if k in from_combo and from_combo[k] != given[k]]
        if clash:
            report.add(where, number, header, text, "two-values",
                       _("{text} gives {name} {value} and the other combo {other}; a value has one.").format(
                           text=repr(text), name=clash[0].replace("_", " "), value=repr(given[clash[0]]),
                           other=repr(from_combo[clash[0]])))
            return
        from_combo.update(given)
    record = {**base, **from_combo, **from_element}
    if record.get("project_id") and not record.get("iso3"):
        record["iso3"] = context.project_countries.get(record["project_id"], "")
    lacking = [b for b in breakdowns if not record.get(b)]
    if lacking:
        combo_header = next((h for h, t in zip(headers["combos"], texts["combos"], strict=True) if t), "")
        combo_text = next((t for t in texts["combos"] if t), "")
        report.add(where, number, combo_header or headers["element"], combo_text or texts["element"],
                   "missing-breakdown", _("Nothing gives this value's {names}: map its combo or element to them, or "
                                          "give them a constant in the recipe.").format(names=", ".join(lacking)))
        return
    key = tuple((k, record.get(k, "")) for k in sorted(record) if k in breakdowns or k in recipes.KEYS)
    values_of.setdefault(key, {}).setdefault(measure, []).append((texts["period"], value, number))


def _roll_up(values_of: dict, spec, out: list[tuple[dict, int]], report: validate.Report, where: str, notices: list[str],
             header: str, over: str = "period") -> None:
    """The data values as rows: each key's values summed over the months of its quarter (`over` period) or over
    its submissions (`over` submission); the same measure twice for the same period or submission is refused
    (counted twice)."""
    measures = [c.name for c in spec.columns if c.name not in spec.key]
    rolled = 0
    for key, by_measure in values_of.items():
        record = dict(key)
        rows = []
        for measure in measures:
            found = by_measure.get(measure, [])
            periods = [p for p, _, _ in found]
            repeated = {p for p in periods if periods.count(p) > 1}
            if repeated:
                twice = [r for p, _, r in found if p in repeated]
                report.add(where, twice[1], header, "", "counted-twice",
                           (_("Rows {rows} give the same {measure} for the same period and breakdown: it would be "
                              "counted twice. Keep one.") if over == "period" else
                            _("Rows {rows} give the same {measure} for the same submission and breakdown: it would be "
                              "counted twice. Keep one.")).format(rows=", ".join(map(str, twice[:5])), measure=measure))
            elif over == "period" and len(set(periods)) > 1:
                _overlapping(found, measure, report, where, header)
            rolled += max(0, len(found) - 1)
            record[measure] = str(sum(v for _, v, _ in found))
            rows += [r for _, _, r in found]
        out.append((record, min(rows)))
    if rolled:
        notices.append((_("{count} value(s) of months added up into their quarters.") if over == "period" else
                        _("{count} value(s) of several submissions added up (same project, quarter and "
                          "breakdown).")).format(count=i18n.active().number(rolled)))


def _overlapping(found: list[tuple[str, int, int]], measure: str, report: validate.Report, where: str,
                 header: str) -> None:
    """Refuse values of one quarter and breakdown whose periods overlap (a month and a week of it): counted twice."""
    spans = sorted((span, period, row) for period, _, row in found if (span := calendar.period_span(period)))
    for (a, period_a, row_a), (b, period_b, row_b) in zip(spans, spans[1:]):
        if b[0] <= a[1] and period_a != period_b:
            report.add(where, max(row_a, row_b), header, "", "counted-twice",
                       _("Rows {first} and {second} give {measure} for {period} and {other}, which overlap ({start} "
                         "to {end}), for the same breakdown: the days they share would be counted twice. Keep one "
                         "period type.").format(first=row_a, second=row_b, measure=measure, period=period_a,
                                                other=period_b, start=i18n.active().day(b[0]),
                                                end=i18n.active().day(min(a[1], b[1]))))
            return


def _period(part: recipes.SheetRecipe, text: str, fiscal_year_start: int):
    """The quarter of a sheet's period: where the recipe places it (`values["period"]`, for a period across quarters
    such as DHIS2's '2018S1'), else as the calendar reads it (see `calendar.parse_period`)."""
    entry = part.values.get("period", {}).get(text)
    if entry and entry.get("to"):
        quarter = calendar.parse_quarter(str(entry["to"]))
        if quarter is None:
            raise calendar.NotAQuarter(_("the recipe places {text} in {quarter}, which is not a quarter (write it "
                                         "2018Q3)").format(text=text, quarter=repr(entry["to"])))
        return quarter
    return calendar.parse_period(text, fiscal_year_start, part.day_first)


def _ambiguous(text: str, error: calendar.AmbiguousDate) -> str:
    """Why a date such as 03/04/2018 is refused, in the reader's language: the two days it reads as."""
    words = i18n.active()
    day_first = calendar.parse_day(text, True)
    month_first = calendar.parse_day(text, False)
    if day_first is None or month_first is None:  # one reading outside the years a period may have
        return f"{error}."
    return _("{text} reads as {day} (day first) or {other} (month first): say which in the recipe (day_first: true "
             "when the day comes first).").format(text=text.strip(), day=words.day(day_first),
                                                  other=words.day(month_first))


def _across_quarters(part: recipes.SheetRecipe, text: str, error: calendar.NotAQuarter) -> str:
    """Why a period across quarters (DHIS2's '2018S1') is refused, in the reader's language (the quarters as the
    recipe writes them, 2018Q3); the recipe's own misplacement says so itself."""
    span = calendar.dhis2_span(text)
    if span is None or (part.values.get("period", {}).get(text) or {}).get("to"):
        return f"{error}."
    first, last = span
    words = i18n.active()
    return _("{text} runs from {first} to {last}, across {quarters}: its numbers cannot be split between quarters "
             "(export the data value set by week, month or quarter, or place the period in one quarter in the "
             "recipe's values of period).").format(
        text=text, first=words.day(first), last=words.day(last),
        quarters=", ".join(calendar.quarter_label(q) for q in calendar.quarters_of(first, last)))


@functools.lru_cache(maxsize=1 << 16)  # a sheet's numbers repeat: each text is read once
def _count(text: str) -> int | None:
    """A cell's whole number (1,234 and 12.0 read; anything else None)."""
    value = mapping.number(text)
    if value is None or value < 0 or value > MAX_COUNT or value != int(value):
        return None
    return int(value)


# ---- the change against the version in use, and the import ---------------------------------------------------

def context_of(folder: Path, definition) -> mapping.Context:
    """What a version's projects allow, for matching a sheet's values (ids, titles, countries)."""
    projects = store.read_table(folder, "projects").select(["project_id", "title", "iso3"]).to_pylist()
    return mapping.Context(definition, {p["project_id"]: p["title"] for p in projects},
                           {p["project_id"]: p["iso3"] for p in projects})


def pick_sheets(found: list[sheet_files.Sheet], chosen: recipes.Recipe, report: validate.Report,
                shown: str) -> list[tuple[sheet_files.Sheet, recipes.SheetRecipe]]:
    """Each sheet part of the recipe with the file's sheet of its name (a CSV file, or a recipe of one unnamed
    sheet, takes the first); a sheet the recipe names that the file lacks is refused."""
    pairs = []
    by_name = {s.name: s for s in found}
    for part in chosen.sheets:
        sheet = by_name.get(part.sheet) or (found[0] if found and (not part.sheet or len(chosen.sheets) == 1
                                                                   and len(found) == 1) else None)
        if sheet is None:
            report.add(shown, None, "", part.sheet, "missing-sheet",
                       (_("The recipe maps a sheet called {sheet}, which the file does not have (its sheets: "
                          "{sheets}).") if found else
                        _("The recipe maps a sheet called {sheet}, which the file does not have (it has no "
                          "sheet).")).format(sheet=repr(part.sheet),
                                             sheets=", ".join(s.name or "(CSV)" for s in found)))
            continue
        pairs.append((sheet, part))
    return pairs


@dataclass
class SheetImport:
    """What importing a sheet through a recipe found or did: problems, notices, the preview and the new version."""

    report: validate.Report
    recipe: recipes.Recipe | None = None
    notices: list[str] = field(default_factory=list)
    rows: pd.DataFrame | None = None  # the rows the mapping produces (first table's), with the sheet's row numbers
    changes: pd.DataFrame | None = None  # per table: rows before, after, added, changed, removed
    totals: pd.DataFrame | None = None  # per table and measure: total before and after
    removals: pd.DataFrame | None = None  # rows of the version in use the import would remove
    needs_confirmation: bool = False
    version: str | None = None
    previous: str = ""
    saved: Path | None = None  # the new version's recipes.json, once the recipe is saved in it (--save-recipe)

    @property
    def ok(self) -> bool:
        """True when a new version was written and made active."""
        return self.version is not None

    @property
    def previewed(self) -> bool:
        """True when the sheet mapped cleanly and its change against the version in use is known."""
        return self.report.ok and self.changes is not None

    def summary(self) -> str:
        """One paragraph for people: what was imported, or why not."""
        if not self.report.ok:
            return self.report.summary()
        if self.needs_confirmation:
            n = 0 if self.removals is None else len(self.removals)
            return _("The sheet would remove {count} row(s) of the version in use (listed); nothing was imported. "
                     "Confirm the removals (--confirm-removals, or the tick on the Data page) to import it.").format(
                count=i18n.active().number(n))
        if self.ok:
            return _("Imported as version {version} (was {previous}).").format(version=self.version,
                                                                               previous=self.previous)
        return _("Preview only: nothing was written.")


def _key_index(frame: pd.DataFrame, key: list[str]) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[key].astype(str))


def compare(before: pa.Table, after: pa.Table, key: list[str], measures: list[str]) -> tuple[int, int, int, pd.DataFrame]:
    """Rows added, changed (same key, other numbers) and removed from `before` to `after`, and the removed rows."""
    old = before.to_pandas().set_index(key)
    new = after.to_pandas().set_index(key)
    old.index, new.index = _key_index(old.reset_index(), key), _key_index(new.reset_index(), key)
    both = old.index.intersection(new.index)
    changed = int((old.loc[both, measures].to_numpy() != new.loc[both, measures].to_numpy()).any(axis=1).sum()) \
        if len(both) else 0
    gone = old.index.difference(new.index)
    removed = old.loc[gone].reset_index() if len(gone) else old.iloc[0:0].reset_index()
    return len(new.index.difference(old.index)), changed, len(gone), removed


def import_sheet(path: str | Path, chosen: recipes.Recipe | str, location: str | Path | None = None,
                 programme: str | None = None, accept_proposed: bool = False, confirm_removals: bool = False,
                 dry_run: bool = False, save_as: str | None = None, who: str | None = None,
                 display: str | None = None, limits: readers.Limits = readers.LIMITS) -> SheetImport:
    """Map the sheet(s) of the CSV/Excel file at `path` through a recipe (a `Recipe`, or the name of one saved in
    the programme) and, unless refused, `dry_run` or removals not confirmed, import the rows as one new version
    (see the module). `save_as` saves the recipe under that name in the programme once the import succeeds (a dry
    run writes nothing, the recipe neither)."""
    path = Path(path)
    shown = display or path.name
    report = validate.Report()
    result = SheetImport(report)
    target = programme or (chosen.programme if isinstance(chosen, recipes.Recipe) else None) \
        or store.default_programme(location)
    try:
        into = store.open_store(location, target)
    except (store.StoreError, TypeError) as error:
        report.add(shown, None, "", str(target), "bad-programme", str(error))
        return result
    if isinstance(chosen, str):  # ValueError when the programme has none of that name
        chosen = recipes.load(into, chosen)
    chosen = recipes.copy(chosen)
    if accept_proposed:  # taken as confirmed: a recipe saved from this import says so
        chosen.accept_proposed()
    if save_as is not None:
        recipes.check_name(save_as)
    if chosen.programme and chosen.programme != target:
        report.add(shown, None, "", chosen.programme, "other-programme",
                   _("The recipe maps into the programme '{recipe}', not '{target}'; use --programme {recipe}, or "
                     "propose a mapping for '{target}'.").format(recipe=chosen.programme, target=target))
        return result
    found = sheet_files.read(path, shown, report, limits)
    if not report.ok:
        return result
    with transaction.begin(into) as txn:
        if txn.current is None:
            report.add(shown, None, "", target, "no-version", _("The programme '{programme}' has no data yet: import "
                                                                "its extract first.").format(programme=target))
            return result
        current = txn.current
        result.previous = current.version
        definition = store.load_definition(current.path)
        context = context_of(current.path, definition)
        tidied = [t for sheet, part in pick_sheets(found, chosen, report, shown)
                  if (t := tidy(sheet, part, context, report, accept_proposed)) is not None]
        if not report.ok or not tidied:
            return result
        for t in tidied:
            result.notices.extend(f"{t.file}: {n}" for n in t.notices)
        in_use = {name: store.read_table(current.path, name).cast(schema.arrow_schema(name, definition))
                  for name in schema.TABLE_NAMES}
        projects = _with_attributes(in_use["projects"], tidied, report)
        imported = sorted({t.table for t in tidied})
        raws = []
        for name in imported:
            frame = pd.concat([t.frame for t in tidied if t.table == name], ignore_index=True)
            spec = schema.table(name, definition)
            raws.append(validate.RawTable(name, " + ".join(t.file for t in tidied if t.table == name),
                                          spec.column_names,
                                          {c: pa.array(frame[c].astype(str).tolist(), pa.string())
                                           for c in spec.column_names},
                                          frame["_row"].to_numpy(dtype=np.int64)))
        result.rows = pd.concat([t.frame for t in tidied], ignore_index=True).rename(columns={"_row": "sheet row"})
        others = {name: (projects if name == "projects" else table,
                         _("{table} in version {version} (in use)").format(table=name, version=current.version))
                  for name, table in in_use.items() if name not in imported}
        typed = validate.validate(raws, others, report, definition)
        if not report.ok:
            return result
        tables = dict(in_use)
        tables["projects"] = projects
        changes, totals, removals = [], [], []
        for name in imported:
            spec = schema.table(name, definition)
            key, measures = list(spec.key), [c.name for c in spec.columns if c.name not in spec.key]
            new = typed[name].cast(schema.arrow_schema(name, definition))
            scope = new.select(["project_id", "period"]).group_by(["project_id", "period"]).aggregate([])
            old = tables[name]
            inside = pc.is_in(pc.binary_join_element_wise(old["project_id"], pc.cast(old["period"], pa.string()), "|"),
                              value_set=pc.binary_join_element_wise(scope["project_id"],
                                                                    pc.cast(scope["period"], pa.string()), "|"))
            before = old.filter(inside)
            tables[name] = pa.concat_tables([old.filter(pc.invert(inside)), new])
            added, changed, removed, gone = compare(before, new, key, measures)
            changes.append({"table": name, "rows before": old.num_rows, "rows after": tables[name].num_rows,
                            "added": added, "changed": changed, "removed": removed})
            for measure in measures if name != "outcomes" else ["value"]:
                totals.append({"table": name, "measure": measure, "before": int(pc.sum(old[measure]).as_py() or 0),
                               "after": int(pc.sum(tables[name][measure]).as_py() or 0)})
            for record in gone.to_dict("records"):
                removals.append({"table": name, "row": " · ".join(str(record[k]) for k in key),
                                 **{m: record[m] for m in measures}})
        themed = _changed_projects(in_use["projects"], projects)
        if themed:
            changes.append({"table": "projects", "rows before": projects.num_rows, "rows after": projects.num_rows,
                            "added": 0, "changed": themed, "removed": 0})
        result.changes = pd.DataFrame(changes, columns=["table", "rows before", "rows after", "added", "changed",
                                                        "removed"])
        result.totals = pd.DataFrame(totals, columns=["table", "measure", "before", "after"])
        result.removals = (pd.DataFrame(removals).astype(object).fillna("") if removals
                           else pd.DataFrame(columns=["table", "row"]))
        result.recipe = chosen
        if dry_run:  # writes nothing, not even the recipe
            return result
        if removals and not confirm_removals:
            result.needs_confirmation = True
            return result
        if save_as is not None:
            chosen.name = save_as
        files_in_use = store.table_files(current.path)
        changed_tables = [*imported, *(["projects"] if themed else [])]
        write = {name: tables[name] if name in changed_tables else files_in_use.get(name, tables[name])
                 for name in schema.TABLE_NAMES}
        label = f"{shown} imported through the recipe {chosen.name or '(not saved)'}"
        source = {**transaction.source(shown, path), "recipe": chosen.name or "",
                  "recipe_sha256": recipes.checksum(chosen), "recipe_json": chosen.to_dict()}  # the version keeps it
        kept = recipes.with_saved(current.path, chosen, save_as) if save_as is not None else None
        result.version = txn.commit(tables=write, definition=definition, who=who, label=label[:300],
                                    replaced_tables=sorted(changed_tables), sources=[source], recipes=kept)
        if save_as is not None:
            result.saved = into.version_path(result.version) / store.RECIPES
        return result


def _with_attributes(projects: pa.Table, tidied: list[Tidy], report: validate.Report) -> pa.Table:
    """The projects table with the attributes the sheets give (a project's theme) set."""
    updates: dict[str, dict[str, str]] = {}
    for t in tidied:
        for project, values in t.attributes.items():
            for column, (value, _row) in values.items():
                updates.setdefault(column, {})[project] = value
    for column, by_project in updates.items():
        ids = projects["project_id"].to_pylist()
        current = projects[column].to_pylist()
        values = [by_project.get(pid, old) for pid, old in zip(ids, current, strict=True)]
        projects = projects.set_column(projects.schema.get_field_index(column), column, pa.array(values, pa.string()))
    return projects


def _changed_projects(before: pa.Table, after: pa.Table) -> int:
    """How many projects' rows differ."""
    return sum(1 for a, b in zip(before.to_pylist(), after.to_pylist(), strict=True) if a != b)


# The headings of the tables this module gives people (the proposal, the rows, the change, the totals, the
# removals), marked for the catalogue: shown in the reader's language, the frames' own columns stay these names.
HEADINGS = {"column": N_("column"), "first values": N_("first values"), "role": N_("role"), "maps to": N_("maps to"),
            "why": N_("why"), "sheet row": N_("sheet row"), "table": N_("table"), "rows before": N_("rows before"),
            "rows after": N_("rows after"), "added": N_("added"), "changed": N_("changed"), "removed": N_("removed"),
            "measure": N_("measure"), "before": N_("before"), "after": N_("after"), "row": N_("row"),
            "text": N_("text"), "count": N_("count"), "rows": N_("rows"), "breakdown values": N_("breakdown values"),
            "several chosen": N_("several chosen")}


def headings(frame: pd.DataFrame) -> dict[str, str]:
    """The headings of `frame`'s columns in the active language (a column of the product's tables keeps its name)."""
    return {column: _(HEADINGS[column]) if column in HEADINGS else column for column in frame.columns}


def frame_of_proposal(proposal: mapping.SheetProposal) -> pd.DataFrame:
    """One row per column of a sheet's proposal, for people: header, first values, role, target, why."""
    rows = []
    for column in proposal.columns:
        m = column.mapping
        target = (m.column or "") if m.role != "value" else \
            _("{measure} for {values}").format(measure=m.measure,
                                               values=", ".join(f"{k} {v}" for k, v in m.dimensions.items()))
        rows.append({"column": column.header, "first values": " | ".join(column.first), "role": m.role,
                     "maps to": target, "why": m.why})
    return pd.DataFrame(rows, columns=["column", "first values", "role", "maps to", "why"])
