"""Validation of an extract before import: every problem, named by file, row, column, value and rule.

Driven by `impact.model.schema` (types, allowed values, references, minimum and maximum, keys)
plus cross-table rules that catch totals and dates that cannot be right. Readers
(`impact.ingest.readers`) hand over each file as text columns with the row numbers people see in
the file; this module parses them into typed Arrow tables, checks them vectorised (so a
million rows take seconds) and collects problems into a `Report`, counting all of them
and keeping the first few of each kind with their details.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from impact.model import calendar, cells, i18n, iso3166, schema
from impact.model.i18n import N_
from impact.model.i18n import gettext as _
from impact.model.programme import FILE as DEFINITION
from impact.model.programme import NOT_KNOWN

ARROW_TYPES = {"VARCHAR": pa.string(), "DATE": pa.date32(), "BIGINT": pa.int64(), "DOUBLE": pa.float64()}
TEXT_MAX = 500  # characters in one text cell (titles are well under 200)
DETAILS_PER_KIND = 20  # problems kept in detail per file, column and rule; all are counted
DETAILS_MAX = 2000  # problems kept in detail per report

_INTEGER = r"^[+]?[0-9]{1,15}(\.0*)?$"
_NEGATIVE = r"^-[0-9]{1,15}(\.0*)?$"
_THOUSANDS = r"^[0-9]{1,3}(,[0-9]{3}){1,4}$"
_DECIMAL = r"^[+-]?[0-9]*\.[0-9]+$|^[+-]?[0-9]+\.[0-9]*$"
_LARGE = r"^[+]?([0-9]{16,}(\.0*)?|[0-9]*\.?[0-9]+[eE][+]?[0-9]{1,4})$"  # 1e15, 1E+22, 20 digits: a number, too large
_LARGE_FROM = 1e15  # the smallest number written that way a count cannot be (whole numbers stop at 15 digits)
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]00:00(:00(\.0+)?)?)?$"
_CONTROL = r"[\x00-\x1f\x7f]"
# A problem's parts as a table or a CSV heads them (the Data page, the downloads), in the reader's language.
HEADINGS = {"file": N_("file"), "row": N_("row"), "column": N_("column"), "value": N_("value"), "rule": N_("rule"),
            "message": N_("message"), "count": N_("count")}
# Where a problem is in its file, by what its rows count: a file's rows, an IATI file's lines, the data in use's records.
_WHERE = {"row": N_("{file}, row {row}"), "line": N_("{file}, line {row}"), "record": N_("{file}, record {row}")}


@dataclass(frozen=True)
class Problem:
    """One problem: where it is (file, row, column), what is there, which rule it breaks and why."""

    file: str
    row: int | None
    column: str
    value: str
    rule: str
    message: str


@dataclass
class RawTable:
    """A table as read from a file: text columns and the row number of each data row in the file."""

    table: str
    file: str
    header: list[str]
    columns: dict[str, pa.Array]
    rows: np.ndarray
    row_label: str = "row"


class Report:
    """All problems of one import: counted in full, the first of each kind kept with details."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.total = 0
        self.kinds: Counter = Counter()
        self.files: dict[str, int] = {}
        self.row_label = "row"  # what a problem's row counts in its file (an IATI file's: its lines)
        self.notes: list[str] = []  # what was read in a way the person should know (not problems): a formula's value

    def note(self, text: str) -> None:
        """Record something the person should know about how a file was read (kept, not counted as a problem)."""
        if len(self.notes) < DETAILS_MAX:
            self.notes.append(text)

    @property
    def ok(self) -> bool:
        """True when there is no problem at all."""
        return self.total == 0

    def add(self, file: str, row: int | None, column: str, value, rule: str, message: str, count: int = 1) -> None:
        """Record a problem (counted `count` times; details kept while under the limits)."""
        self.total += count
        kind = (file, column, rule)
        seen = self.kinds[kind]
        self.kinds[kind] += count
        if seen < DETAILS_PER_KIND and len(self.problems) < DETAILS_MAX:
            self.problems.append(Problem(file, row, column, shown(value), rule, message))

    def summary(self) -> str:
        """One sentence in the reader's language: how many problems, in how many files, or that all is well."""
        words = i18n.active()
        if self.ok:
            rows = sum(self.files.values())
            return _("No problems found in {files} file(s), {rows} rows.").format(
                files=words.number(len(self.files)), rows=words.number(rows))
        files = len({k[0] for k in self.kinds})
        return _("{count} problem(s) found in {files} file(s); nothing was imported and the data in use is unchanged. "
                 "Fix them and import again.").format(count=words.number(self.total), files=words.number(files))

    def by_kind(self) -> pd.DataFrame:
        """Problem counts per file, column and rule."""
        rows = [{"file": f, "column": c, "rule": r, "count": n} for (f, c, r), n in self.kinds.items()]
        return pd.DataFrame(rows, columns=["file", "column", "rule", "count"])

    def where(self, problem: Problem) -> str:
        """Where a problem is, in the reader's language: 'training.csv, row 12, column trainees'."""
        place = (_(_WHERE.get(self.row_label, _WHERE["row"])).format(file=problem.file, row=problem.row)
                 if problem.row is not None else problem.file)
        return place + (_(", column {column}").format(column=problem.column) if problem.column else "")

    def ordered(self) -> list[Problem]:
        """The problems kept in detail, by file and then row (file-level problems first)."""
        return sorted(self.problems, key=lambda p: (p.file, -1 if p.row is None else p.row))

    def to_frame(self) -> pd.DataFrame:
        """The problems kept in detail, one per row, by file and row."""
        frame = pd.DataFrame([p.__dict__ for p in self.ordered()],
                             columns=["file", "row", "column", "value", "rule", "message"])
        return frame.astype({"row": "Int64"})

    def to_text(self, limit: int = 50) -> str:
        """The report as plain text for the command line: summary, the first `limit` problems, counts."""
        words = i18n.active()
        lines = [self.summary(), *(_("note: {note}").format(note=n) for n in self.notes)]
        if self.ok:
            return "\n".join(lines)
        for p in self.ordered()[:limit]:
            lines.append(f"- {self.where(p)}: {p.message} [{p.rule}]")
        hidden = self.total - min(limit, len(self.problems))
        if hidden > 0:
            lines.append(_("… and {count} more. Counts by file, column and rule:").format(count=words.number(hidden)))
            for (f, c, r), n in sorted(self.kinds.items()):
                lines.append(f"  {f} | {c or '-'} | {r}: {words.number(n)}")
        return "\n".join(lines)

    def to_csv(self) -> bytes:
        """The detailed problems as CSV (UTF-8 with BOM, formula-leading text neutralised), headed in the reader's
        language."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_(HEADINGS[name]) for name in ("file", "row", "column", "value", "rule", "message")])
        for p in self.ordered():
            writer.writerow([cells.neutralise(str(v)) if v is not None else "" for v in
                             (p.file, p.row, p.column, p.value, p.rule, p.message)])
        if self.total > len(self.problems):
            writer.writerow([_("… {count} more problems not listed").format(
                count=i18n.active().number(self.total - len(self.problems))), "", "", "", "", ""])
        return ("\ufeff" + out.getvalue()).encode("utf-8")


def shown(value) -> str:
    """A value as it appears in a message: printable and at most 60 characters."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text[:200])
    return text if len(text) <= 60 else text[:57] + "…"


# ---- one table at a time ------------------------------------------------------------------

@dataclass
class Checked:
    """A table after its own checks: typed columns (null where invalid) and how to point at its rows."""

    name: str
    file: str
    rows: np.ndarray
    typed: dict[str, pa.Array] = field(default_factory=dict)
    text: dict[str, pa.Array] = field(default_factory=dict)
    imported: bool = True
    row_label: str = "row"
    spec: schema.Table | None = None  # the table with the programme's disaggregations (default: the schema's)

    def value(self, column: str, index: int) -> str:
        """The value of `column` at data row `index` as it was written."""
        source = self.text.get(column)
        if source is None:
            source = self.typed.get(column)
        if source is None:
            return ""
        item = source[int(index)].as_py()
        return "" if item is None else str(item)

    def row(self, index: int) -> int:
        """The row number people see for data row `index`."""
        return int(self.rows[int(index)])

    def valid(self, column: str) -> np.ndarray:
        """Which rows hold a valid value in `column`."""
        values = self.typed.get(column)
        if values is None:
            return np.zeros(len(self.rows), dtype=bool)
        return ~np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)

    def series(self, column: str) -> pd.Series:
        """`column` as a pandas Series (typed, missing where invalid)."""
        return self.typed[column].to_pandas()

    def table(self) -> pa.Table:
        """The typed table in schema order (only meaningful when no problem was found)."""
        spec = self.spec or schema.table(self.name)
        return pa.table({c.name: self.typed[c.name] for c in spec.columns},
                        schema=pa.schema([(c.name, ARROW_TYPES[c.type]) for c in spec.columns]))


def _mask(array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _flag(report: Report, t: Checked, column: str, mask: np.ndarray, rule: str,
          message: Callable[[str, int], str] | str) -> None:
    idx = np.flatnonzero(mask)
    if not len(idx):
        return
    kind = (t.file, column, rule)
    for n, i in enumerate(idx):
        if n >= DETAILS_PER_KIND or len(report.problems) >= DETAILS_MAX:
            remaining = len(idx) - n
            report.total += remaining
            report.kinds[kind] += remaining
            return
        value = t.value(column, i)
        text = message(value, int(i)) if callable(message) else message
        report.add(t.file, t.row(i), column, value, rule, text)


def _allowed_list(values: tuple[str, ...]) -> str:
    return ", ".join(values) if len(values) <= 12 else ", ".join(values[:12]) + ", …"


def _suggest(value: str, allowed: tuple[str, ...]) -> str:
    lowered = {a.lower().replace(" ", ""): a for a in allowed}
    hit = lowered.get(value.lower().replace(" ", "").replace("_", "").replace("-", ""))
    if hit is None:
        hit = lowered.get(value.lower().replace(" ", ""))
    return " " + _("Did you mean '{value}'?").format(value=hit) if hit and hit != value else ""


def _where_defined(col: schema.Column) -> str:
    if col.vocabulary == "phase":
        return " " + _("Phases are listed under phases in {file}.").format(file=DEFINITION)
    if col.vocabulary == "indicator":
        return " " + _("Indicators are listed under indicators in {file}.").format(file=DEFINITION)
    if col.vocabulary in (schema.SIDE, schema.ROLE):
        return " " + _("The sides are named under home.sides in {file} (a role is a side's label and lead or "
                       "partner).").format(file=DEFINITION)
    if col.vocabulary:
        return " " + _("To allow it, add it to vocabularies.{vocabulary} in {file}.").format(
            vocabulary=col.vocabulary, file=DEFINITION)
    return ""


def _parse_integer(report: Report, t: Checked, col: schema.Column, text: pa.Array) -> pa.Array:
    empty = _mask(pc.equal(text, ""))
    plain = _mask(pc.match_substring_regex(text, _INTEGER))
    grouped = _mask(pc.match_substring_regex(text, _THOUSANDS))
    negative = _mask(pc.match_substring_regex(text, _NEGATIVE))
    decimal = _mask(pc.match_substring_regex(text, _DECIMAL)) & ~plain
    large = _mask(pc.match_substring_regex(text, _LARGE)) & ~(plain | decimal)
    if large.any():
        sizes = pc.cast(pc.if_else(pa.array(large), text, pa.scalar(None, pa.string())), pa.float64())
        large &= np.nan_to_num(sizes.to_numpy(zero_copy_only=False).astype("float64"), nan=0) >= _LARGE_FROM
    good = plain | grouped | negative
    cleaned = pc.replace_substring_regex(text, r"^\+|\.0*$|,", "")
    numbers = pc.cast(pc.if_else(pa.array(good), cleaned, pa.scalar(None, pa.string())), pa.int64())
    words = i18n.active()
    _flag(report, t, col.name, decimal, "not-whole",
          lambda v, i: _("'{value}' is not a whole number; {column} counts whole units (e.g. 12).").format(
              value=v, column=col.name))
    limit = (_("at most {maximum}").format(maximum=words.number(col.maximum)) if col.maximum is not None
             else _("a whole number of at most 15 digits"))
    _flag(report, t, col.name, large, "above-maximum",
          lambda v, i: _("{value} is larger than any {column} can be ({limit} in one row); check for a typing error, "
                         "a total pasted into a row or a cell formatted as a date or a code.").format(
              value=v, column=col.name, limit=limit))
    other = ~(empty | good | decimal | large)
    _flag(report, t, col.name, other, "not-a-number",
          lambda v, i: _("'{value}' is not a number; write {column} as a whole number such as 12, without units or "
                         "text.").format(value=v, column=col.name))
    values = numbers.to_numpy(zero_copy_only=False)
    known = ~np.isnan(values.astype("float64")) if values.dtype.kind == "f" else ~_mask(numbers.is_null())
    valid = known.copy()
    if col.minimum is not None:
        below = known & (np.nan_to_num(values.astype("float64"), nan=0) < col.minimum)
        if col.minimum == 0:
            msg = lambda v, i: _("{value} is negative; {column} cannot be less than {minimum}.").format(  # noqa: E731
                value=v, column=col.name, minimum=words.decimal(0))
        else:
            msg = lambda v, i: _("{value} is below the smallest allowed {column}, {minimum}.").format(  # noqa: E731
                value=v, column=col.name, minimum=words.decimal(col.minimum))
        _flag(report, t, col.name, below, "below-minimum", msg)
        valid &= ~below
    if col.maximum is not None:
        above = known & (np.nan_to_num(values.astype("float64"), nan=0) > col.maximum)
        _flag(report, t, col.name, above, "above-maximum",
              lambda v, i: _("{value} is larger than {maximum}, more than any one row can hold; check for a typing "
                             "error or a total pasted into a row.").format(value=v, maximum=words.number(col.maximum)))
        valid &= ~above
    return pc.if_else(pa.array(valid), numbers, pa.scalar(None, pa.int64()))


def _parse_number(report: Report, t: Checked, col: schema.Column, text: pa.Array) -> pa.Array:
    """A column of numbers that may have decimals (12, 12.5, 13,000): bounds checked like whole numbers."""
    empty = _mask(pc.equal(text, ""))
    shaped = pc.match_substring_regex(text, r"^[+-]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]+)?$|^[+-]?\.[0-9]+$")
    cleaned = pc.replace_substring(text, ",", "")
    numbers = pc.cast(pc.if_else(shaped, cleaned, pa.scalar(None, pa.string())), pa.float64())
    words = i18n.active()
    _flag(report, t, col.name, ~empty & _mask(numbers.is_null()), "not-a-number",
          lambda v, i: _("'{value}' is not a number; write {column} as a number such as 13000 or 0.5, without units "
                         "or text.").format(value=v, column=col.name))
    values = numbers.to_numpy(zero_copy_only=False).astype("float64")
    known = ~np.isnan(values)
    valid = known.copy()
    if col.minimum is not None:
        below = known & (np.where(known, values, 0) < col.minimum)
        _flag(report, t, col.name, below, "below-minimum",
              lambda v, i: _("{value} is negative; {column} cannot be less than {minimum}.").format(
                  value=v, column=col.name, minimum=words.decimal(col.minimum)))
        valid &= ~below
    if col.maximum is not None:
        above = known & (np.where(known, values, 0) > col.maximum)
        _flag(report, t, col.name, above, "above-maximum",
              lambda v, i: _("{value} is larger than {maximum}; check for a typing error.").format(
                  value=v, maximum=words.number(col.maximum)))
        valid &= ~above
    return pc.if_else(pa.array(valid), numbers, pa.scalar(None, pa.float64()))


def _parse_date(report: Report, t: Checked, col: schema.Column, text: pa.Array) -> pa.Array:
    shaped = _mask(pc.match_substring_regex(text, _DATE))
    empty = _mask(pc.equal(text, ""))
    day_text = pc.utf8_slice_codeunits(text, 0, 10)
    candidates = pc.if_else(pa.array(shaped), day_text, pa.scalar(None, pa.string()))
    try:  # fast path: every well-shaped value is a real calendar date
        days = pc.cast(candidates, pa.date32())
        good = shaped
    except pa.ArrowInvalid:
        parsed = pc.strptime(candidates, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2019-02-30 over to 2019-03-02: a real date formats back to the same text.
        good = shaped & _mask(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), day_text))
        days = pc.cast(pc.if_else(pa.array(good), parsed, pa.scalar(None, pa.timestamp("s"))), pa.date32())
    _flag(report, t, col.name, ~(good | empty), "not-a-date",
          lambda v, i: _("'{value}' is not a date; write dates as YYYY-MM-DD, e.g. 2016-07-01.").format(value=v))
    return days


def _check_text(report: Report, t: Checked, col: schema.Column, text: pa.Array, programme) -> pa.Array:
    valid = ~_mask(pc.equal(text, ""))
    long = _mask(pc.greater(pc.utf8_length(text), TEXT_MAX))
    _flag(report, t, col.name, long, "too-long",
          _("The text is longer than {count} characters; shorten it.").format(count=i18n.active().number(TEXT_MAX)))
    control = _mask(pc.match_substring_regex(text, _CONTROL)) & ~long
    _flag(report, t, col.name, control, "control-character",
          _("The text contains a line break, tab or other control character; keep it on one line."))
    valid &= ~(long | control)
    allowed_values = schema.allowed(col, programme)
    if allowed_values is not None:
        outside = valid & ~_mask(pc.is_in(text, value_set=pa.array(allowed_values, pa.string())))
        said = (_("'{value}' is not an allowed {column} in {programme}'s definition. Allowed: {allowed}.")
                if col.vocabulary else _("'{value}' is not an allowed {column}. Allowed: {allowed}."))
        _flag(report, t, col.name, outside, "not-allowed",
              lambda v, i: said.format(value=v, column=col.name, programme=programme.short_name,
                                       allowed=_allowed_list(allowed_values))
                           + _suggest(v, allowed_values) + _where_defined(col))
        valid &= ~outside
    if col.name == "iso3":
        codes = pa.array(sorted(iso3166.ALPHA3))
        # XAA-XZZ: a country not known (ISO's user-assigned range; an IATI activity naming a region only): a
        # countries row named so, which the other tables' rows refer to (a typo such as XYZ is still refused)
        not_known = _mask(pc.match_substring_regex(text, r"^X[A-Z]{2}$"))
        if t.name == "countries":
            names = t.text.get("name")
            named = _mask(pc.equal(names, iso3166.NOT_KNOWN_NAME)) if names is not None else np.zeros(len(text), bool)
            not_known = not_known & named
        elif col.references != "countries.iso3":  # an institution's country is a country
            not_known = np.zeros(len(text), bool)
        unknown = valid & ~_mask(pc.is_in(text, value_set=codes)) & ~not_known
        _flag(report, t, col.name, unknown, "unknown-iso3",
              lambda v, i: _("'{value}' is not an ISO 3166-1 alpha-3 country code (three capital letters, e.g. UGA for "
                             "Uganda, GBR for the United Kingdom; XAA to XZZ only for a row named '{name}').").format(
                  value=v, name=iso3166.NOT_KNOWN_NAME))
        valid &= ~unknown
    return pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))


def _rename_old_columns(raw: RawTable, spec: schema.Table, report: Report) -> None:
    """Read a column under the name older extracts give it (budget_gbp for budget), and say so in the report."""
    for col in spec.columns:
        old = next((o for o in col.old_names if o in raw.header), None)
        if old is None or col.name in raw.header:
            continue
        raw.header = [col.name if name == old else name for name in raw.header]
        raw.columns = {(col.name if name == old else name): values for name, values in raw.columns.items()}
        report.note(_("{file}: the column {old} is read as {column} ({old} is its name in older extracts; the values "
                      "are unchanged).").format(file=raw.file, old=old, column=col.name))


def check_table(raw: RawTable, report: Report, programme) -> Checked:
    """Check one table's columns, types and values; return it typed (invalid cells null)."""
    spec = schema.table(raw.table, programme)
    t = Checked(raw.table, raw.file, raw.rows, text=dict(raw.columns), row_label=raw.row_label, spec=spec)
    report.files[raw.file] = len(raw.rows)
    header_row = 0 if raw.row_label == "record" else 1
    _rename_old_columns(raw, spec, report)
    present = set(raw.header)
    for col in spec.columns:
        if col.name not in present:
            report.add(raw.file, header_row or None, col.name, "", "missing-column",
                       _("The column '{column}' is missing ({description}). Columns needed: {columns}.").format(
                           column=col.name, description=_(col.description), columns=", ".join(spec.column_names)))
    for name in raw.header:
        if name not in spec.column_names:
            hint = _suggest(name, tuple(spec.column_names))
            report.add(raw.file, header_row or None, name, name, "unknown-column",
                       _("'{column}' is not a column of {table}.").format(column=name, table=raw.table) + hint + " "
                       + _("Columns allowed: {columns}.").format(columns=", ".join(spec.column_names)))
    for col in spec.columns:
        if col.name not in raw.columns:
            continue
        text = raw.columns[col.name]
        empty = _mask(pc.equal(text, ""))
        if not col.nullable:
            _flag(report, t, col.name, empty, "missing-value",
                  _("This cell is empty; every row needs a {column} ({description}).").format(
                      column=col.name, description=_(col.description)))
        if col.type == "BIGINT":
            t.typed[col.name] = _parse_integer(report, t, col, text)
        elif col.type == "DATE":
            t.typed[col.name] = _parse_date(report, t, col, text)
        elif col.type == "VARCHAR":
            t.typed[col.name] = _check_text(report, t, col, text, programme)
        else:  # DOUBLE
            t.typed[col.name] = _parse_number(report, t, col, text)
    _check_periods(report, t, programme)
    _check_key(report, t, spec)
    return t


def from_current(name: str, table: pa.Table, label: str, programme=None, report: Report | None = None) -> Checked:
    """A table of the version in use, already valid, to check imported tables against; a column the programme
    declares and the table lacks (a disaggregation added to the definition) is reported and read as empty."""
    spec = schema.table(name, programme)
    t = Checked(name, label, np.arange(1, table.num_rows + 1), imported=False, row_label="record", spec=spec)
    for col in spec.columns:
        stored = next((n for n in (col.name, *col.old_names) if n in table.column_names), None)
        if stored is not None:  # a version stored before a column was renamed holds it under its old name
            t.typed[col.name] = table.column(stored).combine_chunks()
            continue
        t.typed[col.name] = pa.nulls(table.num_rows, ARROW_TYPES[col.type])
        if report is not None and table.num_rows:
            report.add(label, None, col.name, "", "missing-column",
                       _("The definition declares the column '{column}' ({description}), which the data in use does "
                         "not have; import {table} with it.").format(column=col.name, description=_(col.description),
                                                                       table=name))
    return t


def _check_periods(report: Report, t: Checked, programme) -> None:
    if "period" not in t.typed:
        return
    days = t.typed["period"]
    month = _mask(pc.is_in(pc.month(days), value_set=pa.array(calendar.QUARTER_MONTHS))) & _mask(pc.equal(pc.day(days), 1))
    valid = t.valid("period")
    _flag(report, t, "period", valid & ~month, "not-quarter-start",
          lambda v, i: _("{value} is not the first day of a quarter; periods are quarters written as their first day: "
                         "YYYY-01-01, YYYY-04-01, YYYY-07-01 or YYYY-10-01.").format(value=v))
    outside = _outside_programme(t, "period", programme)
    _flag(report, t, "period", outside, "outside-programme",
          lambda v, i: _("{value} is outside the programme, which runs from {start} to {end} (start and end in "
                         "{file}).").format(value=v, start=programme.start, end=programme.end, file=DEFINITION))
    t.typed["period"] = pc.if_else(pa.array(valid & month & ~outside), days, pa.scalar(None, pa.date32()))


def _check_key(report: Report, t: Checked, spec: schema.Table) -> None:
    if not all(k in t.typed for k in spec.key):
        return
    # An empty cell of a key column that may be empty (a programme target's project) is a value of its own.
    nullable = {c.name for c in spec.columns if c.nullable}
    keys = pa.table({k: pc.fill_null(t.typed[k], "") if k in nullable else t.typed[k] for k in spec.key}
                    | {"__row": pa.array(np.arange(len(t.rows)))})
    complete = np.ones(len(t.rows), dtype=bool)
    for k in spec.key:
        if k not in nullable:
            complete &= t.valid(k)
    keys = keys.filter(pa.array(complete))
    groups = keys.group_by(list(spec.key)).aggregate([("__row", "min"), ("__row", "count")])
    repeated = groups.filter(pc.greater(groups["__row_count"], 1))
    if repeated.num_rows == 0:
        return
    joined = keys.join(repeated.select(list(spec.key) + ["__row_min"]), list(spec.key), join_type="inner",
                       use_threads=False)
    rows = joined["__row"].to_numpy()
    first = joined["__row_min"].to_numpy()
    duplicate = np.zeros(len(t.rows), dtype=bool)
    first_for = np.zeros(len(t.rows), dtype=np.int64)
    duplicate[rows] = rows != first
    first_for[rows] = first
    column = spec.key[-1]
    described = " and ".join(spec.key) if len(spec.key) > 1 else spec.key[0]

    def message(value: str, i: int) -> str:
        values = ", ".join(t.value(k, i) for k in spec.key)
        said = {"line": _("Duplicate: line {row} already has the same {key} ({values}); each {table} row must be "
                          "unique on {key}."),
                "record": _("Duplicate: record {row} already has the same {key} ({values}); each {table} row must be "
                            "unique on {key}.")}.get(t.row_label) or _(
            "Duplicate: row {row} already has the same {key} ({values}); each {table} row must be unique on {key}.")
        return said.format(row=t.row(first_for[i]), key=described, values=values, table=spec.name)

    _flag(report, t, column, duplicate, "duplicate-key", message)


# ---- across tables ------------------------------------------------------------------------

def check_extract(tables: dict[str, Checked], report: Report, programme, definition_changed: bool = False) -> None:
    """Check references and cross-table rules over the full set (imported plus tables in use)."""
    for t in tables.values():
        for col in (t.spec or schema.table(t.name)).columns:
            if col.references and col.name in t.typed:
                _check_reference(report, t, col, tables)
        if definition_changed and not t.imported:
            _check_in_use(report, t, programme)
    _check_project_dates(report, tables, programme, definition_changed)
    _check_results_in_project(report, tables)
    _check_shares(report, tables, programme)
    _check_volunteer_days(report, tables)
    _check_sides(report, tables, programme.home, definition_changed)
    _check_targets(report, tables, programme)


def _relevant(tables: dict[str, Checked], *names: str) -> bool:
    """Cross checks run when one of their tables is imported (tables in use were already checked)."""
    return all(n in tables for n in names) and any(tables[n].imported for n in names)


def _check_reference(report: Report, t: Checked, col: schema.Column, tables: dict[str, Checked]) -> None:
    target_name, target_col = col.references.split(".")
    target = tables.get(target_name)
    if target is None or target_col not in target.typed or not _relevant(tables, t.name, target_name):
        return
    if target.imported and not target.valid(target_col).any():
        return  # the target column is unusable; its own problems are already reported
    known = pc.drop_null(target.typed[target_col]).unique()
    missing = t.valid(col.name) & ~_mask(pc.is_in(t.typed[col.name], value_set=known))
    where = target.file
    _flag(report, t, col.name, missing, "unknown-reference",
          lambda v, i: _("'{value}' is not a {target} in {file}; add it there or correct this {column}.").format(
              value=v, target=target_col, file=where, column=col.name))


def _project_frame(tables: dict[str, Checked], *columns: str) -> pd.DataFrame | None:
    projects = tables.get("projects")
    if projects is None or not all(c in projects.typed for c in ("project_id",) + columns):
        return None
    frame = pd.DataFrame({c: projects.series(c) for c in ("project_id",) + columns})
    return frame.dropna().drop_duplicates("project_id")


def _check_in_use(report: Report, t: Checked, programme) -> None:
    """Values of a table in use that a newly imported definition no longer allows."""
    for col in (t.spec or schema.table(t.name)).columns:
        allowed_values = schema.allowed(col, programme)
        if not col.vocabulary or allowed_values is None or col.name not in t.typed:
            continue
        values = t.typed[col.name]
        outside = t.valid(col.name) & ~_mask(pc.is_in(values, value_set=pa.array(allowed_values, pa.string())))
        where = ("phases" if col.vocabulary == "phase" else "indicators" if col.vocabulary == "indicator" else
                 "home.sides" if col.vocabulary in (schema.SIDE, schema.ROLE) else f"vocabularies.{col.vocabulary}")
        _flag(report, t, col.name, outside, "dropped-by-definition",
              lambda v, i, where=where: _("'{value}' is used by the data in use, but {key} in {file} no longer lists "
                                          "it; add it back, or import this table without it.").format(
                  value=v, key=where, file=DEFINITION))
    if "period" in t.typed:
        outside = _outside_programme(t, "period", programme)
        _flag(report, t, "period", outside, "outside-programme",
              lambda v, i: _("{value} is used by the data in use, but the programme in {file} runs from {start} to "
                             "{end}.").format(value=v, file=DEFINITION, start=programme.start, end=programme.end))


def _check_project_dates(report: Report, tables: dict[str, Checked], programme, definition_changed: bool) -> None:
    t = tables.get("projects")
    if t is None or not (t.imported or definition_changed) or not all(c in t.typed for c in ("start_date", "end_date")):
        return
    start, end = t.typed["start_date"], t.typed["end_date"]
    both = t.valid("start_date") & t.valid("end_date")
    if t.imported:
        _flag(report, t, "end_date", both & _mask(pc.less(end, start)), "end-before-start",
              lambda v, i: _("The grant ends ({end}) before it starts ({start}).").format(
                  end=v, start=t.value("start_date", i)))
    first = pa.scalar(programme.start, pa.date32())
    last = pa.scalar(programme.end, pa.date32())
    _flag(report, t, "start_date", t.valid("start_date") & _mask(pc.less(start, first)), "outside-programme",
          lambda v, i: _("{value} is before the programme starts ({start}, in {file}).").format(
              value=v, start=programme.start, file=DEFINITION))
    _flag(report, t, "end_date", t.valid("end_date") & _mask(pc.greater(end, last)), "outside-programme",
          lambda v, i: _("{value} is after the programme ends ({end}, in {file}).").format(
              value=v, end=programme.end, file=DEFINITION))
    if "phase" not in t.typed:
        return
    phases = {p.name: p for p in programme.phases}
    names = t.series("phase")
    starts = t.series("start_date")
    wrong = np.array([isinstance(n, str) and n in phases and isinstance(d, dt.date) and not phases[n].holds(d)
                      for n, d in zip(names, starts)], dtype=bool) if len(t.rows) else np.zeros(0, dtype=bool)
    _flag(report, t, "start_date", wrong, "start-outside-phase",
          lambda v, i: _("The project starts on {value}, outside its phase {phase} ({first} to {last}); a project "
                         "belongs to the phase in which it starts.").format(
              value=v, phase=t.value("phase", i), first=phases[t.value("phase", i)].first_day,
              last=phases[t.value("phase", i)].last_day))


def _days(values: pa.Array) -> np.ndarray:
    """Dates as days since 1970 (int64), -1 where missing."""
    return np.asarray(pc.fill_null(pc.cast(values, pa.int32()), -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _check_results_in_project(report: Report, tables: dict[str, Checked]) -> None:
    projects = _project_frame(tables, "start_date", "end_date")
    if projects is None:
        return
    index = pd.Index(projects["project_id"].to_numpy())
    starts = pa.array(projects["start_date"].to_list(), pa.date32())
    ends = pa.array(projects["end_date"].to_list(), pa.date32())
    first_quarter = pc.cast(pc.floor_temporal(starts, unit="quarter"), pa.date32())
    first, last = _days(first_quarter), _days(ends)
    for name in schema.FACT_TABLES:
        t = tables.get(name)
        if t is None or not _relevant(tables, name, "projects") or "period" not in t.typed:
            continue
        position = index.get_indexer(t.typed["project_id"].to_numpy(zero_copy_only=False))
        period = _days(t.typed["period"])
        known = (position >= 0) & (period >= 0)
        safe = np.where(known, position, 0)
        outside = known & ((period < first[safe]) | (period > last[safe]))
        _flag(report, t, "period", outside, "period-outside-project",
              lambda v, i, t=t, p=position: _("{project} ran from {start} to {end}; results for the quarter starting "
                                              "{value} fall outside it.").format(
                  project=t.value("project_id", i), start=starts[p[i]], end=ends[p[i]], value=v))


def _check_shares(report: Report, tables: dict[str, Checked], programme) -> None:
    """A share indicator's numerator is never more than its denominator (per project, country and quarter)."""
    t = tables.get("outcomes")
    if t is None or not t.imported or not all(c in t.typed for c in ("indicator", "value", "period")):
        return
    frame = pd.DataFrame({c: t.series(c) for c in ("project_id", "iso3", "period", "indicator", "value")})
    keys = ["project_id", "iso3", "period"]
    for ratio in programme.indicators:
        if ratio.aggregation != "ratio" or ratio.fmt != "percent":
            continue
        below = (frame[frame["indicator"] == ratio.denominator].dropna()
                 .groupby(keys, as_index=False)["value"].sum().rename(columns={"value": "below"}))
        joined = frame.merge(below, on=keys, how="left")
        counted = (joined["indicator"] == ratio.numerator) & joined["value"].notna()
        below_values = joined["below"].fillna(0).to_numpy()
        too_many = (counted & (joined["value"].fillna(0) > joined["below"].fillna(0))).to_numpy()
        _flag(report, t, "value", too_many, "more-than-denominator",
              lambda v, i, r=ratio, b=below_values: _(
                  "{value} for {numerator}, but only {count} {denominator} for {project}, {country}, {period}; "
                  "{label} cannot exceed 100%.").format(
                  value=v, numerator=r.numerator, count=int(b[i]), denominator=r.denominator,
                  project=t.value("project_id", i), country=t.value("iso3", i), period=t.value("period", i),
                  label=r.label))


def _check_volunteer_days(report: Report, tables: dict[str, Checked]) -> None:
    t = tables.get("volunteering")
    if t is None or not t.imported or not all(c in t.typed for c in ("volunteers", "volunteer_days")):
        return
    both = t.valid("volunteers") & t.valid("volunteer_days")
    fewer = both & _mask(pc.less(t.typed["volunteer_days"], t.typed["volunteers"]))
    _flag(report, t, "volunteer_days", fewer, "days-below-placements",
          lambda v, i: _("{value} volunteer days for {count} placements; each placement is at least one day.").format(
              value=v, count=t.value("volunteers", i)))


def _check_sides(report: Report, tables: dict[str, Checked], home, definition_changed: bool = False) -> None:
    """An institution's side follows its country (the definition's home countries: those in use too when the
    definition changes), and leads and roles their side."""
    inst = tables.get("institutions")
    if inst is None or not all(c in inst.typed for c in ("institution_id", "side", "iso3")):
        return
    if inst.imported or definition_changed:
        at_home = _mask(pc.equal(inst.typed["side"], home.home))
        in_home_country = _mask(pc.is_in(inst.typed["iso3"], value_set=pa.array(home.countries, pa.string())))
        both = inst.valid("side") & inst.valid("iso3") & ~_mask(pc.equal(inst.typed["side"], NOT_KNOWN))
        countries = " or ".join(home.countries)
        _flag(report, inst, "iso3", both & (at_home != in_home_country), "side-mismatch",
              lambda v, i: _("Side is {side} but the country is {value}; {home} institutions are in {countries} and "
                             "{overseas} institutions are not (home.countries in {file}).").format(
                  side=inst.value("side", i), value=v, home=home.home, countries=countries,
                  overseas=_side_words(home.overseas, home), file=DEFINITION))
    sides = pd.Series(inst.series("side").to_numpy(), index=inst.series("institution_id").to_numpy())
    sides = sides[~sides.index.duplicated()].dropna()
    projects = tables.get("projects")
    if projects is not None and _relevant(tables, "projects", "institutions"):
        for column, wanted in (("uk_lead_id", home.home), ("overseas_lead_id", home.overseas)):
            if column not in projects.typed:
                continue
            actual = projects.series(column).map(sides)
            wrong = (actual.notna() & (actual != wanted)).to_numpy()
            _flag(report, projects, column, wrong, "lead-side",
                  lambda v, i, w=wanted: (_("{value} is not an {side} institution, so it cannot be the {side} lead.")
                                          if w[:1].lower() in "aeio" and i18n.active().language == i18n.SOURCE else
                                          _("{value} is not a {side} institution, so it cannot be the {side} lead."))
                  .format(value=v, side=w))
    partners = tables.get("project_partners")
    if partners is not None and _relevant(tables, "project_partners", "institutions") and "role" in partners.typed:
        actual = partners.series("institution_id").map(sides)
        role = partners.series("role")
        side_of_role = {r: (home.home if kind.startswith("home") else home.overseas if kind.startswith("overseas")
                            else NOT_KNOWN) for r, kind in home.role_kinds().items()}
        expected = role.map(side_of_role)
        wrong = (actual.notna() & expected.notna() & (actual != expected)).to_numpy()
        _flag(report, partners, "role", wrong, "role-side",
              lambda v, i: (_("The role {role} needs an {side} institution, but {institution} is not one.")
                            if side_of_role[v][:1].lower() in "aeio" and i18n.active().language == i18n.SOURCE else
                            _("The role {role} needs a {side} institution, but {institution} is not one.")).format(
                  role=v, side=_side_words(side_of_role[v], home), institution=partners.value("institution_id", i)))


def _side_words(side: str, home) -> str:
    """A side as the middle of a sentence names it: UK, overseas, not known."""
    return side.lower() if side == home.overseas and side.lower() == "overseas" else side


def _outside_programme(t: Checked, column: str, programme) -> np.ndarray:
    """Rows whose date in `column` is valid but before the programme's start or after its end."""
    days = t.typed[column]
    return t.valid(column) & (_mask(pc.less(days, pa.scalar(programme.start, pa.date32())))
                              | _mask(pc.greater(days, pa.scalar(programme.end, pa.date32()))))


def _check_targets(report: Report, tables: dict[str, Checked], programme) -> None:
    """A project's target names its project, the programme's names none; every target is due within the programme."""
    t = tables.get("targets")
    if t is None or not t.imported or not all(c in t.typed for c in ("scope", "project_id", "due_date")):
        return
    scope = t.series("scope")
    has_project = t.series("project_id").notna().to_numpy()
    blank = ~_mask(pc.not_equal(t.text["project_id"], "")) if "project_id" in t.text else ~has_project
    _flag(report, t, "project_id", (scope == "project").to_numpy() & blank, "project-missing",
          _("A project's target needs the project_id it is for; leave project_id empty only for the programme's own "
            "targets (scope programme)."))
    _flag(report, t, "project_id", (scope == "programme").to_numpy() & ~blank, "project-for-programme",
          lambda v, i: _("This is a programme target (scope programme) but names the project {value}; set scope to "
                         "project, or empty the project_id.").format(value=v))
    outside = _outside_programme(t, "due_date", programme)
    _flag(report, t, "due_date", outside, "outside-programme",
          lambda v, i: _("{value} is outside the programme, which runs from {start} to {end} (start and end in "
                         "{file}); a target must fall due within it.").format(
              value=v, start=programme.start, end=programme.end, file=DEFINITION))


def validate(raws: list[RawTable], current: dict[str, tuple[pa.Table, str]], report: Report, programme,
             definition_changed: bool = False) -> dict[str, pa.Table]:
    """Check imported tables (and their fit with the tables in use) against the programme's definition;
    return typed tables when all is well. With `definition_changed` the tables in use are checked
    against the (new) definition too."""
    tables = {raw.table: check_table(raw, report, programme) for raw in raws}
    for name, (table, label) in current.items():
        if name not in tables:
            tables[name] = from_current(name, table, label, programme, report)
    check_extract(tables, report, programme, definition_changed)
    if not report.ok:
        return {}
    return {name: t.table() for name, t in tables.items() if t.imported}
