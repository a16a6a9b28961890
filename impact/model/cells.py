"""Spreadsheet cell safety: text that a spreadsheet would run as a formula, and the way back.

OWASP's advice for CSV/Excel exports: a cell starting with = + - @, a tab or a carriage
return is prefixed with an apostrophe so spreadsheets show it as text. The importer undoes
exactly that prefix, so an exported extract imports back unchanged. To keep the mapping
one-to-one, text that already starts with an apostrophe followed by one of those characters
(or by another apostrophe) is escaped too; any other apostrophe is left alone.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_NEXT = FORMULA_TRIGGERS + ("'",)


def needs_neutralising(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula (or it looks like an escaped one)."""
    if not text:
        return False
    return text.startswith(FORMULA_TRIGGERS) or (text[0] == "'" and text[1:2] in _ESCAPED_NEXT and len(text) > 1)


def neutralise(value):
    """The value for an exported spreadsheet cell: formula-leading text gets an apostrophe; others unchanged."""
    if isinstance(value, str) and needs_neutralising(value):
        return "'" + value
    return value


def restore(text: str) -> str:
    """Undo `neutralise` on text read from a spreadsheet cell."""
    if len(text) > 1 and text[0] == "'" and text[1] in _ESCAPED_NEXT:
        return text[1:]
    return text


def csv_bytes(table) -> bytes:
    """A table (pandas DataFrame) as CSV for a spreadsheet: UTF-8 with BOM, text that would run as a formula
    neutralised, missing values blank."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(str(c)) for c in table.columns])
    for row in table.itertuples(index=False):
        writer.writerow([neutralise(v) if isinstance(v, str) else ("" if v is None or v != v else v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
